import { createDatabase, dropDatabase } from '../../../tests/support/pg';
import { approvedQc } from '../../../tests/support/qc';
import { create, startLabs, PASSWORD, type Labs, type User } from '../../../tests/support/labs';

// The chain of identity (issue 12): an order booked by sales for one of the centre's labs → a task the director
// assigns → sample receipt with a scanned label → culture → batch → stock-in QC and stock-in → release QC →
// preparation that stocks the scanned vials out → handover with the logger's temperatures and the receiver's
// e-signature; the order's progress and remaining cells follow on their own; the trace shows every step; mismatching
// scans, another lab's technician and a role without permission are refused — through the real API on PostgreSQL.
jest.setTimeout(120_000);

let L: Labs;
let db: { name: string; url: string };
let techA: User, techB: User, dirA: User, qcA: User, salesX: User, noPerm: User;
const R: Record<string, any> = {};
const knex = () => L.t.server.services.knex;
const rows = async (table: string, where: Record<string, unknown>) => Number((await knex()(table).where(where).count('* as n').first())!.n);
const call = (token: string, method: string, path: string, body?: unknown, lang?: string) => L.t.api(method, path, { token, body, lang });
const get = async (token: string, entity: string, id: number) => (await call(token, 'GET', `/api/v1/data/${entity}/${id}`)).body.data;
const order = () => get(L.admin, 'serviceOrder', R.order.id);
const pointer = (r: { body: any }) => (r.body.error?.details ?? []).map((d: any) => d.path);
const now = (minutes = 0) => new Date(Date.now() + minutes * 60_000).toISOString();
/** A QC result entered by the inspector and approved by the director with an e-signature: what the gates read. */
const qc = (qcType: string, batch = R.batch.id) =>
  approvedQc(L.t, qcA.token, { token: dirA.token, password: PASSWORD }, { qcType, batch, testedAt: now(-1), viability: 95, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1 });

beforeAll(async () => {
  db = await createDatabase('celltrace_chain');
  L = await startLabs({ databaseUrl: db.url, plugins: ['qc-gating', 'storage-slots', 'order-chain'] });
  const { org, t, admin } = L;
  techA = org.techA;
  techB = org.techB;
  salesX = org.salesX;
  dirA = await L.user('dirA', org.labA, ['labDirector']);
  qcA = await L.user('qcA', org.labA, ['qcInspector']);
  const role = `noAccess${org.sfx}`;
  await call(admin, 'PUT', `/api/v1/meta/role/${role}`, { reason: 'test', definition: { $id: role, label: { 'zh-CN': '无权限', en: 'No access' }, permissions: [] } });
  noPerm = await L.user('noPerm', org.labA, [role]);
  R.customer = await create(t, techA.token, 'customer', { name: `王芳 ${org.sfx}`, phone: '13800000000' });
  const boxType = await create(t, dirA.token, 'containerType', { code: `bx${org.sfx}`, name: `2x3 ${org.sfx}`, level: 'box', rows: 2, cols: 3, holdsVials: true });
  R.device = await create(t, techA.token, 'storageDevice', { code: `F${org.sfx}`, name: `Freezer ${org.sfx}`, deviceType: 'freezer', site: 'SH', setTemperature: -80 });
  R.box = await create(t, techA.token, 'container', { code: `B${org.sfx}`, name: `Box ${org.sfx}`, containerType: boxType.id, device: R.device.id });
}, 120_000);
afterAll(async () => {
  await L?.stop();
  if (db) await dropDatabase(db.name);
});

