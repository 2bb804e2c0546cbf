import { createDatabase, dropDatabase } from '../support/pg';
import { startTestServer, type TestServer } from '../support/app';
import { createBatchStats } from '../../platform/records/create-batch';

// Group commit of concurrent creates (platform/records/create-batch.ts): many requests, one statement, and still
// every request gets its own record, its own audit row and its own error.
let ts: TestServer;
let db: { name: string; url: string };
let token: string;

const api = (m: string, p: string, o: Parameters<TestServer['api']>[2] = {}) => ts.api(m, p, { token, ...o });

beforeAll(async () => {
  db = await createDatabase('ct_batch');
  ts = await startTestServer({ databaseUrl: db.url });
  token = await ts.login();
  // An entity without numbering, join tables or after-hooks: its creates take the single-statement path.
  const probe = {
    $id: 'batchProbe', type: 'object', 'x-label': { 'zh-CN': '批量探针', en: 'Batch probe' }, required: ['name'],
    properties: {
      name: { type: 'string', maxLength: 20, 'x-unique': true, 'x-label': { 'zh-CN': '名称', en: 'Name' } },
      customer: { type: 'integer', 'x-ref': 'customer', 'x-label': { 'zh-CN': '客户', en: 'Customer' } },
      qty: { type: 'integer', 'x-label': { 'zh-CN': '数量', en: 'Quantity' } },
    },
  };
  const r = await api('PUT', '/api/v1/meta/entity/batchProbe', { body: { definition: probe, reason: 'test' } });
  expect(r.status).toBeLessThan(300);
});
afterAll(async () => {
  await ts?.stop();
  await dropDatabase(db.name);
});

const knex = () => ts.server.services.knex;

describe('concurrent creates are written together', () => {
  it('60 parallel creates: all written, several per statement, each with its own values and its own audit row', async () => {
    const before = { ...createBatchStats };
    const rs = await Promise.all(
      Array.from({ length: 60 }, (_, i) => api('POST', '/api/v1/data/batchProbe', { body: i % 3 ? { name: `p${i}`, qty: i } : { name: `p${i}` } })),
    );
    expect(rs.map((r) => r.status)).toEqual(Array(60).fill(201));
    expect(createBatchStats.batches).toBeGreaterThan(before.batches);
    expect(createBatchStats.records - before.records).toBeGreaterThan(createBatchStats.batches - before.batches);
    rs.forEach((r, i) => expect(r.body.data).toMatchObject({ name: `p${i}`, qty: i % 3 ? i : null, version: 1 }));
    // Omitted fields got their defaults, not another request's value.
    const stored = await knex()('batch_probe').orderBy('id').select('id', 'name', 'qty');
    expect(stored).toHaveLength(60);
    for (const s of stored) expect(s.qty).toBe(Number(s.name.slice(1)) % 3 ? Number(s.name.slice(1)) : null);
    const audits = await knex()('ct_audit').where({ entity: 'batchProbe', action: 'create' }).select('record_id', 'changes');
    expect(audits).toHaveLength(60);
    const nameOf = new Map(stored.map((s: any) => [Number(s.id), s.name]));
    for (const a of audits) expect(a.changes).toContainEqual({ field: 'name', from: null, to: nameOf.get(Number(a.record_id)) });
  });

  it('a refused create in a batch fails alone, with its own error; the others are written', async () => {
    const c = await api('POST', '/api/v1/data/customer', { body: { name: '批量客户' } });
    expect(c.status).toBe(201);
    const retried = createBatchStats.retried;
    const before = Number((await knex()('ct_audit').where({ entity: 'batchProbe' }).count({ n: '*' }).first())!.n);
    const bodies = Array.from({ length: 40 }, (_, i) =>
      i % 8 === 3 ? { name: `bad${i}`, customer: 987654 } : i % 8 === 5 ? { name: 'p1' } : { name: `ok${i}`, customer: c.body.data.id },
    );
    const rs = await Promise.all(bodies.map((body) => api('POST', '/api/v1/data/batchProbe', { body, lang: 'en' })));
    rs.forEach((r, i) => {
      if (i % 8 === 3) {
        expect(r.status).toBe(400);
        expect(r.body.error.details[0].path).toBe('/customer');
      } else if (i % 8 === 5) {
        expect(r.status).toBe(409);
        expect(JSON.stringify(r.body.error)).toContain('/name');
      } else {
        expect(r.status).toBe(201);
        expect(r.body.data).toMatchObject({ name: `ok${i}`, customer: c.body.data.id });
      }
    });
    expect(createBatchStats.retried).toBeGreaterThan(retried);
    const ok = rs.filter((r) => r.status === 201).length;
    expect(ok).toBe(30);
    const after = Number((await knex()('ct_audit').where({ entity: 'batchProbe' }).count({ n: '*' }).first())!.n);
    expect(after - before).toBe(ok);
    expect(await knex()('batch_probe').whereLike('name', 'bad%').count({ n: '*' }).first()).toEqual({ n: 0 });
  });
});
