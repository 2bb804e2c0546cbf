// From order to product in Chromium (issue 12), by the roles that do it in a lab: the centre's sales clerk books an
// order for the lab, the lab director assigns the sample receipt, the technician works it from the inbox (a
// mismatching label scan is refused) and records the culture, the QC inspector passes stock-in QC, the cryostorage
// keeper stocks the batch in with a scanned label, QC passes release QC, the technician prepares the product (the
// chosen vial leaves the tank by itself) and hands it over: the logger's CSV is charted against 2–8 °C and the
// external receiver signs on the tablet. The order's progress and remaining cells follow; the trace shows every step.
import { approvedQc, reviewQc } from '../support/qc';
import type { Page } from 'playwright-core';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { LAB_PASSWORD } from './support/cellbank';

jest.setTimeout(300_000);

let e: E2E;
const U: Record<string, { id: number; token: string }> = {};
const M: Record<string, any> = {};
const call = async (token: string, method: string, path: string, body?: unknown) => {
  const r = await e.server.api(method, path, { token, body });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
};
const order = () => call(U.director.token, 'GET', `/api/v1/data/serviceOrder/${M.order.id}`);

beforeAll(async () => {
  e = await startE2E({ plugins: ['qc-gating', 'storage-slots', 'order-chain'] });
  const admin = e.token;
  const org = async (kind: string, code: string, name: string, parentId: number | null) => (await call(admin, 'POST', '/api/v1/admin/orgs', { kind, code, name, parentId })).id as number;
  const company = await org('company', 'OC-CO', '示例细胞公司', null);
  const centre = await org('centre', 'OC-SH', '上海中心', company);
  const lab = await org('lab', 'OC-LAB', '上海细胞制备实验室', centre);
  await org('lab', 'OC-LAB2', '上海质检实验室', centre);
  const people = [
    ['sales', '郑丽', ['sales'], centre], ['director', '周建国', ['labDirector'], lab], ['tech', '何晓明', ['technician'], lab],
    ['qc', '赵敏', ['qcInspector'], lab], ['cryo', '孙磊', ['cryostorageKeeper'], lab],
  ] as const;
  for (const [username, displayName, roles, orgId] of people) {
    const u = await call(admin, 'POST', '/api/v1/admin/users', { username, displayName, password: LAB_PASSWORD, mustChangePassword: false, orgId, roles: [...roles] });
    U[username] = { id: u.id, token: await e.server.login(username, LAB_PASSWORD) };
  }
  M.customer = await call(U.tech.token, 'POST', '/api/v1/data/customer', { name: '郭颖', gender: 'F', birthDate: '1992-05-14' });
  const boxType = await call(U.director.token, 'POST', '/api/v1/data/containerType', { code: 'BX55', name: '5×5 冻存盒', level: 'box', rows: 5, cols: 5, holdsVials: true });
  M.tank = await call(U.cryo.token, 'POST', '/api/v1/data/storageDevice', { code: 'LN2-07', name: '液氮罐 7 号', deviceType: 'ln2Tank', site: 'SH', setTemperature: -196 });
  await call(U.cryo.token, 'POST', '/api/v1/data/container', { code: 'LN2-07-B1', name: 'B1', containerType: boxType.id, device: M.tank.id });
});
afterAll(async () => {
  await e?.close();
});

