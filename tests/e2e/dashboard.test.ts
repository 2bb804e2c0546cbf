// Dashboards in Chromium (issue 15): the lab director's home page shows live tiles over the demo data; a tile opens
// the list it counts, filtered, and the list says so; an administrator adds a tile in the designer and it appears.
import { realErrors, shot, startE2E, type E2E } from './support/fixture';

jest.setTimeout(180_000);

const DEMO_PASSWORD = 'Demo#Passw0rd1';
const PASSWORD = 'Dash#Passw0rd1';
let e: E2E;

beforeAll(async () => {
  e = await startE2E({ demo: true, env: { DEMO_PASSWORD } });
  const first = await e.server.login('sh.director', DEMO_PASSWORD);
  const r = await e.server.api('POST', '/api/v1/auth/change-password', { token: first, body: { oldPassword: DEMO_PASSWORD, newPassword: PASSWORD } });
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
}, 150_000);
afterAll(async () => {
  await e?.close();
});

test('the lab director\'s home page shows live tiles; a tile opens its filtered list', async () => {
  const token = await e.server.login('sh.director', PASSWORD);
  const api = (await e.server.api('GET', '/api/v1/dashboards/labDirector/data', { token })).body.data;
  const open = api.tiles.find((x: any) => x.key === 'openTasks');
  const orders = api.tiles.find((x: any) => x.key === 'ordersByProgress');
  expect(open.value).toBeGreaterThan(0);
  expect(orders.rows.length).toBeGreaterThan(0);

  const page = await e.page({ user: 'sh.director', password: PASSWORD });
  await page.goto(`${e.url}/`);
  await page.locator('.ct-dashboard[data-dashboard="labDirector"]').waitFor();
  await page.getByRole('heading', { name: '实验室主任看板' }).waitFor();
  // Live figures: the open-task count the API gives, the orders chart drawn.
  const tile = page.locator('.ct-tile[data-tile="openTasks"][data-status="ok"]');
  await tile.locator('.ct-tile-number', { hasText: String(open.value) }).waitFor();
  await page.locator('.ct-tile[data-tile="ordersByProgress"][data-status="ok"] .ct-tile-chart[data-rendered="1"] canvas').waitFor();
  await page.locator('.ct-tile[data-tile="cultureTrend"] .ct-tile-chart[data-rendered="1"]').waitFor();
  await page.locator('.ct-tile[data-tile="tankUtilisation"][data-status="ok"] .ct-tile-number', { hasText: '%' }).waitFor();
  await shot(page, 'dashboard-director');

  await tile.locator('.ct-tile-number').click();
  await page.waitForURL((u) => u.pathname === '/list/labTask' && u.searchParams.has('filter'));
  await page.locator('.ct-drill-filter', { hasText: '已筛选：待办任务' }).waitFor();
  await page.getByText(`共 ${open.value} 条`).waitFor();
  // Clearing the filter shows the whole list again.
  await page.locator('.ct-drill-filter .ant-tag-close-icon').click();
  await page.waitForURL((u) => u.pathname === '/list/labTask' && !u.searchParams.has('filter'));
  // A report from the menu: the grouped table with its totals row, named, never keyed.
  await page.goto(`${e.url}/report/ordersByCentre`);
  await page.locator('.ct-report .ct-report-total', { hasText: '合计' }).waitFor();
  await page.getByRole('columnheader', { name: '实验室', exact: true }).waitFor();
  expect(realErrors(e.errors)).toEqual([]);
});

test('the designer adds a tile to a dashboard and it appears with its figure', async () => {
  const page = await e.page();
  await page.goto(`${e.url}/admin/dashboard/labDirector`);
  await page.getByRole('button', { name: '添加磁贴' }).click();
  const editor = page.locator('.ct-tile-editor');
  await editor.locator('#ct-tile-title').fill('客户总数');
  await editor.getByRole('combobox', { name: '实体' }).click();
  await editor.getByRole('combobox', { name: '实体' }).fill('客户');
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option[title="客户"]').click();
  await page.getByRole('button', { name: /保存为新版本/ }).click();
  await page.locator('#ct-reason').fill('看板增加客户数');
  await page.locator('.ant-modal-confirm .ant-btn-primary').click();
  await page.locator('.ant-message', { hasText: '已保存' }).waitFor();

  const count = (await e.server.api('GET', '/api/v1/data/customer?count=true&limit=1', { token: e.token })).body.page.total;
  await page.goto(`${e.url}/dashboard/labDirector`);
  const added = page.locator('.ct-tile[data-status="ok"]', { hasText: '客户总数' });
  await added.locator('.ct-tile-number', { hasText: String(count) }).waitFor();
  expect(realErrors(e.errors)).toEqual([]);
});
