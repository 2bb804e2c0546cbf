import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { CallContext } from '../context';
import type { EntityDef, FieldDef, Model } from '../metadata/model';
import type { FieldChange } from '../audit/audit';

/**
 * Field-level encryption: values of fields marked `x-encrypted` are stored as AES-256-GCM ciphertext
 * `v1:<keyId>:<iv>:<tag>:<ct>` (base64 parts, AAD = "<entity>.<field>" so a ciphertext cannot be moved to another
 * field), next to a blind index column `<column>__bi` (truncated HMAC-SHA256 under a key derived by HKDF) that
 * makes exact-match filters possible without decrypting. Reads decrypt; callers whose role may not unmask get
 * a masked value. Several keys may be loaded at once (rotation): the keyId picks the one that decrypts.
 */

export interface DataKey {
  id: string;
  key: Buffer;
  /** HMAC key of the blind index, derived from the data key. */
  bi: Buffer;
}

export interface Keyring {
  current: DataKey;
  /** Every key that may decrypt (current first), by keyId. */
  keys: Map<string, DataKey>;
}

export class KeyConfigError extends Error {}

const hkdf = (key: Buffer, info: string, n = 32) => Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), info, n));

export function dataKey(raw: Buffer): DataKey {
  if (raw.length !== 32) throw new KeyConfigError('a data key must be 32 bytes (64 hex characters or 44 base64 characters)');
  return { id: hkdf(raw, 'celltrace/key-id/v1', 4).toString('hex'), key: raw, bi: hkdf(raw, 'celltrace/blind-index/v1') };
}

/** A key written as 64 hex characters or as base64 (standard or url-safe) of 32 bytes. */
export function parseKey(text: string, what = 'CELLTRACE_DATA_KEY'): Buffer {
  const s = text.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(s) ? Buffer.from(s, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(s) ? Buffer.from(s, 'base64') : null;
  if (!buf || buf.length !== 32) throw new KeyConfigError(`${what} must be 32 bytes written as 64 hex characters or base64`);
  return buf;
}

export const generateKey = (): Buffer => crypto.randomBytes(32);

export function makeKeyring(current: Buffer, others: Buffer[] = []): Keyring {
  const cur = dataKey(current);
  const keys = new Map<string, DataKey>([[cur.id, cur]]);
  for (const o of others) {
    const k = dataKey(o);
    if (!keys.has(k.id)) keys.set(k.id, k);
  }
  return { current: cur, keys };
}

export const KEY_FILE = 'data.key';

/**
 * The keyring of this process: CELLTRACE_DATA_KEY (+ CELLTRACE_PREVIOUS_DATA_KEYS, comma-separated, still able to
 * decrypt during a rotation); without it, in embedded mode, DATA_DIR/data.key (created with mode 0600 on first
 * start; further lines are previous keys); in server mode the key is required.
 */
export function loadKeyring(opts: { dataKey?: string; previousDataKeys?: string; dataDir: string; serverMode: boolean }): Keyring {
  const previous = (opts.previousDataKeys ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((s) => parseKey(s, 'CELLTRACE_PREVIOUS_DATA_KEYS'));
  if (opts.dataKey) return makeKeyring(parseKey(opts.dataKey), previous);
  if (opts.serverMode)
    throw new KeyConfigError(
      'CELLTRACE_DATA_KEY is required when DATABASE_URL is set: it encrypts the fields marked x-encrypted. ' +
        'Generate one with `openssl rand -hex 32`, keep it outside the database and its backups, and set it in the environment.',
    );
  const file = path.join(opts.dataDir, KEY_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, generateKey().toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err: any) {
      if (err?.code !== 'EEXIST') throw err;
    }
  }
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!lines.length) throw new KeyConfigError(`${file} holds no key`);
  return makeKeyring(parseKey(lines[0], file), [...lines.slice(1).map((l) => parseKey(l, file)), ...previous]);
}

let ring: Keyring | undefined;

export function setKeyring(r: Keyring): void {
  ring = r;
}

export function keyring(): Keyring {
  if (!ring) throw new KeyConfigError('no data key loaded');
  return ring;
}

// ---- values

export const isCiphertext = (v: unknown): v is string => typeof v === 'string' && v.startsWith('v1:');

