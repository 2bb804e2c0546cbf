import pino from 'pino';
import crypto from 'node:crypto';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { launchBrowser, newPage, login } from '../e2e/support/browser';
(async () => {
  const env = { ...process.env, DATABASE_URL: process.env.BENCH_DATABASE_URL!, ADMIN_PASSWORD: 'Bench#12345', DEMO_DATA: 'false', CELLTRACE_DATA_KEY: crypto.randomBytes(32).toString('hex') } as Record<string, string>;
  const server = await createServer({ ...loadConfig(env, '/work/wt-flows'), runJobs: false }, { logger: pino({ level: 'warn' }), print: () => {} });
  const base = await server.listen(0, '127.0.0.1');
  const browser = await launchBrowser();
  const { page } = await newPage(browser);
  await login(page, base, 'admin', 'Bench#12345');
  for (const p of (process.env.P ?? '/admin/form/cultureRecord').split(',')) {
    for (let round = 0; round < 2; round++) {
      await page.goto(`${base}/`, { waitUntil: 'networkidle' });
      const t0 = Date.now();
      const log: string[] = [];
      const onReq = (r: any) => log.push(`${Date.now() - t0} req ${r.url().replace(base, '')}`);
      const onRes = (r: any) => log.push(`${Date.now() - t0} res ${r.status()} ${r.url().replace(base, '')}`);
      page.on('request', onReq); page.on('response', onRes);
      await page.evaluate((to) => { history.pushState(null, '', to); window.dispatchEvent(new PopStateEvent('popstate')); }, p);
      await page.getByRole('button', { name: /保存为新版本/ }).waitFor();
      log.push(`${Date.now() - t0} READY`);
      page.off('request', onReq); page.off('response', onRes);
      console.log(p, round, '\n ' + log.join('\n '));
    }
  }
  await browser.close(); await server.stop(); process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
