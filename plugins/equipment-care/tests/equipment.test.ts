import ExcelJS from 'exceljs';
import { createDatabase, dropDatabase } from '../../../tests/support/pg';
import { create, orderFor, startLabs, PASSWORD, type Labs, type User } from '../../../tests/support/labs';
import { addDays, addMonths, nextDue, serviceState, today, type PlanLike } from '../schedule';

// Equipment care (issue 14) through the real API on PostgreSQL: next-due arithmetic, the gate on culture records and
// steps, reminders as inbox tasks once per due date, signed maintenance records moving the next due date, repairs
// moving the asset's status, the usage log and the impact query, the ledger and its XLSX, and lab isolation.
jest.setTimeout(120_000);

let L: Labs;
let db: { name: string; url: string };
let mgrA: User, mgrX: User, techA: User, techB: User, dirA: User, noPerm: User, mgrB: User;
const M: Record<string, any> = {};
const call = (token: string, method: string, path: string, body?: unknown, lang?: 'zh-CN' | 'en') => L.t.api(method, path, { token, body, lang });
const jobs = () => L.t.server.services.jobs!;
const knex = () => L.t.server.services.knex;
const SIGN = { signature: { meaning: '维护校准确认 / Maintenance record sign-off', password: PASSWORD } };
const day = (n: number) => addDays(today(), n);
const get = async (token: string, entity: string, id: number) => (await call(token, 'GET', `/api/v1/data/${entity}/${id}`)).body.data;
const remind = async () => {
  await jobs().enqueue('equipment-care.reminders', {});
  await jobs().runDueOnce();
};
const culture = (equipment: number[], extra: Record<string, unknown> = {}) => ({ customer: M.customer.id, order: M.order, cellKind: 'stem', cultureDate: day(0), totalCells: 10, viability: 95, passage: 2, equipment, ...extra });
const sign = (token: string, id: number) => call(token, 'POST', `/api/v1/data/maintenanceRecord/${id}/actions/sign`, SIGN);

beforeAll(async () => {
  db = await createDatabase('celltrace_equipment');
  L = await startLabs({ databaseUrl: db.url, plugins: ['equipment-care'] });
  const { org } = L;
  techA = org.techA;
  techB = org.techB;
  mgrA = await L.user('mgrA', org.labA, ['equipmentManager']);
  mgrX = await L.user('mgrX', org.centreX, ['equipmentManager']);
  mgrB = await L.user('mgrB', org.labB, ['equipmentManager']);
  dirA = await L.user('dirA', org.labA, ['labDirector']);
  const role = `noAccess${org.sfx}`;
  await call(L.admin, 'PUT', `/api/v1/meta/role/${role}`, { reason: 'test', definition: { $id: role, label: { 'zh-CN': '无权限', en: 'No access' }, permissions: [] } });
  noPerm = await L.user('noPerm', org.labA, [role]);
  M.root = await create(L.t, L.admin, 'equipmentCategory', { code: `CULT${org.sfx}`, name: '细胞培养设备' });
  M.bscCat = await create(L.t, L.admin, 'equipmentCategory', { code: `BSC${org.sfx}`, name: '生物安全柜', parent: M.root.id });
  M.incCat = await create(L.t, L.admin, 'equipmentCategory', { code: `INC${org.sfx}`, name: 'CO2培养箱', parent: M.root.id });
  M.customer = await create(L.t, techA.token, 'customer', { name: '郭颖' });
  M.order = await orderFor(L.t, M.customer.id);
}, 120_000);
afterAll(async () => {
  await L?.stop();
  if (db) await dropDatabase(db.name);
});

