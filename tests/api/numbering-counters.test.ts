import knexFactory, { type Knex } from 'knex';
import { up, down } from '../../migrations/202611280200_numbering_counters';
import { allocateNumber, previewNumber, type NumberingContext, type NumberingRule } from '../../platform/numbering';

/** business codes from configurable rules, counted in PostgreSQL without gaps or duplicates. */

const url = process.env.TEST_DATABASE_URL;
if (!url) throw new Error('TEST_DATABASE_URL is not set (run through jest, whose globalSetup creates the database)');

// Own schema in the shared run database: isolation without another database.
const SCHEMA = `numbering_test_${process.pid}`;
let admin: Knex;
let knex: Knex;

const cultureBatch: NumberingRule = {
  $id: 'cultureBatch',
  kind: 'numbering',
  label: { 'zh-CN': '培养批号', en: 'Culture batch code' },
  separator: '-',
  segments: [
    { type: 'literal', value: 'CB' },
    { type: 'labCode' },
    { type: 'date', format: 'YYMMDD' },
    { type: 'field', field: 'cellKind', map: { stem: 'S', immune: 'I' } },
    { type: 'sequence', width: 4, reset: 'daily' },
    { type: 'check', algorithm: 'iso7064-mod37-2' },
  ],
};
const ctxAt = (now: string, cellKind = 'stem'): NumberingContext => ({ record: { cellKind }, now: new Date(now), labCode: 'L01' });
/** The sequence part of a CB-L01-YYMMDD-K-NNNN-C code. */
const seqOf = (code: string) => Number(code.split('-')[4]);

beforeAll(async () => {
  admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  await admin.raw(`create schema "${SCHEMA}"`);
  knex = knexFactory({ client: 'pg', connection: url, searchPath: [SCHEMA], pool: { min: 0, max: 20 } });
  await up(knex);
  // Stands for the record table written in the same transaction as the number.
  await knex.schema.createTable('culture_record', (t) => {
    t.increments('id');
    t.text('batch_code').notNullable().unique();
  });
});

afterAll(async () => {
  await down(knex);
  await knex.destroy();
  await admin.raw(`drop schema if exists "${SCHEMA}" cascade`);
  await admin.destroy();
});

beforeEach(async () => {
  await knex('ct_numbering_counter').del();
  await knex('culture_record').del();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('creates ct_numbering_counter keyed by (rule_id, prefix)', async () => {
  const cols = await knex('information_schema.columns')
    .where({ table_schema: SCHEMA, table_name: 'ct_numbering_counter' })
    .orderBy('ordinal_position')
    .select('column_name', 'data_type');
  expect(cols).toEqual([
    { column_name: 'rule_id', data_type: 'text' },
    { column_name: 'prefix', data_type: 'text' },
    { column_name: 'value', data_type: 'bigint' },
    { column_name: 'updated_at', data_type: 'timestamp with time zone' },
  ]);
  const pk = await knex.raw(
    `select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where i.indrelid = ?::regclass and i.indisprimary order by a.attname`,
    [`"${SCHEMA}".ct_numbering_counter`],
  );
  expect(pk.rows.map((r: { attname: string }) => r.attname)).toEqual(['prefix', 'rule_id']);
});

it('500 parallel allocations in their own transactions, some rolled back: committed numbers are distinct and gap-free', async () => {
  const total = 500;
  const now = '2026-11-28T02:00:00Z';
  const outcomes = await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const rollback = i % 7 === 3 || i % 11 === 5;
      const trx = await knex.transaction();
      try {
        const code = await allocateNumber(trx, cultureBatch, ctxAt(now));
        await trx('culture_record').insert({ batch_code: code });
        // Keep the row lock a little while so waiters really queue behind it.
        if (i % 10 === 0) await sleep(2);
        if (rollback) {
          await trx.rollback();
          return { code, committed: false };
        }
        await trx.commit();
        return { code, committed: true };
      } catch (e) {
        if (!trx.isCompleted()) await trx.rollback();
        throw e;
      }
    }),
  );
  const committed = outcomes.filter((o) => o.committed).map((o) => o.code);
  const n = committed.length;
  expect(n).toBeGreaterThan(350);
  expect(n).toBeLessThan(total);
  expect(new Set(committed).size).toBe(n);
  expect(committed.map(seqOf).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, k) => k + 1));
  for (const code of committed) expect(code).toMatch(/^CB-L01-261128-S-\d{4}-[0-9A-Z*]$/);

  const stored = await knex('culture_record').pluck('batch_code');
  expect(stored.sort()).toEqual([...committed].sort());
  const counter = await knex('ct_numbering_counter').first('rule_id', 'prefix', 'value');
  expect(counter).toEqual({ rule_id: 'cultureBatch', prefix: 'CB-L01-261128-S', value: String(n) });
});

