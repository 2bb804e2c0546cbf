import crypto from 'node:crypto';

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

export interface ChainRow {
  id: number | string;
  seq?: number | string | null;
  at: Date | string;
  actor_id: number | string | null;
  actor_name: string | null;
  entity: string;
  record_id: number | string | null;
  action: string;
  changes: unknown;
  reason: string | null;
  ip: string | null;
  request_id: string | null;
  prev_hash?: string | null;
  hash?: string | null;
}

const idOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** The hash of one audit row: SHA-256 over the previous hash and the row's canonical content. */
export function rowHash(r: ChainRow, prevHash: string): string {
  const content = canonical({
    id: String(r.id),
    seq: idOrNull(r.seq),
    at: new Date(r.at).toISOString(),
    actorId: idOrNull(r.actor_id),
    actorName: r.actor_name ?? null,
    entity: r.entity,
    recordId: idOrNull(r.record_id),
    action: r.action,
    // jsonb normalises what it stores; hashing the parsed JSON makes the write and the re-read agree.
    changes: typeof r.changes === 'string' ? JSON.parse(r.changes) : JSON.parse(JSON.stringify(r.changes ?? null)),
    reason: r.reason ?? null,
    ip: r.ip ?? null,
    requestId: r.request_id ?? null,
  });
  return crypto.createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}
