// `npx tsx tests/bench/trace.ts`: figures, not a test (issue 15). Bulk-inserts ≥ 1,000,000 records into the chain
// tables (customers, orders, samples, culture records with material lots in their items, material usages, culture
// steps, batches, vials, stock-outs, preparations, handovers; a bench fixture, straight SQL) and measures the trace
// engine: backward from a product to every material lot (target < 50 ms) and the recall from a material lot to every
// product and patient (target < 200 ms), in-process and over HTTP, each against a hand-written SQL baseline doing the
// same walk in the same process. Env: BENCH_CHAINS (default 42,000 chains of 24 records), BENCH_ITER (default 200),
// BENCH_KEEP_DB=1 keeps the database.
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { systemContext } from '../../platform/context';
import { traceEngine } from '../../platform/trace';
import { recall } from '../../platform/trace/recall';
import { createDatabase, dropDatabase } from '../support/pg';
import { pct, timed as timedWarm } from './timing';

/** Five warm-up runs: the first walks fill the plan cache of every level's statement. */
const timed = (n: number, fn: (i: number) => Promise<unknown>) => timedWarm(n, fn, 5);

const ROOT = path.resolve(__dirname, '../..');
const CHAINS = Number(process.env.BENCH_CHAINS ?? 42_000);
const LOTS = Math.max(10, Math.round(CHAINS / 8));
const ITER = Number(process.env.BENCH_ITER ?? 200);
const VIALS = 11;
const STEPS = 4;
const PASSWORD = 'Bench#12345';

