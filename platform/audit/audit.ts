import type { Knex } from 'knex';

export interface FieldChange {
  field: string;
  from?: unknown;
  to?: unknown;
}

export interface AuditEntry {
  actorId?: number | null;
  actorName?: string | null;
  entity: string;
  recordId?: number | null;
  action: string;
  changes: FieldChange[] | Record<string, unknown>;
  reason?: string | null;
  ip?: string | null;
  requestId?: string | null;
}

type AuditWriter = (trx: Knex.Transaction, e: AuditEntry) => Promise<void>;

/** Default writer; the audit-trail module may replace it (hash chain). Never swallow its errors: a write whose audit fails must fail. */
/** The audit row as stored, for writers that insert it as one plain statement. */
export function auditRow(e: AuditEntry): Record<string, unknown> {
  return {
    actor_id: e.actorId ?? null,
    actor_name: e.actorName ?? null,
    entity: e.entity,
    record_id: e.recordId ?? null,
    action: e.action,
    changes: JSON.stringify(e.changes),
    reason: e.reason ?? null,
    ip: e.ip ?? null,
    request_id: e.requestId ?? null,
  };
}

let writer: AuditWriter = async (trx, e) => {
  await trx('ct_audit').insert(auditRow(e));
};
let plain = true;

/**
 * Replaces the writer. `plainInsert: true` promises the writer only inserts `auditRow(e)` (anything else, such as
 * chain sealing, happens later), which lets the record service fuse a create and its audit row into one statement.
 */
export function setAuditWriter(w: AuditWriter, opts: { plainInsert?: boolean } = {}): void {
  writer = w;
  plain = !!opts.plainInsert;
}

export function auditIsPlainInsert(): boolean {
  return plain;
}

export function writeAudit(trx: Knex.Transaction, e: AuditEntry): Promise<void> {
  return writer(trx, e);
}

/** Field-level changes between two flat records (values compared as JSON). */
export function diffRecords(before: Record<string, unknown> | null, after: Record<string, unknown> | null, fields: string[]): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of fields) {
    const a = before?.[f] ?? null;
    const b = after?.[f] ?? null;
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ field: f, from: a, to: b });
  }
  return out;
}
