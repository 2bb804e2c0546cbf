import path from 'node:path';
import ExcelJS from 'exceljs';
import { createDatabase, dropDatabase } from '../support/pg';
import { startTestServer, type TestServer } from '../support/app';
import { orderFor } from '../support/labs';

let ts: TestServer;
let db: { name: string; url: string };
let token: string;
const FIXTURE_PLUGINS = path.resolve(__dirname, '../fixtures/plugins');

beforeAll(async () => {
  db = await createDatabase('ct_core');
  ts = await startTestServer({ databaseUrl: db.url, env: { PLUGINS_DIR: FIXTURE_PLUGINS } });
  token = await ts.login();
});
afterAll(async () => {
  await ts?.stop();
  await dropDatabase(db.name);
});

const api = (m: string, p: string, o: Parameters<TestServer['api']>[2] = {}) => ts.api(m, p, { token, ...o });

async function customer(name: string, extra: Record<string, unknown> = {}) {
  const r = await api('POST', '/api/v1/data/customer', { body: { name, ...extra } });
  expect(r.status).toBe(201);
  return r.body.data;
}

describe('health and authentication', () => {
  it('reports the database kind', async () => {
    const r = await ts.api('GET', '/api/health');
    expect(r.body).toEqual({ status: 'ok', database: 'postgres', version: expect.any(String) });
  });
  it('refuses data without a session, in the caller language', async () => {
    const zh = await ts.api('GET', '/api/v1/data/customer');
    expect(zh.status).toBe(401);
    expect(zh.body.error.message).toBe('请先登录');
    const en = await ts.api('GET', '/api/v1/data/customer', { lang: 'en' });
    expect(en.body.error.message).toBe('Please log in');
  });
  it('a wrong password is refused', async () => {
    const r = await ts.api('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'nope' } });
    expect(r.status).toBe(401);
  });
});

describe('record pipeline: create, validate, update, delete', () => {
  it('creates a culture record with a generated batch code and a reference to its customer (R-3.2.2)', async () => {
    const c = await customer('张伟');
    expect(c.customerCode).toMatch(/^C\d{4}\d{6}$/);
    const r = await api('POST', '/api/v1/data/cultureRecord', {
      body: { customer: c.id, order: await orderFor(ts, c.id), cellKind: 'immune', cultureDate: '2026-11-20', totalCells: 1200, viability: 92.5, expansionFold: 35, cd3Ratio: 88.2 },
    });
    expect(r.status).toBe(201);
    expect(r.body.data.batchCode).toMatch(/^CBI\d{6}\d{4}[0-9A-Z*]$/);
    expect(r.body.data.version).toBe(1);
  });

  it('the stem-cell variant requires passage, the immune variant requires CD3+ ratio: field-level errors in zh-CN and en', async () => {
    const c = await customer('李娜');
    const base = { customer: c.id, order: await orderFor(ts, c.id), cultureDate: '2026-11-21', totalCells: 10, viability: 90 };
    const zh = await api('POST', '/api/v1/data/cultureRecord', { body: { ...base, cellKind: 'stem' } });
    expect(zh.status).toBe(400);
    expect(zh.body.error.code).toBe('VALIDATION_FAILED');
    expect(zh.body.error.details).toEqual([{ path: '/passage', message: '应当有必需属性 passage' }]);
    const en = await api('POST', '/api/v1/data/cultureRecord', { body: { ...base, cellKind: 'immune', viability: 120 }, lang: 'en' });
    expect(en.status).toBe(400);
    const paths = en.body.error.details.map((d: any) => d.path).sort();
    expect(paths).toEqual(['/cd3Ratio', '/expansionFold', '/viability']);
    expect(en.body.error.details.find((d: any) => d.path === '/viability').message).toBe('must be <= 100');
  });

  it('unknown fields, read-only fields, bad JSON and unknown references are 4xx naming the field, never 500', async () => {
    const u = await api('POST', '/api/v1/data/customer', { body: { name: 'x', shoeSize: 42 } });
    expect(u.status).toBe(400);
    expect(u.body.error.details[0].path).toBe('/shoeSize');
    const ro = await api('POST', '/api/v1/data/customer', { body: { name: 'x', customerCode: 'HACK' } });
    expect(ro.status).toBe(400);
    expect(ro.body.error.details[0].path).toBe('/customerCode');
    const bad = await api('POST', '/api/v1/data/customer', { raw: '{"name":', headers: { 'Content-Type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BAD_REQUEST');
    const ref = await api('POST', '/api/v1/data/cultureRecord', {
      body: { customer: 999999, order: await orderFor(ts, (await customer('引用')).id), cellKind: 'stem', passage: 1, cultureDate: '2026-11-20', totalCells: 1, viability: 90 },
    });
    expect(ref.status).toBe(400);
    expect(ref.body.error.details[0].path).toBe('/customer');
    const dict = await api('POST', '/api/v1/data/customer', { body: { name: 'x', gender: 'Q' } });
    expect(dict.status).toBe(400);
    expect(dict.body.error.details[0]).toMatchObject({ path: '/gender' });
    const unknown = await api('GET', '/api/v1/data/noSuchThing');
    expect(unknown.status).toBe(404);
  });

  it('updates with an optimistic lock: a stale version gets 409 naming the current version', async () => {
    const c = await customer('王强');
    const ok = await api('PATCH', `/api/v1/data/customer/${c.id}`, { body: { version: 1, phone: '13900000000' } });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ version: 2, phone: '13900000000' });
    const stale = await api('PATCH', `/api/v1/data/customer/${c.id}`, { body: { version: 1, phone: '13911111111' }, lang: 'en' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('VERSION_CONFLICT');
    expect(stale.body.error.details[0]).toMatchObject({ path: '/version', currentVersion: 2 });
    const missing = await api('PATCH', `/api/v1/data/customer/${c.id}`, { body: { phone: '1' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].path).toBe('/version');
  });

  it('two concurrent updates of one version: exactly one wins', async () => {
    const c = await customer('并发');
    const rs = await Promise.all(
      ['13000000001', '13000000002', '13000000003'].map((phone) => api('PATCH', `/api/v1/data/customer/${c.id}`, { body: { version: 1, phone } })),
    );
    expect(rs.map((r) => r.status).sort()).toEqual([200, 409, 409]);
  });

  it('soft delete hides the record and keeps its history', async () => {
    const c = await customer('删除我');
    const d = await api('DELETE', `/api/v1/data/customer/${c.id}?version=1`);
    expect(d.status).toBe(200);
    expect((await api('GET', `/api/v1/data/customer/${c.id}`)).status).toBe(404);
    const row = await ts.server.services.knex('customer').where({ id: c.id }).first();
    expect(row.deleted_at).not.toBeNull();
    const audit = await ts.server.services.knex('ct_audit').where({ entity: 'customer', record_id: c.id }).orderBy('id');
    expect(audit.map((a: any) => a.action)).toEqual(['create', 'delete']);
  });

  it('history lists each write with the changed fields, old and new values', async () => {
    const c = await customer('历史');
    await api('PATCH', `/api/v1/data/customer/${c.id}`, { body: { version: 1, address: '上海市' } });
    const h = await api('GET', `/api/v1/data/customer/${c.id}/history`);
    expect(h.status).toBe(200);
    expect(h.body.data.map((x: any) => x.action)).toEqual(['create', 'update']);
    expect(h.body.data[1].changes).toEqual([{ field: 'address', from: null, to: '上海市' }]);
    expect(h.body.data[1].byName).toBe('系统管理员');
  });
});

describe('plugins: hooks inside the transaction, veto, actions', () => {
  it('a before-hook veto is a 422 with the translated reason and writes nothing', async () => {
    const before = await ts.server.services.knex('customer').count({ n: '*' }).first();
    const r = await api('POST', '/api/v1/data/customer', { body: { name: 'VETO' }, lang: 'en' });
    expect(r.status).toBe(422);
    expect(r.body.error.message).toBe('Customer name is blocked: VETO');
    const after = await ts.server.services.knex('customer').count({ n: '*' }).first();
    expect(after).toEqual(before);
  });
  it('an after-hook failure rolls back the row and its audit record', async () => {
    const auditBefore = (await ts.server.services.knex('ct_audit').count({ n: '*' }).first()) as any;
    const r = await api('POST', '/api/v1/data/customer', { body: { name: 'FAIL-AFTER' } });
    expect(r.status).toBe(422);
    expect(await ts.server.services.knex('customer').where({ name: 'FAIL-AFTER' }).first()).toBeUndefined();
    const auditAfter = (await ts.server.services.knex('ct_audit').count({ n: '*' }).first()) as any;
    expect(auditAfter.n).toBe(auditBefore.n);
  });
  it('a plugin action runs through the pipeline, validates its input and is audited', async () => {
    const c = await customer('动作');
    const bad = await api('POST', `/api/v1/data/customer/${c.id}/actions/touch`, { body: { note: 7 } });
    expect(bad.status).toBe(400);
    const ok = await api('POST', `/api/v1/data/customer/${c.id}/actions/touch`, { body: { note: 'hi' } });
    expect(ok.status).toBe(200);
    expect(ok.body.data.remarks).toBe('touched: hi');
    const h = await api('GET', `/api/v1/data/customer/${c.id}/history`);
    expect(h.body.data.map((x: any) => x.action)).toEqual(['create', 'update', 'action:touch']);
    expect((await api('POST', `/api/v1/data/customer/${c.id}/actions/nope`, { body: {} })).status).toBe(404);
  });
});

describe('lists: filter language, sort, paging, expand', () => {
  let ids: number[] = [];
  beforeAll(async () => {
    const owner = await customer('列表客户甲');
    const other = await customer('Other Customer');
    ids = [];
    for (let i = 0; i < 12; i++) {
      const r = await api('POST', '/api/v1/data/cultureRecord', {
        body: {
          customer: i % 2 ? owner.id : other.id, order: await orderFor(ts, i % 2 ? owner.id : other.id), cellKind: i % 3 ? 'stem' : 'immune', passage: i, expansionFold: 10, cd3Ratio: 50,
          cultureDate: `2026-10-${String(10 + i).padStart(2, '0')}`, totalCells: 100 + i, viability: 80 + i, observations: i === 5 ? '100%_王' : `op${i}`,
        },
      });
      expect(r.status).toBe(201);
      ids.push(r.body.data.id);
    }
  });
  const list = (q: Record<string, unknown>) =>
    api('GET', `/api/v1/data/cultureRecord?${new URLSearchParams(Object.entries(q).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString()}`);

  it('supports every operator', async () => {
    const f = async (filter: unknown) => (await list({ filter, limit: '1000', sort: 'id' })).body.data.map((r: any) => r.id).filter((id: number) => ids.includes(id));
    expect(await f({ viability: { gte: 90 } })).toEqual(ids.slice(10));
    expect(await f({ viability: { gt: 90, lt: 92 } })).toEqual([ids[11]]);
    expect(await f({ passage: { lte: 1 } })).toEqual(ids.slice(0, 2));
    expect(await f({ passage: { in: [3, 4] } })).toEqual([ids[3], ids[4]]);
    expect((await f({ passage: { nin: [0, 1, 2] } })).length).toBe(9);
    expect(await f({ passage: { between: [2, 3] } })).toEqual([ids[2], ids[3]]);
    expect(await f({ passage: 7 })).toEqual([ids[7]]);
    expect((await f({ passage: { ne: 7 } })).length).toBe(11);
    expect(await f({ cultureDate: { between: ['2026-10-11', '2026-10-12'] } })).toEqual([ids[1], ids[2]]);
    // LIKE wildcards in the value are literals
    expect(await f({ observations: { contains: '0%_' } })).toEqual([ids[5]]);
    expect(await f({ observations: { startsWith: 'OP1' } })).toEqual([ids[1], ids[10], ids[11]]);
    expect((await f({ morphology: { isNull: true } })).length).toBe(12);
    expect(await f({ or: [{ passage: 0 }, { passage: 11 }] })).toEqual([ids[0], ids[11]]);
    expect(await f({ and: [{ cellKind: 'immune' }, { not: { passage: 0 } }] })).toEqual([ids[3], ids[6], ids[9]]);
    expect((await f({ 'customer.name': { contains: '甲' } })).length).toBe(6);
  });

  it('sorts on several fields and pages by offset and by keyset cursor without gaps or repeats', async () => {
    const all = (await list({ filter: { id: { in: ids } }, sort: 'cellKind,-viability', limit: '100' })).body.data.map((r: any) => r.id);
    expect(all.length).toBe(12);
    const seen: number[] = [];
    let after: string | undefined;
    for (;;) {
      const r = await list({ filter: { id: { in: ids } }, sort: 'cellKind,-viability', limit: '5', ...(after ? { after } : {}) });
      seen.push(...r.body.data.map((x: any) => x.id));
      after = r.body.page.nextCursor;
      if (!after) break;
    }
    expect(seen).toEqual(all);
    const p2 = await list({ filter: { id: { in: ids } }, sort: 'cellKind,-viability', limit: '5', offset: '5' });
    expect(p2.body.data.map((x: any) => x.id)).toEqual(all.slice(5, 10));
    const counted = await list({ filter: { id: { in: ids } }, count: 'true', limit: '1' });
    expect(counted.body.page.total).toBe(12);
    const byRef = await list({ filter: { id: { in: ids } }, sort: 'customer.name,id', limit: '100' });
    expect(byRef.status).toBe(200);
  });

  it('selects fields and expands references', async () => {
    const r = await list({ filter: { id: ids[1] }, fields: 'batchCode,customer', expand: 'customer' });
    expect(Object.keys(r.body.data[0]).sort()).toEqual(['batchCode', 'customer', 'customer$expanded', 'id']);
    expect(r.body.data[0].customer$expanded.name).toBe('列表客户甲');
  });

  it('unknown fields and operators, wrong value types and injection attempts are 400 BAD_FILTER naming the path', async () => {
    const cases: [unknown, string][] = [
      [{ nope: 1 }, '/filter/nope'],
      [{ viability: { like: 1 } }, '/filter/viability/like'],
      [{ viability: { gte: 'abc' } }, '/filter/viability/gte'],
      [{ cultureDate: { gt: "2026-01-01'; drop table customer; --" } }, '/filter/cultureDate/gt'],
      [{ 'customer.password_hash': { eq: 'x' } }, '/filter/customer.password_hash'],
      [{ 'customer.customer.name': 'x' }, '/filter/customer.customer.name'],
      [{ 'id; drop table customer': 1 }, '/filter/id; drop table customer'],
      [{ or: {} }, '/filter/or'],
      [{ passage: { in: [] } }, '/filter/passage/in'],
      [{ passage: { between: [1] } }, '/filter/passage/between'],
      [{ viability: { contains: 'x' } }, '/filter/viability/contains'],
      [{ extra: { eq: 1 } }, '/filter/extra/eq'],
    ];
    for (const [filter, p] of cases) {
      const r = await list({ filter });
      expect({ filter, status: r.status, code: r.body.error?.code }).toEqual({ filter, status: 400, code: 'BAD_FILTER' });
      expect(r.body.error.details[0].path).toBe(p);
    }
    expect((await list({ filter: 'not json' })).status).toBe(400);
    expect((await list({ sort: 'nope' })).status).toBe(400);
    expect((await list({ limit: '100000' })).status).toBe(400);
    expect((await list({ after: 'garbage' })).status).toBe(400);
    expect(await ts.server.services.knex('customer').count({ n: '*' }).first()).toBeDefined();
  });
});

describe('import and export', () => {
  it('exports the current filter as CSV and XLSX', async () => {
    await customer('导出甲', { phone: '13100000001' });
    await customer('导出乙', { phone: '13100000002' });
    const csv = await fetch(`${ts.url}/api/v1/data/customer/export?format=csv&filter=${encodeURIComponent(JSON.stringify({ name: { startsWith: '导出' } }))}&sort=name`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(csv.status).toBe(200);
    const text = await csv.text();
    const lines = text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toContain('姓名');
    expect(lines.slice(1).map((l) => l.split(',')[2])).toEqual(['导出乙', '导出甲'].sort());
    const xlsx = await fetch(`${ts.url}/api/v1/data/customer/export?format=xlsx&filter=${encodeURIComponent(JSON.stringify({ name: { startsWith: '导出' } }))}`, {
      headers: { Authorization: `Bearer ${token}`, 'Accept-Language': 'en' },
    });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await xlsx.arrayBuffer()) as any);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).values).toContain('Name');
    expect(ws.rowCount).toBe(3);
  });

  it('imports all-or-nothing with per-row errors, or the good rows in partial mode', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('x');
    ws.addRow(['姓名', 'Gender', 'phone']);
    ws.addRow(['导入一', '女', '13200000001']);
    ws.addRow(['', 'M', '13200000002']);
    ws.addRow(['导入三', 'Q', '13200000003']);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    const all = await api('POST', '/api/v1/data/customer/import?format=xlsx', { raw: buf, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(all.status).toBe(200);
    expect(all.body.imported).toBe(0);
    expect(all.body.errors.map((e: any) => [e.row, e.path])).toEqual([
      [3, '/name'],
      [4, '/gender'],
    ]);
    expect(await ts.server.services.knex('customer').where({ name: '导入一' }).first()).toBeUndefined();
    const partial = await api('POST', '/api/v1/data/customer/import?format=xlsx&mode=partial', { raw: buf, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(partial.body.imported).toBe(1);
    const row = await ts.server.services.knex('customer').where({ name: '导入一' }).first();
    expect(row.gender).toBe('F');
  });
});

describe('numbering under load', () => {
  it('500 parallel creates get distinct batch codes without gaps', async () => {
    const c = await customer('编号');
    const order = await orderFor(ts, c.id);
    const results = await Promise.all(
      Array.from({ length: 500 }, () =>
        api('POST', '/api/v1/data/cultureRecord', { body: { customer: c.id, order, cellKind: 'stem', passage: 1, cultureDate: '2026-11-01', totalCells: 1, viability: 90 } }),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    const codes = results.map((r) => r.body.data.batchCode as string);
    expect(new Set(codes).size).toBe(500);
    const today = codes.map((s) => Number(s.slice(9, 13))).sort((a, b) => a - b);
    // sequences of this prefix are contiguous: max - min + 1 == count (other tests may have used the same day's counter earlier)
    expect(today[today.length - 1] - today[0] + 1).toBe(500);
  });
});

describe('single-statement create (no numbering, no join rows, no after-hooks)', () => {
  beforeAll(async () => {
    const def = {
      $id: 'labNote', type: 'object', 'x-label': { 'zh-CN': '实验备注', en: 'Lab note' }, required: ['code'],
      properties: {
        code: { type: 'string', maxLength: 20, 'x-unique': true, 'x-label': { 'zh-CN': '编号', en: 'Code' } },
        customer: { type: 'integer', 'x-ref': 'customer', 'x-label': { 'zh-CN': '客户', en: 'Customer' } },
        amount: { type: 'number', 'x-precision': 8, 'x-scale': 2, 'x-label': { 'zh-CN': '数量', en: 'Amount' } },
      },
    };
    expect((await api('PUT', '/api/v1/meta/entity/labNote', { body: { definition: def, reason: 'test' } })).status).toBe(200);
  });
  it('writes the row and its audit entry atomically and maps constraint errors to the field', async () => {
    const ok = await api('POST', '/api/v1/data/labNote', { body: { code: 'N-1', amount: 2.5 } });
    expect(ok.status).toBe(201);
    expect(ok.body.data).toMatchObject({ code: 'N-1', amount: 2.5, version: 1 });
    const audit = await ts.server.services.knex('ct_audit').where({ entity: 'labNote', record_id: ok.body.data.id });
    expect(audit).toHaveLength(1);
    expect(audit[0].changes).toEqual([{ field: 'code', from: null, to: 'N-1' }, { field: 'amount', from: null, to: 2.5 }]);

    const dup = await api('POST', '/api/v1/data/labNote', { body: { code: 'N-1' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details[0].path).toBe('/code');
    const fk = await api('POST', '/api/v1/data/labNote', { body: { code: 'N-2', customer: 424242 } });
    expect(fk.status).toBe(400);
    expect(fk.body.error.details[0].path).toBe('/customer');
    expect(await ts.server.services.knex('ct_audit').where({ entity: 'labNote' })).toHaveLength(1);
    expect(await ts.server.services.knex('lab_note')).toHaveLength(1);
  });
});

describe('who am I', () => {
  it('answers null without credentials and 401 for a dead token', async () => {
    const anon = await ts.api('GET', '/api/v1/auth/me');
    expect(anon).toMatchObject({ status: 200, body: { user: null } });
    expect((await ts.api('GET', '/api/v1/auth/me', { token: 'not-a-token' })).status).toBe(401);
    expect((await ts.api('GET', '/api/v1/auth/me', { token })).body.user.username).toBe('admin');
  });
});
