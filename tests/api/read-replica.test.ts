import path from 'node:path';
import { createDatabase, dropDatabase } from '../support/pg';
import { create, startLabs, type Labs } from '../support/labs';
import { TEST_DATA_KEY } from '../support/app';
import { loadConfig } from '../../platform/config';
import { runDoctor } from '../../platform/cli/doctor';

// DATABASE_READ_URL: a second pool for exports and aggregates. Pointed at the same database (as a streaming replica
// holds the same data) it gets its own connections (application_name "celltrace-read"), so pg_stat_activity and the
// per-pool statement counter of /api/metrics show which queries went where.
const ROOT = path.resolve(__dirname, '../..');
let db: { name: string; url: string };
let L: Labs;

beforeAll(async () => {
  db = await createDatabase('ct_replica');
  L = await startLabs({ databaseUrl: db.url, env: { DATABASE_READ_URL: db.url } });
}, 60_000);
afterAll(async () => {
  await L?.stop();
  if (db) await dropDatabase(db.name);
});

const replicaQueries = async () => {
  const text = await (await fetch(`${L.t.url}/api/metrics`)).text();
  const m = /^celltrace_db_queries_total\{[^}]*pool="replica"[^}]*\} (\d+)/m.exec(text);
  if (!m) throw new Error('no replica counter in /api/metrics');
  return Number(m[1]);
};

it('exports and aggregates read the replica; lists and a record read after its write stay on the primary', async () => {
  const { techA, techB } = L.org;
  const mine = `副本客户${L.org.sfx}`;
  for (let i = 0; i < 3; i++) await create(L.t, techA.token, 'customer', { name: `${mine}${i}`, gender: 'F' });
  const r0 = await replicaQueries();
  // Read-your-writes: the record just written and the list reloaded after it come from the primary.
  const c = await create(L.t, techA.token, 'customer', { name: `${mine}3`, gender: 'M' });
  expect((await L.t.api('GET', `/api/v1/data/customer/${c.id}`, { token: techA.token })).body.data.name).toBe(`${mine}3`);
  const list = await L.t.api('GET', `/api/v1/data/customer?filter=${encodeURIComponent(JSON.stringify({ name: { startsWith: mine } }))}`, { token: techA.token });
  expect(list.body.data).toHaveLength(4);
  expect(await replicaQueries()).toBe(r0);

  const agg = await L.t.api('GET', `/api/v1/data/customer/aggregate?groupBy=gender&measures=count&filter=${encodeURIComponent(JSON.stringify({ name: { startsWith: mine } }))}`, { token: techA.token });
  expect(agg.status).toBe(200);
  expect(agg.body.data.map((r: any) => r.count).reduce((a: number, b: number) => a + b, 0)).toBe(4);
  const r1 = await replicaQueries();
  expect(r1).toBeGreaterThan(r0);
  const exp = await fetch(`${L.t.url}/api/v1/data/customer/export?format=csv&filter=${encodeURIComponent(JSON.stringify({ name: { startsWith: mine } }))}`, { headers: { Authorization: `Bearer ${techA.token}` } });
  expect(exp.status).toBe(200);
  expect((await exp.text()).split('\n').filter((l) => l.includes(mine))).toHaveLength(4);
  expect(await replicaQueries()).toBeGreaterThan(r1);

  // The replica's connections are its own, under their own application_name.
  const seen = await L.t.server.services.knex.raw(`select count(*)::int as n from pg_stat_activity where datname = ? and application_name = 'celltrace-read'`, [db.name]);
  expect(seen.rows[0].n).toBeGreaterThan(0);

  // The caller's row scope holds on the replica: another lab's technician counts none of lab A's customers.
  const other = await L.t.api('GET', `/api/v1/data/customer/aggregate?measures=count&filter=${encodeURIComponent(JSON.stringify({ name: { startsWith: mine } }))}`, { token: techB.token });
  expect(other.body.data[0]?.count ?? 0).toBe(0);
}, 60_000);

it('reads inside a write transaction use the primary; the replica service refuses writes', async () => {
  const records = L.t.server.services.records;
  expect(records.reader()).not.toBe(records);
  await L.t.server.services.knex.transaction(async (trx) => {
    const svc = records.withTrx(trx);
    expect(svc.reader()).toBe(svc);
  });
  const { systemContext } = await import('../../platform/context');
  await expect(records.reader().create(systemContext(), 'customer', { name: 'x', gender: 'F' })).rejects.toThrow(/cannot write/);
});

it('/api/ready and doctor report the replica', async () => {
  const r = await L.t.api('GET', '/api/ready');
  expect(r.status).toBe(200);
  expect(r.body.status).toBe('ready');
  expect(r.body.checks.replica).toMatchObject({ ok: true, standby: false });

  const env = { DATABASE_URL: db.url, CELLTRACE_DATA_KEY: TEST_DATA_KEY, TRUST_PROXY: 'true', HOST: '127.0.0.1', METRICS_TOKEN: 'x' };
  const same = await runDoctor(loadConfig({ ...env, DATABASE_READ_URL: db.url }, ROOT), env);
  expect(same.find((c) => c.name === 'read replica')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/not a standby/) });
  const down = await runDoctor(loadConfig({ ...env, DATABASE_READ_URL: 'postgres://postgres@127.0.0.1:1/none' }, ROOT), env);
  expect(down.find((c) => c.name === 'read replica')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/DATABASE_READ_URL/) });
  const none = await runDoctor(loadConfig(env, ROOT), env);
  expect(none.find((c) => c.name === 'read replica')).toBeUndefined();
}, 30_000);