test('sales book an order for one of their centre\'s labs: a chain-of-identity ID, the lab by name, fixed once booked', async () => {
  const body = { customer: R.customer.id, serviceItem: 'umbilicalMsc', orderCategory: 'storage', orderType: 'new', sampleType: 'umbilicalCord', cellCount: 100, storageYears: 20 };
  // The centre has two labs: the clerk must say which; a lab of another centre is refused.
  const none = await call(salesX.token, 'POST', '/api/v1/data/serviceOrder', body);
  expect(none.status).toBe(400);
  expect(pointer(none)).toEqual(['/lab']);
  expect(none.body.error.details[0].message).toBe('请选择所属实验室');
  const other = await call(salesX.token, 'POST', '/api/v1/data/serviceOrder', { ...body, lab: L.org.labC }, 'en');
  expect(other.status).toBe(400);
  expect(other.body.error.details[0]).toMatchObject({ path: '/lab', message: 'Choose one of your own labs' });
  R.order = await create(L.t, salesX.token, 'serviceOrder', { ...body, lab: L.org.labA });
  expect(R.order.chainId).toMatch(/^COI\d{8}[0-9A-Z*]$/);
  expect(R.order.orderCode).toMatch(/^OD\d{10}$/);
  expect(R.order).toMatchObject({ progress: 'booked', remainingCells: 0, storedVials: 0, bookedBy: salesX.id });
  // The lab's technician sees it (the order belongs to lab A), by the lab's name; lab B's does not.
  const seen = await get(techA.token, 'serviceOrder', R.order.id);
  expect(seen.lab$expanded.displayName).toMatch(/^LA /);
  expect((await call(techB.token, 'GET', `/api/v1/data/serviceOrder/${R.order.id}`)).status).toBe(404);
  const moved = await call(salesX.token, 'PATCH', `/api/v1/data/serviceOrder/${R.order.id}`, { version: R.order.version, lab: L.org.labB });
  expect(moved.status).toBe(400);
  expect(pointer(moved)).toEqual(['/lab']);
  // A technician reads orders but does not book them; progress is never typed.
  expect((await call(techA.token, 'POST', '/api/v1/data/serviceOrder', body)).status).toBe(403);
  const typed = await call(salesX.token, 'PATCH', `/api/v1/data/serviceOrder/${R.order.id}`, { version: R.order.version, progress: 'handedOver' });
  expect(typed.status).toBe(400);
  expect(pointer(typed)).toEqual(['/progress']);
});

test('the director assigns the sample receipt; the scanned label must match; receiving the sample completes the task', async () => {
  R.task = await create(L.t, dirA.token, 'labTask', { order: R.order.id, taskType: 'sampleReceipt', assignee: techA.id, dueDate: now(24 * 60).slice(0, 10) });
  expect(R.task).toMatchObject({ state: 'open' });
  const inbox = (await call(techA.token, 'GET', '/api/v1/inbox/tasks')).body.data;
  expect(inbox.some((x: any) => x.recordId === R.task.id && x.entity === 'labTask')).toBe(true);
  const sample = { order: R.order.id, sampleType: 'umbilicalCord', collectedAt: now(-300), receivedAt: now(-60), arrivalTemperature: 4.5, containerIntact: true, decision: 'accepted' };
  const wrong = await call(techA.token, 'POST', '/api/v1/data/sample', { ...sample, labelScan: 'COI26999999X' });
  expect(wrong.status).toBe(422);
  expect(pointer(wrong)).toEqual(['/labelScan']);
  expect(wrong.body.error.details[0].message).toContain(R.order.chainId);
  // Another order's label of the same lab names the mismatch.
  const other = await create(L.t, dirA.token, 'serviceOrder', { customer: R.customer.id, serviceItem: 'immuneStorage', orderCategory: 'storage' });
  const crossed = await call(techA.token, 'POST', '/api/v1/data/sample', { ...sample, labelScan: other.orderCode }, 'en');
  expect(crossed.status).toBe(422);
  expect(crossed.body.error.details[0].message).toContain('does not match');
  const backwards = await call(techA.token, 'POST', '/api/v1/data/sample', { ...sample, labelScan: R.order.chainId, receivedAt: now(-400) });
  expect(backwards.status).toBe(422);
  expect(pointer(backwards)).toEqual(['/receivedAt']);
  expect(await rows('sample', { order: R.order.id })).toBe(0);
  R.sample = await create(L.t, techA.token, 'sample', { ...sample, labelScan: ` ${R.order.chainId.toLowerCase()} ` });
  expect(R.sample).toMatchObject({ chainId: R.order.chainId, customer: R.customer.id, transitHours: 4, receivedBy: techA.id });
  expect((await get(techA.token, 'labTask', R.task.id)).state).toBe('done');
  expect((await order()).progress).toBe('sampleReceived');
  // Lab B's technician cannot receive a sample for lab A's order.
  const b = await call(techB.token, 'POST', '/api/v1/data/sample', { ...sample, labelScan: R.order.chainId });
  expect(b.status).toBe(400);
  expect(pointer(b)).toContain('/order');
});

