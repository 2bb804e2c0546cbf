// Equipment end to end in Chromium (issue 14 "Done when"): the equipment manager registers an asset with two plans,
// the reminder of the first due date appears in the inbox before that date, a maintenance record signed on its page
// moves the next due date, an asset out of calibration cannot be chosen on a culture record (the reason names it), a
// repair puts an asset under repair and back in use, and the equipment ledger exports to XLSX. Screens in zh-CN.
import fs from 'node:fs';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { orderFor } from '../support/labs';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { LAB_PASSWORD } from './support/cellbank';
import { addDays, addMonths, today } from '../../plugins/equipment-care/schedule';

jest.setTimeout(180_000);

let e: E2E;
const U: Record<string, { id: number; token: string; username: string }> = {};
const M: Record<string, any> = {};
const call = async (token: string, method: string, path: string, body?: unknown) => {
  const r = await e.server.api(method, path, { token, body });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
};
const day = (n: number) => addDays(today(), n);

beforeAll(async () => {
  e = await startE2E({ plugins: ['equipment-care', 'consumption-ledger'] });
  const admin = e.token;
  const org = async (kind: string, code: string, name: string, parentId: number | null) => (await call(admin, 'POST', '/api/v1/admin/orgs', { kind, code, name, parentId })).id as number;
  const company = await org('company', 'EQ-CO', '示例细胞公司', null);
  const centre = await org('centre', 'EQ-CX', '上海中心', company);
  const lab = await org('lab', 'EQ-LAB', '上海细胞制备实验室', centre);
  for (const [username, displayName, roles] of [['eqmgr', '吴强', ['equipmentManager']], ['tech', '何晓明', ['technician']]] as const) {
    const u = await call(admin, 'POST', '/api/v1/admin/users', { username, displayName, password: LAB_PASSWORD, mustChangePassword: false, orgId: lab, roles: [...roles] });
    U[username] = { id: u.id, username, token: await e.server.login(username, LAB_PASSWORD) };
  }
  const root = await call(admin, 'POST', '/api/v1/data/equipmentCategory', { code: 'CULT', name: '细胞培养设备' });
  M.bscCat = await call(admin, 'POST', '/api/v1/data/equipmentCategory', { code: 'BSC', name: '生物安全柜', parent: root.id });
  M.incCat = await call(admin, 'POST', '/api/v1/data/equipmentCategory', { code: 'INC', name: 'CO2培养箱', parent: root.id });
  M.customer = await call(U.tech.token, 'POST', '/api/v1/data/customer', { name: '郭颖' });
  M.order = await orderFor(e.server, M.customer.id);
  // An incubator whose yearly calibration was due three days ago: out of calibration.
  M.inc = await call(U.eqmgr.token, 'POST', '/api/v1/data/equipment', { name: 'CO2培养箱2号', category: M.incCat.id, purchasePrice: 48000 });
  await call(U.eqmgr.token, 'POST', '/api/v1/data/maintenancePlan', { equipment: M.inc.id, planType: 'calibration', name: '温度与CO2校准', intervalValue: 12, intervalUnit: 'month', scheduleMode: 'fixed', startDate: day(-3), remindDays: 14 });
});
afterAll(async () => {
  await e?.close();
});

const dropdown = (page: Page) => page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
async function pick(page: Page, id: string, text: string, search?: string) {
  await page.locator(`.ant-select:has(#${id})`).click();
  if (search) await page.locator(`#${id}`).fill(search);
  await page.locator(`.ant-select-dropdown:has(#${id}_list) .ant-select-item-option`, { hasText: text }).first().click();
}
async function date(page: Page, id: string, value: string) {
  await page.locator(`#${id}`).fill(value);
  await page.locator(`#${id}`).press('Enter');
}
const save = (page: Page) => page.getByRole('button', { name: /保\s*存/ }).click();
const recordId = (page: Page) => Number(new URL(page.url()).pathname.split('/').pop());

