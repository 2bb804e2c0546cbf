// Materials end to end in Chromium (issue 11): the inventory keeper receives a QC-required reagent (the lot arrives
// quarantined), QC releases it with an e-signature on the lot's page, the keeper transfers it to the clean-room
// secondary store, a technician records a culture whose materials are filled from the culture material template
// (first-expiring lot of the secondary store), and the consumption ledger shows the use against the batch frozen
// from that culture. Screens are in zh-CN; every step is the generated UI (forms with line items, record pages).
import type { Page } from 'playwright-core';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { LAB_PASSWORD } from './support/cellbank';

jest.setTimeout(180_000);

let e: E2E;
const U: Record<string, { id: number; token: string; username: string }> = {};
const M: Record<string, any> = {};
const call = async (token: string, method: string, path: string, body?: unknown) => {
  const r = await e.server.api(method, path, { token, body });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
};

beforeAll(async () => {
  e = await startE2E({ plugins: ['qc-gating', 'storage-slots', 'consumption-ledger'] });
  const admin = e.token;
  const org = async (kind: string, code: string, name: string, parentId: number | null) => (await call(admin, 'POST', '/api/v1/admin/orgs', { kind, code, name, parentId })).id as number;
  const company = await org('company', 'MAT-CO', '示例细胞公司', null);
  const centre = await org('centre', 'MAT-CX', '上海中心', company);
  const lab = await org('lab', 'MAT-LAB', '上海细胞制备实验室', centre);
  for (const [username, displayName, roles] of [['keeper', '钱芳', ['inventoryKeeper']], ['qc', '赵敏', ['qcInspector']], ['tech', '何晓明', ['technician']], ['director', '周建国', ['labDirector']]] as const) {
    const u = await call(admin, 'POST', '/api/v1/admin/users', { username, displayName, password: LAB_PASSWORD, mustChangePassword: false, orgId: lab, roles: [...roles] });
    U[username] = { id: u.id, username, token: await e.server.login(username, LAB_PASSWORD) };
  }
  const cat = await call(admin, 'POST', '/api/v1/data/materialCategory', { code: 'SUP', name: '血清与细胞因子', kind: 'supplement' });
  M.serum = await call(admin, 'POST', '/api/v1/data/material', { name: '人血小板裂解物', category: cat.id, unit: 'mL', packUnit: 'bottle', packSize: 100, qcRequired: true, inUseDays: 14 });
  M.main = await call(U.keeper.token, 'POST', '/api/v1/data/materialStore', { code: 'SH-MS', name: '物料主库', storeKind: 'main' });
  M.sec = await call(U.keeper.token, 'POST', '/api/v1/data/materialStore', { code: 'SH-SS', name: '洁净区二级库', storeKind: 'secondary' });
  await call(admin, 'POST', '/api/v1/data/cultureMaterialTemplate', { name: '间充质干细胞传代', cellKind: 'stem', lines: [{ material: M.serum.id, quantity: 3 }] });
  M.customer = await call(U.tech.token, 'POST', '/api/v1/data/customer', { name: '郭颖' });
  M.order = await call(U.director.token, 'POST', '/api/v1/data/serviceOrder', { customer: M.customer.id, serviceItem: 'umbilicalMsc', orderCategory: 'storage' });
});
afterAll(async () => {
  await e?.close();
});

async function pick(page: Page, id: string, text: string, search?: string) {
  await page.locator(`.ant-select:has(#${id})`).click();
  if (search) await page.locator(`#${id}`).fill(search);
  // The dropdown of this select (antd renders its listbox as `<id>_list`), not one still closing from the last pick.
  await page.locator(`.ant-select-dropdown:has(#${id}_list) .ant-select-item-option`, { hasText: text }).first().click();
}
const save = (page: Page) => page.getByRole('button', { name: /保\s*存/ }).click();

