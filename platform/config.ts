import path from 'node:path';

/** Every setting comes from the environment; see the README's configuration table. */
export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  /** DATABASE_READ_URL: a read replica for exports and aggregates (server mode only); unset = the primary. */
  databaseReadUrl?: string;
  dataDir: string;
  backupDir: string;
  metadataDirs: string[];
  pluginsDir: string;
  webDist: string;
  adminPassword?: string;
  loadDemoData: boolean;
  /** Password of the demo users (created with the demo data only); generated and printed when unset. */
  demoPassword?: string;
  bodyLimit: string;
  trustProxy: boolean;
  logLevel: string;
  logRequests: boolean;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  corsOrigins: string[];
  runJobs: boolean;
  /** CELLTRACE_DATA_KEY (encrypted fields; required in server mode) and CELLTRACE_PREVIOUS_DATA_KEYS (rotation). */
  dataKey?: string;
  previousDataKeys?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): Config {
  const int = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
  const bool = (v: string | undefined, d: boolean) => (v === undefined ? d : /^(1|true|yes|on)$/i.test(v));
  return {
    port: int(env.PORT, 3000),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    databaseReadUrl: env.DATABASE_READ_URL || undefined,
    dataDir: path.resolve(root, env.DATA_DIR ?? 'data'),
    backupDir: path.resolve(root, env.BACKUP_DIR ?? path.join(env.DATA_DIR ?? 'data', 'backups')),
    metadataDirs: (env.METADATA_DIRS ?? 'metadata').split(path.delimiter).map((d) => path.resolve(root, d)),
    pluginsDir: path.resolve(root, env.PLUGINS_DIR ?? 'plugins'),
    webDist: path.resolve(root, env.WEB_DIST ?? 'web/dist'),
    adminPassword: env.ADMIN_PASSWORD || undefined,
    loadDemoData: bool(env.DEMO_DATA, true),
    demoPassword: env.DEMO_PASSWORD || undefined,
    bodyLimit: env.BODY_LIMIT ?? '2mb',
    trustProxy: bool(env.TRUST_PROXY, false),
    logLevel: env.LOG_LEVEL ?? 'info',
    logRequests: bool(env.LOG_REQUESTS, false),
    sessionIdleMinutes: int(env.SESSION_IDLE_MINUTES, 30),
    sessionAbsoluteHours: int(env.SESSION_ABSOLUTE_HOURS, 12),
    corsOrigins: (env.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    runJobs: bool(env.RUN_JOBS, true),
    dataKey: env.CELLTRACE_DATA_KEY || undefined,
    previousDataKeys: env.CELLTRACE_PREVIOUS_DATA_KEYS || undefined,
  };
}
