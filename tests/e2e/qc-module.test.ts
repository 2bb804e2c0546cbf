// The QC module's "done when" (issue 13) in Chromium: a QC inspector enters an in-process result on a culture step
// against the frozen specification and submits it, a second inspector approves it with an e-signature; a spot-check
// draw puts tasks in the inspectors' inboxes; an EM round is entered on a tablet-sized screen, an action-level
// excursion opens a deviation that lists the batches worked in that room, and the trend chart shows the reading
// against its limit lines.
import type { Page } from 'playwright-core';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { orderFor } from '../support/labs';
import { cellbankFixture, LAB_PASSWORD, type CellbankFixture, type LabUser } from './support/cellbank';

jest.setTimeout(180_000);

let e: E2E;
let f: CellbankFixture;
let insA: LabUser;
let insB: LabUser;
const M: Record<string, any> = {};
const TABLET = { width: 820, height: 1180 };
const pad = (n: number) => String(n).padStart(2, '0');
const local = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;

async function pick(page: Page, id: string, text: string, search?: string) {
  await page.locator(`.ant-select:has(#${id})`).click();
  if (search) await page.locator(`#${id}`).fill(search);
  await page.locator(`.ant-select-dropdown:has(#${id}_list) .ant-select-item-option`, { hasText: text }).first().click();
}

beforeAll(async () => {
  e = await startE2E({ plugins: ['qc-gating', 'storage-slots'] });
  f = await cellbankFixture(e);
  const inspector = async (username: string, displayName: string): Promise<LabUser> => {
    const r = await f.call(e.token, 'POST', '/api/v1/admin/users', { username, displayName, password: LAB_PASSWORD, mustChangePassword: false, orgId: f.lab, roles: ['qcInspector'] });
    return { id: r.data.id, username, displayName, token: await e.server.login(username, LAB_PASSWORD) };
  };
  insA = await inspector('e2e-qcm-a', '钱质检');
  insB = await inspector('e2e-qcm-b', '孙质检');
  const yesterday = new Date(Date.now() - 86400_000);
  M.roomB = (await f.call(insA.token, 'POST', '/api/v1/data/room', { code: 'E2E-B01', name: 'B级细胞操作间', grade: 'B' })).data;
  M.point = (await f.call(insA.token, 'POST', '/api/v1/data/samplingPoint', { code: 'E2E-B01-01', name: '操作台左侧', room: M.roomB.id, parameters: ['settlePlate', 'particles05'], mapX: 30, mapY: 50 })).data;
  const cust = (await f.call(f.tech.token, 'POST', '/api/v1/data/customer', { name: '周女士', phone: '13800000001' })).data;
  M.culture = (await f.call(f.tech.token, 'POST', '/api/v1/data/cultureRecord', { customer: cust.id, order: await orderFor(e.server, cust.id), cellKind: 'stem', cellType: 'UC-MSC', cultureDate: yesterday.toISOString().slice(0, 10), room: M.roomB.id, totalCells: 12, viability: 95, passage: 1 })).data;
  M.step = (await f.call(f.tech.token, 'POST', '/api/v1/data/cultureStep', { cultureRecord: M.culture.id, stepType: 'passage', performedAt: yesterday.toISOString(), room: M.roomB.id, passage: 2 })).data;
  // An earlier reading within limits (two days ago) starts the excursion window.
  await f.call(insA.token, 'POST', '/api/v1/qc/em/round', { sampledAt: new Date(Date.now() - 2 * 86400_000).toISOString(), readings: [{ point: M.point.id, parameter: 'settlePlate', value: 1 }] });
  M.plan = (await f.call(insA.token, 'POST', '/api/v1/data/spotCheckPlan', { name: '每周在培抽检', percent: 100, minCount: 1, windowDays: 30 })).data;
});
afterAll(async () => {
  await e?.close();
});

