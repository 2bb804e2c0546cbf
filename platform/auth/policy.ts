import type { Knex } from 'knex';

/** Security settings an administrator may change (stored in ct_state, audited); defaults follow common guidance. */
export interface SecurityPolicy {
  passwordMinLength: number;
  /** How many of lower case, upper case, digits, symbols a password needs. */
  passwordClasses: number;
  /** Failed logins (or signatures) before the account locks. */
  maxFailures: number;
  lockMinutes: number;
  /** Login attempts per client IP per minute. */
  loginRatePerMinute: number;
}

export const DEFAULT_POLICY: SecurityPolicy = { passwordMinLength: 10, passwordClasses: 3, maxFailures: 5, lockMinutes: 15, loginRatePerMinute: 30 };

export const policySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    passwordMinLength: { type: 'integer', minimum: 8, maximum: 128 },
    passwordClasses: { type: 'integer', minimum: 1, maximum: 4 },
    maxFailures: { type: 'integer', minimum: 1, maximum: 100 },
    lockMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
    loginRatePerMinute: { type: 'integer', minimum: 1, maximum: 10000 },
  },
};

let cached: { p: SecurityPolicy; at: number } | undefined;

export async function getPolicy(knex: Knex | Knex.Transaction): Promise<SecurityPolicy> {
  if (cached && Date.now() - cached.at < 5000) return cached.p;
  const row = await knex('ct_state').where({ key: 'security-policy' }).first();
  const p = { ...DEFAULT_POLICY, ...(row?.value ?? {}) };
  cached = { p, at: Date.now() };
  return p;
}

export function forgetPolicy(): void {
  cached = undefined;
}

/** Message keys of the rules a new password breaks (empty = acceptable). */
export function passwordProblems(pw: string, p: SecurityPolicy, username?: string): string[] {
  const out: string[] = [];
  if (typeof pw !== 'string' || pw.length < p.passwordMinLength) out.push('auth.passwordTooShort');
  if (typeof pw === 'string' && pw.length > 256) out.push('auth.passwordTooLong');
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw ?? '')).length;
  if (classes < p.passwordClasses) out.push('auth.passwordClasses');
  if (username && typeof pw === 'string' && pw.toLowerCase().includes(username.toLowerCase())) out.push('auth.passwordHasUsername');
  return out;
}

/** Sliding one-minute window per key (client IP); in memory, per process. */
export class RateLimiter {
  private hits = new Map<string, number[]>();
  hit(key: string, perMinute: number, now = Date.now()): boolean {
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= perMinute) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(now);
    if (this.hits.size > 50_000) this.hits.clear();
    this.hits.set(key, recent);
    return true;
  }
}
