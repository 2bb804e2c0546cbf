import crypto from 'node:crypto';
import type { Knex } from 'knex';

/** Canonical JSON: object keys sorted, no whitespace; what the hash chain covers. */
export function canonical(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  if (typeof v === 'bigint') return JSON.stringify(v.toString());
  return JSON.stringify(v);
}

export const GENESIS = '0'.repeat(64);

/**
 * One link of the audit chain: SHA-256 over the previous link's hash, the row's place in the chain and the row's
 * content as the database renders it (`ct_audit_content(a)`, migrations/202611300100_audit_chain_v2.ts), so the
 * sealer and the verifier hash the very same bytes without parsing the row's JSON.
 */
export function chainHash(prevHash: string, seq: number | string, content: string): string {
  return crypto.createHash('sha256').update(`${prevHash}\n${seq}\n`).update(content).digest('hex');
}

/** The SQL expression for a row's hashed content; the row must be selected as `a`. */
export const AUDIT_CONTENT = 'ct_audit_content(a)';

/**
 * Writes the links of `rows` (in chain order) after the link `prev` at place `seq`: computes each row's hash and
 * sets seq, prev_hash and hash of all of them in one UPDATE (the sealer, and the v2 migration's re-seal).
 */
export async function writeLinks(
  db: Knex | Knex.Transaction,
  rows: { id: string | number; content: string }[],
  prev: string,
  seq: number,
): Promise<void> {
  const ids: string[] = [];
  const seqs: number[] = [];
  const prevs: string[] = [];
  const hashes: string[] = [];
  for (const r of rows) {
    seq++;
    const hash = chainHash(prev, seq, r.content);
    ids.push(String(r.id));
    seqs.push(seq);
    prevs.push(prev);
    hashes.push(hash);
    prev = hash;
  }
  await db.raw(
    `update ct_audit a set seq = v.seq, prev_hash = v.prev, hash = v.hash
       from unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[]) as v(id, seq, prev, hash)
      where a.id = v.id`,
    [ids, seqs, prevs, hashes],
  );
}
