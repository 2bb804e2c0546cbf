/**
 * Scheduled and queued jobs on PostgreSQL (ct_job, ct_job_schedule).
 *
 * Hand-written rather than graphile-worker / pg-boss: their current majors need Node >= 22, neither
 * gives "a schedule missed while down runs once after restart", and both keep their own schema and
 * pool outside knex. See the report in docs/decisions.md.
 *
 * Works the same on PostgreSQL and on PGlite behind pglite-socket: no LISTEN/NOTIFY (polling only),
 * every statement is single, claims and schedule ticks are short transactions, and all times come
 * from the database clock so several processes agree.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import { CronExpressionParser } from 'cron-parser';
import { AppError } from '../errors';

export interface JobInfo {
  id: number;
  name: string;
  key: string | null;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
  runAt: Date;
  createdAt: Date;
  workerId: string;
}

export type JobHandler = (payload: any, job: JobInfo) => Promise<void>;

export interface HandlerOptions {
  /** Runs before the job is failed for good (default 5). */
  maxAttempts?: number;
  /** Delay before retry n is backoffMs * 2^(n-1), capped at maxBackoffMs (default 10 s). */
  backoffMs?: number;
}

export interface EnqueueOptions {
  runAt?: Date;
  /** Dedupe: while a job with the same name and key is queued or running, its id is returned instead. */
  key?: string;
  /** Defaults to the registered handler's maxAttempts, else 5. */
  maxAttempts?: number;
}

export interface ScheduleOptions {
  /** IANA zone the cron is read in; default the process's zone (stored, so later runs do not depend on it). */
  timeZone?: string;
  /** Sets enabled; when omitted an existing schedule keeps its enabled flag. */
  enabled?: boolean;
}

export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  debug?(obj: unknown, msg?: string): void;
}

export interface JobRunnerOptions {
  workerId?: string;
  pollIntervalMs?: number;
  concurrency?: number;
  /** A running job whose locked_at is older than this is reclaimed (its worker died). Default 5 min. */
  leaseMs?: number;
  /** Done jobs older than this are deleted (failed ones are kept for inspection). Default 14 days; 0 keeps all. */
  keepDoneMs?: number;
  log?: Logger;
}

type Db = Knex | Knex.Transaction;

interface JobRow {
  id: string | number;
  name: string;
  payload: unknown;
  key: string | null;
  run_at: Date | string;
  attempts: number;
  max_attempts: number;
  created_at: Date | string;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 3_600_000;
const NAME_RE = /^[A-Za-z0-9_.:-]{1,200}$/;
const noopLog: Logger = { info() {}, warn() {}, error() {} };

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw new AppError(400, 'JOB_BAD_NAME', 'jobs.badName', { name });
}

function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new AppError(400, 'JOB_BAD_TIMEZONE', 'jobs.badTimeZone', { timeZone });
  }
}

/** First cron tick strictly after `after`, in `timeZone`. Throws AppError on a bad expression. */
export function nextCronTick(cron: string, timeZone: string, after: Date): Date {
  try {
    return CronExpressionParser.parse(cron, { currentDate: after, tz: timeZone }).next().toDate();
  } catch (e) {
    throw new AppError(400, 'JOB_BAD_CRON', 'jobs.badCron', { cron, reason: (e as Error).message });
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) return (e.stack ?? `${e.name}: ${e.message}`).slice(0, 4000);
  return String(e).slice(0, 4000);
}

/** pg may be set to parse timestamptz as Date (its default) or as ISO string (platform/db/connection.ts). */
function toDate(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v);
}

/**
 * Dates are bound as ISO strings: with bindings inlined into SQL (simple protocol), knex would print a
 * Date in local time without offset.
 */
function iso(d: Date): string {
  return d.toISOString();
}

async function dbNow(db: Db): Promise<Date> {
  const r = await db.raw('SELECT now() AS now');
  return toDate(r.rows[0].now);
}

/**
 * Enqueues a job; pass a transaction to make the job exist only if that transaction commits.
 * Returns the job id (or the id of the pending job with the same name and key).
 */
