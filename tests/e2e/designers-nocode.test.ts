// Designers for an admin who writes no code (issue 16 item 5): a field added by typing only its Chinese label
// (the id is generated from the pinyin, English left out) shows on a technician's form; a role named in Chinese
// gets a safe id; a flow's deadline is "24 小时"; a guard is built from fields, operators and values and reads as
// a sentence; a formerly raw-JSON kind is edited through the form generated from its meta-schema.
import type { Page } from 'playwright-core';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { DESIGNERS, measureDesigners } from '../bench/designers';

jest.setTimeout(180_000);

let e: E2E;
const TECH_PASSWORD = 'Tech#Passw0rd-16';

async function ok(r: { status: number; body: any }) {
  if (r.status >= 300) throw new Error(`${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

beforeAll(async () => {
  e = await startE2E();
  const org = async (kind: string, code: string, name: string, nameEn: string, parentId: number | null) =>
    (await ok(await e.server.api('POST', '/api/v1/admin/orgs', { token: e.token, body: { kind, code, name, nameEn, parentId } }))).data.id as number;
  const company = await org('company', 'NC', '无代码公司', 'No-code company', null);
  const centre = await org('centre', 'NC-SH', '上海中心', 'Shanghai centre', company);
  const lab = await org('lab', 'NC-SH-CB', '上海细胞库实验室', 'Shanghai cell bank lab', centre);
  await ok(await e.server.api('POST', '/api/v1/admin/users', {
    token: e.token, body: { username: 'nc.tech', displayName: '何晓明', password: TECH_PASSWORD, mustChangePassword: false, orgId: lab, roles: ['technician'] },
  }));
}, 150_000);

afterAll(async () => {
  await e?.close();
});

async function saveWithReason(page: Page, reason: string, expectSaved = true) {
  await page.getByRole('button', { name: '保存为新版本' }).click();
  await page.locator('#ct-reason').fill(reason);
  const answer = page.waitForResponse((r) => r.url().includes('/api/v1/meta/') && r.request().method() === 'PUT');
  await page.locator('.ant-modal-confirm .ant-btn-primary').click();
  expect((await answer).ok()).toBe(expectSaved);
  if (expectSaved) await page.getByText('已保存，立即生效').first().waitFor();
}

test('a field added by its Chinese label only gets a pinyin id and shows on a technician\'s form', async () => {
  const admin = await e.page();
  await admin.goto(`${e.url}/admin/entity/customer`);
  await admin.getByRole('button', { name: /添加字段/ }).click();
  const zh = admin.locator('input[id$="-zh"][id^="ct-entity-field-"]').last();
  await zh.fill('紧急联系人');
  // The id follows the label: pinyin, camelCase; shown and editable.
  await admin.waitForFunction(() => Array.from(document.querySelectorAll<HTMLInputElement>('.ct-field-id')).some((i) => i.value === 'jinJiLianXiRen'));
  await shot(admin, 'designer-entity-pinyin-id');
  await saveWithReason(admin, '增加紧急联系人');
  const saved = (await ok(await e.server.api('GET', '/api/v1/meta/entity/customer', { token: e.token }))).data;
  expect(saved.properties.jinJiLianXiRen['x-label']).toEqual({ 'zh-CN': '紧急联系人' });

  // A technician (own lab, role technician) opens a new customer: the field is there, labelled in Chinese — also in English.
  const tech = await e.page({ user: 'nc.tech', password: TECH_PASSWORD });
  await tech.goto(`${e.url}/form/customer/new`);
  await tech.locator('#root_jinJiLianXiRen').waitFor();
  await tech.getByText('紧急联系人').first().waitFor();
  await tech.context().close();
  const techEn = await e.page({ user: 'nc.tech', password: TECH_PASSWORD, locale: 'en' });
  await techEn.goto(`${e.url}/form/customer/new`);
  await techEn.locator('#root_jinJiLianXiRen').waitFor();
  await techEn.getByText('紧急联系人').first().waitFor();
  await techEn.context().close();
  await admin.context().close();
});

test('a role named in Chinese gets a generated id; a wrong id is refused with the rule', async () => {
  const admin = await e.page();
  await admin.goto(`${e.url}/admin/role`);
  await admin.getByRole('button', { name: /新\s*建/ }).click();
  await admin.locator('#ct-new-def-name').fill('质检复核员');
  await admin.waitForFunction(() => (document.querySelector<HTMLInputElement>('#ct-new-def-id')?.value ?? '') === 'zhiJianFuHeYuan');
  // A Chinese id is not silently dropped: the dialog says why.
  await admin.locator('#ct-new-def-id').fill('质检');
  await admin.locator('.ant-modal .ant-btn-primary').click();
  await admin.getByText(/标识须以小写字母开头/).first().waitFor();
  await admin.locator('#ct-new-def-id').fill('zhiJianFuHeYuan');
  // The corrected id passes its check (the message goes), then the dialog opens the role editor.
  await admin.locator('.ant-modal .ant-form-item-explain-error').waitFor({ state: 'detached' });
  await admin.locator('.ant-modal .ant-btn-primary').click();
  await admin.waitForURL((u) => u.pathname === '/admin/role/zhiJianFuHeYuan');
  await saveWithReason(admin, '新增角色');
  const role = (await ok(await e.server.api('GET', '/api/v1/meta/role/zhiJianFuHeYuan', { token: e.token }))).data;
  expect(role.label).toEqual({ 'zh-CN': '质检复核员' });
  await admin.context().close();
});

async function pickOption(page: Page, ariaLabel: string, optionText: string | RegExp) {
  await page.locator(`.ant-select:has(input[aria-label="${ariaLabel}"])`).click();
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: optionText }).first().click();
}

test('flow designer: a deadline of "24 小时", and a guard built from fields, operators and values reads as a sentence', async () => {
  const admin = await e.page();
  await admin.goto(`${e.url}/admin/flow/qcRecordReview`);
  // The shipped guard of "放行" (transition 4), in words, with the field and value labels.
  const guard = admin.locator('[data-testid="guard-3"]');
  await guard.locator('.ct-cond-sentence', { hasText: '当 无菌 不等于 阳性 且 支原体 不等于 阳性' }).waitFor();
  await guard.getByRole('button', { name: /添加条件$/ }).click();
  await pickOption(admin, '前置条件 4 字段 3', '活率(%)');
  await pickOption(admin, '前置条件 4 运算 3', '大于或等于');
  await guard.getByRole('spinbutton', { name: '前置条件 4 值 3' }).fill('80');
  await guard.locator('.ct-cond-sentence', { hasText: '当 无菌 不等于 阳性 且 支原体 不等于 阳性 且 活率(%) 大于或等于 80' }).waitFor();

  // The countersign step's deadline: 2 天 as shipped (P2D), now 24 小时.
  const step = admin.locator('[data-state-editor="countersign"]');
  const after = step.getByRole('spinbutton', { name: '处理时限' });
  expect(await after.inputValue()).toBe('2');
  await after.fill('24');
  await pickOption(admin, '处理时限 单位', '小时');
  expect(await step.getByRole('spinbutton', { name: '提前提醒' }).inputValue()).toBe('8');
  await shot(admin, 'designer-flow-nocode', { tall: true });
  await saveWithReason(admin, '放行要求活率不低于 80，会签 24 小时内完成');

  const flow = (await ok(await e.server.api('GET', '/api/v1/meta/flow/qcRecordReview', { token: e.token }))).data;
  expect(flow.states.countersign.due).toEqual({ after: 'PT24H', remindBefore: 'PT8H' });
  expect(flow.transitions[3].guard).toEqual({
    and: [{ '!=': [{ var: 'sterility' }, 'positive'] }, { '!=': [{ var: 'mycoplasma' }, 'positive'] }, { '>=': [{ var: 'viability' }, 80] }],
  });
  // Read back after the save: the same sentence, from the stored JSON Logic.
  await admin.reload();
  await admin.locator('[data-testid="guard-3"] .ct-cond-sentence', { hasText: '活率(%) 大于或等于 80' }).waitFor();
  await admin.context().close();
});

test('a QC gate (formerly raw JSON) is edited through the form generated from its meta-schema', async () => {
  const admin = await e.page();
  await admin.goto(`${e.url}/admin/qcGate/stockInRequiresQc`);
  const form = admin.locator('.ct-schema-designer');
  // Names, never keys: the guarded entity and the result fields by their labels.
  await form.getByText('受控实体').waitFor();
  await form.locator('.ant-select-selection-item', { hasText: '入库' }).first().waitFor();
  await form.locator('.ant-select-selection-item', { hasText: '无菌' }).first().waitFor();
  expect(await form.locator('textarea').count()).toBe(0);
  const validity = form.locator('.ant-formily-item', { hasText: '有效期（天）' }).locator('input');
  await validity.fill('30');
  await form.locator('.ant-formily-item', { hasText: '须电子签名' }).getByRole('switch').click();
  await shot(admin, 'designer-qc-gate', { tall: true });
  await saveWithReason(admin, '入库质检 30 天内有效，须签名');
  const gate = (await ok(await e.server.api('GET', '/api/v1/meta/qcGate/stockInRequiresQc', { token: e.token }))).data;
  expect(gate).toMatchObject({ $id: 'stockInRequiresQc', kind: 'qcGate', entity: 'stockIn', validityDays: 30, requireSignature: true, fields: ['viability', 'sterility', 'mycoplasma'], subject: { field: 'batch', entity: 'cellBatch', qcField: 'batch' } });
  expect(JSON.stringify(gate)).not.toContain('__DO_NOT_USE');
  await admin.context().close();
});

test('designers open: in-app and cold times (figures for issue 16, goal < 1 s)', async () => {
  const page = await e.page();
  const lines: string[] = [];
  const worst = await measureDesigners(page, e.url, (l) => lines.push(l));
  console.log(`designer open times (test database):\n${lines.join('\n')}\n  slowest in-app ${worst} ms`);
  expect(lines).toHaveLength(DESIGNERS.length);
  await page.context().close();
});

test('no console errors', () => {
  expect(realErrors(e.errors)).toEqual([]);
});
