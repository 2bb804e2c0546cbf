// The initial data import wizard in Chromium (issue 17 done-when): an administrator downloads the customer template,
// fills it in with one bad row, uploads it and sees the dry run as a grid with the problem on its row and the commit
// refused; the corrected file checks clean and imports every row into the chosen lab, with the progress shown.
import fs from 'node:fs';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';

jest.setTimeout(150_000);

let e: E2E;
let lab: number;

async function ok(r: { status: number; body: any }) {
  if (r.status >= 300) throw new Error(`${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

beforeAll(async () => {
  e = await startE2E();
  e.server.server.services.jobs.start();
  const org = async (kind: string, code: string, name: string, parentId: number | null) =>
    (await ok(await e.server.api('POST', '/api/v1/admin/orgs', { token: e.token, body: { kind, code, name, parentId } }))).data.id as number;
  lab = await org('lab', 'IMP-LAB', '导入实验室', await org('centre', 'IMP-C', '导入中心', await org('company', 'IMP', '导入公司', null)));
}, 150_000);

afterAll(async () => {
  await e?.close();
});

async function pick(page: Page, control: string, option: string) {
  await page.locator(control).click();
  await page.keyboard.type(option);
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)').locator('.ant-select-item-option, .ant-select-tree-node-content-wrapper', { hasText: option }).first().click();
}

async function filled(template: string, rows: Record<string, string>[], out: string) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(template);
  const ws = wb.worksheets[0];
  const headers = (ws.getRow(1).values as unknown[]).map((v) => String(v ?? ''));
  rows.forEach((r, i) => {
    for (const [h, v] of Object.entries(r)) ws.getCell(i + 2, headers.indexOf(h)).value = v;
  });
  await wb.xlsx.writeFile(out);
  return out;
}

test('template → upload → dry-run grid with the bad row marked → corrected file → import', async () => {
  const page = await e.page();
  await page.goto(`${e.url}/system/import`);
  await pick(page, '.ct-import-entity', '客户');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载导入模板' }).click()]);
  expect(dl.suggestedFilename()).toBe('customer-import-template.xlsx');
  const template = `${await dl.path()}`;
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(template);
  expect((wb.worksheets[0].getRow(1).values as unknown[]).map(String)).toEqual(expect.arrayContaining(['姓名 *', '性别', '出生日期']));

  await page.getByRole('combobox', { name: '导入到' }).click();
  await page.locator('.ant-select-tree-node-content-wrapper', { hasText: '导入实验室' }).first().click();
  const dir = fs.mkdtempSync(`${require('node:os').tmpdir()}/ct-imp-e2e-`);
  const bad = await filled(template, [{ '姓名 *': '赵一', 性别: '男' }, { '姓名 *': '钱二', 性别: '不详' }, { '姓名 *': '孙三', 出生日期: '2001-02-03' }], `${dir}/bad.xlsx`);
  await page.locator('.ct-import-upload input[type=file]').setInputFiles(bad);
  await page.locator('.ct-import-summary').filter({ hasText: '共 3 行，其中 1 行有 1 个问题' }).waitFor();
  const badRow = page.locator('.ct-import-grid tr.ct-import-row-error');
  await expect(badRow.count()).resolves.toBe(1);
  await expect(badRow.locator('td').first().textContent()).resolves.toBe('3');
  await expect(badRow.locator('.ct-import-problems').textContent()).resolves.toMatch(/^性别：“不详”不在可选值中/);
  await expect(badRow.locator('.ct-import-cell-error').textContent()).resolves.toBe('不详');
  await expect(page.locator('button', { hasText: '确认导入 3 行' }).isDisabled()).resolves.toBe(true);
  await page.getByRole('switch', { name: '只看有问题的行' }).click();
  await expect(page.locator('.ct-import-grid tbody tr.ant-table-row').count()).resolves.toBe(1);
  await shot(page, 'import-dry-run');
  expect(await e.server.server.services.knex('customer').whereIn('name', ['赵一', '钱二', '孙三']).count({ n: '*' }).then((r) => Number(r[0].n))).toBe(0);

  const good = await filled(template, [{ '姓名 *': '赵一', 性别: '男' }, { '姓名 *': '钱二', 性别: '女' }, { '姓名 *': '孙三', 出生日期: '2001-02-03' }], `${dir}/good.xlsx`);
  await page.locator('.ct-import-upload input[type=file]').setInputFiles(good);
  await page.locator('.ct-import-summary').filter({ hasText: '共 3 行，检查通过' }).waitFor();
  await page.locator('button', { hasText: '确认导入 3 行' }).click();
  await page.locator('.ct-import-done').filter({ hasText: '已导入 3 条记录' }).waitFor();
  const rows = await e.server.server.services.knex('customer').whereIn('name', ['赵一', '钱二', '孙三']).select('name', 'lab_id', 'birth_date');
  expect(rows.map((r) => r.lab_id)).toEqual([lab, lab, lab]);
  expect(realErrors(e.errors)).toEqual([]);
});

test('in English the wizard speaks English', async () => {
  const page = await e.page({ locale: 'en' });
  await page.goto(`${e.url}/system/import`);
  await page.getByText('Choose what to import first').waitFor();
  await pick(page, '.ct-import-entity', 'Customer');
  await page.getByRole('button', { name: 'Download template' }).waitFor();
  expect(realErrors(e.errors)).toEqual([]);
});

test('cell inventory: the example workbook with a repeated position is refused on its row; fixed, it imports; an interrupted import is offered again', async () => {
  const page = await e.page();
  await page.goto(`${e.url}/system/import`);
  await pick(page, '.ct-import-entity', '细胞库存');
  await page.getByRole('combobox', { name: '导入到' }).click();
  await page.locator('.ant-select-tree-node-content-wrapper', { hasText: '导入实验室' }).first().click();
  const dir = fs.mkdtempSync(`${require('node:os').tmpdir()}/ct-inv-e2e-`);
  const example = require('node:path').resolve(__dirname, '../../docs/examples/cell-inventory-example.xlsx');
  // The third vial of the first batch written on the second vial's position.
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(example);
  const ws = wb.worksheets[0];
  const posCol = (ws.getRow(1).values as unknown[]).map(String).indexOf('位置 *');
  ws.getCell(4, posCol).value = 'A2';
  await wb.xlsx.writeFile(`${dir}/bad.xlsx`);
  await page.locator('.ct-import-upload input[type=file]').setInputFiles(`${dir}/bad.xlsx`);
  await page.locator('.ct-import-summary').filter({ hasText: '共 5 行，其中 1 行有 1 个问题' }).waitFor();
  const badRow = page.locator('.ct-import-grid tr.ct-import-row-error');
  await expect(badRow.locator('td').first().textContent()).resolves.toBe('4');
  await expect(badRow.locator('.ct-import-problems').textContent()).resolves.toBe('位置：与第 3 行是同一位置（LN2-EX-01/C1/B1 A2）');
  await shot(page, 'import-inventory-dry-run');

  await page.locator('.ct-import-upload input[type=file]').setInputFiles(example);
  await page.locator('.ct-import-summary').filter({ hasText: '共 5 行，检查通过' }).waitFor();
  await page.locator('button', { hasText: '确认导入 5 行' }).click();
  await page.locator('.ct-import-done').filter({ hasText: '已导入 5 条记录' }).waitFor();
  const knex = e.server.server.services.knex;
  const vials = await knex('cryovial').where({ lab_id: lab }).select('position_label');
  expect(vials.map((v) => v.position_label).sort()).toEqual(['LN2-EX-01/C1/B1 A1', 'LN2-EX-01/C1/B1 A2', 'LN2-EX-01/C1/B1 A3', 'LN2-EX-01/C1/B2 J10', 'LN2-EX-01/C2/B1 I9']);

  // An import a crash left behind (as the start-up recovery marks it) is listed on the page and checked again.
  const [last] = await knex('ct_import').orderBy('id', 'desc').limit(1).select('id');
  const [copy] = await knex('ct_import').insert({ entity: 'cellInventory', file_name: 'interrupted.xlsx', file: fs.readFileSync(`${dir}/bad.xlsx`), lab_id: lab, org_id: lab, status: 'failed', failure: '导入被中断（服务器在处理时停止），没有写入任何数据；请重新检查', lang: 'zh-CN', created_by: (await knex('ct_import').where({ id: last.id }).first('created_by')).created_by }).returning('id');
  await page.reload();
  await page.locator('.ct-import-interrupted').filter({ hasText: '有 1 个导入被中断' }).waitFor();
  await page.locator('.ct-import-interrupted').getByRole('button', { name: '重新检查' }).click();
  // Checked again from the kept file: now every position is taken by the import above.
  await page.locator('.ct-import-summary').filter({ hasText: '共 5 行' }).waitFor();
  expect((await knex('ct_import').where({ id: copy.id }).first('status')).status).toBe('checked');
  expect(realErrors(e.errors)).toEqual([]);
});
