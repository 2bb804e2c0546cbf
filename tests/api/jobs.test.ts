import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createKnex } from '../../platform/db/connection';
import { createDatabase, dropDatabase } from '../support/pg';
import { down, up } from '../../migrations/202611280300_jobs';
import { JobRunner, nextCronTick } from '../../platform/jobs';

/*
 * Own database: the tests count rows in ct_job and must not see other suites' jobs.
 * TEST_JOBS_PGLITE=1 runs the same tests against the embedded PGlite (platform/db/embedded) instead, and
 * TEST_JOBS_DATABASE_URL against any server (its ct_job tables are dropped and recreated).
 * Knex comes from platform/db/connection, so timestamps arrive as ISO strings and bigints as numbers, as in the app.
 */
const externalUrl = process.env.TEST_JOBS_DATABASE_URL;
const usePglite = process.env.TEST_JOBS_PGLITE === '1';
let db: { name: string; url: string };
let embedded: { stop(): Promise<void> } | null = null;
let embeddedDir = '';
let knex: Knex;
const extra: Knex[] = [];

// Small pools, closed after each test: the embedded server refuses connections past its maxConnections (10).
function pool(max = 3): Knex {
  const k = createKnex(db.url, { poolMax: max, applicationName: 'jobs-test' });
  extra.push(k);
  return k;
}

async function waitFor(cond: () => Promise<boolean>, what: string, limitMs = 30000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  if (usePglite) {
    // Loaded only in this mode: the embedded server is optional for these tests.
    const { startEmbeddedDatabase } = require('../../platform/db/embedded');
    embeddedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-jobs-pglite-'));
    embedded = await startEmbeddedDatabase({ dataDir: embeddedDir });
    db = { name: '', url: (embedded as unknown as { connectionString: string }).connectionString };
  } else {
    db = externalUrl ? { name: '', url: externalUrl } : await createDatabase('celltrace_jobs');
  }
  knex = createKnex(db.url, { poolMax: 3 });
  if (externalUrl) await down(knex);
  await up(knex);
}, 180_000);

afterEach(async () => {
  await Promise.all(extra.splice(0).map((k) => k.destroy()));
});

afterAll(async () => {
  await knex?.destroy();
  if (db?.name) await dropDatabase(db.name);
  if (embedded) await embedded.stop();
  if (embeddedDir) fs.rmSync(embeddedDir, { recursive: true, force: true });
});

async function job(id: number) {
  return knex('ct_job').where({ id }).first();
}

beforeEach(async () => {
  await knex.raw('DELETE FROM ct_job');
  await knex.raw('DELETE FROM ct_job_schedule');
});

test('a failing job is retried with backoff, then succeeds', async () => {
  const runner = new JobRunner(knex, { workerId: 'w1' });
  const seen: number[] = [];
  runner.register(
    'flaky',
    async (payload, info) => {
      seen.push(info.attempt);
      expect(payload).toEqual({ n: 1 });
      if (info.attempt < 3) throw new Error(`boom ${info.attempt}`);
    },
    { maxAttempts: 5, backoffMs: 60_000 },
  );
  const id = await runner.enqueue('flaky', { n: 1 });

  expect(await runner.runDueOnce()).toBe(1);
  let row = await job(id);
  expect(row).toMatchObject({ state: 'queued', attempts: 1, max_attempts: 5 });
  expect(row.last_error).toContain('boom 1');
  // Backoff moved run_at into the future: nothing is due now.
  const { rows } = await knex.raw('SELECT run_at > now() AS later FROM ct_job WHERE id = ?', [id]);
  expect(rows[0].later).toBe(true);
  expect(await runner.runDueOnce()).toBe(0);

  for (let i = 0; i < 2; i++) {
    await knex('ct_job').where({ id }).update({ run_at: knex.fn.now() });
    expect(await runner.runDueOnce()).toBe(1);
  }
  row = await job(id);
  expect(row).toMatchObject({ state: 'done', attempts: 3, last_error: null, locked_by: 'w1' });
  expect(row.finished_at).not.toBeNull();
  expect(seen).toEqual([1, 2, 3]);
});

test('a job that keeps failing ends failed after maxAttempts with the last error', async () => {
  const runner = new JobRunner(knex);
  let calls = 0;
  runner.register(
    'doomed',
    async () => {
      calls++;
      throw new Error(`fail #${calls}`);
    },
    { maxAttempts: 3, backoffMs: 0 },
  );
  const id = await runner.enqueue('doomed', {});
  // backoff 0: every retry is due at once, so one call runs all attempts.
  expect(await runner.runDueOnce()).toBe(3);
  const row = await job(id);
  expect(row).toMatchObject({ state: 'failed', attempts: 3 });
  expect(row.last_error).toContain('fail #3');
  expect(row.finished_at).not.toBeNull();
  expect(calls).toBe(3);
  expect(await runner.runDueOnce()).toBe(0);
});

