import type { Knex } from 'knex';

/**
 * Audit hash chain, second form (docs/decisions.md, "The database renders what an audit hash covers"): what a hash covers is produced by the
 * database itself (`ct_audit_content`, a fixed text form of the row), so the sealer moves one short string per row
 * instead of parsing and re-serialising every row's JSON in the app; unsealed rows are found through a partial
 * index (and a new row adds no NULL entry to the seq index); the append-only trigger compares columns instead of
 * serialising both row images to JSON.
 * Rows sealed under the first form are re-sealed under this one (in their old chain order), here, once.
 * One SQL statement per raw call (PGlite).
 */
export async function up(knex: Knex): Promise<void> {
  // Timestamps in UTC to the millisecond (what a JS Date round trip keeps), ids as text, JSON as jsonb's canonical
  // text: independent of session settings.
  await knex.raw(`CREATE OR REPLACE FUNCTION ct_audit_content(a ct_audit) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_array(a.id::text, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), a.actor_id::text, a.actor_name,
                           a.entity, a.record_id::text, a.action, a.changes, a.reason, a.ip, a.request_id)::text
$$`);
  await knex.raw(`CREATE OR REPLACE FUNCTION ct_audit_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
     AND ROW(NEW.id, NEW.at, NEW.actor_id, NEW.actor_name, NEW.entity, NEW.record_id, NEW.action, NEW.changes, NEW.reason, NEW.ip, NEW.request_id)
         IS NOT DISTINCT FROM ROW(OLD.id, OLD.at, OLD.actor_id, OLD.actor_name, OLD.entity, OLD.record_id, OLD.action, OLD.changes, OLD.reason, OLD.ip, OLD.request_id) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'ct_audit is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$`);
  await knex.raw(`CREATE INDEX IF NOT EXISTS ct_audit_unsealed ON ct_audit (id) WHERE seq IS NULL`);
  // seq stays unique, but a new (unsealed) row no longer adds a NULL entry to that index on every write.
  await knex.raw(`ALTER TABLE ct_audit DROP CONSTRAINT IF EXISTS ct_audit_seq_unique`);
  await knex.raw(`CREATE UNIQUE INDEX IF NOT EXISTS ct_audit_seq ON ct_audit (seq) WHERE seq IS NOT NULL`);
  // Re-seal: keep the old chain order (sealed rows by seq, then the unsealed by id), hash under the new form.
  const rows: { id: string; content: string }[] = (
    await knex.raw(`SELECT a.id, ct_audit_content(a) AS content FROM ct_audit a ORDER BY a.seq IS NULL, a.seq, a.id`)
  ).rows;
  if (!rows.length) return;
  const { writeLinks, GENESIS } = await import('../platform/audit/chain');
  await knex.raw(`ALTER TABLE ct_audit DISABLE TRIGGER ct_audit_no_update_delete`);
  // Two steps: seq is unique, and the new order may swap two rows' numbers.
  await knex.raw(`UPDATE ct_audit SET seq = -id`);
  await writeLinks(knex, rows, GENESIS, 0);
  await knex.raw(`ALTER TABLE ct_audit ENABLE TRIGGER ct_audit_no_update_delete`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX IF EXISTS ct_audit_seq`);
  await knex.raw(`ALTER TABLE ct_audit ADD CONSTRAINT ct_audit_seq_unique UNIQUE (seq)`);
  await knex.raw(`DROP INDEX IF EXISTS ct_audit_unsealed`);
  await knex.raw(`DROP FUNCTION IF EXISTS ct_audit_content(ct_audit)`);
}
