// Issue 16, "Done when": a walk through every menu entry the shell renders, as the administrator and as the demo lab's
// technician, director, inventory keeper and QC inspector, in zh-CN and en, at 1440 × 900 (each list's first record
// and its edit form too) and 1024 × 768 (every menu page once). On each page, once it has settled (no request in
// flight, no spinner, the DOM quiet), the visible text must show no raw id ("#12", an "id" column, "[object Object]"),
// no raw JSON, no untranslated message key, no camelCase field name, no "undefined"/"null"/"NaN", in en no Chinese in
// headers, labels, menus and buttons (demo data itself is Chinese), and the page must log no console or page error
// and get no 5xx. Every problem of every page is collected, so one run names them all. Edit forms are walked in en
// as the administrator and in zh-CN as every role, records likewise (the time budget: the whole file stays within a few
// minutes).
import type { Page } from 'playwright-core';
import { realErrors, shot, startE2E, type E2E } from './support/fixture';

jest.setTimeout(240_000);

const DEMO_PASSWORD = 'Demo#Walk-2026';
const WALK_PASSWORD = 'Walk#Own-Passw0rd';
const ADMIN_PASSWORD = 'Admin#12345';
/** The roles the walk signs in as (the administrator and four demo users of the Shanghai lab). */
const USERS = ['admin', 'sh.tech', 'sh.director', 'sh.inventory', 'sh.qc'] as const;
type Locale = 'zh-CN' | 'en';

interface Problem {
  /** Path with record ids replaced by ":id". */
  page: string;
  kind: string;
  /** The offending text. */
  token: string;
  /** Some text around it, to find it on the page. */
  context: string;
}

/**
 * Findings not fixed yet: each names the page, the kind and the text, with the reason. The walk asserts each still
 * shows up (like tests/api/isolation-matrix.test.ts KNOWN_OPEN), so a fix has to remove its entry.
 */
const KNOWN: { page: RegExp; kind: string; token: RegExp; reason: string }[] = [
  // The designers name metadata definitions and fields as "label (identifier)" in their pickers, field lists and
  // headers, so an administrator can tell them apart and see what a definition refers to. The index pages show the
  // identifier as code marked translate="no"; the designers themselves still print it as plain text.
  { page: /^\/admin\/[A-Za-z]+\/[^/ ]+ /, kind: 'camelCase name', token: /./, reason: 'designer identifiers shown as plain text, not marked as code' },
];

let e: E2E;
/** Every login name (data, though "sh.tech" looks like a message key). */
let usernames: string[] = [];
/** Every user's display name (people's names are data in any language). */
let people: string[] = [];
const found: { run: string; p: Problem }[] = [];
/** The menu entries each user saw at 1440 × 900 (reused at 1024 × 768, where the menu is an icon rail). */
const menus = new Map<string, MenuEntry[]>();

interface MenuEntry {
  key: string;
  label: string;
}

beforeAll(async () => {
  e = await startE2E({ demo: true, env: { DEMO_PASSWORD } });
  // Demo users must change the shared demo password at first login: each does so once, through the API.
  for (const u of USERS.filter((x) => x !== 'admin')) {
    const first = await e.server.login(u, DEMO_PASSWORD);
    const r = await e.server.api('POST', '/api/v1/auth/change-password', { token: first, body: { oldPassword: DEMO_PASSWORD, newPassword: WALK_PASSWORD } });
    if (r.status !== 200) throw new Error(`${u}: change password: ${JSON.stringify(r.body)}`);
  }
  const users = (await e.server.api('GET', '/api/v1/admin/users?limit=500', { token: e.token })).body.data as { username: string; displayName: string }[];
  usernames = users.map((u) => u.username);
  people = users.map((u) => u.displayName);
}, 180_000);

afterAll(async () => {
  await e?.close();
});