const show = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms · p99 ${pct(xs, 99).toFixed(1)} ms`;

async function main() {
  const db = await createDatabase('celltrace_bench_trace');
  const config = { ...loadConfig({ ...process.env, DATABASE_URL: db.url, ADMIN_PASSWORD: PASSWORD, DEMO_DATA: 'false', DB_POOL_MAX: '20' }, ROOT), runJobs: false };
  const server = await createServer(config, { logger: pino({ level: 'silent' }), plugins: [], print: () => {} });
  const url = await server.listen(0, '127.0.0.1');
  const s = server.services;
  const k = s.knex;
  const ctx = systemContext('zh-CN');
  try {
    // ---- the fixture: one chain per order, straight SQL (ids = chain number + offset per table)
    const t0 = Date.now();
    const N = CHAINS;
    const q = (sql: string) => k.raw(sql);
    await q(`insert into material (id, name) values (1, 'Bench medium')`);
    await q(`insert into material_lot (id, material, lot_no, received_date) select g, 1, 'LOT-' || g, date '2026-01-01' from generate_series(1, ${LOTS}) g`);
    await q(`insert into room (id, code, name) select g, 'R' || g, 'Room ' || g from generate_series(1, 20) g`);
    await q(`insert into customer (id, name, lab_id) select g, 'Patient ' || g, 1 from generate_series(1, ${N}) g`);
    await q(`insert into service_order (id, order_code, customer, lab_id) select g, 'OD' || g, g, 1 from generate_series(1, ${N}) g`);
    await q(`insert into sample (id, sample_code, "order", customer, received_at, lab_id) select g, 'SP' || g, g, g, now(), 1 from generate_series(1, ${N}) g`);
    // Each culture uses three lots in its items and one more through a material usage (≈ 32 cultures per lot).
    await q(`insert into culture_record (id, batch_code, "order", customer, sample, room, culture_date, lab_id, materials)
      select g, 'CB' || g, g, g, g, 1 + g % 20, date '2026-01-01' + (g % 300), 1,
        jsonb_build_array(jsonb_build_object('lot', 1 + g % ${LOTS}, 'quantity', 1), jsonb_build_object('lot', 1 + (g * 7) % ${LOTS}, 'quantity', 1), jsonb_build_object('lot', 1 + (g * 13) % ${LOTS}, 'quantity', 1))
      from generate_series(1, ${N}) g`);
    await q(`insert into material_usage (id, usage_no, culture_record, used_at, lab_id, lines) select g, 'MU' || g, g, now(), 1, jsonb_build_array(jsonb_build_object('lot', 1 + (g * 31) % ${LOTS}, 'quantity', 2)) from generate_series(1, ${N}) g`);
    await q(`insert into culture_step (id, step_no, culture_record, performed_at, lab_id) select g, 'ST' || g, 1 + (g - 1) / ${STEPS}, now(), 1 from generate_series(1, ${N * STEPS}) g`);
    await q(`insert into cell_batch (id, batch_code, customer, "order", culture_record, freeze_date, lab_id) select g, 'FB' || g, g, g, g, date '2026-02-01', 1 from generate_series(1, ${N}) g`);
    await q(`insert into cryovial (id, vial_code, batch, lab_id) select g, 'V' || g, 1 + (g - 1) / ${VIALS}, 1 from generate_series(1, ${N * VIALS}) g`);
    await q(`insert into stock_out (id, stock_out_no, batch, executed_at, lab_id) select g, 'SO' || g, g, now(), 1 from generate_series(1, ${N}) g`);
    await q(`insert into stock_out__vials (owner_id, target_id) select g, (g - 1) * ${VIALS} + 1 from generate_series(1, ${N}) g`);
    await q(`insert into preparation (id, product_code, "order", customer, batch, stock_out, prepared_at, lab_id) select g, 'PR' || g, g, g, g, g, now(), 1 from generate_series(1, ${N}) g`);
    await q(`insert into preparation__vials (owner_id, target_id) select g, (g - 1) * ${VIALS} + 1 from generate_series(1, ${N}) g`);
    await q(`update stock_out set preparation = id`);
    await q(`insert into handover (id, handover_no, preparation, "order", dispatched_at, lab_id) select g, 'HO' || g, g, g, now(), 1 from generate_series(1, ${N}) g`);
    for (const t of ['material_lot', 'room', 'customer', 'service_order', 'sample', 'culture_record', 'material_usage', 'culture_step', 'cell_batch', 'cryovial', 'stock_out', 'preparation', 'handover'])
      await q(`select setval(pg_get_serial_sequence('${t}', 'id'), (select max(id) from ${t}))`);
    await q('vacuum analyze'); // as autovacuum would: statistics, and the GIN pending list merged
    const total = N * (8 + STEPS + VIALS + 1) + LOTS + 21;
    console.log(`  fixture: ${total.toLocaleString('en')} records in the chain tables (${N.toLocaleString('en')} chains, ${LOTS.toLocaleString('en')} material lots) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const engine = traceEngine(s);
    const pick = (i: number) => 1 + ((i * 7919) % N);
    const lot = (i: number) => 1 + ((i * 104729) % LOTS);

    // ---- hand-written baselines: the same walks as fixed SQL for this schema
    const baseUp = (h: number) => k.raw(
      `with p as (select preparation as id from handover where id = ?), b as (select batch as id from preparation where id in (select id from p)),
            c as (select culture_record as id from cell_batch where id in (select id from b))
       select l.id, l.lot_no from material_lot l where l.id in (
         select (x->>'lot')::bigint from culture_record r, jsonb_array_elements(r.materials) x where r.id in (select id from c)
         union select (x->>'lot')::bigint from material_usage u, jsonb_array_elements(u.lines) x where u.culture_record in (select id from c))`, [h]);
    const baseRecall = (l: number) => k.raw(
      `with c as (select id from culture_record where materials @> jsonb_build_array(jsonb_build_object('lot', ?::bigint))
                  union select culture_record from material_usage where lines @> jsonb_build_array(jsonb_build_object('lot', ?::bigint))),
            p as (select pr.id, pr.product_code, pr.customer from preparation pr join cell_batch b on b.id = pr.batch where b.culture_record in (select id from c))
       select p.product_code, cu.name, h.handover_no from p left join customer cu on cu.id = p.customer left join handover h on h.preparation = p.id`, [l, l]);

    const up0 = await engine.trace(ctx, 'handover', pick(1), { direction: 'up', depth: 12 });
    const lots0 = up0.nodes.filter((n) => n.entity === 'materialLot').length;
    const r0 = await recall(engine, s.records, ctx, { entity: 'materialLot', id: lot(1) });
    console.log(`  (a product reaches ${lots0} material lots in ${up0.nodes.length} upstream records; a lot reaches ${r0.products.length} products and handovers of ${r0.patients.length} patients in ${r0.reached} records)`);

    const engUp = await timed(ITER, (i) => engine.trace(ctx, 'handover', pick(i), { direction: 'up', depth: 12 }));
    const hUp = await timed(ITER, (i) => baseUp(pick(i)));
    console.log(`  backward trace, product → every material lot (engine, in-process): ${show(engUp)} (target < 50 ms) · hand-written SQL ${show(hUp)} · ratio ${(pct(engUp, 50) / pct(hUp, 50)).toFixed(1)}×`);
    const engRec = await timed(ITER, (i) => recall(engine, s.records, ctx, { entity: 'materialLot', id: lot(i) }));
    const hRec = await timed(ITER, (i) => baseRecall(lot(i)));
    console.log(`  recall, material lot → every product and patient (engine, in-process): ${show(engRec)} (target < 200 ms) · hand-written SQL ${show(hRec)} · ratio ${(pct(engRec, 50) / pct(hRec, 50)).toFixed(1)}×`);

    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    const token = (await login.json()).token;
    const get = async (p: string) => {
      const r = await fetch(url + p, { headers: { Authorization: `Bearer ${token}` } });
      if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
      return r.arrayBuffer();
    };
    const httpUp = await timed(ITER, (i) => get(`/api/v1/trace/handover/${pick(i)}?direction=up`));
    console.log(`  GET /api/v1/trace/handover/:id?direction=up: ${show(httpUp)} (target < 50 ms)`);
    const httpRec = await timed(ITER, (i) => get(`/api/v1/trace/recall?entity=materialLot&id=${lot(i)}`));
    console.log(`  GET /api/v1/trace/recall?entity=materialLot: ${show(httpRec)} (target < 200 ms)`);
    const httpX = await timed(Math.min(ITER, 50), (i) => get(`/api/v1/trace/recall?entity=materialLot&id=${lot(i)}&format=xlsx`));
    console.log(`  GET /api/v1/trace/recall?…&format=xlsx: ${show(httpX)}`);
  } finally {
    await server.stop();
    if (!process.env.BENCH_KEEP_DB) await dropDatabase(db.name);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