describe('R-3.6.5 next due date', () => {
  const plan = (o: Partial<PlanLike>): PlanLike => ({ planType: 'calibration', intervalValue: 1, intervalUnit: 'month', scheduleMode: 'fixed', startDate: '2025-01-31', ...o });
  test('calendar months keep the day and clamp to the month end without drifting', () => {
    expect(addMonths('2025-01-31', 1)).toBe('2025-02-28');
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2025-01-31', 2)).toBe('2025-03-31');
    expect(addMonths('2025-11-15', 3)).toBe('2026-02-15');
    // fixed: done early, the schedule does not move; done late, missed occurrences are skipped, never owed twice
    const p = plan({});
    expect(nextDue(p, null)).toBe('2025-01-31');
    expect(nextDue(p, { performedDate: '2025-01-30', dueDate: '2025-01-31' })).toBe('2025-02-28');
    expect(nextDue(p, { performedDate: '2025-02-27', dueDate: '2025-02-28' })).toBe('2025-03-31');
    expect(nextDue(p, { performedDate: '2025-06-15', dueDate: '2025-03-31' })).toBe('2025-06-30');
    expect(nextDue(plan({ intervalValue: 24 }), { performedDate: '2025-01-20', dueDate: '2025-01-31' })).toBe('2027-01-31');
  });
  test('from the last completion: the completion date plus the interval (days or months)', () => {
    expect(nextDue(plan({ scheduleMode: 'fromLast', intervalUnit: 'day', intervalValue: 90, startDate: '2025-03-01' }), { performedDate: '2025-03-10', dueDate: '2025-03-01' })).toBe('2025-06-08');
    expect(nextDue(plan({ scheduleMode: 'fromLast', intervalValue: 6 }), { performedDate: '2025-08-31', dueDate: '2025-01-31' })).toBe('2026-02-28');
  });
  test('state: a failed or overdue calibration is out of calibration, overdue maintenance is overdue, within the reminder window is due soon', () => {
    const t0 = '2026-06-10';
    expect(serviceState([], t0).state).toBe('noPlan');
    expect(serviceState([plan({ nextDueDate: '2026-06-09' })], t0).state).toBe('outOfCalibration');
    expect(serviceState([plan({ nextDueDate: '2026-07-09', lastResult: 'fail' })], t0).state).toBe('outOfCalibration');
    expect(serviceState([plan({ planType: 'cleaning', nextDueDate: '2026-06-09' })], t0).state).toBe('maintenanceOverdue');
    expect(serviceState([plan({ nextDueDate: '2026-06-10' })], t0).state).toBe('dueSoon');
    expect(serviceState([plan({ nextDueDate: '2026-06-30', remindDays: 7 })], t0)).toEqual({ state: 'ok', nextDueDate: '2026-06-30' });
  });
});

