// Time to open the admin designers in headless Chromium (issue 16: < 1 s): in-app navigation from the home page and a
// cold page load, until the designer's toolbar (its save button) shows. Used by tests/bench/web.ts; runnable alone on
// any database: BENCH_DATABASE_URL=… tsx tests/bench/designers.ts
import type { Page } from 'playwright-core';

export const DESIGNERS = ['/admin/entity/cultureRecord', '/admin/form/cultureRecord', '/admin/list/cultureRecord', '/admin/flow/stockOutApproval', '/admin/role/technician', '/admin/numbering/cultureBatch', '/admin/dictionary/cellKind', '/admin/qcGate/stockInRequiresQc'];

export async function measureDesigners(page: Page, base: string, print: (line: string) => void): Promise<number> {
  let worst = 0;
  const ready = () => page.getByRole('button', { name: /保存为新版本|Save as new version/ }).waitFor();
  for (const p of DESIGNERS) {
    await page.goto(`${base}/`, { waitUntil: 'networkidle' });
    const t0 = Date.now();
    await page.evaluate((to) => {
      history.pushState(null, '', to);
      window.dispatchEvent(new PopStateEvent('popstate'));
    }, p);
    await ready();
    const inApp = Date.now() - t0;
    const t1 = Date.now();
    await page.goto(`${base}${p}`);
    await ready();
    const cold = Date.now() - t1;
    worst = Math.max(worst, inApp);
    print(`  ${`designer ${p}`.padEnd(44)} in-app ${String(inApp).padStart(5)} ms · cold ${String(cold).padStart(5)} ms`);
  }
  return worst;
}