async function pick(page: Page, id: string, text: string, search?: string) {
  await page.locator(`.ant-select:has(#${id})`).click();
  if (search) await page.locator(`#${id}`).fill(search);
  await page.locator(`.ant-select-dropdown:has(#${id}_list) .ant-select-item-option`, { hasText: text }).first().click();
}
async function fillDate(page: Page, id: string, value: string) {
  await page.locator(`#${id}`).fill(value);
  await page.locator(`#${id}`).press('Enter');
}
const save = (page: Page) => page.getByRole('button', { name: /保\s*存/ }).click();
/** Saves a new record and waits for the server's answer; a refusal fails with what the server said (not a navigation timeout). */
async function saveNew(page: Page, entity: string) {
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/v1/data/${entity}`, { timeout: 20_000 }).catch(() => null);
  await save(page);
  const r = await answer;
  if (!r) {
    // The form did not send: say what it shows (its own validation errors, the values it holds).
    const shown = await page.locator('.ant-form-item-explain-error, .ant-alert-message, .ant-message-notice').allInnerTexts();
    await shot(page, `debug-save-${entity}`);
    throw new Error(`saving ${entity}: nothing was sent; the page shows ${JSON.stringify(shown)}; url ${page.url()}`);
  }
  if (r.status() !== 201) throw new Error(`saving ${entity}: ${r.status()} ${await r.text()}`);
  await page.waitForURL((u) => u.pathname.startsWith(`/record/${entity}/`));
}
const stamp = (minutesAgo: number) => {
  // The browser's local time, as the date-time picker shows it.
  const d = new Date(Date.now() - minutesAgo * 60_000 - new Date().getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16).replace('T', ' ');
};
const fieldError = (page: Page, field: string) => page.locator(`.ant-form-item:has(#root_${field}):not(:has(.ant-form-item)) .ant-form-item-explain-error`);

test('one order from booking to handover, by the people who do it; progress and remaining cells follow; the trace shows it all', async () => {
  // 1. Sales (at the centre) books the order for the preparation lab.
  const sales = await e.page({ user: 'sales', password: LAB_PASSWORD });
  await sales.goto(`${e.url}/form/serviceOrder/new`);
  await pick(sales, 'root_customer', '郭颖', '郭颖');
  await pick(sales, 'root_lab', '上海细胞制备实验室');
  await pick(sales, 'root_serviceItem', '脐带间充质干细胞存储');
  await pick(sales, 'root_orderCategory', '细胞存储');
  await pick(sales, 'root_sampleType', '脐带');
  await sales.locator('#root_cellCount').fill('60');
  await sales.locator('#root_storageYears').fill('20');
  await save(sales);
  await sales.waitForURL((u) => u.pathname.startsWith('/record/serviceOrder/'));
  M.order = await call(U.sales.token, 'GET', `/api/v1/data/serviceOrder/${sales.url().split('/').pop()}`);
  expect(M.order.chainId).toMatch(/^COI/);
  await sales.getByText(M.order.chainId).first().waitFor();
  await sales.getByText('上海细胞制备实验室').first().waitFor();
  await sales.getByText('已预约').first().waitFor();
  await shot(sales, 'order-booked');

  // 2. The director assigns the sample receipt to the technician (the form opened from the order).
  const dir = await e.page({ user: 'director', password: LAB_PASSWORD });
  await dir.goto(`${e.url}/form/labTask/new?order=${M.order.id}`);
  await dir.locator('.ant-select:has(#root_order) .ant-select-selection-item', { hasText: M.order.orderCode }).waitFor();
  await pick(dir, 'root_taskType', '样本接收');
  await dir.locator('.ant-select:has(#root_assignee)').click();
  await dir.locator('#root_assignee').fill('何晓明');
  await dir.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: '何晓明' }).first().click();
  await save(dir);
  await dir.waitForURL((u) => u.pathname.startsWith('/record/labTask/'));
  const taskId = Number(dir.url().split('/').pop());
  const task = await call(U.director.token, 'GET', `/api/v1/data/labTask/${taskId}`);

  // 3. The technician opens it from the inbox; the task's page opens the sample form prefilled with the order.
  const tech = await e.page({ user: 'tech', password: LAB_PASSWORD });
  await tech.goto(`${e.url}/inbox`);
  await tech.locator('.ant-table-row', { hasText: task.taskNo }).getByRole('link', { name: task.taskNo }).click();
  await tech.waitForURL((u) => u.pathname === `/record/labTask/${taskId}`);
  await tech.getByRole('button', { name: '打开表单办理' }).click();
  await tech.waitForURL((u) => u.pathname === '/form/sample/new');
  await tech.locator('.ant-select:has(#root_order) .ant-select-selection-item', { hasText: M.order.orderCode }).waitFor();
  await tech.locator('.ant-select:has(#root_sampleType) .ant-select-selection-item', { hasText: '脐带' }).waitFor(); // prefilled from the order
  await fillDate(tech, 'root_collectedAt', stamp(300));
  await fillDate(tech, 'root_receivedAt', stamp(30));
  await tech.locator('#root_arrivalTemperature').fill('6.5');
  await pick(tech, 'root_decision', '接收');
  // A scanner types the label of another patient's tube: refused, naming the expected identity.
  await tech.locator('#root_labelScan').fill('COI26000099Z');
  await save(tech);
  await fieldError(tech, 'labelScan').first().waitFor();
  expect(await fieldError(tech, 'labelScan').first().innerText()).toContain(M.order.chainId);
  await shot(tech, 'sample-scan-refused');
  await tech.locator('#root_labelScan').fill(M.order.chainId);
  await saveNew(tech, 'sample');
  const sample = await call(U.tech.token, 'GET', `/api/v1/data/sample/${tech.url().split('/').pop()}`);
  expect((await call(U.tech.token, 'GET', `/api/v1/data/labTask/${taskId}`)).state).toBe('done');
  expect((await order()).progress).toBe('sampleReceived');

  // 4. The culture record, from the order: the customer comes with it; the operator is the technician.
  await tech.goto(`${e.url}/form/cultureRecord/new?order=${M.order.id}`);
  await tech.locator('.ant-select:has(#root_customer) .ant-select-selection-item', { hasText: '郭颖' }).waitFor();
  await pick(tech, 'root_sample', sample.sampleCode);
  await pick(tech, 'root_cellKind', '干细胞');
  await fillDate(tech, 'root_cultureDate', new Date().toISOString().slice(0, 10));
  await tech.locator('#root_totalCells').fill('62');
  await tech.locator('#root_viability').fill('94.5');
  await tech.locator('#root_passage').fill('3');
  await save(tech);
  await tech.waitForURL((u) => u.pathname.startsWith('/record/cultureRecord/'));
  const cultureId = Number(tech.url().split('/').pop());
  M.batch = await call(U.tech.token, 'POST', '/api/v1/data/cellBatch', { cellType: 'UC-MSC', cultureRecord: cultureId, vialCount: 3, cellsPerVial: 10, freezeDate: new Date().toISOString().slice(0, 10) });
  expect(M.batch.order).toBe(M.order.id);

  // 5. QC passes stock-in QC on the batch.
  const qc = await e.page({ user: 'qc', password: LAB_PASSWORD });
  await qc.goto(`${e.url}/form/qcRecord/new?batch=${M.batch.id}`);
  await pick(qc, 'root_qcType', '入库质检');
  await fillDate(qc, 'root_testedAt', stamp(10));
  await qc.locator('#root_viability').fill('93');
  await pick(qc, 'root_sterility', '阴性');
  await pick(qc, 'root_mycoplasma', '阴性');
  await save(qc);
  await qc.waitForURL((u) => u.pathname.startsWith('/record/qcRecord/'));
  await qc.getByText('合格').first().waitFor();
  // Submitted by the inspector and approved by the director (the review screens have their own test): the gates
  // read only approved results.
  const qcId = Number(new URL(qc.url()).pathname.split('/').pop());
  await reviewQc(e.server, U.qc.token, { token: U.director.token, password: LAB_PASSWORD }, qcId);

  // 6. The cryostorage keeper stocks the batch in, scanning its label.
  const cryo = await e.page({ user: 'cryo', password: LAB_PASSWORD });
  await cryo.goto(`${e.url}/form/stockIn/new?batch=${M.batch.id}`);
  await cryo.locator('#root_vialCount').fill('3');
  await pick(cryo, 'root_device', '液氮罐 7 号');
  await cryo.locator('#root_identityScan').fill(M.batch.batchCode);
  await save(cryo);
  await cryo.waitForURL((u) => u.pathname.startsWith('/record/stockIn/'));
  expect(await order()).toMatchObject({ progress: 'stored', storedVials: 3, remainingCells: 30 });

  // 7. Release QC, then the technician prepares the product: one vial, scanned; it leaves the tank by itself.
  await approvedQc(e.server, U.qc.token, { token: U.director.token, password: LAB_PASSWORD }, { qcType: 'releaseQc', batch: M.batch.id, testedAt: new Date(Date.now() - 60_000).toISOString(), viability: 92, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1 });
  const vial = (await call(U.tech.token, 'GET', `/api/v1/order-chain/suggest-vials?batch=${M.batch.id}&n=1`))[0];
  await tech.goto(`${e.url}/form/preparation/new?order=${M.order.id}`);
  await pick(tech, 'root_batch', M.batch.batchCode);
  await pick(tech, 'root_vials', vial.vialCode);
  await tech.keyboard.press('Escape');
  await tech.locator('#root_vialScan').fill(vial.vialCode);
  await fillDate(tech, 'root_thawedAt', stamp(60));
  await fillDate(tech, 'root_preparedAt', stamp(15));
  await tech.locator('#root_postThawCells').fill('10');
  await tech.locator('#root_productCells').fill('9.5');
  await fillDate(tech, 'root_expiresAt', stamp(-24 * 60));
  await save(tech);
  await tech.waitForURL((u) => u.pathname.startsWith('/record/preparation/'));
  const prep = await call(U.tech.token, 'GET', `/api/v1/data/preparation/${tech.url().split('/').pop()}`);
  expect((await call(U.tech.token, 'GET', `/api/v1/data/cryovial/${vial.id}`)).status).toBe('out');
  expect(await order()).toMatchObject({ progress: 'prepared', storedVials: 2, remainingCells: 20, issuedCells: 10 });

  // 8. Handover: the product label scanned, the logger's CSV charted against 2–8 °C, the nurse signs on the tablet.
  await tech.goto(`${e.url}/form/handover/new?preparation=${prep.id}`);
  await tech.locator('#root_productScan').fill(prep.productCode);
  await fillDate(tech, 'root_dispatchedAt', stamp(5));
  await tech.locator('#root_boxTemperature').fill('4.5');
  await tech.locator('#root_destination').fill('上海某肿瘤医院生物治疗科');
  await pick(tech, 'root_receiverKind', '外部接收人');
  await tech.locator('#root_receiverName').fill('张护士');
  await save(tech);
  await tech.waitForURL((u) => u.pathname.startsWith('/record/handover/'));
  await tech.getByRole('tab', { name: '运输温度' }).click();
  const at = (m: number) => new Date(Date.now() - (60 - m) * 60_000 - new Date().getTimezoneOffset() * 60_000).toISOString().replace('T', ' ').slice(0, 19); // the logger's local time
  const csv = `Date Time,Temperature(°C)\n${[4.2, 4.5, 4.9, 5.3, 5.0, 4.6].map((c, i) => `${at(i * 10)},${c}`).join('\n')}\n`;
  await tech.locator('.ant-upload input[type="file"]').setInputFiles({ name: 'logger.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await tech.locator('[role="img"][aria-label="温度"] canvas').waitFor();
  const pad = tech.locator('canvas[aria-label="signature-pad"]');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  await tech.mouse.move(box.x + 40, box.y + 120);
  await tech.mouse.down();
  for (const [x, y] of [[90, 60], [140, 130], [200, 50], [260, 120], [320, 70]]) await tech.mouse.move(box.x + x, box.y + y, { steps: 4 });
  await tech.mouse.up();
  await shot(tech, 'handover-temperature-signature', { tall: true });
  await tech.getByRole('button', { name: '确认签收' }).click();
  await tech.getByText('已接收').first().waitFor();
  await tech.getByRole('tab', { name: '运输温度' }).click();
  await tech.getByText(/签收人：张护士/).waitFor();
  const handover = await call(U.tech.token, 'GET', `/api/v1/data/handover/${tech.url().split('/').pop()}`);
  expect(handover).toMatchObject({ state: 'received', normal: 'normal', readingCount: 6, confirmedBy: '张护士' });

  // 9. The order: handed over, 20 × 10⁶ cells left; the trace shows every step, each a link to its record.
  expect(await order()).toMatchObject({ progress: 'handedOver', remainingCells: 20 });
  await dir.goto(`${e.url}/record/serviceOrder/${M.order.id}`);
  await dir.getByText('已交接').first().waitFor();
  const trace = dir.locator('.oc-trace');
  await trace.waitFor();
  for (const code of [sample.sampleCode, M.batch.batchCode, vial.vialCode, prep.productCode, handover.handoverNo]) await trace.getByRole('link', { name: code }).first().waitFor();
  expect(await trace.innerText()).toContain('何晓明');
  await shot(dir, 'order-trace', { tall: true });
  // Backward from the product: its trace marks it and leads to the order.
  await trace.getByRole('link', { name: prep.productCode }).first().click();
  await dir.waitForURL((u) => u.pathname === `/record/preparation/${prep.id}`);
  await dir.locator('.oc-trace .oc-here').first().waitFor();
  expect(realErrors(e.errors)).toEqual([]);
});