test('R-3.6.2 R-3.6.5 an asset is registered with a numbered code; two plans; signed records move the next due date (fixed and from last completion)', async () => {
  M.bsc = await create(L.t, mgrA.token, 'equipment', { name: 'A级生物安全柜1号', category: M.bscCat.id, model: 'Thermo 1300 A2', serialNo: 'SN-1', purchasePrice: 68000, purchaseDate: day(-400) });
  expect(M.bsc.code).toMatch(/^EQ\d{5}$/);
  expect(M.bsc).toMatchObject({ status: 'inUse', serviceState: 'noPlan', responsible: mgrA.id });
  const cal = await create(L.t, mgrA.token, 'maintenancePlan', { equipment: M.bsc.id, planType: 'calibration', name: '风速与高效检漏', intervalValue: 12, intervalUnit: 'month', scheduleMode: 'fixed', startDate: day(30), remindDays: 14 });
  const clean = await create(L.t, mgrA.token, 'maintenancePlan', { equipment: M.bsc.id, planType: 'cleaning', name: '台面消毒', intervalValue: 10, intervalUnit: 'day', scheduleMode: 'fromLast', startDate: day(20), remindDays: 3 });
  expect(cal.nextDueDate).toBe(day(30));
  expect(clean.nextDueDate).toBe(day(20));
  expect(await get(mgrA.token, 'equipment', M.bsc.id)).toMatchObject({ serviceState: 'ok', nextDueDate: day(20) });
  // A record needs its signature: until then the next due date stays.
  const rec = await create(L.t, mgrA.token, 'maintenanceRecord', { plan: cal.id, performedDate: day(-1), result: 'pass', certificateNo: 'JL-001' });
  expect(rec).toMatchObject({ equipment: M.bsc.id, planType: 'calibration', dueDate: day(30), status: 'draft', performedBy: mgrA.id });
  expect((await get(mgrA.token, 'maintenancePlan', cal.id)).nextDueDate).toBe(day(30));
  expect((await call(mgrA.token, 'POST', `/api/v1/data/maintenanceRecord/${rec.id}/actions/sign`, {})).status).toBe(400);
  expect((await call(mgrA.token, 'POST', `/api/v1/data/maintenanceRecord/${rec.id}/actions/sign`, { signature: { ...SIGN.signature, password: 'wrong' } })).status).toBeGreaterThanOrEqual(400);
  const signed = await sign(mgrA.token, rec.id);
  expect(signed.status).toBe(200);
  expect(signed.body.data).toMatchObject({ status: 'signed', signedBy: mgrA.id, nextDueDate: addMonths(day(30), 12) });
  expect(await get(mgrA.token, 'maintenancePlan', cal.id)).toMatchObject({ lastDoneDate: day(-1), lastResult: 'pass', nextDueDate: addMonths(day(30), 12) });
  expect(Number((await knex()('ct_signature').where({ entity: 'maintenanceRecord', record_id: rec.id }).count('* as n').first())!.n)).toBe(1);
  // from last completion: the cleaning done today is next due in 10 days
  const r2 = await create(L.t, mgrA.token, 'maintenanceRecord', { plan: clean.id, performedDate: day(0), result: 'pass' });
  expect((await sign(mgrA.token, r2.id)).body.data.nextDueDate).toBe(day(10));
  expect(await get(mgrA.token, 'equipment', M.bsc.id)).toMatchObject({ nextDueDate: day(10), serviceState: 'ok' });
  // a signed record is fixed
  const edit = await call(mgrA.token, 'PATCH', `/api/v1/data/maintenanceRecord/${rec.id}`, { version: signed.body.data.version, content: 'changed' });
  expect(edit.status).toBe(422);
  expect(edit.body.error.message).toContain('已签名');
  expect((await call(mgrA.token, 'DELETE', `/api/v1/data/maintenanceRecord/${rec.id}?version=${signed.body.data.version}`)).status).toBe(422);
  expect((await sign(mgrA.token, rec.id)).status).toBe(422);
  M.calPlan = cal;
  M.calRecord = signed.body.data;
});

