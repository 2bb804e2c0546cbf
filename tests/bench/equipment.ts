// `npx tsx tests/bench/equipment.ts`: figures, not a test (issue 14). Seeds a register of BENCH_ASSETS assets (default
// 2,000) with two plans each and BENCH_CULTURES culture records (default 2,000) naming two assets each, into a fresh
// PostgreSQL database, then measures over HTTP:
//   - a culture record create naming two gated assets against the same create without equipment (the gate's and the
//     usage log's cost on the write path);
//   - the equipment ledger of the whole register (JSON and XLSX);
//   - the impact query of one asset (batches since its last passing calibration);
//   - the reminder job over every plan: the first run (tasks for the due ones) and a second run (nothing to send).
// Env: BENCH_ASSETS, BENCH_CULTURES, BENCH_ITER (default 30), BENCH_KEEP_DB=1.
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { systemContext } from '../../platform/context';
import { createDatabase, dropDatabase } from '../support/pg';
import { pct, timed } from './timing';

const ROOT = path.resolve(__dirname, '../..');
const ASSETS = Number(process.env.BENCH_ASSETS ?? 2000);
const CULTURES = Number(process.env.BENCH_CULTURES ?? 2000);
const ITER = Number(process.env.BENCH_ITER ?? 30);
const PASSWORD = 'Bench#12345';

const line = (name: string, xs: number[], target: string) => console.log(`  ${name}: p50 ${pct(xs, 50).toFixed(1)} ms · p99 ${pct(xs, 99).toFixed(1)} ms (target ${target})`);
const iso = (days: number) => new Date(Date.now() + days * 86400_000).toISOString().slice(0, 10);

async function main() {
  const db = await createDatabase('celltrace_bench_equipment');
  const config = { ...loadConfig({ CELLTRACE_DATA_KEY: '62656e6368206b6579206f662063656c6c7472616365206571756970206265ff', ...process.env, DATABASE_URL: db.url, ADMIN_PASSWORD: PASSWORD, DEMO_DATA: 'false', DB_POOL_MAX: '20' }, ROOT), runJobs: false };
  const server = await createServer(config, { logger: pino({ level: 'silent' }), plugins: ['equipment-care'], print: () => {} });
  const url = await server.listen(0, '127.0.0.1');
  const s = server.services;
  const ctx = systemContext('zh-CN');
  try {
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    const token = (await login.json()).token;
    const req = async (method: string, p: string, body?: unknown) => {
      const r = await fetch(url + p, { method, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
      return p.includes('format=xlsx') ? r.arrayBuffer() : r.json();
    };
    let t0 = Date.now();
    const root = await s.records.create(ctx, 'equipmentCategory', { code: 'ROOT', name: '设备' });
    const cats = await s.records.createMany(ctx, 'equipmentCategory', Array.from({ length: 20 }, (_, i) => ({ code: `C${i}`, name: `科目${i}`, parent: root.id })));
    const assets: any[] = [];
    for (let i = 0; i < ASSETS; i += 500)
      assets.push(...(await s.records.createMany(ctx, 'equipment', Array.from({ length: Math.min(500, ASSETS - i) }, (_, j) => ({ name: `设备 ${i + j}`, category: cats[(i + j) % 20].id, purchasePrice: 1000 + ((i + j) % 97) * 100, status: 'inUse' })))));
    const plans: Record<string, unknown>[] = [];
    for (const [k, a] of assets.entries()) {
      plans.push({ equipment: a.id, planType: 'calibration', name: '年度校准', intervalValue: 12, intervalUnit: 'month', scheduleMode: 'fixed', startDate: iso(30 + (k % 300)), remindDays: 14 });
      plans.push({ equipment: a.id, planType: 'maintenance', name: '季度保养', intervalValue: 3, intervalUnit: 'month', scheduleMode: 'fromLast', startDate: iso(k % 90), remindDays: 7 });
    }
    for (let i = 0; i < plans.length; i += 200) await s.records.createMany(ctx, 'maintenancePlan', plans.slice(i, i + 200));
    const customer = await s.records.create(ctx, 'customer', { name: '基准客户' });
    const order = await s.records.create(ctx, 'serviceOrder', { customer: customer.id, serviceItem: 'umbilicalMsc', orderCategory: 'storage' });
    const culture = (equipment?: number[]) => ({ customer: customer.id, order: order.id, cellKind: 'stem', cultureDate: iso(0), totalCells: 10, viability: 95, passage: 1, ...(equipment ? { equipment } : {}) });
    for (let i = 0; i < CULTURES; i += 200)
      await s.records.createMany(ctx, 'cultureRecord', Array.from({ length: Math.min(200, CULTURES - i) }, (_, j) => culture([assets[(i + j) % 50].id, assets[50 + ((i + j) % 50)].id])));
    console.log(`  seeded ${ASSETS} assets, ${plans.length} plans, ${CULTURES} culture records in ${Date.now() - t0} ms`);

    const plain = await timed(ITER, () => req('POST', '/api/v1/data/cultureRecord', culture()));
    const gated = await timed(ITER, () => req('POST', '/api/v1/data/cultureRecord', culture([assets[1].id, assets[51].id])));
    line('culture record create, no equipment', plain, 'baseline');
    line('culture record create naming 2 gated assets (gate + usage log)', gated, '< baseline + 25 ms');
    line('equipment ledger, whole register (JSON)', await timed(Math.min(ITER, 10), () => req('GET', '/api/v1/equipment/ledger')), '< 1000 ms');
    line('equipment ledger, whole register (XLSX)', await timed(Math.min(ITER, 10), () => req('GET', '/api/v1/equipment/ledger?format=xlsx')), '< 2000 ms');
    line(`impact query of one asset (~${Math.round((CULTURES * 2) / 100)} uses)`, await timed(ITER, () => req('GET', `/api/v1/equipment/${assets[1].id}/usage?since=all`)), '< 200 ms');
    t0 = Date.now();
    await s.jobs!.enqueue('equipment-care.reminders', {});
    await s.jobs!.runDueOnce();
    const first = Date.now() - t0;
    const tasks = Number((await s.knex('maintenance_task').count('* as n').first())!.n);
    t0 = Date.now();
    await s.jobs!.enqueue('equipment-care.reminders', {});
    await s.jobs!.runDueOnce();
    const second = Date.now() - t0;
    const again = Number((await s.knex('maintenance_task').count('* as n').first())!.n);
    console.log(`  reminder job over ${plans.length} plans: first run ${first} ms (${tasks} tasks), second run ${second} ms (${again - tasks} new; target 0 new, < 60 s)`);
  } finally {
    await server.stop();
    if (!process.env.BENCH_KEEP_DB) await dropDatabase(db.name);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
