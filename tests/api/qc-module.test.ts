import { createDatabase, dropDatabase } from '../support/pg';
import { suggestAlert } from '../../plugins/qc-gating/em';
import { create, startLabs, PASSWORD, type Labs, type User, orderFor } from '../support/labs';

// The QC module (issue 13): frozen specifications, review by a second person with an e-signature, retests, the gate
// reading only approved results, material QC releasing its lot, random spot checks that can be re-checked,
// environment monitoring with grade limits, excursions opening deviations with the affected batches, the sampling
// schedule, and lab isolation on every new route — through the real API on PostgreSQL.
jest.setTimeout(180_000);

let L: Labs;
let db: { name: string; url: string };
let qcA: User, qcA2: User, qcB: User, techA: User, techB: User, noPerm: User, dirA: User;
const M: Record<string, any> = {};
const call = (token: string, method: string, path: string, body?: unknown) => L.t.api(method, path, { token, body });
const knex = () => L.t.server.services.knex;
const sign = (meaning: string) => ({ signature: { meaning, password: PASSWORD } });
const APPROVE = '质检复核批准 / QC review approval';
const daysAgo = (d: number, h = 10) => new Date(Date.now() - d * 86400_000 - (Date.now() % 86400_000) + h * 3600_000).toISOString();

beforeAll(async () => {
  db = await createDatabase('celltrace_qcmod');
  L = await startLabs({ databaseUrl: db.url, plugins: ['qc-gating', 'consumption-ledger'] });
  const { org } = L;
  techA = org.techA;
  techB = org.techB;
  qcA = await L.user('qcA', org.labA, ['qcInspector']);
  qcA2 = await L.user('qcA2', org.labA, ['qcInspector']);
  qcB = await L.user('qcB', org.labB, ['qcInspector']);
  dirA = await L.user('dirA', org.labA, ['labDirector']);
  const role = `noAccess${org.sfx}`;
  await call(L.admin, 'PUT', `/api/v1/meta/role/${role}`, { reason: 'test', definition: { $id: role, label: { 'zh-CN': '无权限', en: 'No access' }, permissions: [] } });
  noPerm = await L.user('noPerm', org.labA, [role]);
  const sfx = org.sfx;
  M.cust = await create(L.t, techA.token, 'customer', { name: `客户 ${sfx}`, phone: '13800000000' });
  M.roomB = await create(L.t, qcA.token, 'room', { code: `B1${sfx}`, name: `B级洁净室 ${sfx}`, grade: 'B' });
  M.roomC = await create(L.t, qcA.token, 'room', { code: `C1${sfx}`, name: `C级洁净室 ${sfx}`, grade: 'C' });
  M.culture = await create(L.t, techA.token, 'cultureRecord', { customer: M.cust.id, order: await orderFor(L.t, M.cust.id), cellKind: 'stem', cellType: 'UC-MSC', cultureDate: daysAgo(3).slice(0, 10), room: M.roomB.id, totalCells: 10, viability: 95, passage: 1 });
  M.culture2 = await create(L.t, techA.token, 'cultureRecord', { customer: M.cust.id, order: await orderFor(L.t, M.cust.id), cellKind: 'stem', cellType: 'UC-MSC', cultureDate: daysAgo(20).slice(0, 10), room: M.roomC.id, totalCells: 10, viability: 95, passage: 1 });
  M.step = await create(L.t, techA.token, 'cultureStep', { cultureRecord: M.culture.id, stepType: 'passage', performedAt: daysAgo(1, 9), room: M.roomB.id, passage: 2 });
  M.pointB = await create(L.t, qcA.token, 'samplingPoint', { code: `B1-01${sfx}`, name: `B1 工作台旁 ${sfx}`, room: M.roomB.id, parameters: ['settlePlate', 'particles05', 'temperature'], mapX: 30, mapY: 40 });
}, 180_000);
afterAll(async () => {
  await L?.stop();
  if (db) await dropDatabase(db.name);
});

const processQc = (token: string, body: Record<string, unknown> = {}) =>
  call(token, 'POST', '/api/v1/data/qcRecord', { qcType: 'processQc', cultureStep: M.step.id, testedAt: new Date().toISOString(), viability: 93, morphologyOk: 'pass', ...body });