test('receipt → QC release → transfer → consumption in a culture record → the ledger against the batch', async () => {
  // 1. The keeper receives 3 bottles; the lot is created quarantined.
  const keeper = await e.page({ user: 'keeper', password: LAB_PASSWORD });
  await keeper.goto(`${e.url}/form/materialReceipt/new`);
  await pick(keeper, 'root_store', '物料主库');
  await keeper.locator('#root_deliveryNote').fill('SC-2612-001');
  await keeper.getByRole('button', { name: '添加一行' }).click();
  await pick(keeper, 'root_lines_0_material', '人血小板裂解物');
  await keeper.locator('#root_lines_0_lotNo').fill('PL2612A');
  await keeper.locator('#root_lines_0_expiryDate').fill('2030-01-31');
  await keeper.locator('#root_lines_0_expiryDate').press('Enter');
  await keeper.locator('#root_lines_0_packs').fill('3');
  await save(keeper);
  await keeper.waitForURL((u) => u.pathname.startsWith('/record/materialReceipt/'));
  const lines = keeper.locator('.ct-page .ant-table', { hasText: '人血小板裂解物' }).first(); // the record's lines (the history shows them too)
  await lines.waitFor();
  expect(await lines.innerText()).toMatch(/PL2612A[\s\S]*300/); // 3 bottles of 100 mL
  await keeper.getByText('已过账').first().waitFor();
  await shot(keeper, 'materials-receipt');
  const lot = (await e.server.api('GET', `/api/v1/data/materialLot?filter=${encodeURIComponent(JSON.stringify({ lotNo: 'PL2612A' }))}`, { token: U.keeper.token })).body.data[0];
  expect(lot.status).toBe('quarantined');

  // 2. QC releases the lot on its page, with a conclusion and an e-signature.
  const qc = await e.page({ user: 'qc', password: LAB_PASSWORD });
  await qc.goto(`${e.url}/record/materialLot/${lot.id}`);
  await qc.getByText('待检').first().waitFor();
  await qc.getByRole('button', { name: '质检放行' }).click();
  const dialog = qc.locator('.ant-modal');
  await dialog.getByText('物料质检放行').first().waitFor();
  await dialog.getByLabel('质检结论').fill('无菌、支原体阴性，内毒素合格');
  await dialog.locator('input[type="password"]').fill(LAB_PASSWORD);
  await dialog.locator('.ant-btn-primary').click();
  await qc.getByText('已放行').first().waitFor();
  await shot(qc, 'materials-lot-released');

  // 3. The keeper transfers 200 mL to the secondary store.
  await keeper.goto(`${e.url}/form/materialIssue/new`);
  await pick(keeper, 'root_issueKind', '调拨至二级库');
  await pick(keeper, 'root_fromStore', '物料主库');
  await pick(keeper, 'root_toStore', '洁净区二级库');
  await keeper.getByRole('button', { name: '添加一行' }).click();
  // A barcode scanner types the lot number and Enter into the focused picker: the lot is chosen.
  await keeper.locator('.ant-select:has(#root_lines_0_lot)').click();
  await keeper.locator('#root_lines_0_lot').fill('PL2612A');
  await keeper.locator('.ant-select-dropdown:has(#root_lines_0_lot_list) .ant-select-item-option', { hasText: 'PL2612A' }).waitFor();
  await keeper.locator('#root_lines_0_lot').press('Enter');
  await keeper.locator('.ant-select:has(#root_lines_0_lot) .ant-select-selection-item', { hasText: 'PL2612A' }).waitFor();
  await keeper.locator('#root_lines_0_quantity').fill('200');
  await save(keeper);
  await keeper.waitForURL((u) => u.pathname.startsWith('/record/materialIssue/'));
  await keeper.getByText('已过账').first().waitFor();

  // 4. The technician records a culture; the materials come from the template with the secondary store's lot.
  const tech = await e.page({ user: 'tech', password: LAB_PASSWORD });
  await tech.goto(`${e.url}/form/cultureRecord/new`);
  await pick(tech, 'root_order', M.order.orderCode);
  await tech.locator('.ant-select:has(#root_customer) .ant-select-selection-item', { hasText: '郭颖' }).waitFor(); // from the order
  await pick(tech, 'root_cellKind', '干细胞');
  await tech.locator('#root_cultureDate').fill('2026-11-30');
  await tech.locator('#root_cultureDate').press('Enter');
  await tech.locator('#root_totalCells').fill('36');
  await tech.locator('#root_viability').fill('95');
  await tech.locator('#root_passage').fill('2');
  await pick(tech, 'root_materialStore', '洁净区二级库');
  await tech.getByRole('button', { name: '按培养物料模板带出' }).click();
  await tech.locator('.ant-select:has(#root_materials_0_lot)', { hasText: 'PL2612A' }).waitFor();
  expect(await tech.locator('#root_materials_0_quantity').inputValue()).toBe('3');
  await shot(tech, 'materials-culture-usage', { tall: true });
  await save(tech);
  await tech.waitForURL((u) => u.pathname.startsWith('/record/cultureRecord/'));
  const cultureId = Number(tech.url().split('/').pop());
  const culture = await call(U.tech.token, 'GET', `/api/v1/data/cultureRecord/${cultureId}`);
  const batch = await call(U.tech.token, 'POST', '/api/v1/data/cellBatch', { cellType: 'UC-MSC', customer: M.customer.id, customerName: '郭颖', cultureRecord: cultureId, vialCount: 4, freezeDate: '2026-11-30' });

  // 5. The ledger, filtered by the batch, shows the 3 mL used for it.
  await keeper.goto(`${e.url}/plugin/consumption-ledger%2FLedger`);
  await keeper.getByText('生产消耗台账').first().waitFor();
  await pick(keeper, 'ct-ledger-group', '培养批号 × 物料');
  await pick(keeper, 'ct-ledger-batch', batch.batchCode, batch.batchCode.slice(-6));
  const row = keeper.locator('.ant-table-row', { hasText: '人血小板裂解物' });
  await row.waitFor();
  expect(await row.innerText()).toContain(culture.batchCode);
  expect(await row.innerText()).toMatch(/\b3\b/);
  await keeper.keyboard.press('Escape');
  await keeper.locator('.ant-select-dropdown:has(#ct-ledger-batch_list)').waitFor({ state: 'hidden' });
  await shot(keeper, 'materials-ledger');
  // The stock page: 100 mL left in the main store, 197 mL in the secondary store.
  await keeper.goto(`${e.url}/plugin/consumption-ledger%2FStock`);
  const secRow = keeper.locator('.ant-table-row', { hasText: '洁净区二级库' });
  await secRow.waitFor();
  expect(await secRow.innerText()).toContain('197');
  expect(await keeper.locator('.ant-table-row', { hasText: '物料主库' }).innerText()).toContain('100');
  await shot(keeper, 'materials-stock');
  // Where the lot went: receipt, transfer out and in, and the culture record it was used for.
  await secRow.getByRole('button', { name: /去\s*向/ }).click();
  const drawer = keeper.locator('.ant-drawer-content');
  await drawer.getByText(culture.batchCode).first().waitFor(); // as the document and as the production record
  expect(await drawer.innerText()).toMatch(/入库[\s\S]*调拨[\s\S]*使用消耗|使用消耗[\s\S]*调拨[\s\S]*入库/);
  expect(realErrors(e.errors)).toEqual([]);
});

