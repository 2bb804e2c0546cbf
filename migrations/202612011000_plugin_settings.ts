import type { Knex } from 'knex';

/** Plugin settings (one JSON document per plugin, validated against the plugin's settings schema). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ct_plugin_setting', (t) => {
    t.string('plugin', 64).primary();
    t.jsonb('value').notNullable().defaultTo('{}');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ct_plugin_setting');
}
