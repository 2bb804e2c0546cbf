import type { Knex } from 'knex';

/**
 * The order chain's own tables:
 * - oc_temperature: a handover's transport-box readings, imported from the box's data logger (CSV).
 * - oc_receipt_signature: an external receiver's signature drawn on a tablet (PNG), one per handover.
 * - oc_reminder_sent: storage-term reminders already sent (no duplicates after a restart).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create table oc_temperature (
    handover_id bigint not null,
    at timestamptz not null,
    celsius numeric(6,2) not null,
    primary key (handover_id, at)
  )`);
  await knex.raw(`create table oc_receipt_signature (
    handover_id bigint primary key,
    png bytea not null,
    signer varchar(100) not null,
    signed_at timestamptz not null default now()
  )`);
  await knex.raw(`create table oc_reminder_sent (
    order_id bigint not null,
    end_date date not null,
    sent_at timestamptz not null default now(),
    primary key (order_id, end_date)
  )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists oc_temperature, oc_receipt_signature, oc_reminder_sent');
}
