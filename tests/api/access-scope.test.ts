import { startTestServer, type TestServer } from '../support/app';
import { orgFixture } from './auth-fixtures';
import { orderFor } from '../support/labs';

let t: TestServer;
let admin: string;
let fx: Awaited<ReturnType<typeof orgFixture>>;
let custA: any;
let custB: any;
let custC: any;
let cultA: any;
let cultB: any;

const CULT = { cellKind: 'stem', cultureDate: '2026-01-05', totalCells: 10, viability: 95, passage: 1 };
const ids = (r: any) => r.body.data.map((x: any) => x.id);

beforeAll(async () => {
  t = await startTestServer();
  admin = await t.login();
  fx = await orgFixture(t, admin);
  const mk = async (tok: string, entity: string, body: any) => {
    const r = await t.api('POST', `/api/v1/data/${entity}`, { token: tok, body });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body.data;
  };
  custA = await mk(fx.techA.token, 'customer', { name: `Alice ${fx.sfx}`, idNumber: undefined, phone: '13800123456' });
  custB = await mk(fx.techB.token, 'customer', { name: `Bob ${fx.sfx}`, phone: '13800654321' });
  const techC = await fx.user('techC', fx.labC, ['technician']);
  custC = await mk(techC.token, 'customer', { name: `Carol ${fx.sfx}` });
  cultA = await mk(fx.techA.token, 'cultureRecord', { customer: custA.id, order: await orderFor(t, custA.id), ...CULT });
  cultB = await mk(fx.techB.token, 'cultureRecord', { customer: custB.id, order: await orderFor(t, custB.id), ...CULT });
});
afterAll(() => t.stop());

describe('lab scope', () => {
  it('a lab A technician cannot get, list, count or export lab B records', async () => {
    expect((await t.api('GET', `/api/v1/data/customer/${custB.id}`, { token: fx.techA.token })).status).toBe(404);
    expect((await t.api('GET', `/api/v1/data/customer/${custB.id}/history`, { token: fx.techA.token })).status).toBe(404);
    const list = await t.api('GET', `/api/v1/data/customer?count=true&limit=1000`, { token: fx.techA.token });
    expect(ids(list)).toContain(custA.id);
    expect(ids(list)).not.toContain(custB.id);
    expect(list.body.data.every((r: any) => r.labId === fx.labA)).toBe(true);
    expect(list.body.page.total).toBe(list.body.data.length);
    const byId = await t.api('GET', `/api/v1/data/customer?filter=${encodeURIComponent(JSON.stringify({ id: custB.id }))}&count=true`, { token: fx.techA.token });
    expect(byId.body.data).toEqual([]);
    expect(byId.body.page.total).toBe(0);
    const csv = await t.api('GET', `/api/v1/data/customer/export?format=csv`, { token: fx.techA.token });
    expect([csv.status, csv.body]).toEqual([200, expect.anything()]);
    expect(String(csv.body)).toContain(`Alice ${fx.sfx}`);
    expect(String(csv.body)).not.toContain(`Bob ${fx.sfx}`);
  });

  it('cannot update, delete or reference lab B records', async () => {
    expect((await t.api('PATCH', `/api/v1/data/customer/${custB.id}`, { token: fx.techA.token, body: { version: custB.version, name: 'hijack' } })).status).toBe(404);
    expect([403, 404]).toContain((await t.api('DELETE', `/api/v1/data/customer/${custB.id}`, { token: fx.techA.token })).status);
    const ref = await t.api('POST', '/api/v1/data/cultureRecord', { token: fx.techA.token, body: { ...CULT, customer: custB.id, order: await orderFor(t, custA.id) } });
    expect(ref.status).toBe(400);
    expect(ref.body.error.details[0].path).toBe('/customer');
    // Same answer as a non-existent id: existence is not revealed.
    const none = await t.api('POST', '/api/v1/data/cultureRecord', { token: fx.techA.token, body: { ...CULT, customer: 999999999, order: await orderFor(t, custA.id) } });
    expect(none.status).toBe(ref.status);
    const said = (r: any) => r.body.error.details.map((d: any) => [d.path, d.message]);
    expect(said(none)).toEqual(said(ref));
  });

  it('cannot infer lab B values through a reference filter, sort or expand', async () => {
    // A lab A record that (through a data fix) points at lab B's customer.
    await t.server.services.knex('culture_record').where({ id: cultA.id }).update({ customer: custB.id });
    try {
      const f = encodeURIComponent(JSON.stringify({ 'customer.name': `Bob ${fx.sfx}` }));
      const byRef = await t.api('GET', `/api/v1/data/cultureRecord?filter=${f}&count=true`, { token: fx.techA.token });
      expect(byRef.status).toBe(200);
      expect(byRef.body.page.total).toBe(0);
      const exp = await t.api('GET', `/api/v1/data/cultureRecord/${cultA.id}?expand=customer`, { token: fx.techA.token });
      expect(exp.body.data.customer$expanded).toBeNull();
      const sorted = await t.api('GET', `/api/v1/data/cultureRecord?sort=customer.name&fields=id`, { token: fx.techA.token });
      expect(sorted.status).toBe(200);
      expect(JSON.stringify(sorted.body)).not.toContain('Bob');
      // The admin sees through.
      const adm = await t.api('GET', `/api/v1/data/cultureRecord?filter=${f}&count=true`, { token: admin });
      expect(adm.body.page.total).toBeGreaterThanOrEqual(1);
    } finally {
      await t.server.services.knex('culture_record').where({ id: cultA.id }).update({ customer: custA.id });
    }
  });

  it('a lab B technician sees lab B only', async () => {
    const list = await t.api('GET', `/api/v1/data/cultureRecord?limit=1000`, { token: fx.techB.token });
    expect(ids(list)).toContain(cultB.id);
    expect(ids(list)).not.toContain(cultA.id);
  });
});

