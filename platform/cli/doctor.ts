import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import type { Config } from '../config';
import { parseKey, KEY_FILE } from '../auth/crypto';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** What to do about it (for warn and fail). */
  fix?: string;
}

const GB = 1024 ** 3;

/**
 * Checks a configuration without starting the server (so it also explains why a server will not start): database,
 * data key, backup target, pg_dump, clock against the database, disk space, proxy settings.
 */
export async function runDoctor(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const out: Check[] = [];
  const serverMode = !!config.databaseUrl;
  const add = (c: Check) => out.push(c);

  // Database
  let dbNow: number | undefined;
  if (serverMode) {
    const c = new Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5000 });
    try {
      const t0 = Date.now();
      await c.connect();
      const r = await c.query(`select current_setting('server_version_num')::int as v, extract(epoch from clock_timestamp()) * 1000 as now`);
      dbNow = Number(r.rows[0].now) + (Date.now() - t0) / 2;
      const v = Number(r.rows[0].v);
      add(v >= 140000 ? { name: 'database', status: 'ok', detail: `reachable, PostgreSQL ${Math.floor(v / 10000)}` } : { name: 'database', status: 'fail', detail: `PostgreSQL ${Math.floor(v / 10000)} is too old`, fix: 'use PostgreSQL 14 or newer' });
      const migrated = await c.query(`select to_regclass('public.ct_meta_overlay') is not null as ok`);
      if (!migrated.rows[0].ok) add({ name: 'migrations', status: 'warn', detail: 'the database holds no CellTrace schema yet', fix: 'run `npm run celltrace -- migrate` (the server also migrates on start)' });
    } catch (e) {
      add({ name: 'database', status: 'fail', detail: `cannot connect: ${(e as Error).message}`, fix: 'check DATABASE_URL (postgres://user:password@host:5432/db), that PostgreSQL runs and pg_hba.conf admits this host' });
    } finally {
      await c.end().catch(() => {});
    }
  } else {
    add({ name: 'database', status: 'ok', detail: `embedded mode (no DATABASE_URL): data in ${config.dataDir}` });
  }

  // Read replica (DATABASE_READ_URL): reachable, a standby (or says it is not), migrated, its lag.
  if (config.databaseReadUrl) {
    if (!serverMode) add({ name: 'read replica', status: 'warn', detail: 'DATABASE_READ_URL is ignored in embedded mode (no DATABASE_URL)', fix: 'unset DATABASE_READ_URL, or run in server mode' });
    else {
      const c = new Client({ connectionString: config.databaseReadUrl, connectionTimeoutMillis: 5000, application_name: 'celltrace-doctor' });
      try {
        await c.connect();
        const r = await c.query(`select pg_is_in_recovery() as standby, extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as lag, to_regclass('public.ct_meta_overlay') is not null as migrated`);
        const { standby, lag, migrated } = r.rows[0];
        if (!migrated) add({ name: 'read replica', status: 'fail', detail: 'reachable but holds no CellTrace schema (not a replica of DATABASE_URL?)', fix: 'point DATABASE_READ_URL at a streaming replica of the primary (or unset it: exports and aggregates then read the primary)' });
        else if (!standby) add({ name: 'read replica', status: 'warn', detail: 'reachable, but it is a primary, not a standby (pg_is_in_recovery() is false): fine if it is the primary itself', fix: 'for a real replica use a streaming standby (primary_conninfo); see docs/deployment.md "Read replicas"' });
        else if (lag !== null && lag > 30) add({ name: 'read replica', status: 'warn', detail: `standby, last change replayed ${Math.round(lag)} s ago: exports and aggregates may be that stale (an idle primary shows this too)`, fix: 'compare with pg_stat_replication on the primary (replay_lag); check the replication link and the standby\'s load' });
        else add({ name: 'read replica', status: 'ok', detail: `standby${lag !== null ? `, last change replayed ${lag.toFixed(1)} s ago` : ''}` });
      } catch (e) {
        add({ name: 'read replica', status: 'fail', detail: `cannot connect to DATABASE_READ_URL: ${(e as Error).message}`, fix: 'check DATABASE_READ_URL and that the standby admits this host (pg_hba.conf); or unset it to read the primary' });
      } finally {
        await c.end().catch(() => {});
      }
    }
  }

  // Data key
  if (config.dataKey) {
    try {
      parseKey(config.dataKey);
      add({ name: 'data key', status: 'ok', detail: 'CELLTRACE_DATA_KEY is set and well-formed (32 bytes)' });
    } catch (e) {
      add({ name: 'data key', status: 'fail', detail: (e as Error).message, fix: 'set CELLTRACE_DATA_KEY to the output of `openssl rand -hex 32` — or, if data was already encrypted, to the key it was encrypted with' });
    }
  } else if (serverMode) {
    add({ name: 'data key', status: 'fail', detail: 'CELLTRACE_DATA_KEY is missing (required with DATABASE_URL: it encrypts fields marked x-encrypted)', fix: 'generate one with `openssl rand -hex 32`, store it outside the database and its backups (e.g. /etc/celltrace/env, mode 0600), and set it in the service environment' });
  } else {
    const f = path.join(config.dataDir, KEY_FILE);
    add(fs.existsSync(f) ? { name: 'data key', status: 'ok', detail: `embedded key file ${f}` } : { name: 'data key', status: 'warn', detail: `no ${f} yet (created on first start)`, fix: 'back the key file up separately from the data: without it encrypted fields cannot be read' });
  }
  for (const [i, k] of (config.previousDataKeys ?? '').split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    try {
      parseKey(k, 'CELLTRACE_PREVIOUS_DATA_KEYS');
    } catch (e) {
      add({ name: 'data key', status: 'fail', detail: `CELLTRACE_PREVIOUS_DATA_KEYS entry ${i + 1}: ${(e as Error).message}`, fix: 'comma-separated keys, each 64 hex characters' });
    }
  }

  // Backup target
  try {
    fs.mkdirSync(config.backupDir, { recursive: true });
    const probe = path.join(config.backupDir, `.doctor-${process.pid}`);
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe);
    const sameDisk = fs.statSync(config.backupDir).dev === fs.statSync(fs.existsSync(config.dataDir) ? config.dataDir : path.dirname(config.dataDir)).dev;
    add(sameDisk && !serverMode
      ? { name: 'backup target', status: 'warn', detail: `${config.backupDir} is writable but on the same disk as the data`, fix: 'mount off-host storage (NFS/SMB/object-store mount) as BACKUP_DIR, or copy backups off the host (see docs/deployment.md)' }
      : { name: 'backup target', status: 'ok', detail: `${config.backupDir} is writable` });
  } catch (e) {
    add({ name: 'backup target', status: 'fail', detail: `${config.backupDir} is not writable: ${(e as Error).message}`, fix: `create it and give the service user write access: sudo install -d -o celltrace -m 0750 ${config.backupDir}` });
  }
  if (serverMode) {
    try {
      const v = execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }).trim();
      add({ name: 'pg_dump', status: 'ok', detail: v });
    } catch {
      add({ name: 'pg_dump', status: 'fail', detail: 'pg_dump is not on PATH (`celltrace backup` needs it in server mode)', fix: 'install the PostgreSQL client of the server\'s major version (e.g. apt install postgresql-client-16)' });
    }
  }

  // Clock
  if (dbNow !== undefined) {
    const skew = Math.abs(Date.now() - dbNow);
    add(skew < 5000 ? { name: 'clock', status: 'ok', detail: `within ${Math.round(skew)} ms of the database server` } : { name: 'clock', status: 'fail', detail: `${(skew / 1000).toFixed(1)} s apart from the database server (audit times and signatures would disagree)`, fix: 'enable time synchronisation on both hosts: timedatectl set-ntp true (chrony or systemd-timesyncd)' });
  } else if (!serverMode) {
    add({ name: 'clock', status: 'ok', detail: new Date().toISOString() + ' (embedded: one clock)' });
  }

  // Disk
  for (const [what, dir] of [['data', config.dataDir], ['backups', config.backupDir]] as const) {
    let d = dir;
    while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
    try {
      const st = fs.statfsSync(d);
      const free = st.bavail * st.bsize;
      const share = st.bavail / st.blocks;
      add(free < 2 * GB || share < 0.1
        ? { name: `disk (${what})`, status: 'warn', detail: `${(free / GB).toFixed(1)} GB free (${Math.round(share * 100)} %) at ${d}`, fix: 'free space or grow the volume; keep fewer backups (BACKUP_KEEP)' }
        : { name: `disk (${what})`, status: 'ok', detail: `${(free / GB).toFixed(1)} GB free (${Math.round(share * 100)} %) at ${d}` });
    } catch (e) {
      add({ name: `disk (${what})`, status: 'warn', detail: `cannot read free space at ${d}: ${(e as Error).message}` });
    }
  }

  // Proxy
  if (serverMode && !config.trustProxy) add({ name: 'proxy', status: 'warn', detail: 'TRUST_PROXY is off: behind nginx, client IPs in the audit trail would be the proxy\'s', fix: 'set TRUST_PROXY=true when (and only when) the app is reachable through the proxy alone (HOST=127.0.0.1)' });
  if (config.trustProxy && config.host === '0.0.0.0') add({ name: 'proxy', status: 'warn', detail: 'TRUST_PROXY is on while the app listens on every interface: clients could forge X-Forwarded-For', fix: 'set HOST=127.0.0.1 so only the local proxy reaches the app' });
  if (env.METRICS_TOKEN === undefined && serverMode) add({ name: 'metrics', status: 'warn', detail: '/api/metrics is open to whoever reaches the app', fix: 'set METRICS_TOKEN, or deny /api/metrics in nginx (docs/deployment.md)' });
  return out;
}

export function formatDoctor(checks: Check[]): string {
  const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
  const lines = checks.map((c) => `${mark[c.status]} ${c.name.padEnd(14)} ${c.detail}${c.fix ? `\n     ${''.padEnd(14)} fix: ${c.fix}` : ''}`);
  const fails = checks.filter((c) => c.status === 'fail').length;
  const warns = checks.filter((c) => c.status === 'warn').length;
  lines.push(fails ? `${fails} problem(s) to fix${warns ? `, ${warns} warning(s)` : ''}` : warns ? `ready, ${warns} warning(s)` : 'all checks passed');
  return lines.join('\n');
}
