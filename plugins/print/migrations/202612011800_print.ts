import type { Knex } from 'knex';

/**
 * What was printed: every document print (template and its version) and every label (one row per label, so a
 * batch's labels can be reconciled: printed vs used vs destroyed, and a reprint names the label it replaced).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create table print_job (
    id bigserial primary key,
    template varchar(64) not null,
    template_version integer not null,
    entity varchar(64) not null,
    record_id bigint not null,
    format varchar(8) not null,
    lab_id bigint,
    printed_by bigint,
    printed_by_name varchar(200),
    printed_at timestamptz not null default now()
  )`);
  await knex.raw(`create index print_job_record on print_job (entity, record_id, printed_at desc)`);
  await knex.raw(`create table print_label (
    id bigserial primary key,
    job_id bigint not null references print_job(id),
    template varchar(64) not null,
    template_version integer not null,
    entity varchar(64) not null,
    record_id bigint not null,
    batch_id bigint,
    content varchar(500) not null,
    format varchar(8) not null,
    reprint_of bigint references print_label(id),
    reason varchar(500),
    printed_by bigint,
    printed_by_name varchar(200),
    printed_at timestamptz not null default now(),
    voided_at timestamptz,
    voided_by_name varchar(200),
    void_reason varchar(500)
  )`);
  await knex.raw(`create index print_label_record on print_label (entity, record_id) where voided_at is null`);
  await knex.raw(`create index print_label_batch on print_label (batch_id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists print_label');
  await knex.raw('drop table if exists print_job');
}
