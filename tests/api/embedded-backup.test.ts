import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pino from 'pino';
import type { Knex } from 'knex';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { createKnex } from '../../platform/db/connection';
import { logicalBackup, logicalRestore, withEmbeddedKnex } from '../../platform/audit/logical-backup';
import { pruneBackups } from '../../platform/audit/backup';
import { verifyAuditChain } from '../../platform/audit/trail';
import { ADMIN_PASSWORD } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** Row count and md5 over every row of each table, plus sequence positions: "same rows and checksums". */
async function fingerprint(knex: Knex): Promise<Record<string, string>> {
  const tables = (await knex.raw(`select tablename from pg_tables where schemaname = 'public' order by 1`)).rows.map((r: any) => r.tablename);
  const out: Record<string, string> = {};
  for (const t of tables) {
    const r = (await knex.raw(`select count(*)::text as n, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as h from ?? x`, [t])).rows[0];
    out[t] = `${r.n}:${r.h}`;
  }
  for (const s of (await knex.raw(`select sequencename as n, last_value::text as v from pg_sequences where schemaname = 'public'`)).rows) out[`seq:${s.n}`] = s.v;
  const ix = (await knex.raw(`select count(*)::int as n from pg_indexes where schemaname = 'public'`)).rows[0].n;
  const trg = (await knex.raw(`select count(*)::int as n from pg_trigger t join pg_class c on c.oid = t.tgrelid where c.relnamespace = 'public'::regnamespace and not t.tgisinternal`)).rows[0].n;
  out['$objects'] = `${ix} indexes, ${trg} triggers`;
  return out;
}

let tmp: string;
let embeddedPrint: Record<string, string>;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-ebackup-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('embedded mode: backup → restore into an empty embedded database gives the same rows, checksums and audit chain; retention', async () => {
  const dirA = path.join(tmp, 'a');
  const dirB = path.join(tmp, 'b');
  const backups = path.join(tmp, 'backups');
  const env = { DATA_DIR: dirA, ADMIN_PASSWORD, DEMO_DATA: 'true', BACKUP_DIR: backups };
  const server = await createServer({ ...loadConfig(env, ROOT), databaseUrl: undefined, runJobs: false }, { logger: pino({ level: 'silent' }), print: () => {} });
  let file: string;
  let before: Record<string, string>;
  try {
    const knex = server.services.knex;
    const { sealAudit } = await import('../../platform/audit/trail');
    await sealAudit(knex);
    before = await fingerprint(knex);
    expect(Number(before.customer.split(':')[0])).toBeGreaterThan(0);
    const r = await logicalBackup(knex, backups, 2);
    file = r.file;
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(r.rows).toBeGreaterThan(100);
    embeddedPrint = before;
    // Nothing changed while the dump ran (it only read).
    expect(await fingerprint(knex)).toEqual(before);
  } finally {
    await server.stop();
  }

  // Restore into a brand-new embedded database (what `celltrace restore FILE` does with DATA_DIR=b).
  await withEmbeddedKnex(dirB, async (knex) => {
    const r = await logicalRestore(knex, file);
    expect(r.tables).toBeGreaterThan(10);
    expect(await fingerprint(knex)).toEqual(before);
    expect(await verifyAuditChain(knex)).toMatchObject({ ok: true });
    // The append-only triggers came back with the schema.
    await expect(knex('ct_audit').where('id', 1).update({ reason: 'x' })).rejects.toThrow();
  });

  // Retention counts logical and pg_dump files together.
  for (const n of ['20250101T000000Z', '20250102T000000Z']) fs.writeFileSync(path.join(backups, `celltrace-${n}.jsonl.gz`), '');
  fs.writeFileSync(path.join(backups, 'celltrace-20250103T000000Z.dump'), '');
  expect(pruneBackups(backups, 2)).toEqual(['celltrace-20250101T000000Z.jsonl.gz', 'celltrace-20250102T000000Z.jsonl.gz']);
  expect(fs.readdirSync(backups)).toContain(path.basename(file!));
}, 180_000);

it('the same logical file restores into server-mode PostgreSQL, and a damaged or truncated file restores nothing', async () => {
  const backups = path.join(tmp, 'backups');
  const file = path.join(backups, fs.readdirSync(backups).filter((f) => f.endsWith('.jsonl.gz') && !f.startsWith('celltrace-2025')).sort().at(-1)!);
  const db = await createDatabase('celltrace_lrestore');
  const knex = createKnex(db.url);
  try {
    await logicalRestore(knex, file);
    const good = await fingerprint(knex);
    expect(good).toEqual(embeddedPrint); // PGlite → PostgreSQL, row for row
    // The restored database serves as a CellTrace database: the audit chain verifies.
    expect(await verifyAuditChain(knex)).toMatchObject({ ok: true });
    const lines = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').split('\n');
    const damaged = path.join(tmp, 'damaged.jsonl.gz');
    const i = lines.findIndex((l) => l.startsWith('{"type":"row","t":"customer"'));
    fs.writeFileSync(damaged, zlib.gzipSync(lines.map((l, j) => (j === i ? l.replace(/"name":"[^"]*"/, '"name":"Mallory"') : l)).join('\n')));
    await expect(logicalRestore(knex, damaged)).rejects.toThrow(/checksum/);
    const cut = path.join(tmp, 'cut.jsonl.gz');
    fs.writeFileSync(cut, zlib.gzipSync(lines.slice(0, Math.floor(lines.length * 0.8)).join('\n')));
    await expect(logicalRestore(knex, cut)).rejects.toThrow(/incomplete/);
    expect(await fingerprint(knex)).toEqual(good); // both failed restores rolled back entirely
  } finally {
    await knex.destroy();
    await dropDatabase(db.name);
  }
}, 120_000);

it('`celltrace backup` without DATABASE_URL writes a logical dump of the embedded database', async () => {
  const dirB = path.join(tmp, 'b');
  const out = path.join(tmp, 'cli-backups');
  const { stdout } = await run('npx', ['tsx', 'platform/main.ts', 'backup'], {
    cwd: ROOT, env: { ...process.env, DATABASE_URL: '', DATA_DIR: dirB, BACKUP_DIR: out, LOG_LEVEL: 'warn' },
  });
  expect(stdout).toMatch(/celltrace-\d{8}T\d{6}Z\.jsonl\.gz \(\d+ tables, \d+ rows\)/);
  expect(fs.readdirSync(out).filter((f) => f.endsWith('.jsonl.gz'))).toHaveLength(1);
}, 120_000);
