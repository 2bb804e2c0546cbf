// `npm run bench` (web part): gzipped size of the JS the login route loads and of what the first list page adds
// (and the bytes actually sent, brotli where the browser accepts it), the time to first rows of the culture list
// (1,000,000 rows in the bench database) and the time to open each designer, in headless Chromium. Figures, not
// assertions.
// Env: BENCH_DATABASE_URL (required), BENCH_ADMIN_PASSWORD.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import type { Page } from 'playwright-core';
import { launchBrowser, newPage, login } from '../e2e/support/browser';
import { measureDesigners } from './designers';

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'web', 'dist');

interface Scripts {
  files: number;
  raw: number;
  gz: number;
  sent: number;
}
/** The JS files a step loads: their raw size, gzip -9 size, and the bytes the server sent (its Content-Encoding). */
async function scriptsOf(page: Page, step: () => Promise<unknown>): Promise<Scripts> {
  const seen = new Map<string, Promise<number>>();
  const onResponse = (r: import('playwright-core').Response) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith('.js') && !seen.has(u.pathname)) seen.set(u.pathname, r.request().sizes().then((x) => x.responseBodySize).catch(() => 0));
  };
  page.on('response', onResponse);
  await step();
  page.off('response', onResponse);
  const out: Scripts = { files: seen.size, raw: 0, gz: 0, sent: 0 };
  for (const [p, sent] of seen) {
    const buf = fs.readFileSync(path.join(DIST, p));
    out.raw += buf.length;
    out.gz += zlib.gzipSync(buf, { level: 9 }).length;
    out.sent += await sent;
  }
  return out;
}
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
function print(label: string, s: Scripts) {
  console.log(`  ${label}: ${s.files} files, ${kib(s.raw)} raw, ${kib(s.gz)} gzipped, ${kib(s.sent)} sent`);
}

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
    // (1) JS fetched by the login route, gzipped, and as the server sent it.
    const { context, page } = await newPage(browser);
    const login0 = await scriptsOf(page, () => page.goto(`${base}/login`, { waitUntil: 'networkidle' }));
    print('initial JS (login route)', login0);
    // (1b) Everything the first list page needs from a cold cache: the login route, the shell, the list's chunks.
    const { context: c2, page: p2 } = await newPage(browser);
    const list0 = await scriptsOf(p2, async () => {
      await login(p2, base, 'admin', password);
      await p2.goto(`${base}/list/cultureRecord`);
      await p2.locator('.ag-row').first().waitFor();
    });
    print('first list page (cold, with sign-in)', list0);
    await c2.close();

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
    // (3) The designers (goal: < 1 s).
    const worst = await measureDesigners(page, base, console.log);
    console.log(`  ${'designers, slowest in-app open'.padEnd(38)} ${String(worst).padStart(6)} ms`);
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
