// `npm run bench` (web part): gzipped size of the JS the login route loads, and the time to first rows of
// the culture list (1,000,000 rows in the bench database) in headless Chromium. Figures, not assertions.
// Env: BENCH_DATABASE_URL (required), BENCH_ADMIN_PASSWORD.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { launchBrowser, newPage, login } from '../e2e/support/browser';

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'web', 'dist');

async function main() {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL is required');
  const password = process.env.BENCH_ADMIN_PASSWORD ?? 'Bench#12345';
  const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`web build failed: ${b.stderr}`);

  const env = { ...process.env, DATABASE_URL: url, ADMIN_PASSWORD: password, DEMO_DATA: 'false' } as Record<string, string>;
  env.CELLTRACE_DATA_KEY ??= crypto.randomBytes(32).toString('hex');
  const config = { ...loadConfig(env, ROOT), runJobs: false };
  const server = await createServer(config, { logger: pino({ level: 'warn' }), print: () => {} });
  const base = await server.listen(0, '127.0.0.1');
  const browser = await launchBrowser();
  try {
    // (1) JS fetched by the login route, gzipped as a server would send it.
    const { context, page } = await newPage(browser);
    const scripts = new Set<string>();
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.pathname.endsWith('.js')) scripts.add(u.pathname);
    });
    await page.goto(`${base}/login`, { waitUntil: 'networkidle' });
    let raw = 0;
    let gz = 0;
    for (const p of scripts) {
      const buf = fs.readFileSync(path.join(DIST, p));
      raw += buf.length;
      gz += zlib.gzipSync(buf, { level: 9 }).length;
    }
    console.log(`  initial JS (login route): ${scripts.size} files, ${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped`);

    // (2) Time to first rows of the culture list.
    await login(page, base, 'admin', password);
    const total = await page.evaluate(async () => {
      const r = await fetch('/api/v1/data/cultureRecord?limit=1&count=true', { credentials: 'include' });
      const p = ((await r.json()) as { page?: { total?: number; totalCapped?: boolean } }).page;
      return p?.total === undefined ? undefined : `${p.totalCapped ? 'more than ' : ''}${p.total.toLocaleString()}${p.totalCapped ? ' (counts stop there)' : ''}`;
    });
    const measure = async (label: string) => {
      await page.goto(`${base}/`, { waitUntil: 'networkidle' });
      const t0 = Date.now();
      await page.goto(`${base}/list/cultureRecord`);
      await page.locator('.ag-row [col-id="batchCode"]').first().waitFor();
      await page.waitForFunction(() => !!document.querySelector('.ag-row [col-id="batchCode"]')?.textContent);
      const ms = Date.now() - t0;
      console.log(`  ${label.padEnd(38)} ${String(ms).padStart(6)} ms`);
      return ms;
    };
    console.log(`  culture records in the database: ${total ?? '?'}`);
    await measure('first rows, cold page load');
    await measure('first rows, second page load');
    // In-app navigation (no page load): the usual case at the bench.
    await page.goto(`${base}/`, { waitUntil: 'networkidle' });
    const t0 = Date.now();
    await page.evaluate(() => {
      history.pushState(null, '', '/list/cultureRecord');
      window.dispatchEvent(new PopStateEvent('popstate'));
    });
    await page.waitForFunction(() => !!document.querySelector('.ag-row [col-id="batchCode"]')?.textContent);
    console.log(`  ${'first rows, in-app navigation'.padEnd(38)} ${String(Date.now() - t0).padStart(6)} ms`);
    await context.close();
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
