import { validateOpenApi } from '../support/openapi';
import { createDatabase, dropDatabase } from '../support/pg';
import { startTestServer, type TestServer } from '../support/app';
import { exportPackage, diffPackage, importPackage } from '../../platform/metadata/package';
import { systemContext } from '../../platform/context';

let ts: TestServer;
let db: { name: string; url: string };
let token: string;

beforeAll(async () => {
  db = await createDatabase('ct_meta');
  ts = await startTestServer({ databaseUrl: db.url });
  token = await ts.login();
});
afterAll(async () => {
  await ts?.stop();
  await dropDatabase(db.name);
});
const api = (m: string, p: string, o: Parameters<TestServer['api']>[2] = {}) => ts.api(m, p, { token, ...o });

async function entityDef(id: string) {
  return (await api('GET', `/api/v1/meta/entity/${id}`)).body.data;
}

describe('metadata overlays are live without restart', () => {
  it('a field added to an entity is writable, filterable, in /meta and in /openapi.json on the next request', async () => {
    const def = await entityDef('customer');
    def.properties.bloodType = { type: 'string', enum: ['A', 'B', 'AB', 'O'], 'x-label': { 'zh-CN': '血型', en: 'Blood type' } };
    const save = await api('PUT', '/api/v1/meta/entity/customer', { body: { definition: def, reason: '登记血型' } });
    expect(save.status).toBe(200);
    expect(save.body.data.version).toBe(1);
    expect(save.body.data.diff).toEqual([expect.objectContaining({ path: '/properties/bloodType', type: 'CREATE' })]);

    const created = await api('POST', '/api/v1/data/customer', { body: { name: '血型', bloodType: 'AB' } });
    expect(created.status).toBe(201);
    expect(created.body.data.bloodType).toBe('AB');
    const filtered = await api('GET', `/api/v1/data/customer?filter=${encodeURIComponent(JSON.stringify({ bloodType: 'AB' }))}`);
    expect(filtered.body.data.map((r: any) => r.name)).toEqual(['血型']);
    const meta = await api('GET', '/api/v1/meta');
    expect(meta.body.entities.customer.properties.bloodType['x-label'].en).toBe('Blood type');
    const oa = await api('GET', '/api/openapi.json');
    expect(oa.body.components.schemas.CustomerInput.properties.bloodType.enum).toEqual(['A', 'B', 'AB', 'O']);
    const bad = await api('POST', '/api/v1/data/customer', { body: { name: 'x', bloodType: 'Z' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('/bloodType');
  });

  it('keeps who, when, why and the diff of every version, and rolls back by saving a new version', async () => {
    const def = await entityDef('customer');
    def.properties.bloodType['x-label'] = { 'zh-CN': 'ABO血型', en: 'ABO blood group' };
    await api('PUT', '/api/v1/meta/entity/customer', { body: { definition: def, reason: '改名' } });
    const versions = await api('GET', '/api/v1/meta/entity/customer/versions');
    expect(versions.body.data.map((v: any) => [v.version, v.reason, v.createdByName])).toEqual([
      [2, '改名', '系统管理员'],
      [1, '登记血型', '系统管理员'],
    ]);
    expect(versions.body.data[0].diff).toHaveLength(2);
    expect(versions.body.data[0].diff).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: '/properties/bloodType/x-label/zh-CN', from: '血型', to: 'ABO血型' }),
      expect.objectContaining({ path: '/properties/bloodType/x-label/en', from: 'Blood type', to: 'ABO blood group' }),
    ]));
    const rb = await api('POST', '/api/v1/meta/entity/customer/rollback', { body: { version: 1, reason: '恢复' } });
    expect(rb.status).toBe(200);
    expect(rb.body.data.version).toBe(3);
    expect((await entityDef('customer')).properties.bloodType['x-label'].en).toBe('Blood type');
  });

  it('refuses an invalid definition naming the JSON pointer, and a change without a reason', async () => {
    const def = await entityDef('customer');
    def.properties.weight = { type: 'number', 'x-precision': 99, 'x-label': { 'zh-CN': '体重', en: 'Weight' } };
    const r = await api('PUT', '/api/v1/meta/entity/customer', { body: { definition: def, reason: 'x' }, lang: 'en' });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe('/definition/properties/weight/x-precision');
    const noReason = await api('PUT', '/api/v1/meta/entity/customer', { body: { definition: await entityDef('customer') } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details[0].path).toBe('/reason');
    const badRef = await entityDef('customer');
    badRef.properties.doctor = { type: 'integer', 'x-ref': 'doctor', 'x-label': { 'zh-CN': '医生', en: 'Doctor' } };
    const r2 = await api('PUT', '/api/v1/meta/entity/customer', { body: { definition: badRef, reason: 'x' } });
    expect(r2.status).toBe(400);
    expect(r2.body.error.details[0].path).toBe('/definition/properties/doctor/x-ref');
  });

  it('refuses destructive changes unless an explicit migration is supplied, and then archives the data first', async () => {
    const def = await entityDef('customer');
    const changed = JSON.parse(JSON.stringify(def));
    changed.properties.bloodType = { type: 'integer', 'x-label': { 'zh-CN': '血型', en: 'Blood type' } };
    const typeChange = await api('PUT', '/api/v1/meta/entity/customer', { body: { definition: changed, reason: 'x' }, lang: 'en' });
    expect(typeChange.status).toBe(409);
    expect(typeChange.body.error.code).toBe('DESTRUCTIVE_CHANGE');
    expect(typeChange.body.error.message).toContain('customer.bloodType');

    const removed = JSON.parse(JSON.stringify(def));
    delete removed.properties.bloodType;
    const refused = await api('PUT', '/api/v1/meta/entity/customer', { body: { definition: removed, reason: 'x' } });
    expect(refused.status).toBe(409);
    const col = await ts.server.services.knex.raw(`select 1 from information_schema.columns where table_name = 'customer' and column_name = 'blood_type'`);
    expect(col.rows.length).toBe(1);

    const explicit = await api('PUT', '/api/v1/meta/entity/customer', { body: { definition: removed, reason: '不再登记血型', migration: { dropFields: ['bloodType'] } } });
    expect(explicit.status).toBe(200);
    const archived = await ts.server.services.knex('ct_meta_archive').where({ entity: 'customer', field: 'bloodType' });
    expect(archived.map((a: any) => a.value)).toEqual(['AB']);
  });

  it('a new entity with a list index gets its table, reference column and composite index', async () => {
    const entity = {
      $id: 'sampleReceipt', type: 'object', 'x-label': { 'zh-CN': '样本接收', en: 'Sample receipt' }, required: ['customer'],
      properties: {
        customer: { type: 'integer', 'x-ref': 'customer', 'x-label': { 'zh-CN': '客户', en: 'Customer' } },
        receivedOn: { type: 'string', format: 'date', 'x-label': { 'zh-CN': '接收日期', en: 'Received on' } },
        tags: { type: 'array', 'x-ref': 'customer', items: { type: 'integer' }, 'x-label': { 'zh-CN': '关联客户', en: 'Related customers' } },
      },
    };
    expect((await api('PUT', '/api/v1/meta/entity/sampleReceipt', { body: { definition: entity, reason: 'new' } })).status).toBe(200);
    const list = { $id: 'sampleReceipt', entity: 'sampleReceipt', columns: ['customer', 'receivedOn'], indexes: [['customer', 'receivedOn']] };
    expect((await api('PUT', '/api/v1/meta/list/sampleReceipt', { body: { definition: list, reason: 'new' } })).status).toBe(200);
    const ix = await ts.server.services.knex.raw(`select indexdef from pg_indexes where tablename = 'sample_receipt'`);
    expect(ix.rows.map((r: any) => r.indexdef).join('\n')).toMatch(/\(customer, received_on, id\) WHERE \(deleted_at IS NULL\)/);
    const c = await api('POST', '/api/v1/data/customer', { body: { name: '多选' } });
    const r = await api('POST', '/api/v1/data/sampleReceipt', { body: { customer: c.body.data.id, receivedOn: '2026-11-02', tags: [c.body.data.id] } });
    expect(r.status).toBe(201);
    expect(r.body.data.tags).toEqual([c.body.data.id]);
    const f = await api('GET', `/api/v1/data/sampleReceipt?filter=${encodeURIComponent(JSON.stringify({ tags: c.body.data.id }))}&expand=tags`);
    expect(f.body.data[0].tags$expanded[0].name).toBe('多选');
  });
});

