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
const DURATION = Number(process.env.BENCH_DURATION ?? 4);
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

/** CPU seconds used so far by one process, or by every PostgreSQL backend (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid: number | 'postgres'): number {
  const ticks = (p: string) => {
    const f = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14 and 15)
  };
  try {
    if (pid !== 'postgres') return ticks(String(pid)) / 100;
    let sum = 0;
    for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        if (fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'postgres') sum += ticks(p);
      } catch {
        /* exited meanwhile */
      }
    }
    return sum / 100;
  } catch {
    return NaN;
  }
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
type Side = [name: string, opts: autocannon.Options, pid: number | undefined];

/**
 * Runs the baseline and the generic side alternately, ROUNDS times, and returns the round with the median ratio: on a
 * shared 2-core machine one run of either side moves ±15 %, alternating rounds cancel most of the drift.
 */
async function pair(h: Side, g: Side): Promise<[Figure, Figure]> {
  const hs: Figure[] = [];
  const gs: Figure[] = [];
  // ABBA order: every other round runs the generic side first, so drift within a round favours neither side.
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      hs.push(await load(...h));
      gs.push(await load(...g));
    } else {
      gs.push(await load(...g));
      hs.push(await load(...h));
    }
  }
  // The ratio is the median of the rounds' own ratios (each round's two sides ran back to back); the figures shown
  // for each side are that round's.
  const order = hs.map((_, i) => i).sort((a, b) => gs[a].rps / hs[a].rps - gs[b].rps / hs[b].rps);
  const mid = order[Math.floor(order.length / 2)];
  return [hs[mid], gs[mid]];
}

/** Load one endpoint; with `pid`, also print the server's and the database's CPU time per request. */
async function load(name: string, opts: autocannon.Options, pid?: number): Promise<Figure> {
  const before = pid ? [cpuSeconds(pid), cpuSeconds('postgres')] : [];
  const r = await autocannon({
    connections: CONNECTIONS,
    duration: DURATION,
    ...opts,
  });
  const cpu = pid
    ? ` · CPU/req: app ${(((cpuSeconds(pid) - before[0]) / r.requests.total) * 1e6).toFixed(0)} µs, db ${(((cpuSeconds('postgres') - before[1]) / r.requests.total) * 1e6).toFixed(0)} µs`
    : '';
  const f = {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
  console.log(
    `  ${name.padEnd(42)} ${f.rps.toFixed(0).padStart(7)} req/s  p50 ${String(f.p50).padStart(4)} ms  p99 ${String(f.p99).padStart(4)} ms  errors ${f.errors} non-2xx ${f.non2xx}${cpu}`,
  );
  return f;
}

async function main() {
  console.log(
    `CellTrace bench: ${ROWS.toLocaleString()} rows, autocannon -c ${CONNECTIONS}, ${ROUNDS} alternating rounds of ${DURATION} s, medians (load generator on the same machine: read the ratios)`,
  );
  // BENCH_REUSE=1 keeps an already seeded database (faster iterations while profiling); the default reseeds.
  const reuse = process.env.BENCH_REUSE === '1' && (await sql(ADMIN, `select 1 from pg_database where datname = '${DB}'`)).rowCount === 1;
  if (!reuse) {
    await sql(ADMIN, `drop database if exists "${DB}" with (force)`);
    await sql(ADMIN, `create database "${DB}"`);
  }

  // One fixed key per bench database so BENCH_REUSE runs can read its encrypted columns (it holds no real data).
  const env = {
    CELLTRACE_DATA_KEY: crypto.createHash('sha256').update(`celltrace-bench:${DB}`).digest('hex'),
    ...process.env,
    DATABASE_URL: dbUrl,
    ADMIN_PASSWORD: PASSWORD,
    DEMO_DATA: 'false',
    RUN_JOBS: 'false',
    LOG_LEVEL: 'warn',
    DB_POOL_MAX: '20',
  };
  // Migrate and sync the schema once, then seed with set-based SQL.
  await new Promise<void>((res, rej) => {
    const p = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['platform/main.ts', 'migrate'], { cwd: ROOT, env, stdio: 'inherit' });
    p.on('exit', (c) => (c === 0 ? res() : rej(new Error(`migrate exited ${c}`))));
  });
  const t0 = Date.now();
  if (!reuse) await seed();
  console.log(`  seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s${reuse ? ' (reused)' : ''}`);
  await runAll(env, reuse);
}

