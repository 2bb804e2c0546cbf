// End to end through Chromium: login in zh-CN, list filter/sort/export, validation errors on the right
// field in zh-CN and en, and a record's history diff.
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { realErrors, seedCultures, shot, startE2E, type E2E } from './support/fixture';

jest.setTimeout(120_000);

let e: E2E;
let seeded: Awaited<ReturnType<typeof seedCultures>>;

beforeAll(async () => {
  e = await startE2E();
  seeded = await seedCultures(e, 24);
});
afterAll(async () => {
  await e?.close();
});

/** Texts of the first column's visible cells (batch codes), in grid order. */
async function gridColumn(page: Page, colId: string): Promise<string[]> {
  return page.$$eval(`.ag-row`, (rows, col) =>
    rows
      .map((r) => ({ top: (r as HTMLElement).getBoundingClientRect().top, text: r.querySelector(`[col-id="${col}"]`)?.textContent ?? '' }))
      .sort((a, b) => a.top - b.top)
      .map((x) => x.text), colId);
}

test('login page is in Chinese by default and signs in', async () => {
  const page = await e.page({ noLogin: true });
  await page.goto(`${e.url}/login`);
  await page.getByText('用户名').first().waitFor();
  await page.getByText('密码').first().waitFor();
  expect(await page.locator('button[type="submit"]').innerText()).toMatch(/登\s*录/);
  await shot(page, 'login');
  // Wrong password: a Chinese error, still on /login.
  await page.locator('#username').fill('admin');
  await page.locator('#password').fill('wrong-password');
  await page.locator('button[type="submit"]').click();
  await page.locator('[role="alert"]').first().waitFor();
  expect(page.url()).toContain('/login');
  await page.locator('#password').fill('Admin#12345');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  await page.getByText('生产管理').first().waitFor();
  await page.context().close();
});

test('culture list: quick filter, column sort, export of the current filter', async () => {
  const page = await e.page();
  await page.goto(`${e.url}/list/cultureRecord`);
  await page.locator('.ag-row').first().waitFor();
  await page.getByText(`共 ${seeded.cultures.length} 条`).waitFor();
  await shot(page, 'list');

  // Quick search on operator: only rows of "Operator Alpha".
  const alpha = seeded.cultures.filter((c) => c.operator === 'Operator Alpha');
  await page.getByRole('searchbox', { name: '快速搜索' }).fill('Alpha');
  await page.getByText(`共 ${alpha.length} 条`).waitFor();
  const ops = await gridColumn(page, 'operator');
  expect(ops).toHaveLength(alpha.length);
  expect(new Set(ops)).toEqual(new Set(['Operator Alpha']));

  // Sort by total cells: click the header twice → descending.
  const header = page.locator('.ag-header-cell[col-id="totalCells"] .ag-header-cell-label');
  await header.click();
  await page.waitForFunction(() => document.querySelector('.ag-header-cell[col-id="totalCells"]')?.getAttribute('aria-sort') === 'ascending');
  await page.waitForTimeout(300);
  const asc = (await gridColumn(page, 'totalCells')).map((s) => Number(s.replace(/[^\d.]/g, '')));
  expect(asc).toEqual([...asc].sort((a, b) => a - b));
  await header.click();
  await page.waitForFunction(() => document.querySelector('.ag-header-cell[col-id="totalCells"]')?.getAttribute('aria-sort') === 'descending');
  await page.waitForTimeout(300);
  const desc = (await gridColumn(page, 'totalCells')).map((s) => Number(s.replace(/[^\d.]/g, '')));
  expect(desc).toEqual([...asc].reverse());

  // Export: a download of the filtered rows.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /导\s*出/ }).click()]);
  expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
  const file = await download.path();
  const ExcelJS = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(fs.readFileSync(file) as any);
  const ws = wb.worksheets[0];
  expect(ws.rowCount - 1).toBe(alpha.length);
  await page.context().close();
});

async function openNewCulture(page: Page) {
  await page.goto(`${e.url}/form/cultureRecord/new`);
  await page.locator('#root_cellKind').waitFor();
}