test('culture, batch, stock-in QC and a scanned stock-in: progress, vials and cells in storage, the storage term follow', async () => {
  const mismatch = await call(techA.token, 'POST', '/api/v1/data/cultureRecord', {
    order: R.order.id, customer: (await create(L.t, techA.token, 'customer', { name: `另一人 ${L.org.sfx}` })).id, cellKind: 'stem', cultureDate: now().slice(0, 10), totalCells: 10, viability: 95, passage: 1,
  });
  expect(mismatch.status).toBe(422);
  expect(pointer(mismatch)).toEqual(['/customer']);
  expect((await call(techA.token, 'POST', '/api/v1/data/cultureRecord', { cellKind: 'stem', customer: R.customer.id, cultureDate: now().slice(0, 10), totalCells: 10, viability: 95, passage: 1 })).status).toBe(400);
  R.culture = await create(L.t, techA.token, 'cultureRecord', { order: R.order.id, sample: R.sample.id, cellKind: 'stem', cultureDate: now().slice(0, 10), totalCells: 10, viability: 95, passage: 1 });
  expect(R.culture).toMatchObject({ customer: R.customer.id, chainId: R.order.chainId, operator: techA.id });
  expect((await order()).progress).toBe('inCulture');
  R.step = await create(L.t, techA.token, 'cultureStep', { cultureRecord: R.culture.id, stepType: 'passage', performedAt: now(-5), passage: 2, totalCells: 30, viability: 96 });
  R.batch = await create(L.t, techA.token, 'cellBatch', { cellType: 'UC-MSC', cultureRecord: R.culture.id, vialCount: 4, cellsPerVial: 5, freezeDate: now().slice(0, 10) });
  expect(R.batch).toMatchObject({ order: R.order.id, customer: R.customer.id, chainId: R.order.chainId });
  await qc('stockInQc');
  expect((await order()).progress).toBe('qc');
  const si = { batch: R.batch.id, vialCount: 3, device: R.device.id, container: R.box.id };
  const wrong = await call(techA.token, 'POST', '/api/v1/data/stockIn', { ...si, identityScan: 'COI26000000A' });
  expect(wrong.status).toBe(422);
  expect(pointer(wrong)).toEqual(['/identityScan']);
  expect(await rows('cryovial', { batch: R.batch.id })).toBe(0);
  R.stockIn = await create(L.t, techA.token, 'stockIn', { ...si, identityScan: R.batch.batchCode });
  const vials = (await call(techA.token, 'GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: R.batch.id }))}&sort=id`)).body.data;
  expect(vials).toHaveLength(3);
  expect(vials.every((v: any) => v.chainId === R.order.chainId && v.status === 'stored')).toBe(true);
  R.vials = vials;
  // Every vial label carries the chain of identity beside the vial code.
  const labels = await call(techA.token, 'GET', `/api/v1/cellbank/labels?batch=${R.batch.id}`);
  expect(labels.status).toBe(200);
  expect(String(labels.body).split(R.order.chainId).length - 1).toBe(3);
  const o = await order();
  const today = new Date().toISOString().slice(0, 10);
  expect(o).toMatchObject({ progress: 'stored', storedVials: 3, remainingCells: 15, issuedCells: 0, storageStart: today });
  expect(o.storageEnd).toBe(`${Number(today.slice(0, 4)) + 20}${today.slice(4)}`);
});

test('preparation: gated by release QC, every chosen vial scanned, the vials stocked out with it; the order follows', async () => {
  const base = {
    order: R.order.id, batch: R.batch.id, vials: [R.vials[0].id, R.vials[1].id], vialScan: `${R.vials[0].vialCode}\n${R.vials[1].vialCode}`,
    thawedAt: now(-30), postThawCells: 9.5, postThawViability: 93, preparedAt: now(-5), productCells: 9, dose: '9×10⁶ 细胞/袋', volumeMl: 50, expiresAt: now(48 * 60),
  };
  const ungated = await call(techA.token, 'POST', '/api/v1/data/preparation', base);
  expect(ungated.status).toBe(422);
  expect(ungated.body.error.message).toMatch(/出库检/);
  expect(await knex()('preparation').count('* as n').first()).toMatchObject({ n: expect.anything() });
  expect((await get(techA.token, 'cryovial', R.vials[0].id)).status).toBe('stored');
  await qc('releaseQc');
  const missing = await call(techA.token, 'POST', '/api/v1/data/preparation', { ...base, vialScan: R.vials[0].vialCode });
  expect(missing.status).toBe(422);
  expect(missing.body.error.details[0]).toMatchObject({ path: '/vialScan' });
  expect(missing.body.error.details[0].message).toContain(R.vials[1].vialCode);
  const extra = await call(techA.token, 'POST', '/api/v1/data/preparation', { ...base, vialScan: `${base.vialScan}\n${R.vials[2].vialCode}` });
  expect(extra.status).toBe(422);
  expect(extra.body.error.details[0].message).toContain(R.vials[2].vialCode);
  const over = await call(techA.token, 'POST', '/api/v1/data/preparation', { ...base, productCells: 12 });
  expect(pointer(over)).toEqual(['/productCells']);
  // Vials of another batch do not pass the reference filter.
  R.prep = await create(L.t, techA.token, 'preparation', base);
  expect(R.prep.productCode).toMatch(/^CP\d{9}[0-9A-Z*]$/);
  expect(R.prep).toMatchObject({ chainId: R.order.chainId, customer: R.customer.id, tempMin: 2, tempMax: 8, preparedBy: techA.id });
  R.prep = await get(techA.token, 'preparation', R.prep.id);
  const so = await get(techA.token, 'stockOut', R.prep.stockOut);
  expect(so).toMatchObject({ state: 'executed', purpose: 'preparation', preparation: R.prep.id });
  expect((await get(techA.token, 'cryovial', R.vials[0].id)).status).toBe('out');
  expect((await get(techA.token, 'cryovial', R.vials[2].id)).status).toBe('stored');
  const custody = (await call(techA.token, 'GET', `/api/v1/cellbank/vials/${R.vials[0].id}/custody`)).body.data.events;
  expect(custody.map((e: any) => e.kind)).toEqual(['stockIn', 'stockOut']);
  expect(await order()).toMatchObject({ progress: 'prepared', storedVials: 1, remainingCells: 5, issuedCells: 10, issuedFrom: R.batch.batchCode });
  const fixed = await call(techA.token, 'PATCH', `/api/v1/data/preparation/${R.prep.id}`, { version: R.prep.version, vials: [R.vials[0].id] });
  expect(fixed.status).toBe(422);
  expect(pointer(fixed)).toEqual(['/vials']);
  expect((await call(techA.token, 'DELETE', `/api/v1/data/preparation/${R.prep.id}?version=${R.prep.version}`)).status).toBe(403);
  expect((await call(dirA.token, 'DELETE', `/api/v1/data/preparation/${R.prep.id}?version=${R.prep.version}`)).status).toBe(422);
});

test('handover: scanned product, logger temperatures against the range, abnormal without a note, the named receiver signs', async () => {
  const base = { preparation: R.prep.id, dispatchedAt: now(-2), boxTemperature: 4.2, destination: '某医院血液科', receiverKind: 'internal', receiver: dirA.id };
  const wrong = await call(techA.token, 'POST', '/api/v1/data/handover', { ...base, productScan: R.vials[2].vialCode.slice(0, -1) });
  expect(wrong.status).toBe(422);
  expect(pointer(wrong)).toEqual(['/productScan']);
  const noReceiver = await call(techA.token, 'POST', '/api/v1/data/handover', { ...base, receiver: undefined, productScan: R.prep.productCode });
  expect(noReceiver.status).toBe(400);
  expect(pointer(noReceiver)).toEqual(['/receiver']);
  R.handover = await create(L.t, techA.token, 'handover', { ...base, productScan: R.prep.productCode });
  expect(R.handover).toMatchObject({ state: 'dispatched', normal: 'normal', excursion: false, productCode: R.prep.productCode, order: R.order.id, handedOverBy: techA.id });
  const again = await call(techA.token, 'POST', '/api/v1/data/handover', { ...base, productScan: R.prep.productCode });
  expect(again.status).toBe(422);
  expect(again.body.error.details[0].message).toContain(R.handover.handoverNo);
  // The data logger saw 9.5 °C once: the handover becomes abnormal; calling it normal needs a deviation note.
  const t0 = Date.now() - 90 * 60_000;
  const at = (m: number) => new Date(t0 + m * 60_000).toISOString().replace('T', ' ').slice(0, 19);
  const csv = `时间,温度(°C)\n${[4.1, 4.6, 9.5, 5.2, 4.8].map((c, i) => `${at(i * 10)},${c}`).join('\n')}\n`;
  const bad = await call(techA.token, 'POST', `/api/v1/data/handover/${R.handover.id}/actions/importTemperatureLog`, { csv: 'time,temp\n2026-12-01 10:00,4\nnot a line' });
  expect(bad.status).toBe(422);
  expect(bad.body.error.details[0]).toMatchObject({ path: '/csv' });
  const imp = await call(techA.token, 'POST', `/api/v1/data/handover/${R.handover.id}/actions/importTemperatureLog`, { csv });
  expect(imp.status).toBe(200);
  let h = await get(techA.token, 'handover', R.handover.id);
  expect(h).toMatchObject({ normal: 'abnormal', excursion: true, excursionCount: 1, readingCount: 5, tempMaxSeen: 9.5, tempMinSeen: 4.1 });
  const log = (await call(techA.token, 'GET', `/api/v1/order-chain/handovers/${R.handover.id}/temperature`)).body.data;
  expect(log.readings).toHaveLength(5);
  expect(log.range).toEqual({ min: 2, max: 8 });
  const normal = await call(techA.token, 'PATCH', `/api/v1/data/handover/${R.handover.id}`, { version: h.version, normal: 'normal' });
  expect(normal.status).toBe(422);
  expect(pointer(normal)).toEqual(['/normal']);
  expect(normal.body.error.details[0].message).toContain('9.5');
  const noted = await call(techA.token, 'PATCH', `/api/v1/data/handover/${R.handover.id}`, { version: h.version, normal: 'normal', deviationNote: '开箱检查探头贴近冰排，产品温度正常；已记录偏差 DV-001' });
  expect(noted.status).toBe(200);
  h = noted.body.data;
  // Only the named receiver signs, with their password.
  const byOther = await call(techA.token, 'POST', `/api/v1/data/handover/${h.id}/actions/confirmReceipt`, { signature: { password: PASSWORD } });
  expect(byOther.status).toBe(403);
  const badPw = await call(dirA.token, 'POST', `/api/v1/data/handover/${h.id}/actions/confirmReceipt`, { signature: { password: 'wrong-password' } });
  expect(badPw.status).toBeGreaterThanOrEqual(400);
  expect(badPw.status).toBeLessThan(500);
  const ok = await call(dirA.token, 'POST', `/api/v1/data/handover/${h.id}/actions/confirmReceipt`, { signature: { password: PASSWORD } });
  expect(ok.status).toBe(200);
  expect(ok.body.data).toMatchObject({ state: 'received', confirmedBy: (await knex()('ct_user').where({ id: dirA.id }).first()).display_name });
  const sigs = (await call(dirA.token, 'GET', `/api/v1/data/handover/${h.id}/signatures`)).body.data;
  expect(sigs).toHaveLength(1);
  expect((await order()).progress).toBe('handedOver');
  const late = await call(techA.token, 'PATCH', `/api/v1/data/handover/${h.id}`, { version: ok.body.data.version, boxTemperature: 5 });
  expect(late.status).toBe(422);
  expect(pointer(late)).toEqual(['/boxTemperature']);
});

test('the trace shows every step from any record of the chain, as the caller may see it', async () => {
  const tr = (await call(techA.token, 'GET', `/api/v1/order-chain/trace?entity=handover&id=${R.handover.id}`)).body.data;
  expect(tr.orders).toHaveLength(1);
  const o = tr.orders[0];
  expect(o.chainId).toBe(R.order.chainId);
  expect(o.stages.map((s: any) => s.reached)).toEqual([true, true, true, true, true, true, true]);
  const steps = o.stages.flatMap((s: any) => s.steps.map((x: any) => `${s.key}:${x.entity}`));
  for (const s of ['booked:serviceOrder', 'booked:labTask', 'sampleReceived:sample', 'inCulture:cultureRecord', 'inCulture:cultureStep', 'qc:qcRecord', 'stored:cellBatch', 'stored:stockIn', 'stored:cryovial', 'prepared:stockOut', 'prepared:preparation', 'handedOver:handover'])
    expect(steps).toContain(s);
  const sampleStep = o.stages[1].steps[0];
  expect(sampleStep).toMatchObject({ title: R.sample.sampleCode, status: '接收', kind: '样本' });
  expect(sampleStep.by).toBe((await get(techA.token, 'sample', R.sample.id)).receivedBy$expanded.displayName);
  // Names, never codes or ids: the culture step by its number, its kind by label; people by name.
  const step = o.stages[2].steps.find((x: any) => x.entity === 'cultureStep');
  expect(step.title).toBe(R.step.stepNo);
  expect(step.facts).toContainEqual({ label: '步骤', value: '传代' });
  expect(o.stages.flatMap((s: any) => s.steps.map((x: any) => x.by)).filter(Boolean).every((b: string) => !/^\d+$/.test(b))).toBe(true);
  const fromVial = (await call(techA.token, 'GET', `/api/v1/order-chain/trace?entity=cryovial&id=${R.vials[2].id}`)).body.data;
  expect(fromVial.orders[0].order.id).toBe(R.order.id);
  const fromCustomer = (await call(techA.token, 'GET', `/api/v1/order-chain/trace?entity=customer&id=${R.customer.id}`, undefined, 'en')).body.data;
  expect(fromCustomer.orders.length).toBe(2);
  expect(fromCustomer.orders.find((x: any) => x.order.id === R.order.id).stages[0].label).toBe('Booked');
});

test('another lab\'s technician and a role without permission reach nothing of the chain through its routes', async () => {
  const routes = [
    `/api/v1/order-chain/trace?entity=serviceOrder&id=${R.order.id}`,
    `/api/v1/order-chain/trace?entity=handover&id=${R.handover.id}`,
    `/api/v1/order-chain/suggest-vials?batch=${R.batch.id}`,
    `/api/v1/order-chain/handovers/${R.handover.id}/temperature`,
    `/api/v1/order-chain/handovers/${R.handover.id}/signature`,
  ];
  for (const p of routes) {
    const b = await call(techB.token, 'GET', p);
    expect([p, b.status]).toEqual([p, 404]);
    expect(JSON.stringify(b.body)).not.toContain(R.order.chainId);
    const n = await call(noPerm.token, 'GET', p);
    expect([p, [403, 404].includes(n.status)]).toEqual([p, true]);
  }
  const imp = await call(techB.token, 'POST', `/api/v1/data/handover/${R.handover.id}/actions/importTemperatureLog`, { csv: '2026-12-01 10:00,4' });
  expect(imp.status).toBe(404);
  const task = await call(techB.token, 'POST', '/api/v1/data/labTask', { order: R.order.id, taskType: 'culture', assignee: techB.id });
  expect(task.status).toBe(403);
  // Bad query input names the parameter.
  const bad = await call(techA.token, 'GET', '/api/v1/order-chain/trace?entity=nope&id=1');
  expect(bad.status).toBe(400);
  expect(pointer(bad)).toEqual(['/entity']);
  const huge = await call(techA.token, 'GET', '/api/v1/order-chain/suggest-vials?batch=1&n=9999');
  expect(pointer(huge)).toEqual(['/n']);
});

test('suggested vials for a preparation are the stored ones of the batch, first frozen first', async () => {
  const s = (await call(techA.token, 'GET', `/api/v1/order-chain/suggest-vials?batch=${R.batch.id}&n=5`)).body.data;
  expect(s.map((v: any) => v.id)).toEqual([R.vials[2].id]);
});

test('an external receiver signs on the tablet: the drawing is kept with the handover and shown to its lab only', async () => {
  await qc('releaseQc');
  const v = R.vials[2];
  const prep = await create(L.t, techA.token, 'preparation', {
    order: R.order.id, batch: R.batch.id, vials: [v.id], vialScan: v.vialCode, thawedAt: now(-20), preparedAt: now(-3), productCells: 4, expiresAt: now(24 * 60),
  });
  const h = await create(L.t, techA.token, 'handover', { preparation: prep.id, productScan: R.order.chainId, dispatchedAt: now(-1), boxTemperature: 5, receiverKind: 'external', receiverName: '李护士' });
  expect(h.state).toBe('dispatched');
  // Only the matching action applies: the internal e-signature is not offered for an external receiver.
  expect((await call(techA.token, 'POST', `/api/v1/data/handover/${h.id}/actions/confirmReceipt`, { signature: { password: PASSWORD } })).status).toBe(422);
  const notPng = await call(techA.token, 'POST', `/api/v1/data/handover/${h.id}/actions/confirmExternalReceipt`, { receiverName: '李护士', drawing: 'data:image/png;base64,AAAA' });
  expect(notPng.status).toBe(422);
  expect(pointer(notPng)).toEqual(['/drawing']);
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(400, 7)]);
  const ok = await call(techA.token, 'POST', `/api/v1/data/handover/${h.id}/actions/confirmExternalReceipt`, { receiverName: '李护士', drawing: `data:image/png;base64,${png.toString('base64')}` });
  expect(ok.status).toBe(200);
  expect(ok.body.data).toMatchObject({ state: 'received', confirmedBy: '李护士' });
  const img = await fetch(`${L.t.url}/api/v1/order-chain/handovers/${h.id}/signature`, { headers: { Authorization: `Bearer ${techA.token}` } });
  expect(img.status).toBe(200);
  expect(img.headers.get('content-type')).toBe('image/png');
  expect(Buffer.from(await img.arrayBuffer()).equals(png)).toBe(true);
  expect(await order()).toMatchObject({ storedVials: 0, remainingCells: 0, issuedCells: 15 });
});

