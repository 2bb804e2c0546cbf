import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startTestServer } from '../support/app';
import { createDatabase, dropDatabase, ADMIN_URL } from '../support/pg';
import { backupDatabase, restoreDatabase, pruneBackups } from '../../platform/audit/backup';

/** Row count and an md5 over every row of each table, ordered: "same rows and checksums". */
async function fingerprint(url: string): Promise<Record<string, string>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const tables = (await c.query(`select tablename from pg_tables where schemaname = 'public' order by 1`)).rows.map((r) => r.tablename);
    const out: Record<string, string> = {};
    for (const t of tables) {
      const r = await c.query(`select count(*)::text as n, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as h from "${t}" x`);
      out[t] = `${r.rows[0].n}:${r.rows[0].h}`;
    }
    return out;
  } finally {
    await c.end();
  }
}

it('R-3.7.7 backup → drop database → restore gives the same rows and checksums; retention prunes old dumps', async () => {
  const db = await createDatabase('celltrace_backup');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-backup-'));
  try {
    const t = await startTestServer({ databaseUrl: db.url });
    const admin = await t.login();
    for (let i = 0; i < 20; i++) await t.api('POST', '/api/v1/data/customer', { token: admin, body: { name: `客户 ${i}`, phone: '13812345670' } });
    await t.stop();
    const before = await fingerprint(db.url);
    expect(Number(before.customer.split(':')[0])).toBe(20);
    const file = await backupDatabase(db.url, dir, 3);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // Drop and recreate the database under the same name.
    const c = new Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE "${db.name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${db.name}"`);
    await c.end();
    await restoreDatabase(db.url, file);
    expect(await fingerprint(db.url)).toEqual(before);
    // The restored database serves, and its audit chain is intact.
    const t2 = await startTestServer({ databaseUrl: db.url });
    expect((await t2.api('GET', '/api/v1/admin/audit/verify', { token: await t2.login() })).body.data.ok).toBe(true);
    await t2.stop();
    for (const n of ['20250101T000000Z', '20250102T000000Z', '20250103T000000Z']) fs.writeFileSync(path.join(dir, `celltrace-${n}.dump`), '');
    expect(pruneBackups(dir, 3)).toHaveLength(1);
    expect(fs.readdirSync(dir)).toContain(path.basename(file));
  } finally {
    await dropDatabase(db.name);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
