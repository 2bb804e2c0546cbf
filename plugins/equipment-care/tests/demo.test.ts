import { startTestServer, type TestServer } from '../../../tests/support/app';
import { createDatabase, dropDatabase } from '../../../tests/support/pg';
import { addMonths } from '../schedule';

// The equipment demo data (issue 14 §7): the Shanghai lab's equipment with plans, one asset due next week, one
// overdue (out of calibration), one under repair, a signed calibration; the cell bank's tanks and freezers are
// equipment records; the due work reaches the centre's equipment manager's inbox.
const DEMO_PASSWORD = 'Demo#Start-2026';
jest.setTimeout(180_000);

let t: TestServer;
let db: { name: string; url: string };
let mgr: string;
let techBj: string;

async function firstLogin(username: string): Promise<string> {
  const first = await t.login(username, DEMO_PASSWORD);
  const r = await t.api('POST', '/api/v1/auth/change-password', { token: first, body: { oldPassword: DEMO_PASSWORD, newPassword: 'Lab#Own-Passw0rd' } });
  return r.body.token;
}

beforeAll(async () => {
  db = await createDatabase('celltrace_equipdemo');
  t = await startTestServer({ databaseUrl: db.url, demo: true, env: { DEMO_PASSWORD } });
  mgr = await firstLogin('sh.equipment');
  techBj = await firstLogin('bj.tech');
}, 180_000);
afterAll(async () => {
  await t?.stop();
  if (db) await dropDatabase(db.name);
});

const list = async (token: string, entity: string, q = '') => {
  const r = await t.api('GET', `/api/v1/data/${entity}?limit=1000${q}`, { token });
  expect(r.status).toBe(200);
  return r.body.data as any[];
};

test('R-3.6.2 R-3.6.4 R-3.6.5 demo equipment: one due next week, one out of calibration, one under repair, a signed calibration', async () => {
  const assets = await list(mgr, 'equipment');
  const by = (name: string) => assets.find((a) => a.name === name);
  expect(assets.length).toBeGreaterThanOrEqual(8);
  expect(by('CO2培养箱1号')).toMatchObject({ status: 'inUse', serviceState: 'dueSoon' });
  expect(by('CO2培养箱2号')).toMatchObject({ serviceState: 'outOfCalibration' });
  expect(by('低速离心机1号')).toMatchObject({ status: 'underRepair' });
  const counter = by('全自动细胞计数仪');
  expect(counter.serviceState).toBe('ok');
  const plan = (await list(mgr, 'maintenancePlan', `&filter=${encodeURIComponent(JSON.stringify({ equipment: counter.id }))}`))[0];
  expect(plan).toMatchObject({ lastResult: 'pass' });
  expect(plan.nextDueDate > addMonths(plan.startDate, 11)).toBe(true);
  // one register: the cell bank's LN2 tanks and freezers are linked to their equipment records
  const devices = await list(mgr, 'storageDevice', '&expand=equipment');
  const tank = devices.find((d) => d.code === 'SH-LN2-01');
  expect(tank.equipment$expanded).toMatchObject({ name: '上海液氮罐1号' });
  // Beijing sees its own equipment only
  const bj = await list(techBj, 'equipment');
  expect(bj.length).toBeGreaterThan(0);
  expect(bj.some((a) => assets.some((s) => s.id === a.id))).toBe(false);
});

test('R-3.6.5 the demo\'s due work reaches the Shanghai centre\'s equipment manager\'s inbox', async () => {
  await t.server.services.jobs!.enqueue('equipment-care.reminders', {});
  await t.server.services.jobs!.runDueOnce();
  const inbox = (await t.api('GET', '/api/v1/inbox/tasks?entity=maintenanceTask&limit=100', { token: mgr })).body.data as any[];
  const titles = inbox.map((x) => x.title).join('\n');
  expect(titles).toContain('季度保养（水盘更换、箱体消毒）');
  expect(titles).toContain('温度与CO2浓度校准'); // overdue: reminded too
  expect(titles).not.toContain('北京');
});