async function pickSelect(page: Page, id: string, optionText: string) {
  await page.locator(`.ant-select:has(#${id})`).click();
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: optionText }).first().click();
}

/** A user field: type part of a name, choose the person. */
async function pickPerson(page: Page, id: string, name: string) {
  await page.locator(`.ant-select:has(#${id})`).click();
  await page.locator(`#${id}`).fill(name);
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: name }).first().click();
}

/** The error text shown under one field (antd Form.Item explain). */
function fieldError(page: Page, field: string) {
  return page.locator(`.ant-form-item:has(#root_${field}):not(:has(.ant-form-item)) .ant-form-item-explain-error`);
}

test('validation error on the right field, in zh-CN and in en', async () => {
  const page = await e.page();
  await openNewCulture(page);
  await pickSelect(page, 'root_cellKind', '干细胞');
  await page.locator('#root_viability').fill('150');
  await page.locator('#root_viability').press('Tab');
  await page.getByRole('button', { name: /保\s*存/ }).click();
  await fieldError(page, 'viability').first().waitFor();
  expect(await fieldError(page, 'viability').first().innerText()).toContain('不能大于 100');
  // Required passage of the stem variant is flagged on its own field.
  await fieldError(page, 'passage').first().waitFor();
  expect(await fieldError(page, 'totalCells').first().innerText()).toContain('必填');
  await page.context().close();

  const en = await e.page({ locale: 'en' });
  await openNewCulture(en);
  await pickSelect(en, 'root_cellKind', 'Immune cells');
  await en.locator('#root_viability').fill('150');
  await en.locator('#root_viability').press('Tab');
  await en.getByRole('button', { name: 'Save' }).click();
  await fieldError(en, 'viability').first().waitFor();
  expect(await fieldError(en, 'viability').first().innerText()).toMatch(/100/);
  expect(await fieldError(en, 'viability').first().innerText()).not.toMatch(/[\u4e00-\u9fff]/);
  await fieldError(en, 'cd3Ratio').first().waitFor();
  await en.context().close();
});

test('stem and immune variants of the form, and the record history diff', async () => {
  const page = await e.page();
  await openNewCulture(page);
  await pickSelect(page, 'root_cellKind', '干细胞');
  await page.locator('#root_passage').waitFor();
  expect(await page.locator('#root_cd3Ratio').count()).toBe(0);
  await pickPerson(page, 'root_operator', 'Alpha');
  await page.locator('#root_totalCells').fill('120');
  await page.locator('#root_viability').fill('95.5');
  await page.locator('#root_passage').fill('3');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.waitForTimeout(300);
  await shot(page, 'form-stem', { tall: true });
  await pickSelect(page, 'root_cellKind', '免疫细胞');
  await page.locator('#root_cd3Ratio').waitFor();
  expect(await page.locator('#root_passage').count()).toBe(0);
  await page.locator('#root_cd3Ratio').fill('72');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.waitForTimeout(300);
  await shot(page, 'form-immune', { tall: true });

  // Edit an existing record, then its history shows old → new.
  const rec = seeded.cultures.find((c) => c.cellKind === 'stem')!;
  await page.goto(`${e.url}/form/cultureRecord/${rec.id}/edit`);
  await page.locator('#root_operator').waitFor();
  await pickPerson(page, 'root_operator', 'Beta');
  await page.getByRole('button', { name: /保\s*存/ }).click();
  await page.waitForURL((u) => u.pathname === `/record/cultureRecord/${rec.id}`);
  await page.getByRole('tab', { name: '修改历史' }).click();
  const history = page.locator('.ct-history');
  await history.getByText('Operator Beta').waitFor();
  const text = await history.innerText();
  expect(text).toContain('操作人');
  expect(text).toContain(rec.operator);
  await shot(page, 'record-history', { tall: true });
  await page.context().close();
});

test('no console errors on the visited pages', () => {
  expect(realErrors(e.errors)).toEqual([]);
});
