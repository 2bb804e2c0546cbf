import type { Knex } from 'knex';

/**
 * The lab's total per material (minimum stock is the lab's), kept in the movement's transaction, so the stock page
 * and the low-stock alert read one row per material instead of summing every balance of the lab.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create table cl_material_total (
    lab_id bigint not null default 0,
    material_id bigint not null,
    qty numeric(18,3) not null,
    primary key (material_id, lab_id))`);
  await knex.raw(`insert into cl_material_total (lab_id, material_id, qty) select coalesce(lab_id, 0), material_id, sum(qty) from cl_balance group by 1, 2`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists cl_material_total');
}
