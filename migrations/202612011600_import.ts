import type { Knex } from 'knex';

/** Initial data imports: the uploaded workbook, its check (dry run) and commit, with progress for the wizard. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ct_import', (t) => {
    t.bigIncrements('id');
    t.string('entity', 64).notNullable();
    t.string('file_name', 200);
    t.binary('file');
    t.integer('lab_id');
    t.integer('org_id');
    // checking → checked → committing → committed | failed
    t.string('status', 16).notNullable();
    t.string('phase', 16);
    t.integer('total').notNullable().defaultTo(0);
    t.integer('done').notNullable().defaultTo(0);
    t.integer('error_count').notNullable().defaultTo(0);
    t.jsonb('errors').notNullable().defaultTo('[]');
    t.jsonb('preview');
    t.integer('imported');
    t.text('failure');
    t.string('lang', 8).notNullable().defaultTo('zh-CN');
    t.integer('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ct_import');
}