test('requisition → approval in the inbox → issued from the requisition first expiry first out; stock take → approval with e-signature → adjusted', async () => {
  // The technician asks for 50 mL for the clean room.
  const tech = await e.page({ user: 'tech', password: LAB_PASSWORD });
  await tech.goto(`${e.url}/form/materialRequisition/new`);
  await pick(tech, 'root_fromStore', '物料主库');
  await pick(tech, 'root_toStore', '洁净区二级库');
  await tech.locator('#root_purpose').fill('本周传代用');
  await tech.getByRole('button', { name: '添加一行' }).click();
  await pick(tech, 'root_lines_0_material', '人血小板裂解物');
  await tech.locator('#root_lines_0_quantity').fill('50');
  await save(tech);
  await tech.waitForURL((u) => u.pathname.startsWith('/record/materialRequisition/'));
  const reqId = Number(tech.url().split('/').pop());
  const req = await call(U.tech.token, 'GET', `/api/v1/data/materialRequisition/${reqId}`);
  expect(req).toMatchObject({ state: 'requested', issueStatus: 'open', requestedBy: U.tech.id });

  // The director approves it from the inbox.
  const dir = await e.page({ user: 'director', password: LAB_PASSWORD });
  await dir.goto(`${e.url}/inbox`);
  const row = dir.locator('.ant-table-row', { hasText: req.requisitionNo });
  await row.getByRole('link', { name: req.requisitionNo }).click();
  await dir.waitForURL((u) => u.pathname === `/record/materialRequisition/${reqId}`);
  await dir.getByRole('button', { name: '批准申领' }).click();
  const dialog = dir.locator('.ant-modal');
  await dialog.locator('.ant-btn-primary').click();
  await dialog.waitFor({ state: 'detached' });
  await dir.getByText('已批准').first().waitFor();

  // The keeper issues it: lines proposed from the requisition, first expiry first out.
  const keeper = await e.page({ user: 'keeper', password: LAB_PASSWORD });
  await keeper.goto(`${e.url}/form/materialIssue/new`);
  await pick(keeper, 'root_issueKind', '调拨至二级库');
  await pick(keeper, 'root_requisition', req.requisitionNo);
  await pick(keeper, 'root_fromStore', '物料主库');
  await pick(keeper, 'root_toStore', '洁净区二级库');
  await keeper.getByRole('button', { name: /按申领单带出/ }).click();
  await keeper.locator('.ant-select:has(#root_lines_0_lot)', { hasText: 'PL2612A' }).waitFor();
  expect(await keeper.locator('#root_lines_0_quantity').inputValue()).toBe('50');
  await save(keeper);
  await keeper.waitForURL((u) => u.pathname.startsWith('/record/materialIssue/'));
  expect((await call(U.tech.token, 'GET', `/api/v1/data/materialRequisition/${reqId}`)).issueStatus).toBe('complete');

  // Stock take of the secondary store: 2 mL short, posted once the director signs.
  const lot = (await e.server.api('GET', `/api/v1/data/materialLot?filter=${encodeURIComponent(JSON.stringify({ lotNo: 'PL2612A' }))}`, { token: U.keeper.token })).body.data[0];
  const book = (await e.server.api('GET', `/api/v1/materials/stock?store=${M.sec.id}&lot=${lot.id}`, { token: U.keeper.token })).body.data[0].quantity as number;
  await keeper.goto(`${e.url}/form/materialStockTake/new`);
  await pick(keeper, 'root_store', '洁净区二级库');
  await keeper.locator('#root_reason').fill('月末盘点，差 2 mL');
  await keeper.getByRole('button', { name: '添加一行' }).click();
  await pick(keeper, 'root_lines_0_lot', 'PL2612A');
  await keeper.locator('#root_lines_0_counted').fill(String(book - 2));
  await save(keeper);
  await keeper.waitForURL((u) => u.pathname.startsWith('/record/materialStockTake/'));
  const takeId = Number(keeper.url().split('/').pop());
  const take = await call(U.keeper.token, 'GET', `/api/v1/data/materialStockTake/${takeId}`);
  expect(take.lines[0]).toMatchObject({ system: book, difference: -2 });
  await dir.goto(`${e.url}/record/materialStockTake/${takeId}`);
  await dir.getByRole('button', { name: '批准调整' }).click();
  await dialog.locator('#ct-flow-password').fill(LAB_PASSWORD);
  await dialog.locator('.ant-btn-primary').click();
  await dialog.waitFor({ state: 'detached' });
  await dir.getByText('已批准并调整').first().waitFor();
  const after = (await e.server.api('GET', `/api/v1/materials/stock?store=${M.sec.id}&lot=${lot.id}`, { token: U.keeper.token })).body.data[0].quantity;
  expect(after).toBe(book - 2);
  expect(realErrors(e.errors)).toEqual([]);
});
