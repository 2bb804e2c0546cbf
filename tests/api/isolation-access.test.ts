import { startTestServer, type TestServer } from '../support/app';
import { orgFixture } from './auth-fixtures';

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
const IDNO = '110101199001011234';
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
  cultA = await mk(fx.techA.token, 'cultureRecord', { customer: custA.id, ...CULT });
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
    const rec = await mk(fx.techA.token, 'cultureRecord', { customer: custA.id, ...CULT, photos: [f] });
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
    const r = await t.api('POST', '/api/v1/data/cultureRecord', { token: fx.techA.token, body: { customer: custA.id, ...CULT, photos: [{ id: theirs.id, name: 'x' }] } });
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
