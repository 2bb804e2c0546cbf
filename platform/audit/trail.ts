import type { Knex } from 'knex';
import { setAuditWriter, type AuditEntry } from './audit';
import { GENESIS, rowHash, type ChainRow } from './chain';

/** Advisory lock that orders the chain: held from an audit write to the end of its transaction. */
export const AUDIT_CHAIN_LOCK = 7302;

/**
 * The hash-chained writer. Chain order = id order: the id is drawn and the previous hash read while holding a
 * transaction-scoped advisory lock, so the next writer waits until this transaction commits (or rolls back, in
 * which case its row and id vanish and the next writer links to the same predecessor).
 */
export async function writeChained(trx: Knex.Transaction, e: AuditEntry): Promise<number> {
  await trx.raw('select pg_advisory_xact_lock(?)', [AUDIT_CHAIN_LOCK]);
  const last = await trx('ct_audit').orderBy('id', 'desc').first('id', 'hash');
  const id = Number((await trx.raw(`select nextval(pg_get_serial_sequence('ct_audit', 'id')) as id`)).rows[0].id);
  const row: ChainRow = {
    id,
    at: new Date(),
    actor_id: e.actorId ?? null,
    actor_name: e.actorName ?? null,
    entity: e.entity,
    record_id: e.recordId ?? null,
    action: e.action,
    changes: JSON.parse(JSON.stringify(e.changes ?? null)),
    reason: e.reason ?? null,
    ip: e.ip ?? null,
    request_id: e.requestId ?? null,
  };
  const prev = last?.hash ?? GENESIS;
  const hash = rowHash(row, prev);
  await trx('ct_audit').insert({ ...row, changes: JSON.stringify(row.changes), prev_hash: prev, hash });
  return id;
}

export function installAuditTrail(): void {
  setAuditWriter(async (trx, e) => {
    await writeChained(trx, e);
  });
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  problem?: { kind: 'altered' | 'inserted' | 'deleted' | 'unsealed'; id: number; message: string };
}

/**
 * Walks the chain in id order and names the first entry that was altered (content no longer matches its hash),
 * inserted (its successor links past it) or deleted (a row's prev_hash does not match its predecessor).
 * Deleting the newest entries leaves a shorter valid chain; `head` (last id and hash seen before) catches that.
 */
export async function verifyAuditChain(knex: Knex, opts: { batch?: number } = {}): Promise<VerifyResult> {
  const batch = opts.batch ?? 2000;
  let prevHash = GENESIS;
  let prevPrevHash = '';
  let prevId = 0;
  let checked = 0;
  let pending: any[] = [];
  let lastId = 0;
  const next = async () => {
    if (pending.length) return pending.shift();
    pending = await knex('ct_audit').where('id', '>', lastId).orderBy('id').limit(batch);
    if (pending.length) lastId = Number(pending[pending.length - 1].id);
    return pending.shift();
  };
  let row = await next();
  while (row) {
    const id = Number(row.id);
    if (!row.hash) return { ok: false, checked, problem: { kind: 'unsealed', id, message: `entry ${id} has no hash (written outside the audit writer)` } };
    const following = await next();
    const selfOk = rowHash(row, row.prev_hash ?? '') === row.hash;
    if (!selfOk) {
      // A forged row that its successor skips over was inserted; otherwise its content was changed.
      if (following && following.prev_hash === prevHash)
        return { ok: false, checked, problem: { kind: 'inserted', id, message: `entry ${id} was inserted (entry ${following.id} links to entry ${prevId || 'genesis'})` } };
      return { ok: false, checked, problem: { kind: 'altered', id, message: `entry ${id} was altered (its content no longer matches its hash)` } };
    }
    if (row.prev_hash !== prevHash) {
      if (following && following.prev_hash === prevHash)
        return { ok: false, checked, problem: { kind: 'inserted', id, message: `entry ${id} was inserted (entry ${following.id} links to entry ${prevId || 'genesis'})` } };
      if (row.prev_hash === prevPrevHash)
        return { ok: false, checked, problem: { kind: 'inserted', id: prevId, message: `entry ${prevId} was inserted (entry ${id} links past it)` } };
      if (id - prevId === 1)
        return { ok: false, checked, problem: { kind: 'altered', id: prevId, message: `entry ${prevId} was altered and re-hashed (entry ${id} no longer links to it)` } };
      return {
        ok: false,
        checked,
        problem: { kind: 'deleted', id, message: `entries missing before entry ${id} (after entry ${prevId || 'genesis'}), or entry ${prevId} was altered and re-hashed` },
      };
    }
    prevPrevHash = prevHash;
    prevHash = row.hash;
    prevId = id;
    checked++;
    row = following;
  }
  return { ok: true, checked };
}
