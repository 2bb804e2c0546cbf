import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../context';

export const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
export const newToken = () => crypto.randomBytes(32).toString('base64url');

export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
}

interface Cached {
  actor: Actor;
  sessionId: number;
  kind: string;
  at: number;
}

/**
 * Opaque tokens, stored only as SHA-256 hashes. Lookups are cached for a few seconds so authentication does not
 * cost a query per request; revocation in this process clears the cache at once, other processes within the TTL.
 */
export class SessionStore {
  private cache = new Map<string, Cached>();
  private lastTouch = new Map<number, number>();
  constructor(private knex: Knex, private policy: SessionPolicy, private ttlMs = 2000) {}

  async create(
    userId: number,
    kind: 'session' | 'api',
    meta: { ip?: string; userAgent?: string; expiresAt?: Date; name?: string; role?: string; createdBy?: number | null },
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<{ token: string; id: number }> {
    const token = newToken();
    const expires = meta.expiresAt ?? new Date(Date.now() + this.policy.absoluteHours * 3600_000);
    const [row] = await db('ct_session')
      .insert({
        token_hash: sha256(token), user_id: userId, kind, expires_at: expires, ip: meta.ip ?? null, user_agent: meta.userAgent?.slice(0, 300) ?? null,
        name: meta.name ?? null, role: meta.role ?? null, created_by: meta.createdBy ?? null,
      })
      .returning('id');
    return { token, id: Number(row.id) };
  }

  async resolve(
    token: string,
    loadActor: (userId: number, session: { kind: string; role: string | null }) => Promise<Actor | null>,
  ): Promise<{ actor: Actor; sessionId: number; kind: string } | null> {
    const h = sha256(token);
    const now = Date.now();
    const c = this.cache.get(h);
    if (c && now - c.at < this.ttlMs) {
      this.touch(c.sessionId, now);
      return c;
    }
    const s = await this.knex('ct_session').where({ token_hash: h }).whereNull('revoked_at').first();
    if (!s) return null;
    const idleLimit = this.policy.idleMinutes * 60_000;
    if (new Date(s.expires_at).getTime() < now || (s.kind === 'session' && new Date(s.last_seen_at).getTime() + idleLimit < now)) return null;
    const actor = await loadActor(Number(s.user_id), { kind: s.kind, role: s.role ?? null });
    if (!actor) return null;
    const entry = { actor, sessionId: Number(s.id), at: now, kind: String(s.kind) };
    if (this.cache.size > 10000) this.cache.clear();
    this.cache.set(h, entry);
    this.touch(entry.sessionId, now);
    return entry;
  }

  /** Idle expiry needs last_seen_at; written at most once a minute per session. */
  private touch(id: number, now: number) {
    if (now - (this.lastTouch.get(id) ?? 0) < 60_000) return;
    this.lastTouch.set(id, now);
    this.knex('ct_session').where({ id }).update({ last_seen_at: new Date(now) }).catch(() => {});
  }

  /** Revokes matching sessions/tokens; `kind` limits it (a password change ends sessions, not integration tokens). */
  async revoke(where: { token?: string; userId?: number; id?: number; kind?: 'session' | 'api' }, db: Knex | Knex.Transaction = this.knex): Promise<number> {
    if (!where.token && !where.userId && !where.id) return 0;
    const q = db('ct_session').whereNull('revoked_at');
    if (where.token) q.where({ token_hash: sha256(where.token) });
    if (where.userId) q.where({ user_id: where.userId });
    if (where.id) q.where({ id: where.id });
    if (where.kind) q.where({ kind: where.kind });
    const n = await q.update({ revoked_at: new Date() });
    this.cache.clear();
    return n;
  }

  /** Forget cached actors (roles or memberships changed). */
  clearCache(): void {
    this.cache.clear();
  }
}