export function encryptValue(domain: string, plain: string, r: Keyring = keyring(), k: DataKey = r.current): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', k.key, iv);
  c.setAAD(Buffer.from(domain));
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return `v1:${k.id}:${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
}

/** Plaintext of a stored value; values written before the field was encrypted pass through unchanged. */
export function decryptValue(domain: string, stored: string, r: Keyring = keyring()): string {
  if (!isCiphertext(stored)) return stored;
  const [, id, iv, tag, ct] = stored.split(':');
  const k = r.keys.get(id);
  if (!k) throw new KeyConfigError(`no data key with id ${id} is loaded (set CELLTRACE_PREVIOUS_DATA_KEYS during a rotation)`);
  const d = crypto.createDecipheriv('aes-256-gcm', k.key, Buffer.from(iv, 'base64'));
  d.setAAD(Buffer.from(domain));
  d.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([d.update(Buffer.from(ct, 'base64')), d.final()]).toString('utf8');
}

/** Blind index of a value under one key: HMAC-SHA256 over domain and value, 128 bits as hex. */
export function blindIndex(domain: string, value: string, k: DataKey = keyring().current): string {
  return crypto.createHmac('sha256', k.bi).update(domain).update('\0').update(value, 'utf8').digest('hex').slice(0, 32);
}

/** The blind indexes a stored row may carry for this value: one per loaded key (rows re-encrypt lazily). */
export function blindIndexes(domain: string, value: string, r: Keyring = keyring()): string[] {
  return [...r.keys.values()].map((k) => blindIndex(domain, value, k));
}

/** `110101199001011234` → `110***********1234`, `13812345678` → `138****5678`; short values keep less. */
export function maskValue(v: string): string {
  const chars = [...v];
  const n = chars.length;
  if (n <= 2) return '*'.repeat(n);
  const [head, tail] = n >= 8 ? [3, 4] : n >= 5 ? [1, 1] : [0, 1];
  return chars.slice(0, head).join('') + '*'.repeat(n - head - tail) + chars.slice(n - tail).join('');
}

// ---- fields and records

/** String fields marked x-encrypted (other kinds are not encrypted: their columns are typed). */
export const isEncrypted = (f: FieldDef | undefined): boolean => !!f?.encrypted && (f.kind === 'string' || f.kind === 'text');
export const encryptedFields = (e: EntityDef): FieldDef[] => e.columns.filter(isEncrypted);
export const domainOf = (e: EntityDef, f: FieldDef | string): string => `${e.name}.${typeof f === 'string' ? f : f.name}`;
export const biColumn = (column: string): string => `${column}__bi`;

/** Column values → stored form: ciphertext in the column, blind index beside it. Mutates `row` (column names). */
export function sealColumns(e: EntityDef, row: Record<string, any>): Record<string, any> {
  for (const f of encryptedFields(e)) {
    if (!(f.column in row)) continue;
    const v = row[f.column];
    if (v === null || v === undefined) {
      row[biColumn(f.column)] = null;
      continue;
    }
    const s = String(v);
    row[f.column] = encryptValue(domainOf(e, f), s);
    row[biColumn(f.column)] = blindIndex(domainOf(e, f), s);
  }
  return row;
}

/** Decrypts the encrypted fields of rows (API names) in place. */
export function openRows(e: EntityDef, rows: Record<string, any>[]): void {
  const fields = encryptedFields(e);
  if (!fields.length) return;
  for (const r of rows)
    for (const f of fields) {
      const v = r[f.name];
      if (typeof v === 'string') r[f.name] = decryptValue(domainOf(e, f), v);
    }
}

/** Masks, in place, the encrypted fields the caller may not see in clear. */
export function maskRows(e: EntityDef, rows: Record<string, any>[], mayUnmask: (field: string) => boolean): void {
  const fields = encryptedFields(e).filter((f) => !mayUnmask(f.name));
  if (!fields.length) return;
  for (const r of rows) for (const f of fields) if (typeof r[f.name] === 'string') r[f.name] = maskValue(r[f.name]);
}

/** Reads that must see clear values whatever the role (the pipeline's own "previous" row before an update). */
const RAW = new WeakSet<object>();
export function rawContext<T extends CallContext>(ctx: T): T {
  const c = { ...ctx };
  RAW.add(c);
  return c;
}
export const isRawContext = (ctx: CallContext): boolean => RAW.has(ctx);

interface Unmasker {
  mayUnmask?(ctx: CallContext, e: EntityDef, field: string): boolean;
}

export function unmaskerFor(auth: Unmasker, ctx: CallContext, e: EntityDef): (field: string) => boolean {
  if (isRawContext(ctx) || ctx.actor.isAdmin) return () => true;
  return (field) => !!auth.mayUnmask?.(ctx, e, field);
}

/** Decrypts rows read from the table and masks what the caller may not see. */
export function revealRows(auth: Unmasker, ctx: CallContext, e: EntityDef, rows: Record<string, any>[]): void {
  if (!encryptedFields(e).length) return;
  openRows(e, rows);
  maskRows(e, rows, unmaskerFor(auth, ctx, e));
}

/** A copy of a clear record as this caller may see it. */
export function presentRecord<T extends Record<string, any>>(auth: Unmasker, ctx: CallContext, e: EntityDef, r: T): T {
  if (!encryptedFields(e).length) return r;
  const copy = { ...r };
  maskRows(e, [copy], unmaskerFor(auth, ctx, e));
  return copy;
}

/**
 * A form sends back what it was shown: an encrypted field equal to the masked form of the current value means
 * "unchanged" and is dropped, so it never overwrites the real value.
 */
export function dropMaskedEcho(e: EntityDef, input: unknown, previous: Record<string, any>): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const fields = encryptedFields(e).filter((f) => f.name in (input as object));
  if (!fields.length) return input;
  const out = { ...(input as Record<string, any>) };
  for (const f of fields) {
    const cur = previous[f.name];
    if (typeof cur === 'string' && out[f.name] !== cur && out[f.name] === maskValue(cur)) delete out[f.name];
  }
  return out;
}

/** Audit changes never carry the clear value of an encrypted field: it is stored encrypted (undo can use it). */
export function sealChanges(e: EntityDef, changes: FieldChange[]): FieldChange[] {
  const fields = new Set(encryptedFields(e).map((f) => f.name));
  if (!fields.size) return changes;
  const seal = (f: string, v: unknown) => (v === null || v === undefined || isCiphertext(v) ? v : encryptValue(domainOf(e, f), String(v)));
  return changes.map((c) => (fields.has(c.field) ? { ...c, from: seal(c.field, c.from), to: seal(c.field, c.to) } : c));
}

/** An audit value of an encrypted field in clear, or undefined when it cannot be decrypted (a retired key). */
export function openAuditValue(e: EntityDef, field: string, v: unknown): unknown {
  if (!isCiphertext(v)) return v;
  try {
    return decryptValue(domainOf(e, field), v);
  } catch {
    return undefined;
  }
}

/** History entries as the caller may see them: encrypted values decrypted, then masked unless unmask ('***' if undecryptable). */
export function revealChanges(auth: Unmasker, ctx: CallContext, e: EntityDef, changes: unknown): unknown {
  const fields = new Set(encryptedFields(e).map((f) => f.name));
  if (!fields.size || !Array.isArray(changes)) return changes;
  const may = unmaskerFor(auth, ctx, e);
  const show = (f: string, v: unknown) => {
    if (v === null || v === undefined) return v;
    const clear = openAuditValue(e, f, v);
    if (typeof clear !== 'string') return '***';
    return may(f) ? clear : maskValue(clear);
  };
  return changes.map((c: any) => (c && fields.has(c.field) ? { ...c, from: show(c.field, c.from), to: show(c.field, c.to) } : c));
}

// ---- bulk (re-)encryption: key rotation and fields that became encrypted

export interface ReencryptResult {
  entity: string;
  field: string;
  rows: number;
}

/**
 * Re-encrypts every encrypted column under `target` (and recomputes its blind index), in batches of `batch` rows,
 * each batch its own transaction. Rows already under the target key with a blind index are left alone, so the
 * command can be interrupted and re-run. `pendingOnly`: only values still in clear (a field that just became
 * encrypted, rows written before encryption).
 */
export async function reencryptAll(
  knex: Knex,
  model: Model,
  opts: { ring: Keyring; target?: DataKey; batch?: number; pendingOnly?: boolean; log?: (m: string) => void },
): Promise<ReencryptResult[]> {
  const target = opts.target ?? opts.ring.current;
  const ring: Keyring = { current: target, keys: new Map([...opts.ring.keys, [target.id, target]]) };
  const batch = opts.batch ?? 500;
  const out: ReencryptResult[] = [];
  for (const e of model.entities.values()) {
    for (const f of encryptedFields(e)) {
      const bi = biColumn(f.column);
      const domain = domainOf(e, f);
      let n = 0;
      let lastId = 0;
      for (;;) {
        const done = await knex.transaction(async (trx) => {
          const q = trx(e.table).select('id', f.column).whereNotNull(f.column).where('id', '>', lastId).orderBy('id').limit(batch).forUpdate();
          if (opts.pendingOnly) q.whereNull(bi);
          else q.where((w) => w.whereNull(bi).orWhereRaw(`left(??, ?) <> ?`, [f.column, target.id.length + 4, `v1:${target.id}:`]));
          const rows: any[] = await q;
          for (const r of rows) {
            const clear = decryptValue(domain, r[f.column], ring);
            await trx(e.table)
              .where({ id: r.id })
              .update({ [f.column]: encryptValue(domain, clear, ring, target), [bi]: blindIndex(domain, clear, target) });
          }
          n += rows.length;
          if (rows.length) lastId = Number(rows[rows.length - 1].id);
          return rows.length < batch;
        });
        if (done) break;
      }
      if (n) opts.log?.(`${e.name}.${f.name}: ${n} values encrypted under key ${target.id}`);
      out.push({ entity: e.name, field: f.name, rows: n });
    }
  }
  return out;
}