test('an in-process QC names its culture step and is judged against the spec frozen onto it: a later spec edit changes nothing (R-3.3.2)', async () => {
  const r = await processQc(qcA.token);
  expect(r.status).toBe(201);
  const qc = r.body.data;
  expect(qc).toMatchObject({ cultureRecord: M.culture.id, appliedSpec: 'processGeneral', specVersion: 1, result: 'pass', reviewStatus: 'draft' });
  expect(qc.limits.find((l: any) => l.field === 'viability').spec).toEqual({ min: 80 });
  // The admin tightens the specification (viability ≥ 95, version 2).
  const spec = (await call(L.admin, 'GET', '/api/v1/meta/qcSpec/processGeneral')).body.data;
  const def = spec.definition ?? spec;
  const next = { ...def, version: 2, items: def.items.map((i: any) => (i.field === 'viability' ? { ...i, spec: { min: 95 }, action: undefined, alert: undefined } : i)) };
  for (const i of next.items) for (const k of Object.keys(i)) if (i[k] === undefined) delete i[k];
  const put = await call(L.admin, 'PUT', '/api/v1/meta/qcSpec/processGeneral', { reason: 'tighten', definition: next });
  expect(put.status).toBe(200);
  // The old record, edited, is still judged against its frozen copy (93 ≥ 80); a new one gets version 2 (93 < 95).
  const edited = await call(qcA.token, 'PATCH', `/api/v1/data/qcRecord/${qc.id}`, { version: qc.version, viability: 92 });
  expect(edited.status).toBe(200);
  expect(edited.body.data).toMatchObject({ result: 'pass', specVersion: 1 });
  expect(edited.body.data.limits.find((l: any) => l.field === 'viability').spec).toEqual({ min: 80 });
  const fresh = (await processQc(qcA.token, { testedAt: new Date(Date.now() - 3600_000).toISOString() })).body.data; // earlier: not the latest
  expect(fresh).toMatchObject({ result: 'fail', specVersion: 2 });
  await call(L.admin, 'PUT', '/api/v1/meta/qcSpec/processGeneral', { reason: 'restore', definition: def });
  M.processQc = edited.body.data;
  // The failed one, once approved, is investigated as a deviation.
  await call(qcA.token, 'POST', `/api/v1/data/qcRecord/${fresh.id}/actions/submit`, {});
  expect((await call(qcA2.token, 'POST', `/api/v1/data/qcRecord/${fresh.id}/actions/approve`, sign(APPROVE))).status).toBe(200);
  const devs = (await call(qcA.token, 'GET', `/api/v1/data/deviation?filter=${encodeURIComponent(JSON.stringify({ qcRecord: fresh.id }))}`)).body.data;
  expect(devs).toHaveLength(1);
  expect(devs[0]).toMatchObject({ source: 'qcFailure', status: 'open', title: `质检${fresh.qcNo}不合格` });
});

