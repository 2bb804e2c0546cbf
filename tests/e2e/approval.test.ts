// An approval with e-signature from the to-do inbox (R-3.4.5 through the flow engine): a technician requests a
// stock-out (API), the lab director sees the count badge, opens the inbox and the task, signs with comment and
// password. A wrong password shows a clear error and changes nothing; the signature is shown with the record.
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { cellbankFixture, LAB_PASSWORD, type CellbankFixture } from './support/cellbank';

jest.setTimeout(90_000);

let e: E2E;
let f: CellbankFixture;
let stockOut: { id: number; stockOutNo: string };

beforeAll(async () => {
  e = await startE2E({ plugins: ['qc-gating', 'storage-slots'] });
  f = await cellbankFixture(e, { releaseQc: true });
  // The technician stocks in two vials and asks to take one out: the flow starts with the record.
  await f.call(f.tech.token, 'POST', '/api/v1/data/stockIn', { batch: f.batch.id, vialCount: 2, device: f.device.id, strategy: 'keep-together' });
  const vials = (await f.call(f.tech.token, 'GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: f.batch.id }))}&sort=id`)).data;
  expect(vials).toHaveLength(2);
  const so = (await f.call(f.tech.token, 'POST', '/api/v1/data/stockOut', { batch: f.batch.id, vials: [vials[0].id], purpose: 'clinicalUse' })).data;
  expect(so.state).toBe('requested');
  stockOut = { id: so.id, stockOutNo: so.stockOutNo };
});
afterAll(async () => {
  await e?.close();
});

const signatures = async () => (await f.call(e.token, 'GET', `/api/v1/data/stockOut/${stockOut.id}/signatures`)).data as any[];
const state = async () => (await f.call(e.token, 'GET', `/api/v1/data/stockOut/${stockOut.id}`)).data;

test('the lab director approves a stock-out with an e-signature from the inbox; a wrong password changes nothing', async () => {
  const page = await e.page({ user: f.director.username, password: LAB_PASSWORD });
  // The shell's to-do badge counts the waiting task.
  const todo = page.getByRole('link', { name: '待办' });
  await todo.locator('.ant-badge-count').waitFor();
  await page.waitForFunction(() => document.querySelector('a[aria-label="待办"] .ant-badge-count')?.textContent?.trim() === '1');
  await todo.click();
  await page.waitForURL((u) => u.pathname === '/inbox');
  const row = page.locator('.ant-table-row', { hasText: stockOut.stockOutNo });
  await row.waitFor();
  expect(await row.innerText()).toContain('细胞出库审批');
  await shot(page, 'inbox');

  // Open the task's record from the inbox: the flow state and the director's actions are on it.
  await row.getByRole('link', { name: stockOut.stockOutNo }).click();
  await page.waitForURL((u) => u.pathname === `/record/stockOut/${stockOut.id}`);
  await page.getByText('细胞出库审批 · 待主任审批').waitFor();
  await page.getByRole('button', { name: '批准出库' }).click();
  const dialog = page.locator('.ant-modal');
  await dialog.getByText('批准细胞出库').waitFor(); // the meaning of the signature is shown
  await dialog.getByText(f.director.displayName).waitFor(); // and who signs
  await page.locator('#ct-flow-comment').fill('质检合格，同意出库');

  // Wrong password: a clear error in the dialog, nothing signed, state unchanged.
  await page.locator('#ct-flow-password').fill('not-my-password');
  await dialog.locator('.ant-btn-primary').click();
  const alert = dialog.locator('.ant-alert-error[role="alert"]');
  await alert.waitFor();
  expect(await alert.innerText()).toContain('密码不正确');
  expect((await state()).state).toBe('requested');
  expect(await signatures()).toEqual([]);
  await shot(page, 'approval-signature-error');

  // The right password signs and approves.
  await page.locator('#ct-flow-password').fill(LAB_PASSWORD);
  await dialog.locator('.ant-btn-primary').click();
  await dialog.waitFor({ state: 'detached' });
  const rec = await state();
  expect(rec).toMatchObject({ state: 'approved', approvedBy: f.director.id, approvedBy$expanded: { id: f.director.id, displayName: f.director.displayName } });
  const sigs = await signatures();
  expect(sigs).toHaveLength(1);
  expect(sigs[0]).toMatchObject({ userId: f.director.id, username: f.director.username, printedName: f.director.displayName, meaning: '批准细胞出库', valid: true });

  // The record page shows the new state and the signature with the record.
  const sigCard = page.locator('.ct-signatures');
  await sigCard.waitFor();
  expect(await sigCard.innerText()).toContain('批准细胞出库');
  expect(await sigCard.innerText()).toContain(f.director.username);
  await page.locator('.ct-section .ant-tag', { hasText: /^已批准$/ }).waitFor(); // the state field
  expect(await page.getByRole('button', { name: '批准出库' }).count()).toBe(0);
  await shot(page, 'record-signature', { tall: true });

  // The task left the inbox: the badge is gone and "handled by me" lists the approval with its comment.
  await page.waitForFunction(() => !document.querySelector('a[aria-label="待办"] .ant-badge-count'));
  await page.getByRole('link', { name: '待办' }).click();
  await page.getByRole('tab', { name: '我已处理' }).click();
  await page.locator('.ant-table-row', { hasText: stockOut.stockOutNo }).getByText('质检合格，同意出库').waitFor();
  const done = (await f.call(f.director.token, 'GET', '/api/v1/inbox/tasks?box=done')).data;
  expect(done.find((x: { recordId: number }) => x.recordId === stockOut.id)).toMatchObject({ action: 'approve', comment: '质检合格，同意出库' });
  await page.context().close();
});

test('no console errors', () => {
  expect(realErrors(e.errors)).toEqual([]);
});