describe('org subtree, all, and module grants', () => {
  it('sales of centre X sees labs A and B customers but not centre Y; no production data', async () => {
    const list = await t.api('GET', `/api/v1/data/customer?limit=1000`, { token: fx.salesX.token });
    expect(ids(list)).toEqual(expect.arrayContaining([custA.id, custB.id]));
    expect(ids(list)).not.toContain(custC.id);
    expect((await t.api('GET', `/api/v1/data/cultureRecord`, { token: fx.salesX.token })).status).toBe(403);
  });

  it('management reads every centre and writes nothing', async () => {
    const list = await t.api('GET', `/api/v1/data/customer?limit=1000`, { token: fx.mgmt.token });
    expect(ids(list)).toEqual(expect.arrayContaining([custA.id, custB.id, custC.id]));
    expect((await t.api('POST', `/api/v1/data/customer`, { token: fx.mgmt.token, body: { name: 'no' } })).status).toBe(403);
    expect((await t.api('PATCH', `/api/v1/data/customer/${custA.id}`, { token: fx.mgmt.token, body: { version: 1, name: 'no' } })).status).toBe(403);
  });
});

describe('field rules', () => {
  it('hidden fields never leave the server and cannot be filtered, sorted or written', async () => {
    await t.api('PATCH', `/api/v1/data/customer/${custA.id}`, { token: admin, body: { version: custA.version, idNumber: '11010519491231002X' } });
    const tok = fx.techA.token;
    const one = await t.api('GET', `/api/v1/data/customer/${custA.id}`, { token: tok });
    expect(one.body.data).not.toHaveProperty('idNumber');
    const list = await t.api('GET', `/api/v1/data/customer?limit=1000`, { token: tok });
    expect(JSON.stringify(list.body)).not.toContain('11010519491231002X');
    const hist = await t.api('GET', `/api/v1/data/customer/${custA.id}/history`, { token: tok });
    expect(JSON.stringify(hist.body)).not.toContain('11010519491231002X');
    const csv = await t.api('GET', `/api/v1/data/customer/export?format=csv`, { token: tok });
    expect(String(csv.body)).not.toContain('11010519491231002X');
    expect((await t.api('GET', `/api/v1/data/customer?filter=${encodeURIComponent(JSON.stringify({ idNumber: { startsWith: 'S' } }))}`, { token: tok })).status).toBe(400);
    expect((await t.api('GET', `/api/v1/data/customer?sort=idNumber`, { token: tok })).status).toBe(400);
    expect((await t.api('GET', `/api/v1/data/customer?fields=idNumber`, { token: tok })).status).toBe(400);
    expect((await t.api('POST', `/api/v1/data/customer`, { token: tok, body: { name: 'x', idNumber: '1' } })).status).toBe(400);
    const meta = await t.api('GET', '/api/v1/meta', { token: tok });
    expect(meta.body.entities.customer.properties).not.toHaveProperty('idNumber');
    // Expanding the customer from a culture record hides it too.
    const exp = await t.api('GET', `/api/v1/data/cultureRecord/${cultA.id}?expand=customer`, { token: tok });
    expect(exp.body.data.customer$expanded).toBeTruthy();
    expect(exp.body.data.customer$expanded).not.toHaveProperty('idNumber');
  });

  it('a role overlay with read-only fields and a JSON Logic scope takes effect at once', async () => {
    const role = `ownPhoneRo${fx.sfx}`;
    const put = await t.api('PUT', `/api/v1/meta/role/${role}`, {
      token: admin,
      body: {
        reason: 'test role',
        definition: {
          $id: role, label: { 'zh-CN': '测试', en: 'Test' },
          permissions: [{ entity: 'customer', actions: ['read', 'create', 'update'], fields: { phone: 'readOnly' }, scope: { jsonLogic: { '==': [{ var: 'createdBy' }, { var: '$actor.id' }] } } }],
        },
      },
    });
    expect(put.status).toBe(200);
    const u = await fx.user('ro', fx.labA, [role]);
    const mine = await t.api('POST', '/api/v1/data/customer', { token: u.token, body: { name: `Mine ${fx.sfx}` } });
    expect(mine.status).toBe(201);
    const list = await t.api('GET', `/api/v1/data/customer?limit=1000`, { token: u.token });
    expect(ids(list)).toEqual([mine.body.data.id]);
    const ro = await t.api('PATCH', `/api/v1/data/customer/${mine.body.data.id}`, { token: u.token, body: { version: mine.body.data.version, phone: '13899999999' } });
    expect(ro.status).toBe(400);
    expect(ro.body.error.details[0].path).toBe('/phone');
    const okName = await t.api('PATCH', `/api/v1/data/customer/${mine.body.data.id}`, { token: u.token, body: { version: mine.body.data.version, name: 'Renamed' } });
    expect(okName.status).toBe(200);
    // Broadening the role is visible on the next request (cache invalidated by the overlay).
    await t.api('PUT', `/api/v1/meta/role/${role}`, {
      token: admin,
      body: { reason: 'widen', definition: { $id: role, label: { 'zh-CN': '测试', en: 'Test' }, permissions: [{ entity: 'customer', actions: ['read'], scope: 'lab' }] } },
    });
    const after = await t.api('GET', `/api/v1/data/customer?limit=1000`, { token: u.token });
    expect(ids(after)).toEqual(expect.arrayContaining([custA.id, mine.body.data.id]));
  });

  it('a role naming an unknown entity or field is refused', async () => {
    const r = await t.api('PUT', `/api/v1/meta/role/bad${fx.sfx}`, {
      token: admin,
      body: { reason: 'x', definition: { $id: `bad${fx.sfx}`, label: { 'zh-CN': 'x', en: 'x' }, permissions: [{ entity: 'customer', actions: ['read'], fields: { nope: 'hidden' } }] } },
    });
    expect(r.status).toBe(400);
  });
});

