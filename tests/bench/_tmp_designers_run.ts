import pino from 'pino';
import crypto from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { launchBrowser, newPage, login } from '../e2e/support/browser';
import { measureDesigners } from './designers';
(async () => {
  const ROOT = '/work/wt-flows';
  const env = { ...process.env, DATABASE_URL: process.env.BENCH_DATABASE_URL!, ADMIN_PASSWORD: 'Bench#12345', DEMO_DATA: 'false', CELLTRACE_DATA_KEY: crypto.randomBytes(32).toString('hex') } as Record<string, string>;
  const server = await createServer({ ...loadConfig(env, ROOT), runJobs: false }, { logger: pino({ level: 'warn' }), print: () => {} });
  const base = await server.listen(0, '127.0.0.1');
  const browser = await launchBrowser();
  const { page } = await newPage(browser);
  await login(page, base, 'admin', 'Bench#12345');
  if (page.url().includes('password')) console.log('must change password?', page.url());
  await measureDesigners(page, base, console.log);
  await browser.close(); await server.stop(); process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
