import { startTestServer, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { orgFixture } from './auth-fixtures';
import { withOrder } from '../support/labs';

// Issue 16 items 3 and 4: people and references by name. User references (`x-user`) default to the signed-in user,
// name only enabled users of the writer's labs (administrators: anyone), and read back with the person's name;
// `x-ref-filter` is enforced by the server; a record's history names people and referenced records.
let t: TestServer;
let db: { name: string; url: string };
let admin: string;
let org: Awaited<ReturnType<typeof orgFixture>>;

beforeAll(async () => {
  db = await createDatabase();
  t = await startTestServer({ databaseUrl: db.url });
  admin = await t.login();
  org = await orgFixture(t, admin);
}, 120_000);

afterAll(async () => {
  await t?.stop();
  if (db) await dropDatabase(db.name);
});

const culture = (customer: number, extra: Record<string, unknown> = {}) => withOrder(t, {
  customer, cellKind: 'stem', cellType: 'UC-MSC', cultureDate: '2026-11-02', totalCells: 120, viability: 95, passage: 2, ...extra,
});

async function customerOf(token: string, name: string): Promise<number> {
  const r = await t.api('POST', '/api/v1/data/customer', { token, body: { name } });
  expect(r.status).toBe(201);
  return r.body.data.id;
}

describe('user references (x-user)', () => {
  it('"current" defaults to the signed-in user and reads back with the display name', async () => {
    const c = await customerOf(org.techA.token, '张伟');
    const r = await t.api('POST', '/api/v1/data/cultureRecord', { token: org.techA.token, body: await culture(c) });
    expect(r.status).toBe(201);
    expect(r.body.data.operator).toBe(org.techA.id);
    const got = await t.api('GET', `/api/v1/data/cultureRecord/${r.body.data.id}?expand=updatedBy`, { token: org.techA.token });
    expect(got.body.data.operator$expanded).toEqual({ id: org.techA.id, displayName: 'techA' });
    expect(got.body.data.updatedBy$expanded).toEqual({ id: org.techA.id, displayName: 'techA' });
    // In lists too, and filterable by id and by name; sortable.
    const byId = await t.api('GET', `/api/v1/data/cultureRecord?filter=${encodeURIComponent(JSON.stringify({ operator: org.techA.id }))}&sort=operator`, { token: org.techA.token });
    expect(byId.status).toBe(200);
    expect(byId.body.data.map((x: any) => x.id)).toContain(r.body.data.id);
    expect(byId.body.data[0].operator$expanded.displayName).toBe('techA');
    const byName = await t.api('GET', `/api/v1/data/cultureRecord?filter=${encodeURIComponent(JSON.stringify({ 'operator.displayName': { contains: 'chA' } }))}`, { token: org.techA.token });
    expect(byName.body.data.map((x: any) => x.id)).toContain(r.body.data.id);
    const none = await t.api('GET', `/api/v1/data/cultureRecord?filter=${encodeURIComponent(JSON.stringify({ 'operator.displayName': { eq: 'nobody' } }))}`, { token: org.techA.token });
    expect(none.body.data).toEqual([]);
  });

  it('an unknown or disabled user is a 422 naming the field, in zh-CN and en', async () => {
    const c = await customerOf(org.techA.token, '李娜');
    const unknown = await t.api('POST', '/api/v1/data/cultureRecord', { token: org.techA.token, body: await culture(c, { operator: 987654 }) });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details).toEqual([expect.objectContaining({ path: '/operator', message: expect.stringContaining('人员') })]);
    const colleague = await org.user('colleagueA', org.labA, ['technician']);
    expect((await t.api('POST', `/api/v1/admin/users/${colleague.id}/disable`, { token: admin, body: { reason: 'left' } })).status).toBe(200);
    const disabled = await t.api('POST', '/api/v1/data/cultureRecord', { token: org.techA.token, body: await culture(c, { operator: colleague.id }), lang: 'en' });
    expect(disabled.status).toBe(422);
    expect(disabled.body.error.details[0]).toMatchObject({ path: '/operator', message: expect.stringMatching(/disabled/) });
    // A wrong type is still the schema's 400.
    expect((await t.api('POST', '/api/v1/data/cultureRecord', { token: org.techA.token, body: await culture(c, { operator: '何晓明' }) })).status).toBe(400);
  });

  it('lab isolation: a technician names users of their own lab only, and the picker lists only those', async () => {
    const c = await customerOf(org.techA.token, '王芳');
    const mate = await org.user('mateA', org.labA, ['technician']);
    const ok = await t.api('POST', '/api/v1/data/cultureRecord', { token: org.techA.token, body: await culture(c, { operator: mate.id }) });
    expect(ok.status).toBe(201);
    const other = await t.api('POST', '/api/v1/data/cultureRecord', { token: org.techA.token, body: await culture(c, { operator: org.techB.id }) });
    expect(other.status).toBe(422);
    expect(other.body.error.details[0].path).toBe('/operator');

    const picker = await t.api('GET', '/api/v1/users?q=', { token: org.techA.token });
    expect(picker.status).toBe(200);
    const names = picker.body.data.map((u: any) => u.displayName);
    expect(names).toEqual(expect.arrayContaining(['techA', 'mateA']));
    expect(names).not.toContain('techB');
    expect(Object.keys(picker.body.data[0]).sort()).toEqual(['displayName', 'id', 'orgName']);
    // Looking up another lab's user by id gives nothing either; a name search finds only own-lab people.
    expect((await t.api('GET', `/api/v1/users?ids=${org.techB.id}`, { token: org.techA.token })).body.data).toEqual([]);
    expect((await t.api('GET', '/api/v1/users?q=mate', { token: org.techA.token })).body.data.map((u: any) => u.displayName)).toEqual(['mateA']);
    expect((await t.api('GET', '/api/v1/users?ids=1,x', { token: org.techA.token })).status).toBe(400);
    // An administrator may name anyone.
    const all = await t.api('GET', '/api/v1/users?q=tech', { token: admin });
    expect(all.body.data.map((u: any) => u.displayName)).toEqual(expect.arrayContaining(['techA', 'techB']));
  });
});

