import type { Knex } from 'knex';

/** Webhook subscriptions (an admin subscribes a URL to record events of an entity) and their delivery log. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ct_webhook', (t) => {
    t.bigIncrements('id');
    t.string('url', 2000).notNullable();
    t.string('entity', 64).notNullable();
    t.specificType('events', 'text[]').notNullable();
    t.text('secret').notNullable(); // encrypted with the data key
    t.string('description', 200);
    t.boolean('enabled').notNullable().defaultTo(true);
    t.integer('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['entity']);
  });
  await knex.schema.createTable('ct_webhook_delivery', (t) => {
    t.bigIncrements('id');
    t.bigInteger('webhook_id').notNullable().references('ct_webhook.id').onDelete('CASCADE');
    t.string('event', 40).notNullable();
    t.string('entity', 64).notNullable();
    t.bigInteger('record_id');
    t.jsonb('payload').notNullable();
    t.string('status', 16).notNullable().defaultTo('pending'); // pending | delivered | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('response_status');
    t.text('last_error');
    t.integer('duration_ms');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('delivered_at', { useTz: true });
    t.index(['webhook_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ct_webhook_delivery');
  await knex.schema.dropTableIfExists('ct_webhook');
}