test('R-3.6.2 R-3.6.3 R-3.6.4 R-3.6.5 register an asset with two plans → reminder in the inbox → signed record moves the next due date → gate on a culture record → repair → ledger XLSX', async () => {
  // 1. The equipment manager registers a biosafety cabinet.
  const mgr = await e.page({ user: 'eqmgr', password: LAB_PASSWORD });
  await mgr.goto(`${e.url}/form/equipment/new`);
  await mgr.locator('#root_name').fill('A级生物安全柜1号');
  await pick(mgr, 'root_category', '生物安全柜');
  await mgr.locator('#root_model').fill('Thermo 1300 Series A2');
  await mgr.locator('#root_serialNo').fill('BSC-13A2-0158');
  await mgr.locator('#root_purchasePrice').fill('68000');
  await save(mgr);
  await mgr.waitForURL((u) => /^\/record\/equipment\/\d+$/.test(u.pathname));
  const bscId = recordId(mgr);
  const bsc = await call(U.eqmgr.token, 'GET', `/api/v1/data/equipment/${bscId}`);
  expect(bsc).toMatchObject({ name: 'A级生物安全柜1号', status: 'inUse', serviceState: 'noPlan', responsible: U.eqmgr.id });
  expect(bsc.code).toMatch(/^EQ\d{5}$/);
  await mgr.getByText(bsc.code).first().waitFor();

  // 2. Two plans: monthly cleaning due in 5 days (reminded 7 days before), yearly calibration due in 60 days.
  const plan = async (p: { type: string; name: string; n: string; unit: string; mode: string; start: string; remind: string }) => {
    await mgr.goto(`${e.url}/form/maintenancePlan/new`);
    await pick(mgr, 'root_equipment', 'A级生物安全柜1号');
    await pick(mgr, 'root_planType', p.type);
    await mgr.locator('#root_name').fill(p.name);
    await mgr.locator('#root_intervalValue').fill(p.n);
    await pick(mgr, 'root_intervalUnit', p.unit);
    await pick(mgr, 'root_scheduleMode', p.mode);
    await date(mgr, 'root_startDate', p.start);
    await mgr.locator('#root_remindDays').fill(p.remind);
    await save(mgr);
    await mgr.waitForURL((u) => /^\/record\/maintenancePlan\/\d+$/.test(u.pathname));
    return recordId(mgr);
  };
  const cleanId = await plan({ type: '清洁消毒', name: '台面与紫外灯消毒', n: '1', unit: '月(按日历)', mode: '固定日历周期', start: day(5), remind: '7' });
  const calId = await plan({ type: '校准/检定', name: '高效过滤器检漏与风速检测', n: '12', unit: '月(按日历)', mode: '固定日历周期', start: day(60), remind: '14' });
  await mgr.getByText(day(60)).first().waitFor(); // next due on the plan's page
  expect((await call(U.eqmgr.token, 'GET', `/api/v1/data/maintenancePlan/${cleanId}`)).nextDueDate).toBe(day(5));

  // 3. The reminder job (queued by the plan's save) puts the due cleaning into the manager's inbox, 5 days early.
  await e.server.server.services.jobs!.runDueOnce();
  await mgr.goto(`${e.url}/inbox`);
  const title = `清洁消毒：A级生物安全柜1号（${bsc.code}）· 台面与紫外灯消毒 · ${day(5)} 到期`;
  const taskRow = mgr.locator('.ant-table-row', { hasText: title });
  await taskRow.waitFor();
  expect(await mgr.locator('.ant-table-row', { hasText: '高效过滤器检漏与风速检测' }).count()).toBe(0); // not in its window yet
  await shot(mgr, 'equipment-inbox');

  // 4. The cleaning is done today: a maintenance record, signed on its page, moves the next due date one month on.
  await mgr.goto(`${e.url}/form/maintenanceRecord/new`);
  await pick(mgr, 'root_plan', '台面与紫外灯消毒');
  await date(mgr, 'root_performedDate', day(0));
  await pick(mgr, 'root_result', '合格');
  await mgr.locator('#root_content').fill('75%乙醇擦拭台面，紫外灯强度 92 μW/cm²');
  await save(mgr);
  await mgr.waitForURL((u) => /^\/record\/maintenanceRecord\/\d+$/.test(u.pathname));
  const recId = recordId(mgr);
  await mgr.getByText('待签名').first().waitFor();
  await mgr.getByRole('button', { name: '签名确认' }).click();
  const dialog = mgr.locator('.ant-modal');
  await dialog.getByText('维护校准确认').first().waitFor();
  await dialog.locator('input[type="password"]').fill(LAB_PASSWORD);
  await dialog.locator('.ant-btn-primary').click();
  await dialog.waitFor({ state: 'detached' });
  await mgr.getByText('已签名').first().waitFor();
  await mgr.getByText(addMonths(day(5), 1)).first().waitFor();
  await shot(mgr, 'equipment-record-signed');
  expect(await call(U.eqmgr.token, 'GET', `/api/v1/data/maintenanceRecord/${recId}`)).toMatchObject({ status: 'signed', signedBy: U.eqmgr.id, nextDueDate: addMonths(day(5), 1) });
  expect((await call(U.eqmgr.token, 'GET', `/api/v1/data/maintenancePlan/${cleanId}`)).nextDueDate).toBe(addMonths(day(5), 1));
  expect((await call(U.eqmgr.token, 'GET', `/api/v1/data/maintenancePlan/${calId}`)).nextDueDate).toBe(day(60));
  // the task is done: gone from the inbox
  await mgr.goto(`${e.url}/inbox`);
  await mgr.locator('.ct-page').first().waitFor();
  await taskRow.waitFor({ state: 'detached' });

  // 5. The technician cannot use the incubator that is out of calibration on a culture record: the picker offers it
  //    disabled with its state, and the server refuses it with the asset and the reason (a crafted request).
  const tech = await e.page({ user: 'tech', password: LAB_PASSWORD });
  await tech.goto(`${e.url}/form/cultureRecord/new?order=${M.order}`); // opened from the order: the customer comes with it
  await tech.locator('.ant-select:has(#root_customer) .ant-select-selection-item', { hasText: '郭颖' }).waitFor();
  await pick(tech, 'root_cellKind', '干细胞');
  await date(tech, 'root_cultureDate', day(0));
  await tech.locator('#root_totalCells').fill('36');
  await tech.locator('#root_viability').fill('95');
  await tech.locator('#root_passage').fill('2');
  const eqSelect = tech.locator('.ant-select:has(#root_equipment)');
  await eqSelect.click();
  const options = dropdown(tech).locator('[data-testid="multi-ref-option"]');
  const unusable = dropdown(tech).locator('.ant-select-item-option', { hasText: 'CO2培养箱2号' });
  await unusable.waitFor();
  expect(await unusable.innerText()).toContain('校准失效');
  expect(await unusable.getAttribute('class')).toContain('ant-select-item-option-disabled');
  await unusable.click({ force: true }); // a disabled option does not become a choice
  await options.filter({ hasText: 'A级生物安全柜1号' }).click();
  await tech.keyboard.press('Escape');
  expect(await eqSelect.locator('.ant-select-selection-item').allInnerTexts()).toEqual([expect.stringContaining('A级生物安全柜1号')]);
  await shot(tech, 'equipment-gate-picker', { tall: true });
  const crafted = await e.server.api('POST', '/api/v1/data/cultureRecord', { token: U.tech.token, body: { customer: M.customer.id, order: M.order, cellKind: 'stem', cultureDate: day(0), totalCells: 36, viability: 95, passage: 2, equipment: [M.inc.id] } });
  expect(crafted.status).toBe(422);
  expect(crafted.body.error.details[0]).toMatchObject({ path: '/equipment/0', message: `设备“CO2培养箱2号”（${M.inc.code}）校准/检定“温度与CO2校准”已于 ${day(-3)} 到期未完成，校准失效，不能使用` });
  await save(tech);
  await tech.waitForURL((u) => /^\/record\/cultureRecord\/\d+$/.test(u.pathname));
  expect((await call(U.tech.token, 'GET', `/api/v1/data/cultureRecord/${recordId(tech)}`)).equipment).toEqual([bscId]);

  // 6. A repair: the cabinet is under repair until the repair is finished. A culture form that chose it before the
  //    fault was reported is refused on save, with the reason on the form.
  await tech.goto(`${e.url}/form/cultureRecord/new?order=${M.order}`); // opened from the order: the customer comes with it
  await tech.locator('.ant-select:has(#root_customer) .ant-select-selection-item', { hasText: '郭颖' }).waitFor();
  await pick(tech, 'root_cellKind', '干细胞');
  await date(tech, 'root_cultureDate', day(0));
  await tech.locator('#root_totalCells').fill('20');
  await tech.locator('#root_viability').fill('93');
  await tech.locator('#root_passage').fill('3');
  await eqSelect.click();
  await options.filter({ hasText: 'A级生物安全柜1号' }).click();
  await tech.keyboard.press('Escape');
  await mgr.goto(`${e.url}/form/equipmentRepair/new`);
  await pick(mgr, 'root_equipment', 'A级生物安全柜1号');
  await mgr.locator('#root_fault').fill('风机异响，下降气流风速低于 0.25 m/s');
  await mgr.locator('#root_reportedAt').fill(`${day(0)} 08:00`);
  await mgr.locator('#root_reportedAt').press('Enter');
  await save(mgr);
  await mgr.waitForURL((u) => /^\/record\/equipmentRepair\/\d+$/.test(u.pathname));
  const repairId = recordId(mgr);
  expect((await call(U.eqmgr.token, 'GET', `/api/v1/data/equipment/${bscId}`)).status).toBe('underRepair');
  await save(tech);
  await tech.getByText(`设备“A级生物安全柜1号”（${bsc.code}）正在维修，不能使用`).first().waitFor();
  expect(new URL(tech.url()).pathname).toBe('/form/cultureRecord/new'); // still on the form
  await shot(tech, 'equipment-gate-refused', { tall: true });
  await mgr.getByRole('button', { name: '完成维修' }).click();
  const fin = mgr.locator('.ant-modal');
  await fin.locator('.ant-select').first().click();
  await dropdown(mgr).locator('.ant-select-item-option', { hasText: '已修复' }).click();
  await fin.getByLabel('维修说明').fill('更换风机电容，风速复测 0.38 m/s');
  await fin.locator('.ant-btn-primary').click();
  await fin.waitFor({ state: 'detached' });
  await mgr.getByText('已完成').first().waitFor();
  expect(await call(U.eqmgr.token, 'GET', `/api/v1/data/equipmentRepair/${repairId}`)).toMatchObject({ status: 'closed', result: 'repaired' });
  await mgr.goto(`${e.url}/record/equipment/${bscId}`);
  await mgr.getByText('在用').first().waitFor();
  expect((await call(U.eqmgr.token, 'GET', `/api/v1/data/equipment/${bscId}`)).status).toBe('inUse');

  // 7. The ledger by category, exported to XLSX.
  await mgr.goto(`${e.url}/plugin/equipment-care%2FLedger`);
  const row = mgr.locator('.ant-table-row', { hasText: '细胞培养设备 / 生物安全柜' }).first(); // the summary table comes first
  await row.waitFor();
  expect(await row.innerText()).toMatch(/68000\.00/);
  await shot(mgr, 'equipment-ledger');
  const [download] = await Promise.all([mgr.waitForEvent('download'), mgr.getByRole('link', { name: /导出 Excel/ }).click()]);
  const file = await download.path();
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(fs.readFileSync(file!) as any);
  const sheet = wb.getWorksheet('设备台账')!;
  const values = sheet.getSheetValues().filter(Array.isArray) as unknown[][];
  expect(values[0]).toEqual(expect.arrayContaining(['设备编号', '设备名称', '设备科目', '原值(元)', '设备状态']));
  expect(values.find((v) => v.includes(bsc.code))).toEqual(expect.arrayContaining(['A级生物安全柜1号', '细胞培养设备 / 生物安全柜', 68000, '在用']));
  expect(values.find((v) => v.includes(M.inc.code))).toEqual(expect.arrayContaining(['CO2培养箱2号', '校准失效']));
  expect(wb.getWorksheet('分类汇总')).toBeDefined();
  expect(realErrors(e.errors)).toEqual([]);
});
