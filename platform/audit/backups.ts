import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { backupDatabase } from './backup';
import { logicalBackup, LOGICAL_SUFFIX } from './logical-backup';

const run = promisify(execFile);

/** The names backups are written under (server mode: pg_dump; embedded: logical dump). */
export const BACKUP_NAME = /^celltrace-(\d{8}T\d{6}Z)\.(dump|jsonl\.gz)$/;

export interface BackupFile {
  name: string;
  /** When it was taken (from the name, UTC). */
  at: string;
  size: number;
  format: 'pgDump' | 'logical';
}

const stampToIso = (s: string) => `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;

/** The backups in `dir`, newest first. */
export function listBackups(dir: string): BackupFile[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((name) => ({ name, m: BACKUP_NAME.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => !!x.m)
    .map(({ name, m }) => ({ name, at: stampToIso(m[1]), size: fs.statSync(path.join(dir, name)).size, format: m[2] === 'dump' ? ('pgDump' as const) : ('logical' as const) }))
    .sort((a, b) => (a.name < b.name ? 1 : -1));
}

/** The path of a backup by its name, or null when the name is not one of ours or the file is gone (no path traversal). */
export function backupPath(dir: string, name: string): string | null {
  if (!BACKUP_NAME.test(name)) return null;
  const file = path.join(dir, name);
  return fs.existsSync(file) ? file : null;
}

/**
 * One backup now, as the scheduled job takes it: pg_dump in server mode, a logical dump through the
 * connection in embedded mode. Two backups in the same second would share a name: the second waits for the next.
 */
export async function takeBackup(opts: { knex: Knex; databaseUrl?: string; dir: string; keep: number }): Promise<BackupFile> {
  const newest = listBackups(opts.dir)[0];
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  if (newest && newest.name.includes(stamp)) await new Promise((r) => setTimeout(r, 1100 - new Date().getMilliseconds()));
  const file = opts.databaseUrl ? await backupDatabase(opts.databaseUrl, opts.dir, opts.keep) : (await logicalBackup(opts.knex, opts.dir, opts.keep)).file;
  const name = path.basename(file);
  return listBackups(opts.dir).find((b) => b.name === name)!;
}

export type VerifyResult =
  | { ok: true; format: BackupFile['format']; tables: number; rows?: number; entries?: number }
  | { ok: false; format: BackupFile['format']; problem: BackupProblem; params?: Record<string, unknown>; detail?: string };

/** Why a backup failed its check (message keys `backup.problem.<key>`). */
export type BackupProblem = 'notBackup' | 'empty' | 'incomplete' | 'checksum' | 'totals' | 'noData' | 'unreadable';

/**
 * Checks a backup without restoring it. A logical dump is read to its end: the header, every table's row count and
 * SHA-256 against its `tableEnd` line, and the `end` line's totals. A pg_dump archive is listed by pg_restore (a
 * truncated or foreign file fails) and must hold table data.
 */
export async function verifyBackup(file: string): Promise<VerifyResult> {
  if (file.endsWith(LOGICAL_SUFFIX)) return verifyLogical(file);
  try {
    const { stdout } = await run('pg_restore', ['--list', file], { maxBuffer: 64 * 1024 * 1024 });
    const entries = stdout.split('\n').filter((l) => l && !l.startsWith(';'));
    const tables = entries.filter((l) => / TABLE DATA /.test(l)).length;
    if (!tables) return { ok: false, format: 'pgDump', problem: 'noData' };
    return { ok: true, format: 'pgDump', tables, entries: entries.length };
  } catch (e) {
    return { ok: false, format: 'pgDump', problem: 'unreadable', detail: String((e as { stderr?: string }).stderr || (e as Error).message).trim().slice(0, 300) };
  }
}

async function verifyLogical(file: string): Promise<VerifyResult> {
  const fail = (problem: BackupProblem, params?: Record<string, unknown>, detail?: string): VerifyResult => ({ ok: false, format: 'logical', problem, params, detail });
  let header = false;
  let table = '';
  let hash = crypto.createHash('sha256');
  let count = 0;
  let tables = 0;
  let rows = 0;
  const input = fs.createReadStream(file).pipe(zlib.createGunzip());
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (!text) continue;
      if (!header) {
        const h = JSON.parse(text);
        if (h.type !== 'header' || h.format !== 'celltrace-logical') return fail('notBackup');
        header = true;
        continue;
      }
      const m = /^\{"type":"row","t":("(?:[^"\\]|\\.)*"),"r":/.exec(text);
      if (m) {
        const t = JSON.parse(m[1]) as string;
        if (count && t !== table) return fail('checksum', { table: t });
        table = t;
        hash.update(text.slice(m[0].length, -1)).update('\n');
        count++;
        continue;
      }
      const l = JSON.parse(text);
      if (l.type === 'tableEnd') {
        if (count !== l.rows || (count && hash.digest('hex') !== l.sha256)) return fail('checksum', { table: l.name });
        tables++;
        rows += count;
        hash = crypto.createHash('sha256');
        count = 0;
      } else if (l.type === 'end') {
        if (l.tables !== tables || l.rows !== rows) return fail('totals', { tables: l.tables, rows: l.rows });
        return { ok: true, format: 'logical', tables, rows };
      }
    }
    return fail(header ? 'incomplete' : 'empty');
  } catch (e) {
    return fail('unreadable', {}, (e as Error).message.slice(0, 300));
  } finally {
    lines.close();
    input.destroy();
  }
}
