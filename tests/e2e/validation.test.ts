// Validation a lab expects, in Chromium (issue 16): a birth date in the future and a 5-digit ID number are refused in
// the form before anything is sent, Enter in the date field does not submit the form, and once fixed, "saved" is not
// shown beside an old error toast.
import { realErrors, startE2E, type E2E } from './support/fixture';

jest.setTimeout(90_000);

let e: E2E;
beforeAll(async () => {
  e = await startE2E();
});
afterAll(async () => {
  await e?.close();
});

test('future birth date and a short ID number are refused in the form; Enter does not submit; no stale error beside "saved"', async () => {
  const page = await e.page();
  let posts = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/v1/data/customer')) posts++;
  });
  await page.goto(`${e.url}/form/customer/new`);
  await page.locator('#root_name').fill('王未来');
  const d = new Date(Date.now() + 3 * 86400_000);
  const future = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  await page.locator('#root_birthDate').click();
  await page.locator('#root_birthDate').fill(future);
  await page.locator('#root_birthDate').press('Enter');
  await page.locator('#root_idNumber').fill('12345');
  await page.locator('#root_idNumber').press('Enter');
  // Enter submitted nothing: still on the new form, no request, no error shown yet.
  expect(new URL(page.url()).pathname).toBe('/form/customer/new');
  expect(posts).toBe(0);
  expect(await page.getByText('不能晚于今天').count()).toBe(0);

  await page.getByRole('button', { name: /保\s*存/ }).click();
  await page.getByText('不能晚于今天').waitFor();
  await page.getByText('不是有效的居民身份证号码（18 位，出生日期和校验码须正确）').waitFor();
  await page.locator('.ant-message-error').waitFor();
  expect(posts).toBe(0);

  await page.locator('#root_birthDate').click();
  await page.locator('#root_birthDate').fill('1980-05-06');
  await page.keyboard.press('Escape');
  await page.locator('#root_idNumber').fill('11010519491231002X');
  await page.getByRole('button', { name: /保\s*存/ }).click();
  await page.waitForURL((u) => /^\/record\/customer\/\d+$/.test(u.pathname));
  await page.locator('.ant-message-success', { hasText: '已保存' }).waitFor();
  // The old "fix the errors" toast was dismissed with the success (it may still be fading out, never staying).
  expect(await page.locator('.ant-message-notice-wrapper:not(.ant-message-move-up-leave) .ant-message-error').count()).toBe(0);
  await page.locator('.ant-message-error').waitFor({ state: 'detached', timeout: 1000 });
  expect(posts).toBe(1);
  await page.context().close();
});

test('no console errors', () => {
  expect(realErrors(e.errors)).toEqual([]);
});