export async function enqueueJob(db: Db, name: string, payload: unknown = {}, opts: EnqueueOptions = {}): Promise<number> {
  checkName(name);
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const json = JSON.stringify(payload === undefined ? {} : payload);
  const runAt = opts.runAt ? iso(opts.runAt) : null;
  const key = opts.key ?? null;
  // The conflicting pending job may finish between our insert and select: try again then.
  for (let i = 0; i < 5; i++) {
    const ins = await db.raw(
      `INSERT INTO ct_job (name, payload, run_at, max_attempts, key)
       VALUES (?, ?::jsonb, COALESCE(?::timestamptz, now()), ?, ?)
       ON CONFLICT (name, key) WHERE key IS NOT NULL AND state IN ('queued', 'running') DO NOTHING
       RETURNING id`,
      [name, json, runAt, maxAttempts, key],
    );
    if (ins.rows.length) return Number(ins.rows[0].id);
    const ex = await db.raw(
      `SELECT id FROM ct_job WHERE name = ? AND key = ? AND state IN ('queued', 'running') LIMIT 1`,
      [name, key],
    );
    if (ex.rows.length) return Number(ex.rows[0].id);
  }
  throw new Error(`enqueue ${name}: could not insert or find job with key ${key}`);
}

export class JobRunner {
  readonly workerId: string;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly keepDoneMs: number;
  private readonly log: Logger;
  private readonly handlers = new Map<string, { fn: JobHandler; maxAttempts: number; backoffMs: number }>();
  private readonly active = new Map<number, Promise<void>>();
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private wakePending = false;
  private lastMaintenance = 0;
  private lastHeartbeat = 0;
  private lastPurge = 0;

  constructor(
    private readonly knex: Knex,
    opts: JobRunnerOptions = {},
  ) {
    this.workerId = opts.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.leaseMs = opts.leaseMs ?? 5 * 60_000;
    this.keepDoneMs = opts.keepDoneMs ?? 14 * 86_400_000;
    this.log = opts.log ?? noopLog;
  }

