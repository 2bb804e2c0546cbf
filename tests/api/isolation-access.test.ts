import { startTestServer, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { orgFixture, PASSWORD } from './auth-fixtures';
import { orderFor } from '../support/labs';

/*
 * Issue 10, isolation on every path: access-control defects, each test fails without its fix. Users of two labs
 * (orgFixture) and the shipped roles (metadata/system/roles).
 */
let t: TestServer;
let admin: string;
let fx: Awaited<ReturnType<typeof orgFixture>>;
type U = { id: number; username: string; token: string };
let qcA: U;
let salesA: U;
let custA: any;
let cultA: any;

const CULT = { cellKind: 'stem', cultureDate: '2026-01-05', totalCells: 10, viability: 95, passage: 1 };
const PHONE = '13812345678';
const IDNO = '110101199001011237';
const q = (o: unknown) => encodeURIComponent(JSON.stringify(o));
const ids = (r: any) => r.body.data.map((x: any) => x.id);

async function mk(tok: string, entity: string, body: any) {
  const r = await t.api('POST', `/api/v1/data/${entity}`, { token: tok, body });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  return r.body.data;
}
async function upload(tok: string, text: string) {
  const r = await t.api('POST', '/api/v1/files', { token: tok, raw: text, headers: { 'Content-Type': 'text/plain', 'X-File-Name': 'note.txt' } });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  return r.body.data as { id: number; name: string; mime: string; size: number };
}

beforeAll(async () => {
  t = await startTestServer();
  admin = await t.login();
  fx = await orgFixture(t, admin);
  qcA = await fx.user('qcA', fx.labA, ['qcInspector']);
  salesA = await fx.user('salesA', fx.labA, ['sales']);
  custA = await mk(fx.techA.token, 'customer', { name: `Alice ${fx.sfx}`, phone: PHONE, address: 'Zhongshan Road 1' });
  custA = (await t.api('PATCH', `/api/v1/data/customer/${custA.id}`, { token: admin, body: { version: custA.version, idNumber: IDNO } })).body.data;
  cultA = await mk(fx.techA.token, 'cultureRecord', { customer: custA.id, order: await orderFor(t, custA.id), ...CULT });
}, 60_000);
afterAll(() => t.stop());

describe('attachments', () => {
  it('a file is readable by who may read a record holding it; an unattached upload by its uploader only (404 otherwise)', async () => {
    const f = await upload(fx.techA.token, 'lab A photo');
    // Unattached: the uploader and administrators only; another lab gets the answer of a missing file.
    expect((await t.api('GET', `/api/v1/files/${f.id}`, { token: fx.techA.token })).status).toBe(200);
    expect((await t.api('GET', `/api/v1/files/${f.id}`, { token: admin })).status).toBe(200);
    const guess = await t.api('GET', `/api/v1/files/${f.id}`, { token: fx.techB.token });
    expect(guess.status).toBe(404);
    expect((await t.api('GET', '/api/v1/files/999999999', { token: fx.techB.token })).body.error.code).toBe(guess.body.error.code);
    expect((await t.api('GET', `/api/v1/files/${f.id}`, { token: qcA.token })).status).toBe(404);
    // Attached to a lab A culture record: every reader of that record, nobody else.
    const rec = await mk(fx.techA.token, 'cultureRecord', { customer: custA.id, order: await orderFor(t, custA.id), ...CULT, photos: [f] });
    for (const who of [fx.techA, qcA]) {
      const r = await t.api('GET', `/api/v1/files/${f.id}`, { token: who.token });
      expect([r.status, String(r.body)]).toEqual([200, 'lab A photo']);
    }
    expect((await t.api('GET', `/api/v1/files/${f.id}`, { token: fx.techB.token })).status).toBe(404);
    // Sales reads no production records: not even through the file.
    expect((await t.api('GET', `/api/v1/files/${f.id}`, { token: fx.salesX.token })).status).toBe(404);
    // Once the record is deleted the file is attached nowhere: back to uploader-only.
    await t.server.services.knex('culture_record').where({ id: rec.id }).update({ deleted_at: new Date() });
    expect((await t.api('GET', `/api/v1/files/${f.id}`, { token: qcA.token })).status).toBe(404);
    expect((await t.api('GET', `/api/v1/files/${f.id}`, { token: fx.techA.token })).status).toBe(200);
  });

  it('attaching a guessed file id of another lab is refused (it would open the file)', async () => {
    const theirs = await upload(fx.techB.token, 'lab B secret');
    const r = await t.api('POST', '/api/v1/data/cultureRecord', { token: fx.techA.token, body: { customer: custA.id, order: await orderFor(t, custA.id), ...CULT, photos: [{ id: theirs.id, name: 'x' }] } });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe('/photos/0');
    const u = await t.api('PATCH', `/api/v1/data/cultureRecord/${cultA.id}`, { token: fx.techA.token, body: { version: cultA.version, photos: [{ id: theirs.id }] } });
    expect(u.status).toBe(400);
    expect((await t.api('GET', `/api/v1/files/${theirs.id}`, { token: fx.techA.token })).status).toBe(404);
  });
});

describe('hidden and masked fields on reference paths', () => {
  const list = (tok: string, entity: string, filter: unknown) => t.api('GET', `/api/v1/data/${entity}?filter=${q(filter)}&count=true`, { token: tok });

  it("a field hidden on the target entity is unknown in a reference filter (400 naming /filter/...)", async () => {
    // technician: customer.idNumber hidden
    for (const f of [{ 'customer.idNumber': IDNO }, { 'customer.idNumber': { in: [IDNO, 'x'] } }, { or: [{ id: 0 }, { 'customer.idNumber': { eq: IDNO } }] }, { not: { 'customer.idNumber': IDNO } }]) {
      const r = await list(fx.techA.token, 'cultureRecord', f);
      expect([r.status, r.body.error?.code]).toEqual([400, 'BAD_FILTER']);
      expect(r.body.error.details[0].path).toMatch(/^\/filter\/.*customer\.idNumber$/);
      expect(r.body.error.details[0].messageKey ?? r.body.error.messageKey ?? 'error.unknownField').toBeTruthy();
    }
    // QC inspector: customer.address hidden; startsWith one character at a time used to answer.
    const r = await list(qcA.token, 'cultureRecord', { 'customer.address': { startsWith: 'Z' } });
    expect([r.status, r.body.error.details[0].path]).toEqual([400, '/filter/customer.address']);
    // A visible target field still filters, within the target's scope.
    const ok = await list(qcA.token, 'cultureRecord', { 'customer.name': `Alice ${fx.sfx}` });
    expect(ok.status).toBe(200);
    expect(ids(ok)).toContain(cultA.id);
  });

  it('a field hidden on the target entity is no sort key either (400 naming /sort/0); a visible one sorts', async () => {
    const bad = await t.api('GET', '/api/v1/data/cultureRecord?sort=customer.address', { token: qcA.token });
    expect([bad.status, bad.body.error?.details?.[0]?.path]).toEqual([400, '/sort/0']);
    const idSort = await t.api('GET', '/api/v1/data/cultureRecord?sort=-customer.idNumber', { token: fx.techA.token });
    expect([idSort.status, idSort.body.error?.details?.[0]?.path]).toEqual([400, '/sort/0']);
    const ok = await t.api('GET', '/api/v1/data/cultureRecord?sort=customer.name', { token: qcA.token });
    expect(ok.status).toBe(200);
    expect(ids(ok)).toContain(cultA.id);
  });

  it('encrypted fields: eq / in only for roles that may unmask them, own or through a reference', async () => {
    // The technician sees the phone masked: no exact match either (a few `in` lists would recover it).
    for (const [entity, f] of [
      ['customer', { phone: PHONE }],
      ['customer', { phone: { in: ['13800005678', PHONE] } }],
      ['cultureRecord', { 'customer.phone': { in: [PHONE] } }],
      ['cultureRecord', { 'customer.phone': PHONE }],
    ] as const) {
      const r = await list(fx.techA.token, entity, f);
      expect([r.status, r.body.error?.code]).toEqual([400, 'BAD_FILTER']);
      expect(r.body.error.details[0].path).toMatch(/^\/filter\/(customer\.)?phone\/(eq|in)$/);
    }
    const en = await t.api('GET', `/api/v1/data/customer?filter=${q({ phone: PHONE })}`, { token: fx.techA.token, lang: 'en' });
    expect(en.body.error.message).toMatch(/encrypted/i);
    // Sales may unmask: exact and `in` matches work, own and through the reference (within the caller's scope).
    const eq = await list(salesA.token, 'customer', { phone: PHONE });
    expect([eq.status, ids(eq)]).toEqual([200, [custA.id]]);
    const inn = await list(salesA.token, 'customer', { phone: { in: ['000', PHONE] } });
    expect(ids(inn)).toEqual([custA.id]);
    const dir = await fx.user('dirA', fx.labA, ['labDirector']);
    const ref = await list(dir.token, 'cultureRecord', { 'customer.phone': PHONE });
    expect([ref.status, ids(ref)]).toEqual([200, [cultA.id]]);
    // Any other operator stays refused, even for who may unmask.
    for (const f of [{ phone: { startsWith: '138' } }, { phone: { ne: PHONE } }, { phone: { nin: [PHONE] } }]) expect((await list(salesA.token, 'customer', f)).status).toBe(400);
  });
});

describe('metadata permissions per kind', () => {
  const role = (id: string, extra: Record<string, unknown>) => ({ $id: id, label: { 'zh-CN': id, en: id }, ...extra });
  const putRole = (tok: string, id: string, def: unknown) => t.api('PUT', `/api/v1/meta/role/${id}`, { token: tok, body: { reason: 'test', definition: def } });

  it('a meta:write role cannot edit roles (its own into an administrator) or flows; only administrators can', async () => {
    const id = `designer${fx.sfx}`;
    expect((await putRole(admin, id, role(id, { system: ['meta:write'], permissions: [{ entity: '*', actions: ['read'], scope: 'lab' }] }))).status).toBe(200);
    const d = await fx.user('designer', fx.labA, [id]);
    const self = await putRole(d.token, id, role(id, { admin: true, system: ['meta:write', 'users:admin'] }));
    expect([self.status, self.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const en = await t.api('PUT', `/api/v1/meta/role/${id}`, { token: d.token, lang: 'en', body: { reason: 'x', definition: role(id, {}) } });
    expect(en.body.error.message).toMatch(/administrator/);
    expect((await putRole(d.token, `other${fx.sfx}`, role(`other${fx.sfx}`, {}))).status).toBe(403);
    expect((await t.api('DELETE', `/api/v1/meta/role/${id}`, { token: d.token, body: { reason: 'x' } })).status).toBe(403);
    const flow = (await t.api('GET', '/api/v1/meta/flow/stockOutApproval', { token: admin })).body.data;
    expect((await t.api('PUT', '/api/v1/meta/flow/stockOutApproval', { token: d.token, body: { reason: 'x', definition: flow } })).status).toBe(403);
    // The row scope of an entity is a security setting too.
    const cust = (await t.api('GET', '/api/v1/meta/entity/customer', { token: admin })).body.data;
    const widened = await t.api('PUT', '/api/v1/meta/entity/customer', { token: d.token, body: { reason: 'x', definition: { ...cust, 'x-scope': 'global' } } });
    expect([widened.status, widened.body.error.details[0].path]).toEqual([403, '/definition/x-scope']);
    // The role is unchanged: still no administrator.
    expect((await t.api('GET', `/api/v1/meta/role/${id}`, { token: admin })).body.data.admin).toBeUndefined();
    expect((await t.api('GET', '/api/v1/admin/users', { token: d.token })).status).toBe(403);
  });

  it('nobody grants more than they hold: a user administrator cannot hand out roles or take over accounts beyond its own', async () => {
    const id = `userAdm${fx.sfx}`;
    expect((await putRole(admin, id, role(id, { system: ['users:admin'], permissions: [{ entity: 'customer', actions: ['read'], scope: 'lab', fields: { idNumber: 'hidden' } }] }))).status).toBe(200);
    const ua = await fx.user('userAdm', fx.labA, [id]);
    const grant = (roles: string[]) => t.api('PATCH', `/api/v1/admin/users/${ua.id}`, { token: ua.token, body: { roles: [id, ...roles] } });
    const toAdmin = await grant(['systemAdmin']);
    expect([toAdmin.status, toAdmin.body.error.details[0].path]).toEqual([403, '/roles/1']);
    const toDir = await t.api('PATCH', `/api/v1/admin/users/${ua.id}`, { token: ua.token, lang: 'en', body: { roles: [id, 'labDirector'] } });
    expect(toDir.status).toBe(403);
    expect(toDir.body.error.message).toMatch(/labDirector/);
    expect(toDir.body.error.message).toMatch(/it gives \S+, which you do not hold/);
    const created = await t.api('POST', '/api/v1/admin/users', { token: ua.token, body: { username: `tech2-${fx.sfx}`, displayName: 'x', password: PASSWORD, roles: ['technician'] } });
    expect(created.status).toBe(403);
    // Taking over a more powerful account by resetting its password is granting too.
    expect((await t.api('POST', `/api/v1/admin/users/${fx.techA.id}/reset-password`, { token: ua.token, body: {} })).status).toBe(403);
    const adminId = (await t.api('GET', '/api/v1/auth/me', { token: admin })).body.user.id;
    expect((await t.api('POST', `/api/v1/admin/users/${adminId}/reset-password`, { token: ua.token, body: {} })).status).toBe(403);
    // Within its own powers it still works: a user with the same role.
    const peer = await t.api('POST', '/api/v1/admin/users', { token: ua.token, body: { username: `peer-${fx.sfx}`, displayName: 'peer', password: PASSWORD, roles: [id] } });
    expect(peer.status).toBe(201);
    // Security settings are an administrator's.
    expect((await t.api('PUT', '/api/v1/admin/security-policy', { token: ua.token, body: { minLength: 4 } })).status).toBe(403);
    expect((await t.api('GET', `/api/v1/admin/users/${ua.id}`, { token: admin })).body.data.roles).toEqual([id]);
  });
});

describe('the meta API answers per role', () => {
  it('entities the caller may not read are 404; hidden fields are left out of entities, forms and lists', async () => {
    // Sales reads orders only (customers), no production records.
    expect((await t.api('GET', '/api/v1/meta/entity/cultureRecord', { token: fx.salesX.token })).status).toBe(404);
    expect((await t.api('GET', '/api/v1/meta/form/cultureRecord', { token: fx.salesX.token })).status).toBe(404);
    expect((await t.api('GET', '/api/v1/meta/list/cultureRecord', { token: fx.salesX.token })).status).toBe(404);
    const all = await t.api('GET', '/api/v1/meta', { token: fx.salesX.token });
    expect(Object.keys(all.body.entities)).not.toContain('cultureRecord');
    // The QC inspector reads customers without ID number, phone and address.
    const one = await t.api('GET', '/api/v1/meta/entity/customer', { token: qcA.token });
    expect(one.status).toBe(200);
    expect(Object.keys(one.body.data.properties)).toEqual(expect.arrayContaining(['name', 'customerCode']));
    for (const h of ['idNumber', 'phone', 'address']) {
      expect(one.body.data.properties).not.toHaveProperty(h);
      expect(one.body.file?.properties ?? {}).not.toHaveProperty(h);
    }
    const list = (await t.api('GET', '/api/v1/meta/list/customer', { token: qcA.token })).body.data;
    expect(list.columns).toContain('name');
    expect(list.columns).not.toContain('phone');
    expect(list.quickSearch).not.toContain('phone');
    const meta = (await t.api('GET', '/api/v1/meta', { token: qcA.token })).body;
    expect(meta.entities.customer.properties).not.toHaveProperty('phone');
    expect(meta.lists.customer.columns).not.toContain('phone');
    // Administrators (and metadata writers, who edit them) get the stored definitions.
    expect((await t.api('GET', '/api/v1/meta/list/customer', { token: admin })).body.data.columns).toContain('phone');
  });
});

describe('records:restore', () => {
  it('restoring a version needs records:restore, then update permission and row scope', async () => {
    const c = await mk(fx.techA.token, 'customer', { name: `Restore ${fx.sfx}` });
    const u = await t.api('PATCH', `/api/v1/data/customer/${c.id}`, { token: fx.techA.token, body: { version: c.version, name: 'Oops' } });
    expect(u.status).toBe(200);
    const first = (await t.api('GET', `/api/v1/data/customer/${c.id}/history`, { token: fx.techA.token })).body.data[0].id;
    const body = { auditId: first, reason: 'undo' };
    // The technician may update the customer but holds no records:restore.
    const tech = await t.api('POST', `/api/v1/data/customer/${c.id}/restore`, { token: fx.techA.token, body, lang: 'en' });
    expect([tech.status, tech.body.error.message]).toEqual([403, expect.stringContaining('records:restore')]);
    // records:restore without update permission on the entity is not enough either.
    const id = `restorer${fx.sfx}`;
    await t.api('PUT', `/api/v1/meta/role/${id}`, { token: admin, body: { reason: 't', definition: { $id: id, label: { 'zh-CN': id, en: id }, system: ['records:restore'], permissions: [{ entity: 'customer', actions: ['read'], scope: 'lab' }] } } });
    const ro = await fx.user('restorer', fx.labA, [id]);
    expect((await t.api('POST', `/api/v1/data/customer/${c.id}/restore`, { token: ro.token, body })).status).toBe(403);
    const dirB = await fx.user('dirB', fx.labB, ['labDirector']);
    expect((await t.api('POST', `/api/v1/data/customer/${c.id}/restore`, { token: dirB.token, body })).status).toBe(404);
    const dirA = await fx.user('dirA2', fx.labA, ['labDirector']);
    const ok = await t.api('POST', `/api/v1/data/customer/${c.id}/restore`, { token: dirA.token, body });
    expect([ok.status, ok.body.data?.name]).toEqual([200, `Restore ${fx.sfx}`]);
  });
});

describe('numbering previews', () => {
  const preview = (tok: string, body: unknown) => t.api('POST', '/api/v1/numbering/preview', { token: tok, body });
  const label = { 'zh-CN': '测试', en: 'Test' };

  it("a preview shows the caller's own lab's next number, nothing derived from another lab's counter", async () => {
    const knex = t.server.services.knex;
    // A lab-bound rule (the caller's lab code keys the counter) and a shared one keyed by a record value.
    const labRule = `isoLab${fx.sfx}`;
    const fieldRule = `isoField${fx.sfx}`;
    for (const [id, segments] of [
      [labRule, [{ type: 'labCode' }, { type: 'sequence', width: 3 }]],
      [fieldRule, [{ type: 'field', field: 'batchCode' }, { type: 'sequence', width: 3 }]],
    ] as const)
      expect((await t.api('PUT', `/api/v1/meta/numbering/${id}`, { token: admin, body: { reason: 't', definition: { $id: id, kind: 'numbering', label, separator: '-', segments } } })).status).toBe(200);
    await knex('ct_numbering_counter').insert([
      { rule_id: labRule, prefix: `LA-${fx.sfx}`, value: 41 },
      { rule_id: labRule, prefix: `LB-${fx.sfx}`, value: 7 },
      { rule_id: fieldRule, prefix: `LB-BATCH-${fx.sfx}`, value: 17 },
    ]);
    const a = await preview(fx.techA.token, { ruleId: labRule });
    expect([a.status, a.body.data?.number]).toEqual([200, `LA-${fx.sfx}-042`]);
    expect((await preview(fx.techB.token, { ruleId: labRule })).body.data.number).toBe(`LB-${fx.sfx}-008`);
    // Naming another lab's batch in the record used to answer how many vials that batch has.
    const probe = await preview(fx.techA.token, { ruleId: fieldRule, record: { batchCode: `LB-BATCH-${fx.sfx}` } });
    expect([probe.status, probe.body.data?.number]).toEqual([200, `LB-BATCH-${fx.sfx}-001`]);
    // A draft rule (metadata writers) may spell any counter key: drafts never read counters.
    const draft = await preview(admin, { rule: { $id: labRule, kind: 'numbering', label, separator: '-', segments: [{ type: 'literal', value: `LB-${fx.sfx}` }, { type: 'sequence', width: 3 }] } });
    expect([draft.status, draft.body.data?.number]).toEqual([200, `LB-${fx.sfx}-001`]);
    for (const id of [labRule, fieldRule]) await t.api('DELETE', `/api/v1/meta/numbering/${id}`, { token: admin, body: { reason: 'cleanup' } });
  });
});

describe('segregation of duties in approval flows (fixture flows, own database)', () => {
  let w: TestServer;
  let db: { name: string; url: string };
  let wAdmin: string;
  const wu: Record<string, U> = {};
  const ok = (r: { status: number; body: any }, status = 200) => {
    if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const taskOn = async (who: U, recordId: number) => (ok(await w.api('GET', '/api/v1/inbox/tasks', { token: who.token })).data as any[]).find((x) => x.recordId === recordId);
  const create = async (who: U, body: Record<string, unknown>) => ok(await w.api('POST', '/api/v1/data/wfDoc', { token: who.token, body }), 201).data;
  const act = (who: U, taskId: number, body: Record<string, unknown>, lang?: string) => w.api('POST', `/api/v1/inbox/tasks/${taskId}/act`, { token: who.token, body, lang });

  beforeAll(async () => {
    db = await createDatabase('ct_sod');
    w = await startTestServer({ databaseUrl: db.url, plugins: [], env: { METADATA_DIRS: 'tests/fixtures/workflow' } });
    wAdmin = await w.login();
    const org = async (kind: string, code: string, parentId: number | null) => ok(await w.api('POST', '/api/v1/admin/orgs', { token: wAdmin, body: { kind, code, name: code, parentId } }), 201).data.id as number;
    const lab = await org('lab', 'SODL', await org('centre', 'SODC', await org('company', 'SODCO', null)));
    const user = async (key: string, roles: string[]) => {
      const username = `sod-${key}`;
      const r = ok(await w.api('POST', '/api/v1/admin/users', { token: wAdmin, body: { username, displayName: key, password: PASSWORD, mustChangePassword: false, orgId: lab, roles } }), 201);
      wu[key] = { id: r.data.id, username, token: await w.login(username, PASSWORD) };
    };
    // The initiator also holds the approver and director roles: it would be a candidate of its own request.
    await user('self', ['wfRequester', 'wfApprover', 'wfDirector']);
    await user('a1', ['wfApprover']);
    await user('a2', ['wfApprover']);
    await user('dir', ['wfDirector']);
    await user('outsider', []);
  }, 120_000);
  afterAll(async () => {
    await w?.stop();
    if (db) await dropDatabase(db.name);
  });

  it('the initiator is no candidate of its own request, cannot route the task to itself, nor act on it however it got there', async () => {
    const doc = await create(wu.self, { title: 'sod-1', kind: 'any', amount: 1 });
    expect(await taskOn(wu.self, doc.id)).toBeUndefined();
    const task = await taskOn(wu.a1, doc.id);
    expect(task).toBeDefined();
    // Reassigning its approval task to itself (the initiator may reassign) is refused, naming /to.
    const toSelf = await w.api('POST', `/api/v1/inbox/tasks/${task.id}/reassign`, { token: wu.self.token, body: { to: wu.self.username }, lang: 'en' });
    expect([toSelf.status, toSelf.body.error.details[0].path]).toEqual([400, '/to']);
    expect(toSelf.body.error.details[0].message).toMatch(/initiator/);
    // Delegation and reassignment go to candidates of the step only.
    const out = await w.api('POST', `/api/v1/inbox/tasks/${task.id}/delegate`, { token: wu.a1.token, body: { to: wu.outsider.id } });
    expect([out.status, out.body.error.details[0].path]).toEqual([400, '/to']);
    const adm = await w.api('POST', `/api/v1/inbox/tasks/${task.id}/reassign`, { token: wAdmin, body: { to: wu.outsider.id } });
    expect(adm.status).toBe(400);
    // However the task reaches the initiator (data fix, old assignment), acting on it is refused.
    await w.server.services.knex('ct_wf_task').where({ id: task.id }).update({ assignee_id: wu.self.id });
    const self = await act(wu.self, task.id, { action: 'approve' }, 'en');
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/you started yourself/);
    expect((await act(wu.self, task.id, { action: 'reject', comment: 'no' })).status).toBe(403);
    expect((await w.api('POST', `/api/v1/data/wfDoc/${doc.id}/actions/approve`, { token: wu.self.token, body: {} })).status).toBe(403);
    await w.server.services.knex('ct_wf_task').where({ id: task.id }).update({ assignee_id: wu.a1.id });
    // The other approvers decide as before.
    expect(ok(await act(wu.a2, (await taskOn(wu.a2, doc.id)).id, { action: 'approve' })).data.record.state).toBe('approved');
  });

  it('the initiator cannot sign the director step of its own request; a resubmission step that names the initiator is its to act on', async () => {
    const doc = await create(wu.self, { title: 'sod-2', kind: 'two' });
    ok(await act(wu.a1, (await taskOn(wu.a1, doc.id)).id, { action: 'approve' }));
    expect(await taskOn(wu.self, doc.id)).toBeUndefined();
    expect(await taskOn(wu.dir, doc.id)).toBeDefined();
    const sign = await w.api('POST', `/api/v1/data/wfDoc/${doc.id}/actions/approve`, { token: wu.self.token, body: { signature: { password: PASSWORD } } });
    expect(sign.status).toBe(403);
    expect(await w.server.services.knex('ct_signature').where({ entity: 'wfDoc', record_id: doc.id })).toHaveLength(0);

    const back = await create(wu.self, { title: 'sod-3', kind: 'resubmit' });
    ok(await act(wu.a1, (await taskOn(wu.a1, back.id)).id, { action: 'sendBack' }));
    const mine = await taskOn(wu.self, back.id);
    expect(mine).toBeDefined();
    expect(ok(await act(wu.self, mine.id, { action: 'resubmit' })).data.record.state).toBe('review');
    // Back in review, the initiator is again no candidate.
    expect(await taskOn(wu.self, back.id)).toBeUndefined();
  });
});