it('parallel allocations for different prefixes count independently', async () => {
  const now = '2026-11-28T02:00:00Z';
  const codes = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      knex.transaction((trx) => allocateNumber(trx, cultureBatch, ctxAt(now, i % 2 ? 'stem' : 'immune'))),
    ),
  );
  for (const kind of ['S', 'I']) {
    const seqs = codes.filter((c) => c.split('-')[3] === kind).map(seqOf).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, k) => k + 1));
  }
});

it('a rolled-back record gives its number back', async () => {
  const ctx = ctxAt('2026-11-28T02:00:00Z');
  const first = await knex.transaction((trx) => allocateNumber(trx, cultureBatch, ctx));
  await expect(
    knex.transaction(async (trx) => {
      await allocateNumber(trx, cultureBatch, ctx);
      throw new Error('record validation failed');
    }),
  ).rejects.toThrow('record validation failed');
  const second = await knex.transaction((trx) => allocateNumber(trx, cultureBatch, ctx));
  expect([seqOf(first), seqOf(second)]).toEqual([1, 2]);
});

it('daily reset: a new day (in Asia/Shanghai) starts a new sequence, the old day continues where it was', async () => {
  const take = (now: string) => allocateNumber(knex, cultureBatch, ctxAt(now));
  expect(seqOf(await take('2026-11-28T01:00:00Z'))).toBe(1);
  expect(seqOf(await take('2026-11-28T15:59:00Z'))).toBe(2); // 23:59 in Shanghai
  const nextDay = await take('2026-11-28T16:00:00Z'); // 00:00 on the 29th in Shanghai
  expect(nextDay.startsWith('CB-L01-261129-S-0001-')).toBe(true);
  expect(seqOf(await take('2026-11-28T10:00:00Z'))).toBe(3);
  const prefixes = await knex('ct_numbering_counter').orderBy('prefix').pluck('prefix');
  expect(prefixes).toEqual(['CB-L01-261128-S', 'CB-L01-261129-S']);
});

it('a code that never resets keeps one counter across days', async () => {
  const rule: NumberingRule = {
    $id: 'sampleCode',
    kind: 'numbering',
    segments: [{ type: 'literal', value: 'SP' }, { type: 'date', format: 'YYMMDD' }, { type: 'sequence', width: 5, start: 100 }],
  };
  expect(await allocateNumber(knex, rule, { record: {}, now: new Date('2026-11-28T02:00:00Z') })).toBe('SP26112800100');
  expect(await allocateNumber(knex, rule, { record: {}, now: new Date('2026-12-01T02:00:00Z') })).toBe('SP26120100101');
});

it('preview shows the next number without consuming it', async () => {
  const ctx = ctxAt('2026-11-28T02:00:00Z');
  const before = await previewNumber(knex, cultureBatch, ctx);
  expect(seqOf(before)).toBe(1);
  expect(await previewNumber(knex, cultureBatch, ctx)).toBe(before);
  expect(await knex('ct_numbering_counter').count({ n: '*' })).toEqual([{ n: '0' }]);
  expect(await allocateNumber(knex, cultureBatch, ctx)).toBe(before);
  expect(seqOf(await previewNumber(knex, cultureBatch, ctx))).toBe(2);
});

it('a missing field value is a 400 and takes no number', async () => {
  await expect(
    knex.transaction((trx) => allocateNumber(trx, cultureBatch, { record: {}, now: new Date(), labCode: 'L01' })),
  ).rejects.toMatchObject({ status: 400, messageKey: 'numbering.fieldMissing' });
  expect(await knex('ct_numbering_counter').count({ n: '*' })).toEqual([{ n: '0' }]);
});
