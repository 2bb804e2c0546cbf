import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { registerKindsFor } from '../../platform/server';
import { loadMetadataFiles } from '../../platform/metadata/loader';
import { Model, type EntityDef, type FieldDef } from '../../platform/metadata/model';
import { inputSchema, validatorFor } from '../../platform/records/validate';
import { createAjv } from '../../platform/metadata/ajv';
import { SCHEMA_DRAFT } from '../../platform/metadata/json-schema-dialect';
// The browser's validator configuration itself (web/src/form/validator.ts adds only UI-language messages).
import { interpretingAjv, webAjvOptions } from '../../web/src/form/interpreter';

/**
 * One JSON Schema dialect on both sides (issue 10): the server's ajv and the browser's interpreting validator
 * use the same draft, keywords and formats, so a record one accepts the other accepts too. Every shipped entity
 * schema is compiled with both configurations and fed the same records; the verdicts and the failing fields agree.
 */

let model: Model;
let web: { compile: (s: unknown) => ((d: unknown) => boolean) & { errors: ErrorObject[] | null } };

beforeAll(() => {
  registerKindsFor([]);
  const { set } = loadMetadataFiles([path.resolve(__dirname, '../../metadata')]);
  model = new Model(1, set);
  const WebAjv = interpretingAjv();
  web = new WebAjv(webAjvOptions(set.entity)) as any;
});

const long = (n = 0) => 'x'.repeat(Math.max(n + 1, 201));

function candidates(f: FieldDef): unknown[] {
  const s = f.schema;
  switch (f.kind) {
    case 'integer': return [0, 1, -1, 7, 1.5, 100000, '1', null, true];
    case 'number': case 'decimal': return [0, 1.25, -3, 1e308, '1', null];
    case 'boolean': return [true, false, 'true', 0, null];
    case 'date': return ['2024-02-29', '2023-02-29', '2024-13-01', '2024-1-1', '20240101', '2024-04-31', 5];
    case 'datetime': return ['2024-01-01T10:00:00Z', '2024-01-01T10:00:00.123+08:00', '2024-01-01T10:00:00', '2024-01-01 10:00:00+08:00', '2024-01-01T25:00:00Z', '2024-02-30T10:00:00Z'];
    case 'enum': return [...(f.enumValues ?? []), 'nope', null];
    case 'dictionary': return [...(model.set.dictionary?.[f.dictionary!]?.items ?? []).map((i: any) => i.code).slice(0, 3), 'x', 3];
    case 'reference': case 'attachment': return [1, 0, -1, 'a', null, 2.5];
    case 'multiReference': return [[1, 2], [], ['a'], 1, [1, 1]];
    case 'json': return [{}, { a: 1 }, [], 'x', null];
    default: {
      const out: unknown[] = ['abc', '', 'A1', long(s.maxLength), '12345', '+86 138 0000', 'ÄÖ中文', 5, null];
      if (s.format === 'email') out.push('a@b.co', 'a@b', 'no email');
      if (s.format === 'uri') out.push('http://x.org/a', 'x', 'urn:isbn:123');
      if (s.format === 'time') out.push('10:00:00Z', '10:00:00', '25:00:00Z');
      return out;
    }
  }
}

const paths = (errors: ErrorObject[] | null | undefined) =>
  [...new Set((errors ?? []).filter((e) => e.keyword !== 'if').map((e) => e.instancePath + (e.keyword === 'required' ? `/${(e.params as any).missingProperty}` : '')))].sort();

/** Server and browser verdicts on one record of `e`; counts what was accepted and refused. */
function agree(e: EntityDef, record: Record<string, unknown>, tally: { ok: number; refused: number }) {
  const server = validatorFor(model, e);
  const browser = web.compile(inputSchema(e));
  const s = server(record);
  const b = browser(record);
  expect({ entity: e.name, record, verdict: b, paths: paths(browser.errors) }).toEqual({ entity: e.name, record, verdict: s, paths: paths(server.errors) });
  tally[s ? 'ok' : 'refused']++;
}

