// `npm run bench`: figures, not tests. Seeds 1,000,000 culture records into a fresh PostgreSQL database and
// measures the generic API against a hand-written Koa + knex baseline on the same database, in one run.
import crypto from 'node:crypto';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';

const ROOT = path.resolve(__dirname, '../..');
const ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DB = process.env.BENCH_DB ?? 'celltrace_bench';
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PASSWORD = 'Bench#12345';
const dbUrl = (() => {
  const u = new URL(ADMIN);
  u.pathname = `/${DB}`;
  return u.toString();
})();

async function sql(url: string, q: string) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(q);
  } finally {
    await c.end();
  }
}

async function waitHealthy(url: string, proc: ChildProcess) {
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timeout waiting for ${url}`);
}

interface Figure {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(name: string, opts: autocannon.Options): Promise<Figure> {
  const r = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
  const f = { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
  console.log(`  ${name.padEnd(42)} ${f.rps.toFixed(0).padStart(7)} req/s  p50 ${String(f.p50).padStart(4)} ms  p99 ${String(f.p99).padStart(4)} ms  errors ${f.errors} non-2xx ${f.non2xx}`);
  return f;
}

async function main() {
  console.log(`CellTrace bench: ${ROWS.toLocaleString()} rows, autocannon -c ${CONNECTIONS} -d ${DURATION} (load generator on the same machine: read the ratios)`);
  await sql(ADMIN, `drop database if exists "${DB}" with (force)`);
  await sql(ADMIN, `create database "${DB}"`);

  const env = { CELLTRACE_DATA_KEY: crypto.randomBytes(32).toString('hex'), ...process.env, DATABASE_URL: dbUrl, ADMIN_PASSWORD: PASSWORD, DEMO_DATA: 'false', RUN_JOBS: 'false', LOG_LEVEL: 'warn', DB_POOL_MAX: '20' };
  // Migrate and sync the schema once, then seed with set-based SQL.
  await new Promise<void>((res, rej) => {
    const p = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['platform/main.ts', 'migrate'], { cwd: ROOT, env, stdio: 'inherit' });
    p.on('exit', (c) => (c === 0 ? res() : rej(new Error(`migrate exited ${c}`))));
  });
  const t0 = Date.now();
  // Seeded rows belong to lab 1 or 2: make those real labs (under a company) for the lab-scoped run.
  await sql(dbUrl, `insert into ct_org (id, parent_id, kind, code, name) values (10, null, 'company', 'BENCH-CO', 'Bench company')`);
  await sql(dbUrl, `insert into ct_org (id, parent_id, kind, code, name) values (1, 10, 'lab', 'BENCH-L1', 'Bench lab 1'), (2, 10, 'lab', 'BENCH-L2', 'Bench lab 2')`);
  await sql(dbUrl, `select setval('ct_org_id_seq', 10)`);
  await sql(dbUrl, `insert into customer (name, customer_code) select '客户' || g, 'B' || g from generate_series(1, 1000) g`);
  await sql(
    dbUrl,
    `insert into culture_record (batch_code, customer, cell_kind, culture_date, total_cells, viability, passage, operator, lab_id)
     select 'BENCH' || g, 1 + (g % 1000), case when g % 2 = 0 then 'stem' else 'immune' end,
            date '2020-01-01' + (g % 2000), 100 + (g % 900), 70 + (g % 30), g % 12, 'op' || (g % 50), 1 + (g % 2)
       from generate_series(1, ${ROWS}) g`,
  );
  await sql(dbUrl, `analyze`);
  console.log(`  seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const genericPort = 3901;
  const handPort = 3902;
  const generic = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['platform/main.ts', 'start'], { cwd: ROOT, env: { ...env, PORT: String(genericPort), HOST: '127.0.0.1' }, stdio: 'inherit' });
  const hand = fork(path.join(__dirname, 'handwritten.ts'), { execArgv: ['--import', 'tsx'], env: { ...env, PORT: String(handPort) }, stdio: 'inherit' });
  try {
    await waitHealthy(`http://127.0.0.1:${genericPort}/api/health`, generic);
    await new Promise<void>((res) => hand.once('message', () => res()));
    const login = await fetch(`http://127.0.0.1:${genericPort}/api/v1/auth/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const token = (await login.json()).token;
    const auth = { Authorization: `Bearer ${token}` };
    // A second sample entity without a numbering rule, added as an overlay (live, no restart).
    const note = {
      $id: 'benchNote', type: 'object', 'x-label': { 'zh-CN': '压测记录', en: 'Bench note' }, required: ['customer', 'cellKind'],
      properties: {
        customer: { type: 'integer', 'x-ref': 'customer', 'x-label': { 'zh-CN': '客户', en: 'Customer' } },
        cellKind: { type: 'string', enum: ['stem', 'immune'], 'x-label': { 'zh-CN': '细胞大类', en: 'Cell kind' } },
        cultureDate: { type: 'string', format: 'date', 'x-label': { 'zh-CN': '日期', en: 'Date' } },
        totalCells: { type: 'number', minimum: 0, 'x-label': { 'zh-CN': '细胞数', en: 'Cells' } },
        viability: { type: 'number', minimum: 0, maximum: 100, 'x-label': { 'zh-CN': '活率', en: 'Viability' } },
      },
    };
    const put = await fetch(`http://127.0.0.1:${genericPort}/api/v1/meta/entity/benchNote`, {
      method: 'PUT', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ definition: note, reason: 'bench' }),
    });
    if (!put.ok) throw new Error(`benchNote: ${await put.text()}`);
    const filter = encodeURIComponent(JSON.stringify({ cellKind: 'stem' }));
    const fields = 'id,version,batchCode,customer,cellKind,cultureDate,totalCells,viability,passage,operator';
    const G = `http://127.0.0.1:${genericPort}`;
    const H = `http://127.0.0.1:${handPort}`;
    const body = JSON.stringify({ customer: 7, cellKind: 'stem', cultureDate: '2026-11-28', totalCells: 10, viability: 95, passage: 2 });

    // Warm both up briefly so JIT and pools are comparable.
    await autocannon({ url: `${H}/list?cellKind=stem`, duration: 2, connections: 10 });
    await autocannon({ url: `${G}/api/v1/data/cultureRecord?filter=${filter}&sort=-cultureDate&limit=50&fields=${fields}`, headers: auth, duration: 2, connections: 10 });

    console.log('\n(a) list: filter cellKind=stem, sort -cultureDate, page of 50');
    const hl = await load('hand-written Koa + knex', { url: `${H}/list?cellKind=stem` });
    const gl = await load('generic /api/v1/data/cultureRecord (auth)', { url: `${G}/api/v1/data/cultureRecord?filter=${filter}&sort=-cultureDate&limit=50&fields=${fields}`, headers: auth });

    // The same list as a technician of lab 1: the role's row scope (lab_id in (1)) is ANDed in by the pipeline;
    // the baseline applies the same WHERE by hand.
    const mk = await fetch(`${G}/api/v1/admin/users`, {
      method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'bench-tech', displayName: 'Bench technician', password: PASSWORD, mustChangePassword: false, orgId: 1, roles: ['technician'] }),
    });
    if (!mk.ok) throw new Error(`technician: ${await mk.text()}`);
    const techLogin = await fetch(`${G}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'bench-tech', password: PASSWORD }) });
    const techAuth = { Authorization: `Bearer ${(await techLogin.json()).token}` };
    const techUrl = `${G}/api/v1/data/cultureRecord?filter=${filter}&sort=-cultureDate&limit=50&fields=${fields}`;
    const probe = await (await fetch(techUrl, { headers: techAuth })).json();
    if (!probe.data?.length || probe.data.some((r: any) => r.id % 2 !== 0)) throw new Error(`technician list is not lab-scoped: ${JSON.stringify(probe).slice(0, 300)}`);
    console.log('\n(a2) the same list as a lab-scoped technician (row scope lab_id = 1)');
    const hlt = await load('hand-written, WHERE lab_id = 1', { url: `${H}/list?cellKind=stem&labId=1` });
    const glt = await load('generic as technician of lab 1', { url: techUrl, headers: techAuth });

    console.log('\n(c) get by id');
    let i = 0;
    const ids = () => 1 + ((i++ * 7919) % ROWS);
    const hg = await load('hand-written get', { url: H, requests: [{ method: 'GET', setupRequest: (r: any) => ({ ...r, path: `/get/${ids()}` }) }] } as any);
    const gg = await load('generic get (auth)', { url: G, headers: auth, requests: [{ method: 'GET', setupRequest: (r: any) => ({ ...r, path: `/api/v1/data/cultureRecord/${ids()}` }) }] } as any);

    console.log('\n(b) create');
    const hc = await load('bare insert (hand-written)', { url: `${H}/insert`, method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const gc = await load('pipeline create (validate, number, audit)', { url: `${G}/api/v1/data/cultureRecord`, method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body });
    const noteBody = JSON.stringify({ customer: 7, cellKind: 'stem', cultureDate: '2026-11-28', totalCells: 10, viability: 95 });
    const hn = await load('bare insert, entity without numbering', { url: `${H}/insert-note`, method: 'POST', headers: { 'Content-Type': 'application/json' }, body: noteBody });
    const gn = await load('pipeline create (validate, audit)', { url: `${G}/api/v1/data/benchNote`, method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: noteBody });

    const ratio = (a: Figure, b: Figure) => (a.rps / b.rps).toFixed(2);
    console.log('\nRatios (generic / hand-written; targets: list ≥ 0.80, get ≥ 0.60, create ≥ 0.50)');
    console.log(`  list   ${ratio(gl, hl)}   (Directus 12: 0.12–0.14, NocoBase 2.2: 0.02 on the same kind of machine)`);
    console.log(`  list   ${ratio(glt, hlt)}   (as a lab-scoped technician, against the same WHERE by hand)`);
    console.log(`  get    ${ratio(gg, hg)}   (Directus 12: 0.04, NocoBase 2.2: 0.05)`);
    console.log(`  create ${ratio(gn, hn)}   (entity without a numbering rule)`);
    console.log(`  create ${ratio(gc, hc)}   (with a gapless daily batch code: every create of one prefix waits for the previous commit)`);
    const extra = path.join(__dirname, 'cellbank.ts');
    if (fs.existsSync(extra) && !process.env.BENCH_SKIP_EXTRA) {
      console.log('\nCell bank (tests/bench/cellbank.ts)');
      await new Promise<void>((res) => spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [extra], { cwd: ROOT, env: { ...process.env, CELLTRACE_DATA_KEY: env.CELLTRACE_DATA_KEY }, stdio: 'inherit' }).on('exit', () => res()));
    }
    const web = path.join(__dirname, 'web.ts');
    if (fs.existsSync(web) && !process.env.BENCH_SKIP_EXTRA) {
      console.log('\nWeb (tests/bench/web.ts)');
      await new Promise<void>((res) => spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [web], { cwd: ROOT, env: { ...process.env, CELLTRACE_DATA_KEY: env.CELLTRACE_DATA_KEY, BENCH_DATABASE_URL: dbUrl, BENCH_ADMIN_PASSWORD: PASSWORD }, stdio: 'inherit' }).on('exit', () => res()));
    }
  } finally {
    generic.kill('SIGTERM');
    hand.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
