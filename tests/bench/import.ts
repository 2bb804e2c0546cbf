// `npx tsx tests/bench/import.ts`: figures, not a test (issue 17). Builds an XLSX of 100,000 customers (name,
// gender and source by their Chinese names, birth date, address) and imports it into a fresh PostgreSQL database the
// way the wizard's jobs do: read the workbook, check every row, write all rows through the record pipeline in one
// transaction (numbering, audit). Target: < 60 s for the whole import. Env: BENCH_IMPORT_ROWS (default 100000).
import path from 'node:path';
import ExcelJS from 'exceljs';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { systemContext } from '../../platform/context';
import { checkRows, parseWorkbook, writeRows } from '../../platform/import';
import { createDatabase, dropDatabase } from '../support/pg';

const ROOT = path.resolve(__dirname, '../..');
const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000);

async function main() {
  const db = await createDatabase('celltrace_bench_import');
  const config = { ...loadConfig({ CELLTRACE_DATA_KEY: '11'.repeat(32), ...process.env, DATABASE_URL: db.url, ADMIN_PASSWORD: 'Bench#12345', DEMO_DATA: 'false' }, ROOT), runJobs: false };
  const server = await createServer(config, { logger: pino({ level: 'silent' }), plugins: [], print: () => {} });
  try {
    const s = server.services;
    const org = async (kind: string, code: string, parent: number | null) => Number((await s.knex('ct_org').insert({ kind, code, name: code, parent_id: parent }).returning('id'))[0].id);
    const lab = await org('lab', 'BIL', await org('centre', 'BIC', await org('company', 'BICO', null)));
    const ctx = { ...systemContext(), lang: 'zh-CN' as const };
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('客户');
    ws.addRow(['姓名 *', '性别', '出生日期', '客户来源', '地址']);
    const genders = ['男', '女'];
    const sources = ['合作医院', '销售推荐', '线上预约', '到店咨询'];
    for (let i = 0; i < ROWS; i++) ws.addRow([`导入客户${i}`, genders[i % 2], `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`, sources[i % 4], `上海市浦东新区张江路 ${i} 号`]);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    console.log(`  workbook: ${ROWS.toLocaleString('en')} rows, ${(buf.length / 1e6).toFixed(1)} MB`);

    const t0 = performance.now();
    const parsed = await parseWorkbook(s.records, ctx, 'customer', buf);
    const t1 = performance.now();
    const errors = await checkRows(s.records, ctx, parsed);
    const t2 = performance.now();
    if (errors.length) throw new Error(`unexpected row errors: ${JSON.stringify(errors.slice(0, 3))}`);
    const cpu0 = process.cpuUsage();
    const r = await writeRows(s.records, ctx, parsed, { dryRun: false, owner: { labId: lab, orgId: lab }, reason: 'bench import' });
    const t3 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    if (r.errors.length || r.written !== ROWS) throw new Error(`write: ${r.written} written, ${JSON.stringify(r.errors.slice(0, 3))}`);
    const n = Number((await s.knex('customer').count({ n: '*' }))[0].n);
    const audits = Number((await s.knex('ct_audit').where({ entity: 'customer' }).count({ n: '*' }))[0].n);
    const total = (t3 - t0) / 1000;
    console.log(`  read ${((t1 - t0) / 1000).toFixed(1)} s · check ${((t2 - t1) / 1000).toFixed(1)} s · write ${((t3 - t2) / 1000).toFixed(1)} s, of which app CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (${n.toLocaleString('en')} records, ${audits.toLocaleString('en')} audit rows)`);
    console.log(`  import of ${ROWS.toLocaleString('en')} rows: ${total.toFixed(1)} s, ${Math.round(ROWS / total).toLocaleString('en')} rows/s (target < 60 s: ${total < 60 ? 'met' : 'MISSED'})`);
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