  register(name: string, handler: JobHandler, opts: HandlerOptions = {}): this {
    checkName(name);
    this.handlers.set(name, {
      fn: handler,
      maxAttempts: Math.max(1, opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
      backoffMs: Math.max(0, opts.backoffMs ?? DEFAULT_BACKOFF_MS),
    });
    return this;
  }

  /** Enqueues a job; with `trx` the job exists only if the caller's transaction commits. */
  enqueue(name: string, payload: unknown, opts: EnqueueOptions = {}, trx?: Knex.Transaction): Promise<number> {
    const maxAttempts = opts.maxAttempts ?? this.handlers.get(name)?.maxAttempts;
    return enqueueJob(trx ?? this.knex, name, payload, { ...opts, maxAttempts });
  }

  /**
   * Creates or updates the schedule `name` (the job it enqueues has the same name). Calling it again
   * at every start is safe: next_run_at is kept unless the cron or zone changed, so a tick missed
   * while the server was down still runs once.
   */
  async schedule(name: string, cron: string, payload: unknown = {}, opts: ScheduleOptions = {}): Promise<void> {
    checkName(name);
    const timeZone = opts.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
    checkTimeZone(timeZone);
    const next = nextCronTick(cron, timeZone, await dbNow(this.knex));
    const json = JSON.stringify(payload === undefined ? {} : payload);
    await this.knex.raw(
      `INSERT INTO ct_job_schedule (name, cron, timezone, payload, next_run_at, enabled)
       VALUES (?, ?, ?, ?::jsonb, ?::timestamptz, COALESCE(?::boolean, true))
       ON CONFLICT (name) DO UPDATE SET
         next_run_at = CASE WHEN ct_job_schedule.cron IS DISTINCT FROM excluded.cron
                              OR ct_job_schedule.timezone IS DISTINCT FROM excluded.timezone
                            THEN excluded.next_run_at ELSE ct_job_schedule.next_run_at END,
         cron = excluded.cron,
         timezone = excluded.timezone,
         payload = excluded.payload,
         enabled = COALESCE(?::boolean, ct_job_schedule.enabled),
         updated_at = now()`,
      [name, cron, timeZone, json, iso(next), opts.enabled ?? null, opts.enabled ?? null],
    );
  }

  async unschedule(name: string): Promise<void> {
    await this.knex('ct_job_schedule').where({ name }).delete();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastMaintenance = 0;
    this.loopDone = this.loop();
    this.log.info({ workerId: this.workerId, handlers: [...this.handlers.keys()] }, 'job runner started');
  }

  /** Stops polling and waits for the jobs that are running to finish. */
  async stop(): Promise<void> {
    if (!this.running) {
      await Promise.allSettled([...this.active.values()]);
      return;
    }
    this.running = false;
    this.wake();
    await this.loopDone;
    await Promise.allSettled([...this.active.values()]);
    this.log.info({ workerId: this.workerId }, 'job runner stopped');
  }

  /** Ticks due schedules, reclaims expired leases and runs every due job until none is left. */
  async runDueOnce(): Promise<number> {
    await this.maintain();
    let done = 0;
    for (;;) {
      const jobs = await this.claim(this.concurrency);
      if (!jobs.length) return done;
      await Promise.all(jobs.map((j) => this.execute(j)));
      done += jobs.length;
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const now = Date.now();
        if (now - this.lastMaintenance >= this.pollIntervalMs) {
          this.lastMaintenance = now;
          await this.maintain();
        }
        if (this.active.size && now - this.lastHeartbeat >= this.leaseMs / 4) {
          this.lastHeartbeat = now;
          await this.heartbeat();
        }
        const free = this.concurrency - this.active.size;
        let claimed = 0;
        if (free > 0 && this.running) {
          const jobs = await this.claim(free);
          claimed = jobs.length;
          for (const j of jobs) this.launch(j);
        }
        // Claim again at once while there is work and a free slot; otherwise wait for a tick or a free slot.
        if (claimed === 0 || claimed === free) await this.sleep(this.pollIntervalMs);
      } catch (e) {
        this.log.error({ err: e, workerId: this.workerId }, 'job runner poll failed');
        await this.sleep(this.pollIntervalMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending || !this.running) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        if (this.wakeUp === done) this.wakeUp = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    // A job may finish while the loop is busy querying: remember it so the next sleep is skipped.
    if (w) w();
    else this.wakePending = true;
  }

  private launch(job: JobRow): void {
    const id = Number(job.id);
    const p = this.execute(job).finally(() => {
      this.active.delete(id);
      this.wake();
    });
    this.active.set(id, p);
  }

  private async maintain(): Promise<void> {
    await this.reclaimExpired();
    await this.tickSchedules();
    if (this.keepDoneMs > 0 && Date.now() - this.lastPurge >= 3_600_000) {
      this.lastPurge = Date.now();
      await this.purgeDone();
    }
  }

  /** Bounded batch so one purge never holds the (PGlite: single) session for long. */
  private async purgeDone(): Promise<void> {
    await this.knex.raw(
      `DELETE FROM ct_job WHERE id IN (SELECT id FROM ct_job
         WHERE state = 'done' AND finished_at < now() - (?::double precision * interval '1 millisecond')
         LIMIT 5000 FOR UPDATE SKIP LOCKED)`,
      [this.keepDoneMs],
    );
  }

  /** Running jobs whose worker stopped renewing the lease go back to the queue (or fail when out of attempts). */
  private async reclaimExpired(): Promise<void> {
    const r = await this.knex.raw(
      `UPDATE ct_job SET
         state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
         finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END,
         last_error = 'lease expired on worker ' || COALESCE(locked_by, 'unknown'),
         run_at = now(), locked_by = NULL, locked_at = NULL
       WHERE id IN (SELECT id FROM ct_job
                    WHERE state = 'running' AND locked_at < now() - (?::double precision * interval '1 millisecond')
                    FOR UPDATE SKIP LOCKED)
       RETURNING id, state`,
      [this.leaseMs],
    );
    if (r.rows.length) this.log.warn({ jobs: r.rows, workerId: this.workerId }, 'reclaimed jobs with expired lease');
  }

  /**
   * Enqueues one job per due schedule and moves next_run_at to the first tick after now: a schedule
   * missed for many ticks (server down) runs once, not once per tick. The row lock makes one runner
   * win each tick.
   */
  private async tickSchedules(): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const now = await dbNow(trx);
      const due = await trx.raw(
        `SELECT name, cron, timezone, payload, next_run_at FROM ct_job_schedule
         WHERE enabled AND next_run_at <= ?::timestamptz ORDER BY next_run_at LIMIT 100 FOR UPDATE SKIP LOCKED`,
        [iso(now)],
      );
      type Row = { name: string; cron: string; timezone: string; payload: unknown; next_run_at: Date | string };
      for (const s of due.rows as Row[]) {
        const tick = toDate(s.next_run_at);
        let next: Date;
        try {
          next = nextCronTick(s.cron, s.timezone, now);
        } catch (e) {
          // A bad row (edited by hand) must not block the other schedules.
          this.log.error({ err: e, schedule: s.name }, 'schedule has an invalid cron; disabled');
          await trx.raw('UPDATE ct_job_schedule SET enabled = false, updated_at = now() WHERE name = ?', [s.name]);
          continue;
        }
        await enqueueJob(trx, s.name, s.payload, {
          key: `schedule@${iso(tick)}`,
          maxAttempts: this.handlers.get(s.name)?.maxAttempts,
        });
        await trx.raw('UPDATE ct_job_schedule SET next_run_at = ?::timestamptz, last_run_at = ?::timestamptz WHERE name = ?', [iso(next), iso(now), s.name]);
        this.log.info({ schedule: s.name, tick, next }, 'schedule fired');
      }
    });
  }

  /** Claims up to `limit` due jobs this runner has handlers for, in one short statement. */
  private async claim(limit: number): Promise<JobRow[]> {
    const names = [...this.handlers.keys()];
    if (!names.length || limit <= 0) return [];
    const r = await this.knex.raw(
      `UPDATE ct_job SET state = 'running', attempts = attempts + 1, locked_by = ?, locked_at = now()
       WHERE id IN (SELECT id FROM ct_job
                    WHERE state = 'queued' AND run_at <= now() AND name = ANY(?::text[])
                    ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
       RETURNING id, name, payload, key, run_at, attempts, max_attempts, created_at`,
      [this.workerId, names, limit],
    );
    return r.rows as JobRow[];
  }

  private async heartbeat(): Promise<void> {
    const ids = [...this.active.keys()];
    if (!ids.length) return;
    await this.knex.raw(
      `UPDATE ct_job SET locked_at = now() WHERE id = ANY(?::bigint[]) AND state = 'running' AND locked_by = ?`,
      [ids, this.workerId],
    );
  }

  private async execute(job: JobRow): Promise<void> {
    const id = Number(job.id);
    const h = this.handlers.get(job.name);
    const info: JobInfo = {
      id,
      name: job.name,
      key: job.key,
      attempt: job.attempts,
      maxAttempts: job.max_attempts,
      runAt: toDate(job.run_at),
      createdAt: toDate(job.created_at),
      workerId: this.workerId,
    };
    let error: unknown = null;
    try {
      if (!h) throw new Error(`no handler registered for job ${job.name}`);
      await h.fn(job.payload, info);
    } catch (e) {
      error = e ?? new Error('job failed');
    }
    try {
      if (error === null) {
        await this.knex.raw(
          `UPDATE ct_job SET state = 'done', finished_at = now(), last_error = NULL, locked_at = NULL
           WHERE id = ? AND state = 'running' AND locked_by = ?`,
          [id, this.workerId],
        );
        return;
      }
      const final = job.attempts >= job.max_attempts;
      const base = h?.backoffMs ?? DEFAULT_BACKOFF_MS;
      const delay = Math.min(MAX_BACKOFF_MS, base * 2 ** (job.attempts - 1));
      await this.knex.raw(
        `UPDATE ct_job SET
           state = ?, last_error = ?, locked_at = NULL,
           finished_at = CASE WHEN ?::boolean THEN now() ELSE NULL END,
           run_at = CASE WHEN ?::boolean THEN run_at ELSE now() + (?::double precision * interval '1 millisecond') END
         WHERE id = ? AND state = 'running' AND locked_by = ?`,
        [final ? 'failed' : 'queued', errorText(error), final, final, delay, id, this.workerId],
      );
      this.log[final ? 'error' : 'warn'](
        { err: error, job: id, name: job.name, attempt: job.attempts, maxAttempts: job.max_attempts },
        final ? 'job failed for good' : 'job failed; will retry',
      );
    } catch (e) {
      // The lease will expire and another runner retries the job.
      this.log.error({ err: e, job: id }, 'could not record job result');
    }
  }
}