test('R-3.6.5 the gate: an overdue, failed, under-repair or out-of-service asset cannot be chosen on a culture record or step, with the field and the reason', async () => {
  M.inc = await create(L.t, mgrA.token, 'equipment', { name: 'CO2培养箱2号', category: M.incCat.id, purchasePrice: 48000 });
  // usable without plans: the culture record names it and the usage log has the batch
  const ok = await create(L.t, techA.token, 'cultureRecord', culture([M.bsc.id, M.inc.id]));
  expect(ok.equipment).toEqual([M.bsc.id, M.inc.id]);
  const rows = await knex()('ec_usage').where({ entity: 'cultureRecord', record_id: ok.id }).orderBy('equipment_id');
  expect(rows.map((r: any) => [Number(r.equipment_id), r.batch_code])).toEqual([[M.bsc.id, ok.batchCode], [M.inc.id, ok.batchCode]]);
  M.cultureOk = ok;
  // an overdue calibration: out of calibration
  const late = await create(L.t, mgrA.token, 'maintenancePlan', { equipment: M.inc.id, planType: 'calibration', name: '温度与CO2校准', intervalValue: 12, intervalUnit: 'month', scheduleMode: 'fixed', startDate: day(-3) });
  expect((await get(mgrA.token, 'equipment', M.inc.id)).serviceState).toBe('outOfCalibration');
  const before = Number((await knex()('culture_record').count('* as n').first())!.n);
  const r = await call(techA.token, 'POST', '/api/v1/data/cultureRecord', culture([M.bsc.id, M.inc.id]));
  expect(r.status).toBe(422);
  expect(r.body.error.details[0].path).toBe('/equipment/1');
  expect(r.body.error.details[0].message).toBe(`设备“CO2培养箱2号”（${M.inc.code}）校准/检定“温度与CO2校准”已于 ${day(-3)} 到期未完成，校准失效，不能使用`);
  const en = await call(techA.token, 'POST', '/api/v1/data/cultureRecord', culture([M.inc.id]), 'en');
  expect(en.body.error.details[0]).toMatchObject({ path: '/equipment/0', message: `Equipment "CO2培养箱2号" (${M.inc.code}): calibration "温度与CO2校准" was due on ${day(-3)} and is not done; out of calibration, it cannot be used` });
  expect(Number((await knex()('culture_record').count('* as n').first())!.n)).toBe(before);
  // a culture step too (same annotation, another entity)
  const step = await call(techA.token, 'POST', '/api/v1/data/cultureStep', { cultureRecord: ok.id, stepType: 'observation', performedAt: new Date().toISOString(), equipment: [M.inc.id] });
  expect(step.status).toBe(422);
  expect(step.body.error.details[0].path).toBe('/equipment/0');
  // a record that named the asset before keeps it: editing other fields is fine, adding it anew is not
  const edited = await call(techA.token, 'PATCH', `/api/v1/data/cultureRecord/${ok.id}`, { version: ok.version, observations: '贴壁良好' });
  expect(edited.status).toBe(200);
  const other = await create(L.t, techA.token, 'cultureRecord', culture([M.bsc.id]));
  const add = await call(techA.token, 'PATCH', `/api/v1/data/cultureRecord/${other.id}`, { version: other.version, equipment: [M.bsc.id, M.inc.id] });
  expect(add.status).toBe(422);
  expect(add.body.error.details[0].path).toBe('/equipment/1');
  // another lab's technician naming it learns nothing about it: the reference check refuses, the gate stays silent
  const custB0 = await create(L.t, techB.token, 'customer', { name: '李娜' });
  const leak = await call(techB.token, 'POST', '/api/v1/data/cultureRecord', { ...culture([M.inc.id]), customer: custB0.id, order: await orderFor(L.t, custB0.id) });
  expect(leak.status).toBe(400);
  expect(leak.body.error.details[0].path).toMatch(/^\/equipment/);
  expect(JSON.stringify(leak.body)).not.toContain('CO2培养箱2号');
  // a failed calibration keeps it out of calibration
  const failed = await create(L.t, mgrA.token, 'maintenanceRecord', { plan: late.id, performedDate: day(0), result: 'fail', content: 'CO2 偏差 0.8%' });
  expect((await sign(mgrA.token, failed.id)).body.data.nextDueDate).toBe(day(-3));
  const f = await call(techA.token, 'POST', '/api/v1/data/cultureRecord', culture([M.inc.id]));
  expect(f.body.error.details[0].message).toContain('最近一次校准/检定“温度与CO2校准”结论为不合格');
  // a passing one makes it usable again
  const pass = await create(L.t, mgrA.token, 'maintenanceRecord', { plan: late.id, performedDate: day(0), result: 'pass' });
  expect((await sign(mgrA.token, pass.id)).body.data.nextDueDate).toBe(addMonths(day(-3), 12));
  expect((await get(mgrA.token, 'equipment', M.inc.id)).serviceState).toBe('ok');
  expect((await call(techA.token, 'POST', '/api/v1/data/cultureRecord', culture([M.inc.id]))).status).toBe(201);
  // out of service
  const inc = await get(mgrA.token, 'equipment', M.inc.id);
  await call(mgrA.token, 'PATCH', `/api/v1/data/equipment/${M.inc.id}`, { version: inc.version, status: 'outOfService' });
  const oos = await call(techA.token, 'POST', '/api/v1/data/cultureRecord', culture([M.inc.id]));
  expect(oos.body.error.details[0]).toMatchObject({ path: '/equipment/0', message: `设备“CO2培养箱2号”（${M.inc.code}）已停用，不能使用` });
  const inc2 = await get(mgrA.token, 'equipment', M.inc.id);
  await call(mgrA.token, 'PATCH', `/api/v1/data/equipment/${M.inc.id}`, { version: inc2.version, status: 'inUse' });
  // overdue maintenance (not calibration)
  const eq3 = await create(L.t, mgrA.token, 'equipment', { name: '离心机1号', category: M.root.id });
  await create(L.t, mgrA.token, 'maintenancePlan', { equipment: eq3.id, planType: 'maintenance', name: '转子保养', intervalValue: 6, intervalUnit: 'month', scheduleMode: 'fixed', startDate: day(-1) });
  const mo = await call(techA.token, 'POST', '/api/v1/data/cultureRecord', culture([eq3.id]));
  expect(mo.body.error.details[0].message).toContain('维护逾期');
  // another lab's technician cannot name lab A's asset at all
  const custB = await create(L.t, techB.token, 'customer', { name: '王芳' });
  const cross = await call(techB.token, 'POST', '/api/v1/data/cultureRecord', { ...culture([M.bsc.id]), customer: custB.id, order: await orderFor(L.t, custB.id) });
  expect(cross.status).toBe(400);
  expect(cross.body.error.details[0].path).toMatch(/^\/equipment/);
});

