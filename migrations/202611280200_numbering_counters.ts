import type { Knex } from 'knex';

/**
 * Numbering counters, keyed by the resolved prefix before the sequence: a daily reset is a new key,
 * so no job has to reset anything.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ct_numbering_counter', (t) => {
    t.text('rule_id').notNullable();
    t.text('prefix').notNullable();
    t.bigInteger('value').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['rule_id', 'prefix']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ct_numbering_counter');
}
