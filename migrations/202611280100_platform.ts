import type { Knex } from 'knex';

/** Platform tables: metadata overlays, audit trail, users and sessions (minimal until access control lands), files. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ct_state', (t) => {
    t.string('key', 100).primary();
    t.jsonb('value');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('ct_meta_overlay', (t) => {
    t.bigIncrements('id');
    t.string('kind', 40).notNullable();
    t.string('meta_id', 100).notNullable();
    t.integer('version').notNullable();
    t.jsonb('definition'); // null = the overlay deletes the definition
    t.jsonb('diff').notNullable();
    t.text('reason').notNullable();
    t.bigInteger('created_by');
    t.string('created_by_name', 100);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['kind', 'meta_id', 'version']);
  });
  await knex.schema.createTable('ct_meta_archive', (t) => {
    t.bigIncrements('id');
    t.string('entity', 100).notNullable();
    t.string('field', 100).notNullable();
    t.bigInteger('record_id').notNullable();
    t.jsonb('value');
    t.timestamp('archived_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('ct_audit', (t) => {
    t.bigIncrements('id');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.bigInteger('actor_id');
    t.string('actor_name', 100);
    t.string('entity', 100).notNullable();
    t.bigInteger('record_id');
    t.string('action', 60).notNullable();
    t.jsonb('changes').notNullable();
    t.text('reason');
    t.string('ip', 64);
    t.string('request_id', 64);
    t.index(['entity', 'record_id']);
  });
  await knex.schema.createTable('ct_user', (t) => {
    t.bigIncrements('id');
    t.string('username', 64).notNullable().unique();
    t.string('display_name', 100).notNullable();
    t.text('password_hash').notNullable();
    t.boolean('is_admin').notNullable().defaultTo(false);
    t.boolean('must_change_password').notNullable().defaultTo(true);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.bigInteger('org_id');
    t.bigInteger('lab_id');
    t.string('locale', 10).notNullable().defaultTo('zh-CN');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('password_changed_at', { useTz: true });
  });
  await knex.schema.createTable('ct_session', (t) => {
    t.bigIncrements('id');
    t.string('token_hash', 64).notNullable().unique();
    t.bigInteger('user_id').notNullable().references('id').inTable('ct_user');
    t.string('kind', 10).notNullable().defaultTo('session'); // session | api
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.string('ip', 64);
    t.string('user_agent', 300);
  });
  await knex.schema.createTable('ct_file', (t) => {
    t.bigIncrements('id');
    t.string('name', 255).notNullable();
    t.string('mime', 100).notNullable();
    t.bigInteger('size').notNullable();
    t.string('sha256', 64).notNullable();
    t.binary('content').notNullable();
    t.bigInteger('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['ct_file', 'ct_session', 'ct_user', 'ct_audit', 'ct_meta_archive', 'ct_meta_overlay', 'ct_state']) await knex.schema.dropTableIfExists(t);
}