test('R-3.6.4 a repair moves the asset under repair and back in use (or out of service); downtime is computed; closed repairs stay closed', async () => {
  const eq = await create(L.t, mgrA.token, 'equipment', { name: '细胞计数仪', category: M.root.id });
  const reportedAt = new Date(Date.now() - 5 * 3600_000).toISOString();
  const rep = await create(L.t, mgrA.token, 'equipmentRepair', { equipment: eq.id, fault: '开机报错 E-12', reportedAt, repairerKind: 'vendor', vendorEngineer: '陈工', vendorCompany: '睿钰生物' });
  expect(rep).toMatchObject({ status: 'open', reportedBy: mgrA.id });
  expect(rep.repairNo).toMatch(/^WX\d{6}\d{3}$/);
  expect((await get(mgrA.token, 'equipment', eq.id)).status).toBe('underRepair');
  const g = await call(techA.token, 'POST', '/api/v1/data/cultureRecord', culture([eq.id]));
  expect(g.body.error.details[0].message).toBe(`设备“细胞计数仪”（${eq.code}）正在维修，不能使用`);
  // vendor repairs name the engineer
  const noEng = await call(mgrA.token, 'POST', '/api/v1/data/equipmentRepair', { equipment: eq.id, fault: 'x', reportedAt, repairerKind: 'vendor' });
  expect(noEng.status).toBe(400);
  expect(noEng.body.error.details.map((d: any) => d.path)).toContain('/vendorEngineer');
  expect((await call(mgrA.token, 'DELETE', `/api/v1/data/equipmentRepair/${rep.id}?version=${rep.version}`)).status).toBe(422);
  const early = await call(mgrA.token, 'POST', `/api/v1/data/equipmentRepair/${rep.id}/actions/finish`, { result: 'repaired', endedAt: new Date(Date.now() - 6 * 3600_000).toISOString() });
  expect(early.status).toBe(422);
  expect(early.body.error.details[0].path).toBe('/endedAt');
  const bad = await call(mgrA.token, 'POST', `/api/v1/data/equipmentRepair/${rep.id}/actions/finish`, { result: 'fixed' });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details[0].path).toBe('/result');
  expect((await call(techB.token, 'POST', `/api/v1/data/equipmentRepair/${rep.id}/actions/finish`, { result: 'repaired' })).status).toBe(403);
  expect((await call(mgrB.token, 'POST', `/api/v1/data/equipmentRepair/${rep.id}/actions/finish`, { result: 'repaired' })).status).toBe(404);
  const done = await call(mgrA.token, 'POST', `/api/v1/data/equipmentRepair/${rep.id}/actions/finish`, { result: 'repaired', cost: 1200, resultNote: '更换主板' });
  expect(done.status).toBe(200);
  expect(done.body.data).toMatchObject({ status: 'closed', result: 'repaired', cost: 1200 });
  expect(Number(done.body.data.downtimeHours)).toBeCloseTo(5, 0);
  expect((await get(mgrA.token, 'equipment', eq.id)).status).toBe('inUse');
  expect((await call(mgrA.token, 'POST', `/api/v1/data/equipmentRepair/${rep.id}/actions/finish`, { result: 'repaired' })).status).toBe(422);
  // not repairable: out of service
  const rep2 = await create(L.t, mgrA.token, 'equipmentRepair', { equipment: eq.id, fault: '光路损坏', reportedAt: new Date().toISOString(), repairerKind: 'internal', repairer: mgrA.id });
  await call(mgrA.token, 'POST', `/api/v1/data/equipmentRepair/${rep2.id}/actions/finish`, { result: 'notRepairable' });
  expect((await get(mgrA.token, 'equipment', eq.id)).status).toBe('outOfService');
});

