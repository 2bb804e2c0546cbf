// `npx tsx tests/bench/materials.ts`: figures, not a test (issue 11). Seeds 1,000,000 ledger movements and a store
// with 10,000 lots into a fresh PostgreSQL database, then measures over HTTP, each against a hand-written baseline
// query in the same process:
//   - the consumption ledger grouped by month × kind (the route reads the daily roll-up; the baseline scans movements);
//   - the stock query of one store with 10,000 lots (route: scoped joins, flags, first page; baseline: plain joins);
//   - 100 parallel issues of one lot through the record pipeline: throughput, refusals and negative balances.
// Env: BENCH_MOVEMENTS (default 1000000), BENCH_LOTS (default 10000), BENCH_ITER (default 30), BENCH_KEEP_DB=1.
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { systemContext } from '../../platform/context';
import { createDatabase, dropDatabase } from '../support/pg';
import { pct, timed } from './timing';

const ROOT = path.resolve(__dirname, '../..');
const MOVES = Number(process.env.BENCH_MOVEMENTS ?? 1_000_000);
const LOTS = Number(process.env.BENCH_LOTS ?? 10_000);
const ITER = Number(process.env.BENCH_ITER ?? 30);
const PASSWORD = 'Bench#12345';

const line = (name: string, ours: number[], base: number[], target: string) =>
  console.log(`  ${name}: p50 ${pct(ours, 50).toFixed(1)} ms · p99 ${pct(ours, 99).toFixed(1)} ms (baseline p50 ${pct(base, 50).toFixed(1)} ms, ratio ${(pct(base, 50) / pct(ours, 50)).toFixed(2)}; target ${target})`);