it('the server compiles the shared draft', () => {
  expect(SCHEMA_DRAFT).toBe('2019-09');
  expect(createAjv().getSchema('https://json-schema.org/draft/2019-09/schema')).toBeDefined();
});

it('every shipped entity schema compiles strictly on the server and in the browser configuration', () => {
  expect(model.entities.size).toBeGreaterThan(10);
  for (const e of model.entities.values()) {
    expect(() => createAjv().compile(inputSchema(e))).not.toThrow();
    expect(() => web.compile(inputSchema(e))).not.toThrow();
  }
});

it('server and browser give the same verdict and the same failing fields on every shipped entity', () => {
  const tally = { ok: 0, refused: 0 };
  for (const e of model.entities.values()) {
    // A base record the server accepts field by field, then every candidate of every field on top of it.
    const fieldOk = (name: string, v: unknown) => !paths((validatorFor(model, e)({ [name]: v }), validatorFor(model, e).errors)).some((p) => p === `/${name}` || p.startsWith(`/${name}/`));
    const base: Record<string, unknown> = {};
    for (const f of e.fields.values()) {
      if (f.readOnly) continue;
      const v = candidates(f).find((c) => c !== null && fieldOk(f.name, c));
      if (v !== undefined) base[f.name] = v;
    }
    agree(e, {}, tally);
    agree(e, base, tally);
    for (const f of e.fields.values()) for (const c of candidates(f)) agree(e, { ...base, [f.name]: c }, tally);
  }
  // Both kinds of outcome were exercised.
  expect(tally.ok).toBeGreaterThan(100);
  expect(tally.refused).toBeGreaterThan(500);
});

it('draft 2019-09 semantics hold on both sides ($ref with siblings, $defs, dependentRequired)', () => {
  const schema = {
    type: 'object',
    $defs: { code: { type: 'string', pattern: '^[A-Z]+$' } },
    properties: { code: { $ref: '#/$defs/code', maxLength: 3 }, a: { type: 'string' }, b: { type: 'string' } },
    dependentRequired: { a: ['b'] },
  };
  const server = createAjv().compile(schema);
  const browser = web.compile(schema);
  for (const [record, ok] of [[{ code: 'AB' }, true], [{ code: 'ABCD' }, false], [{ code: 'ab' }, false], [{ a: 'x' }, false], [{ a: 'x', b: 'y' }, true]] as const) {
    expect([record, server(record)]).toEqual([record, ok]);
    expect([record, browser(record)]).toEqual([record, ok]);
  }
  // The draft-07 spelling, still understood by both.
  const legacy = { type: 'object', dependencies: { a: ['b'] } };
  for (const record of [{ a: 1 }, { a: 1, b: 2 }, {}]) expect([record, web.compile(legacy)(record)]).toEqual([record, createAjv().compile(legacy)(record)]);
});

it('formats are the server\'s on both sides', () => {
  const schema = { type: 'object', properties: { d: { type: 'string', format: 'date' }, t: { type: 'string', format: 'date-time' }, m: { type: 'string', format: 'email' }, u: { type: 'string', format: 'uri' } } };
  const server = createAjv().compile(schema);
  const browser = web.compile(schema);
  const values = [
    { d: '2024-02-29' }, { d: '2023-02-29' }, { d: '2024-04-31' }, { t: '2024-01-01 10:00:00Z' }, { t: '2024-01-01T10:00:00' }, { t: '2024-01-01T23:59:60Z' },
    { m: 'a@b' }, { m: 'a..b@c.de' }, { m: 'x@y.z' }, { u: 'x' }, { u: 'http://a/b c' }, { u: 'mailto:a@b.c' }, { u: 'http://例子.中国' },
  ];
  for (const v of values) expect([v, browser(v)]).toEqual([v, server(v)]);
});