test('review: submit, no self-verification, reject with a reason, approve by a second inspector with an e-signature; approved results are frozen', async () => {
  const qc = M.processQc;
  const sub = await call(qcA.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/submit`, {});
  expect(sub.status).toBe(200);
  expect(sub.body.data).toMatchObject({ reviewStatus: 'submitted', submittedBy: expect.anything() });
  const self = await call(qcA.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/approve`, sign(APPROVE));
  expect(self.status).toBe(403);
  expect(self.body.error.message).toContain('不能复核自己');
  const locked = await call(qcA.token, 'PATCH', `/api/v1/data/qcRecord/${qc.id}`, { version: sub.body.data.version, viability: 50 });
  expect(locked.status).toBe(422);
  const noReason = await call(qcA2.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/reject`, {});
  expect(noReason.status).toBe(400);
  expect(JSON.stringify(noReason.body.error.details)).toContain('comment');
  const rej = await call(qcA2.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/reject`, { comment: '原始记录缺少计数板照片' });
  expect(rej.body.data).toMatchObject({ reviewStatus: 'rejected', reviewComment: '原始记录缺少计数板照片' });
  // Corrected and resubmitted, then approved by the second inspector; a wrong password fails.
  const fixed = await call(qcA.token, 'PATCH', `/api/v1/data/qcRecord/${qc.id}`, { version: rej.body.data.version, remarks: '补充照片' });
  expect(fixed.status).toBe(200);
  await call(qcA.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/submit`, {});
  const badPw = await call(qcA2.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/approve`, { signature: { meaning: APPROVE, password: 'wrong' } });
  expect(badPw.status).toBeGreaterThanOrEqual(400);
  expect(badPw.status).toBeLessThan(500);
  const ok = await call(qcA2.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/approve`, sign(APPROVE));
  expect(ok.status).toBe(200);
  expect(ok.body.data).toMatchObject({ reviewStatus: 'approved', reviewedBy: qcA2.id });
  const sigs = await knex()('ct_signature').where({ entity: 'qcRecord', record_id: qc.id, action: 'approve' });
  expect(sigs).toHaveLength(1);
  expect(Number(sigs[0].user_id)).toBe(qcA2.id);
  const edit = await call(qcA.token, 'PATCH', `/api/v1/data/qcRecord/${qc.id}`, { version: ok.body.data.version, viability: 60 });
  expect(edit.status).toBe(422);
  M.processQc = ok.body.data;
});

test('the gate reads only approved results: a harvest needs an approved in-process QC of its culture', async () => {
  const gate = (await call(L.admin, 'GET', '/api/v1/meta/qcGate/harvestRequiresProcessQc')).body.data;
  const def = gate.definition ?? gate;
  expect((await call(L.admin, 'PUT', '/api/v1/meta/qcGate/harvestRequiresProcessQc', { reason: 'enable', definition: { ...def, enabled: true } })).status).toBe(200);
  // culture2 has a passed in-process QC that nobody approved yet: the harvest is refused.
  const step2 = await create(L.t, techA.token, 'cultureStep', { cultureRecord: M.culture2.id, stepType: 'observation', performedAt: daysAgo(2), room: M.roomC.id });
  const pass = (await processQc(qcA.token, { cultureStep: step2.id })).body.data;
  expect(pass.result).toBe('pass');
  const refused = await call(techA.token, 'POST', '/api/v1/data/cultureStep', { cultureRecord: M.culture2.id, stepType: 'harvest', performedAt: new Date().toISOString() });
  expect(refused.status).toBe(422);
  expect(refused.body.error.message).toContain('经复核批准');
  expect(refused.body.error.details[0].path).toBe('/cultureRecord');
  // culture (approved above) may be harvested.
  const allowed = await call(techA.token, 'POST', '/api/v1/data/cultureStep', { cultureRecord: M.culture.id, stepType: 'harvest', performedAt: new Date().toISOString() });
  expect(allowed.status).toBe(201);
  await call(L.admin, 'PUT', '/api/v1/meta/qcGate/harvestRequiresProcessQc', { reason: 'restore', definition: def });
});

test('an invalidated result starts a linked retest of the same subject', async () => {
  const qc = M.processQc;
  const noReason = await call(qcA2.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/invalidate`, {});
  expect(noReason.status).toBe(400);
  const inv = await call(qcA2.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/invalidate`, { comment: '计数仪校准过期' });
  expect(inv.body.data.reviewStatus).toBe('invalidated');
  const retests = (await call(qcA.token, 'GET', `/api/v1/data/qcRecord?filter=${encodeURIComponent(JSON.stringify({ retestOf: qc.id }))}`)).body.data;
  expect(retests).toHaveLength(1);
  expect(retests[0]).toMatchObject({ qcType: 'processQc', cultureStep: M.step.id, cultureRecord: M.culture.id, reviewStatus: 'draft', result: 'pending' });
});

test('material QC: an approved pass releases the quarantined lot (R-3.3.1)', async () => {
  const keeper = await L.user('keeperA', L.org.labA, ['inventoryKeeper']);
  const cat = await create(L.t, L.admin, 'materialCategory', { code: `R${L.org.sfx}`, name: '试剂', kind: 'reagent' });
  const mat = await create(L.t, keeper.token, 'material', { name: `胎牛血清 ${L.org.sfx}`, category: cat.id, unit: 'mL', packSize: 100, qcRequired: true });
  const store = await create(L.t, keeper.token, 'materialStore', { code: `MA${L.org.sfx}`, name: '主库A', storeKind: 'main' });
  const rcpt = await create(L.t, keeper.token, 'materialReceipt', { store: store.id, lines: [{ material: mat.id, lotNo: `L${L.org.sfx}`, expiryDate: '2030-01-31', packs: 2 }] });
  const lot = rcpt.lines[0].lot;
  const qc = (await call(qcA.token, 'POST', '/api/v1/data/qcRecord', { qcType: 'materialQc', materialLot: lot, testedAt: new Date().toISOString(), appearance: '符合规定', endotoxin: 0.1 })).body.data;
  expect(qc).toMatchObject({ appliedSpec: 'materialGeneral', result: 'pass' });
  await call(qcA.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/submit`, {});
  const ok = await call(qcA2.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/approve`, sign(APPROVE));
  expect(ok.status).toBe(200);
  const after = (await call(qcA.token, 'GET', `/api/v1/data/materialLot/${lot}`)).body.data;
  expect(after.status).toBe('released');
  expect(after.qcConclusion).toContain(qc.qcNo);
});

test('a spot-check draw records its seed and candidates, gives inspectors tasks in the inbox, and re-checks to the same draw (R-3.3.3)', async () => {
  // Five running cultures in lab A (plus the two above), one in lab B that must never be a candidate.
  for (let i = 0; i < 5; i++) await create(L.t, techA.token, 'cultureRecord', { customer: M.cust.id, order: await orderFor(L.t, M.cust.id), cellKind: 'stem', cultureDate: daysAgo(i + 1).slice(0, 10), totalCells: 5, viability: 90, passage: 1 });
  const custB = await create(L.t, techB.token, 'customer', { name: 'B 客户', phone: '13900000000' });
  const cultB = await create(L.t, techB.token, 'cultureRecord', { customer: custB.id, order: await orderFor(L.t, custB.id), cellKind: 'stem', cultureDate: daysAgo(1).slice(0, 10), totalCells: 5, viability: 90, passage: 1 });
  const plan = await create(L.t, qcA.token, 'spotCheckPlan', { name: '每周抽检', percent: 30, minCount: 1, windowDays: 30 });
  const badSeed = await call(qcA.token, 'POST', `/api/v1/data/spotCheckPlan/${plan.id}/actions/draw`, { seed: 'a b' });
  expect(badSeed.status).toBe(400);
  expect(JSON.stringify(badSeed.body.error.details)).toContain('/seed');
  const d = await call(qcA.token, 'POST', `/api/v1/data/spotCheckPlan/${plan.id}/actions/draw`, { seed: 'week49' });
  expect(d.body.error).toBeUndefined();
  expect(d.status).toBe(200);
  const drawRow = (await call(qcA.token, 'GET', `/api/v1/data/spotCheckDraw?filter=${encodeURIComponent(JSON.stringify({ plan: plan.id }))}`)).body.data[0];
  const draw = (await call(qcA.token, 'GET', `/api/v1/data/spotCheckDraw/${drawRow.id}`)).body.data;
  expect(draw.seed).toBe('week49');
  expect(draw.candidates).toHaveLength(7);
  expect(draw.candidates).not.toContain(cultB.id);
  expect(draw.drawn).toHaveLength(3); // ceil(30 % of 7)
  const v = (await call(qcA.token, 'GET', `/api/v1/qc/spot-checks/draws/${draw.id}/verify`)).body.data;
  expect(v).toMatchObject({ seed: 'week49', matches: true });
  expect(v.recomputed).toEqual([...draw.drawn].sort((a: number, b: number) => a - b));
  // The same seed over the same candidates draws the same again, in a second draw.
  await call(qcA.token, 'POST', `/api/v1/data/spotCheckPlan/${plan.id}/actions/draw`, { seed: 'week49' });
  const rows = (await call(qcA.token, 'GET', `/api/v1/data/spotCheckDraw?sort=id&filter=${encodeURIComponent(JSON.stringify({ plan: plan.id }))}`)).body.data;
  expect(rows).toHaveLength(2);
  const second = (await call(qcA.token, 'GET', `/api/v1/data/spotCheckDraw/${rows[1].id}`)).body.data;
  expect([...second.drawn].sort()).toEqual([...draw.drawn].sort());
  // A tampered draw no longer re-checks.
  const tampered: boolean[] = [];
  for (const seed of ['week50', 'week51', 'week52']) {
    expect(await knex()('spot_check_draw').where({ id: draw.id }).update({ seed })).toBe(1);
    tampered.push((await call(qcA.token, 'GET', `/api/v1/qc/spot-checks/draws/${draw.id}/verify`)).body.data.matches);
  }
  expect(tampered).toContain(false);
  // Tasks went round the lab's inspectors and are in their inboxes; recording the spot check completes one.
  const tasks = (await call(qcA.token, 'GET', `/api/v1/data/spotCheckTask?filter=${encodeURIComponent(JSON.stringify({ draw: draw.id }))}`)).body.data;
  expect(tasks).toHaveLength(3);
  expect(new Set(tasks.map((t: any) => t.assignee))).toEqual(new Set([qcA.id, qcA2.id]));
  const inbox = (await call(qcA2.token, 'GET', '/api/v1/inbox/tasks')).body.data;
  const mine = tasks.find((t: any) => t.assignee === qcA2.id);
  expect(inbox.some((t: any) => t.entity === 'spotCheckTask' && t.recordId === mine.id)).toBe(true);
  const sc = await call(qcA2.token, 'POST', '/api/v1/data/qcRecord', { qcType: 'spotCheck', cultureRecord: mine.cultureRecord, testedAt: new Date().toISOString(), viability: 91, morphologyOk: 'pass' });
  expect(sc.status).toBe(201);
  expect(sc.body.data.spotCheckTask).toBe(mine.id);
  expect((await call(qcA2.token, 'GET', `/api/v1/data/spotCheckTask/${mine.id}`)).body.data).toMatchObject({ status: 'done', qcRecord: sc.body.data.id });
  const inbox2 = (await call(qcA2.token, 'GET', '/api/v1/inbox/tasks')).body.data;
  expect(inbox2.some((t: any) => t.entity === 'spotCheckTask' && t.recordId === mine.id)).toBe(false);
});

test('EM limits by grade: a reading is judged on entry with the Annex 1 limits copied onto it (R-3.3.6)', async () => {
  const round = await call(qcA.token, 'POST', '/api/v1/qc/em/round', {
    occupancy: 'inOperation', sampledAt: daysAgo(2, 11),
    readings: [{ point: M.pointB.id, parameter: 'settlePlate', value: 1 }, { point: M.pointB.id, parameter: 'particles05', value: 250000 }, { point: M.pointB.id, parameter: 'temperature', value: 21 }],
  });
  expect(round.status).toBe(201);
  expect(round.body.data.map((r: any) => r.status)).toEqual(['ok', 'alert', 'ok']);
  expect(round.body.data[0].actionLimit).toEqual({ max: 5 }); // grade B settle plate, CFU/4 h
  expect(round.body.data[1].actionLimit).toEqual({ max: 352000 }); // grade B in operation, ≥0.5 µm
  // Bad input names the reading and field; a parameter the point does not monitor is refused; nothing is written.
  const before = await knex()('em_reading').count('* as n').first();
  const bad = await call(qcA.token, 'POST', '/api/v1/qc/em/round', { readings: [{ point: M.pointB.id, parameter: 'settlePlate', value: 'x' }] });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body.error.details)).toContain('/readings/0/value');
  const notHere = await call(qcA.token, 'POST', '/api/v1/qc/em/round', { readings: [{ point: M.pointB.id, parameter: 'settlePlate', value: 1 }, { point: M.pointB.id, parameter: 'glovePrint', value: 1 }] });
  expect(notHere.status).toBe(422);
  expect(notHere.body.error.details[0].path).toBe('/readings/1/parameter');
  expect((await knex()('em_reading').count('* as n').first())!.n).toBe(before!.n);
});

test('an action-level excursion opens a deviation listing the batches worked in that room during the window; closure needs CAPA and a QA signature', async () => {
  const r = await call(qcA.token, 'POST', '/api/v1/qc/em/round', { occupancy: 'inOperation', readings: [{ point: M.pointB.id, parameter: 'settlePlate', value: 9 }] });
  expect(r.status).toBe(201);
  expect(r.body.data[0].status).toBe('action');
  const devId = r.body.data[0].deviation;
  expect(devId).toBeTruthy();
  const dev = (await call(qcA.token, 'GET', `/api/v1/data/deviation/${devId}`)).body.data;
  expect(dev).toMatchObject({ source: 'emExcursion', room: M.roomB.id, emReading: r.body.data[0].id, status: 'open' });
  // Window: from the point's last reading within limits (2 days ago) to now. The passage step yesterday in room B
  // is in it; culture2 worked in room C is not.
  expect(new Date(dev.windowFrom).toISOString()).toBe(daysAgo(2, 11));
  const cultures = dev.affected.map((a: any) => a.cultureRecord);
  expect(cultures).toContain(M.culture.id);
  expect(cultures).not.toContain(M.culture2.id);
  expect(dev.affected.find((a: any) => a.cultureRecord === M.culture.id).cultureStep).toBeTruthy();
  // Closing: investigation and done CAPA lines first, then the QA e-signature.
  const early = await call(qcA2.token, 'POST', `/api/v1/data/deviation/${devId}/actions/close`, sign('QA批准关闭偏差 / QA deviation closure'));
  expect(early.status).toBe(422);
  expect(early.body.error.details[0].path).toBe('/investigation');
  const badCapa = await call(qcA.token, 'PATCH', `/api/v1/data/deviation/${devId}`, { version: dev.version, capa: [{ kind: 'corrective', action: '', owner: qcA.id, dueDate: '2026-12-10' }] });
  expect(badCapa.status).toBe(400);
  expect(JSON.stringify(badCapa.body.error.details)).toContain('/capa/0/action');
  const upd = await call(qcA.token, 'PATCH', `/api/v1/data/deviation/${devId}`, {
    version: dev.version, investigation: '传递窗消毒不到位', capa: [{ kind: 'corrective', action: '重新消毒并复测', owner: qcA.id, dueDate: '2026-12-10', done: false }],
  });
  expect(upd.status).toBe(200);
  const open = await call(qcA2.token, 'POST', `/api/v1/data/deviation/${devId}/actions/close`, sign('QA批准关闭偏差 / QA deviation closure'));
  expect(open.status).toBe(422);
  expect(open.body.error.details[0].path).toBe('/capa/0/done');
  const done = await call(qcA.token, 'PATCH', `/api/v1/data/deviation/${devId}`, { version: upd.body.data.version, capa: [{ ...upd.body.data.capa[0], done: true }] });
  const closed = await call(qcA2.token, 'POST', `/api/v1/data/deviation/${devId}/actions/close`, sign('QA批准关闭偏差 / QA deviation closure'));
  expect(closed.status).toBe(200);
  expect(closed.body.data).toMatchObject({ status: 'closed', closedBy: qcA2.id });
  expect(await knex()('ct_signature').where({ entity: 'deviation', record_id: devId, action: 'close' })).toHaveLength(1);
  const frozen = await call(qcA.token, 'PATCH', `/api/v1/data/deviation/${devId}`, { version: closed.body.data.version, title: 'x' });
  expect(frozen.status).toBe(422);
  expect(done.status).toBe(200);
  // The trend shows the excursion with its limit lines.
  const trend = (await call(qcA.token, 'GET', `/api/v1/qc/em/trend?point=${M.pointB.id}&parameter=settlePlate`)).body;
  expect(trend.limits).toEqual({ alert: { max: 2 }, action: { max: 5 } }); // metadata/qc/emLimits/gradeB.json
  expect(trend.data.map((p: any) => p.value)).toEqual([1, 9]);
  expect(trend.data[1]).toMatchObject({ status: 'action', deviation: devId });
  const map = (await call(qcA.token, 'GET', '/api/v1/qc/em/room-map')).body.data;
  expect(map.find((x: any) => x.id === M.roomB.id).status).toBe('action');
});

test('sampling plans generate due samplings once, catch up after downtime, and announce each overdue sampling once', async () => {
  const jobs = L.t.server.services.jobs!;
  const plan = await create(L.t, qcA.token, 'emPlan', { name: 'C级每日沉降菌', room: M.roomC.id, everyDays: 1, startsAt: daysAgo(3, 8), graceHours: 4, assignee: qcA.id });
  await jobs.enqueue('qc-gating.emSchedule', {});
  expect(await jobs.runDueOnce()).toBeGreaterThanOrEqual(1);
  expect(await knex()('ct_job').where({ name: 'qc-gating.emSchedule' }).whereNotNull('last_error').select('last_error')).toEqual([]);
  const list = async () => (await call(qcA.token, 'GET', `/api/v1/data/emSampling?sort=dueAt&filter=${encodeURIComponent(JSON.stringify({ plan: plan.id }))}`)).body.data;
  const first = await list();
  // 3 days ago, 2 days ago, yesterday, today (+ tomorrow if today's 08:00 is within a day): every missed one caught up.
  expect(first.length).toBeGreaterThanOrEqual(4);
  expect(first[0].dueAt).toBe(daysAgo(3, 8));
  const overdue = first.filter((s: any) => s.status === 'overdue');
  expect(overdue.length).toBeGreaterThanOrEqual(3);
  const notes = async () => knex()('ct_wf_notification').where({ user_id: qcA.id, kind: 'emOverdue' }).count('* as n').first();
  const n1 = Number((await notes())!.n);
  expect(n1).toBe(overdue.length);
  // A second run creates nothing new and sends no notice twice.
  await jobs.enqueue('qc-gating.emSchedule', {});
  await jobs.runDueOnce();
  expect((await list()).length).toBe(first.length);
  expect(Number((await notes())!.n)).toBe(n1);
  // The sampler's inbox holds the samplings; entering the round completes one.
  const inbox = (await call(qcA.token, 'GET', '/api/v1/inbox/tasks')).body.data;
  expect(inbox.some((t: any) => t.entity === 'emSampling' && t.recordId === first[0].id)).toBe(true);
  const pointC = await create(L.t, qcA.token, 'samplingPoint', { code: `C1-01${L.org.sfx}`, name: 'C1 门口', room: M.roomC.id, parameters: ['settlePlate'] });
  const round = await call(qcA.token, 'POST', '/api/v1/qc/em/round', { sampling: first[0].id, readings: [{ point: pointC.id, parameter: 'settlePlate', value: 30 }] });
  expect(round.status).toBe(201);
  expect(round.body.data[0].status).toBe('alert'); // grade C: alert 25, action 50
  expect((await call(qcA.token, 'GET', `/api/v1/data/emSampling/${first[0].id}`)).body.data.status).toBe('done');
  const again = await call(qcA.token, 'POST', '/api/v1/qc/em/round', { sampling: first[0].id, readings: [{ point: pointC.id, parameter: 'settlePlate', value: 3 }] });
  expect(again.status).toBe(409);
});

test('a site alert level from the point\'s own trend replaces the grade default from its effective day, never beyond the action level (R-3.3.6)', async () => {
  const level = (body: Record<string, unknown>, token = qcA.token) => call(token, 'POST', '/api/v1/data/emAlertLevel', { point: M.pointB.id, parameter: 'particles05', occupancy: 'inOperation', effectiveFrom: daysAgo(0).slice(0, 10), ...body });
  const beyond = await level({ alertMax: 400000 });
  expect(beyond.status).toBe(422);
  expect(beyond.body.error.details[0].path).toBe('/alertMax');
  expect(beyond.body.error.message).toContain('352000');
  expect((await level({ alertMax: 1, parameter: 'glovePrint' })).body.error.details[0].path).toBe('/parameter');
  expect((await level({})).body.error.details[0].path).toBe('/alertMax');
  expect((await level({ alertMin: 5, alertMax: 1 }, qcA.token)).body.error.details[0].path).toBe('/alertMin');
  // Another lab's inspector cannot set one on lab A's point.
  const foreign = await level({ alertMax: 100 }, qcB.token);
  expect(foreign.status).toBeGreaterThanOrEqual(400);
  expect(foreign.status).toBeLessThan(500);
  expect(JSON.stringify(foreign.body)).not.toContain(M.pointB.name);
  const made = await level({ alertMax: 150000, basis: 'Q3 2026 趋势 P95' });
  expect(made.status).toBe(201);
  expect(made.body.data.title).toContain(M.pointB.name);
  // From its effective day a reading above the site level is at alert (the grade default, 211200, would pass it);
  // a reading of the day before is judged by the grade default.
  const today = await call(qcA.token, 'POST', '/api/v1/qc/em/round', { occupancy: 'inOperation', readings: [{ point: M.pointB.id, parameter: 'particles05', value: 180000 }] });
  expect(today.body.data[0]).toMatchObject({ status: 'alert', alertLimit: { max: 150000 }, actionLimit: { max: 352000 } });
  const before = await call(qcA.token, 'POST', '/api/v1/qc/em/round', { occupancy: 'inOperation', sampledAt: daysAgo(1, 10), readings: [{ point: M.pointB.id, parameter: 'particles05', value: 180000 }] });
  expect(before.body.data[0]).toMatchObject({ status: 'ok', alertLimit: { max: 211200 } });
  const trend = (await call(qcA.token, 'GET', `/api/v1/qc/em/trend?point=${M.pointB.id}&parameter=particles05`)).body;
  expect(trend.alertSource).toEqual({ kind: 'site', emAlertLevel: made.body.data.id });
  expect(trend.limits.alert).toEqual({ max: 150000 });
  expect(trend.suggestion).toMatchObject({ enough: false, suggested: null });
  expect(trend.suggestion.n).toBeGreaterThanOrEqual(3);
  expect((await call(qcB.token, 'GET', `/api/v1/data/emAlertLevel/${made.body.data.id}`)).status).toBe(404);
  expect((await call(noPerm.token, 'GET', '/api/v1/data/emAlertLevel')).status).toBe(403);
});

test('the suggested alert level is the 95th percentile of the readings (5th for a lower limit), capped by the action level, from 20 readings (R-3.3.6)', () => {
  const counts = [...Array(36).fill(0), 1, 1, 2, 4]; // settle plates: mostly zero
  expect(suggestAlert(counts, { max: 5 })).toMatchObject({ n: 40, p95: 1, suggested: { max: 1 }, enough: true });
  expect(suggestAlert([...Array(19).fill(3), 9], { max: 5 }).suggested).toEqual({ max: 3 });
  expect(suggestAlert([...Array(10).fill(0), ...Array(10).fill(8)], { max: 5 }).suggested).toEqual({ max: 5 }); // never beyond action
  expect(suggestAlert(Array.from({ length: 20 }, (_v, i) => 10 + i), { min: 5 }).suggested).toEqual({ min: 10 }); // a pressure difference: lower limit
  expect(suggestAlert([1, 2, 3], { max: 5 })).toMatchObject({ enough: false, suggested: null });
});

test('the QC overview counts what its lists show', async () => {
  const o = (await call(qcA.token, 'GET', '/api/v1/qc/overview')).body.data;
  const proc = o.passRates.find((r: any) => r.qcType === 'processQc');
  expect(proc.judged.count).toBeGreaterThanOrEqual(3);
  const listed = (await call(qcA.token, 'GET', `/api/v1/data/${proc.passed.entity}?count=true&filter=${encodeURIComponent(JSON.stringify(proc.passed.filter))}`)).body;
  expect(listed.page.total).toBe(proc.passed.count);
  expect(o.emActions.count).toBe(1);
  expect(o.overdueSamplings.count).toBeGreaterThanOrEqual(2);
  // Lab B's inspector sees none of lab A's figures.
  const b = (await call(qcB.token, 'GET', '/api/v1/qc/overview')).body.data;
  expect(b.emActions.count).toBe(0);
  expect(b.openDeviations.count).toBe(0);
});

test('isolation: another lab\'s technician and a role without permission get nothing from the new routes', async () => {
  const draw = (await call(qcA.token, 'GET', '/api/v1/data/spotCheckDraw?limit=1')).body.data[0];
  const routes = [
    ['GET', `/api/v1/qc/em/trend?point=${M.pointB.id}&parameter=settlePlate`],
    ['GET', `/api/v1/qc/spot-checks/draws/${draw.id}/verify`],
  ];
  for (const u of [techB, qcB, noPerm])
    for (const [m, path] of routes) {
      const r = await call(u.token, m, path);
      expect([403, 404]).toContain(r.status);
    }
  for (const u of [techB, qcB]) {
    const map = (await call(u.token, 'GET', '/api/v1/qc/em/room-map')).body.data;
    expect(map.some((x: any) => x.id === M.roomB.id)).toBe(false);
    const round = await call(u.token, 'POST', '/api/v1/qc/em/round', { readings: [{ point: M.pointB.id, parameter: 'settlePlate', value: 1 }] });
    expect(round.status).toBeGreaterThanOrEqual(400);
    expect(round.status).toBeLessThan(500);
  }
  expect((await call(noPerm.token, 'GET', '/api/v1/qc/em/room-map')).status).toBe(403);
  expect((await call(noPerm.token, 'POST', '/api/v1/qc/em/round', { readings: [{ point: M.pointB.id, parameter: 'settlePlate', value: 1 }] })).status).toBe(403);
  const ov = await call(noPerm.token, 'GET', '/api/v1/qc/overview');
  expect(ov.status).toBe(200);
  expect(ov.body.data.openDeviations).toBeNull();
  expect(ov.body.data.passRates).toEqual([]);
  // Another lab's inspector cannot review or draw lab A's records.
  const qc = (await processQc(qcA.token)).body.data;
  await call(qcA.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/submit`, {});
  expect([403, 404]).toContain((await call(qcB.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/approve`, sign(APPROVE))).status);
  const plan = (await call(qcA.token, 'GET', '/api/v1/data/spotCheckPlan?limit=1')).body.data[0];
  expect([403, 404]).toContain((await call(qcB.token, 'POST', `/api/v1/data/spotCheckPlan/${plan.id}/actions/draw`, {})).status);
  const mineA = (await call(dirA.token, 'GET', '/api/v1/data/deviation?limit=50')).body.data.map((d: any) => d.id);
  expect(mineA.length).toBeGreaterThan(0);
  const seenB = await call(techB.token, 'GET', '/api/v1/data/deviation?limit=50');
  expect((seenB.body.data ?? []).filter((d: any) => mineA.includes(d.id))).toEqual([]);
});
