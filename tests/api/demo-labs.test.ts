import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';

// Demo data that a lab can use (issue 10, item 6): the demo records belong to the labs of the demo org tree, and the
// demo users of a lab see that lab's records and nothing of the other lab.
const DEMO_PASSWORD = 'Demo#Start-2026';
const NEW_PASSWORD = 'Lab#Own-Passw0rd';
const ENTITIES = ['customer', 'cultureRecord', 'cellBatch', 'qcRecord', 'storageDevice', 'container', 'stockIn', 'cryovial'];

let t: TestServer;
let db: { name: string; url: string };
let admin: string;
let labs: Record<string, number>;

beforeAll(async () => {
  db = await createDatabase();
  t = await startTestServer({ databaseUrl: db.url, demo: true, env: { DEMO_PASSWORD } });
  admin = await t.login();
  const orgs = (await t.api('GET', '/api/v1/admin/orgs', { token: admin })).body.data as any[];
  labs = Object.fromEntries(orgs.filter((o) => o.kind === 'lab').map((o) => [o.code, o.id]));
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (db) await dropDatabase(db.name);
});

const list = async (token: string, entity: string) => {
  const r = await t.api('GET', `/api/v1/data/${entity}?limit=1000`, { token });
  expect(r.status).toBe(200);
  return r.body.data as any[];
};

/** First login of a demo user: the demo password works once, and nothing but changing it is allowed. */
async function firstLogin(username: string): Promise<string> {
  const first = await t.login(username, DEMO_PASSWORD);
  const blocked = await t.api('GET', '/api/v1/data/customer', { token: first });
  expect(blocked.status).toBe(403);
  expect(blocked.body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
  const changed = await t.api('POST', '/api/v1/auth/change-password', { token: first, body: { oldPassword: DEMO_PASSWORD, newPassword: NEW_PASSWORD } });
  expect(changed.status).toBe(200);
  return changed.body.token;
}

test('the demo org tree has two labs, and a demo user of each shipped role except the administrator', async () => {
  expect(Object.keys(labs).sort()).toEqual(['BJ-CB', 'SH-CB']);
  const users = (await t.api('GET', '/api/v1/admin/users?limit=100', { token: admin })).body.data as any[];
  const roles = new Set(users.flatMap((u) => u.roles));
  const shipped = fs.readdirSync(path.join(__dirname, '../../metadata/system/roles')).map((f) => f.replace(/\.json$/, ''));
  for (const r of shipped.filter((x) => x !== 'systemAdmin')) expect([r, roles.has(r)]).toEqual([r, true]);
  const tech = users.find((u) => u.username === 'sh.tech');
  expect(tech).toMatchObject({ orgId: labs['SH-CB'], labId: labs['SH-CB'], mustChangePassword: true });
});

test('every demo record of a lab-scoped entity belongs to a lab of the demo org tree', async () => {
  for (const entity of ENTITIES) {
    const rows = await list(admin, entity);
    expect([entity, rows.length > 0]).toEqual([entity, true]);
    const foreign = rows.filter((r) => !Object.values(labs).includes(r.labId));
    expect([entity, foreign.map((r) => r.id)]).toEqual([entity, []]);
  }
  // Both labs have demo data of their own.
  for (const entity of ['customer', 'cellBatch', 'storageDevice']) {
    const rows = await list(admin, entity);
    expect([entity, new Set(rows.map((r) => r.labId)).size]).toEqual([entity, 2]);
  }
});

test('R-1.1 R-1.6 a technician of demo lab A sees its customers, cell batches and tanks, and none of lab B', async () => {
  const token = await firstLogin('sh.tech');
  for (const entity of ['customer', 'cellBatch', 'storageDevice', 'cultureRecord', 'qcRecord', 'cryovial']) {
    const all = await list(admin, entity);
    const mine = await list(token, entity);
    const ofA = all.filter((r) => r.labId === labs['SH-CB']).map((r) => r.id).sort();
    expect([entity, mine.length > 0]).toEqual([entity, true]);
    expect([entity, mine.map((r) => r.id).sort()]).toEqual([entity, ofA]);
  }
  const tanks = await list(token, 'storageDevice');
  expect(tanks.map((d) => d.code).sort()).toEqual(expect.arrayContaining(['SH-LN2-01', 'SH-LN2-02']));
  expect(tanks.some((d) => d.code.startsWith('BJ-'))).toBe(false);
  // The demo tanks were built in the lab: their boxes hold the lab's vials and belong to the lab.
  const vials = await list(token, 'cryovial');
  expect(vials.length).toBeGreaterThan(0);
  // Vials in storage sit in the lab's own tanks; vials stocked out for a product are in none.
  expect(vials.filter((v) => v.status === 'stored').every((v) => tanks.some((d) => d.id === v.device))).toBe(true);
  expect(vials.filter((v) => v.status !== 'stored').every((v) => v.device == null)).toBe(true);
});

test('a technician of demo lab B sees lab B and none of lab A; the demo password no longer works once changed', async () => {
  const token = await firstLogin('bj.tech');
  const customers = await list(token, 'customer');
  expect(customers.length).toBeGreaterThan(0);
  expect(customers.every((c) => c.labId === labs['BJ-CB'])).toBe(true);
  const tanks = await list(token, 'storageDevice');
  expect(tanks.length).toBeGreaterThan(0);
  expect(tanks.every((d) => d.code.startsWith('BJ-'))).toBe(true);
  const login = await t.api('POST', '/api/v1/auth/login', { body: { username: 'bj.tech', password: DEMO_PASSWORD } });
  expect(login.status).toBe(401);
});

test('without demo data there are no demo users', async () => {
  const other = await createDatabase();
  const plain = await startTestServer({ databaseUrl: other.url, demo: false, env: { DEMO_PASSWORD } });
  try {
    const r = await plain.api('POST', '/api/v1/auth/login', { body: { username: 'sh.tech', password: DEMO_PASSWORD } });
    expect(r.status).toBe(401);
  } finally {
    await plain.stop();
    await dropDatabase(other.name);
  }
}, 120_000);

test('R-3.3.6 the demo clean-room suite: weeks of readings, one alert and one action excursion whose deviation lists the affected batches', async () => {
  const q = (entity: string, filter: object) => t.api('GET', `/api/v1/data/${entity}?limit=1000&filter=${encodeURIComponent(JSON.stringify(filter))}`, { token: admin });
  const rooms = (await q('room', { labId: labs['SH-CB'] })).body.data as any[];
  expect(rooms.map((r) => r.grade).sort()).toEqual(['A', 'B', 'C', 'D']);
  expect(rooms.find((r) => r.grade === 'A').parent).toBe(rooms.find((r) => r.grade === 'B').id);
  const readings = (await q('emReading', { labId: labs['SH-CB'] })).body.data as any[];
  expect(readings.length).toBeGreaterThan(200);
  const days = new Set(readings.map((r) => String(r.sampledAt).slice(0, 10)));
  expect(days.size).toBeGreaterThanOrEqual(21);
  expect(readings.filter((r) => r.status === 'alert')).toHaveLength(1);
  const actions = readings.filter((r) => r.status === 'action');
  expect(actions).toHaveLength(1);
  const dev = (await t.api('GET', `/api/v1/data/deviation/${actions[0].deviation}`, { token: admin })).body.data;
  expect(dev).toMatchObject({ source: 'emExcursion', status: 'open', room: rooms.find((r) => r.grade === 'B').id });
  expect(dev.affected.length).toBeGreaterThanOrEqual(1);
});
