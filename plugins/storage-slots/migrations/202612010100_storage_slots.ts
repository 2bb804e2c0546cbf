import type { Knex } from 'knex';

/**
 * Positions live in plugin tables, not entity tables: a bank has millions of them and every query on them must be
 * an index range. storage_box keeps per-box counters, updated in the same transaction as the positions, so "fullest
 * box with N free" is one index probe on (free_count, container_id) instead of a count over positions.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create table storage_box (
    container_id bigint primary key,
    device_id bigint not null,
    site varchar(64),
    device_type varchar(64),
    temperature double precision,
    active boolean not null default true,
    path varchar(200) not null,
    rows smallint not null,
    cols smallint not null,
    fill_order varchar(12) not null default 'rowMajor',
    origin varchar(12) not null default 'topLeft',
    row_labels varchar(8) not null default 'letters',
    col_labels varchar(8) not null default 'numbers',
    capacity integer not null,
    free_count integer not null,
    reserved_count integer not null default 0,
    occupied_count integer not null default 0,
    blocked_count integer not null default 0,
    last_used_at timestamptz,
    last_used_by bigint,
    last_batch_id bigint,
    constraint storage_box_counts check (free_count >= 0 and reserved_count >= 0 and occupied_count >= 0 and blocked_count >= 0
      and free_count + reserved_count + occupied_count + blocked_count = capacity))`);
  await knex.raw(`create index storage_box_free on storage_box (free_count, container_id) where free_count > 0`);
  await knex.raw(`create index storage_box_device_free on storage_box (device_id, free_count, container_id) where free_count > 0`);
  await knex.raw(`create index storage_box_site_free on storage_box (site, free_count, container_id) where free_count > 0`);
  await knex.raw(`create index storage_box_recent on storage_box (last_used_by, last_used_at desc) where free_count > 0`);
  await knex.raw(`create index storage_box_batch on storage_box (last_batch_id, last_used_at desc) where free_count > 0`);
  await knex.raw(`create index storage_box_device on storage_box (device_id, container_id)`);

  await knex.raw(`create table storage_position (
    id bigserial primary key,
    container_id bigint not null references storage_box (container_id),
    device_id bigint not null,
    row smallint not null,
    col smallint not null,
    ordinal integer not null,
    state varchar(10) not null default 'empty' check (state in ('empty', 'reserved', 'occupied', 'blocked')),
    vial_id bigint,
    batch_id bigint,
    reservation_token uuid,
    reserved_by bigint,
    reserved_until timestamptz,
    note varchar(200),
    updated_at timestamptz not null default now(),
    constraint storage_position_cell unique (container_id, row, col),
    constraint storage_position_ordinal unique (container_id, ordinal),
    constraint storage_position_occupant check ((state = 'occupied') = (vial_id is not null)),
    constraint storage_position_reservation check ((state = 'reserved') = (reserved_until is not null)))`);
  // A vial is in at most one position: the database refuses a double booking even if code were wrong.
  await knex.raw(`create unique index storage_position_vial on storage_position (vial_id) where vial_id is not null`);
  await knex.raw(`create index storage_position_empty on storage_position (container_id, ordinal) where state = 'empty'`);
  await knex.raw(`create index storage_position_expiry on storage_position (reserved_until) where state = 'reserved'`);
  await knex.raw(`create index storage_position_token on storage_position (reservation_token) where reservation_token is not null`);
  await knex.raw(`create index storage_position_batch on storage_position (batch_id, container_id) where batch_id is not null`);

  // Chain of custody: every stock-in, move, stock-out, thaw with who, when, from and to.
  await knex.raw(`create table storage_event (
    id bigserial primary key,
    at timestamptz not null default now(),
    kind varchar(16) not null,
    vial_id bigint not null,
    batch_id bigint,
    from_container bigint,
    from_row smallint,
    from_col smallint,
    from_label varchar(200),
    to_container bigint,
    to_row smallint,
    to_col smallint,
    to_label varchar(200),
    actor_id bigint,
    actor_name varchar(100),
    record_entity varchar(48),
    record_id bigint,
    note varchar(300))`);
  await knex.raw(`create index storage_event_vial on storage_event (vial_id, id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists storage_event');
  await knex.raw('drop table if exists storage_position');
  await knex.raw('drop table if exists storage_box');
}