describe('x-ref-filter and history with names', () => {
  const entity = (id: string, properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    $id: id, type: 'object', 'x-label': { 'zh-CN': id, en: id }, 'x-scope': 'global', properties, ...extra,
  });
  beforeAll(async () => {
    const put = async (def: Record<string, any>) => {
      const r = await t.api('PUT', `/api/v1/meta/entity/${def.$id}`, { token: admin, body: { definition: def, reason: 'test' } });
      expect(r.status).toBe(200);
    };
    await put(entity('plate', { code: { type: 'string', maxLength: 20, 'x-label': { 'zh-CN': '板号', en: 'Plate' } }, project: { type: 'string', maxLength: 20, 'x-label': { 'zh-CN': '项目', en: 'Project' } } }, { 'x-title': 'code', 'x-label': { 'zh-CN': '培养板', en: 'Plate' } }));
    await put(entity('tray', {
      project: { type: 'string', maxLength: 20, 'x-label': { 'zh-CN': '项目', en: 'Project' } },
      plate: { type: 'integer', 'x-ref': 'plate', 'x-ref-filter': { project: { $field: 'project' } }, 'x-label': { 'zh-CN': '培养板', en: 'Plate' } },
      plates: { type: 'array', items: { type: 'integer' }, 'x-ref': 'plate', 'x-ref-filter': { project: { $field: 'project' } }, 'x-label': { 'zh-CN': '其他培养板', en: 'Other plates' } },
      checker: { type: 'integer', 'x-user': true, 'x-label': { 'zh-CN': '核对人', en: 'Checked by' } },
    }));
  });

  it('a reference outside the filter is refused with a 422 naming the field, on create and update', async () => {
    const p1 = (await t.api('POST', '/api/v1/data/plate', { token: admin, body: { code: 'P-1', project: 'A' } })).body.data;
    const p2 = (await t.api('POST', '/api/v1/data/plate', { token: admin, body: { code: 'P-2', project: 'B' } })).body.data;
    const bad = await t.api('POST', '/api/v1/data/tray', { token: admin, body: { project: 'A', plate: p2.id } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: '/plate', message: '所选的培养板与本单的项目不符' })]);
    const badMulti = await t.api('POST', '/api/v1/data/tray', { token: admin, body: { project: 'A', plates: [p1.id, p2.id] }, lang: 'en' });
    expect(badMulti.status).toBe(422);
    expect(badMulti.body.error.details[0]).toMatchObject({ path: '/plates', message: "The chosen Plate does not match this record's Project" });
    const ok = await t.api('POST', '/api/v1/data/tray', { token: admin, body: { project: 'A', plate: p1.id, plates: [p1.id] } });
    expect(ok.status).toBe(201);
    // Changing the field the filter depends on re-checks the unchanged reference.
    const moved = await t.api('PATCH', `/api/v1/data/tray/${ok.body.data.id}`, { token: admin, body: { version: ok.body.data.version, project: 'B', plates: [] } });
    expect(moved.status).toBe(422);
    expect(moved.body.error.details[0].path).toBe('/plate');
    const both = await t.api('PATCH', `/api/v1/data/tray/${ok.body.data.id}`, { token: admin, body: { version: ok.body.data.version, project: 'B', plate: p2.id, plates: [p2.id] } });
    expect(both.status).toBe(200);
  });

  it('history names people and referenced records instead of ids', async () => {
    const p1 = (await t.api('POST', '/api/v1/data/plate', { token: admin, body: { code: 'H-1', project: 'H' } })).body.data;
    const p2 = (await t.api('POST', '/api/v1/data/plate', { token: admin, body: { code: 'H-2', project: 'H' } })).body.data;
    const tray = (await t.api('POST', '/api/v1/data/tray', { token: admin, body: { project: 'H', plate: p1.id, checker: org.techA.id } })).body.data;
    const upd = await t.api('PATCH', `/api/v1/data/tray/${tray.id}`, { token: admin, body: { version: tray.version, plate: p2.id, checker: org.techB.id } });
    expect(upd.status).toBe(200);
    const h = await t.api('GET', `/api/v1/data/tray/${tray.id}/history`, { token: admin });
    expect(h.status).toBe(200);
    const update = h.body.data.find((x: any) => x.action === 'update');
    expect(update.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'plate', from: p1.id, to: p2.id, fromText: 'H-1', toText: 'H-2' }),
        expect.objectContaining({ field: 'checker', from: org.techA.id, to: org.techB.id, fromText: 'techA', toText: 'techB' }),
      ]),
    );
    expect(update.byName).toBeTruthy();
  });

  it('a record of another lab is "not found" without internal keys or ids in the message', async () => {
    const c = await customerOf(org.techB.token, '赵六');
    const r = await t.api('GET', `/api/v1/data/customer/${c}`, { token: org.techA.token });
    expect(r.status).toBe(404);
    expect(r.body.error.message).toBe('未找到该客户记录（可能已删除或无权查看）');
    const ref = await t.api('POST', '/api/v1/data/cultureRecord', { token: org.techA.token, body: await culture(c), lang: 'en' });
    expect(ref.status).toBe(400);
    expect(ref.body.error.details).toContainEqual(expect.objectContaining({ path: '/customer', message: 'The chosen Customer does not exist or is not yours to see' }));
  });
});