test('an in-process result on a culture step, judged against the frozen spec, approved by a second inspector with an e-signature', async () => {
  const a = await e.page({ user: insA.username, password: LAB_PASSWORD });
  await a.goto(`${e.url}/form/qcRecord/new`);
  await pick(a, 'root_qcType', '过程质检');
  await pick(a, 'root_cultureStep', M.culture.batchCode); // the step is offered with its culture batch
  await a.locator('#root_testedAt').fill(local(new Date(Date.now() - 3600_000)));
  await a.locator('#root_testedAt').press('Enter');
  await a.locator('#root_viability').fill('93');
  await pick(a, 'root_morphologyOk', '符合');
  await a.getByRole('button', { name: /保\s*存/ }).click();
  await a.waitForURL((u) => /^\/record\/qcRecord\/\d+$/.test(u.pathname));
  const id = Number(new URL(a.url()).pathname.split('/').pop());
  const rec = (await f.call(insA.token, 'GET', `/api/v1/data/qcRecord/${id}`)).data;
  expect(rec).toMatchObject({ cultureStep: M.step.id, cultureRecord: M.culture.id, appliedSpec: 'processGeneral', specVersion: 1, result: 'pass', reviewStatus: 'draft' });
  await a.getByText('过程质检（通用）').first().waitFor(); // the specification applied, by its name
  await a.getByRole('button', { name: '提交复核' }).click();
  await a.locator('.ant-modal .ant-btn-primary').click();
  await a.locator('.ant-modal').waitFor({ state: 'detached' });
  await a.getByText('待复核').first().waitFor();
  await a.getByRole('button', { name: '复核批准' }).waitFor(); // offered once the page reloads the record, but refused to the author:
  await a.getByRole('button', { name: '复核批准' }).click();
  await a.locator('#ct-action_password').fill(LAB_PASSWORD);
  await a.locator('.ant-modal .ant-btn-primary').click();
  await a.getByText('不能复核自己录入或提交的质检结果').first().waitFor();
  await a.context().close();

  const b = await e.page({ user: insB.username, password: LAB_PASSWORD });
  await b.goto(`${e.url}/record/qcRecord/${id}`);
  await b.getByRole('button', { name: '复核批准' }).click();
  const modal = b.locator('.ant-modal');
  await modal.getByText('质检复核批准').first().waitFor(); // the meaning of the signature
  await b.locator('#ct-action_password').fill(LAB_PASSWORD);
  await shot(b, 'qc-approve-signature');
  await modal.locator('.ant-btn-primary').click();
  await modal.waitFor({ state: 'detached' });
  await b.getByText('已批准').first().waitFor();
  const after = (await f.call(insB.token, 'GET', `/api/v1/data/qcRecord/${id}`)).data;
  expect(after).toMatchObject({ reviewStatus: 'approved', reviewedBy: insB.id });
  await b.context().close();
});

test('a spot-check draw records its seed and puts the drawn cultures in the inspectors\' inboxes', async () => {
  const a = await e.page({ user: insA.username, password: LAB_PASSWORD });
  await a.goto(`${e.url}/record/spotCheckPlan/${M.plan.id}`);
  await a.getByRole('button', { name: '随机抽签' }).click();
  await a.locator('#ct-action_seed').fill('wk49');
  await a.locator('.ant-modal .ant-btn-primary').click();
  await a.locator('.ant-modal').waitFor({ state: 'detached' });
  const tasks = (await f.call(insA.token, 'GET', `/api/v1/data/spotCheckTask?filter=${encodeURIComponent(JSON.stringify({ cultureRecord: M.culture.id }))}`)).data;
  expect(tasks).toHaveLength(1);
  const draw = (await f.call(insA.token, 'GET', `/api/v1/data/spotCheckDraw/${tasks[0].draw}`)).data;
  expect(draw.seed).toBe('wk49');
  expect((await f.call(insA.token, 'GET', `/api/v1/qc/spot-checks/draws/${draw.id}/verify`)).data.matches).toBe(true);
  const assignee = tasks[0].assignee === insA.id ? a : await e.page({ user: insB.username, password: LAB_PASSWORD });
  await assignee.getByRole('link', { name: '待办' }).click();
  await assignee.locator('.ant-table-row', { hasText: tasks[0].title }).first().waitFor();
  await shot(assignee, 'qc-spotcheck-inbox');
});

