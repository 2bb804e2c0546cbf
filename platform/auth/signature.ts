import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { AppError } from '../errors';
import type { CallContext } from '../context';
import { writeAudit } from '../audit/audit';
import { canonical } from '../audit/chain';
import { lockedError, registerFailure } from './login';
import { verifyPassword } from './passwords';

let failureKnex: Knex | undefined;
/** The pool used to count failed signatures after the signing transaction ends. */
export function setSignatureKnex(k: Knex): void {
  failureKnex = k;
}

export interface SignatureInput {
  entity: string;
  recordId: number;
  /** Signature meaning (Part 11 §11.50): e.g. "approved", "reviewed", "released". */
  meaning: string;
  password: unknown;
  /** What is being signed (the record as it stands, a QC result…); its hash is bound to entity + record id. */
  content: unknown;
  action?: string;
}

export interface Signature {
  id: number;
  entity: string;
  recordId: number;
  userId: number;
  printedName: string;
  username: string;
  meaning: string;
  action: string | null;
  signedAt: string;
  contentHash: string;
  hash: string;
}

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** Hash of signed content, bound to the record: the same content on another record hashes differently. */
export function signedContentHash(entity: string, recordId: number, content: unknown): string {
  return sha(canonical({ entity, recordId: String(recordId), content: JSON.parse(JSON.stringify(content ?? null)) }));
}

function sigHash(r: { entity: string; record_id: number | string; user_id: number | string; printed_name: string; meaning: string; signed_at: Date | string; content_hash: string }) {
  return sha(canonical({ entity: r.entity, recordId: String(r.record_id), userId: String(r.user_id), printedName: r.printed_name, meaning: r.meaning, signedAt: new Date(r.signed_at).toISOString(), contentHash: r.content_hash }));
}

function toSignature(r: any): Signature {
  return {
    id: Number(r.id), entity: r.entity, recordId: Number(r.record_id), userId: Number(r.user_id), printedName: r.printed_name, username: r.username,
    meaning: r.meaning, action: r.action ?? null, signedAt: new Date(r.signed_at).toISOString(), contentHash: r.content_hash, hash: r.hash,
  };
}

/**
 * An electronic signature (21 CFR Part 11 §11.50, §11.200): the signer re-enters the password at the moment of
 * signing; the manifestation (printed name, time, meaning) and the hash of the signed content are stored bound to
 * the record, inside the caller's transaction and audited there. Wrong passwords count towards lockout.
 */
export async function requireSignature(trx: Knex.Transaction, ctx: CallContext, s: SignatureInput): Promise<Signature> {
  const actor = ctx.actor;
  if (actor.id == null) throw new AppError(403, 'FORBIDDEN', 'auth.signatureNeedsUser');
  if (typeof s.meaning !== 'string' || !s.meaning.trim() || s.meaning.length > 100)
    throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/signature/meaning', messageKey: 'auth.required' }]);
  if (typeof s.password !== 'string' || !s.password)
    throw new AppError(400, 'SIGNATURE_REQUIRED', 'auth.signatureRequired', { meaning: s.meaning }, [{ path: '/signature/password', messageKey: 'auth.required' }]);
  // Everything on `trx`: embedded PGlite runs one transaction at a time, so a second connection would wait forever.
  const user = await trx('ct_user').where({ id: actor.id }).first();
  if (!user || user.disabled) throw new AppError(403, 'FORBIDDEN', 'auth.signatureNeedsUser');
  if (user.locked_until && new Date(user.locked_until).getTime() > Date.now()) throw lockedError(new Date(user.locked_until));
  if (!(s.password.length <= 256 && (await verifyPassword(user.password_hash, s.password)))) {
    // The failed attempt counts towards lockout once this transaction has ended (it is about to roll back).
    const done: Promise<unknown> | undefined = (trx as any).executionPromise;
    if (failureKnex) {
      const k = failureKnex;
      const count = () => registerFailure(k, user, user.username, { ip: ctx.ip, requestId: ctx.requestId, purpose: 'signature' }).catch(() => {});
      if (done) done.then(count, count);
      else void count();
    }
    throw new AppError(400, 'SIGNATURE_FAILED', 'auth.signatureFailed', {}, [{ path: '/signature/password', messageKey: 'auth.signaturePasswordWrong' }]);
  }
  const r = { user };
  const row = {
    entity: s.entity, record_id: s.recordId, user_id: actor.id, printed_name: r.user.display_name, username: r.user.username, meaning: s.meaning.trim(),
    action: s.action ?? null, signed_at: new Date(), content_hash: signedContentHash(s.entity, s.recordId, s.content),
  };
  const hash = sigHash(row);
  const [saved] = await trx('ct_signature').insert({ ...row, hash }).returning('*');
  await writeAudit(trx, {
    actorId: actor.id, actorName: r.user.display_name, entity: s.entity, recordId: s.recordId, action: 'signature',
    changes: { meaning: row.meaning, action: row.action, contentHash: row.content_hash, signatureId: Number(saved.id) }, ip: ctx.ip ?? null, requestId: ctx.requestId ?? null,
  });
  return toSignature(saved);
}

/** Signatures of one record; `valid` re-checks each manifestation hash (a moved or edited signature fails). */
export async function signaturesOf(db: Knex | Knex.Transaction, entity: string, recordId: number): Promise<(Signature & { valid: boolean })[]> {
  const rows = await db('ct_signature').where({ entity, record_id: recordId }).orderBy('id');
  return rows.map((r: any) => ({ ...toSignature(r), valid: sigHash(r) === r.hash }));
}

/**
 * The signature an action requires, from the action definition (`signature: {meaning}`) or the entity's
 * `x-sign` annotation (`{"release": {"meaning": "released"}}`); null when the action is not signed.
 */
export function signatureFor(e: { schema: Record<string, any> }, action: string, def: unknown): { meaning?: string } | null {
  const fromDef = (def as { signature?: { meaning?: string } } | undefined)?.signature;
  if (fromDef) return fromDef;
  const x = e.schema['x-sign'];
  if (x && typeof x === 'object' && x[action]) return typeof x[action] === 'object' ? x[action] : { meaning: String(x[action]) };
  return null;
}