test('R-3.6.5 reminders: a task in the equipment manager\'s inbox before the due date, once per due date; a run after downtime catches up; signing closes it', async () => {
  const eq = await create(L.t, mgrA.token, 'equipment', { name: 'CO2培养箱1号', category: M.incCat.id });
  const soon = await create(L.t, mgrA.token, 'maintenancePlan', { equipment: eq.id, planType: 'maintenance', name: '季度保养', intervalValue: 3, intervalUnit: 'month', scheduleMode: 'fixed', startDate: day(5), remindDays: 7 });
  const later = await create(L.t, mgrA.token, 'maintenancePlan', { equipment: eq.id, planType: 'calibration', name: '温度校准', intervalValue: 12, intervalUnit: 'month', scheduleMode: 'fixed', startDate: day(40), remindDays: 7 });
  // "downtime": a plan whose window opened days ago and whose due date has passed, never reminded
  const missed = await create(L.t, mgrA.token, 'maintenancePlan', { equipment: eq.id, planType: 'cleaning', name: '箱体消毒', intervalValue: 1, intervalUnit: 'month', scheduleMode: 'fromLast', startDate: day(-2), remindDays: 3 });
  // a scrapped asset owes no work
  const scrapped = await create(L.t, mgrA.token, 'equipment', { name: '旧离心机', category: M.root.id, status: 'scrapped' });
  const dead = await create(L.t, mgrA.token, 'maintenancePlan', { equipment: scrapped.id, planType: 'maintenance', name: '保养', intervalValue: 1, intervalUnit: 'month', scheduleMode: 'fixed', startDate: day(1) });
  await remind();
  const failed = await knex()('ct_job').whereNotNull('last_error').select('name', 'last_error');
  expect(failed).toEqual([]);
  const tasks = async (plan: number) => (await call(mgrA.token, 'GET', `/api/v1/data/maintenanceTask?filter=${encodeURIComponent(JSON.stringify({ plan }))}`)).body.data;
  const t1 = await tasks(soon.id);
  expect(t1).toHaveLength(1);
  expect(t1[0]).toMatchObject({ dueDate: day(5), status: 'open' });
  expect(t1[0].title).toBe(`维护保养：CO2培养箱1号（${eq.code}）· 季度保养 · ${day(5)} 到期`);
  expect(await tasks(later.id)).toHaveLength(0);
  expect(await tasks(missed.id)).toHaveLength(1);
  expect(await tasks(dead.id)).toHaveLength(0);
  // the lab's manager and the centre's manager look after the lab: one is assigned, the other is notified
  const assignee = t1[0].assignee;
  expect([mgrA.id, mgrX.id]).toContain(assignee);
  const who = assignee === mgrA.id ? mgrA : mgrX;
  const other = assignee === mgrA.id ? mgrX : mgrA;
  const inbox = (await call(who.token, 'GET', '/api/v1/inbox/tasks')).body.data;
  expect(inbox.find((x: any) => x.entity === 'maintenanceTask' && x.recordId === t1[0].id)).toMatchObject({ kind: 'assign', status: 'pending', title: t1[0].title });
  const notes = (await call(other.token, 'GET', '/api/v1/inbox/notifications')).body.data;
  expect(notes.some((n: any) => n.entity === 'maintenanceTask' && n.recordId === t1[0].id)).toBe(true);
  expect((await call(mgrB.token, 'GET', '/api/v1/inbox/tasks')).body.data.filter((x: any) => x.entity === 'maintenanceTask')).toHaveLength(0);
  // never twice: more runs, concurrent runs
  await remind();
  await Promise.all([remind(), remind()]);
  expect(await tasks(soon.id)).toHaveLength(1);
  expect(Number((await knex()('ec_reminder').where({ plan_id: soon.id }).count('* as n').first())!.n)).toBe(1);
  // done and signed: the task closes (inbox too), the next due date moves, the next reminder waits for its window
  const rec = await create(L.t, who.token, 'maintenanceRecord', { plan: soon.id, performedDate: day(0), result: 'pass' });
  await sign(who.token, rec.id);
  const closed = (await tasks(soon.id))[0];
  expect(closed).toMatchObject({ status: 'done', record: rec.id });
  expect((await call(who.token, 'GET', '/api/v1/inbox/tasks')).body.data.find((x: any) => x.recordId === t1[0].id)).toBeUndefined();
  expect((await call(who.token, 'GET', '/api/v1/inbox/tasks?box=done')).body.data.find((x: any) => x.recordId === t1[0].id)).toMatchObject({ status: 'done' });
  expect((await get(who.token, 'maintenancePlan', soon.id)).nextDueDate).toBe(addMonths(day(5), 3));
  await remind();
  expect(await tasks(soon.id)).toHaveLength(1);
});

