import type { Knex } from 'knex';

/**
 * Job queue and cron schedules (platform/jobs). One SQL statement per raw call: PGlite cannot run
 * multi-statement strings.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE ct_job (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    key text,
    run_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    last_error text,
    locked_by text,
    locked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`);
  // What the claim query walks: due queued jobs in run_at order.
  await knex.raw(`CREATE INDEX ct_job_due_idx ON ct_job (run_at, id) WHERE state = 'queued'`);
  // What lease reclaim walks.
  await knex.raw(`CREATE INDEX ct_job_running_idx ON ct_job (locked_at) WHERE state = 'running'`);
  // Dedupe: one pending (queued or running) job per (name, key); once finished the key may be used again.
  await knex.raw(
    `CREATE UNIQUE INDEX ct_job_pending_key_uq ON ct_job (name, key) WHERE key IS NOT NULL AND state IN ('queued', 'running')`,
  );
  await knex.raw(`CREATE INDEX ct_job_name_state_idx ON ct_job (name, state, created_at)`);

  await knex.raw(`CREATE TABLE ct_job_schedule (
    name text PRIMARY KEY,
    cron text NOT NULL,
    timezone text NOT NULL DEFAULT 'UTC',
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    next_run_at timestamptz NOT NULL,
    last_run_at timestamptz,
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`);
  await knex.raw(`CREATE INDEX ct_job_schedule_due_idx ON ct_job_schedule (next_run_at) WHERE enabled`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS ct_job_schedule');
  await knex.raw('DROP TABLE IF EXISTS ct_job');
}
