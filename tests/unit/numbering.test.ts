import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../platform/errors';
import {
  assertValidNumberingRule,
  buildNumber,
  iso7064Mod37_2,
  numberingRuleIssues,
  numberingRuleSchema,
  segmentRegistry,
  type NumberingContext,
  type NumberingRule,
  type NumberingSegment,
} from '../../platform/numbering';
import { numberingMessages } from '../../platform/numbering/messages';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*';

/**
 * Independent check of ISO 7064 pure MOD 37-2: the string with its check character appended satisfies
 * sum(a_i * 2^(i-1)) ≡ 1 (mod 37), i counted from the right starting at the check character.
 */
function satisfiesMod37_2(withCheck: string): boolean {
  let sum = 0;
  let weight = 1;
  for (let i = withCheck.length - 1; i >= 0; i--) {
    sum = (sum + ALPHABET.indexOf(withCheck[i]) * weight) % 37;
    weight = (weight * 2) % 37;
  }
  return sum === 1;
}
const bruteForceCheck = (s: string) => [...ALPHABET].filter((c) => satisfiesMod37_2(s + c));

/** In-memory counters: the algorithm under test here is the rule, not the database. */
function memoryCounters() {
  const values = new Map<string, number>();
  const keys: string[] = [];
  const take = async (ruleId: string, prefix: string, start: number) => {
    const key = `${ruleId}|${prefix}`;
    keys.push(prefix);
    const next = Math.max((values.get(key) ?? start - 1) + 1, start);
    values.set(key, next);
    return next;
  };
  return { take, keys, values };
}

const rule = (segments: NumberingSegment[], extra: Partial<NumberingRule> = {}): NumberingRule => ({
  $id: 'testRule',
  kind: 'numbering',
  segments,
  ...extra,
});
const seq = { type: 'sequence', width: 4 } as const;
// 2026-11-27 16:30 UTC is already 2026-11-28 in Shanghai.
const NOW = new Date('2026-11-27T16:30:00Z');

async function one(segments: NumberingSegment[], ctx: Partial<NumberingContext> = {}, extra: Partial<NumberingRule> = {}) {
  return buildNumber(rule(segments, extra), { record: {}, now: NOW, ...ctx }, memoryCounters().take);
}

async function appError(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describe('ISO 7064 MOD 37-2 check character (ISBT 128)', () => {
  it('gives H for the ISBT 128 example G123498654321 (check value 17)', () => {
    expect(iso7064Mod37_2('G123498654321')).toBe('H');
    expect(ALPHABET.indexOf('H')).toBe(17);
    expect(satisfiesMod37_2('G123498654321H')).toBe(true);
  });

  it('matches independently computed values', () => {
    for (const s of ['A999914123458', 'CB2611280001', 'W000012345678', '0', 'Z', 'CBS2611280001', '123456789']) {
      expect(bruteForceCheck(s)).toEqual([iso7064Mod37_2(s)]);
    }
    expect(iso7064Mod37_2('A999914123458')).toBe('J');
    expect(iso7064Mod37_2('')).toBe('1');
  });

  it('can produce the supplementary check character *', () => {
    const input = fc.sample(fc.stringMatching(/^[0-9A-Z]{6}$/), { numRuns: 2000, seed: 7 }).find((s) => iso7064Mod37_2(s) === '*');
    expect(input).toBeDefined();
    expect(satisfiesMod37_2(`${input}*`)).toBe(true);
  });

  it('agrees with the weighted-sum definition for any alphanumeric string', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Z]{0,30}$/), (s) => {
        expect(satisfiesMod37_2(s + iso7064Mod37_2(s))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('detects every single-character substitution', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Z]{1,20}$/), fc.nat(), fc.integer({ min: 1, max: 35 }), (s, pos, shift) => {
        const i = pos % s.length;
        const changed = s.slice(0, i) + ALPHABET[(ALPHABET.indexOf(s[i]) + shift) % 36] + s.slice(i + 1);
        expect(iso7064Mod37_2(changed)).not.toBe(iso7064Mod37_2(s));
      }),
      { numRuns: 300 },
    );
  });

  it('covers alphanumerics only, letters in either case', () => {
    expect(iso7064Mod37_2('G1234 98 654321')).toBe('H');
    expect(iso7064Mod37_2('=G1234-98-654321')).toBe('H');
    expect(iso7064Mod37_2('g123498654321')).toBe('H');
    expect(iso7064Mod37_2('G1234细胞98654321')).toBe('H');
  });
});

