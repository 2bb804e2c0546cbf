// The main screens on a bench tablet (1024×768 landscape): login, list, form, record, inbox, position map and
// the stock-in form's map. Each must fit the width (no sideways scrolling of the page), keep its main controls
// reachable, and log no console errors. Screenshots go to docs/screenshots/tablet-*.png for the manual.
import type { Page } from 'playwright-core';
import { realErrors, seedCultures, shot, startE2E, type E2E } from './support/fixture';
import { cellbankFixture, LAB_PASSWORD, type CellbankFixture } from './support/cellbank';

jest.setTimeout(90_000);

const TABLET = { width: 1024, height: 768 };
let e: E2E;
let f: CellbankFixture;
let cultureId: number;

beforeAll(async () => {
  e = await startE2E({ plugins: ['qc-gating', 'storage-slots'] });
  const seeded = await seedCultures(e, 6);
  cultureId = seeded.cultures[0].id;
  // A culture with a history entry, for the record screen.
  const cur = (await e.server.api('GET', `/api/v1/data/cultureRecord/${cultureId}`, { token: e.token })).body.data;
  await e.server.api('PATCH', `/api/v1/data/cultureRecord/${cultureId}`, { token: e.token, body: { version: cur.version, viability: 95 } });
  f = await cellbankFixture(e, { releaseQc: true });
  await f.call(f.tech.token, 'POST', '/api/v1/data/stockIn', { batch: f.batch.id, vialCount: 4, device: f.device.id, strategy: 'keep-together' });
  const vials = (await f.call(f.tech.token, 'GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: f.batch.id }))}&sort=id`)).data;
  await f.call(f.tech.token, 'POST', '/api/v1/data/stockOut', { batch: f.batch.id, vials: [vials[0].id], purpose: 'thawCulture' });
});
afterAll(async () => {
  await e?.close();
});

/** The page itself never scrolls sideways (wide tables and maps scroll inside their own box). */
async function fitsWidth(page: Page) {
  await page.waitForTimeout(150);
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll).toBeLessThanOrEqual(client);
}

/** An element is fully inside the viewport's width. */
async function inView(page: Page, selector: string) {
  const box = await page.locator(selector).first().boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(TABLET.width);
}

test('login, list, form and record fit a 1024×768 tablet', async () => {
  const login = await e.page({ viewport: TABLET, noLogin: true });
  await login.goto(`${e.url}/login`);
  await login.locator('#username').waitFor();
  await fitsWidth(login);
  await inView(login, 'button[type="submit"]');
  await shot(login, 'tablet-login');
  await login.context().close();

  const page = await e.page({ viewport: TABLET });
  await page.goto(`${e.url}/list/cultureRecord`);
  await page.locator('.ag-row').first().waitFor();
  await fitsWidth(page);
  await inView(page, 'button:has-text("新建"), button:has-text("新 建")');
  await inView(page, 'button:has-text("导出"), button:has-text("导 出")');
  await shot(page, 'tablet-list');

  await page.goto(`${e.url}/form/cultureRecord/new`);
  await page.locator('#root_cellKind').waitFor();
  await fitsWidth(page);
  await inView(page, 'button:has-text("保存"), button:has-text("保 存")');
  await shot(page, 'tablet-form');

  await page.goto(`${e.url}/record/cultureRecord/${cultureId}`);
  await page.getByRole('tab', { name: '修改历史' }).click();
  await page.locator('.ct-history .ant-timeline-item').nth(1).waitFor();
  await fitsWidth(page);
  await inView(page, 'button:has-text("编辑"), button:has-text("编 辑")');
  await shot(page, 'tablet-record');
  await page.context().close();
});

test('inbox and the approval dialog on a tablet', async () => {
  const page = await e.page({ viewport: TABLET, user: f.director.username, password: LAB_PASSWORD });
  await page.goto(`${e.url}/inbox`);
  const row = page.locator('.ant-table-row').first();
  await row.waitFor();
  await fitsWidth(page);
  await inView(page, '.ant-table-row button:has-text("批准出库")');
  await shot(page, 'tablet-inbox');
  await row.getByRole('button', { name: '批准出库' }).click();
  await page.locator('#ct-flow-password').waitFor();
  await page.waitForTimeout(400); // the modal's opening animation
  await inView(page, '.ant-modal .ant-btn-primary');
  await shot(page, 'tablet-approval');
  await page.locator('.ant-modal .ant-btn:not(.ant-btn-primary)').first().click();
  await page.context().close();
});

test('position map and the stock-in form map on a tablet: touch-sized positions, all in view', async () => {
  const page = await e.page({ viewport: TABLET, user: f.tech.username, password: LAB_PASSWORD });
  await page.goto(`${e.url}/plugin/${encodeURIComponent('storage-slots/PositionMap')}`);
  const map = page.locator('[data-testid="position-map"]');
  await map.locator('[data-testid="device-select"]').click();
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: f.device.code }).click();
  await map.locator(`[data-testid="node-${f.canister.code}"]`).click();
  await map.locator(`[data-testid="node-${f.box.code}"]`).click();
  await map.locator('[data-testid="pos-I9"]').waitFor();
  await fitsWidth(page);
  // A whole 9×9 box is in view, and every position is a ≥ 36 px touch target.
  await inView(page, '[data-testid="pos-A9"]');
  const last = await map.locator('[data-testid="pos-I9"]').boundingBox();
  expect(last!.y + last!.height).toBeLessThanOrEqual(TABLET.height); // and the last row without scrolling
  const sizes = await map.locator('[data-testid^="pos-"]').evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).map((r) => Math.min(r.width, r.height)));
  expect(sizes).toHaveLength(81);
  expect(Math.min(...sizes)).toBeGreaterThanOrEqual(36);
  await inView(page, '[data-testid="stock-in"]');
  await shot(page, 'tablet-position-map');

  await page.goto(`${e.url}/form/stockIn/new`);
  await page.locator('[data-testid="position-map"] [data-testid="device-select"]').waitFor();
  await fitsWidth(page);
  await shot(page, 'tablet-stockin');
  await page.context().close();
});

test('no console errors', () => {
  expect(realErrors(e.errors)).toEqual([]);
});
