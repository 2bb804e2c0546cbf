import type { Knex } from 'knex';

export const COUNTER_TABLE = 'ct_numbering_counter';

function toNumber(v: unknown): number {
  // pg returns bigint as a string unless a type parser is set.
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`numbering counter value out of range: ${String(v)}`);
  return n;
}

/**
 * Takes the next value of a counter. One atomic upsert: it locks the row until the caller's transaction ends,
 * so concurrent callers queue, and a rollback returns the value (no gaps). Callers must use READ COMMITTED
 * (the PostgreSQL default); under REPEATABLE READ a waiting caller fails with a serialization error instead.
 */
export async function takeCounterValue(db: Knex | Knex.Transaction, ruleId: string, prefix: string, start: number): Promise<number> {
  const res = await db.raw(
    `insert into ${COUNTER_TABLE} (rule_id, prefix, value, updated_at) values (?, ?, ?, now())
     on conflict (rule_id, prefix) do update
       set value = greatest(${COUNTER_TABLE}.value + 1, excluded.value), updated_at = now()
     returning value`,
    [ruleId, prefix, start],
  );
  return toNumber(res.rows[0].value);
}

/** Takes n values at once and returns the last (the first is `last - n + 1`); one statement, same locking as above. */
export async function takeCounterValues(db: Knex | Knex.Transaction, ruleId: string, prefix: string, start: number, n: number): Promise<number> {
  const res = await db.raw(
    `insert into ${COUNTER_TABLE} (rule_id, prefix, value, updated_at) values (?, ?, ?, now())
     on conflict (rule_id, prefix) do update
       set value = greatest(${COUNTER_TABLE}.value + ?, excluded.value), updated_at = now()
     returning value`,
    [ruleId, prefix, start + n - 1, n],
  );
  return toNumber(res.rows[0].value);
}

/** The value the next take would return, without taking it (another caller may take it first). */
export async function peekCounterValue(db: Knex | Knex.Transaction, ruleId: string, prefix: string, start: number): Promise<number> {
  const row = await db(COUNTER_TABLE).where({ rule_id: ruleId, prefix }).first('value');
  return row ? Math.max(toNumber(row.value) + 1, start) : start;
}
