import type { Knex } from 'knex';
import { AppError } from '../errors';
import { writeAudit } from '../audit/audit';
import { verifyPassword, hashPassword } from './passwords';
import { getPolicy } from './policy';

export interface LoginAttempt {
  username: string;
  userId?: number | null;
  success: boolean;
  reason?: string;
  ip?: string | null;
  userAgent?: string | null;
}

/** Login log: every success and failure, with the username tried, IP, user agent and time. */
export async function logLogin(db: Knex | Knex.Transaction, a: LoginAttempt): Promise<void> {
  await db('ct_login_log').insert({
    username: String(a.username ?? '').slice(0, 64), user_id: a.userId ?? null, success: a.success, reason: a.reason?.slice(0, 40) ?? null,
    ip: a.ip?.slice(0, 64) ?? null, user_agent: a.userAgent?.slice(0, 300) ?? null,
  });
}

let dummyHash: Promise<string> | undefined;

export const lockedError = (until: Date) =>
  new AppError(423, 'ACCOUNT_LOCKED', 'auth.locked', { minutes: Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60000)) });

/**
 * Checks a user's password with lockout: N failures lock the account for M minutes (policy). Used by login and
 * by e-signatures (a signature is a re-authentication, so its failures count too). Returns the user row on success.
 */
export async function checkPassword(
  knex: Knex,
  username: string,
  password: string,
  meta: { ip?: string | null; userAgent?: string | null; requestId?: string | null; purpose: 'login' | 'signature' },
): Promise<{ ok: true; user: any } | { ok: false; reason: string; error: AppError }> {
  const u = typeof username === 'string' && username ? await knex('ct_user').where({ username: username.slice(0, 64) }).first() : undefined;
  const fail = (reason: string, error = new AppError(401, 'LOGIN_FAILED', 'auth.loginFailed')) => ({ ok: false as const, reason, error });
  if (!u) {
    // Same work as a real check, so response time does not tell which usernames exist.
    dummyHash ??= hashPassword('not-a-real-password-' + Math.random());
    await verifyPassword(await dummyHash, String(password ?? ''));
    return fail('unknownUser');
  }
  if (u.disabled) return fail('disabled');
  if (u.locked_until && new Date(u.locked_until).getTime() > Date.now()) return fail('locked', lockedError(new Date(u.locked_until)));
  if (typeof password === 'string' && password.length <= 256 && (await verifyPassword(u.password_hash, password))) {
    if (u.failed_count) await knex('ct_user').where({ id: u.id }).update({ failed_count: 0, locked_until: null });
    return { ok: true, user: u };
  }
  const lockedUntil = await registerFailure(knex, u, String(username), meta);
  if (lockedUntil) return fail('badPasswordLocked', lockedError(lockedUntil));
  return fail('badPassword');
}

/** Counts one failed password (login or signature); the failure that reaches the limit locks the account. */
export async function registerFailure(
  knex: Knex,
  u: { id: number | string },
  username: string,
  meta: { ip?: string | null; requestId?: string | null; purpose: string },
): Promise<Date | null> {
  const policy = await getPolicy(knex);
  // Count atomically; the update that reaches the limit sets the lock.
  const lockUntil = new Date(Date.now() + policy.lockMinutes * 60_000);
  const [row] = await knex('ct_user')
    .where({ id: u.id })
    .update({
      failed_count: knex.raw('case when failed_count + 1 >= ? then 0 else failed_count + 1 end', [policy.maxFailures]),
      locked_until: knex.raw('case when failed_count + 1 >= ? then ?::timestamptz else locked_until end', [policy.maxFailures, lockUntil.toISOString()]),
    })
    .returning(['locked_until']);
  if (!row?.locked_until || new Date(row.locked_until).getTime() <= Date.now()) return null;
  await knex.transaction((trx) =>
    writeAudit(trx, {
      actorId: null, actorName: username.slice(0, 64), entity: 'auth', recordId: Number(u.id), action: 'account.locked',
      changes: { failures: policy.maxFailures, minutes: policy.lockMinutes, purpose: meta.purpose }, ip: meta.ip ?? null, requestId: meta.requestId ?? null,
    }),
  );
  return new Date(row.locked_until);
}
