import { startTestServer, TEST_DATA_KEY, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { orgFixture } from './auth-fixtures';
import { orderFor } from '../support/labs';
import { makeKeyring, parseKey, setKeyring, keyring } from '../../platform/auth/crypto';
import { rotateKeys } from '../../platform/auth/keys-cli';

let t: TestServer;
let admin: string;
let fx: Awaited<ReturnType<typeof orgFixture>>;
let sales: { id: number; username: string; token: string };
let cust: any;

const PHONE = '13812345678';
const IDNO = '110101199001011237';
const q = (o: unknown) => encodeURIComponent(JSON.stringify(o));

beforeAll(async () => {
  t = await startTestServer();
  admin = await t.login();
  fx = await orgFixture(t, admin);
  sales = await fx.user('salesA', fx.labA, ['sales']);
  const r = await t.api('POST', '/api/v1/data/customer', { token: fx.techA.token, body: { name: `Enc ${fx.sfx}`, phone: PHONE } });
  expect(r.status).toBe(201);
  cust = r.body.data;
  const u = await t.api('PATCH', `/api/v1/data/customer/${cust.id}`, { token: sales.token, body: { version: cust.version, idNumber: IDNO } });
  expect(u.status).toBe(200);
  cust = u.body.data;
});
afterAll(() => t.stop());

describe('encrypted fields (R-1.7)', () => {
  it('stores ciphertext and a blind index, never the clear value', async () => {
    expect(cust.phone).toBe(PHONE); // sales may unmask
    const row = await t.server.services.knex('customer').where({ id: cust.id }).first();
    expect(row.phone).toMatch(/^v1:[0-9a-f]{8}:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(row.id_number).toMatch(/^v1:/);
    expect(row.phone__bi).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(row)).not.toContain(PHONE);
    expect(JSON.stringify(row)).not.toContain(IDNO);
    // Same clear value, different ciphertext (random IV), same blind index.
    const c2 = await t.api('POST', '/api/v1/data/customer', { token: admin, body: { name: `Enc2 ${fx.sfx}`, phone: PHONE } });
    const row2 = await t.server.services.knex('customer').where({ id: c2.body.data.id }).first();
    expect(row2.phone).not.toBe(row.phone);
    expect(row2.phone__bi).toBe(row.phone__bi);
    const cols = await t.server.services.knex('information_schema.columns').where({ table_name: 'customer', column_name: 'phone' }).first('data_type');
    expect(cols.data_type).toBe('text');
  });

  it('shows masked values unless the role may unmask', async () => {
    const tech = await t.api('GET', `/api/v1/data/customer/${cust.id}`, { token: fx.techA.token });
    expect(tech.body.data.phone).toBe('138****5678');
    expect(tech.body.data).not.toHaveProperty('idNumber'); // hidden for technicians
    const mgmt = await t.api('GET', `/api/v1/data/customer/${cust.id}`, { token: fx.mgmt.token });
    expect(mgmt.body.data).toMatchObject({ phone: '138****5678', idNumber: '110***********1237' });
    const sal = await t.api('GET', `/api/v1/data/customer/${cust.id}`, { token: sales.token });
    expect(sal.body.data).toMatchObject({ phone: PHONE, idNumber: IDNO });
    const adm = await t.api('GET', `/api/v1/data/customer/${cust.id}`, { token: admin });
    expect(adm.body.data.phone).toBe(PHONE);
    // Lists and expansions too.
    const list = await t.api('GET', `/api/v1/data/customer?limit=1000`, { token: fx.techA.token });
    expect(JSON.stringify(list.body)).not.toContain(PHONE);
    expect(list.body.data.find((r: any) => r.id === cust.id).phone).toBe('138****5678');
    const cult = await t.api('POST', '/api/v1/data/cultureRecord', {
      token: fx.techA.token, body: { customer: cust.id, order: await orderFor(t, cust.id), cellKind: 'stem', cultureDate: '2026-01-05', totalCells: 10, viability: 95, passage: 1 },
    });
    expect(cult.status).toBe(201);
    const exp = await t.api('GET', `/api/v1/data/cultureRecord/${cult.body.data.id}?expand=customer`, { token: fx.techA.token });
    expect(exp.body.data.customer$expanded.phone).toBe('138****5678');
  });

  it('filters by exact match only (eq / in, also through a reference), for roles that may unmask; no sort', async () => {
    const dirA = await fx.user('dirEnc', fx.labA, ['labDirector']);
    // The technician sees the phone masked: matching it is refused (see isolation-access.test.ts).
    expect((await t.api('GET', `/api/v1/data/customer?filter=${q({ phone: PHONE })}`, { token: fx.techA.token })).status).toBe(400);
    const eq = await t.api('GET', `/api/v1/data/customer?filter=${q({ phone: PHONE })}&count=true`, { token: dirA.token });
    expect(eq.status).toBe(200);
    expect(eq.body.data.map((r: any) => r.id)).toEqual([cust.id]); // the admin's twin is in no lab of dirA
    const inn = await t.api('GET', `/api/v1/data/customer?filter=${q({ phone: { in: ['000', PHONE] } })}`, { token: admin });
    expect(inn.body.data.map((r: any) => r.id)).toContain(cust.id);
    const none = await t.api('GET', `/api/v1/data/customer?filter=${q({ phone: '13812345679' })}`, { token: admin });
    expect(none.body.data.map((r: any) => r.id)).not.toContain(cust.id);
    const byRef = await t.api('GET', `/api/v1/data/cultureRecord?filter=${q({ 'customer.phone': PHONE })}`, { token: dirA.token });
    expect(byRef.status).toBe(200);
    expect(byRef.body.data.length).toBe(1);
    const nul = await t.api('GET', `/api/v1/data/customer?filter=${q({ phone: { isNull: false }, id: cust.id })}`, { token: admin });
    expect(nul.body.data.length).toBe(1);
    for (const f of [{ phone: { contains: '1234' } }, { phone: { startsWith: '138' } }, { phone: { gt: '1' } }, { phone: { ne: PHONE } }, { 'customer.phone': { startsWith: '1' } }]) {
      const ent = 'customer.phone' in f ? 'cultureRecord' : 'customer';
      const r = await t.api('GET', `/api/v1/data/${ent}?filter=${q(f)}`, { token: admin });
      expect([r.status, r.body.error.code]).toEqual([400, 'BAD_FILTER']);
    }
    expect((await t.api('GET', '/api/v1/data/customer?sort=phone', { token: admin })).status).toBe(400);
    expect((await t.api('GET', '/api/v1/data/cultureRecord?sort=customer.phone', { token: admin })).status).toBe(400);
    expect((await t.api('GET', `/api/v1/data/customer?filter=${q({ phone: { eq: 5 } })}`, { token: admin })).status).toBe(400);
  });

  it('a masked value sent back by a form leaves the real value unchanged', async () => {
    const shown = (await t.api('GET', `/api/v1/data/customer/${cust.id}`, { token: fx.techA.token })).body.data;
    const u = await t.api('PATCH', `/api/v1/data/customer/${cust.id}`, { token: fx.techA.token, body: { ...shown, address: 'Room 1' } });
    expect(u.status).toBe(200);
    expect(u.body.data.phone).toBe('138****5678');
    const real = await t.api('GET', `/api/v1/data/customer/${cust.id}`, { token: admin });
    expect(real.body.data).toMatchObject({ phone: PHONE, idNumber: IDNO, address: 'Room 1' });
    const audit = await t.server.services.knex('ct_audit').where({ entity: 'customer', record_id: cust.id }).orderBy('id', 'desc').first();
    expect(audit.changes.map((c: any) => c.field)).toEqual(['address']);
    cust = real.body.data;
  });

  it('a new value is encrypted, re-indexed and audited without its clear text', async () => {
    const u = await t.api('PATCH', `/api/v1/data/customer/${cust.id}`, { token: fx.techA.token, body: { version: cust.version, phone: '13900001111' } });
    expect(u.status).toBe(200);
    expect(u.body.data.phone).toBe('139****1111');
    const found = await t.api('GET', `/api/v1/data/customer?filter=${q({ phone: '13900001111' })}`, { token: admin });
    expect(found.body.data.map((r: any) => r.id)).toEqual([cust.id]);
    const rows = await t.server.services.knex('ct_audit').where({ entity: 'customer', record_id: cust.id });
    const text = JSON.stringify(rows);
    for (const clear of [PHONE, IDNO, '13900001111']) expect(text).not.toContain(clear);
    const last = rows.sort((a: any, b: any) => Number(a.id) - Number(b.id)).at(-1);
    expect(last.changes).toEqual([{ field: 'phone', from: expect.stringMatching(/^v1:/), to: expect.stringMatching(/^v1:/) }]);
    // History shows the change masked to the technician and in clear to sales.
    const h1 = await t.api('GET', `/api/v1/data/customer/${cust.id}/history`, { token: fx.techA.token });
    expect(h1.body.data.at(-1).changes).toEqual([{ field: 'phone', from: '138****5678', to: '139****1111' }]);
    const h2 = await t.api('GET', `/api/v1/data/customer/${cust.id}/history`, { token: sales.token });
    expect(h2.body.data.at(-1).changes).toEqual([{ field: 'phone', from: PHONE, to: '13900001111' }]);
    // Undo brings the old value back.
    const dir = await fx.user('dirRestore', fx.labA, ['labDirector']);
    const back = await t.api('POST', `/api/v1/data/customer/${cust.id}/restore`, { token: dir.token, body: { auditId: h1.body.data.at(-2).id, reason: 'typo' } });
    expect(back.status).toBe(200);
    expect(back.body.data.phone).toBe(PHONE);
    expect((await t.api('GET', `/api/v1/data/customer/${cust.id}`, { token: sales.token })).body.data.phone).toBe(PHONE);
  });

  it('export shows masked values unless the role may unmask', async () => {
    const f = q({ id: cust.id });
    const tech = await t.api('GET', `/api/v1/data/customer/export?format=csv&filter=${f}`, { token: fx.techA.token });
    expect(String(tech.body)).toContain('138****5678');
    expect(String(tech.body)).not.toContain(PHONE);
    const sal = await t.api('GET', `/api/v1/data/customer/export?format=csv&filter=${f}`, { token: sales.token });
    expect(String(sal.body)).toContain(PHONE);
    expect(String(sal.body)).toContain(IDNO);
  });
});

describe('data key', () => {
  it('server mode refuses to start without CELLTRACE_DATA_KEY', async () => {
    const saved = process.env.CELLTRACE_DATA_KEY;
    delete process.env.CELLTRACE_DATA_KEY;
    try {
      await expect(startTestServer({ env: { CELLTRACE_DATA_KEY: '' } })).rejects.toThrow(/CELLTRACE_DATA_KEY is required/);
    } finally {
      if (saved !== undefined) process.env.CELLTRACE_DATA_KEY = saved;
      setKeyring(makeKeyring(parseKey(TEST_DATA_KEY)));
    }
  });

  it('keys rotate re-encrypts every value and recomputes blind indexes, in its own database', async () => {
    const db = await createDatabase();
    const own = await startTestServer({ databaseUrl: db.url });
    const prevEnv = process.env.CELLTRACE_NEW_DATA_KEY;
    try {
      const tok = await own.login();
      const ids: number[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await own.api('POST', '/api/v1/data/customer', { token: tok, body: { name: `R${i}`, phone: `1390000000${i}`, idNumber: `1101011990010100${i}${'7531X864'[i]}` } });
        ids.push(r.body.data.id);
      }
      // A row written before its field became encrypted (clear value, no blind index) is picked up too.
      await own.server.services.knex('customer').insert({ name: 'legacy', phone: '13700000000' });
      const oldId = keyring().current.id;
      const NEW = 'ab'.repeat(32);
      process.env.CELLTRACE_NEW_DATA_KEY = NEW;
      const lines: string[] = [];
      const res = await rotateKeys(own.server.services, [], (m) => lines.push(m));
      expect(res.find((r) => r.field === 'phone')!.rows).toBe(8);
      expect(lines.join('\n')).toContain('CELLTRACE_PREVIOUS_DATA_KEYS');
      const rows = await own.server.services.knex('customer').whereNotNull('phone');
      const newId = makeKeyring(parseKey(NEW)).current.id;
      expect(newId).not.toBe(oldId);
      expect(rows.every((r: any) => r.phone.startsWith(`v1:${newId}:`) && r.phone__bi)).toBe(true);
      // The server restarted with the new key (old one kept to read audit entries) reads and filters everything.
      setKeyring(makeKeyring(parseKey(NEW), [parseKey(TEST_DATA_KEY)]));
      const one = await own.api('GET', `/api/v1/data/customer?filter=${q({ phone: '13900000003' })}`, { token: tok });
      expect(one.body.data).toEqual([expect.objectContaining({ id: ids[3], phone: '13900000003', idNumber: '110101199001010031' })]);
      const legacy = await own.api('GET', `/api/v1/data/customer?filter=${q({ phone: '13700000000' })}`, { token: tok });
      expect(legacy.body.data.map((r: any) => r.name)).toEqual(['legacy']);
      const hist = await own.api('GET', `/api/v1/data/customer/${ids[3]}/history`, { token: tok });
      expect(hist.body.data[0].changes).toContainEqual({ field: 'phone', from: null, to: '13900000003' });
      // Without the old key, audit values it encrypted show as *** (never a 500).
      setKeyring(makeKeyring(parseKey(NEW)));
      const hist2 = await own.api('GET', `/api/v1/data/customer/${ids[3]}/history`, { token: tok });
      expect(hist2.body.data[0].changes).toContainEqual({ field: 'phone', from: null, to: '***' });
      expect((await own.server.services.knex('ct_audit').where({ entity: 'security', action: 'keys.rotate' })).length).toBe(1);
    } finally {
      if (prevEnv === undefined) delete process.env.CELLTRACE_NEW_DATA_KEY;
      else process.env.CELLTRACE_NEW_DATA_KEY = prevEnv;
      setKeyring(makeKeyring(parseKey(TEST_DATA_KEY)));
      await own.stop();
      await dropDatabase(db.name);
    }
  });
});
