import type { Knex } from 'knex';

/**
 * The shipped definition each admin overlay was made against (its merge base): an upgrade compares it with the
 * new version's file and the overlay (three-way), and an installed customer package records its own base here.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ct_meta_base', (t) => {
    t.string('kind', 64).notNullable();
    t.string('meta_id', 128).notNullable();
    t.jsonb('definition');
    t.string('source', 200).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['kind', 'meta_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ct_meta_base');
}
