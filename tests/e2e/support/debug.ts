// Ad-hoc driver for a running dev server: `npx tsx tests/e2e/support/debug.ts <path> [shot]`.
import { launchBrowser, newPage, login } from './browser';
(async () => {
  const base = process.env.BASE ?? 'http://127.0.0.1:3457';
  const b = await launchBrowser();
  const { page } = await newPage(b, { locale: (process.env.LOCALE as any) ?? 'zh-CN', viewport: process.env.TABLET ? { width: 1024, height: 768 } : undefined });
  page.on('console', (m) => console.log('console', m.type(), m.text().slice(0, 300)));
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  await login(page, base, 'admin', 'Admin#12345');
  await page.goto(base + process.argv[2]);
  await page.waitForTimeout(Number(process.env.WAIT ?? 2500));
  if (process.env.SCRIPT) await eval(`(async () => { ${process.env.SCRIPT} })()`);
  await page.screenshot({ path: `/tmp/dbg/${process.argv[3] ?? 'shot'}.png`, fullPage: !!process.env.FULL });
  await b.close();
})();