test('R-3.6.5 usage log and impact: the batches that used an asset since its last passing calibration, within the caller\'s scope', async () => {
  const eq = await create(L.t, mgrA.token, 'equipment', { name: '流式细胞仪', category: M.root.id });
  const plan = await create(L.t, mgrA.token, 'maintenancePlan', { equipment: eq.id, planType: 'calibration', name: '荧光微球校准', intervalValue: 6, intervalUnit: 'month', scheduleMode: 'fromLast', startDate: day(10) });
  const old = await create(L.t, techA.token, 'cultureRecord', culture([eq.id], { cultureDate: day(-20) }));
  const rec = await create(L.t, mgrA.token, 'maintenanceRecord', { plan: plan.id, performedDate: day(-10), result: 'pass', certificateNo: 'FCM-1' });
  await sign(mgrA.token, rec.id);
  const a = await create(L.t, techA.token, 'cultureRecord', culture([eq.id], { cultureDate: day(-5) }));
  const b = await create(L.t, techA.token, 'cultureRecord', culture([eq.id], { cultureDate: day(-1) }));
  await create(L.t, techA.token, 'cultureStep', { cultureRecord: a.id, stepType: 'observation', performedAt: new Date().toISOString(), equipment: [eq.id] });
  const r = await call(dirA.token, 'GET', `/api/v1/equipment/${eq.id}/usage`);
  expect(r.status).toBe(200);
  expect(r.body.data.since).toMatchObject({ date: day(-10), record: { id: rec.id } });
  expect(r.body.data.batches.map((x: any) => x.code).sort()).toEqual([a.batchCode, b.batchCode].sort());
  expect(r.body.data.batches.find((x: any) => x.code === a.batchCode).uses).toBe(2); // the record and its step
  expect(r.body.data.usages).toHaveLength(3);
  const all = await call(dirA.token, 'GET', `/api/v1/equipment/${eq.id}/usage?since=all`);
  expect(all.body.data.batches.map((x: any) => x.code)).toContain(old.batchCode);
  // a deleted record leaves the log
  await call(techA.token, 'DELETE', `/api/v1/data/cultureRecord/${b.id}?version=${b.version}`);
  expect((await call(dirA.token, 'GET', `/api/v1/equipment/${eq.id}/usage`)).body.data.batches.map((x: any) => x.code)).toEqual([a.batchCode]);
  // isolation and bad input
  expect((await call(techB.token, 'GET', `/api/v1/equipment/${eq.id}/usage`)).status).toBe(404);
  expect((await call(noPerm.token, 'GET', `/api/v1/equipment/${eq.id}/usage`)).status).toBe(403);
  const badQ = await call(dirA.token, 'GET', `/api/v1/equipment/${eq.id}/usage?since=ever`);
  expect(badQ.status).toBe(400);
  expect(badQ.body.error.details[0].path).toBe('/since');
  expect((await call(dirA.token, 'GET', '/api/v1/equipment/abc/usage')).status).toBe(404);
});

