import path from 'node:path';
import { startTestServer, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { orgFixture } from './auth-fixtures';
import { createPluginApi } from '../../platform/plugins/host';
import { pluginMigrationTable } from '../../platform/db/migrate';
import { createBatchStats } from '../../platform/records/create-batch';
import { systemContext } from '../../platform/context';

// The plugin SDK (platform/plugins/sdk) through a test plugin written only against it (tests/fixtures/plugins/sdkprobe).
const FIXTURE_PLUGINS = path.resolve(__dirname, '../fixtures/plugins');
let db: { name: string; url: string };
let t: TestServer;
let admin: string;
let fx: Awaited<ReturnType<typeof orgFixture>>;
const start = (plugins: string[]) => startTestServer({ databaseUrl: db.url, plugins, env: { PLUGINS_DIR: FIXTURE_PLUGINS } });

beforeAll(async () => {
  db = await createDatabase('ct_sdk');
  t = await start(['sdkprobe']);
  admin = await t.login();
  fx = await orgFixture(t, admin);
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await dropDatabase(db.name);
});

describe('records through the SDK', () => {
  it('createMany: one transaction, per-item plugin fields, lab, audit row each; a bad item names its index and writes nothing', async () => {
    const ok = await t.api('POST', '/api/v1/sdkprobe/bulk', { token: fx.techA.token, body: { names: ['Bulk 1', 'Bulk 2', 'Bulk 3'] } });
    expect(ok.status).toBe(200);
    expect(ok.body.data.map((r: any) => [r.name, r.remarks])).toEqual([['Bulk 1', 'bulk 0'], ['Bulk 2', 'bulk 1'], ['Bulk 3', 'bulk 2']]);
    const rows = await t.server.services.knex('customer').whereIn('id', ok.body.data.map((r: any) => r.id)).select('lab_id', 'created_by');
    expect(rows.every((r: any) => Number(r.lab_id) === fx.labA && Number(r.created_by) === fx.techA.id)).toBe(true);
    const audits = await t.server.services.knex('ct_audit').where({ entity: 'customer', action: 'create' }).whereIn('record_id', ok.body.data.map((r: any) => r.id));
    expect(audits).toHaveLength(3);
    const before = Number((await t.server.services.knex('customer').count({ n: '*' }).first())!.n);
    const bad = await t.api('POST', '/api/v1/sdkprobe/bulk', { token: fx.techA.token, body: { names: ['Fine', 'x'.repeat(500)] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('/1/name');
    expect(Number((await t.server.services.knex('customer').count({ n: '*' }).first())!.n)).toBe(before);
  });

  it("a value a before-hook writes is validated like the client's (400 naming the field, nothing written)", async () => {
    const r = await t.api('POST', '/api/v1/data/customer', { token: fx.techA.token, body: { name: 'HOOKBAD one' } });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: any) => d.path)).toContain('/remarks');
    expect(await t.server.services.knex('customer').where({ name: 'HOOKBAD one' }).first()).toBeUndefined();
  });

  it('scopedQuery: only the caller lab rows, no hidden or encrypted columns; joins on own tables keep the scope', async () => {
    const mk = async (tok: string, name: string) => (await t.api('POST', '/api/v1/data/customer', { token: tok, body: { name, phone: '13900001111' } })).body.data;
    const a = await mk(fx.techA.token, 'Scoped A');
    const b = await mk(fx.techB.token, 'Scoped B');
    const seen = (await t.api('GET', '/api/v1/sdkprobe/customers', { token: fx.techB.token })).body.data;
    expect(seen.map((r: any) => r.id)).toContain(b.id);
    expect(seen.map((r: any) => r.id)).not.toContain(a.id);
    for (const r of seen) {
      expect(r).not.toHaveProperty('idNumber'); // hidden for technicians
      expect(r).not.toHaveProperty('phone'); // encrypted: never in a scoped query
    }
    // Tags: lab B may not tag lab A's customer (404 like a missing one); its own tags come back with names.
    expect((await t.api('POST', '/api/v1/sdkprobe/tags', { token: fx.techB.token, body: { customer: a.id, tag: 'x' } })).status).toBe(404);
    expect((await t.api('POST', '/api/v1/sdkprobe/tags', { token: fx.techA.token, body: { customer: a.id, tag: 'frozen' } })).status).toBe(201);
    expect((await t.api('POST', '/api/v1/sdkprobe/tags', { token: fx.techB.token, body: { customer: b.id, tag: 'fresh' } })).status).toBe(201);
    const tagsB = (await t.api('GET', '/api/v1/sdkprobe/tags', { token: fx.techB.token })).body.data;
    expect(tagsB).toEqual([{ name: 'Scoped B', tag: 'fresh' }]);
  });

  it('settings are validated and audited; a plugin setting limits a route', async () => {
    const api = createPluginApi(t.server.services, { name: 'sdkprobe', settings: { schema: { type: 'object', properties: { maxTags: { type: 'integer', minimum: 1, maximum: 10 } }, additionalProperties: false }, defaults: { maxTags: 3 } } });
    const ctx = systemContext('en');
    await expect(api.settings().set(ctx, { maxTags: 0 })).rejects.toMatchObject({ status: 400 });
    expect(await api.settings().get()).toEqual({ maxTags: 3 });
    expect(await api.settings().set(ctx, { maxTags: 1 }, 'one tag per customer')).toEqual({ maxTags: 1 });
    const audit = await t.server.services.knex('ct_audit').where({ entity: 'plugin:sdkprobe', action: 'settings' }).orderBy('id', 'desc').first();
    expect(audit.reason).toBe('one tag per customer');
    const c = (await t.api('POST', '/api/v1/data/customer', { token: fx.techA.token, body: { name: 'Tag limit' } })).body.data;
    expect((await t.api('POST', '/api/v1/sdkprobe/tags', { token: fx.techA.token, body: { customer: c.id, tag: 'one' } })).status).toBe(201);
    const two = await t.api('POST', '/api/v1/sdkprobe/tags', { token: fx.techA.token, body: { customer: c.id, tag: 'two' } });
    expect([two.status, two.body.error.details[0].path]).toEqual([422, '/tag']);
  });
});

describe('one door', () => {
  it("a plugin's SQL may not name an entity or platform table; its own tables only by declaration", async () => {
    const api = createPluginApi(t.server.services, { name: 'sneaky', tables: ['sdkprobe_tag'] });
    await expect(api.db().raw('select name from customer')).rejects.toThrow(/names table "customer"/);
    await expect(api.db().raw('select * from ct_user')).rejects.toThrow(/names table "ct_user"/);
    expect(() => api.db().table('cryovial')).toThrow(/not one of its own/);
    await expect(api.db().table('sdkprobe_tag as t').join('customer as c', 'c.id', 't.customer_id').select('c.name')).rejects.toThrow(/names table "customer"/);
    // Its own table, joined to a scoped subquery, is fine.
    await expect(api.db().table('sdkprobe_tag as t').join(api.scopedQuery(systemContext(), 'customer', 'c'), 'c.id', 't.customer_id').select('c.name')).resolves.toEqual(expect.any(Array));
  });

  it('registries belong to one app instance', () => {
    const one = createPluginApi(t.server.services, { name: 'a' });
    const two = createPluginApi(t.server.services, { name: 'b' });
    expect(one.registry('sdkprobe.things')).toBe(two.registry('sdkprobe.things'));
    expect(one.registry<number>('sdkprobe.things').get('setup')).toBe(1);
    const other = createPluginApi({ ...t.server.services }, { name: 'a' });
    expect(other.registry('sdkprobe.things')).not.toBe(one.registry('sdkprobe.things'));
  });
});

describe('plugin migrations in their own namespace', () => {
  it("tracked in the plugin's table; an older install's rows move there; removing the plugin never breaks start-up", async () => {
    const knex = () => t.server.services.knex;
    const table = pluginMigrationTable('sdkprobe');
    expect((await knex()(table).select('name')).map((r: any) => r.name)).toEqual(['202612020000_sdkprobe']);
    // As an older version left it: the plugin's row in the platform's table.
    const row = await knex()(table).first('name', 'batch', 'migration_time');
    await knex()(table).delete();
    await knex()('ct_migrations').insert(row);
    await t.stop();
    t = await start(['sdkprobe']); // would fail re-creating sdkprobe_tag if the migration ran again
    expect(await knex()('ct_migrations').where({ name: row.name }).first()).toBeUndefined();
    expect(await knex()(table).where({ name: row.name }).first()).toBeTruthy();
    await t.stop();
    t = await start([]); // the plugin is gone: start-up does not care about its migrations
    expect((await t.api('GET', '/api/health')).status).toBe(200);
    await t.stop();
    t = await start(['sdkprobe']);
    admin = await t.login();
  }, 60_000);
});

describe('numbered creates are group-committed', () => {
  it('60 parallel numbered creates: several per transaction, distinct consecutive numbers, one audit row each', async () => {
    // Assets: numbered, with no multi-reference (a culture record's equipment list is one) and no plugin hooks here.
    const cat = (await t.api('POST', '/api/v1/data/equipmentCategory', { token: admin, body: { code: 'NUM', name: 'Numbered' } })).body.data;
    const before = { ...createBatchStats };
    const rs = await Promise.all(Array.from({ length: 60 }, (_x, i) => t.api('POST', '/api/v1/data/equipment', { token: admin, body: { name: `Numbered ${i}`, category: cat.id } })));
    expect(rs.map((r) => r.status)).toEqual(Array(60).fill(201));
    expect(createBatchStats.batches).toBeGreaterThan(before.batches);
    // EQ 00001: the five digits are the sequence.
    const seqs = rs.map((r) => Number(/(\d{5})$/.exec(r.body.data.code)![1])).sort((x, y) => x - y);
    expect(new Set(seqs).size).toBe(60);
    expect(seqs[59] - seqs[0]).toBe(59); // gapless within this burst
    const ids = rs.map((r) => r.body.data.id);
    const audits = await t.server.services.knex('ct_audit').where({ entity: 'equipment', action: 'create' }).whereIn('record_id', ids).count({ n: '*' }).first();
    expect(Number(audits!.n)).toBe(60);
  });
});
