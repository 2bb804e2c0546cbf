import { createDatabase, dropDatabase } from '../../../tests/support/pg';
import { create, orderFor, pool, startLabs, PASSWORD, type Labs, type User } from '../../../tests/support/labs';

// The consumption ledger (issue 11): receipt → quarantine → QC release → transfer → consumption in a culture record →
// the ledger against that batch; concurrency, balances equal to their movements, reversal, requisitions, stock take,
// alerts, lab isolation and bad input — through the real API on PostgreSQL.
jest.setTimeout(120_000);

let L: Labs;
let db: { name: string; url: string };
let keeperA: User, qcA: User, dirA: User, keeperB: User, noPerm: User;
let techA: User, techB: User;
const M: Record<string, any> = {};
const knex = () => L.t.server.services.knex;
const call = (token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => L.t.api(method, path, { token, body, headers });
const stock = async (token: string, q: Record<string, unknown>) => (await call(token, 'GET', `/api/v1/materials/stock?${new URLSearchParams(q as any)}`)).body;
const balance = async (store: number, lot: number) => Number((await knex()('cl_balance').where({ store_id: store, lot_id: lot }).first())?.qty ?? 0);
const sign = (meaning: string) => ({ signature: { meaning, password: PASSWORD } });

beforeAll(async () => {
  db = await createDatabase('celltrace_ledger');
  L = await startLabs({ databaseUrl: db.url, plugins: ['consumption-ledger'] });
  const { org } = L;
  techA = org.techA;
  techB = org.techB;
  keeperA = await L.user('keeperA', org.labA, ['inventoryKeeper']);
  keeperB = await L.user('keeperB', org.labB, ['inventoryKeeper']);
  qcA = await L.user('qcA', org.labA, ['qcInspector']);
  dirA = await L.user('dirA', org.labA, ['labDirector']);
  const role = `noAccess${org.sfx}`;
  await call(L.admin, 'PUT', `/api/v1/meta/role/${role}`, { reason: 'test', definition: { $id: role, label: { 'zh-CN': '无权限', en: 'No access' }, permissions: [] } });
  noPerm = await L.user('noPerm', org.labA, [role]);
  const sfx = org.sfx;
  M.catReagent = await create(L.t, L.admin, 'materialCategory', { code: `R${sfx}`, name: '试剂', kind: 'reagent' });
  M.catCons = await create(L.t, L.admin, 'materialCategory', { code: `C${sfx}`, name: '耗材', kind: 'consumable' });
  M.serum = await create(L.t, keeperA.token, 'material', { name: `人血小板裂解物 ${sfx}`, category: M.catReagent.id, unit: 'mL', packUnit: 'bottle', packSize: 100, qcRequired: true, inUseDays: 14, minStock: 150 });
  M.tube = await create(L.t, keeperA.token, 'material', { name: `冻存管 ${sfx}`, category: M.catCons.id, unit: 'piece', packUnit: 'box', packSize: 50 });
  M.mainA = await create(L.t, keeperA.token, 'materialStore', { code: `MA${sfx}`, name: '主库A', storeKind: 'main' });
  M.secA = await create(L.t, keeperA.token, 'materialStore', { code: `SA${sfx}`, name: '二级库A', storeKind: 'secondary' });
  M.mainB = await create(L.t, keeperB.token, 'materialStore', { code: `MB${sfx}`, name: '主库B', storeKind: 'main' });
}, 120_000);
afterAll(async () => {
  await L?.stop();
  if (db) await dropDatabase(db.name);
});

test('the catalogue takes its kind from the category; a pack converts to units of use', async () => {
  expect(M.serum.kind).toBe('reagent');
  expect(M.tube.kind).toBe('consumable');
  expect(M.serum.code).toMatch(/^MT\d{5}$/);
});

test('receipt → quarantined lot that cannot be used → QC release with e-signature → transfer → culture consumption → ledger by batch', async () => {
  const r = await create(L.t, keeperA.token, 'materialReceipt', {
    store: M.mainA.id, deliveryNote: 'DN-1', lines: [
      { material: M.serum.id, lotNo: 'PL-001', expiryDate: '2030-01-31', packs: 3 },
      { material: M.tube.id, lotNo: 'T-001', expiryDate: '2031-01-31', packs: 2 },
    ],
  });
  expect(r.receiptNo).toMatch(/^MR\d{6}\d{3}$/);
  expect(r.lines.map((l: any) => l.quantity)).toEqual([300, 100]);
  M.serumLot = await (await call(keeperA.token, 'GET', `/api/v1/data/materialLot/${r.lines[0].lot}`)).body.data;
  M.tubeLot = await (await call(keeperA.token, 'GET', `/api/v1/data/materialLot/${r.lines[1].lot}`)).body.data;
  expect(M.serumLot.status).toBe('quarantined');
  expect(M.tubeLot.status).toBe('released');
  expect(await balance(M.mainA.id, M.serumLot.id)).toBe(300);

  // A quarantined lot is refused with a clear reason naming the line; nothing is written.
  const refused = await call(keeperA.token, 'POST', '/api/v1/data/materialIssue', { issueKind: 'transfer', fromStore: M.mainA.id, toStore: M.secA.id, lines: [{ lot: M.serumLot.id, quantity: 100 }] });
  expect(refused.status).toBe(422);
  expect(refused.body.error.details[0].path).toBe('/lines/0/lot');
  expect(refused.body.error.details[0].message).toContain('待检');
  expect(Number((await knex()('material_issue').count('* as n').first())!.n)).toBe(0);

  // Only QC releases, with a conclusion and an e-signature; a technician may not.
  expect((await call(techA.token, 'POST', `/api/v1/data/materialLot/${M.serumLot.id}/actions/release`, { conclusion: 'ok', ...sign('物料质检放行 / Material QC release') })).status).toBe(403);
  const noSig = await call(qcA.token, 'POST', `/api/v1/data/materialLot/${M.serumLot.id}/actions/release`, { conclusion: '无菌合格' });
  expect(noSig.status).toBe(400);
  const rel = await call(qcA.token, 'POST', `/api/v1/data/materialLot/${M.serumLot.id}/actions/release`, { conclusion: '无菌、支原体阴性', ...sign('物料质检放行 / Material QC release') });
  expect(rel.status).toBe(200);
  expect(rel.body.data).toMatchObject({ status: 'released', qcConclusion: '无菌、支原体阴性', releasedBy: qcA.id, releasedBy$expanded: { displayName: 'qcA' } });

  // Transfer 200 mL to the secondary store.
  const tr = await create(L.t, keeperA.token, 'materialIssue', { issueKind: 'transfer', fromStore: M.mainA.id, toStore: M.secA.id, lines: [{ lot: M.serumLot.id, quantity: 200 }, { lot: M.tubeLot.id, quantity: 40 }] });
  expect(tr.state).toBe('posted');
  expect(await balance(M.mainA.id, M.serumLot.id)).toBe(100);
  expect(await balance(M.secA.id, M.serumLot.id)).toBe(200);

  // Consumption at the bench: a culture record's material lines, then the batch frozen from it.
  const cust = await create(L.t, techA.token, 'customer', { name: '张伟' });
  const cult = await create(L.t, techA.token, 'cultureRecord', {
    customer: cust.id, order: await orderFor(L.t, cust.id), cellKind: 'stem', cultureDate: '2026-11-30', totalCells: 12, viability: 95, passage: 2,
    materialStore: M.secA.id, materials: [{ lot: M.serumLot.id, quantity: 30 }, { lot: M.tubeLot.id, quantity: 10 }],
  });
  expect(await balance(M.secA.id, M.serumLot.id)).toBe(170);
  const opened = await knex()('cl_opened').where({ store_id: M.secA.id, lot_id: M.serumLot.id }).first();
  expect(new Date(opened.expires_at).getTime() - new Date(opened.opened_at).getTime()).toBe(14 * 86400_000);
  const batch = await create(L.t, techA.token, 'cellBatch', { cellType: 'UC-MSC', customer: cust.id, customerName: '张伟', cultureRecord: cult.id, vialCount: 4, freezeDate: '2026-11-30' });
  M.cult = cult;
  M.batch = batch;

  const led = await call(techA.token, 'GET', `/api/v1/materials/ledger?batch=${batch.id}&groupBy=material`);
  expect(led.status).toBe(200);
  const byName = Object.fromEntries(led.body.data.map((r: any) => [r.material.name, r.quantity]));
  expect(byName).toEqual({ [M.serum.name]: 30, [M.tube.name]: 10 });
  const lines = await call(techA.token, 'GET', `/api/v1/materials/movements?batch=${batch.id}`);
  expect(lines.body.data[0]).toMatchObject({ purposeLabel: '使用消耗', document: { entity: 'cultureRecord', title: cult.batchCode }, lot: { lotNo: expect.any(String) } });

  // Editing the record posts the difference as compensating movements; the posted rows never change.
  const before = await knex()('cl_movement').where({ doc_entity: 'cultureRecord', doc_id: cult.id }).orderBy('id');
  const upd = await call(techA.token, 'PATCH', `/api/v1/data/cultureRecord/${cult.id}`, { version: cult.version, materials: [{ lot: M.serumLot.id, quantity: 25 }] });
  expect(upd.status).toBe(200);
  expect(await balance(M.secA.id, M.serumLot.id)).toBe(175);
  expect(await balance(M.secA.id, M.tubeLot.id)).toBe(40);
  const after = await knex()('cl_movement').where({ doc_entity: 'cultureRecord', doc_id: cult.id }).orderBy('id');
  expect(after.slice(0, before.length)).toEqual(before);
  expect(after.length).toBe(before.length + 2);
  const led2 = await call(techA.token, 'GET', `/api/v1/materials/ledger?batch=${batch.id}&groupBy=material`);
  expect(Object.fromEntries(led2.body.data.map((r: any) => [r.material.name, r.quantity]))).toEqual({ [M.serum.name]: 25, [M.tube.name]: 0 });
});

test('movements are append-only in the database itself', async () => {
  await expect(knex().raw('update cl_movement set qty = 1')).rejects.toThrow(/append-only/);
  await expect(knex().raw('delete from cl_movement')).rejects.toThrow(/append-only/);
  await expect(knex().raw('update cl_balance set qty = -1')).rejects.toThrow(/cl_balance_not_negative/);
});

test('more than the balance is refused naming the line and the quantities; nothing is half-written', async () => {
  const movements = Number((await knex()('cl_movement').count('* as n').first())!.n);
  const r = await call(techA.token, 'POST', '/api/v1/data/materialUsage', { store: M.secA.id, lines: [{ lot: M.tubeLot.id, quantity: 1 }, { lot: M.serumLot.id, quantity: 10000 }] });
  expect(r.status).toBe(422);
  expect(r.body.error.details[0]).toMatchObject({ path: '/lines/1/quantity' });
  expect(r.body.error.details[0].message).toMatch(/库存不足.*10000.*175/);
  const en = await call(techA.token, 'POST', '/api/v1/data/materialUsage', { store: M.secA.id, lines: [{ lot: M.serumLot.id, quantity: 10000 }] }, { 'Accept-Language': 'en' });
  expect(en.body.error.details[0].message).toMatch(/Not enough/);
  expect(Number((await knex()('cl_movement').count('* as n').first())!.n)).toBe(movements);
  expect(await balance(M.secA.id, M.tubeLot.id)).toBe(40);
  expect(Number((await knex()('material_usage').count('* as n').first())!.n)).toBe(0);
});

test('100 parallel issues of one lot never take it below zero', async () => {
  const r = await create(L.t, keeperA.token, 'materialReceipt', { store: M.mainA.id, lines: [{ material: M.tube.id, lotNo: 'T-PAR', expiryDate: '2031-01-31', packs: 1 }] });
  const lot = r.lines[0].lot;
  const t0 = Date.now();
  const res = await pool(Array.from({ length: 100 }, (_, i) => i), 100, () =>
    call(keeperA.token, 'POST', '/api/v1/data/materialIssue', { issueKind: 'issue', fromStore: M.mainA.id, recipient: '细胞制备间', lines: [{ lot, quantity: 1 }] }));
  const ms = Date.now() - t0;
  const ok = res.filter((x) => x.status === 201).length;
  const short = res.filter((x) => x.status === 422).length;
  expect(ok).toBe(50);
  expect(short).toBe(50);
  expect(res.every((x) => x.status === 201 || x.status === 422)).toBe(true);
  expect(await balance(M.mainA.id, lot)).toBe(0);
  expect(Number((await knex()('cl_movement').where({ lot_id: lot, doc_entity: 'materialIssue' }).count('* as n').first())!.n)).toBe(50);
  console.log(`100 parallel issues of one lot: ${ok} issued, ${short} refused, ${ms} ms`);
});

test('after a random mix of documents every balance equals the sum of its movements, and the roll-up agrees', async () => {
  const r = await create(L.t, keeperA.token, 'materialReceipt', { store: M.mainA.id, lines: [{ material: M.tube.id, lotNo: 'T-MIX', expiryDate: '2031-01-31', packs: 4 }] });
  const lot = r.lines[0].lot;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const docs: { entity: string; id: number }[] = [];
  for (let i = 0; i < 40; i++) {
    const q = 1 + Math.floor(rnd() * 15);
    const k = Math.floor(rnd() * 5);
    const body =
      k === 0 ? ['materialIssue', { issueKind: 'transfer', fromStore: M.mainA.id, toStore: M.secA.id, lines: [{ lot, quantity: q }] }]
      : k === 1 ? ['materialUsage', { store: M.secA.id, lines: [{ lot, quantity: q }] }]
      : k === 2 ? ['materialReturn', { fromStore: M.secA.id, toStore: M.mainA.id, reason: '多领', lines: [{ lot, quantity: q }] }]
      : k === 3 ? ['materialScrap', { store: M.mainA.id, reason: '破损', lines: [{ lot, quantity: 1 }] }]
      : ['void', null];
    if (body[0] === 'void') {
      const d = docs.splice(Math.floor(rnd() * docs.length), 1)[0];
      if (d) await call(keeperA.token, 'POST', `/api/v1/data/${d.entity}/${d.id}/actions/void`, { reason: '录入错误' });
      continue;
    }
    const res = await call(keeperA.token, 'POST', `/api/v1/data/${body[0]}`, body[1]);
    expect([201, 422]).toContain(res.status);
    if (res.status === 201) docs.push({ entity: body[0] as string, id: res.body.data.id });
  }
  const mismatched = await knex().raw(`select b.store_id, b.lot_id, b.qty, coalesce(m.sum, 0) as sum from cl_balance b
    full join (select store_id, lot_id, sum(qty) as sum from cl_movement group by store_id, lot_id) m on m.store_id = b.store_id and m.lot_id = b.lot_id
    where coalesce(b.qty, 0) <> coalesce(m.sum, 0)`);
  expect(mismatched.rows).toEqual([]);
  const roll = await knex().raw(`select (select sum(qty) from cl_daily) as daily, (select sum(qty) from cl_movement) as moves, (select sum(qty) from cl_material_total) as totals`);
  expect(Number(roll.rows[0].daily)).toBe(Number(roll.rows[0].moves));
  expect(Number(roll.rows[0].totals)).toBe(Number(roll.rows[0].moves));
  const labTotals = await knex().raw(`select t.material_id, t.qty, coalesce(b.sum, 0) as sum from cl_material_total t
    left join (select coalesce(lab_id, 0) as lab_id, material_id, sum(qty) as sum from cl_balance group by 1, 2) b on b.lab_id = t.lab_id and b.material_id = t.material_id where t.qty <> coalesce(b.sum, 0)`);
  expect(labTotals.rows).toEqual([]);
  expect((await knex()('cl_balance').where('qty', '<', 0)).length).toBe(0);
});

test('a requisition is issued only once approved, in one or several goes, never beyond what was asked', async () => {
  const req = await create(L.t, techA.token, 'materialRequisition', { fromStore: M.mainA.id, toStore: M.secA.id, purpose: '本周传代', lines: [{ material: M.serum.id, quantity: 60 }] });
  expect(req).toMatchObject({ state: 'requested', issueStatus: 'open', requestedBy: techA.id });
  const early = await call(keeperA.token, 'POST', '/api/v1/data/materialIssue', { issueKind: 'transfer', requisition: req.id, fromStore: M.mainA.id, toStore: M.secA.id, lines: [{ lot: M.serumLot.id, quantity: 10 }] });
  expect(early.status).toBe(422);
  expect(early.body.error.details[0].path).toBe('/requisition');
  const ap = await call(dirA.token, 'POST', `/api/v1/data/materialRequisition/${req.id}/actions/approve`, {});
  expect(ap.status).toBe(200);
  const first = await create(L.t, keeperA.token, 'materialIssue', { issueKind: 'transfer', requisition: req.id, fromStore: M.mainA.id, toStore: M.secA.id, lines: [{ lot: M.serumLot.id, quantity: 40 }] });
  let cur = (await call(techA.token, 'GET', `/api/v1/data/materialRequisition/${req.id}`)).body.data;
  expect(cur.issueStatus).toBe('partial');
  expect(cur.issuedLines).toEqual([{ material: M.serum.id, requested: 60, issued: 40 }]);
  const over = await call(keeperA.token, 'POST', '/api/v1/data/materialIssue', { issueKind: 'transfer', requisition: req.id, fromStore: M.mainA.id, toStore: M.secA.id, lines: [{ lot: M.serumLot.id, quantity: 30 }] });
  expect(over.status).toBe(422);
  expect(over.body.error.details[0].path).toBe('/lines/0/quantity');
  await create(L.t, keeperA.token, 'materialIssue', { issueKind: 'transfer', requisition: req.id, fromStore: M.mainA.id, toStore: M.secA.id, lines: [{ lot: M.serumLot.id, quantity: 20 }] });
  cur = (await call(techA.token, 'GET', `/api/v1/data/materialRequisition/${req.id}`)).body.data;
  expect(cur.issueStatus).toBe('complete');
  // Voiding an issue gives the quantity back to the requisition.
  expect((await call(keeperA.token, 'POST', `/api/v1/data/materialIssue/${first.id}/actions/void`, { reason: '发错批次' })).status).toBe(200);
  cur = (await call(techA.token, 'GET', `/api/v1/data/materialRequisition/${req.id}`)).body.data;
  expect(cur).toMatchObject({ issueStatus: 'partial', issuedLines: [{ material: M.serum.id, requested: 60, issued: 20 }] });
  // A client cannot type issued quantities.
  const forged = await call(techA.token, 'PATCH', `/api/v1/data/materialRequisition/${req.id}`, { version: cur.version, issuedLines: [{ material: M.serum.id, requested: 60, issued: 60 }] });
  expect(forged.status).toBeGreaterThanOrEqual(400);
  expect((await call(techA.token, 'GET', `/api/v1/data/materialRequisition/${req.id}`)).body.data.issuedLines[0].issued).toBe(20);
});

test('the technician may withdraw a requisition not yet approved; nothing can be issued against it then', async () => {
  const req = await create(L.t, techA.token, 'materialRequisition', { fromStore: M.mainA.id, toStore: M.secA.id, purpose: '误填', lines: [{ material: M.tube.id, quantity: 5 }] });
  const inst = await knex()('ct_wf_instance').where({ entity: 'materialRequisition', record_id: req.id }).first();
  expect((await call(keeperA.token, 'POST', `/api/v1/inbox/instances/${inst.id}/withdraw`, {})).status).toBe(403); // only the initiator
  expect((await call(techA.token, 'POST', `/api/v1/inbox/instances/${inst.id}/withdraw`, { comment: '填错了' })).status).toBe(200);
  expect((await call(techA.token, 'GET', `/api/v1/data/materialRequisition/${req.id}`)).body.data.state).toBe('withdrawn');
  const iss = await call(keeperA.token, 'POST', '/api/v1/data/materialIssue', { issueKind: 'transfer', requisition: req.id, fromStore: M.mainA.id, toStore: M.secA.id, lines: [{ lot: M.tubeLot.id, quantity: 1 }] });
  expect(iss.status).toBe(422);
  expect(iss.body.error.details[0].path).toBe('/requisition');
});

test('a stock take posts its differences only when the director approves with an e-signature', async () => {
  const book = await balance(M.secA.id, M.tubeLot.id);
  const st = await create(L.t, keeperA.token, 'materialStockTake', { store: M.secA.id, reason: '月末盘点，少 2 支', lines: [{ lot: M.tubeLot.id, counted: book - 2 }] });
  expect(st.lines[0]).toMatchObject({ system: book, difference: -2 });
  expect(st.state).toBe('counted');
  expect(await balance(M.secA.id, M.tubeLot.id)).toBe(book);
  const ok = await call(dirA.token, 'POST', `/api/v1/data/materialStockTake/${st.id}/actions/approve`, { ...sign('批准盘点差异调整') });
  expect(ok.status).toBe(200);
  expect(await balance(M.secA.id, M.tubeLot.id)).toBe(book - 2);
  const adj = await knex()('cl_movement').where({ doc_entity: 'materialStockTake', doc_id: st.id });
  expect(adj.map((m: any) => [m.purpose, Number(m.qty)])).toEqual([['adjust', -2]]);
});

test('a posted document is voided, never edited or deleted; a receipt already used cannot be voided', async () => {
  const u = await create(L.t, techA.token, 'materialUsage', { store: M.secA.id, purpose: '质检取样', lines: [{ lot: M.tubeLot.id, quantity: 3 }] });
  const edit = await call(techA.token, 'PATCH', `/api/v1/data/materialUsage/${u.id}`, { version: u.version, lines: [{ lot: M.tubeLot.id, quantity: 1 }] });
  expect(edit.status).toBe(422);
  const del = await call(L.admin, 'DELETE', `/api/v1/data/materialUsage/${u.id}?version=${u.version}`, undefined, { 'X-Change-Reason': 'x' });
  expect(del.status).toBe(422);
  const b0 = await balance(M.secA.id, M.tubeLot.id);
  const v = await call(techA.token, 'POST', `/api/v1/data/materialUsage/${u.id}/actions/void`, { reason: '重复录入' });
  expect(v.status).toBe(200);
  expect(v.body.data.state).toBe('voided');
  expect(await balance(M.secA.id, M.tubeLot.id)).toBe(b0 + 3);
  expect((await call(techA.token, 'POST', `/api/v1/data/materialUsage/${u.id}/actions/void`, { reason: 'again' })).status).toBe(422);
  // Two voids of one document at the same moment: one reverses it, the other is refused; nothing is reversed twice.
  const u2 = await create(L.t, techA.token, 'materialUsage', { store: M.secA.id, lines: [{ lot: M.tubeLot.id, quantity: 2 }] });
  const b1 = await balance(M.secA.id, M.tubeLot.id);
  const both = await Promise.all([1, 2].map(() => call(techA.token, 'POST', `/api/v1/data/materialUsage/${u2.id}/actions/void`, { reason: '重复' })));
  const codes = both.map((x) => x.status).sort();
  expect(codes[0]).toBe(200);
  expect([409, 422]).toContain(codes[1]);
  expect(await balance(M.secA.id, M.tubeLot.id)).toBe(b1 + 2);
  const receipt = await knex()('material_receipt').where({ delivery_note: 'DN-1' }).first();
  const vr = await call(keeperA.token, 'POST', `/api/v1/data/materialReceipt/${receipt.id}/actions/void`, { reason: '退货' });
  expect(vr.status).toBe(422);
  expect(vr.body.error.details[0].message).toMatch(/库存不足/);
});

test('stock query: balances with names and flags; FEFO picks the earliest expiry', async () => {
  await create(L.t, keeperA.token, 'materialReceipt', { store: M.mainA.id, lines: [
    { material: M.tube.id, lotNo: 'T-LATE', expiryDate: '2032-01-31', packs: 1 }, { material: M.tube.id, lotNo: 'T-SOON', expiryDate: new Date(Date.now() + 10 * 86400_000).toISOString().slice(0, 10), packs: 1 },
  ] });
  const s = await stock(keeperA.token, { store: M.mainA.id, material: M.tube.id });
  expect(s.data.length).toBeGreaterThanOrEqual(2);
  const soon = s.data.find((r: any) => r.lot.lotNo === 'T-SOON');
  expect(soon).toMatchObject({ store: { name: '主库A' }, material: { name: M.tube.name }, quantity: 50, flags: { expiringSoon: true, expired: false } });
  expect((await stock(keeperA.token, { flag: 'expiringSoon' })).data.every((r: any) => r.flags.expiringSoon)).toBe(true);
  expect((await stock(keeperA.token, { q: 'T-LA' })).data.map((r: any) => r.lot.lotNo)).toEqual(['T-LATE']);
  const low = await stock(keeperA.token, { flag: 'lowStock' });
  expect(low.data.every((r: any) => r.flags.lowStock)).toBe(true);
  const fefo = (await call(keeperA.token, 'GET', `/api/v1/materials/fefo?store=${M.mainA.id}&material=${M.tube.id}&quantity=60`)).body;
  expect(fefo.data[0].lot.lotNo).toBe('T-SOON');
  expect(fefo.data[0].suggested).toBe(50);
  expect(fefo.data.reduce((x: number, r: any) => x + r.suggested, 0)).toBe(60);
});

test('the ledger groups by month and kind (reagents and consumables apart) and exports XLSX with names', async () => {
  const r = await call(keeperA.token, 'GET', '/api/v1/materials/ledger?groupBy=month,kind');
  expect(r.status).toBe(200);
  const kinds = r.body.data.map((x: any) => x.kind.label);
  expect(kinds).toEqual(expect.arrayContaining(['试剂', '耗材']));
  const x = await L.t.api('GET', '/api/v1/materials/ledger?groupBy=month,material&format=xlsx', { token: keeperA.token });
  expect(x.status).toBe(200);
  expect(String(x.headers.get('content-type'))).toContain('spreadsheetml');
});

test('alerts reach the inventory keeper once: low stock, expiring lots; a second run sends nothing', async () => {
  const jobs = L.t.server.services.jobs;
  const count = async () => Number((await knex()('ct_wf_notification').where({ user_id: keeperA.id, kind: 'materialAlert' }).count('* as n').first())!.n);
  // The minimum is the lab's (all its stores together): raise it above what lab A holds.
  const serum = (await call(keeperA.token, 'GET', `/api/v1/data/material/${M.serum.id}`)).body.data;
  expect((await call(keeperA.token, 'PATCH', `/api/v1/data/material/${M.serum.id}`, { version: serum.version, minStock: 100000 })).status).toBe(200);
  await jobs.enqueue('consumption-ledger.alerts', {});
  expect(await jobs.runDueOnce()).toBeGreaterThanOrEqual(1);
  const n1 = await count();
  expect(n1).toBeGreaterThanOrEqual(2);
  const titles = (await knex()('ct_wf_notification').where({ user_id: keeperA.id, kind: 'materialAlert' })).map((x: any) => x.record_title);
  expect(titles.some((t: string) => t.includes('低于最低库存'))).toBe(true);
  expect(titles.some((t: string) => t.includes('T-SOON'))).toBe(true);
  expect(titles.some((t: string) => t.includes('主库B'))).toBe(false);
  await jobs.enqueue('consumption-ledger.alerts', {});
  await jobs.runDueOnce();
  expect(await count()).toBe(n1);
  // lab B's keeper hears nothing of lab A
  expect(Number((await knex()('ct_wf_notification').where({ user_id: keeperB.id, kind: 'materialAlert' }).count('* as n').first())!.n)).toBe(0);
});

describe('lab isolation and permissions', () => {
  test('lab B sees none of lab A\'s stock, movements or ledger, and cannot use its lots or stores', async () => {
    const s = await stock(keeperB.token, {});
    expect(JSON.stringify(s)).not.toContain('主库A');
    expect((await stock(keeperB.token, { store: M.mainA.id })).data).toEqual([]);
    const mv = await call(techB.token, 'GET', `/api/v1/materials/movements?lot=${M.serumLot.id}&purpose=all`);
    expect(mv.status).toBe(200);
    expect(mv.body.data).toEqual([]);
    const led = await call(techB.token, 'GET', '/api/v1/materials/ledger?groupBy=material');
    expect(JSON.stringify(led.body)).not.toContain(M.serum.name);
    const fefo = await call(keeperB.token, 'GET', `/api/v1/materials/fefo?store=${M.mainA.id}&material=${M.tube.id}`);
    expect(fefo.body.data).toEqual([]);
    const use = await call(techB.token, 'POST', '/api/v1/data/materialUsage', { store: M.mainB.id, lines: [{ lot: M.tubeLot.id, quantity: 1 }] });
    expect(use.status).toBe(422);
    expect(use.body.error.details[0].path).toBe('/lines/0/lot');
    expect(JSON.stringify(use.body)).not.toContain('T-001');
    const into = await call(keeperB.token, 'POST', '/api/v1/data/materialReceipt', { store: M.mainA.id, lines: [{ material: M.tube.id, lotNo: 'X', expiryDate: '2031-01-01', packs: 1 }] });
    expect([400, 422]).toContain(into.status);
    expect(into.body.error.details[0].path).toBe('/store');
    const byBatch = await call(techB.token, 'GET', `/api/v1/materials/ledger?batch=${M.batch.id}`);
    expect(byBatch.status).toBe(404);
  });

  test('a role without the permission gets 403 from every route; bad query parameters get a 400 naming them', async () => {
    for (const p of ['/api/v1/materials/stock', `/api/v1/materials/fefo?store=${M.mainA.id}&material=${M.tube.id}`, '/api/v1/materials/ledger', '/api/v1/materials/movements', '/api/v1/materials/culture-template?cellKind=stem'])
      expect((await call(noPerm.token, 'GET', p)).status).toBe(403);
    const bad = await call(keeperA.token, 'GET', '/api/v1/materials/stock?store=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('/store');
    const unknown = await call(keeperA.token, 'GET', '/api/v1/materials/ledger?groupBy=month;drop');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].path).toBe('/groupBy');
    const extra = await call(keeperA.token, 'GET', '/api/v1/materials/stock?foo=1');
    expect(extra.status).toBe(400);
  });
});
