// Role editor and flow designer in Chromium: an admin ticks "read" on the culture records for a role in the
// permission matrix and a user with that role sees the list at once; a JSON Logic scope naming an unknown field
// is refused by the server and the error shows on that row; an admin renames a flow state in the flow designer
// and the to-do inbox shows the new label for the next record.
import type { Page } from 'playwright-core';
import { realErrors, seedCultures, shot, startE2E, type E2E } from './support/fixture';

jest.setTimeout(90_000);

const VIEWER_PASSWORD = 'View#123456789';
let e: E2E;

async function ok(r: { status: number; body: any }) {
  if (r.status >= 300) throw new Error(`${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

beforeAll(async () => {
  e = await startE2E();
  await seedCultures(e, 3);
  // A role that can read customers only, and a user holding it.
  await ok(await e.server.api('PUT', '/api/v1/meta/role/e2eViewer', {
    token: e.token,
    body: { reason: 'e2e', definition: { $id: 'e2eViewer', label: { 'zh-CN': '只读测试', en: 'E2E viewer' }, permissions: [{ entity: 'customer', actions: ['read'], scope: 'all' }] } },
  }));
  await ok(await e.server.api('POST', '/api/v1/admin/users', {
    token: e.token,
    body: { username: 'viewer1', displayName: '查看员', password: VIEWER_PASSWORD, mustChangePassword: false, roles: ['e2eViewer'] },
  }));
  // A small entity with a state field and an approval flow on it (started on create, assigned to admin).
  await ok(await e.server.api('PUT', '/api/v1/meta/entity/e2eDoc', {
    token: e.token,
    body: {
      reason: 'e2e',
      definition: {
        $id: 'e2eDoc', 'x-label': { 'zh-CN': '测试单据', en: 'E2E document' }, 'x-scope': 'global', 'x-title': 'title', 'x-state': 'state', type: 'object', required: ['title'],
        properties: {
          title: { type: 'string', maxLength: 100, 'x-label': { 'zh-CN': '标题', en: 'Title' } },
          state: { type: 'string', readOnly: true, enum: ['review', 'approved', 'rejected'], 'x-label': { 'zh-CN': '状态', en: 'State' } },
        },
      },
    },
  }));
  await ok(await e.server.api('PUT', '/api/v1/meta/flow/e2eDocReview', {
    token: e.token,
    body: {
      reason: 'e2e',
      definition: {
        $id: 'e2eDocReview', kind: 'flow', label: { 'zh-CN': '测试审批', en: 'E2E review' }, entity: 'e2eDoc', start: { on: 'create' }, initial: 'review',
        states: {
          review: { label: { 'zh-CN': '待审核', en: 'To review' }, assignees: [{ type: 'user', users: ['admin'] }], mode: 'any' },
          approved: { label: { 'zh-CN': '已通过', en: 'Approved' }, final: true },
          rejected: { label: { 'zh-CN': '已驳回', en: 'Rejected' }, final: true },
        },
        transitions: [
          { from: 'review', action: 'approve', to: 'approved', type: 'approve', label: { 'zh-CN': '通过', en: 'Approve' } },
          { from: 'review', action: 'reject', to: 'rejected', type: 'reject', comment: 'required', label: { 'zh-CN': '驳回', en: 'Reject' } },
        ],
      },
    },
  }));
}, 90_000);

afterAll(async () => {
  await e?.close();
});

async function pickOption(page: Page, select: ReturnType<Page['locator']>, optionText: string) {
  await select.click();
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: optionText }).first().click();
  // The choice is in the form once the select shows it (saving before that, under load, saved the old value).
  await select.locator('.ant-select-selection-item', { hasText: optionText }).waitFor();
}

async function saveWithReason(page: Page, reason: string, expectSaved = true) {
  await page.getByRole('button', { name: '保存为新版本' }).click();
  await page.locator('#ct-reason').fill(reason);
  // Wait for this save's own answer: the previous save's toast may still be showing.
  const answer = page.waitForResponse((r) => r.url().includes('/api/v1/meta/') && r.request().method() === 'PUT');
  await page.locator('.ant-modal-confirm .ant-btn-primary').click();
  expect((await answer).ok()).toBe(expectSaved);
  if (expectSaved) await page.getByText('已保存，立即生效').first().waitFor();
}

test('role matrix: granting read on culture records lets the role see the list; a bad scope shows on its row', async () => {
  const viewerToken = await e.server.login('viewer1', VIEWER_PASSWORD);
  expect((await e.server.api('GET', '/api/v1/data/cultureRecord', { token: viewerToken })).status).toBe(403);

  const admin = await e.page();
  await admin.goto(`${e.url}/admin/role/e2eViewer`);
  const row = admin.locator('tr[data-target="e:cultureRecord"]');
  await row.waitFor();
  // Columns: read, create, update, delete, export, import, *.
  await row.locator('input[type="checkbox"]').first().check();
  // The entity now has a grant of its own: pick its row scope.
  const grantRow = admin.locator('tr[data-target="e:cultureRecord"][data-grant]:not([data-grant=""])');
  await pickOption(admin, grantRow.locator('.ct-matrix-scope .ant-select'), '全部');
  await shot(admin, 'role-editor');
  await saveWithReason(admin, 'e2e: viewer reads culture records');
  const saved = (await ok(await e.server.api('GET', '/api/v1/meta/role/e2eViewer', { token: e.token }))).data;
  expect(saved.permissions).toEqual([{ entity: 'customer', actions: ['read'], scope: 'all' }, { entity: 'cultureRecord', actions: ['read'], scope: 'all' }]);

  // The viewer signs in and sees the rows, without any restart.
  const viewer = await e.page({ user: 'viewer1', password: VIEWER_PASSWORD });
  await viewer.goto(`${e.url}/list/cultureRecord`);
  // ag-grid may paint the first row before the rest of the page: wait for the rows, not for one.
  await viewer.waitForFunction(() => document.querySelectorAll('.ag-row').length >= 3);
  expect(await viewer.locator('.ag-row').count()).toBeGreaterThanOrEqual(3);
  await viewer.context().close();

  // A JSON Logic scope on a field the customer does not have: the server answers 400 with a JSON pointer and the
  // message shows on the customer grant row (index 0).
  const custRow = admin.locator('tr[data-target="e:customer"][data-grant="0"]');
  await pickOption(admin, custRow.locator('.ct-matrix-scope .ant-select'), 'JSON Logic');
  const logic = admin.getByRole('textbox', { name: /范围条件/ }).first();
  await logic.fill('{"+": [{"var": "createdBy"}, 1]}');
  await admin.getByText(/unsupported JSON Logic operator/).first().waitFor(); // checked as typed
  await saveWithReason(admin, 'e2e: bad scope', false);
  await admin.locator('tr[data-target="e:customer"][data-grant="0"].ct-matrix-error').waitFor(); // the server's pointer
  await logic.fill('{"==": [{"var": "createdBy"}, {"var": "$actor.id"}]}');
  await saveWithReason(admin, 'e2e: own customers only');
  expect((await ok(await e.server.api('GET', '/api/v1/meta/role/e2eViewer', { token: e.token }))).data.permissions[0].scope).toEqual({ jsonLogic: { '==': [{ var: 'createdBy' }, { var: '$actor.id' }] } });
  // Field rules of a grant, in the drawer.
  await admin.locator('tr[data-target="e:customer"][data-grant="0"] .ct-matrix-fields button').click();
  await admin.locator('.ant-drawer-open').getByText('证件号码').waitFor();
  await admin.locator('.ant-drawer-open tr', { hasText: 'idNumber' }).getByText('隐藏').click();
  await admin.locator('.ant-drawer-open .ant-drawer-close').click();
  await saveWithReason(admin, 'e2e: hide the ID number');
  expect((await ok(await e.server.api('GET', '/api/v1/meta/role/e2eViewer', { token: e.token }))).data.permissions[0].fields).toEqual({ idNumber: 'hidden' });
  await admin.context().close();
});

test('flow designer: a renamed state shows in the inbox for the next record', async () => {
  const admin = await e.page();
  await admin.goto(`${e.url}/admin/flow/e2eDocReview`);
  await admin.locator('svg [data-state="review"]').waitFor();
  const label = admin.locator('#flow-state-review-label');
  await label.fill('主管复核');
  await admin.locator('svg [data-state="review"]', { hasText: '主管复核' }).waitFor();
  await shot(admin, 'flow-designer', { tall: true });
  await saveWithReason(admin, 'e2e: clearer state name');

  const doc = (await ok(await e.server.api('POST', '/api/v1/data/e2eDoc', { token: e.token, body: { title: 'E2E-1' } }))).data;
  expect(doc.state).toBe('review');
  await admin.goto(`${e.url}/inbox`);
  await admin.getByText('E2E-1').first().waitFor();
  await admin.getByText(/测试审批 · 主管复核/).first().waitFor();
  await admin.context().close();
  expect(realErrors(e.errors)).toEqual([]);
});
