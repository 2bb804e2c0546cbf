// `npx tsx tests/bench/print.ts`: figures, not a test (issue 15 items 5–6). Seeds one batch with BENCH_PRINT_VIALS
// vials (default 200) and QC records, and measures over HTTP: the batch record as HTML and as PDF (pdfkit with the
// embedded Noto Sans SC subset), and the labels of the whole batch as PDF (one 25 × 13 mm page each) and as ZPL.
// Env: BENCH_PRINT_VIALS, BENCH_ITER (default 10).
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { systemContext } from '../../platform/context';
import { createDatabase, dropDatabase } from '../support/pg';
import { pct, timed } from './timing';

const ROOT = path.resolve(__dirname, '../..');
const VIALS = Number(process.env.BENCH_PRINT_VIALS ?? 200);
const ITER = Number(process.env.BENCH_ITER ?? 10);
const PASSWORD = 'Bench#12345';

const line = (name: string, xs: number[], extra = '') => console.log(`  ${name}: p50 ${pct(xs, 50).toFixed(1)} ms · p99 ${pct(xs, 99).toFixed(1)} ms${extra}`);

async function main() {
  const db = await createDatabase('celltrace_bench_print');
  const config = { ...loadConfig({ ...process.env, DATABASE_URL: db.url, ADMIN_PASSWORD: PASSWORD, DEMO_DATA: 'false', DB_POOL_MAX: '10' }, ROOT), runJobs: false };
  const server = await createServer(config, { logger: pino({ level: 'silent' }), plugins: ['qc-gating', 'storage-slots', 'print'], print: () => {} });
  const url = await server.listen(0, '127.0.0.1');
  const s = server.services;
  const ctx = systemContext('zh-CN');
  try {
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    const token = (await login.json()).token;
    const req = async (method: string, p: string, body?: unknown) => {
      const r = await fetch(url + p, { method, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
      return Buffer.from(await r.arrayBuffer());
    };
    const [customer] = await s.records.createMany(ctx, 'customer', [{ name: '性能测试客户' }]);
    const [batch] = await s.records.createMany(ctx, 'cellBatch', [{ cellType: 'UC-MSC', customer: customer.id, vialCount: VIALS, freezeDate: '2026-12-01' }]);
    await s.records.createMany(ctx, 'qcRecord', ['stockInQc', 'releaseQc'].map((qcType) => ({ qcType, batch: batch.id, testedAt: new Date().toISOString(), viability: 95, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1 })));
    await s.records.createMany(ctx, 'cryovial', Array.from({ length: VIALS }, () => ({ batch: batch.id })), {
      set: (i: number) => ({
        vialCode: `${batch.batchCode}-${String(i + 1).padStart(3, '0')}`, chainId: 'COI26000001W', status: 'stored',
        positionLabel: `LN2-01/B${Math.floor(i / 81) + 1}/${String.fromCharCode(65 + Math.floor((i % 81) / 9))}${(i % 9) + 1}`,
      }),
    });
    console.log(`  seeded one batch with ${VIALS} vials`);
    let size = 0;
    line('batch record HTML', await timed(ITER, () => req('GET', `/api/v1/print/documents/batchRecord/${batch.id}.html`)));
    line('batch record PDF', await timed(ITER, async () => (size = (await req('GET', `/api/v1/print/documents/batchRecord/${batch.id}.pdf`)).length)), ` · ${(size / 1024).toFixed(0)} KB`);
    let first = true;
    const labels = (format: string) => req('POST', '/api/v1/print/labels', { template: 'cryovialLabel', batch: batch.id, format, ...(first ? ((first = false), {}) : { reason: 'bench reprint' }) });
    line(`labels of the batch, PDF (${VIALS} labels)`, await timed(ITER, async () => (size = (await labels('pdf')).length)), ` · ${(size / 1024).toFixed(0)} KB`);
    line(`labels of the batch, ZPL (${VIALS} labels)`, await timed(ITER, () => labels('zpl')));
  } finally {
    await server.stop();
    await dropDatabase(db.name);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
