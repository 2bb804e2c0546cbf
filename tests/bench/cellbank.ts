// `npx tsx tests/bench/cellbank.ts`: figures, not a test. Builds a bank of ≥ 1,000,000 positions (100 tanks of
// 10,000, through the template action), fills ~35 % of it, then measures recommend + reserve latency (in-process and
// over HTTP) and the wall time of 200 parallel stock-ins. Env: BENCH_TANKS (default 100), BENCH_ITER (default 2000),
// BENCH_KEEP_DB=1 keeps the database.
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { systemContext } from '../../platform/context';
import { createDatabase, dropDatabase } from '../support/pg';
import { createPluginApi } from '../../platform/plugins/host';
import slotsPlugin, { STRATEGIES } from '../../plugins/storage-slots';
import { recommend, reserve, releaseToken, sweepExpired, type StrategyEntry } from '../../plugins/storage-slots/slots';
import { boxScope } from '../../plugins/storage-slots/cellbank';

const ROOT = path.resolve(__dirname, '../..');
const TANKS = Number(process.env.BENCH_TANKS ?? 100);
const ITER = Number(process.env.BENCH_ITER ?? 2000);
const PASSWORD = 'Bench#12345';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(2)} ms · p99 ${pct(xs, 99).toFixed(2)} ms · max ${Math.max(...xs).toFixed(2)} ms (n=${xs.length})`;

async function main() {
  const db = await createDatabase('celltrace_bench_cellbank');
  const config = { ...loadConfig({ ...process.env, DATABASE_URL: db.url, ADMIN_PASSWORD: PASSWORD, DEMO_DATA: 'false', DB_POOL_MAX: '20' }, ROOT), runJobs: false };
  const server = await createServer(config, { logger: pino({ level: 'silent' }), plugins: ['qc-gating', 'storage-slots'], print: () => {} });
  const url = await server.listen(0, '127.0.0.1');
  const s = server.services;
  const ctx = systemContext('en');
  const slots = createPluginApi(s, slotsPlugin);
  const strategies = slots.registry<StrategyEntry>(STRATEGIES);
  const scope = boxScope(slots, ctx);
  try {
    // ---- build the bank through the pipeline (one template action per tank)
    let t0 = Date.now();
    for (let i = 0; i < TANKS; i++) {
      await s.records.create(ctx, 'storageDevice', {
        code: `B-LN2-${String(i + 1).padStart(3, '0')}`, name: `Bench tank ${i + 1}`, deviceType: 'ln2Tank', site: i % 2 ? 'BJ' : 'SH', setTemperature: -190, template: 'ln2Tank10x10',
      });
    }
    const total = Number((await s.knex('storage_position').count({ n: '*' }).first())!.n);
    console.log(`bank: ${TANKS} tanks, ${total.toLocaleString('en')} positions, built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / TANKS).toFixed(0)} ms per 10,000-position tank)`);

    // ---- fill ~35 % with placeholder occupants (bench data only), so boxes have every fill level
    t0 = Date.now();
    await s.knex.raw(`update storage_position set state = 'occupied', vial_id = -id where (hashtext(container_id::text) & 1023) < 700 and ordinal <= (abs(hashtext(container_id::text || 'x')) % 101)`);
    await s.knex.raw(`update storage_box b set free_count = x.f, occupied_count = x.o from (
      select container_id, count(*) filter (where state = 'empty')::int f, count(*) filter (where state = 'occupied')::int o from storage_position group by container_id) x where x.container_id = b.container_id`);
    await s.knex.raw('analyze storage_position');
    await s.knex.raw('analyze storage_box');
    const occ = Number((await s.knex('storage_box').sum({ n: 'occupied_count' }).first())!.n);
    console.log(`filled ${occ.toLocaleString('en')} positions (${((100 * occ) / total).toFixed(1)} %) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // ---- recommend + reserve, in-process (one transaction each), several strategies
    for (const [strategy, n, extra] of [
      ['compact', 1, {}], ['keep-together', 5, {}], ['keep-together', 5, { site: 'BJ' }], ['split-redundancy', 4, {}], ['recently-used', 3, {}],
    ] as const) {
      const lat: number[] = [];
      const tokens: string[] = [];
      for (let i = 0; i < ITER; i++) {
        const a = performance.now();
        const tok = await slots.transaction(async (trx) => {
          const got = await recommend(slots.db(trx), strategies, strategy, { n, actorId: 1, batchId: 7, ...extra }, scope);
          return (await reserve(slots.db(trx), got, 1, 5)).token;
        });
        lat.push(performance.now() - a);
        tokens.push(tok);
      }
      console.log(`recommend+reserve ${strategy} n=${n}${Object.keys(extra).length ? ' ' + JSON.stringify(extra) : ''}: ${fmt(lat)}`);
      for (const tok of tokens) await slots.transaction((trx) => releaseToken(slots.db(trx), tok, scope));
    }

    // ---- the same over HTTP (auth, JSON, Koa included)
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    const token = (await login.json()).token;
    const post = (p: string, body: unknown) =>
      fetch(url + p, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const http: number[] = [];
    for (let i = 0; i < Math.min(ITER, 1000); i++) {
      const a = performance.now();
      const r = await post('/api/v1/storage/recommend', { n: 3, strategy: 'keep-together' });
      if (r.status !== 200) throw new Error(await r.text());
      await r.arrayBuffer();
      http.push(performance.now() - a);
    }
    console.log(`HTTP POST /storage/recommend (keep-together n=3, reserved): ${fmt(http)}`);
    await s.knex.raw(`update storage_position set reserved_until = now() - interval '1 second' where state = 'reserved'`);
    await slots.transaction(async (trx) => {
      while ((await sweepExpired(slots.db(trx), 10000)) > 0);
    });

    // ---- 200 parallel stock-ins (HTTP, QC gate, numbering, vial records, audit), into one box and across the bank
    const batch = await s.records.create(ctx, 'cellBatch', { cellType: 'NK', customerName: 'Bench', vialCount: 400, freezeDate: '2026-11-01' });
    const qc = await s.records.create(ctx, 'qcRecord', { qcType: 'stockInQc', batch: batch.id, testedAt: new Date().toISOString(), viability: 95, sterility: 'negative', mycoplasma: 'negative' });
    // The gate reads only approved results; the review itself is not what this bench measures.
    await s.records.update(ctx, 'qcRecord', qc.id, { version: qc.version }, { set: { reviewStatus: 'approved' } });
    const box = await s.knex('storage_box').where('free_count', 100).first('container_id');
    for (const [label, body] of [
      ['into one 10×10 box', { container: box.container_id, strategy: 'compact' }],
      ['across the bank (keep-together)', { strategy: 'keep-together' }],
    ] as const) {
      const a = performance.now();
      const res = await Promise.all(Array.from({ length: 200 }, () => post('/api/v1/data/stockIn', { batch: batch.id, vialCount: 1, ...body }).then(async (r) => (await r.arrayBuffer(), r.status))));
      const wall = performance.now() - a;
      const ok = res.filter((c) => c === 201).length;
      console.log(`200 parallel stock-ins ${label}: ${wall.toFixed(0)} ms wall, ${ok} placed, ${res.length - ok} refused (${(ok / (wall / 1000)).toFixed(0)} stock-ins/s)`);
    }
    const dup = await s.knex.raw(`select count(*)::int n from (select vial_id from storage_position where vial_id > 0 group by vial_id having count(*) > 1) x`);
    console.log(`double-booked vials: ${dup.rows[0].n}`);
  } finally {
    await server.stop();
    if (!process.env.BENCH_KEEP_DB) await dropDatabase(db.name);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
