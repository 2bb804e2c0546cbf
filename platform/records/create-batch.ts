import type { Knex } from 'knex';

/** One create waiting to be written: its row (columns → values) and its audit row. */
export interface PendingCreate {
  row: Record<string, unknown>;
  audit: Record<string, unknown>;
}

interface Waiter extends PendingCreate {
  resolve: (saved: Record<string, any>) => void;
  reject: (err: unknown) => void;
}

/** Process-wide counts: multi-record statements, the records they wrote, batches re-run one by one (tests, benchmarks). */
export const createBatchStats = { batches: 0, records: 0, retried: 0 };

/**
 * Group commit for the single-statement create path. While `maxInFlight` statements of one entity (and one
 * returned field list) are running, further creates wait, and the next statement writes all of them at once: one
 * multi-row INSERT of the records and one of their audit rows, in one statement, so one round trip, one plan and
 * one commit serve many requests. A create that finds the path free runs at once, so a lone request never waits.
 * Ids are taken from the table's sequence first, so every audit row names its own record. If a batch fails (one
 * bad reference, one duplicate), nothing of it was written and each create runs again on its own: every request
 * gets exactly the outcome and the error it would have had alone.
 */
export class CreateBatcher {
  private inFlight = 0;
  private queue: Waiter[] = [];
  constructor(
    private readonly knex: Knex,
    private readonly table: string,
    /** What the insert returns (the caller's readable fields under their API names, as knex `returning` takes it). */
    private readonly returning: string[],
    /** Writes one create as one statement; also the fallback for a failed batch. */
    private readonly single: (p: PendingCreate) => Promise<Record<string, any>>,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 100,
  ) {}

  submit(p: PendingCreate): Promise<Record<string, any>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...p, resolve, reject });
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

  private async run(batch: Waiter[]): Promise<void> {
    if (batch.length === 1) {
      const [w] = batch;
      await this.single(w).then(w.resolve, w.reject);
      return;
    }
    let saved: Map<number, Record<string, any>> | undefined;
    let ids: number[] = [];
    try {
      ids = await this.takeIds(batch.length);
      saved = new Map((await this.writeMany(batch, ids)).map((r) => [Number(r.id), r]));
      createBatchStats.batches++;
      createBatchStats.records += batch.length;
    } catch {
      // Somebody's row was refused: write each on its own, so each gets its own answer.
    }
    if (saved) {
      batch.forEach((w, i) => w.resolve(saved.get(ids[i])!));
      return;
    }
    createBatchStats.retried++;
    await Promise.all(batch.map((w) => this.single(w).then(w.resolve, w.reject)));
  }

  private async takeIds(n: number): Promise<number[]> {
    const r = await this.knex.raw(`select nextval(pg_get_serial_sequence(?, 'id'))::bigint as id from generate_series(1, ?)`, [`"${this.table}"`, n]);
    return r.rows.map((x: any) => Number(x.id));
  }

  private async writeMany(batch: Waiter[], ids: number[]): Promise<Record<string, any>[]> {
    // knex writes DEFAULT for a column one row leaves out and another sets.
    const ins = this.knex(this.table)
      .insert(batch.map((w, i) => ({ ...w.row, id: ids[i] })))
      .returning(this.returning)
      .toSQL();
    const aud = this.knex('ct_audit')
      .insert(batch.map((w, i) => ({ ...w.audit, record_id: ids[i] })))
      .toSQL();
    return (await this.knex.raw(`with ins as (${ins.sql}), aud as (${aud.sql}) select * from ins`, [...ins.bindings, ...aud.bindings] as any)).rows;
  }
}