async function seed() {
  // Seeded rows belong to lab 1 or 2: make those real labs (under a company) for the lab-scoped run.
  await sql(dbUrl, `insert into ct_org (id, parent_id, kind, code, name) values (10, null, 'company', 'BENCH-CO', 'Bench company')`);
  await sql(
    dbUrl,
    `insert into ct_org (id, parent_id, kind, code, name) values (1, 10, 'lab', 'BENCH-L1', 'Bench lab 1'), (2, 10, 'lab', 'BENCH-L2', 'Bench lab 2')`,
  );
  await sql(dbUrl, `select setval('ct_org_id_seq', 10)`);
  await sql(dbUrl, `insert into customer (name, customer_code) select '客户' || g, 'B' || g from generate_series(1, 1000) g`);
  await sql(
    dbUrl,
    `insert into culture_record (batch_code, customer, cell_kind, culture_date, total_cells, viability, passage, operator, lab_id)
     select 'BENCH' || g, 1 + (g % 1000), case when g % 2 = 0 then 'stem' else 'immune' end,
            date '2020-01-01' + (g % 2000), 100 + (g % 900), 70 + (g % 30), g % 12, case when g % 2 = 0 then 1 end, 1 + (g % 2)
       from generate_series(1, ${ROWS}) g`,
  );
  // Culture records belong to an order (the chain of identity): one order of customer 7 in lab 1 for the creates.
  await sql(dbUrl, `insert into service_order (id, order_code, chain_id, customer, lab, service_item, order_category, progress, lab_id, org_id) values (1, 'OD-BENCH', 'COI-BENCH', 7, 1, 'umbilicalMsc', 'storage', 'booked', 1, 1)`);
  await sql(dbUrl, `select setval(pg_get_serial_sequence('service_order', 'id'), 1)`);
  // Settle the freshly loaded table (visibility map, statistics, dirty pages) so no autovacuum or checkpoint of the
  // seed runs during the first measurements.
  await sql(dbUrl, `vacuum (analyze)`);
  await sql(dbUrl, `checkpoint`);
}

