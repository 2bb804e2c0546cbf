// `npx tsx tests/bench/inventory-import.ts`: figures, not a test (issue 17). A lab's liquid-nitrogen inventory as
// one row per vial — one tank, canisters of 13 boxes of 9×9, batches of 40 vials with their intake QC — imported the
// way the wizard's jobs do: parse, check (a trial write, rolled back), commit (devices, containers and boxes, batches,
// QC records, one stock-in per batch placing the vials, all through the record pipeline). Env: BENCH_INVENTORY_VIALS
// (default 10000).
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { systemContext } from '../../platform/context';
import { IMPORTERS, type Importer } from '../../platform/import';
import { registryOf } from '../../platform/plugins/host';
import { inventoryWorkbook } from '../../plugins/storage-slots/inventory-import';
import { createDatabase, dropDatabase } from '../support/pg';

const ROOT = path.resolve(__dirname, '../..');
const VIALS = Number(process.env.BENCH_INVENTORY_VIALS ?? 10_000);
const ROWS = 'ABCDEFGHI';
const PER_BATCH = Number(process.env.BENCH_INVENTORY_BATCH ?? 40);

async function main() {
  const db = await createDatabase('celltrace_bench_inventory');
  const config = { ...loadConfig({ CELLTRACE_DATA_KEY: '11'.repeat(32), ...process.env, DATABASE_URL: db.url, ADMIN_PASSWORD: 'Bench#12345', DEMO_DATA: 'false' }, ROOT), runJobs: false };
  const server = await createServer(config, { logger: pino({ level: 'silent' }), print: () => {} });
  try {
    const s = server.services;
    const org = async (kind: string, code: string, parent: number | null) => Number((await s.knex('ct_org').insert({ kind, code, name: code, parent_id: parent }).returning('id'))[0].id);
    const lab = await org('lab', 'BINV', await org('centre', 'BINC', await org('company', 'BINCO', null)));
    const ctx = { ...systemContext(), lang: 'zh-CN' as const };
    const rows = Array.from({ length: VIALS }, (_, i) => {
      const box = Math.floor(i / 81);
      const p = i % 81;
      const batch = Math.floor(i / PER_BATCH);
      const first = i % PER_BATCH === 0;
      return {
        deviceCode: 'LN2-BENCH', ...(i === 0 ? { deviceName: '基准液氮罐', deviceType: '液氮罐', site: '上海中心' } : {}),
        containerPath: `C${Math.floor(box / 13) + 1}`, box: `B${(box % 13) + 1}`, ...(p === 0 ? { boxType: 'box9x9' } : {}),
        position: `${ROWS[Math.floor(p / 9)]}${(p % 9) + 1}`, batchNo: `BENCH-${String(batch).padStart(5, '0')}`, cellType: '脐带间充质干细胞', freezeDate: '2024-05-06', passage: 3,
        ...(first ? { qcDate: '2024-05-08', viability: 95, sterility: '阴性', mycoplasma: '阴性' } : {}),
      };
    });
    const buf = await inventoryWorkbook({}, 'zh-CN', rows);
    console.log(`  workbook: ${VIALS.toLocaleString('en')} vials in ${Math.ceil(VIALS / 81)} boxes, ${Math.ceil(VIALS / PER_BATCH)} batches, ${(buf.length / 1e6).toFixed(1)} MB`);
    const kind = registryOf<Importer>(s, IMPORTERS).get('cellInventory')!;
    const owner = { labId: lab, orgId: lab };
    const t0 = performance.now();
    const parsed = await kind.parse(ctx, buf);
    const t1 = performance.now();
    const check = await kind.write(ctx, parsed, { dryRun: true, owner, reason: 'bench' });
    const t2 = performance.now();
    if (parsed.errors.length || check.errors.length) throw new Error(`unexpected row errors: ${JSON.stringify([...parsed.errors, ...check.errors].slice(0, 3))}`);
    let statements = 0;
    const count = (q: { sql: string }) => {
      statements++;
      if (process.env.BENCH_SQL) console.log(q.sql.slice(0, 160));
    };
    s.knex.on('query', count);
    const started = new Map<string, [number, string]>();
    const slow: [number, string][] = [];
    if (process.env.BENCH_SQL_SLOW) {
      s.knex.on('query', (q: any) => started.set(q.__knexQueryUid, [performance.now(), q.sql]));
      s.knex.on('query-response', (_r: unknown, q: any) => {
        const x = started.get(q.__knexQueryUid);
        if (x) slow.push([performance.now() - x[0], x[1].slice(0, 200)]);
      });
    }
    const r = await kind.write(ctx, parsed, { dryRun: false, owner, reason: 'bench' });
    const t3 = performance.now();
    s.knex.removeListener('query', count);
    if (process.env.BENCH_SQL_SLOW) {
      console.log(`  SQL time ${(slow.reduce((a, x) => a + x[0], 0) / 1000).toFixed(1)} s in ${slow.length} statements`);
      const by = new Map<string, number>();
      for (const [ms, sql] of slow) by.set(sql.slice(0, 90), (by.get(sql.slice(0, 90)) ?? 0) + ms);
      for (const [sql, ms] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${ms.toFixed(0)} ms ${sql}`);
    }
    const n = Number((await s.knex('cryovial').count({ n: '*' }))[0].n);
    if (r.errors.length || n !== VIALS) throw new Error(`commit: ${n} vials, ${JSON.stringify(r.errors.slice(0, 3))}`);
    const secs = (a: number, b: number) => ((b - a) / 1000).toFixed(1);
    console.log(`  parse ${secs(t0, t1)} s · check (trial write) ${secs(t1, t2)} s · commit ${secs(t2, t3)} s: ${Math.round(VIALS / ((t3 - t2) / 1000)).toLocaleString('en')} vials/s placed, ${statements.toLocaleString('en')} SQL statements (${(statements / VIALS).toFixed(2)} per vial)`);
  } finally {
    await server.stop();
    if (!process.env.BENCH_KEEP_DB) await dropDatabase(db.name);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
