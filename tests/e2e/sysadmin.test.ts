// System management in Chromium: an administrator creates a user with a lab and a
// role, the new user signs in and must change the one-time password, is disabled and is then refused; the operation
// log filtered by object shows that creation and its row opens the user (and a record's row opens the record);
// a backup taken now appears in the list and verifies. A lab technician sees no system-management menu and gets
// 403 from its APIs.
import type { Page } from 'playwright-core';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';

jest.setTimeout(150_000);

const TECH_PASSWORD = 'Tech#Passw0rd1';
let e: E2E;
let lab: number;
let customerId: number;

async function ok(r: { status: number; body: any }) {
  if (r.status >= 300) throw new Error(`${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

beforeAll(async () => {
  e = await startE2E();
  const org = async (kind: string, code: string, name: string, nameEn: string, parentId: number | null) =>
    (await ok(await e.server.api('POST', '/api/v1/admin/orgs', { token: e.token, body: { kind, code, name, nameEn, parentId } }))).data.id as number;
  const company = await org('company', 'E2E', '演示细胞公司', 'Demo cell company', null);
  const centre = await org('centre', 'E2E-SH', '上海中心', 'Shanghai centre', company);
  lab = await org('lab', 'E2E-SH-CB', '上海细胞库实验室', 'Shanghai cell bank lab', centre);
  await org('department', 'E2E-SH-QC', '质检部', 'QC department', lab);
  await ok(await e.server.api('POST', '/api/v1/admin/users', {
    token: e.token, body: { username: 'e2e.tech', displayName: '何晓明', password: TECH_PASSWORD, mustChangePassword: false, orgId: lab, roles: ['technician'] },
  }));
  customerId = (await ok(await e.server.api('POST', '/api/v1/data/customer', { token: e.token, body: { name: '张伟' } }))).data.id;
}, 150_000);

afterAll(async () => {
  await e?.close();
});

const visible = (page: Page, sel: string) => page.locator(`${sel}:visible`);

/** Opens a select, types to narrow long (virtual) lists, and clicks the option whose label starts with `option`. */
async function pick(page: Page, control: string, option: string) {
  await page.locator(control).click();
  if (await page.locator(control).isEditable()) await page.locator(control).fill(option);
  const re = new RegExp(`^${option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)').locator('.ant-select-item-option, .ant-select-tree-node-content-wrapper', { hasText: re }).first().click();
}

/** Tables finished loading (their fade-in done), so a screenshot shows the rows as people see them. */
async function settled(page: Page) {
  await page.waitForFunction(() => Array.from(document.querySelectorAll('.ant-spin-container')).every((el) => !el.classList.contains('ant-spin-blur') && getComputedStyle(el).opacity === '1'));
}

async function screen(page: Page, name: string) {
  await settled(page);
  await shot(page, name);
}

/** Nothing a person should not see: database ids, raw keys, JSON, untranslated message keys. */
async function expectNoRawText(page: Page) {
  const text = await page.locator('.ant-layout-content').innerText();
  expect(text).not.toMatch(/\b(ct_user|ct_org|ct_backup|(?<!Lab )technician|labDirector|user\.create|users:admin|orgId|displayName)\b/);
  expect(text).not.toMatch(/\bsys\.[a-z]+\.|\boplog\.|\{"|"\}/);
}

test('an administrator creates a user with a lab and a role; the user must change the password; disabled, they are refused', async () => {
  const page = await e.page({ viewport: { width: 1440, height: 900 } });
  // The menu group and its screens.
  await page.locator('.ant-menu').getByText('系统管理', { exact: true }).click();
  await page.locator('.ant-menu').getByText('用户管理', { exact: true }).click();
  await page.waitForURL(/\/system\/users$/);
  await page.getByRole('cell', { name: '何晓明' }).waitFor();

  await page.getByRole('button', { name: '新建用户' }).click();
  await page.locator('#user_username').fill('new.tech');
  await page.locator('#user_displayName').fill('新实验员');
  await pick(page, '#user_orgId', '上海细胞库实验室');
  await pick(page, '#user_roles', '实验员');
  await visible(page, '.ant-modal-title').click();
  await page.waitForFunction(() => !Array.from(document.querySelectorAll('.ant-select-dropdown')).some((d) => getComputedStyle(d).display !== 'none' && !d.classList.contains('ant-select-dropdown-hidden')));
  await shot(page, 'sysadmin-user-create');
  await visible(page, '.ant-modal').filter({ hasText: '新建用户' }).locator('.ant-modal-footer .ant-btn-primary').click();
  // The one-time password, shown once.
  const secret = visible(page, '.ct-secret code');
  await secret.waitFor();
  const tempPassword = (await secret.innerText()).trim();
  expect(tempPassword.length).toBeGreaterThanOrEqual(10);
  await page.getByRole('button', { name: '我已记下' }).click();
  const row = page.locator('tr', { hasText: 'new.tech' });
  await expect(row.innerText()).resolves.toMatch(/新实验员[\s\S]*上海细胞库实验室[\s\S]*实验员[\s\S]*待改密码/);
  await screen(page, 'sysadmin-users');
  await expectNoRawText(page);

  // The new user signs in with the one-time password and must choose a new one first.
  const user = await e.page({ noLogin: true });
  await user.goto(`${e.url}/login`);
  await user.locator('#username').fill('new.tech');
  await user.locator('#password').fill(tempPassword);
  await user.locator('button[type="submit"]').click();
  await user.locator('#oldPassword').fill(tempPassword);
  await user.locator('#newPassword').fill('Fresh#Passw0rd9');
  await user.locator('#confirm').fill('Fresh#Passw0rd9');
  await user.getByRole('button', { name: '修改密码' }).click();
  await user.locator('.ant-menu').waitFor();
  expect(await user.locator('.ant-menu-root').innerText()).not.toContain('系统管理');
  await user.context().close();

  // Disabled by the administrator: the next login is refused.
  await row.getByRole('button', { name: '停用 new.tech' }).click();
  await visible(page, '.ant-popconfirm').locator('.ant-btn-primary').click();
  await row.getByText('已停用').waitFor();
  const again = await e.page({ noLogin: true });
  await again.goto(`${e.url}/login`);
  await again.locator('#username').fill('new.tech');
  await again.locator('#password').fill('Fresh#Passw0rd9');
  await again.locator('button[type="submit"]').click();
  await again.getByRole('alert').waitFor();
  expect(new URL(again.url()).pathname).toBe('/login');
  await again.context().close();
  await page.context().close();
  expect(realErrors(e.errors)).toEqual([]);
});

test('the operation log filtered by object shows the creation by name and its row opens the user; a record row opens the record; export', async () => {
  const page = await e.page({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${e.url}/system/audit`);
  await pick(page, 'input[aria-label="对象"]', '用户');
  await page.getByRole('button', { name: '查询' }).click();
  const created = page.locator('tr', { hasText: '创建用户' }).filter({ hasText: '新实验员 (new.tech)' });
  await created.waitFor();
  await expect(created.innerText()).resolves.toMatch(/所属机构:\s*上海细胞库实验室[\s\S]*角色:\s*实验员/);
  await screen(page, 'sysadmin-audit');
  await expectNoRawText(page);
  // Export of the filtered log.
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出 Excel' }).click()]);
  expect(file.suggestedFilename()).toMatch(/^operation-log-\d{4}-\d{2}-\d{2}\.xlsx$/);
  // The row opens the user.
  await created.getByRole('link', { name: '新实验员 (new.tech)' }).click();
  await page.waitForURL(/\/system\/users\?id=\d+$/);
  await visible(page, '.ant-modal').filter({ hasText: '编辑用户 · 新实验员' }).waitFor();
  await page.keyboard.press('Escape');

  // A record's entry opens the record.
  await page.goto(`${e.url}/system/audit`);
  await pick(page, 'input[aria-label="对象"]', '客户');
  await page.getByRole('button', { name: '查询' }).click();
  await page.locator('tr', { hasText: '张伟' }).first().click();
  await page.waitForURL(new RegExp(`/record/customer/${customerId}$`));
  await page.context().close();
  expect(realErrors(e.errors)).toEqual([]);
});

test('back up now → the backup appears in the list → verify says OK', async () => {
  const page = await e.page({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${e.url}/system/backups`);
  await page.getByText('还没有备份。').waitFor();
  await page.getByRole('button', { name: '立即备份' }).click();
  const row = page.locator('tbody tr', { hasText: /celltrace-\d{8}T\d{6}Z\.dump/ });
  await row.waitFor();
  await expect(row.innerText()).resolves.toMatch(/PostgreSQL 归档/);
  await row.getByRole('button', { name: /校验/ }).click();
  const result = page.locator('.ct-verify-result');
  await result.waitFor();
  await expect(result.innerText()).resolves.toMatch(/校验通过[\s\S]*备份完整/);
  await screen(page, 'sysadmin-backups');
  await expectNoRawText(page);
  await page.context().close();
  expect(realErrors(e.errors)).toEqual([]);
});

test('the other screens show names and labels (org tree, tokens, policy, login log), in zh-CN and en', async () => {
  const page = await e.page({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${e.url}/system/orgs`);
  await page.locator('.ant-tree').getByText('上海细胞库实验室').click();
  await page.getByText('实验室', { exact: true }).first().waitFor();
  await screen(page, 'sysadmin-orgs');
  await expectNoRawText(page);
  await page.goto(`${e.url}/system/tokens`);
  await page.getByRole('button', { name: '签发令牌' }).click();
  await pick(page, '#token_userId', '何晓明 (e2e.tech)');
  await pick(page, '#token_role', '实验员');
  await page.locator('#token_name').fill('LIMS 接口');
  await visible(page, '.ant-modal').filter({ hasText: '签发令牌' }).locator('.ant-modal-footer .ant-btn-primary').click();
  await visible(page, '.ct-secret code').waitFor();
  await shot(page, 'sysadmin-token-once');
  await page.getByRole('button', { name: '我已记下' }).click();
  await page.locator('tr', { hasText: 'LIMS 接口' }).getByText('何晓明 (e2e.tech)').waitFor();
  await screen(page, 'sysadmin-tokens');
  await expectNoRawText(page);
  await page.goto(`${e.url}/system/policy`);
  await page.locator('#policy_passwordMinLength').waitFor();
  await screen(page, 'sysadmin-policy');
  await expectNoRawText(page);
  await page.goto(`${e.url}/system/login-log`);
  await page.locator('tr', { hasText: 'new.tech' }).filter({ hasText: '用户已停用' }).first().waitFor();
  await screen(page, 'sysadmin-login-log');
  await expectNoRawText(page);
  await page.context().close();

  const en = await e.page({ viewport: { width: 1440, height: 900 }, locale: 'en' });
  await en.goto(`${e.url}/system/audit`);
  await en.locator('tr', { hasText: 'User created' }).filter({ hasText: 'Roles: Lab technician' }).first().waitFor();
  expect(await en.locator('.ant-menu-root').innerText()).toContain('System management');
  await screen(en, 'sysadmin-audit-en');
  await expectNoRawText(en);
  await en.context().close();
  expect(realErrors(e.errors)).toEqual([]);
});

test('a lab technician sees no system-management menu and gets 403 from its APIs', async () => {
  const page = await e.page({ user: 'e2e.tech', password: TECH_PASSWORD });
  await page.locator('.ant-menu').waitFor();
  expect(await page.locator('.ant-menu-root').innerText()).not.toContain('系统管理');
  await page.goto(`${e.url}/system/users`);
  await page.getByText('403').waitFor();
  const token = await e.server.login('e2e.tech', TECH_PASSWORD);
  for (const p of ['/api/v1/admin/users', '/api/v1/admin/audit', '/api/v1/admin/login-log', '/api/v1/admin/backups', '/api/v1/admin/tokens'])
    expect((await e.server.api('GET', p, { token })).status).toBe(403);
  expect((await e.server.api('POST', '/api/v1/admin/backups', { token, body: {} })).status).toBe(403);
  await page.context().close();
});
