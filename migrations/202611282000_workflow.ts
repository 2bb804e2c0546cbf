import type { Knex } from 'knex';

/**
 * Workflow (issue 4): flow instances (each with its frozen flow definition), tasks (approval steps and plain
 * assignments) and in-app notifications. E-signatures go to platform/auth's ct_signature.
 * One SQL statement per raw call (PGlite).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ct_wf_instance', (t) => {
    t.bigIncrements('id');
    t.string('flow_id', 100).notNullable();
    // 0 = the shipped file; n = overlay version n. The definition is frozen on the instance: publishing never moves it.
    t.integer('flow_version').notNullable();
    t.jsonb('definition').notNullable();
    t.string('entity', 100).notNullable();
    t.bigInteger('record_id').notNullable();
    t.string('state', 100).notNullable();
    t.string('status', 20).notNullable().defaultTo('running'); // running | completed | rejected | withdrawn
    t.integer('round').notNullable().defaultTo(0);
    t.bigInteger('initiator_id');
    t.string('initiator_name', 100);
    t.string('record_title', 200);
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('ended_at', { useTz: true });
    t.index(['entity', 'record_id']);
    t.index(['initiator_id', 'started_at']);
  });
  // One running flow per record.
  await knex.raw(`CREATE UNIQUE INDEX ct_wf_instance_running_uq ON ct_wf_instance (entity, record_id) WHERE status = 'running'`);
  await knex.schema.createTable('ct_wf_task', (t) => {
    t.bigIncrements('id');
    t.string('kind', 20).notNullable(); // approval | assign
    t.bigInteger('instance_id').references('id').inTable('ct_wf_instance');
    t.integer('round').notNullable().defaultTo(0);
    t.string('state_key', 100); // the flow state the task belongs to
    t.string('entity', 100).notNullable();
    t.bigInteger('record_id').notNullable();
    t.string('record_title', 200);
    t.jsonb('summary');
    t.string('field', 100); // assign tasks: the assignee field
    t.bigInteger('assignee_id').notNullable();
    t.integer('seq').notNullable().defaultTo(0); // sequential mode: order of activation
    // pending | waiting (sequential, not yet active) | approved | rejected | returned | done | cancelled
    t.string('status', 20).notNullable();
    t.string('action', 100);
    t.text('comment');
    t.bigInteger('acted_by');
    t.timestamp('acted_at', { useTz: true });
    t.bigInteger('delegated_from');
    t.timestamp('due_at', { useTz: true });
    t.timestamp('reminded_at', { useTz: true });
    t.timestamp('escalated_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['assignee_id', 'status', 'created_at']);
    t.index(['instance_id', 'round']);
    t.index(['entity', 'record_id']);
  });
  await knex.schema.createTable('ct_wf_notification', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable();
    t.string('kind', 30).notNullable(); // task | reminder | escalation | outcome | delegated
    t.bigInteger('task_id');
    t.bigInteger('instance_id');
    t.string('entity', 100);
    t.bigInteger('record_id');
    t.string('record_title', 200);
    t.jsonb('data');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('read_at', { useTz: true });
    t.index(['user_id', 'read_at', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['ct_wf_notification', 'ct_wf_task', 'ct_wf_instance']) await knex.schema.dropTableIfExists(t);
}