describe('filter injection', () => {
  const attempts: unknown[] = [
    { name: "x' OR '1'='1" },
    { "name' OR 1=1 --": 'x' },
    { name: { eq: { $gt: '' } } },
    { name: { raw: '1=1' } },
    { 'customer.name': { eq: "'; drop table customer; --" } },
    { 'customer.lab_id': 1 },
    { 'customer.customer.name': 'x' },
    { lab_id: { ne: 0 } },
    { labId: { in: ['1', { a: 1 }] } },
    { or: [{ id: { gt: 0 } }, { 'customer.idNumber': { startsWith: '' } }] },
    { not: { not: { not: {} } } },
    { id: { between: [0] } },
    { id: '1 or 1=1' },
    { id: 1e308 },
    { id: -1 },
    { and: 'x' },
    { or: [] },
    { __proto__: { id: 1 } },
    { constructor: { prototype: {} } },
    { 'customer.': 1 },
    { '.': 1 },
    { cellKind: { contains: '%' } },
    { createdAt: { gt: '2020-13-45' } },
    { observedAt: { lt: 'now()' } },
    [1, 2],
    'id=1',
    null,
    { id: { isNull: 'yes' } },
    { photos: { eq: '[]' } },
    { extra: { contains: 'x' } },
  ];
  it.each(attempts.map((a) => [JSON.stringify(a), a]))('%s never 500s and never leaks lab B', async (_s, a) => {
    const r = await t.api('GET', `/api/v1/data/cultureRecord?filter=${encodeURIComponent(JSON.stringify(a))}&count=true&limit=1000`, { token: fx.techA.token });
    expect(r.status).toBeLessThan(500);
    if (r.status === 200) expect(ids(r)).not.toContain(cultB.id);
  });
  it('raw malformed query strings never 500', async () => {
    for (const q of ['filter=%7B', 'filter=%00', 'sort=;drop', 'sort=customer.idNumber', 'fields=*', 'expand=__proto__', 'limit=-1', 'offset=1e9', 'after=%%%', 'filter[]=1'])
      expect((await t.api('GET', `/api/v1/data/cultureRecord?${q}`, { token: fx.techA.token })).status).toBeLessThan(500);
  });
});