describe('R-3.7.6 numbering segments', () => {
  it('literal', async () => {
    expect(await one([{ type: 'literal', value: 'CB' }, seq])).toBe('CB0001');
  });

  describe('date', () => {
    it('formats YYYY YY MM DD in Asia/Shanghai by default', async () => {
      expect(await one([{ type: 'date', format: 'YYMMDD' }, seq])).toBe('2611280001');
      expect(await one([{ type: 'date', format: 'YYYY-MM-DD' }, seq], {}, { separator: '/' })).toBe('2026-11-28/0001');
    });

    it('uses the context time zone, and a segment time zone over it', async () => {
      expect(await one([{ type: 'date', format: 'YYYYMMDD' }, seq], { timeZone: 'UTC' })).toBe('202611270001');
      expect(await one([{ type: 'date', format: 'YYYYMMDD', timeZone: 'Asia/Shanghai' }, seq], { timeZone: 'UTC' })).toBe('202611280001');
      expect(await one([{ type: 'date', format: 'MMDD', timeZone: 'America/New_York' }, seq])).toBe('11270001');
    });

    it('uses now when no time is injected', async () => {
      const text = await buildNumber(rule([{ type: 'date', format: 'YYYY' }, seq]), { record: {} }, memoryCounters().take);
      expect(text).toMatch(/^20\d\d0001$/);
    });

    it("uses the record's date: a date-only value keeps its day, a timestamp is read in the time zone", async () => {
      const segs: NumberingSegment[] = [{ type: 'date', format: 'YYMMDD', field: 'receivedAt' }, seq];
      expect(await one(segs, { record: { receivedAt: '2025-01-02' }, timeZone: 'America/Los_Angeles' })).toBe('2501020001');
      expect(await one(segs, { record: { receivedAt: '2025-01-02T20:00:00Z' } })).toBe('2501030001');
      expect(await one(segs, { record: { receivedAt: new Date('2025-01-02T10:00:00Z') } })).toBe('2501020001');
    });

    it('refuses a missing or invalid record date, and a bad time zone', async () => {
      const segs: NumberingSegment[] = [{ type: 'date', format: 'YYMMDD', field: 'receivedAt' }, seq];
      const missing = await appError(one(segs));
      expect([missing.status, missing.messageKey, missing.details[0].path]).toEqual([400, 'numbering.fieldMissing', '/receivedAt']);
      expect((await appError(one(segs, { record: { receivedAt: 'yesterday' } }))).messageKey).toBe('numbering.badDate');
      expect((await appError(one([{ type: 'date', format: 'YY' }, seq], { timeZone: 'Mars/Olympus' }))).messageKey).toBe('numbering.badTimeZone');
    });
  });

  describe('field', () => {
    it('takes the record value, maps it, pads it', async () => {
      expect(await one([{ type: 'field', field: 'site' }, seq], { record: { site: 'SH' } })).toBe('SH0001');
      expect(await one([{ type: 'field', field: 'cellKind', map: { stem: 'S', immune: 'I' } }, seq], { record: { cellKind: 'immune' } })).toBe('I0001');
      expect(await one([{ type: 'field', field: 'room', width: 3 }, seq], { record: { room: 7 } })).toBe('0070001');
      expect(await one([{ type: 'field', field: 'room', width: 3, pad: 'X' }, seq], { record: { room: 'A' } })).toBe('XXA0001');
      expect(await one([{ type: 'field', field: 'room', width: 2 }, seq], { record: { room: 'ABC' } })).toBe('ABC0001');
      expect(await one([{ type: 'field', field: 'customer.code' }, seq], { record: { customer: { code: 'K9' } } })).toBe('K90001');
    });

    it('refuses a missing value (400, path to the field), an unmapped value, a composite value', async () => {
      const e = await appError(one([{ type: 'field', field: 'cellKind' }, seq], { record: { cellKind: '' } }));
      expect(e.status).toBe(400);
      expect(e.code).toBe('VALIDATION_FAILED');
      expect(e.messageKey).toBe('numbering.fieldMissing');
      expect(e.details).toEqual([{ path: '/cellKind', messageKey: 'numbering.fieldMissing', params: { field: 'cellKind' } }]);
      const unmapped = await appError(one([{ type: 'field', field: 'cellKind', map: { stem: 'S' } }, seq], { record: { cellKind: 'nk' } }));
      expect([unmapped.messageKey, unmapped.params.value]).toEqual(['numbering.fieldNotMapped', 'nk']);
      // "toString" must not be found through the prototype of the map.
      expect((await appError(one([{ type: 'field', field: 'k', map: { a: 'A' } }, seq], { record: { k: 'toString' } }))).messageKey).toBe(
        'numbering.fieldNotMapped',
      );
      expect((await appError(one([{ type: 'field', field: 'k' }, seq], { record: { k: { a: 1 } } }))).messageKey).toBe('numbering.fieldNotScalar');
    });
  });

  it('orgCode and labCode come from the context', async () => {
    const segs: NumberingSegment[] = [{ type: 'orgCode' }, { type: 'labCode' }, seq];
    expect(await one(segs, { orgCode: 'CT', labCode: 'L01' }, { separator: '-' })).toBe('CT-L01-0001');
    const e = await appError(one(segs, { orgCode: 'CT' }));
    expect([e.status, e.messageKey, e.params.name]).toEqual([400, 'numbering.contextMissing', 'labCode']);
  });

  describe('dictionary', () => {
    const dictionaries = (name: string) =>
      name === 'cellKind'
        ? [
            { code: 'stem', abbr: 'ST' },
            { code: 'immune', abbr: 'IM' },
            { code: 'NK' },
          ]
        : undefined;
    const segs: NumberingSegment[] = [{ type: 'dictionary', field: 'cellKind', dictionary: 'cellKind' }, seq];

    it("gives the item's abbreviation, or its code when it has none", async () => {
      expect(await one(segs, { record: { cellKind: 'stem' }, dictionaries })).toBe('ST0001');
      expect(await one(segs, { record: { cellKind: 'NK' }, dictionaries })).toBe('NK0001');
    });

    it('refuses an unknown code or dictionary', async () => {
      const e = await appError(one(segs, { record: { cellKind: 'xx' }, dictionaries }));
      expect([e.status, e.messageKey, e.details[0].path]).toEqual([400, 'numbering.dictionaryCode', '/cellKind']);
      expect((await appError(one(segs, { record: { cellKind: 'stem' } }))).messageKey).toBe('numbering.dictionaryMissing');
      expect((await appError(one(segs, { record: {}, dictionaries }))).messageKey).toBe('numbering.fieldMissing');
    });
  });

  describe('sequence', () => {
    it('counts per resolved prefix, from start, padded to width, never truncated', async () => {
      const c = memoryCounters();
      const r = rule([{ type: 'literal', value: 'S' }, { type: 'field', field: 'k' }, { type: 'sequence', width: 2, start: 98 }], { separator: '-' });
      const next = (k: string) => buildNumber(r, { record: { k } }, c.take);
      expect(await next('A')).toBe('S-A-98');
      expect(await next('A')).toBe('S-A-99');
      expect(await next('A')).toBe('S-A-100');
      expect(await next('B')).toBe('S-B-98');
      expect(c.keys).toEqual(['S-A', 'S-A', 'S-A', 'S-B']);
    });

    it('without width, the value is not padded', async () => {
      expect(await one([{ type: 'literal', value: 'N' }, { type: 'sequence' }])).toBe('N1');
    });

    it('the counter key keeps only the date tokens the reset period needs', async () => {
      const keyFor = async (reset: 'never' | 'yearly' | 'monthly' | 'daily') => {
        const c = memoryCounters();
        const r = rule([{ type: 'literal', value: 'CB' }, { type: 'date', format: 'YYMMDD' }, { type: 'sequence', width: 4, reset }], { separator: '-' });
        expect(await buildNumber(r, { record: {}, now: NOW }, c.take)).toBe('CB-261128-0001');
        return c.keys[0];
      };
      expect(await keyFor('daily')).toBe('CB-261128');
      expect(await keyFor('monthly')).toBe('CB-2611');
      expect(await keyFor('yearly')).toBe('CB-26');
      expect(await keyFor('never')).toBe('CB');
    });

    it('a code that never resets keeps counting across days', async () => {
      const c = memoryCounters();
      const r = rule([{ type: 'date', format: 'YYMMDD' }, { type: 'sequence', width: 3 }]);
      expect(await buildNumber(r, { record: {}, now: new Date('2026-11-28T03:00:00Z') }, c.take)).toBe('261128001');
      expect(await buildNumber(r, { record: {}, now: new Date('2026-11-29T03:00:00Z') }, c.take)).toBe('261129002');
    });
  });

  it('check covers every character before it (the brief example, with separators)', async () => {
    const c = memoryCounters();
    const r = rule(
      [
        { type: 'literal', value: 'CB' },
        { type: 'labCode' },
        { type: 'date', format: 'YYMMDD' },
        { type: 'field', field: 'cellKind', map: { stem: 'S', immune: 'I' } },
        { type: 'dictionary', field: 'cellKind', dictionary: 'cellKind' },
        { type: 'sequence', width: 4, reset: 'daily' },
        { type: 'check', algorithm: 'iso7064-mod37-2' },
      ],
      { separator: '-' },
    );
    const ctx: NumberingContext = {
      record: { cellKind: 'stem' },
      now: NOW,
      labCode: 'L01',
      dictionaries: () => [{ code: 'stem', abbr: 'ST' }],
    };
    const code = await buildNumber(r, ctx, c.take);
    expect(code).toBe(`CB-L01-261128-S-ST-0001-${iso7064Mod37_2('CBL01261128SST0001')}`);
    expect(satisfiesMod37_2(code.replace(/-/g, ''))).toBe(true);
    expect(c.keys).toEqual(['CB-L01-261128-S-ST']);
  });

  it('a new segment type is one register() call and joins the rule schema', async () => {
    segmentRegistry.register('upperField', {
      label: { 'zh-CN': '大写字段', en: 'Upper-case field' },
      options: { properties: { field: { type: 'string' } }, required: ['field'] },
      generate: (s: { field: string }, env) => String(env.ctx.record[s.field]).toUpperCase(),
    });
    expect(() => segmentRegistry.register('upperField', { label: {}, options: { properties: {} }, generate: () => '' })).toThrow();
    expect(await one([{ type: 'upperField', field: 'x' }, seq], { record: { x: 'ab' } })).toBe('AB0001');
    expect(numberingRuleIssues(rule([{ type: 'upperField' }, seq]))[0]).toMatchObject({ path: '/segments/0', params: { missingProperty: 'field' } });
  });
});

