import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { ADMIN_PASSWORD, TEST_DATA_KEY } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { waitFor } from '../support/wait';

/**
 * Scale-out (issue 17): two real app processes on one PostgreSQL behind a small round-robin proxy. A session made
 * on one is honoured by the other, a logout ends it on both, a metadata change made through one is served by both,
 * and queued jobs (webhook deliveries) run exactly once although both processes run the job queue.
 */
const ROOT = path.resolve(__dirname, '../..');
jest.setTimeout(180_000);

const freePort = () =>
  new Promise<number>((res) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });

interface App {
  proc: ChildProcess;
  url: string;
  log: string[];
}

async function startApp(databaseUrl: string): Promise<App> {
  const port = await freePort();
  const log: string[] = [];
  const proc = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['platform/main.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', CELLTRACE_DATA_KEY: TEST_DATA_KEY, ADMIN_PASSWORD, DEMO_DATA: 'false',
      TRUST_PROXY: 'true', BACKUP_CRON: 'off', LOG_LEVEL: 'warn', WEBHOOK_BACKOFF_MS: '100',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => log.push(String(d)));
  proc.stderr!.on('data', (d) => log.push(String(d)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`app exited ${proc.exitCode}: ${log.join('')}`);
    return (await fetch(`${url}/api/ready`)).ok;
  }, { timeout: 120_000, interval: 200, message: 'app ready' });
  return { proc, url, log };
}

/** Round-robin reverse proxy; each answer says which backend served it (X-Backend). */
function proxy(backends: string[]) {
  let next = 0;
  const server = http.createServer((req, res) => {
    const i = next++ % backends.length;
    const target = new URL(req.url!, backends[i]);
    const up = http.request(target, { method: req.method, headers: { ...req.headers, 'x-forwarded-for': '10.9.8.7', host: target.host } }, (r) => {
      res.writeHead(r.statusCode!, { ...r.headers, 'x-backend': String(i) });
      r.pipe(res);
    });
    up.on('error', (e) => res.writeHead(502).end(e.message));
    req.pipe(up);
  });
  return {
    listen: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let db: { name: string; url: string };
const apps: App[] = [];
let px: ReturnType<typeof proxy>;
let base: string;
let receiver: http.Server;
const received: any[] = [];
let hookUrl: string;

const call = async (method: string, p: string, token?: string, body?: unknown) => {
  const r = await fetch(base + p, { method, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}), 'Accept-Language': 'en' }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, backend: r.headers.get('x-backend'), body: await r.json().catch(() => null) };
};

beforeAll(async () => {
  db = await createDatabase('ct_multi');
  // The first process migrates; the second starts on the migrated database (docs/deployment.md: migrate, then start N).
  apps.push(await startApp(db.url));
  apps.push(await startApp(db.url));
  px = proxy(apps.map((a) => a.url));
  base = await px.listen();
  receiver = http.createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      received.push(JSON.parse(b));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/hook`;
});

afterAll(async () => {
  for (const a of apps) {
    a.proc.kill('SIGTERM');
    await new Promise((r) => (a.proc.exitCode !== null ? r(null) : a.proc.once('exit', r)));
  }
  await px?.close();
  await new Promise((r) => receiver?.close(r));
  if (db) await dropDatabase(db.name);
});

test('a session made on one process works on both; a logout ends it on both', async () => {
  const login = await call('POST', '/api/v1/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD });
  expect(login.status).toBe(200);
  const token = login.body.token;
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const me = await call('GET', '/api/v1/auth/me', token);
    expect(me.status).toBe(200);
    seen.add(me.backend!);
  }
  expect([...seen].sort()).toEqual(['0', '1']);
  expect((await call('POST', '/api/v1/auth/logout', token, {})).status).toBe(200);
  // Other processes drop their cached session within the cache TTL (2 s).
  for (const a of apps) await waitFor(async () => (await fetch(`${a.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } })).status === 401, { timeout: 5000, interval: 100 });
});

test('a metadata change made through one process is served by both', async () => {
  const token = (await call('POST', '/api/v1/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD })).body.token;
  const cur = (await call('GET', '/api/v1/meta/dictionary/gender', token)).body.data;
  const def = { ...cur, items: [...cur.items, { code: 'unknown', label: { 'zh-CN': '未知', en: 'Unknown' } }] };
  const saved = await call('PUT', '/api/v1/meta/dictionary/gender', token, { definition: def, reason: 'multi-process test' });
  expect(saved.status).toBe(200);
  for (const a of apps)
    await waitFor(async () => {
      const r = await (await fetch(`${a.url}/api/v1/meta/dictionary/gender`, { headers: { Authorization: `Bearer ${token}` } })).json();
      return r.data.items.some((i: any) => i.code === 'unknown');
    }, { timeout: 6000, interval: 100, message: `process ${a.url} serves the new dictionary item` });
});

test('jobs run once: each webhook delivery reaches the receiver exactly once with both processes running the queue', async () => {
  const token = (await call('POST', '/api/v1/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD })).body.token;
  const orgs = async (kind: string, code: string, parentId: number | null) => (await call('POST', '/api/v1/admin/orgs', token, { kind, code, name: code, parentId })).body.data.id;
  const lab = await orgs('lab', 'MPL', await orgs('centre', 'MPC', await orgs('company', 'MPCO', null)));
  expect((await call('POST', '/api/v1/admin/webhooks', token, { url: hookUrl, entity: 'customer', events: ['created'] })).status).toBe(201);
  const ids: number[] = [];
  const backends = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const r = await call('POST', '/api/v1/data/customer', token, { name: `客户 ${i}`, labId: lab });
    expect(r.status).toBe(201);
    ids.push(r.body.data.id);
    backends.add(r.backend!);
  }
  expect(backends.size).toBe(2);
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  try {
    await waitFor(async () => {
      const r = await pg.query(`select count(*)::int as n from ct_job where name = 'webhook.deliver' and state = 'done'`);
      return r.rows[0].n === ids.length;
    }, { timeout: 30_000, interval: 100, message: 'all deliveries done' });
    const jobs = (await pg.query(`select attempts, locked_by from ct_job where name = 'webhook.deliver'`)).rows;
    expect(jobs.map((j) => j.attempts)).toEqual(ids.map(() => 1));
    // The forwarded client address is trusted behind the proxy (TRUST_PROXY): the audit trail names the client, not the proxy.
    const ips = (await pg.query(`select distinct ip from ct_audit where entity = 'customer' and action = 'create'`)).rows.map((r) => r.ip);
    expect(ips).toEqual(['10.9.8.7']);
  } finally {
    await pg.end();
  }
  expect(received.map((r) => r.recordId).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
});
