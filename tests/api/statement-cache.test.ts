import type { Knex } from 'knex';
import { createKnex, StatementCache } from '../../platform/db/connection';
import { createDatabase, dropDatabase } from '../support/pg';

let db: { name: string; url: string };
let knex: Knex;
let cache: StatementCache;

beforeAll(async () => {
  db = await createDatabase('celltrace_stmt');
  cache = new StatementCache(3, 3);
  // One connection, so pg_prepared_statements shows what this pool prepared.
  knex = createKnex(db.url, { poolMax: 1, statementCache: cache });
  await knex.raw('create table t (id bigserial primary key, a text, b int)');
  await knex('t').insert([{ a: 'x', b: 1 }, { a: 'y', b: 2 }]);
});

afterAll(async () => {
  await knex?.destroy();
  if (db) await dropDatabase(db.name);
});

const prepared = async (): Promise<string[]> => (await knex.raw('select statement from pg_prepared_statements order by statement')).rows.map((r: any) => r.statement as string);

describe('statement cache', () => {
  it('prepares a parameterised text only after it repeated, and answers the same', async () => {
    const q = () => knex('t').select('id', 'a').where('b', 2);
    for (let i = 0; i < 2; i++) expect(await q()).toEqual([{ id: 2, a: 'y' }]);
    expect(await prepared()).toEqual([]);
    for (let i = 0; i < 3; i++) expect(await q()).toEqual([{ id: 2, a: 'y' }]);
    expect(await prepared()).toEqual([expect.stringContaining('select "id", "a" from "t" where "b" = $1')]);
  });

  it('a prepared statement survives a column added to its table (the schema changes live)', async () => {
    await knex.raw('alter table t add column c text');
    expect(await knex('t').select('id', 'a').where('b', 2)).toEqual([{ id: 2, a: 'y' }]);
  });

  it('never prepares `*` texts (a cached plan must not change its result type) and stops at its cap', async () => {
    for (let i = 0; i < 5; i++) await knex('t').select('*').where('b', 1);
    expect((await prepared()).some((s: string) => s.includes('*'))).toBe(false);
    for (const col of ['a', 'b', 'c', 'id']) for (let i = 0; i < 4; i++) await knex('t').select(col).where('id', 1);
    expect(cache.size).toBe(3);
    expect(await prepared()).toHaveLength(3);
  });
});
