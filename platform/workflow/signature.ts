import type { Knex } from 'knex';
import type { CallContext } from '../context';
import { requireSignature } from '../auth';

export interface SignatureRequest {
  ctx: CallContext;
  trx: Knex.Transaction;
  entity: string;
  recordId: number;
  action: string;
  /** The meaning the user signs (Part 11 §11.50), in the caller's language. */
  meaning: string;
  /** What is signed: the record as it stands. */
  content: unknown;
  password: unknown;
}

export type SignatureProvider = (r: SignatureRequest) => Promise<{ id: number }>;

/** Default: platform/auth's requireSignature (password re-entry, ct_signature row, audit, lockout counting). */
let provider: SignatureProvider = async (r) =>
  requireSignature(r.trx, r.ctx, { entity: r.entity, recordId: r.recordId, meaning: r.meaning.slice(0, 100), password: r.password, content: r.content, action: r.action });

/** Replaceable (e.g. a second factor or an external signing service). */
export function setSignatureProvider(p: SignatureProvider): void {
  provider = p;
}

export function sign(r: SignatureRequest): Promise<{ id: number }> {
  return provider(r);
}