describe('undo of a mistaken operation', () => {
  it('restores a record to an earlier version from its history, audited, within the caller scope', async () => {
    const c = await t.api('POST', '/api/v1/data/customer', { token: fx.techA.token, body: { name: `Undo ${fx.sfx}`, phone: '13811111111' } });
    const u1 = await t.api('PATCH', `/api/v1/data/customer/${c.body.data.id}`, { token: fx.techA.token, body: { version: 1, name: 'Oops', phone: '13822222222', address: 'x' } });
    expect(u1.status).toBe(200);
    const hist = await t.api('GET', `/api/v1/data/customer/${c.body.data.id}/history`, { token: fx.techA.token });
    const createEntry = hist.body.data[0].id;
    // Restoring needs records:restore (the lab director holds it, the technician does not).
    const dirA = await fx.user('dirUndo', fx.labA, ['labDirector']);
    expect((await t.api('POST', `/api/v1/data/customer/${c.body.data.id}/restore`, { token: fx.techA.token, body: { auditId: createEntry, reason: 'x' } })).status).toBe(403);
    const noReason = await t.api('POST', `/api/v1/data/customer/${c.body.data.id}/restore`, { token: dirA.token, body: { auditId: createEntry } });
    expect(noReason.status).toBe(400);
    const r = await t.api('POST', `/api/v1/data/customer/${c.body.data.id}/restore`, { token: dirA.token, body: { auditId: createEntry, reason: 'wrong customer edited' } });
    expect(r.status).toBe(200);
    // The phone is encrypted: the director sees it in clear, as does the administrator.
    expect(r.body.data).toMatchObject({ name: `Undo ${fx.sfx}`, phone: '13811111111', version: 3 });
    expect((await t.api('GET', `/api/v1/data/customer/${c.body.data.id}`, { token: admin })).body.data.phone).toBe('13811111111');
    expect(r.body.data.address ?? null).toBeNull();
    const h2 = await t.api('GET', `/api/v1/data/customer/${c.body.data.id}/history`, { token: fx.techA.token });
    expect(h2.body.data[2].reason).toContain('wrong customer edited');
    // Another lab cannot restore it, not even its director.
    const dirB = await fx.user('dirUndoB', fx.labB, ['labDirector']);
    expect((await t.api('POST', `/api/v1/data/customer/${c.body.data.id}/restore`, { token: dirB.token, body: { auditId: createEntry, reason: 'x' } })).status).toBe(404);
  });
});

describe('dictionaries', () => {
  it('a disabled entry stays valid on old records but is refused for new values', async () => {
    const dict = (await t.api('GET', '/api/v1/meta/dictionary/customerSource', { token: admin })).body.data;
    const code = dict.items[0].code;
    const c = await t.api('POST', '/api/v1/data/customer', { token: fx.techA.token, body: { name: `Dict ${fx.sfx}`, source: code } });
    expect(c.status).toBe(201);
    const disabled = { ...dict, items: dict.items.map((i: any, n: number) => (n === 0 ? { ...i, enabled: false } : i)) };
    expect((await t.api('PUT', '/api/v1/meta/dictionary/customerSource', { token: admin, body: { definition: disabled, reason: 'retire source' } })).status).toBe(200);
    try {
      const edit = await t.api('PATCH', `/api/v1/data/customer/${c.body.data.id}`, { token: fx.techA.token, body: { version: 1, name: 'still fine' } });
      expect(edit.status).toBe(200);
      expect(edit.body.data.source).toBe(code);
      const fresh = await t.api('POST', '/api/v1/data/customer', { token: fx.techA.token, body: { name: 'new', source: code } });
      expect(fresh.status).toBe(400);
    } finally {
      await t.api('PUT', '/api/v1/meta/dictionary/customerSource', { token: admin, body: { definition: dict, reason: 'restore' } });
    }
  });
});
