import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer, type Server } from '../../platform/server';

export const ADMIN_PASSWORD = 'Admin#12345';
/** Data key of test servers (server mode requires one); tests may pass another through `env`. */
export const TEST_DATA_KEY = '7465737420646174612d6b6579206f662063656c6c7472616365207465737473';
const ROOT = path.resolve(__dirname, '../..');

export interface TestServer {
  server: Server;
  url: string;
  /** Logs in and returns a bearer token. */
  login(username?: string, password?: string): Promise<string>;
  /** fetch against the server with JSON body and bearer token; returns status and parsed body. */
  api(method: string, p: string, opts?: { token?: string; body?: unknown; lang?: string; headers?: Record<string, string>; raw?: BodyInit }): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/**
 * A running CellTrace on the run's shared test database (tests/support/global-setup.ts),
 * or on `databaseUrl` when a test needs its own. Demo data is off unless asked for.
 */
export async function startTestServer(opts: { databaseUrl?: string; plugins?: string[]; demo?: boolean; env?: Record<string, string> } = {}): Promise<TestServer> {
  const databaseUrl = opts.databaseUrl ?? process.env.TEST_DATABASE_URL;
  if (!databaseUrl) throw new Error('TEST_DATABASE_URL is not set (jest globalSetup creates it)');
  // Backups of a test server go to a directory of its own, removed when it stops (never into the repository's data/).
  const backupDir = opts.env?.BACKUP_DIR ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'ct-test-backups-'));
  const config = {
    ...loadConfig({ CELLTRACE_DATA_KEY: TEST_DATA_KEY, ...process.env, ...(backupDir ? { BACKUP_DIR: backupDir } : {}), ...opts.env, DATABASE_URL: databaseUrl, ADMIN_PASSWORD, DEMO_DATA: opts.demo ? 'true' : 'false' }, ROOT),
    runJobs: false,
  };
  const server = await createServer(config, { logger: pino({ level: process.env.TEST_LOG ?? 'silent' }), plugins: opts.plugins, print: () => {} });
  const url = await server.listen(0, '127.0.0.1');
  const api: TestServer['api'] = async (method, p, o = {}) => {
    const headers: Record<string, string> = { 'Accept-Language': o.lang ?? 'zh-CN', ...(o.headers ?? {}) };
    if (o.token) headers.Authorization = `Bearer ${o.token}`;
    let body: BodyInit | undefined = o.raw;
    if (o.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    const res = await fetch(url + p, { method, headers, body });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    server,
    url,
    api,
    async login(username = 'admin', password = ADMIN_PASSWORD) {
      const r = await api('POST', '/api/v1/auth/login', { body: { username, password } });
      if (r.status !== 200) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
      return r.body.token;
    },
    async stop() {
      await server.stop();
      if (backupDir) fs.rmSync(backupDir, { recursive: true, force: true });
    },
  };
}