async function main() {
  const db = await createDatabase('celltrace_bench_materials');
  const config = { ...loadConfig({ ...process.env, DATABASE_URL: db.url, ADMIN_PASSWORD: PASSWORD, DEMO_DATA: 'false', DB_POOL_MAX: '20' }, ROOT), runJobs: false };
  const server = await createServer(config, { logger: pino({ level: 'silent' }), plugins: ['consumption-ledger'], print: () => {} });
  const url = await server.listen(0, '127.0.0.1');
  const s = server.services;
  const knex = s.knex;
  const ctx = systemContext('zh-CN');
  try {
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    const token = (await login.json()).token;
    const get = async (p: string) => {
      const r = await fetch(url + p, { headers: { Authorization: `Bearer ${token}` } });
      if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    const post = (p: string, body: unknown) => fetch(url + p, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });

    // ---- master data through the pipeline
    const kinds = ['reagent', 'medium', 'supplement', 'consumable'];
    const cats: Record<string, any>[] = [];
    for (const k of kinds) cats.push(await s.records.create(ctx, 'materialCategory', { code: `C-${k}`, name: k, kind: k }));
    const mats = await s.records.createMany(ctx, 'material', Array.from({ length: 40 }, (_, i) => ({ name: `Bench material ${i}`, category: cats[i % 4].id, unit: 'mL', packSize: 10, minStock: 100 })));
    const stores = await s.records.createMany(ctx, 'materialStore', Array.from({ length: 10 }, (_, i) => ({ code: `S${i}`, name: `Store ${i}`, storeKind: i ? 'secondary' : 'main' })));
    let t0 = Date.now();
    const lots: any[] = [];
    for (let i = 0; i < LOTS; i += 1000)
      lots.push(...(await s.records.createMany(ctx, 'materialLot', Array.from({ length: Math.min(1000, LOTS - i) }, (_, j) => ({
        material: mats[(i + j) % mats.length].id, lotNo: `L${String(i + j).padStart(6, '0')}`, expiryDate: new Date(Date.now() + (((i + j) % 700) - 30) * 86400_000).toISOString().slice(0, 10),
      })), { set: { status: 'released' } })));
    console.log(`  seeded ${lots.length.toLocaleString('en')} lots through the pipeline in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // ---- 1,000,000 movements (bench data: consistent movements, balances and roll-up written in bulk)
    t0 = Date.now();
    const lotIds = lots.map((l) => l.id);
    const matOf = Object.fromEntries(lots.map((l) => [l.id, l.material]));
    const kindOf = Object.fromEntries(mats.map((m: any) => [m.id, m.kind]));
    await knex.raw(`create temporary table bench_lot (i int, id bigint, material_id bigint, kind text)`);
    for (let i = 0; i < lotIds.length; i += 2000)
      await knex('bench_lot').insert(lotIds.slice(i, i + 2000).map((id, j) => ({ i: i + j, id, material_id: matOf[id], kind: kindOf[matOf[id]] })));
    await knex.raw(`alter table cl_movement disable trigger cl_movement_no_change`);
    await knex.raw(
      `insert into cl_movement (at, doc_entity, doc_id, line_no, lot_id, material_id, kind, store_id, lab_id, qty, purpose, actor_name)
       select now() - ((g % 365) || ' days')::interval, 'materialUsage', g, 0, l.id, l.material_id, l.kind, ?::bigint + (g % 9) + 1, null, -((g % 7) + 1), case when g % 10 = 0 then 'issue' else 'usage' end, 'bench'
       from generate_series(1, ?) g join bench_lot l on l.i = g % ?`,
      [stores[0].id - 1, MOVES, lotIds.length],
    );
    await knex.raw(`alter table cl_movement enable trigger cl_movement_no_change`);
    await knex.raw(`insert into cl_daily (day, lab_id, store_id, material_id, kind, purpose, qty, n)
      select at::date, coalesce(lab_id, 0), store_id, material_id, coalesce(kind, ''), purpose, sum(qty), count(*) from cl_movement group by 1, 2, 3, 4, 5, 6`);
    // The first store holds every lot (10,000 balances); the others what was consumed from them, plus a margin.
    await knex.raw(`insert into cl_balance (lot_id, store_id, lab_id, material_id, qty, expiry_date) select b.id, ?, null, b.material_id, 500, l.expiry_date from bench_lot b join material_lot l on l.id = b.id`, [stores[0].id]);
    await knex.raw(`insert into cl_balance (lot_id, store_id, lab_id, material_id, qty)
      select lot_id, store_id, null, min(material_id), -sum(qty) + 10 from cl_movement where store_id <> ? group by lot_id, store_id`, [stores[0].id]);
    await knex.raw(`update cl_balance b set expiry_date = l.expiry_date from material_lot l where l.id = b.lot_id and b.expiry_date is null`);
    await knex.raw(`insert into cl_material_total (lab_id, material_id, qty) select coalesce(lab_id, 0), material_id, sum(qty) from cl_balance group by 1, 2`);
    await knex.raw('analyze');
    const daily = Number((await knex('cl_daily').count('* as n').first())!.n);
    console.log(`  seeded ${MOVES.toLocaleString('en')} movements (${daily.toLocaleString('en')} daily roll-up rows) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // ---- the consumption ledger, month × kind, over every movement
    const from = new Date(Date.now() - 366 * 86400_000).toISOString().slice(0, 10);
    const to = new Date().toISOString().slice(0, 10);
    const ledger = await timed(ITER, () => get(`/api/v1/materials/ledger?groupBy=month,kind&from=${from}&to=${to}`));
    const rows = (await get(`/api/v1/materials/ledger?groupBy=month,kind&from=${from}&to=${to}`)).totals.movements;
    const ledgerBase = await timed(Math.min(ITER, 10), () => knex.raw(
      `select to_char(at, 'YYYY-MM') as month, kind, sum(-qty), count(*) from cl_movement where purpose in ('usage', 'issue') and at >= ?::date and at < ?::date + 1 group by 1, 2 order by 1, 2`, [from, to]));
    console.log(`Consumption ledger grouped by month × kind over ${rows.toLocaleString('en')} movements (GET /api/v1/materials/ledger?groupBy=month,kind)`);
    line('ledger', ledger, ledgerBase, '< 300 ms; baseline = a GROUP BY over the movements');

    // ---- stock of one store with 10,000 lots
    const n = (await get(`/api/v1/materials/stock?store=${stores[0].id}&limit=1`)).total;
    const stock = await timed(ITER, () => get(`/api/v1/materials/stock?store=${stores[0].id}`));
    const stockBase = await timed(ITER, () => knex.raw(
      `select b.*, l.lot_no, l.expiry_date, m.name from cl_balance b join material_lot l on l.id = b.lot_id join material m on m.id = b.material_id
       where b.store_id = ? and b.qty > 0 order by l.expiry_date, b.lot_id limit 200`, [stores[0].id]));
    console.log(`Stock query of one store with ${Number(n).toLocaleString('en')} lots (GET /api/v1/materials/stock?store=…, first page of 200 with flags and total)`);
    line('stock', stock, stockBase, '< 50 ms; baseline = hand-written joins on the entity tables');

    // ---- 100 parallel issues of one lot (50 in stock: half must be refused, none may go below zero)
    const one = lots.find((l) => l.expiryDate > new Date().toISOString().slice(0, 10))!; // usable: released, not expired
    const lot = one.id;
    await knex('cl_balance').where({ store_id: stores[1].id, lot_id: lot }).delete();
    await knex('cl_balance').insert({ lot_id: lot, store_id: stores[1].id, lab_id: null, material_id: one.material, qty: 50 });
    t0 = performance.now();
    const res = await Promise.all(Array.from({ length: 100 }, () => post('/api/v1/data/materialUsage', { store: stores[1].id, lines: [{ lot, quantity: 1 }] })));
    const wall = performance.now() - t0;
    const ok = res.filter((r) => r.status === 201).length;
    const refused = res.filter((r) => r.status === 422).length;
    const negative = Number((await knex('cl_balance').where('qty', '<', 0).count('* as n').first())!.n);
    const left = Number((await knex('cl_balance').where({ store_id: stores[1].id, lot_id: lot }).first()).qty);
    console.log(`100 parallel issues of one lot holding 50 (POST /api/v1/data/materialUsage × 100 at once)`);
    console.log(`  ${ok} posted, ${refused} refused (insufficient), other ${100 - ok - refused}; ${wall.toFixed(0)} ms wall, ${((100 / wall) * 1000).toFixed(0)} requests/s; balance left ${left}; negative balances ${negative}`);
  } finally {
    await server.stop();
    if (!process.env.BENCH_KEEP_DB) await dropDatabase(db.name);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