describe('configuration packages move between instances', () => {
  it('export → diff → import onto a fresh instance reproduces the effective metadata', async () => {
    const pkg = exportPackage(ts.server.services.meta);
    const other = await createDatabase('ct_meta_target');
    const target = await startTestServer({ databaseUrl: other.url });
    try {
      const changes = diffPackage(target.server.services.meta, pkg);
      expect(changes.filter((c) => c.change !== 'removed').map((c) => `${c.change} ${c.kind}/${c.id}`).sort()).toEqual([
        'added entity/sampleReceipt', 'added list/sampleReceipt',
      ]);
      await importPackage(target.server.services.meta, pkg, systemContext(), 'test import');
      expect(diffPackage(target.server.services.meta, pkg)).toEqual([]);
      const t = await target.login();
      const r = await target.api('POST', '/api/v1/data/sampleReceipt', { token: t, body: { customer: (await target.api('POST', '/api/v1/data/customer', { token: t, body: { name: 'x' } })).body.data.id } });
      expect(r.status).toBe(201);
    } finally {
      await target.stop();
      await dropDatabase(other.name);
    }
  });
});

describe('OpenAPI', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = (await api('GET', '/api/openapi.json')).body;
    const r = validateOpenApi(doc);
    expect(r.errors).toBeUndefined();
    expect(r).toMatchObject({ valid: true, version: '3.1' });
  });
  it('serves a browsable reference page', async () => {
    const r = await ts.api('GET', '/api/docs');
    expect(r.status).toBe(200);
    expect(r.body).toContain('CellTrace API');
  });
});
