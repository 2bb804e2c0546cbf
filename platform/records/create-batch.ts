import type { Knex } from 'knex';

/** Process-wide counts: multi-record batches, the records they wrote, batches re-run one by one (tests, benchmarks). */
export const createBatchStats = { batches: 0, records: 0, retried: 0 };

interface Waiter<T, R> {
  item: T;
  resolve: (saved: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for creates. While `maxInFlight` writes of one entity (and one shape) are running, further creates
 * wait, and the next write takes all of them at once: one multi-row INSERT of the records and their audit rows (and,
 * for numbered entities, one counter update for the whole batch), so one round trip, one plan and one commit serve
 * many requests. A create that finds the path free runs at once, so a lone request never waits. If a batch fails
 * (one bad reference, one duplicate), nothing of it was written and each create runs again on its own: every request
 * gets exactly the outcome and the error it would have had alone.
 */
export class GroupCommit<T, R> {
  private inFlight = 0;
  private queue: Waiter<T, R>[] = [];
  constructor(
    /** Writes one create; also the fallback for a failed batch. */
    private readonly single: (item: T) => Promise<R>,
    /** Writes several creates atomically; returns their results in the order given. */
    private readonly many: (items: T[]) => Promise<R[]>,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 100,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: Waiter<T, R>[]): Promise<void> {
    if (batch.length === 1) {
      const [w] = batch;
      await this.single(w.item).then(w.resolve, w.reject);
      return;
    }
    let saved: R[] | undefined;
    try {
      saved = await this.many(batch.map((w) => w.item));
      createBatchStats.batches++;
      createBatchStats.records += batch.length;
    } catch {
      // Somebody's row was refused: write each on its own, so each gets its own answer.
    }
    if (saved) {
      batch.forEach((w, i) => w.resolve(saved[i]));
      return;
    }
    createBatchStats.retried++;
    await Promise.all(batch.map((w) => this.single(w.item).then(w.resolve, w.reject)));
  }
}

/** `n` ids from a table's sequence, taken before a multi-row insert so each audit row can name its own record. */
export async function takeIds(db: Knex | Knex.Transaction, table: string, n: number): Promise<number[]> {
  const r = await db.raw(`select nextval(pg_get_serial_sequence(?, 'id'))::bigint as id from generate_series(1, ?)`, [`"${table}"`, n]);
  return r.rows.map((x: any) => Number(x.id));
}

/** Rows (with their ids set) and their audit rows as ONE statement: a multi-row INSERT … RETURNING with a data-modifying CTE. */
export async function insertWithAudit(
  db: Knex | Knex.Transaction, table: string, rows: Record<string, unknown>[], audits: Record<string, unknown>[], returning: string[],
): Promise<Record<string, any>[]> {
  // knex writes DEFAULT for a column one row leaves out and another sets.
  const ins = db(table).insert(rows).returning(returning).toSQL();
  const aud = db('ct_audit').insert(audits).toSQL();
  return (await db.raw(`with ins as (${ins.sql}), aud as (${aud.sql}) select * from ins`, [...ins.bindings, ...aud.bindings] as any)).rows;
}