describe('rule schema', () => {
  const good: NumberingRule = {
    $id: 'cultureBatch',
    kind: 'numbering',
    label: { 'zh-CN': '培养批号', en: 'Culture batch code' },
    'x-requirements': ['R-3.7.6'],
    segments: [
      { type: 'literal', value: 'CB' },
      { type: 'labCode' },
      { type: 'date', format: 'YYMMDD' },
      { type: 'field', field: 'cellKind', map: { stem: 'S', immune: 'I' } },
      { type: 'dictionary', field: 'cellKind', dictionary: 'cellKind' },
      { type: 'sequence', width: 4, reset: 'daily' },
      { type: 'check', algorithm: 'iso7064-mod37-2' },
    ],
  };

  it('compiles with ajv 8 (default and draft 2020-12 classes) and accepts a good rule', () => {
    for (const ajv of [new Ajv(), new Ajv2020()]) expect(ajv.validate(numberingRuleSchema, good)).toBe(true);
    expect(numberingRuleIssues(good)).toEqual([]);
    expect(() => assertValidNumberingRule(good)).not.toThrow();
  });

  it('has one oneOf branch per registered segment type, chosen by the type const', () => {
    const branches = (numberingRuleSchema as any).properties.segments.items.oneOf as any[];
    expect(branches.map((b) => b.properties.type.const)).toEqual(
      expect.arrayContaining(['literal', 'date', 'field', 'orgCode', 'labCode', 'dictionary', 'sequence', 'check']),
    );
  });

  const metadataDir = join(__dirname, '../../metadata');
  const shipped = existsSync(metadataDir)
    ? readdirSync(metadataDir).flatMap((m) => {
        const dir = join(metadataDir, m, 'numbering');
        return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
      })
    : [];
  it.each(shipped.length ? shipped : ['(none)'])('accepts the shipped rule %s', (file) => {
    if (file === '(none)') return;
    expect(numberingRuleIssues(JSON.parse(readFileSync(file, 'utf8')))).toEqual([]);
  });

  const bad: [string, unknown, string, string][] = [
    ['no segments', { $id: 'r', kind: 'numbering' }, '/', 'numbering.schema'],
    ['wrong kind', { ...good, kind: 'entity' }, '/kind', 'numbering.schema'],
    ['unknown property', { ...good, prefix: 'CB' }, '/', 'numbering.schema'],
    ['unknown segment type', { ...good, segments: [{ type: 'uuid' }, seq] }, '/segments/0/type', 'numbering.unknownSegment'],
    ['literal without value', { ...good, segments: [{ type: 'literal' }, seq] }, '/segments/0', 'numbering.schema'],
    ['lower-case date token', { ...good, segments: [{ type: 'date', format: 'YYMMdd' }, seq] }, '/segments/0/format', 'numbering.schema'],
    ['sequence width 0', { ...good, segments: [{ type: 'sequence', width: 0 }] }, '/segments/0/width', 'numbering.schema'],
    ['unknown reset', { ...good, segments: [{ type: 'sequence', reset: 'hourly' }] }, '/segments/0/reset', 'numbering.schema'],
    ['unknown check algorithm', { ...good, segments: [seq, { type: 'check', algorithm: 'luhn' }] }, '/segments/1/algorithm', 'numbering.schema'],
    ['unknown segment option', { ...good, segments: [{ type: 'labCode', code: 'L1' }, seq] }, '/segments/0', 'numbering.schema'],
    ['no sequence', { ...good, segments: [{ type: 'literal', value: 'X' }] }, '/segments', 'numbering.sequenceCount'],
    ['two sequences', { ...good, segments: [seq, seq] }, '/segments', 'numbering.sequenceCount'],
    ['daily reset without a day in the prefix', { ...good, segments: [{ type: 'date', format: 'YYMM' }, { type: 'sequence', reset: 'daily' }] }, '/segments/1/reset', 'numbering.resetNeedsDate'],
    ['yearly reset with the date after the sequence', { ...good, segments: [{ type: 'sequence', reset: 'yearly' }, { type: 'date', format: 'YY' }] }, '/segments/0/reset', 'numbering.resetNeedsDate'],
    ['invalid time zone', { ...good, segments: [{ type: 'date', format: 'YY', timeZone: 'Nowhere/Land' }, seq] }, '/segments/0/timeZone', 'numbering.badTimeZone'],
  ];
  it.each(bad)('rejects a rule with %s', (_name, r, path, messageKey) => {
    const issues = numberingRuleIssues(r);
    expect(issues).toContainEqual(expect.objectContaining({ path, messageKey }));
    let thrown: unknown;
    try {
      assertValidNumberingRule(r as NumberingRule);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', messageKey: 'numbering.invalidRule' });
  });

  it('a bad rule is refused before any number is taken', async () => {
    const c = memoryCounters();
    await expect(buildNumber(rule([{ type: 'sequence', width: 0 }]), { record: {} }, c.take)).rejects.toMatchObject({ status: 400 });
    expect(c.keys).toEqual([]);
  });

  it('every message key has zh-CN and en text', () => {
    expect(Object.keys(numberingMessages.en).sort()).toEqual(Object.keys(numberingMessages['zh-CN']).sort());
  });
});