test('the storage term\'s end is announced once to the lab director and the centre\'s sales, and never twice', async () => {
  const o = await create(L.t, dirA.token, 'serviceOrder', { customer: R.customer.id, serviceItem: 'immuneStorage', orderCategory: 'storage', storageYears: 1 });
  const c = await create(L.t, techA.token, 'cultureRecord', { order: o.id, cellKind: 'stem', cultureDate: now().slice(0, 10), totalCells: 10, viability: 95, passage: 1 });
  const b = await create(L.t, techA.token, 'cellBatch', { cellType: 'UC-MSC', cultureRecord: c.id, vialCount: 1, cellsPerVial: 5, freezeDate: now().slice(0, 10) });
  await qc('stockInQc', b.id);
  await create(L.t, techA.token, 'stockIn', { batch: b.id, vialCount: 1, device: R.device.id, container: R.box.id, stockInAt: new Date(Date.now() - 335 * 86_400_000).toISOString() });
  const end = (await get(dirA.token, 'serviceOrder', o.id)).storageEnd;
  expect(Date.parse(end) - Date.now()).toBeLessThan(40 * 86_400_000);
  const jobs = L.t.server.services.jobs;
  const count = async (uid: number) => rows('ct_wf_notification', { user_id: uid, kind: 'storageEnd', record_id: o.id });
  await jobs.enqueue('order-chain.reminders', {});
  expect(await jobs.runDueOnce()).toBeGreaterThanOrEqual(1);
  expect(await count(dirA.id)).toBe(1);
  expect(await count(salesX.id)).toBe(1);
  expect(await count(techA.id)).toBe(0);
  await jobs.enqueue('order-chain.reminders', {});
  await jobs.runDueOnce();
  expect(await count(dirA.id)).toBe(1);
  expect(await count(techB.id)).toBe(0);
});
