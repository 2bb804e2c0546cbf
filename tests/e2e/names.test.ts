// Names, never ids (issue 16 items 3 and 4): a customer's record page lists the records that reference it as tabs
// (culture records, cell batches), its history names people and references and shows no "#<id>"; a reference
// picker tells two customers named 张伟 apart by a second line; choosing a culture record for a cell batch fills the
// batch's customer and cell type from it; an operator is a person chosen by name.
import type { Page } from 'playwright-core';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { orderFor } from '../support/labs';

jest.setTimeout(120_000);

let e: E2E;
const ids: Record<string, number> = {};

const post = async (entity: string, body: Record<string, unknown>) => {
  const r = await e.server.api('POST', `/api/v1/data/${entity}`, { token: e.token, body });
  if (r.status !== 201) throw new Error(`${entity}: ${JSON.stringify(r.body)}`);
  return r.body.data;
};

beforeAll(async () => {
  e = await startE2E();
  const tech = await e.server.api('POST', '/api/v1/admin/users', { token: e.token, body: { username: 'he.xm', displayName: '何晓明', password: 'Op#Passw0rd-1', mustChangePassword: false } });
  ids.tech = tech.body.data.id;
  const c1 = await post('customer', { name: '张伟', gender: 'M', birthDate: '1980-05-01' });
  const c2 = await post('customer', { name: '张伟', gender: 'M', birthDate: '1992-11-20' });
  ids.c1 = c1.id;
  ids.c2 = c2.id;
  const culture = await post('cultureRecord', { customer: c1.id, order: await orderFor(e.server, c1.id), cellKind: 'stem', cellType: 'UC-MSC', cultureDate: '2026-11-02', totalCells: 120, viability: 95, passage: 3, operator: ids.tech });
  ids.culture = culture.id;
  await post('cellBatch', { customer: c1.id, cultureRecord: culture.id, cellType: 'UC-MSC', vialCount: 4, freezeDate: '2026-11-05' });
  // A change to the culture record (another customer's order, another operator) and to the customer itself, for the history.
  const r = await e.server.api('PATCH', `/api/v1/data/cultureRecord/${culture.id}`, { token: e.token, body: { version: culture.version, order: await orderFor(e.server, c2.id), customer: c2.id, operator: null } });
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  const u = await e.server.api('PATCH', `/api/v1/data/customer/${c1.id}`, { token: e.token, body: { version: c1.version, address: '上海市徐汇区' } });
  if (u.status !== 200) throw new Error(JSON.stringify(u.body));
}, 120_000);
afterAll(async () => {
  await e?.close();
});

async function openTab(page: Page, name: RegExp) {
  await page.getByRole('tab', { name }).click();
}

test('a customer record page: related records as tabs, history with names and no ids', async () => {
  const page = await e.page();
  await page.goto(`${e.url}/record/customer/${ids.c1}`);
  await page.getByRole('tab', { name: /细胞培养记录/ }).waitFor();
  await page.getByRole('tab', { name: /冻存批次/ }).waitFor();
  // The culture record moved to the other 张伟: none left here; the batch still belongs to this customer.
  await openTab(page, /冻存批次/);
  const batches = page.locator('[data-testid="related-cellBatch.customer"]');
  await batches.locator('.ant-table-row').first().waitFor();
  expect(await batches.locator('.ant-table-row').count()).toBe(1);
  expect(await batches.innerText()).toContain('脐带间充质干细胞');
  await shot(page, 'record-related', { tall: true });

  await openTab(page, /修改历史/);
  const history = page.locator('.ct-history-entry');
  await history.first().waitFor();
  const text = await page.locator('.ct-record-tabs').innerText();
  expect(text).toContain('系统管理员');
  expect(text).toContain('上海市徐汇区');
  expect(text).not.toMatch(/#\d+/);
  // Who may restore sees the button.
  await page.getByRole('button', { name: '恢复到此版本' }).first().waitFor();
  await shot(page, 'record-history-names', { tall: true });

  // The culture record's own history names both customers and the operator, never their ids.
  await page.goto(`${e.url}/record/cultureRecord/${ids.culture}`);
  await openTab(page, /修改历史/);
  await page.locator('.ct-history-entry').first().waitFor();
  const ch = await page.locator('.ct-record-tabs').innerText();
  expect(ch).toContain('张伟');
  expect(ch).toContain('何晓明');
  expect(ch).not.toMatch(/#\d+/);
  const whole = await page.locator('.ct-page').innerText();
  expect(whole).not.toMatch(/#\d+/);
  await shot(page, 'record-culture-history', { tall: true });
  await page.context().close();
});

test('a reference picker shows a second line, searches it, and prefills from the chosen record', async () => {
  const page = await e.page();
  await page.goto(`${e.url}/form/cellBatch/new`);
  await page.locator('#root_customer').waitFor();
  await page.locator('.ant-select:has(#root_customer)').click();
  await page.locator('#root_customer').fill('张伟');
  // Each select's own dropdown (antd renders its listbox as `<id>_list`), never one still closing from another.
  const options = page.locator('.ant-select-dropdown:has(#root_customer_list) .ct-ref-option');
  await options.nth(1).waitFor();
  const subs = await page.locator('.ant-select-dropdown:has(#root_customer_list) .ct-ref-option-sub').allInnerTexts();
  expect(subs).toHaveLength(2);
  expect(subs.join('\n')).toContain('1980-05-01');
  expect(subs.join('\n')).toContain('1992-11-20');
  expect(subs.join('\n')).toContain('男');
  await shot(page, 'picker-second-line');
  // The second line is searched too: a birth date finds exactly that 张伟.
  await page.locator('#root_customer').fill('1992-11-20');
  await page.waitForFunction(() => document.querySelectorAll('.ant-select-dropdown:has(#root_customer_list) .ct-ref-option').length === 1);
  await page.keyboard.press('Escape');

  // Choosing the culture record fills customer and cell type (x-prefill).
  await page.locator('.ant-select:has(#root_cultureRecord)').click();
  await page.locator('.ant-select-dropdown:has(#root_cultureRecord_list) .ct-ref-option').first().click();
  await page.locator('.ant-select:has(#root_customer) .ant-select-selection-item', { hasText: '张伟' }).waitFor();
  await page.locator('.ant-select:has(#root_cellType) .ant-select-selection-item').waitFor();
  expect(await page.locator('.ant-select:has(#root_cellType) .ant-select-selection-item').innerText()).toBe('脐带间充质干细胞');
  // The operator is a person: empty means "me", said in the placeholder.
  expect(await page.locator('.ant-select:has(#root_operator)').innerText()).toContain('当前用户：系统管理员');
  await shot(page, 'form-prefilled', { tall: true });
  await page.context().close();
});

test('no console errors on the visited pages', () => {
  expect(realErrors(e.errors)).toEqual([]);
});
