// Trace and recall in Chromium (issue 15): a batch's record page shows the "追溯图谱" (trace graph) tab, its graph naming the upstream
// order and material lot (SVG text), a node opening its record; the recall screen (QC menu) lists the product and the
// patient of a material lot and offers the workbook.
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { traceChain } from '../support/trace-chain';

jest.setTimeout(120_000);

let e: E2E;
let C: Record<string, any>;

beforeAll(async () => {
  e = await startE2E({ plugins: ['storage-slots', 'order-chain'] });
  const t = e.server;
  const me = (await t.api('GET', '/api/v1/auth/me', { token: e.token })).body;
  const cat = (await t.api('POST', '/api/v1/data/materialCategory', { token: e.token, body: { code: 'MED', name: '培养基', kind: 'medium' } })).body.data;
  const material = (await t.api('POST', '/api/v1/data/material', { token: e.token, body: { name: '无血清培养基', category: cat.id, unit: 'bottle' } })).body.data;
  C = await traceChain(t, e.token, 'E2E', material.id, Number(me.user.id));
});
afterAll(async () => {
  await e?.close();
});

test('a batch page shows its trace graph with the upstream order and material lot; the recall screen lists the product', async () => {
  const page = await e.page();
  await page.goto(`${e.url}/record/cellBatch/${C.batch.id}`);
  await page.getByRole('tab', { name: '追溯图谱' }).click();
  const graph = page.locator('.ct-trace-graph svg');
  await graph.waitFor();
  for (const code of [C.order.orderCode, C.lot1.lotNo, C.lot2.lotNo, C.prep.productCode]) await graph.locator('text', { hasText: code }).first().waitFor();
  await shot(page, 'trace-graph', { tall: true });
  // The timeline lists the same records by time, each a link.
  await page.locator('.ct-trace .ant-segmented-item', { hasText: '时间线' }).click();
  await page.locator('.ct-trace-timeline').getByRole('link', { name: C.lot1.lotNo }).click();
  await page.waitForURL((u) => u.pathname === `/record/materialLot/${C.lot1.id}`);

  // The recall screen from the QC menu: choose the lot, search, the product and patient by name.
  await page.goto(`${e.url}/`);
  await page.getByRole('menuitem', { name: '质量控制' }).click();
  await page.getByRole('menuitem', { name: '召回追溯' }).click();
  await page.waitForURL((u) => u.pathname === '/trace/recall');
  const pick = page.locator('[data-testid="recall-pick-materialLot"]');
  await pick.click();
  await page.keyboard.type(C.lot2.lotNo);
  await page.locator('.ant-select-item-option', { hasText: C.lot2.lotNo }).click();
  await page.getByRole('button', { name: /查\s*询/ }).click();
  const table = page.locator('.ct-recall-products');
  await table.getByRole('link', { name: C.prep.productCode }).waitFor();
  await table.getByRole('link', { name: C.handover.handoverNo }).waitFor();
  expect(await table.innerText()).toContain(C.customer.name);
  const href = await page.getByRole('link', { name: /下载 Excel/ }).getAttribute('href');
  expect(href).toBe(`/api/v1/trace/recall?entity=materialLot&id=${C.lot2.id}&format=xlsx`);
  await shot(page, 'trace-recall', { tall: true });
  expect(realErrors(e.errors)).toEqual([]);
});
