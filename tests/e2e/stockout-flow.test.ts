// The stock-out flow (metadata/cellbank/flows/stockOutApproval.json) start to end in Chromium: a technician
// fills the stock-out form (batch, then two of its stored vials in the multi picker, which shows each vial's position
// and status), the lab director approves it with an e-signature in the inbox, the cryostorage keeper executes it from
// the record page; the vials are out of stock and the position map shows their slots empty.
import { approvedQc } from '../support/qc';
import type { Page } from 'playwright-core';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { cellbankFixture, LAB_PASSWORD, type CellbankFixture, type LabUser } from './support/cellbank';

jest.setTimeout(120_000);

let e: E2E;
let f: CellbankFixture;
let keeper: LabUser;
let stored: { id: number; vialCode: string; positionLabel: string }[];
let otherBatchVial: string;
let thawed: string;

const dropdown = (page: Page) => page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
const boxMap = async () => (await f.call(f.tech.token, 'GET', `/api/v1/storage/containers/${f.box.id}/map`)).data.positions as { label: string; state: string; vial?: { id: number } }[];

beforeAll(async () => {
  e = await startE2E({ plugins: ['qc-gating', 'storage-slots'] });
  f = await cellbankFixture(e, { releaseQc: true });
  const k = await f.call(e.token, 'POST', '/api/v1/admin/users', { username: 'e2e-cryo', displayName: '冻存管理员老周', password: LAB_PASSWORD, mustChangePassword: false, orgId: f.lab, roles: ['cryostorageKeeper'] });
  keeper = { id: k.data.id, username: 'e2e-cryo', displayName: '冻存管理员老周', token: await e.server.login('e2e-cryo', LAB_PASSWORD) };
  // Four vials of the batch in the box; one is thawed (not in storage any more).
  await f.call(f.tech.token, 'POST', '/api/v1/data/stockIn', { batch: f.batch.id, vialCount: 4, device: f.device.id, strategy: 'keep-together' });
  const vials = (await f.call(f.tech.token, 'GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: f.batch.id }))}&sort=id`)).data;
  await f.call(f.tech.token, 'POST', `/api/v1/data/cryovial/${vials[3].id}/actions/thaw`, {});
  thawed = vials[3].vialCode;
  stored = vials.slice(0, 3);
  // A vial of another batch in the same tank: never offered for this batch.
  const other = (await f.call(f.setup.token, 'POST', '/api/v1/data/cellBatch', { cellType: 'UC-MSC', customerName: '另一客户', vialCount: 1, freezeDate: '2026-11-02' })).data;
  await approvedQc(e.server, f.setup.token, { token: f.director.token, password: LAB_PASSWORD }, { qcType: 'stockInQc', batch: other.id, testedAt: new Date().toISOString(), viability: 92, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1 });
  await f.call(f.tech.token, 'POST', '/api/v1/data/stockIn', { batch: other.id, vialCount: 1, device: f.device.id, strategy: 'keep-together' });
  otherBatchVial = (await f.call(f.tech.token, 'GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: other.id }))}`)).data[0].vialCode;
});
afterAll(async () => {
  await e?.close();
});

test('stock-out: requested in the form, approved with e-signature in the inbox, executed from the record page', async () => {
  // 1. The technician fills the form: the vial picker waits for the batch, then offers its stored vials only.
  const tech = await e.page({ user: f.tech.username, password: LAB_PASSWORD });
  await tech.goto(`${e.url}/form/stockOut/new`);
  const vialsSelect = tech.locator('.ant-select:has(#root_vials)');
  await vialsSelect.waitFor();
  expect(await vialsSelect.innerText()).toContain('请先选择批次');
  expect(await vialsSelect.getAttribute('class')).toContain('ant-select-disabled');
  await tech.locator('.ant-select:has(#root_batch)').click();
  await tech.locator('#root_batch').fill(f.batch.batchCode.slice(-6));
  await dropdown(tech).locator('.ant-select-item-option', { hasText: f.batch.batchCode }).click();

  await vialsSelect.click();
  const options = dropdown(tech).locator('[data-testid="multi-ref-option"]');
  await options.first().waitFor();
  await tech.waitForFunction(() => document.querySelectorAll('.ant-select-dropdown:not(.ant-select-dropdown-hidden) [data-testid="multi-ref-option"]').length === 3);
  const texts = await options.allInnerTexts();
  for (const v of stored) expect(texts.find((x) => x.startsWith(v.vialCode))).toBe(`${v.vialCode} · ${v.positionLabel} · 在库`);
  expect(texts.join('\n')).not.toContain(thawed);
  expect(texts.join('\n')).not.toContain(otherBatchVial);
  expect(texts.join('\n')).not.toContain('#');
  await options.filter({ hasText: stored[0].vialCode }).click();
  await options.filter({ hasText: stored[1].vialCode }).click();
  await tech.keyboard.press('Escape');
  const chosen = await vialsSelect.locator('.ant-select-selection-item').allInnerTexts();
  expect(chosen).toHaveLength(2);
  await shot(tech, 'stockout-form', { tall: true });

  await tech.locator('.ant-select:has(#root_purpose)').click();
  await dropdown(tech).locator('.ant-select-item-option', { hasText: '临床使用' }).click();
  await tech.getByRole('button', { name: /保\s*存/ }).click();
  await tech.waitForURL((u) => /^\/record\/stockOut\/\d+$/.test(u.pathname));
  const id = Number(new URL(tech.url()).pathname.split('/').pop());
  const so = (await f.call(f.tech.token, 'GET', `/api/v1/data/stockOut/${id}`)).data;
  expect(so).toMatchObject({ state: 'requested', batch: f.batch.id, purpose: 'clinicalUse' });
  expect([...so.vials].sort()).toEqual([stored[0].id, stored[1].id].sort());
  // Not approved yet: nothing to execute.
  await tech.getByText('细胞出库审批 · 待主任审批').waitFor();
  expect(await tech.getByRole('button', { name: '执行出库' }).count()).toBe(0);
  await tech.context().close();

  // 2. The lab director approves with an e-signature, in the inbox.
  const director = await e.page({ user: f.director.username, password: LAB_PASSWORD });
  await director.getByRole('link', { name: '待办' }).click();
  const row = director.locator('.ant-table-row', { hasText: so.stockOutNo });
  await row.getByRole('button', { name: '批准出库' }).click();
  const sign = director.locator('.ant-modal');
  await sign.getByText('批准细胞出库').waitFor();
  await director.locator('#ct-flow-comment').fill('同意出库');
  await director.locator('#ct-flow-password').fill(LAB_PASSWORD);
  await sign.locator('.ant-btn-primary').click();
  await sign.waitFor({ state: 'detached' });
  await row.waitFor({ state: 'detached' });
  expect((await f.call(f.director.token, 'GET', `/api/v1/data/stockOut/${id}`)).data).toMatchObject({ state: 'approved', approvedBy: f.director.id });
  await director.context().close();

  // 3. The cryostorage keeper executes it from the record page.
  const before = await boxMap();
  const freed = before.filter((p) => p.vial && [stored[0].id, stored[1].id].includes(p.vial.id)).map((p) => p.label);
  expect(freed).toHaveLength(2);
  const k = await e.page({ user: keeper.username, password: LAB_PASSWORD });
  await k.goto(`${e.url}/record/stockOut/${id}`);
  await k.getByRole('button', { name: '执行出库' }).click();
  const dialog = k.locator('.ant-modal');
  await dialog.getByLabel('说明').fill('临床回输');
  await shot(k, 'stockout-execute');
  await dialog.locator('.ant-btn-primary').click();
  await dialog.waitFor({ state: 'detached' });
  await k.locator('.ct-section .ant-tag', { hasText: /^已出库$/ }).waitFor();
  expect(await k.getByRole('button', { name: '执行出库' }).count()).toBe(0);
  const done = (await f.call(keeper.token, 'GET', `/api/v1/data/stockOut/${id}`)).data;
  expect(done).toMatchObject({ state: 'executed', executedBy: keeper.id, executedBy$expanded: { displayName: keeper.displayName } });
  expect(done.positionSummary).toContain(freed[0]);

  // The vials are out of stock: the vial's own page says so.
  await k.goto(`${e.url}/record/cryovial/${stored[0].id}`);
  await k.locator('.ct-section .ant-tag', { hasText: /^已出库$/ }).waitFor();
  for (const v of [stored[0], stored[1]]) expect((await f.call(keeper.token, 'GET', `/api/v1/data/cryovial/${v.id}`)).data).toMatchObject({ status: 'out', container: null });
  // Its chain of custody, the tab the page opens on: stocked in at its position, stocked out by the keeper for
  // clinical use (the purpose by its label), each step linking to its slip.
  const custody = k.locator('.ss-custody');
  await custody.locator('[data-kind="stockOut"]').getByText('临床使用').waitFor();
  await custody.locator('[data-kind="stockOut"]').getByText(keeper.displayName).waitFor();
  expect(await custody.locator('[data-kind="stockIn"]').textContent()).toContain(freed[0]);
  expect(await custody.locator('[data-kind="stockOut"] a').getAttribute('href')).toBe(`/record/stockOut/${id}`);
  await shot(k, 'vial-custody');

  // 4. The position map shows the two slots empty, and the vial left behind still in place.
  await k.goto(`${e.url}/plugin/${encodeURIComponent('storage-slots/PositionMap')}`);
  const map = k.locator('[data-testid="position-map"]');
  await map.locator('[data-testid="device-select"]').click();
  await dropdown(k).locator('.ant-select-item-option', { hasText: f.device.code }).click();
  await map.locator(`[data-testid="node-${f.canister.code}"]`).click();
  await map.locator(`[data-testid="node-${f.box.code}"]`).click();
  for (const label of freed) await map.locator(`[data-testid="pos-${label}"][data-state="empty"]`).waitFor();
  const kept = before.find((p) => p.vial?.id === stored[2].id)!.label;
  expect(await map.locator(`[data-testid="pos-${kept}"]`).getAttribute('data-state')).toBe('occupied');
  await shot(k, 'stockout-map-freed');
  await k.context().close();
});

test('no console errors', () => {
  expect(realErrors(e.errors)).toEqual([]);
});
