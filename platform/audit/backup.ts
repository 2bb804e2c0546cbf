import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** pg tools take the URL as --dbname; the password (if any) travels in the environment, never on the command line. */
function connArgs(url: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const env = { ...process.env };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  u.password = '';
  return { args: ['--dbname', u.toString()], env };
}

/**
 * Server-mode backup: `pg_dump -Fc` of the whole database into `dir` as celltrace-<UTC stamp>.dump
 * (mode 0600), then keeps the newest `keep` dumps. Returns the file written.
 */
export async function backupDatabase(url: string, dir: string, keep = 14): Promise<string> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = path.join(dir, `celltrace-${stamp}.dump`);
  const tmp = `${file}.part`;
  const { args, env } = connArgs(url);
  await run('pg_dump', ['-Fc', '--no-owner', '--no-privileges', '-f', tmp, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  pruneBackups(dir, keep);
  return file;
}

export function pruneBackups(dir: string, keep: number): string[] {
  // pg_dump files (server mode) and logical backups (embedded mode) share one retention count, newest kept.
  const dumps = fs.readdirSync(dir).filter((f) => /^celltrace-\d{8}T\d{6}Z\.(dump|jsonl\.gz)$/.test(f)).sort();
  const old = dumps.slice(0, Math.max(0, dumps.length - keep));
  for (const f of old) fs.rmSync(path.join(dir, f));
  return old;
}

/** Restores a dump into the (empty or existing) database: objects in the dump are dropped and recreated. */
export async function restoreDatabase(url: string, file: string): Promise<void> {
  if (!fs.existsSync(file)) throw new Error(`no such backup file: ${file}`);
  const { args, env } = connArgs(url);
  await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', ...args, file], { env, maxBuffer: 16 * 1024 * 1024 });
}
