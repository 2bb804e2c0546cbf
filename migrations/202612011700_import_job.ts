import type { Knex } from 'knex';

/**
 * The job that runs an import's current step: an import whose job ended (or whose worker died) without the import
 * recording an outcome is found at start-up and marked failed as interrupted; a retry queues a new job, and a late
 * run of a superseded job leaves the import alone.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ct_import', (t) => {
    t.bigInteger('job_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ct_import', (t) => {
    t.dropColumn('job_id');
  });
}
