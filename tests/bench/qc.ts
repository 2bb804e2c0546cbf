// `npx tsx tests/bench/qc.ts`: figures, not a test (issue 13). Seeds a clean-room suite (4 rooms, 12 sampling points)
// with BENCH_EM_READINGS readings (default 20,000, through the record pipeline with its limit checks) and measures over
// HTTP: an EM round of 12 points × 3 parameters (the tablet screen's one submit), the trend of one point and
// parameter, the room map, the QC overview, and a spot-check draw over 1,000 running cultures.
// Env: BENCH_EM_READINGS, BENCH_ITER (default 20), BENCH_KEEP_DB=1.
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { systemContext } from '../../platform/context';
import { createDatabase, dropDatabase } from '../support/pg';
import { pct, timed } from './timing';

const ROOT = path.resolve(__dirname, '../..');
const READINGS = Number(process.env.BENCH_EM_READINGS ?? 20_000);
const ITER = Number(process.env.BENCH_ITER ?? 20);
const PASSWORD = 'Bench#12345';
const PARAMS = ['settlePlate', 'particles05', 'particles5'];

const line = (name: string, xs: number[], target: string) => console.log(`  ${name}: p50 ${pct(xs, 50).toFixed(1)} ms · p99 ${pct(xs, 99).toFixed(1)} ms (target ${target})`);

async function main() {
  const db = await createDatabase('celltrace_bench_qc');
  const config = { ...loadConfig({ ...process.env, DATABASE_URL: db.url, ADMIN_PASSWORD: PASSWORD, DEMO_DATA: 'false', DB_POOL_MAX: '20' }, ROOT), runJobs: false };
  const server = await createServer(config, { logger: pino({ level: 'silent' }), plugins: ['qc-gating'], print: () => {} });
  const url = await server.listen(0, '127.0.0.1');
  const s = server.services;
  const ctx = systemContext('zh-CN');
  try {
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    const token = (await login.json()).token;
    const req = async (method: string, p: string, body?: unknown) => {
      const r = await fetch(url + p, { method, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    const rooms = await s.records.createMany(ctx, 'room', ['A', 'B', 'C', 'D'].map((g) => ({ code: `R-${g}`, name: `Room ${g}`, grade: g })));
    const points = await s.records.createMany(ctx, 'samplingPoint', Array.from({ length: 12 }, (_, i) => ({ code: `P${i}`, name: `Point ${i}`, room: rooms[i % 4].id, parameters: PARAMS })));
    let t0 = Date.now();
    for (let i = 0; i < READINGS; i += 1000)
      await s.records.createMany(ctx, 'emReading', Array.from({ length: Math.min(1000, READINGS - i) }, (_, j) => {
        const k = i + j;
        return { point: points[k % 12].id, parameter: PARAMS[k % 3], value: (k % 7) + 1, occupancy: 'atRest', sampledAt: new Date(Date.now() - (1 + (k % 180)) * 3600_000 * 4).toISOString() };
      }));
    console.log(`  seeded ${READINGS.toLocaleString('en')} EM readings through the pipeline (limit check per reading) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const round = await timed(ITER, () => req('POST', '/api/v1/qc/em/round', { occupancy: 'atRest', readings: points.flatMap((p) => PARAMS.map((parameter) => ({ point: p.id, parameter, value: 1 }))) }));
    line('EM round, 12 points × 3 parameters in one transaction (POST /api/v1/qc/em/round)', round, '< 1,000 ms on the tablet');
    line('trend of one point and parameter (GET /api/v1/qc/em/trend)', await timed(ITER, () => req('GET', `/api/v1/qc/em/trend?point=${points[1].id}&parameter=particles05`)), '< 300 ms');
    line('room map, latest per point and parameter (GET /api/v1/qc/em/room-map)', await timed(ITER, () => req('GET', '/api/v1/qc/em/room-map')), '< 300 ms');
    line('QC overview (GET /api/v1/qc/overview)', await timed(ITER, () => req('GET', '/api/v1/qc/overview')), '< 500 ms');
    // 1,000 running cultures to draw from.
    const cust = await s.records.create(ctx, 'customer', { name: 'Bench', phone: '13800000000' });
    const order = await s.records.create(ctx, 'serviceOrder', { customer: cust.id, serviceItem: 'umbilicalMsc', orderCategory: 'storage' });
    t0 = Date.now();
    for (let i = 0; i < 1000; i += 500)
      await s.records.createMany(ctx, 'cultureRecord', Array.from({ length: 500 }, () => ({ customer: cust.id, order: order.id, cellKind: 'stem', cultureDate: new Date(Date.now() - 86400_000).toISOString().slice(0, 10), totalCells: 1, viability: 90, passage: 1 })));
    const plan = await s.records.create(ctx, 'spotCheckPlan', { name: 'Bench', percent: 5 });
    line('spot-check draw over 1,000 cultures, 50 tasks (POST …/spotCheckPlan/:id/actions/draw)', await timed(Math.min(ITER, 5), (i) => req('POST', `/api/v1/data/spotCheckPlan/${plan.id}/actions/draw`, { seed: `bench${i + 1}` })), '< 3,000 ms');
    console.log(`  (cultures seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } finally {
    await server.stop();
    if (!process.env.BENCH_KEEP_DB) await dropDatabase(db.name);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
