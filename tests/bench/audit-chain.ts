/**
 * Cost of the audit hash chain on create throughput (issue 3): the same creates with the chained writer (advisory
 * lock from the audit write to commit) and with the plain insert writer (no chain; the pipeline may fuse the
 * create and its audit row into one statement). Run: npx tsx tests/bench/audit-chain.ts
 */
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { setAuditWriter, auditRow } from '../../platform/audit/audit';
import { installAuditTrail } from '../../platform/audit/trail';
import { createDatabase, dropDatabase } from '../support/pg';
import { systemContext } from '../../platform/context';

async function main() {
  const db = await createDatabase('celltrace_bench_audit');
  const server = await createServer({ ...loadConfig({ ...process.env, DATABASE_URL: db.url, ADMIN_PASSWORD: 'Admin#12345', DEMO_DATA: 'false' }), runJobs: false }, { logger: pino({ level: 'silent' }), print: () => {} });
  const { records } = server.services;
  const ctx = { ...systemContext('en'), actor: { id: 1, username: 'admin', displayName: 'admin', isAdmin: true, orgId: null, labId: null } };
  const N = Number(process.env.N ?? 2000);
  const C = Number(process.env.C ?? 20);
  const run = async (label: string) => {
    let i = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (i < N) {
          i++;
          await records.create(ctx, 'customer', { name: `bench ${i}`, phone: '123456' });
        }
      }),
    );
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`${label.padEnd(34)} ${N} creates, concurrency ${C}: ${(N / s).toFixed(0)} creates/s`);
    return N / s;
  };
  try {
    await run('warm-up (chained)');
    const chained = await run('chained (lock to commit)');
    setAuditWriter(async (trx, e) => void (await trx('ct_audit').insert(auditRow(e))), { plainInsert: true });
    const plain = await run('plain insert (no chain, fused)');
    installAuditTrail();
    const chained2 = await run('chained again');
    console.log(`chain cost: ${(100 * (1 - (chained + chained2) / 2 / plain)).toFixed(1)}% of plain throughput`);
  } finally {
    await server.stop();
    await dropDatabase(db.name);
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
