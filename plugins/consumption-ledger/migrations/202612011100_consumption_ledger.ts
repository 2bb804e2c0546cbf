import type { Knex } from 'knex';

/**
 * The consumption ledger's own tables (not entity tables: a lab books millions of movements, and a balance must be
 * one row updated in the movement's transaction).
 * - cl_movement: append-only; a trigger refuses UPDATE and DELETE. A document is reversed by compensating rows
 *   (`reverses` names the row they undo), never by editing one.
 * - cl_balance: one row per lot × store, maintained in the same transaction, CHECK (qty >= 0).
 * - cl_daily: the ledger rolled up per day × lab × store × material × kind × purpose (reports over a million
 *   movements read thousands of rows).
 * - cl_opened: the open container of a lot in a store and its in-use expiry.
 * - cl_alert_sent: alerts already sent (no duplicates after a restart).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create table cl_movement (
    id bigserial primary key,
    at timestamptz not null default now(),
    doc_entity varchar(64) not null,
    doc_id bigint not null,
    line_no integer not null,
    lot_id bigint not null,
    material_id bigint not null,
    kind varchar(64),
    store_id bigint not null,
    lab_id bigint,
    qty numeric(16,3) not null check (qty <> 0),
    purpose varchar(16) not null,
    actor_id bigint,
    actor_name varchar(100),
    culture_id bigint,
    batch_id bigint,
    order_id bigint,
    reverses bigint references cl_movement(id),
    note varchar(300))`);
  await knex.raw(`create index cl_movement_doc on cl_movement (doc_entity, doc_id)`);
  await knex.raw(`create index cl_movement_lot on cl_movement (lot_id, at)`);
  await knex.raw(`create index cl_movement_store_at on cl_movement (store_id, at)`);
  await knex.raw(`create index cl_movement_culture on cl_movement (culture_id) where culture_id is not null`);
  await knex.raw(`create index cl_movement_batch on cl_movement (batch_id) where batch_id is not null`);
  await knex.raw(`create unique index cl_movement_reversed_once on cl_movement (reverses) where reverses is not null`);
  await knex.raw(`create function cl_movement_append_only() returns trigger language plpgsql as $$
    begin raise exception 'cl_movement is append-only' using errcode = '55000'; end $$`);
  await knex.raw(`create trigger cl_movement_no_change before update or delete on cl_movement for each row execute function cl_movement_append_only()`);

  await knex.raw(`create table cl_balance (
    lot_id bigint not null,
    store_id bigint not null,
    lab_id bigint,
    material_id bigint not null,
    qty numeric(16,3) not null,
    updated_at timestamptz not null default now(),
    primary key (store_id, lot_id),
    constraint cl_balance_not_negative check (qty >= 0))`);
  await knex.raw(`create index cl_balance_lot on cl_balance (lot_id)`);
  await knex.raw(`create index cl_balance_material on cl_balance (material_id, store_id)`);

  await knex.raw(`create table cl_daily (
    day date not null,
    lab_id bigint not null default 0,
    store_id bigint not null,
    material_id bigint not null,
    kind varchar(64) not null default '',
    purpose varchar(16) not null,
    qty numeric(18,3) not null default 0,
    n integer not null default 0,
    primary key (day, store_id, material_id, purpose, kind, lab_id))`);
  await knex.raw(`create index cl_daily_lab_day on cl_daily (lab_id, day)`);

  await knex.raw(`create table cl_opened (
    lot_id bigint not null,
    store_id bigint not null,
    opened_at timestamptz not null,
    expires_at timestamptz,
    opened_by bigint,
    primary key (store_id, lot_id))`);

  await knex.raw(`create table cl_alert_sent (
    key varchar(200) primary key,
    sent_at timestamptz not null default now())`);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['cl_alert_sent', 'cl_opened', 'cl_daily', 'cl_balance', 'cl_movement']) await knex.raw(`drop table if exists ${t}`);
  await knex.raw('drop function if exists cl_movement_append_only()');
}
