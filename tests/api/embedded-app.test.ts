import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { promisify } from 'node:util';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

interface App {
  proc: ChildProcess;
  url: string;
  output: () => string;
}

async function startApp(dataDir: string, port: number): Promise<App> {
  const proc = spawn(TSX, ['platform/main.ts', 'start'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ADMIN_PASSWORD: 'Embedded#123', DEMO_DATA: 'false', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  // Up when health answers; a process that exited will never be.
  const state = await waitFor(async () => (proc.exitCode !== null ? 'exited' : (await fetch(`${url}/api/health`)).ok && 'up'), { timeout: 120_000, interval: 100 }).catch(() => 'timeout');
  if (state === 'up') return { proc, url, output: () => out };
  proc.kill('SIGKILL');
  throw new Error(`app did not start (${state}):\n${out}`);
}

async function stopApp(app: App): Promise<number | null> {
  app.proc.kill('SIGTERM');
  return new Promise((res) => app.proc.once('exit', (code) => res(code)));
}

async function login(url: string): Promise<string> {
  const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'Embedded#123' }) });
  return (await r.json()).token;
}

describe('embedded mode (no DATABASE_URL): PGlite in a child process', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'celltrace-embedded-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts, writes, refuses a second process on the same data, shuts down cleanly and reads the data after restart', async () => {
    const port = await freePort();
    const app = await startApp(dataDir, port);
    let second: ChildProcess | undefined;
    try {
      const health = await (await fetch(`${app.url}/api/health`)).json();
      expect(health).toMatchObject({ status: 'ok', database: 'pglite' });
      const token = await login(app.url);
      const created = await fetch(`${app.url}/api/v1/data/customer`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ name: '嵌入式客户' }),
      });
      expect(created.status).toBe(201);

      const port2 = await freePort();
      second = spawn(TSX, ['platform/main.ts', 'start'], {
        cwd: ROOT, env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port2), ADMIN_PASSWORD: 'x' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      second.stderr!.on('data', (d) => (err += d));
      const code = await new Promise((res) => second!.once('exit', res));
      expect(code).toBe(1);
      expect(err).toMatch(/Another CellTrace process \(pid \d+\) is using data directory/);
    } finally {
      expect(await stopApp(app)).toBe(0);
    }

    // The CLI opens the same data directory once the app has stopped.
    const { stdout } = await run(TSX, ['platform/main.ts', 'config', 'export'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'warn' } });
    expect(JSON.parse(stdout.slice(stdout.indexOf('{'))).definitions.entity.customer).toBeDefined();

    const again = await startApp(dataDir, port);
    try {
      const token = await login(again.url);
      const r = await fetch(`${again.url}/api/v1/data/customer?filter=${encodeURIComponent(JSON.stringify({ name: '嵌入式客户' }))}`, { headers: { Authorization: `Bearer ${token}` } });
      expect((await r.json()).data).toHaveLength(1);
    } finally {
      await stopApp(again);
    }
  }, 180_000);
});