async function runAll(env: Record<string, string | undefined>, reuse: boolean) {
  const genericPort = 3901;
  const handPort = 3902;
  // Both servers run the same way (node --import tsx); BENCH_PROFILE=<dir> writes CPU profiles of both.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const generic = spawn(process.execPath, ['--import', 'tsx', ...profile, 'platform/main.ts', 'start'], {
    cwd: ROOT,
    env: { ...env, PORT: String(genericPort), HOST: '127.0.0.1' },
    stdio: 'inherit',
  });
  const hand = fork(path.join(__dirname, 'handwritten.ts'), {
    execArgv: ['--import', 'tsx', ...profile],
    env: { ...env, PORT: String(handPort) },
    stdio: 'inherit',
  });
  try {
    await waitHealthy(`http://127.0.0.1:${genericPort}/api/health`, generic);
    await new Promise<void>((res) => hand.once('message', () => res()));
    const login = await fetch(`http://127.0.0.1:${genericPort}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const token = (await login.json()).token;
    const auth = { Authorization: `Bearer ${token}` };
    // A second sample entity without a numbering rule, added as an overlay (live, no restart).
    const note = {
      $id: 'benchNote',
      type: 'object',
      'x-label': { 'zh-CN': '压测记录', en: 'Bench note' },
      required: ['customer', 'cellKind'],
      properties: {
        customer: {
          type: 'integer',
          'x-ref': 'customer',
          'x-label': { 'zh-CN': '客户', en: 'Customer' },
        },
        cellKind: {
          type: 'string',
          enum: ['stem', 'immune'],
          'x-label': { 'zh-CN': '细胞大类', en: 'Cell kind' },
        },
        cultureDate: {
          type: 'string',
          format: 'date',
          'x-label': { 'zh-CN': '日期', en: 'Date' },
        },
        totalCells: {
          type: 'number',
          minimum: 0,
          'x-label': { 'zh-CN': '细胞数', en: 'Cells' },
        },
        viability: {
          type: 'number',
          minimum: 0,
          maximum: 100,
          'x-label': { 'zh-CN': '活率', en: 'Viability' },
        },
      },
    };
    const put = await fetch(`http://127.0.0.1:${genericPort}/api/v1/meta/entity/benchNote`, {
      method: 'PUT',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ definition: note, reason: 'bench' }),
    });
    if (!put.ok) throw new Error(`benchNote: ${await put.text()}`);
    const filter = encodeURIComponent(JSON.stringify({ cellKind: 'stem' }));
    const fields = 'id,version,batchCode,customer,cellKind,cultureDate,totalCells,viability,passage,operator';
    const G = `http://127.0.0.1:${genericPort}`;
    const H = `http://127.0.0.1:${handPort}`;
    const body = JSON.stringify({
      customer: 7,
      order: 1,
      cellKind: 'stem',
      cultureDate: '2026-11-28',
      totalCells: 10,
      viability: 95,
      passage: 2,
    });

    // Warm both up (JIT, pools, prepared statements) with the same load as the measurement.
    for (const [url, headers] of [
      [`${H}/list?cellKind=stem`, {}],
      [`${G}/api/v1/data/cultureRecord?filter=${filter}&sort=-cultureDate&limit=50&fields=${fields}`, auth],
    ] as const)
      await autocannon({ url, headers, duration: 4, connections: CONNECTIONS });

    const only = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
    const want = (k: string) => !only.size || only.has(k);
    const none: Figure = {
      name: '',
      rps: NaN,
      p50: NaN,
      p99: NaN,
      errors: 0,
      non2xx: 0,
    };
    let hl = none,
      gl = none,
      hlt = none,
      glt = none,
      hg = none,
      gg = none,
      hc = none,
      gc = none,
      hn = none,
      gn = none;
    if (want('list')) {
      console.log('\n(a) list: filter cellKind=stem, sort -cultureDate, page of 50');
      [hl, gl] = await pair(
        [
          'hand-written Koa + knex',
          {
            url: `${H}/list?cellKind=stem`,
          },
          hand.pid,
        ],
        [
          'generic /api/v1/data/cultureRecord (auth)',
          {
            url: `${G}/api/v1/data/cultureRecord?filter=${filter}&sort=-cultureDate&limit=50&fields=${fields}`,
            headers: auth,
          },
          generic.pid,
        ],
      );
    }
    // The same list as a technician of lab 1: the role's row scope (lab_id in (1)) is ANDed in by the pipeline;
    // the baseline applies the same WHERE by hand.
    if (want('tech')) {
      const mk = await fetch(`${G}/api/v1/admin/users`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          username: 'bench-tech',
          displayName: 'Bench technician',
          password: PASSWORD,
          mustChangePassword: false,
          orgId: 1,
          roles: ['technician'],
        }),
      });
      if (!mk.ok && !(reuse && mk.status < 500)) throw new Error(`technician: ${await mk.text()}`);
      const techLogin = await fetch(`${G}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'bench-tech', password: PASSWORD }),
      });
      const techAuth = {
        Authorization: `Bearer ${(await techLogin.json()).token}`,
      };
      const techUrl = `${G}/api/v1/data/cultureRecord?filter=${filter}&sort=-cultureDate&limit=50&fields=${fields}`;
      const probe = await (await fetch(techUrl, { headers: techAuth })).json();
      if (!probe.data?.length || probe.data.some((r: any) => r.id % 2 !== 0))
        throw new Error(`technician list is not lab-scoped: ${JSON.stringify(probe).slice(0, 300)}`);
      console.log('\n(a2) the same list as a lab-scoped technician (row scope lab_id = 1)');
      [hlt, glt] = await pair(
        [
          'hand-written, WHERE lab_id = 1',
          {
            url: `${H}/list?cellKind=stem&labId=1`,
          },
          hand.pid,
        ],
        [
          'generic as technician of lab 1',
          {
            url: techUrl,
            headers: techAuth,
          },
          generic.pid,
        ],
      );
    }
    if (want('get')) {
      console.log('\n(c) get by id');
      let i = 0;
      const ids = () => 1 + ((i++ * 7919) % ROWS);
      [hg, gg] = await pair(
        [
          'hand-written get',
          {
            url: H,
            requests: [
              {
                method: 'GET',
                setupRequest: (r: any) => ({ ...r, path: `/get/${ids()}` }),
              },
            ],
          } as any,
          hand.pid,
        ],
        [
          'generic get (auth)',
          {
            url: G,
            headers: auth,
            requests: [
              {
                method: 'GET',
                setupRequest: (r: any) => ({
                  ...r,
                  path: `/api/v1/data/cultureRecord/${ids()}`,
                }),
              },
            ],
          } as any,
          generic.pid,
        ],
      );
    }
    if (want('create')) {
      console.log('\n(b) create');
      [hc, gc] = await pair(
        [
          'bare insert (hand-written)',
          {
            url: `${H}/insert`,
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body,
          },
          hand.pid,
        ],
        [
          'pipeline create (validate, number, audit)',
          {
            url: `${G}/api/v1/data/cultureRecord`,
            method: 'POST',
            headers: { ...auth, 'Content-Type': 'application/json' },
            body,
          },
          generic.pid,
        ],
      );
    }
    if (want('note')) {
      const noteBody = JSON.stringify({
        customer: 7,
        cellKind: 'stem',
        cultureDate: '2026-11-28',
        totalCells: 10,
        viability: 95,
      });
      [hn, gn] = await pair(
        [
          'bare insert, entity without numbering',
          {
            url: `${H}/insert-note`,
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: noteBody,
          },
          hand.pid,
        ],
        [
          'pipeline create (validate, audit)',
          {
            url: `${G}/api/v1/data/benchNote`,
            method: 'POST',
            headers: { ...auth, 'Content-Type': 'application/json' },
            body: noteBody,
          },
          generic.pid,
        ],
      );
    }
    console.log('\nRatios (generic / hand-written; targets: list ≥ 0.90, get ≥ 0.90, create ≥ 1.0, numbered create ≥ 0.5)');
    const rows: [string, Figure, Figure, string][] = [
      ['list  ', gl, hl, '(Directus 12: 0.12–0.14, NocoBase 2.2: 0.02 on the same kind of machine)'],
      ['list  ', glt, hlt, '(as a lab-scoped technician, against the same WHERE by hand)'],
      ['get   ', gg, hg, '(Directus 12: 0.04, NocoBase 2.2: 0.05)'],
      ['create', gn, hn, '(entity without a numbering rule)'],
      ['create', gc, hc, '(with a gapless daily batch code: every create of one prefix waits for the previous commit)'],
    ];
    // Sections left out with BENCH_ONLY print no ratio.
    for (const [name, g, h, note] of rows) if (g !== none) console.log(`  ${name} ${(g.rps / h.rps).toFixed(2)}   ${note}`);
    // The module benches, each in its own process (its own server and database), one after the other.
    const extras: [file: string, title: string, extraEnv?: Record<string, string>][] = [
      ['cellbank.ts', 'Cell bank'],
      ['materials.ts', 'Materials and the consumption ledger'],
      ['import.ts', 'Initial data import'],
      ['inventory-import.ts', 'Cell-inventory import'],
      ['equipment.ts', 'Equipment'],
      ['qc.ts', 'Quality control and environment monitoring'],
      ['trace.ts', 'Trace and recall'],
      ['dashboard.ts', 'Dashboards and reports'],
      ['print.ts', 'Print templates and labels'],
      ['web.ts', 'Web', { BENCH_DATABASE_URL: dbUrl, BENCH_ADMIN_PASSWORD: PASSWORD }],
    ];
    for (const [file, title, extraEnv] of extras) {
      const script = path.join(__dirname, file);
      if (!fs.existsSync(script) || process.env.BENCH_SKIP_EXTRA) continue;
      console.log(`\n${title} (tests/bench/${file})`);
      await new Promise<void>((res) =>
        spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [script], {
          cwd: ROOT,
          env: { ...process.env, CELLTRACE_DATA_KEY: env.CELLTRACE_DATA_KEY, ...extraEnv },
          stdio: 'inherit',
        }).on('exit', () => res()),
      );
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