test('R-3.6.1 R-3.6.3 the ledger: per category counts, value and status; XLSX with the register and the summary; only the caller\'s lab', async () => {
  const r = await call(mgrA.token, 'GET', '/api/v1/equipment/ledger');
  expect(r.status).toBe(200);
  const bsc = r.body.data.find((g: any) => g.category?.id === M.bscCat.id);
  expect(bsc).toMatchObject({ count: 1, value: 68000, category: { path: '细胞培养设备 / 生物安全柜' }, byStatus: { inUse: 1 } });
  expect(r.body.totals.count).toBe(r.body.assets.length);
  expect(r.body.totals.byStatus.outOfService).toBe(1);
  const res = await fetch(`${L.t.url}/api/v1/equipment/ledger?format=xlsx`, { headers: { Authorization: `Bearer ${mgrA.token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('spreadsheetml');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as any);
  const reg = wb.getWorksheet('设备台账')!;
  expect(reg.getRow(1).values).toEqual(expect.arrayContaining(['序号', '设备编号', '设备名称', '设备科目', '原值(元)', '设备状态', '维护校准状态', '下次到期']));
  expect(reg.rowCount).toBe(r.body.assets.length + 1);
  const bscRow = (reg.getSheetValues() as any[]).find((v) => Array.isArray(v) && v.includes(M.bsc.code));
  expect(bscRow).toEqual(expect.arrayContaining([M.bsc.code, 'A级生物安全柜1号', '细胞培养设备 / 生物安全柜', 68000, '在用']));
  const sum = wb.getWorksheet('分类汇总')!;
  const rows = sum.getSheetValues() as any[];
  expect(rows.find((v) => Array.isArray(v) && v.includes('细胞培养设备 / 生物安全柜'))).toEqual(expect.arrayContaining([1, 68000]));
  expect(rows[rows.length - 1]).toEqual(expect.arrayContaining(['合计', r.body.totals.count]));
  // lab B sees none of lab A's assets; a role without permission is refused; bad parameters name themselves
  const b = await call(techB.token, 'GET', '/api/v1/equipment/ledger');
  expect(b.status).toBe(200);
  expect(b.body.totals.count).toBe(0);
  expect((await call(noPerm.token, 'GET', '/api/v1/equipment/ledger')).status).toBe(403);
  const bad = await call(mgrA.token, 'GET', '/api/v1/equipment/ledger?status=broken');
  expect(bad.status).toBe(400);
  expect(bad.body.error.details[0].path).toBe('/status');
});

test('isolation of the new entities: another lab\'s technician and a role without permission', async () => {
  for (const entity of ['equipment', 'maintenancePlan', 'maintenanceRecord', 'equipmentRepair', 'maintenanceTask']) {
    const mine = (await call(mgrA.token, 'GET', `/api/v1/data/${entity}?limit=1`)).body.data[0];
    expect(mine).toBeDefined();
    expect((await call(techB.token, 'GET', `/api/v1/data/${entity}/${mine.id}`)).status).toBe(404);
    expect((await call(techB.token, 'GET', `/api/v1/data/${entity}`)).body.data.filter((x: any) => x.id === mine.id)).toEqual([]);
    expect((await call(mgrB.token, 'PATCH', `/api/v1/data/${entity}/${mine.id}`, { version: mine.version })).status).toBe(404);
    expect((await call(noPerm.token, 'GET', `/api/v1/data/${entity}`)).status).toBe(403);
  }
  // technicians read equipment (to pick it) but do not keep the register
  expect((await call(techA.token, 'GET', `/api/v1/data/equipment/${M.bsc.id}`)).status).toBe(200);
  expect((await call(techA.token, 'POST', '/api/v1/data/equipment', { name: 'x', category: M.root.id })).status).toBe(403);
  expect((await call(techA.token, 'POST', `/api/v1/data/maintenanceRecord/${M.calRecord.id}/actions/sign`, SIGN)).status).toBe(403);
  const manual = await call(mgrA.token, 'POST', '/api/v1/data/maintenanceTask', { assignee: mgrA.id });
  expect(manual.status).toBe(422);
  expect(manual.body.error.details[0]).toMatchObject({ path: '/plan', message: '到期维护任务由维护校准计划自动生成，不能手工新建' });
  // a manager of lab B cannot record maintenance on lab A's plan
  const cross = await call(mgrB.token, 'POST', '/api/v1/data/maintenanceRecord', { plan: M.calPlan.id, performedDate: day(0), result: 'pass' });
  expect(cross.status).toBe(400);
  expect(cross.body.error.details[0].path).toBe('/plan');
});