test('an EM round on a tablet: an action-level excursion opens a deviation listing the affected batch; the trend shows it against its limits', async () => {
  const t = await e.page({ user: insA.username, password: LAB_PASSWORD, viewport: TABLET });
  await t.goto(`${e.url}/plugin/${encodeURIComponent('qc-gating/EmRound')}`);
  await pick(t, 'ct-em-room', 'B级细胞操作间');
  await t.locator(`#ct-em-${M.point.id}-settlePlate`).fill('9');
  await t.locator(`#ct-em-${M.point.id}-particles05`).fill('1200');
  // The round fits the tablet's width.
  expect(await t.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await t.getByRole('button', { name: '提交本轮结果' }).click();
  await t.getByText('已保存 2 条结果').waitFor();
  const card = t.locator(`[data-point="${M.point.code}"]`);
  await card.getByText('超行动限').waitFor();
  await card.getByText('正常').waitFor();
  await shot(t, 'qc-em-round-tablet', { tall: true });
  await card.getByRole('link', { name: '已开启偏差' }).click();
  await t.waitForURL((u) => /^\/record\/deviation\/\d+$/.test(u.pathname));
  await t.getByText('环境超标').first().waitFor();
  await t.getByText(M.culture.batchCode).first().waitFor(); // the batch worked in that room during the window
  await shot(t, 'qc-deviation-affected', { tall: true });

  await t.goto(`${e.url}/plugin/${encodeURIComponent('qc-gating/EmTrend')}?point=${M.point.id}&parameter=settlePlate`);
  await t.locator('.ct-trend-limits').getByText('行动限 ≤ 5').waitFor();
  const chart = t.locator('.ct-trend-chart');
  await chart.locator('canvas').first().waitFor();
  expect(JSON.parse((await chart.getAttribute('data-values'))!)).toEqual([1, 9]);
  expect(JSON.parse((await chart.getAttribute('data-lines'))!)).toEqual(expect.arrayContaining([5]));
  await t.locator('.ant-table-row', { hasText: '超行动限' }).getByText('9', { exact: true }).waitFor();
  await shot(t, 'qc-em-trend');
  await t.goto(`${e.url}/plugin/${encodeURIComponent('qc-gating/RoomMap')}`);
  await t.locator('[data-room="E2E-B01"]').getByText('超行动限').first().waitFor();

  // Three weeks of particle counts: the trend suggests the point's own alert level (P95), the inspector adopts it
  // in a prefilled form, and the trend then reads it instead of the grade default.
  const values = [52000, 61000, 58000, 49500, 70100, 66000, 54000, 59000, 63000, 57000, 60500, 48000, 71000, 65500, 62000, 56000, 58500, 67000, 64000, 69000];
  for (const [i, value] of values.entries())
    await f.call(insA.token, 'POST', '/api/v1/qc/em/round', { occupancy: 'inOperation', sampledAt: new Date(Date.now() - (21 - i) * 86400_000).toISOString(), readings: [{ point: M.point.id, parameter: 'particles05', value }] });
  await t.goto(`${e.url}/plugin/${encodeURIComponent('qc-gating/EmTrend')}?point=${M.point.id}&parameter=particles05`);
  const suggestion = t.locator('.ct-trend-suggestion');
  await suggestion.getByText('建议警戒限 ≤ 70100').waitFor();
  await t.locator('.ct-trend-limits').getByText('级别默认警戒限').waitFor();
  await suggestion.getByText('设为本采样点警戒限').click();
  await t.waitForURL((u) => u.pathname === '/form/emAlertLevel/new');
  expect(await t.locator('#root_alertMax').inputValue()).toMatch(/^70,?100$/);
  await t.getByRole('button', { name: /保\s*存/ }).click();
  await t.waitForURL((u) => /^\/record\/emAlertLevel\/\d+$/.test(u.pathname));
  await t.getByText('操作台左侧').first().waitFor();
  await t.goto(`${e.url}/plugin/${encodeURIComponent('qc-gating/EmTrend')}?point=${M.point.id}&parameter=particles05`);
  await t.locator('.ct-trend-limits').getByText('警戒限 ≤ 70100').waitFor();
  await t.locator('.ct-trend-limits').getByText('本采样点警戒限').waitFor();
  await shot(t, 'qc-em-trend-site-alert');
  expect(realErrors(e.errors)).toEqual([]);
});
