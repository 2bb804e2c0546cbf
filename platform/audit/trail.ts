import type { Knex } from 'knex';
import { auditRow, setAuditWriter } from './audit';
import { AUDIT_CONTENT, GENESIS, chainHash, writeLinks } from './chain';

/** Advisory lock that orders sealing (only the sealer takes it; writers never wait on it). */
export const AUDIT_CHAIN_LOCK = 7302;
const BATCH = 2000;

/**
 * Audit rows are written unsealed, inside each record's own transaction, with no shared lock: writes across the
 * system never queue behind each other's commits. The sealer then links committed rows into the hash chain in
 * the order it finds them (seq 1, 2, 3 …): each hash covers the previous hash, the row's content and its seq.
 * A row committed late by a slow transaction simply gets a later seq.
 */
export function installAuditTrail(): void {
  setAuditWriter(
    async (trx, e) => {
      await trx('ct_audit').insert(auditRow(e));
    },
    { plainInsert: true },
  );
}

/** Seals every committed unsealed row; returns how many. Safe to run from several processes at once. */
export async function sealAudit(knex: Knex): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await knex.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?)', [AUDIT_CHAIN_LOCK]);
      // A plain index scan marks the partial index's entries of already-sealed rows dead as it passes them (a bitmap
      // scan cannot), so finding the unsealed rows stays cheap between vacuums, and without any (PGlite).
      await trx.raw('set local enable_bitmapscan = off');
      const last = await trx('ct_audit').whereNotNull('seq').orderBy('seq', 'desc').first('seq', 'hash');
      const rows: { id: string; content: string }[] = (
        await trx.raw(`select a.id, ${AUDIT_CONTENT} as content from ct_audit a where a.seq is null order by a.id limit ?`, [BATCH])
      ).rows;
      if (!rows.length) return 0;
      await writeLinks(trx, rows, last?.hash ?? GENESIS, Number(last?.seq ?? 0));
      return rows.length;
    });
    total += n;
    if (n < BATCH) return total;
  }
}

/** Seals shortly after writes (debounced), so the unsealed window stays around a second. */
export function startSealer(knex: Knex, log?: { error: (o: object, m: string) => void }): { poke(): void; stop(): Promise<void> } {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const run = () => {
    timer = null;
    running = running.then(() => sealAudit(knex)).catch((err) => log?.error({ err: { message: err?.message } }, 'audit sealing failed'));
  };
  return {
    poke() {
      if (!stopped && !timer) timer = setTimeout(run, 500);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  unsealed: number;
  problem?: { kind: 'altered' | 'inserted' | 'deleted' | 'unsealed'; id: number; message: string };
}

/**
 * Seals what is pending, then walks the chain in seq order and names the first entry that was altered (content no
 * longer matches its hash), inserted (its successor links past it) or deleted (a seq is missing). Rows still
 * unsealed after sealing can only be there if someone bypassed the append-only triggers.
 */
export async function verifyAuditChain(knex: Knex, opts: { seal?: boolean } = {}): Promise<VerifyResult> {
  if (opts.seal !== false) await sealAudit(knex);
  let prevHash = GENESIS;
  let prevPrevHash = '';
  let prevSeq = 0;
  let prevId = 0;
  let checked = 0;
  let pending: any[] = [];
  let lastSeq = 0;
  const next = async () => {
    if (pending.length) return pending.shift();
    pending = (
      await knex.raw(`select a.id, a.seq, a.prev_hash, a.hash, ${AUDIT_CONTENT} as content from ct_audit a where a.seq > ? order by a.seq limit ?`, [lastSeq, BATCH])
    ).rows;
    if (pending.length) lastSeq = Number(pending[pending.length - 1].seq);
    return pending.shift();
  };
  let row = await next();
  while (row) {
    const id = Number(row.id);
    const seq = Number(row.seq);
    const following = await next();
    const selfOk = chainHash(row.prev_hash ?? '', seq, row.content) === row.hash;
    if (!selfOk) {
      if (following && following.prev_hash === prevHash)
        return fail(checked, 'inserted', id, `entry ${id} was inserted (entry ${following.id} links to entry ${prevId || 'genesis'})`);
      return fail(checked, 'altered', id, `entry ${id} was altered (its content no longer matches its hash)`);
    }
    if (seq !== prevSeq + 1 || row.prev_hash !== prevHash) {
      if (row.prev_hash === prevPrevHash && seq === prevSeq) return fail(checked, 'inserted', prevId, `entry ${prevId} was inserted (entry ${id} links past it)`);
      if (seq === prevSeq + 1) return fail(checked, 'altered', prevId, `entry ${prevId} was altered and re-hashed (entry ${id} no longer links to it)`);
      return fail(checked, 'deleted', id, `entries missing before entry ${id} (after entry ${prevId || 'genesis'})`);
    }
    prevPrevHash = prevHash;
    prevHash = row.hash;
    prevSeq = seq;
    prevId = id;
    checked++;
    row = following;
  }
  const unsealed = Number((await knex('ct_audit').whereNull('seq').count({ n: '*' }).first())?.n ?? 0);
  // Rows of transactions still running are legitimately unsealed; an old unsealed row is not.
  const stale = opts.seal !== false && unsealed ? await knex('ct_audit').whereNull('seq').where('at', '<', new Date(Date.now() - 60_000)).orderBy('id').first('id') : undefined;
  if (stale) {
    const first = stale;
    return { ok: false, checked, unsealed, problem: { kind: 'unsealed', id: Number(first.id), message: `entry ${first.id} could not be sealed` } };
  }
  return { ok: true, checked, unsealed };

  function fail(c: number, kind: NonNullable<VerifyResult['problem']>['kind'], pid: number, message: string): VerifyResult {
    return { ok: false, checked: c, unsealed: 0, problem: { kind, id: pid, message } };
  }
}