/** Requests in flight for a page, counted from Playwright's events (finished = body received). */
function trackRequests(page: Page) {
  const state = { n: 0, waiters: [] as (() => void)[], bad: [] as string[] };
  const done = () => {
    state.n = Math.max(0, state.n - 1);
    if (state.n === 0) state.waiters.splice(0).forEach((w) => w());
  };
  page.on('request', () => state.n++);
  page.on('requestfinished', done);
  page.on('requestfailed', (r) => {
    // A request dropped by navigation is not an error.
    if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) state.bad.push(`${r.method()} ${new URL(r.url()).pathname}: ${r.failure()?.errorText}`);
    done();
  });
  page.on('response', (r) => {
    if (r.status() >= 500) state.bad.push(`${r.request().method()} ${new URL(r.url()).pathname}: HTTP ${r.status()}`);
  });
  const idle = () => (state.n === 0 ? Promise.resolve() : new Promise<void>((res) => state.waiters.push(res)));
  return { state, idle };
}

/** The page's DOM mutation clock, installed before any script of the app runs. */
async function installQuietClock(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __ctLastMutation: number };
    w.__ctLastMutation = Date.now();
    new MutationObserver(() => (w.__ctLastMutation = Date.now())).observe(document, { childList: true, subtree: true, characterData: true });
  });
}

/** Settled: no request in flight, no spinner or skeleton or loading grid row, and no DOM change for 120 ms. */
async function settle(page: Page, net: ReturnType<typeof trackRequests>) {
  for (let round = 0; round < 20; round++) {
    await net.idle();
    await page.waitForFunction(
      () => {
        const w = window as unknown as { __ctLastMutation: number };
        const busy = document.querySelector('.ant-spin-spinning, .ant-skeleton-active, .ag-overlay-loading-wrapper, .ag-loading, .ant-btn-loading');
        return !busy && Date.now() - w.__ctLastMutation > 120;
      },
      undefined,
      { polling: 50, timeout: 20_000 },
    );
    if (net.state.n === 0) return;
  }
}

/**
 * Everything a person should not see on the page, from its visible text (runs in the page). Text marked
 * `translate="no"` (a record's title, a person's name, a designer's identifier shown as code), the users' login names
 * and people's names are data: exempt from the key, camelCase and (en) Chinese checks, never from the id/JSON checks.
 */
