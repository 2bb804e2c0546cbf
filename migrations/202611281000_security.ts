import type { Knex } from 'knex';

/**
 * Identity, access control and audit (issue 3): org tree, memberships, roles per user, login log, API tokens,
 * e-signatures, and the audit hash chain with a database guard against UPDATE/DELETE/TRUNCATE.
 * One SQL statement per raw call (PGlite).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ct_org', (t) => {
    t.bigIncrements('id');
    t.bigInteger('parent_id').references('id').inTable('ct_org');
    t.string('kind', 20).notNullable(); // company | centre | lab | department
    t.string('code', 40).notNullable().unique();
    t.string('name', 100).notNullable();
    t.string('name_en', 100);
    t.integer('sort').notNullable().defaultTo(0);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['parent_id']);
  });
  await knex.raw(`ALTER TABLE ct_org ADD CONSTRAINT ct_org_kind_ck CHECK (kind IN ('company', 'centre', 'lab', 'department'))`);
  await knex.schema.alterTable('ct_user', (t) => {
    t.integer('failed_count').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
    t.string('email', 200);
    t.timestamp('updated_at', { useTz: true });
  });
  await knex.schema.createTable('ct_user_org', (t) => {
    t.bigInteger('user_id').notNullable().references('id').inTable('ct_user');
    t.bigInteger('org_id').notNullable().references('id').inTable('ct_org');
    t.primary(['user_id', 'org_id']);
  });
  await knex.schema.createTable('ct_user_role', (t) => {
    t.bigInteger('user_id').notNullable().references('id').inTable('ct_user');
    t.string('role', 100).notNullable();
    t.primary(['user_id', 'role']);
  });
  await knex.schema.alterTable('ct_session', (t) => {
    t.string('name', 100);
    t.string('role', 100); // API tokens act with this one role only
    t.bigInteger('created_by');
  });
  await knex.schema.createTable('ct_login_log', (t) => {
    t.bigIncrements('id');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('username', 64).notNullable();
    t.bigInteger('user_id');
    t.boolean('success').notNullable();
    t.string('reason', 40);
    t.string('ip', 64);
    t.string('user_agent', 300);
    t.index(['at']);
    t.index(['username', 'at']);
  });
  await knex.schema.createTable('ct_signature', (t) => {
    t.bigIncrements('id');
    t.string('entity', 100).notNullable();
    t.bigInteger('record_id').notNullable();
    t.bigInteger('user_id').notNullable();
    t.string('printed_name', 100).notNullable();
    t.string('username', 64).notNullable();
    t.string('meaning', 100).notNullable();
    t.string('action', 100);
    t.timestamp('signed_at', { useTz: true }).notNullable();
    t.string('content_hash', 64).notNullable();
    t.string('hash', 64).notNullable();
    t.index(['entity', 'record_id']);
  });

  // Hash chain: rows are written unsealed (no lock on the write path) and sealed in order by platform/audit/trail.ts.
  await knex.schema.alterTable('ct_audit', (t) => {
    t.bigInteger('seq').unique();
    t.string('prev_hash', 64);
    t.string('hash', 64);
  });
  await knex.raw(`CREATE OR REPLACE FUNCTION ct_audit_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$`);
  // The only update ct_audit accepts: sealing an unsealed row (setting seq, prev_hash, hash), nothing else changed.
  await knex.raw(`CREATE OR REPLACE FUNCTION ct_audit_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
     AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'ct_audit is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$`);
  await knex.raw(`CREATE TRIGGER ct_audit_no_update_delete BEFORE UPDATE OR DELETE ON ct_audit FOR EACH ROW EXECUTE FUNCTION ct_audit_seal_only()`);
  await knex.raw(`CREATE TRIGGER ct_audit_no_truncate BEFORE TRUNCATE ON ct_audit FOR EACH STATEMENT EXECUTE FUNCTION ct_audit_immutable()`);
  await knex.raw(`CREATE TRIGGER ct_signature_no_update_delete BEFORE UPDATE OR DELETE ON ct_signature FOR EACH ROW EXECUTE FUNCTION ct_audit_immutable()`);
  await knex.raw(`CREATE TRIGGER ct_login_log_no_update BEFORE UPDATE ON ct_login_log FOR EACH ROW EXECUTE FUNCTION ct_audit_immutable()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TRIGGER IF EXISTS ct_login_log_no_update ON ct_login_log`);
  await knex.raw(`DROP TRIGGER IF EXISTS ct_signature_no_update_delete ON ct_signature`);
  await knex.raw(`DROP TRIGGER IF EXISTS ct_audit_no_truncate ON ct_audit`);
  await knex.raw(`DROP TRIGGER IF EXISTS ct_audit_no_update_delete ON ct_audit`);
  await knex.raw(`DROP FUNCTION IF EXISTS ct_audit_immutable()`);
  await knex.raw(`DROP FUNCTION IF EXISTS ct_audit_seal_only()`);
  await knex.schema.alterTable('ct_audit', (t) => {
    t.dropColumn('seq');
    t.dropColumn('prev_hash');
    t.dropColumn('hash');
  });
  for (const t of ['ct_signature', 'ct_login_log', 'ct_user_role', 'ct_user_org']) await knex.schema.dropTableIfExists(t);
  await knex.schema.alterTable('ct_session', (t) => {
    t.dropColumn('name');
    t.dropColumn('role');
    t.dropColumn('created_by');
  });
  await knex.schema.alterTable('ct_user', (t) => {
    t.dropColumn('failed_count');
    t.dropColumn('locked_until');
    t.dropColumn('email');
    t.dropColumn('updated_at');
  });
  await knex.schema.dropTableIfExists('ct_org');
}
