// in Chromium: a technician stocks in 3 vials by clicking positions on the map (the storage-slots
// plugin's widget in the stock-in form), and the position-map page's "recommend" fills a choice.
import type { Page } from 'playwright-core';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { cellbankFixture, LAB_PASSWORD, type CellbankFixture } from './support/cellbank';

jest.setTimeout(90_000);

let e: E2E;
let f: CellbankFixture;

beforeAll(async () => {
  e = await startE2E({ plugins: ['qc-gating', 'storage-slots'] });
  f = await cellbankFixture(e);
});
afterAll(async () => {
  await e?.close();
});

/** Device select → canister → box, as a technician would tap through it. */
async function drillToBox(page: Page) {
  const map = page.locator('[data-testid="position-map"]');
  await map.locator('[data-testid="device-select"]').click();
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: f.device.code }).click();
  await map.locator(`[data-testid="node-${f.canister.code}"]`).click();
  await map.locator(`[data-testid="node-${f.box.code}"]`).click();
  await map.locator('[data-testid="pos-A1"]').waitFor();
  return map;
}

const boxMap = async () => (await f.call(f.tech.token, 'GET', `/api/v1/storage/containers/${f.box.id}/map`)).data.positions as { label: string; state: string; mine?: boolean; vial?: { id: number; code: string } }[];

test('a technician stocks in 3 vials by clicking positions on the map', async () => {
  const page = await e.page({ user: f.tech.username, password: LAB_PASSWORD });
  await page.goto(`${e.url}/form/stockIn/new`);
  await page.locator('#root_batch').waitFor();
  await page.locator('.ant-select:has(#root_batch)').click();
  await page.locator('#root_batch').fill(f.batch.batchCode.slice(-6));
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: f.batch.batchCode }).click();
  await page.locator('#root_vialCount').fill('3');

  const map = await drillToBox(page);
  const picks = ['A1', 'A2', 'B5'];
  for (const p of picks) {
    const cell = map.locator(`[data-testid="pos-${p}"]`);
    await cell.click();
    // Highlighted as chosen, announced as pressed.
    expect(await cell.getAttribute('data-state')).toBe('selected');
    expect(await cell.getAttribute('aria-pressed')).toBe('true');
  }
  // A second tap undoes a choice; a third brings it back.
  await map.locator('[data-testid="pos-A2"]').click();
  expect(await map.locator('[data-testid="pos-A2"]').getAttribute('data-state')).toBe('empty');
  await map.locator('[data-testid="pos-A2"]').click();
  const chosen = page.locator('[data-testid="chosen-positions"]');
  expect(await chosen.innerText()).toContain('(3)');
  for (const p of picks) expect(await chosen.innerText()).toContain(`B1 ${p}`);
  await shot(page, 'stockin-map', { tall: true });

  await page.getByRole('button', { name: /保\s*存/ }).click();
  await page.waitForURL((u) => /^\/record\/stockIn\/\d+$/.test(u.pathname));
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  const rec = (await f.call(f.tech.token, 'GET', `/api/v1/data/stockIn/${id}`)).data;
  expect(rec.positionSummary).toBe('E2E-LN2/C1/B1 A1,A2,B5');

  // The three chosen positions hold the three new vials, and nothing else moved.
  const vials = (await f.call(f.tech.token, 'GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ stockIn: id }))}&sort=id`)).data;
  expect(vials).toHaveLength(3);
  const positions = await boxMap();
  const occupied = positions.filter((p) => p.state === 'occupied');
  expect(occupied.map((p) => p.label).sort()).toEqual(picks);
  expect(new Set(occupied.map((p) => p.vial!.id))).toEqual(new Set(vials.map((v: { id: number }) => v.id)));

  // After a reload the map shows them occupied.
  await page.goto(`${e.url}/plugin/${encodeURIComponent('storage-slots/PositionMap')}`);
  const again = await drillToBox(page);
  for (const p of picks) expect(await again.locator(`[data-testid="pos-${p}"]`).getAttribute('data-state')).toBe('occupied');
  expect(await again.locator('[data-state="occupied"]').count()).toBe(3);
  await page.context().close();
});

test('"recommend" fills a choice on the position-map page, which then stocks in', async () => {
  const page = await e.page({ user: f.tech.username, password: LAB_PASSWORD });
  await page.goto(`${e.url}/plugin/${encodeURIComponent('storage-slots/PositionMap')}`);
  const map = await drillToBox(page);
  await map.locator('.ant-input-number input').fill('2');
  await map.getByTestId('recommend').click();
  // keep-together puts the batch's 2 vials next to its 3 (A1, A2, B5 taken): A3 and A4, reserved for me.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="position-map"] [data-state="selected"]').length === 2);
  const selected = await map.locator('[data-state="selected"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-testid')));
  expect(selected).toHaveLength(2);
  const reserved = (await boxMap()).filter((p) => p.state === 'reserved');
  expect(reserved.map((p) => `pos-${p.label}`).sort()).toEqual([...selected].sort());
  expect(reserved.every((p) => p.mine)).toBe(true);
  await shot(page, 'position-map');

  await map.locator('[data-testid="batch-select"]').click();
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: f.batch.batchCode }).click();
  await map.getByTestId('stock-in').click();
  await map.locator('.ant-alert-success').waitFor();
  const after = await boxMap();
  expect(after.filter((p) => p.state === 'occupied')).toHaveLength(5);
  expect(after.filter((p) => p.state === 'reserved')).toHaveLength(0);
  // The map repaints after the stock-in's answer: wait for each chosen cell to show it (times out if it never does).
  for (const s of selected) await map.locator(`[data-testid="${s}"][data-state="occupied"]`).waitFor();
  await page.context().close();
});

test('no console errors', () => {
  expect(realErrors(e.errors)).toEqual([]);
});
