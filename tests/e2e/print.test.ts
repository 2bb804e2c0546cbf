// Printing in Chromium (issue 15 items 5–6): on a batch page the technician prints the batch record as a PDF (a
// real download that starts with %PDF), and on a vial page prints its cryovial label as PDF and then as ZPL — a
// reprint, so the page asks for a reason first.
import fs from 'node:fs';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { LAB_PASSWORD } from './support/cellbank';
import { approvedQc } from '../support/qc';

jest.setTimeout(180_000);

let e: E2E;
const M: Record<string, any> = {};
const call = async (token: string, method: string, path: string, body?: unknown) => {
  const r = await e.server.api(method, path, { token, body });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
};
const now = (minutes = 0) => new Date(Date.now() + minutes * 60_000).toISOString();

beforeAll(async () => {
  e = await startE2E({ plugins: ['qc-gating', 'storage-slots', 'order-chain', 'print'] });
  const admin = e.token;
  const org = async (kind: string, code: string, name: string, parentId: number | null) => (await call(admin, 'POST', '/api/v1/admin/orgs', { kind, code, name, parentId })).id as number;
  const centre = await org('centre', 'PR-SH', '上海中心', await org('company', 'PR-CO', '示例细胞公司', null));
  const lab = await org('lab', 'PR-LAB', '上海细胞制备实验室', centre);
  const T: Record<string, string> = {};
  for (const [username, displayName, roles] of [['director', '周建国', ['labDirector']], ['tech', '何晓明', ['technician']], ['qc', '赵敏', ['qcInspector']]] as const) {
    await call(admin, 'POST', '/api/v1/admin/users', { username, displayName, password: LAB_PASSWORD, mustChangePassword: false, orgId: lab, roles: [...roles] });
    T[username] = await e.server.login(username, LAB_PASSWORD);
  }
  const customer = await call(T.tech, 'POST', '/api/v1/data/customer', { name: '郭颖', gender: 'F' });
  const boxType = await call(T.director, 'POST', '/api/v1/data/containerType', { code: 'BX33', name: '3×3 冻存盒', level: 'box', rows: 3, cols: 3, holdsVials: true });
  const tank = await call(T.tech, 'POST', '/api/v1/data/storageDevice', { code: 'LN2-01', name: '液氮罐 1 号', deviceType: 'ln2Tank', site: 'SH', setTemperature: -196 });
  const box = await call(T.tech, 'POST', '/api/v1/data/container', { code: 'LN2-01-B1', name: 'B1', containerType: boxType.id, device: tank.id });
  const order = await call(T.director, 'POST', '/api/v1/data/serviceOrder', { customer: customer.id, serviceItem: 'umbilicalMsc', orderCategory: 'storage', storageYears: 20 });
  const culture = await call(T.tech, 'POST', '/api/v1/data/cultureRecord', { order: order.id, cellKind: 'stem', cultureDate: now().slice(0, 10), totalCells: 10, viability: 95, passage: 1 });
  M.batch = await call(T.tech, 'POST', '/api/v1/data/cellBatch', { cellType: 'UC-MSC', cultureRecord: culture.id, vialCount: 2, cellsPerVial: 5, freezeDate: now().slice(0, 10) });
  await approvedQc(e.server, T.qc, { token: T.director, password: LAB_PASSWORD }, { qcType: 'stockInQc', batch: M.batch.id, testedAt: now(-1), viability: 95, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1 });
  await call(T.tech, 'POST', '/api/v1/data/stockIn', { batch: M.batch.id, vialCount: 2, device: tank.id, container: box.id, identityScan: M.batch.batchCode });
  M.vial = (await e.server.api('GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: M.batch.id }))}&sort=id`, { token: T.tech })).body.data[0];
});
afterAll(async () => {
  await e?.close();
});

test('a batch page prints its batch record as PDF; a vial page prints its label as PDF, then as ZPL with a reprint reason', async () => {
  const page = await e.page({ user: 'tech', password: LAB_PASSWORD });
  await page.goto(`${e.url}/record/cellBatch/${M.batch.id}`);
  await page.getByRole('button', { name: '打印', exact: true }).click();
  await page.getByRole('menuitem', { name: '批次记录' }).click();
  const modal = page.locator('.ant-modal-content');
  // The preview is the rendered record, by name.
  await modal.frameLocator('iframe').getByText(M.batch.batchCode).first().waitFor();
  await shot(page, 'print-batch-record');
  const [pdf] = await Promise.all([page.waitForEvent('download'), modal.getByRole('button', { name: /下载 PDF/ }).click()]);
  expect(pdf.suggestedFilename()).toMatch(/^批次记录 .*\.pdf$/);
  expect(fs.readFileSync((await pdf.path())!).subarray(0, 5).toString()).toBe('%PDF-');
  await modal.getByRole('button', { name: /关\s*闭/ }).click();

  await page.goto(`${e.url}/record/cryovial/${M.vial.id}`);
  await page.getByRole('button', { name: /打印标签/ }).click();
  const labels = page.locator('.ant-modal-content');
  await labels.getByText('25 × 13 mm').waitFor();
  const [label] = await Promise.all([page.waitForEvent('download'), labels.getByRole('button', { name: /打印标签/ }).click()]);
  expect(label.suggestedFilename()).toContain(M.vial.vialCode);
  expect(fs.readFileSync((await label.path())!).subarray(0, 5).toString()).toBe('%PDF-');
  await labels.getByText('ZPL（斑马打印机）').click();
  await labels.getByRole('button', { name: /打印标签/ }).click();
  await labels.getByText(/重打须填写原因/).waitFor();
  await labels.getByRole('textbox', { name: '重打原因' }).fill('标签被液氮浸湿');
  await shot(page, 'print-label-reprint');
  const [zpl] = await Promise.all([page.waitForEvent('download'), labels.getByRole('button', { name: /打印标签/ }).click()]);
  const text = fs.readFileSync((await zpl.path())!, 'utf8');
  expect(text).toContain('^XA');
  expect(text).toContain(`^FD${M.vial.vialCode}|${M.vial.chainId}^FS`);
  expect(text).toMatch(/\^BXN/);
  expect(realErrors(e.errors)).toEqual([]);
});

test('the template editor previews an edit live on a chosen record', async () => {
  const page = await e.page();
  await page.goto(`${e.url}/plugin/${encodeURIComponent('print/TemplateEditor')}`);
  await page.getByText('批次记录', { exact: true }).click();
  const source = page.getByRole('textbox', { name: '模板源码（Handlebars）' });
  await source.waitFor();
  await page.frameLocator('iframe[title="实时预览"]').getByText('细胞批次记录').waitFor();
  await source.fill('<h1>{{record.batchCode}} 审核版</h1>');
  await page.frameLocator('iframe[title="实时预览"]').getByText(`${M.batch.batchCode} 审核版`).waitFor();
  await source.fill('<h1>{{#if record.batchCode}}</h1>');
  await page.getByRole('alert').filter({ hasText: /handlebars/ }).waitFor();
  await shot(page, 'print-template-editor');
  expect(realErrors(e.errors)).toEqual([]);
});