function inspect({ locale, usernames, people }: { locale: Locale; usernames: string[]; people: string[] }): { kind: string; token: string; context: string }[] {
  const out: { kind: string; token: string; context: string }[] = [];
  const logins = new Set(usernames);
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
  const scan = (text: string, kind: string, re: RegExp, keep: (m: RegExpMatchArray) => boolean = () => true) => {
    for (const m of text.matchAll(re)) {
      if (!keep(m)) continue;
      const i = m.index ?? 0;
      out.push({ kind, token: m[0].trim(), context: squash(text.slice(Math.max(0, i - 40), i + m[0].length + 40)) });
    }
  };
  const all = document.body.innerText;
  scan(all, 'raw id', /(?<![\w&#])#\d+\b/g);
  scan(all, 'raw id', /\[object \w+\]/g);
  scan(all, 'raw JSON', /\{\s*"|"\s*:\s*["{[\d]|\[\s*\{|(?<![\w\]])\[\]|(?<![\w}])\{\}/g);
  scan(all, 'undefined/null/NaN', /(?<![\w.-])(undefined|null|NaN)(?![\w-])/g);
  // While reading the rest, data marked translate="no" is not rendered (innerText leaves it out); put back at once.
  const hide = document.createElement('style');
  hide.textContent = '[translate="no"] { display: none !important; }';
  document.head.appendChild(hide);
  try {
    const body = document.body.innerText;
    // Permission and action keys ("users:admin"), not times or addresses.
    scan(body, 'raw key', /(?<![\w/.:-])[a-z]+:[a-z][a-zA-Z]*(?![\w/-])/g);
    // Message keys (form.xxx, record.xxx, ledger.xxx…): lowercase dotted words, but not file names, hosts or logins.
    const FILE_OR_HOST = /\.(json|xlsx|csv|png|jpe?g|pdf|gz|sql|dump|zip|tar|txt|js|com|cn|org|net|local|io)$/i;
    scan(body, 'message key', /(?<![\w@/.:-])[a-z][a-zA-Z0-9]*(?:\.[a-zA-Z][a-zA-Z0-9_]*)+(?![\w/@-])/g, (m) => !FILE_OR_HOST.test(m[0]) && !/^([a-z]\.)+[a-z]?$/.test(m[0]) && !logins.has(m[0]));
    scan(body, 'camelCase name', /(?<![\w.-])[a-z]+(?:[A-Z][a-z0-9]+)+(?![\w-])/g);
    // Headers and labels: an "id" column, a lowercase field name; in en, any Chinese in the page's own words.
    const HEADERS = 'th, .ag-header-cell-text, label, .ant-descriptions-item-label, .ant-form-item-label, .ant-tabs-tab-btn, .ant-card-head-title, h1, h2, h3, h4, h5';
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(HEADERS))) {
      const t = squash(el.innerText ?? '');
      if (!t) continue;
      if (/^(id|ID|Id)$/.test(t)) out.push({ kind: 'id column', token: t, context: t });
      else if (/^[a-z][a-z0-9_]*$/.test(t)) out.push({ kind: 'field name as header', token: t, context: t });
    }
    if (document.querySelector('.ag-header-cell[col-id="id"]:not(.ag-hidden)')) out.push({ kind: 'id column', token: 'col-id=id', context: 'grid column "id"' });
    if (locale === 'en') {
      const CHROME = `${HEADERS}, .ant-menu-title-content, button, .ant-btn, .ant-select-selection-placeholder, input[placeholder], .ant-empty-description, .ant-result-title, .ant-result-subtitle, .ant-alert-message, .ant-segmented-item-label, .ant-radio-button-wrapper, .ant-checkbox-wrapper, .ant-tag`;
      for (const el of Array.from(document.querySelectorAll<HTMLElement>(CHROME))) {
        if ((!el.offsetParent && getComputedStyle(el).position !== 'fixed') || el.closest('[translate="no"]')) continue;
        let t = squash(el instanceof HTMLInputElement ? el.placeholder : (el.innerText ?? ''));
        for (const name of people) t = t.split(name).join('');
        const m = t.match(/[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+/);
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.split(/\s+/)[0]}` : '';
        if (m) out.push({ kind: 'Chinese in en', token: m[0], context: `${el.tagName.toLowerCase()}${cls}: ${t.slice(0, 80)}` });
      }
    }
  } finally {
    hide.remove();
  }
  return out;
}

const normalize = (p: string) => p.replace(/\/(record|form)\/([^/]+)\/\d+/, '/$1/$2/:id');

/** Signs in, walks, and records the problems of each page under `run`; returns the pages it saw. */
async function walk(user: string, locale: Locale, viewport: { width: number; height: number }, opts: { records: boolean; edits: boolean }): Promise<string[]> {
  const run = `${locale} ${viewport.width}x${viewport.height} ${user}`;
  const page = await e.page({ viewport, locale, user, password: user === 'admin' ? ADMIN_PASSWORD : WALK_PASSWORD });
  // This page's own console (walks run side by side, so the fixture's shared list cannot tell them apart).
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (err) => errors.push(err.message));
  await installQuietClock(page);
  const net = trackRequests(page);
  // Reload once so the mutation clock is in place (init scripts run on the next document).
  await page.reload();
  await page.locator('.ant-layout-sider .ant-menu').first().waitFor();
  await settle(page, net);

  const key = `${user} ${locale}`;
  let entries = menus.get(key);
  if (!entries) {
    entries = await readMenu(page);
    menus.set(key, entries);
  }
  if (!entries.length) throw new Error(`${run}: the shell shows no menu`);
  const seen: string[] = [];

  const timing = { settle: 0, inspect: 0, pages: 0, start: Date.now() };
  const check = async (label: string) => {
    const errorsBefore = errors.length;
    const badBefore = net.state.bad.length;
    const t0 = Date.now();
    await settle(page, net);
    timing.settle += Date.now() - t0;
    timing.pages++;
    const path = normalize(new URL(page.url()).pathname);
    const where = `${path} [${label}]`;
    seen.push(where);
    const t1 = Date.now();
    for (const p of await page.evaluate(inspect, { locale, usernames, people })) found.push({ run, p: { page: where, ...p } });
    timing.inspect += Date.now() - t1;
    for (const msg of realErrors(errors.slice(errorsBefore))) found.push({ run, p: { page: where, kind: 'console error', token: msg.slice(0, 300), context: '' } });
    for (const msg of net.state.bad.slice(badBefore)) found.push({ run, p: { page: where, kind: 'request failed', token: msg, context: '' } });
    if (viewport.width <= 1024) {
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (wide > 1) found.push({ run, p: { page: where, kind: 'wider than the window', token: `${wide}px`, context: '' } });
    }
  };

  // Errors logged while signing in belong to the home page.
  await check('home');
  // The to-do list is the header's bell, not a menu entry: every user has one.
  for (const entry of [...entries, { key: '/inbox', label: 'inbox' }]) {
    await go(page, run, entry.key);
    await check(entry.label);
    if (locale === 'zh-CN' && viewport.width === 1440 && user === 'admin') await maybeShot(page, entry.key);
    if (!opts.records) continue;
    if (entry.key.startsWith('/admin/')) {
      // A designer index: open its first definition.
      const first = page.locator('.ant-table-tbody a').first();
      if (!(await first.count())) continue;
      await first.click();
      await page.waitForURL(/\/admin\/[^/]+\/[^/]+$/);
      await check(`${entry.label} › first`);
      continue;
    }
    if (!entry.key.startsWith('/list/')) continue;
    const cell = page.locator('.ag-row[row-index="0"] .ag-cell');
    if (!(await cell.count())) continue; // an empty list: nothing to open
    await cell.first().click();
    await page.waitForURL(/\/record\/[^/]+\/\d+$/);
    await check(`${entry.label} › record`);
    if (locale === 'zh-CN' && user === 'admin' && entry.key === '/list/qcRecord') await shot(page, 'walk-record-qcRecord', { tall: true });
    if (!opts.edits) continue;
    // By its text: the icon adds "edit" to the accessible name, and antd spaces out two Chinese characters ("编 辑").
    const edit = page.locator('.ct-toolbar button', { hasText: locale === 'en' ? /^\s*Edit\s*$/ : /^\s*编\s?辑\s*$/ });
    if (!(await edit.count())) continue;
    await edit.click();
    await page.waitForURL(/\/form\/[^/]+\/\d+\/edit$/);
    await check(`${entry.label} › edit`);
  }
  await page.context().close();
  if (process.env.WALK_TIMING) console.log(`${run}: ${timing.pages} pages in ${Date.now() - timing.start} ms (settling ${timing.settle} ms, inspecting ${timing.inspect} ms)`);
  return seen;
}

/** In-app navigation to a menu entry's page, as a click on the menu does (the icon rail's pop-ups aside). */
async function go(page: Page, run: string, to: string) {
  await page.evaluate((href) => {
    history.pushState(null, '', href);
    dispatchEvent(new PopStateEvent('popstate'));
  }, to);
  // An unchanged form or designer lets one leave without asking; if one asks, that is a finding.
  if (decodeURIComponent(new URL(page.url()).pathname) !== decodeURIComponent(to) || (await page.locator('.ant-modal-confirm:visible').count())) {
    found.push({ run, p: { page: to, kind: 'navigation blocked', token: 'leaving an unchanged page asked to confirm', context: '' } });
    await page.goto(new URL(to, page.url()).href);
  }
}

/** The leaf entries of the side menu, with every group opened (its keys are the pages' paths). */
async function readMenu(page: Page): Promise<MenuEntry[]> {
  // The tablet's icon rail opens groups as pop-ups: read the menu expanded, then fold it again.
  const rail = (await page.locator('.ant-layout-sider-collapsed').count()) > 0;
  const toggle = page.locator('.ct-header > button').first();
  if (rail) await toggle.click();
  const menu = page.locator('.ant-layout-sider .ant-menu').first();
  for (let i = 0; i < 40; i++) {
    const closed = menu.locator('.ant-menu-submenu:not(.ant-menu-submenu-open) > .ant-menu-submenu-title');
    if (!(await closed.count())) break;
    await closed.first().click();
  }
  const entries = await menu.locator('li.ant-menu-item').evaluateAll((els) =>
    els.map((el) => {
      const id = el.getAttribute('data-menu-id') ?? '';
      return { key: id.slice(id.indexOf('-/') + 1), label: (el as HTMLElement).innerText.trim() };
    }),
  );
  if (rail) await toggle.click();
  return entries;
}

const SHOTS = new Set(['/plugin/storage-slots%2FPositionMap', '/plugin/consumption-ledger%2FStock', '/list/qcRecord', '/system/users', '/admin/role']);
async function maybeShot(page: Page, key: string) {
  if (SHOTS.has(key)) await shot(page, `walk-${key.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '')}`);
}

const isKnown = (p: Problem) => KNOWN.find((k) => k.page.test(p.page) && k.kind === p.kind && k.token.test(p.token));
const report = (rows: { run: string; p: Problem }[]) => rows.map(({ run, p }) => `${run} ${p.page}: ${p.kind}: ${p.token}${p.context ? `   «${p.context}»` : ''}`);

function expectClean(runs: string[]) {
  const mine = found.filter((f) => runs.includes(f.run));
  // Distinct findings (the same text in the same place once).
  const seen = new Set<string>();
  const unexpected = mine.filter((f) => {
    const k = `${f.run}|${f.p.page}|${f.p.kind}|${f.p.token}`;
    if (seen.has(k) || isKnown(f.p)) return false;
    seen.add(k);
    return true;
  });
  expect(report(unexpected)).toEqual([]);
}

const BIG = { width: 1440, height: 900 };
const TABLET = { width: 1024, height: 768 };

test('the inspector sees each kind of problem it looks for (and leaves data marked translate="no" alone)', async () => {
  const page = await e.page({ viewport: BIG, locale: 'en' });
  await page.locator('.ant-layout-sider .ant-menu').first().waitFor();
  await page.evaluate(() => {
    const div = document.createElement('div');
    div.innerHTML = '<p>客户 #19 · [object Object] · {"a":1} · form.saveFailed · createdAt · undefined · users:admin</p>'
      + '<table><tr><th>id</th><th>status</th></tr></table><button>保存</button><p translate="no">cellBatch sh.tech 张伟</p>';
    document.body.appendChild(div);
  });
  const kinds = (await page.evaluate(inspect, { locale: 'en' as const, usernames, people })).map((p) => `${p.kind}: ${p.token}`).sort();
  expect(kinds).toEqual([
    'Chinese in en: 保存', 'camelCase name: createdAt', 'field name as header: status', 'id column: id', 'message key: form.saveFailed',
    'raw JSON: {"', 'raw JSON: ":1', 'raw id: #19', 'raw id: [object Object]', 'raw key: users:admin', 'undefined/null/NaN: undefined',
  ].sort());
  await page.context().close();
});

// zh-CN and en side by side: two browser contexts, one per language.
for (const user of USERS) {
  test(`1440×900 ${user}, zh-CN and en: every menu page, each list's first record and its edit form (en: the administrator's)`, async () => {
    // Edit forms in en once, as the administrator (who may edit every entity): the demo roles' forms differ from
    // the administrator's in which fields they may see and change, which the zh-CN walk covers.
    // Records behind the lists in en once too, as the administrator (who reads every entity): the demo roles' record
    // pages differ from it in which fields they show, not in language, which their zh-CN walk covers.
    const pages = await Promise.all((['zh-CN', 'en'] as const).map((l) => walk(user, l, BIG, { records: l === 'zh-CN' || user === 'admin', edits: l === 'zh-CN' || user === 'admin' })));
    // The walk really walked: the menu's pages, and records behind the lists.
    for (const seen of pages) expect(seen.length).toBeGreaterThan(5);
    for (const seen of user === 'admin' ? pages : [pages[0]]) expect(seen.some((p) => p.startsWith('/record/'))).toBe(true);
    for (const seen of user === 'admin' ? pages : [pages[0]]) expect(seen.some((p) => /^\/form\/[^/]+\/:id\/edit /.test(p))).toBe(true);
    expectClean([`zh-CN 1440x900 ${user}`, `en 1440x900 ${user}`]);
  });
}

test('1024×768 admin, zh-CN and en: every menu page', async () => {
  await Promise.all((['zh-CN', 'en'] as const).map((l) => walk('admin', l, TABLET, { records: false, edits: false })));
  expectClean(['zh-CN 1024x768 admin', 'en 1024x768 admin']);
});

test('every KNOWN finding still shows up (a fix removes its entry)', () => {
  const stale = KNOWN.filter((k) => !found.some((f) => k.page.test(f.p.page) && k.kind === f.p.kind && k.token.test(f.p.token)));
  expect(stale.map((k) => `${k.page} ${k.kind} ${k.token}: ${k.reason}`)).toEqual([]);
});
