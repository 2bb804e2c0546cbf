// One isolated CellTrace + Chromium per e2e file: own database, built web app, seeded records,
// and a console-error collector each test can assert on.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createDatabase, dropDatabase } from '../../support/pg';
import { startTestServer, type TestServer } from '../../support/app';
import { orderFor } from '../../support/labs';
import { launchBrowser, newPage, login, type PageOptions } from './browser';

const ROOT = path.resolve(__dirname, '../../..');
/** The manual's screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean. */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS ? path.join(ROOT, 'docs', 'screenshots') : path.join(require('node:os').tmpdir(), 'celltrace-screenshots');

let built = false;
/** Builds web/dist when a source is newer (scripts/build-web.mjs is a no-op otherwise). */
export function ensureWebBuilt(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`web build failed:\n${r.stdout}\n${r.stderr}`);
  built = true;
}

export interface E2E {
  server: TestServer;
  url: string;
  token: string;
  browser: Browser;
  dbName: string;
  /** Console errors and page errors seen by pages opened through `page()`. */
  errors: string[];
  page(opts?: PageOptions & { user?: string; password?: string; noLogin?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

/** `demo`: load the demo data (org tree, demo users, records); `env`: extra configuration (e.g. DEMO_PASSWORD). */
export async function startE2E(opts: { plugins?: string[]; demo?: boolean; env?: Record<string, string> } = {}): Promise<E2E> {
  ensureWebBuilt();
  const db = await createDatabase('ct_e2e');
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startTestServer({ databaseUrl: db.url, plugins: opts.plugins, demo: opts.demo, env: opts.env });
    const token = await server.login();
    browser = await launchBrowser();
    const errors: string[] = [];
    const s = server;
    const b = browser;
    return {
      server: s,
      url: s.url,
      token,
      browser: b,
      dbName: db.name,
      errors,
      async page(o = {}) {
        const { page } = await newPage(b, o);
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
        if (!o.noLogin) {
          if (o.locale === 'en') await page.addInitScript(() => localStorage.setItem('ct.lang', 'en'));
          await login(page, s.url, o.user ?? 'admin', o.password ?? 'Admin#12345');
        }
        return page;
      },
      async close() {
        await b.close().catch(() => {});
        await s.stop().catch(() => {});
        await dropDatabase(db.name).catch(() => {});
      },
    };
  } catch (e) {
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await dropDatabase(db.name).catch(() => {});
    throw e;
  }
}

/** Expected noise: a 4xx the test provokes on purpose shows up as "Failed to load resource". */
export function realErrors(errors: string[]): string[] {
  return errors.filter((e) => !/Failed to load resource: the server responded with a status of (4\d\d)/.test(e));
}

/** Creates customers and culture records through the API (the record pipeline numbers them). */
export async function seedCultures(e: E2E, n = 24): Promise<{ customers: number[]; cultures: { id: number; batchCode: string; cellKind: string; operator: string }[] }> {
  const customers: number[] = [];
  for (const name of ['张三', '李四', '王五']) {
    const r = await e.server.api('POST', '/api/v1/data/customer', { token: e.token, body: { name } });
    if (r.status !== 201 && r.status !== 200) throw new Error(`seed customer: ${JSON.stringify(r.body)}`);
    customers.push(r.body.data.id);
  }
  // Operators are people (user references): two colleagues besides the administrator who seeds.
  const people: Record<string, number> = {};
  for (const [username, displayName] of [['op.alpha', 'Operator Alpha'], ['op.beta', 'Operator Beta']]) {
    const r = await e.server.api('POST', '/api/v1/admin/users', { token: e.token, body: { username, displayName, password: 'Op#Passw0rd-1', mustChangePassword: false } });
    if (r.status !== 201) throw new Error(`seed user: ${JSON.stringify(r.body)}`);
    people[displayName] = r.body.data.id;
  }
  const me = (await e.server.api('GET', '/api/v1/auth/me', { token: e.token })).body.user.displayName as string;
  const orders = [];
  for (const customer of customers) orders.push(await orderFor(e.server, customer));
  const cultures = [];
  for (let i = 0; i < n; i++) {
    const stem = i % 2 === 0;
    const body: Record<string, unknown> = {
      customer: customers[i % customers.length],
      order: orders[i % customers.length],
      cellKind: stem ? 'stem' : 'immune',
      cultureDate: `2026-03-${String((i % 28) + 1).padStart(2, '0')}`,
      ...(i % 3 === 0 ? { operator: people['Operator Alpha'] } : {}),
      totalCells: 100 + i * 10,
      viability: 80 + (i % 20),
      ...(stem ? { passage: (i % 10) + 1 } : { expansionFold: 10 + i, cd3Ratio: 60 }),
    };
    const r = await e.server.api('POST', '/api/v1/data/cultureRecord', { token: e.token, body });
    if (r.status !== 201 && r.status !== 200) throw new Error(`seed culture: ${JSON.stringify(r.body)}`);
    cultures.push({ id: r.body.data.id, batchCode: r.body.data.batchCode, cellKind: body.cellKind as string, operator: i % 3 === 0 ? 'Operator Alpha' : me });
  }
  return { customers, cultures };
}

/** Screenshot for the manual; `tall` grows the viewport to the page height (≤ 1800 px) so the whole screen shows. */
export async function shot(page: Page, name: string, opts: { tall?: boolean } = {}): Promise<void> {
  const vp = page.viewportSize();
  if (opts.tall && vp) {
    const h = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: vp.width, height: Math.min(Math.max(h, vp.height), 1800) });
    await page.waitForTimeout(200);
  }
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  if (opts.tall && vp) await page.setViewportSize(vp);
}
