import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestServer, TEST_DATA_KEY, type TestServer } from '../support/app';
import { loadConfig } from '../../platform/config';
import { runDoctor } from '../../platform/cli/doctor';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

describe('celltrace doctor', () => {
  const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-doctor-'));
  afterAll(() => fs.rmSync(backupDir, { recursive: true, force: true }));
  const base = () => ({ DATABASE_URL: process.env.TEST_DATABASE_URL!, BACKUP_DIR: backupDir, TRUST_PROXY: 'true', HOST: '127.0.0.1', METRICS_TOKEN: 'x' });

  it('finds a missing data key and says how to make one (the real CLI, exit 1)', async () => {
    const env: Record<string, string | undefined> = { ...process.env, ...base(), CELLTRACE_DATA_KEY: '' };
    const r = await run(path.join(ROOT, 'node_modules/.bin/tsx'), ['platform/main.ts', 'doctor'], { cwd: ROOT, env }).then(
      (x) => ({ code: 0, out: x.stdout }),
      (e) => ({ code: e.code as number, out: String(e.stdout) }),
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL data key +CELLTRACE_DATA_KEY is missing/);
    expect(r.out).toContain('openssl rand -hex 32');
    expect(r.out).toMatch(/ok {3}database +reachable, PostgreSQL \d+/);
    expect(r.out).toContain('1 problem(s) to fix');
  });

  it('passes a good configuration and names each failing part of a bad one', async () => {
    const good = await runDoctor(loadConfig({ ...base(), CELLTRACE_DATA_KEY: TEST_DATA_KEY }, ROOT), base());
    expect(good.filter((c) => c.status === 'fail')).toEqual([]);
    expect(good.map((c) => c.name)).toEqual(expect.arrayContaining(['database', 'data key', 'backup target', 'clock', 'disk (data)', 'disk (backups)']));
    expect(good.find((c) => c.name === 'clock')!.status).toBe('ok');

    const file = path.join(backupDir, 'not-a-dir');
    fs.writeFileSync(file, '');
    const bad = await runDoctor(loadConfig({ ...base(), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', CELLTRACE_DATA_KEY: 'short', BACKUP_DIR: file }, ROOT), base());
    const failed = Object.fromEntries(bad.filter((c) => c.status === 'fail').map((c) => [c.name, c.fix]));
    expect(Object.keys(failed).sort()).toEqual(['backup target', 'data key', 'database']);
    expect(failed.database).toContain('DATABASE_URL');
  });
});

describe('health, readiness, metrics', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ plugins: [] });
  });
  afterAll(() => t.stop());

  it('/api/health and /api/ready answer without a session', async () => {
    expect((await t.api('GET', '/api/health')).body.status).toBe('ok');
    const r = await t.api('GET', '/api/ready');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ready');
    expect(r.body.checks.database.ok).toBe(true);
  });

  it('/api/metrics speaks Prometheus text with request counts by route template', async () => {
    const admin = await t.login();
    await t.api('GET', '/api/v1/meta', { token: admin });
    const r = await fetch(`${t.url}/api/metrics`);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    expect(text).toMatch(/celltrace_http_requests_total\{method="GET",route="\/api\/v1\/meta",status="200",app="celltrace"\} [1-9]/);
    expect(text).toMatch(/celltrace_jobs\{state="queued",app="celltrace"\} \d+/);
    expect(text).toContain('celltrace_db_pool_connections');
    expect(text).toContain('celltrace_process_cpu_user_seconds_total');
  });

  it('/api/metrics needs the bearer METRICS_TOKEN when one is set', async () => {
    process.env.METRICS_TOKEN = 'scrape-secret';
    try {
      expect((await fetch(`${t.url}/api/metrics`)).status).toBe(401);
      expect((await fetch(`${t.url}/api/metrics`, { headers: { Authorization: 'Bearer scrape-secret' } })).status).toBe(200);
    } finally {
      delete process.env.METRICS_TOKEN;
    }
  });
});
