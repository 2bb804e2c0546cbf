// An admin adds a field to the immune-cell template of the culture-record form in the form designer; a second
// signed-in user fills it at once, without restart, while the stem-cell template stays unchanged. Then the
// version history rolls the form back, and the numbering designer previews the next number.
import type { Page } from 'playwright-core';
import { realErrors, seedCultures, shot, startE2E, type E2E } from './support/fixture';

jest.setTimeout(120_000);

let e: E2E;
beforeAll(async () => {
  e = await startE2E();
  await seedCultures(e, 4);
  // The "technician": any second account (roles are another helper's work; this one is an admin too).
  const r = await e.server.api('POST', '/api/v1/admin/users', { token: e.token, body: { username: 'tech1', displayName: '技术员一', password: 'Tech#123456789', isAdmin: true, mustChangePassword: false } });
  if (r.status >= 300) throw new Error(`create user: ${JSON.stringify(r.body)}`);
});
afterAll(async () => {
  await e?.close();
});

async function pickSelect(page: Page, scope: string, optionText: string) {
  await page.locator(scope).click();
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: optionText }).first().click();
}

async function saveWithReason(page: Page, reason: string) {
  await page.getByRole('button', { name: '保存为新版本' }).click();
  await page.locator('#ct-reason').fill(reason);
  // Wait for this save's own answer: an earlier save's toast may still be showing.
  const answer = page.waitForResponse((r) => r.url().includes('/api/v1/meta/') && r.request().method() === 'PUT');
  await page.locator('.ant-modal-confirm .ant-btn-primary').click();
  expect((await answer).ok()).toBe(true);
  await page.getByText('已保存，立即生效').first().waitFor();
}

test('a field added to the immune template in the designer is live for another user; stem unchanged', async () => {
  const tech = await e.page({ user: 'tech1', password: 'Tech#123456789' });
  // The technician has the form open before the change (the shell loaded its metadata already).
  await tech.goto(`${e.url}/list/cultureRecord`);
  await tech.locator('.ag-row').first().waitFor();

  const admin = await e.page();
  await admin.goto(`${e.url}/admin/form/cultureRecord`);
  await admin.getByRole('tab', { name: /免疫细胞模板/ }).click();
  await admin.getByRole('button', { name: /新建字段/ }).first().click();
  await admin.locator('#ct-new-field-name').fill('cd8Ratio');
  await pickSelect(admin, '.ant-modal .ant-select:has(#ct-new-field-type)', '数字');
  await admin.locator('#ct-new-field-zh').fill('CD8+比例(%)');
  await admin.locator('#ct-new-field-en').fill('CD8+ ratio (%)');
  await admin.locator('.ant-modal:not(.ant-modal-confirm) .ant-btn-primary').click();
  // The live preview shows it once the immune template is chosen.
  await pickSelect(admin, '.ct-preview .ant-card-extra .ant-select', '免疫细胞');
  await admin.locator('.ct-preview #root_cd8Ratio').waitFor();
  await shot(admin, 'designer', { tall: true });
  // Reorder by the keyboard-accessible ↑ button: the new field moves above IL-2.
  await admin.getByRole('button', { name: '上移 cd8Ratio' }).click();
  await saveWithReason(admin, '增加 CD8+ 比例');

  // The technician opens a new record: no restart, no reload of the app.
  await tech.locator('.ant-menu').getByText('细胞培养记录').first().click().catch(() => undefined);
  await tech.getByRole('button', { name: /新\s*建/ }).click();
  await tech.locator('#root_cellKind').waitFor();
  await pickSelect(tech, '.ant-select:has(#root_cellKind)', '干细胞');
  await tech.locator('#root_passage').waitFor();
  expect(await tech.locator('#root_cd8Ratio').count()).toBe(0);
  await pickSelect(tech, '.ant-select:has(#root_cellKind)', '免疫细胞');
  await tech.locator('#root_cd8Ratio').waitFor();
  await tech.getByText('CD8+比例(%)').waitFor();
  await pickSelect(tech, '.ant-select:has(#root_order)', '张三'); // the order of 张三 (its second line names the customer)
  await tech.locator('.ant-select:has(#root_customer) .ant-select-selection-item', { hasText: '张三' }).waitFor();
  await tech.locator('#root_cultureDate').fill('2026-04-01');
  await tech.locator('#root_cultureDate').press('Enter');
  await tech.locator('#root_totalCells').fill('300');
  await tech.locator('#root_viability').fill('93');
  await tech.locator('#root_expansionFold').fill('25');
  await tech.locator('#root_cd3Ratio').fill('70');
  await tech.locator('#root_cd8Ratio').fill('31.5');
  await tech.locator('#root_cd8Ratio').press('Tab');
  await tech.getByRole('button', { name: /保\s*存/ }).click();
  await tech.waitForURL((u) => /^\/record\/cultureRecord\/\d+$/.test(u.pathname));
  await tech.getByText('CD8+比例(%)').first().waitFor();
  const id = Number(new URL(tech.url()).pathname.split('/').pop());
  const rec = await e.server.api('GET', `/api/v1/data/cultureRecord/${id}`, { token: e.token });
  expect(rec.body.data.cd8Ratio).toBe(31.5);

  // Stem template unchanged in the saved form metadata.
  const form = await e.server.api('GET', '/api/v1/meta/form/cultureRecord', { token: e.token });
  const stem = form.body.data.variants.find((v: any) => v.key === 'stem');
  expect(stem.sections.flatMap((s: any) => s.fields)).toEqual(['passage', 'confluence']);
  const immune = form.body.data.variants.find((v: any) => v.key === 'immune');
  expect(immune.sections.flatMap((s: any) => s.fields)).toEqual(['expansionFold', 'cd3Ratio', 'cd8Ratio', 'il2Added']);

  // Version history lists the change; rolling back to the shipped form removes the field from the form.
  await admin.getByRole('button', { name: /版本历史/ }).click();
  await admin.locator('.ant-drawer').getByText('增加 CD8+ 比例').waitFor();
  await admin.locator('.ant-drawer').getByRole('button', { name: '恢复出厂定义' }).click();
  await admin.locator('#ct-reason').fill('撤销试验字段');
  await admin.locator('.ant-modal-confirm .ant-btn-primary').click();
  await admin.locator('.ant-drawer').getByText('撤销试验字段').waitFor();
  const after = await e.server.api('GET', '/api/v1/meta/form/cultureRecord', { token: e.token });
  expect(after.body.data.variants.find((v: any) => v.key === 'immune').sections[0].fields).toEqual(['expansionFold', 'cd3Ratio', 'il2Added']);
  await admin.context().close();
  await tech.context().close();
});

test('numbering designer previews the next number of the draft', async () => {
  const admin = await e.page();
  await admin.goto(`${e.url}/admin/numbering/cultureBatch`);
  // The rule reads cellKind: until the sample record has it, the preview says so.
  await admin.getByText('生成编号需要字段 cellKind 的值').waitFor();
  await admin.getByRole('textbox', { name: 'cellKind' }).fill('immune');
  await admin.locator('.ct-number-preview').waitFor();
  await admin.waitForFunction(() => /^CBI\d{6}\d{4}.$/.test(document.querySelector('.ct-number-preview')?.textContent ?? ''));
  await shot(admin, 'designer-numbering');
  await admin.context().close();
});

test('no console errors', () => {
  expect(realErrors(e.errors)).toEqual([]);
});