test('two runners with separate pools handle each of 200 jobs exactly once', async () => {
  const counts = new Map<number, number>();
  const by = { a: 0, b: 0 };
  const make = (label: 'a' | 'b') => {
    const r = new JobRunner(pool(), { workerId: label, pollIntervalMs: 20, concurrency: 4 });
    r.register('work', async (payload: { i: number }) => {
      counts.set(payload.i, (counts.get(payload.i) ?? 0) + 1);
      by[label]++;
      await new Promise((res) => setImmediate(res));
    });
    return r;
  };
  const a = make('a');
  const b = make('b');
  await knex.transaction(async (trx) => {
    for (let i = 0; i < 200; i++) await a.enqueue('work', { i }, {}, trx);
  });
  a.start();
  b.start();
  try {
    await waitFor(async () => {
      const { rows } = await knex.raw(`SELECT count(*)::int AS n FROM ct_job WHERE state = 'done'`);
      return rows[0].n === 200;
    }, '200 done jobs');
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  expect(counts.size).toBe(200);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
  expect(by.a + by.b).toBe(200);
  const { rows } = await knex.raw(`SELECT state, count(*)::int AS n, max(attempts) AS max FROM ct_job GROUP BY state`);
  expect(rows).toEqual([{ state: 'done', n: 200, max: 1 }]);
});

test('a schedule missed during downtime runs once at start, then next_run_at moves to a future tick', async () => {
  const calls: unknown[] = [];
  const make = (label: string) => {
    const r = new JobRunner(pool(), { workerId: label, pollIntervalMs: 20 });
    r.register('hourly', async (payload) => {
      calls.push(payload);
    });
    return r;
  };
  const a = make('a');
  const b = make('b');
  await a.schedule('hourly', '0 * * * *', { kind: 'reminder' }, { timeZone: 'Asia/Shanghai' });
  const before = await knex('ct_job_schedule').where({ name: 'hourly' }).first();
  expect(before).toMatchObject({ cron: '0 * * * *', timezone: 'Asia/Shanghai', enabled: true, last_run_at: null });

  // Simulated downtime: five hourly ticks were missed.
  await knex.raw(`UPDATE ct_job_schedule SET next_run_at = now() - interval '5 hours' WHERE name = 'hourly'`);
  // Re-registering at boot must keep the missed tick.
  await b.schedule('hourly', '0 * * * *', { kind: 'reminder' }, { timeZone: 'Asia/Shanghai' });

  a.start();
  b.start();
  try {
    await waitFor(async () => calls.length >= 1, 'the scheduled job');
    await waitFor(async () => {
      const { rows } = await knex.raw(`SELECT count(*)::int AS n FROM ct_job WHERE state <> 'done'`);
      return rows[0].n === 0;
    }, 'jobs to settle');
    // Let both runners poll a few more times: nothing else may fire.
    await Promise.all([a.runDueOnce(), b.runDueOnce()]);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  expect(calls).toEqual([{ kind: 'reminder' }]);
  const jobs = await knex('ct_job').where({ name: 'hourly' });
  expect(jobs).toHaveLength(1);
  const { rows } = await knex.raw(
    `SELECT next_run_at > now() AS future, next_run_at <= now() + interval '1 hour' AS within_hour, last_run_at IS NOT NULL AS ran,
            next_run_at FROM ct_job_schedule WHERE name = 'hourly'`,
  );
  expect(rows[0]).toMatchObject({ future: true, within_hour: true, ran: true });
  expect(new Date(rows[0].next_run_at).getUTCMinutes()).toBe(0);
});

test('schedule() keeps next_run_at on repeat calls and recomputes it when the cron changes', async () => {
  const runner = new JobRunner(knex);
  await runner.schedule('nightly', '0 2 * * *', {}, { timeZone: 'UTC' });
  await knex.raw(`UPDATE ct_job_schedule SET next_run_at = '2020-01-01T02:00:00Z' WHERE name = 'nightly'`);
  await runner.schedule('nightly', '0 2 * * *', { v: 2 }, { timeZone: 'UTC' });
  let row = await knex('ct_job_schedule').where({ name: 'nightly' }).first();
  expect(new Date(row.next_run_at).toISOString()).toBe('2020-01-01T02:00:00.000Z');
  expect(row.payload).toEqual({ v: 2 });
  await runner.schedule('nightly', '30 3 * * *', {}, { timeZone: 'UTC' });
  row = await knex('ct_job_schedule').where({ name: 'nightly' }).first();
  const next = new Date(row.next_run_at);
  expect(next.getTime()).toBeGreaterThan(Date.now() - 1000);
  expect(next.getUTCHours()).toBe(3);
  expect(next.getUTCMinutes()).toBe(30);
  await expect(runner.schedule('bad', 'not a cron')).rejects.toMatchObject({ code: 'JOB_BAD_CRON' });
  await expect(runner.schedule('bad', '* * * * *', {}, { timeZone: 'Mars/Base' })).rejects.toMatchObject({
    code: 'JOB_BAD_TIMEZONE',
  });
});

test('nextCronTick reads the cron in the given zone', () => {
  const after = new Date('2026-01-15T00:30:00Z');
  // 08:00 in Shanghai is 00:00 UTC: the next one after 00:30 UTC is the following day.
  expect(nextCronTick('0 8 * * *', 'Asia/Shanghai', after).toISOString()).toBe('2026-01-16T00:00:00.000Z');
});

test('enqueue inside a rolled-back transaction leaves no job; a committed one does', async () => {
  const runner = new JobRunner(knex);
  await expect(
    knex.transaction(async (trx) => {
      await runner.enqueue('notify', { x: 1 }, {}, trx);
      throw new Error('rollback');
    }),
  ).rejects.toThrow('rollback');
  expect(await knex('ct_job').count({ n: '*' })).toEqual([{ n: 0 }]);

  await knex.transaction(async (trx) => {
    await runner.enqueue('notify', { x: 2 }, {}, trx);
  });
  const rows = await knex('ct_job').select('name', 'payload', 'state');
  expect(rows).toEqual([{ name: 'notify', payload: { x: 2 }, state: 'queued' }]);
});

test('a key dedupes pending jobs only', async () => {
  const runner = new JobRunner(knex);
  runner.register('remind', async () => {}, { backoffMs: 0 });
  const id1 = await runner.enqueue('remind', { a: 1 }, { key: 'order-7' });
  const id2 = await runner.enqueue('remind', { a: 2 }, { key: 'order-7' });
  expect(id2).toBe(id1);
  expect(await runner.runDueOnce()).toBe(1);
  const id3 = await runner.enqueue('remind', { a: 3 }, { key: 'order-7' });
  expect(id3).not.toBe(id1);
});

test('a running job whose lease expired is reclaimed and run again', async () => {
  const runner = new JobRunner(knex, { leaseMs: 60_000 });
  let calls = 0;
  runner.register('slow', async () => {
    calls++;
  });
  const id = await runner.enqueue('slow', {});
  // A worker that died mid-job: running, locked long ago.
  await knex.raw(
    `UPDATE ct_job SET state = 'running', attempts = 1, locked_by = 'dead', locked_at = now() - interval '10 minutes' WHERE id = ?`,
    [id],
  );
  expect(await runner.runDueOnce()).toBe(1);
  expect(calls).toBe(1);
  const row = await job(id);
  expect(row).toMatchObject({ state: 'done', attempts: 2 });
});

test('stop() waits for the running job to finish', async () => {
  const runner = new JobRunner(knex, { pollIntervalMs: 10 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started = false;
  runner.register('long', async () => {
    started = true;
    await gate;
  });
  const id = await runner.enqueue('long', {});
  runner.start();
  await waitFor(async () => started, 'the job to start');
  let stopped = false;
  const stopping = runner.stop().then(() => (stopped = true));
  await new Promise((r) => setImmediate(r));
  expect(stopped).toBe(false);
  expect((await job(id)).state).toBe('running');
  release();
  await stopping;
  expect((await job(id)).state).toBe('done');
});

test('old done jobs are purged; failed ones are kept', async () => {
  const runner = new JobRunner(knex, { keepDoneMs: 86_400_000 });
  await knex.raw(
    `INSERT INTO ct_job (name, state, finished_at) VALUES
       ('old', 'done', now() - interval '2 days'), ('recent', 'done', now()), ('broken', 'failed', now() - interval '2 days')`,
  );
  await runner.runDueOnce();
  const names = (await knex('ct_job').select('name').orderBy('name')).map((r) => r.name);
  expect(names).toEqual(['broken', 'recent']);
});
