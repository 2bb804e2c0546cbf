import type { Knex } from 'knex';

/**
 * The equipment-care plugin's own tables:
 * - `ec_usage`: the usage log (GMP 2010 Art. 86): one row per record × gated field × asset, with the record's date,
 *   batch and who wrote it; rewritten with the record, kept (marked) when the record is deleted.
 * - `ec_reminder`: one row per plan × due date reminded, so a reminder is never sent twice (the job may run late,
 *   twice, or on two processes: the primary key decides).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create table ec_usage (
    id bigserial primary key,
    equipment_id bigint not null,
    entity varchar(64) not null,
    record_id bigint not null,
    field varchar(64) not null,
    record_title varchar(200),
    batch_entity varchar(64),
    batch_id bigint,
    batch_code varchar(100),
    used_at timestamptz not null,
    actor_id bigint,
    lab_id bigint,
    removed_at timestamptz,
    created_at timestamptz not null default now()
  )`);
  await knex.raw('create index ec_usage_equipment on ec_usage (equipment_id, used_at desc) where removed_at is null');
  await knex.raw('create index ec_usage_record on ec_usage (entity, record_id)');
  await knex.raw(`create table ec_reminder (
    plan_id bigint not null,
    due_date date not null,
    task_id bigint,
    sent_at timestamptz not null default now(),
    primary key (plan_id, due_date)
  )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists ec_reminder');
  await knex.raw('drop table if exists ec_usage');
}
