import crypto from 'node:crypto';
import type Koa from 'koa';
import type Router from '@koa/router';
import { AppError } from '../../errors';
import type { Services } from '../../services';
import type { CallContext } from '../../context';
import { verifyPassword, hashPassword } from '../../auth/passwords';
import { actorFromUser, loadActor } from '../../auth/users';
import { writeAudit } from '../../audit/audit';
import { checkPassword, logLogin } from '../../auth/login';
import { getPolicy, passwordProblems, RateLimiter } from '../../auth/policy';

export const SESSION_COOKIE = 'ct_session';
export const CSRF_COOKIE = 'ct_csrf';
const PUBLIC = new Set(['/api/v1/auth/login']);
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** System permissions of the actor's roles (meta:write, users:admin…), filled in by the access module. */
let systemPermissions: (roles: string[]) => Set<string> = () => new Set();
export function setSystemPermissions(fn: (roles: string[]) => Set<string>): void {
  systemPermissions = fn;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * Resolves the caller from a bearer token or the session cookie; everything under /api/v1 except login needs one.
 * Cookie sessions must echo the `ct_csrf` cookie in `X-CSRF-Token` on unsafe methods (double submit);
 * bearer tokens cannot be sent by a foreign page, so they are exempt.
 */
export function authMiddleware(s: Services): Koa.Middleware {
  return async (ctx, next) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'))?.[1];
    const cookie = bearer ? undefined : ctx.cookies.get(SESSION_COOKIE);
    const token = bearer ?? cookie;
    if (token) {
      const r = await s.sessions.resolve(token, (id, session) => loadActor(s.knex, id, session));
      if (r) {
        r.actor.permissions ??= systemPermissions((r.actor.roles ?? []) as string[]);
        ctx.state.actor = r.actor;
        ctx.state.sessionId = r.sessionId;
        ctx.state.sessionKind = r.kind;
        ctx.state.token = token;
      }
    }
    // "Who am I?" without any credentials is a normal question (the web app asks it on load): answer, don't fail.
    const anonymousMe = !token && ctx.path === '/api/v1/auth/me' && ctx.method === 'GET';
    if (!ctx.state.actor && !PUBLIC.has(ctx.path) && !anonymousMe) {
      throw new AppError(401, 'UNAUTHENTICATED', token ? 'error.sessionExpired' : 'error.unauthenticated');
    }
    if (cookie && ctx.state.actor && !SAFE.has(ctx.method)) {
      const expected = ctx.cookies.get(CSRF_COOKIE) ?? '';
      const sent = ctx.get('X-CSRF-Token');
      if (!expected || !sent || !sameToken(expected, sent)) throw new AppError(403, 'CSRF_FAILED', 'auth.csrfFailed');
    }
    // A user who must change the password may only do that (and see who they are / log out).
    if (ctx.state.actor?.mustChangePassword && !['/api/v1/auth/me', '/api/v1/auth/logout', '/api/v1/auth/change-password', '/api/v1/meta'].includes(ctx.path))
      throw new AppError(403, 'PASSWORD_CHANGE_REQUIRED', 'auth.mustChangePassword');
    await next();
  };
}

export function callContext(ctx: Koa.Context): CallContext {
  return { actor: ctx.state.actor, lang: ctx.state.lang, ip: ctx.ip, requestId: ctx.state.requestId };
}

function requireFields(body: any, names: string[]) {
  const missing = names.filter((n) => typeof body?.[n] !== 'string' || !body[n]);
  if (missing.length)
    throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, missing.map((n) => ({ path: `/${n}`, messageKey: 'auth.required' })));
}

function setSessionCookies(ctx: Koa.Context, token: string) {
  ctx.cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: ctx.secure, overwrite: true });
  // Readable by the page's own script only (same origin); echoed in X-CSRF-Token.
  ctx.cookies.set(CSRF_COOKIE, crypto.randomBytes(24).toString('base64url'), { httpOnly: false, sameSite: 'strict', secure: ctx.secure, overwrite: true });
}

export function authRoutes(api: Router, s: Services): void {
  const limiter = new RateLimiter();

  api.post('/auth/login', async (ctx) => {
    const body = ctx.request.body as any;
    requireFields(body, ['username', 'password']);
    const username = String(body.username).slice(0, 64);
    const userAgent = ctx.get('User-Agent').slice(0, 300);
    const policy = await getPolicy(s.knex);
    if (!limiter.hit(ctx.ip, policy.loginRatePerMinute)) {
      await logLogin(s.knex, { username, success: false, reason: 'rateLimited', ip: ctx.ip, userAgent });
      ctx.set('Retry-After', '60');
      throw new AppError(429, 'RATE_LIMITED', 'auth.rateLimited');
    }
    const r = await checkPassword(s.knex, username, body.password, { ip: ctx.ip, userAgent, requestId: ctx.state.requestId, purpose: 'login' });
    if (!r.ok) {
      const u = await s.knex('ct_user').where({ username }).first('id');
      await logLogin(s.knex, { username, userId: u ? Number(u.id) : null, success: false, reason: r.reason, ip: ctx.ip, userAgent });
      throw r.error;
    }
    const u = r.user;
    await logLogin(s.knex, { username, userId: Number(u.id), success: true, ip: ctx.ip, userAgent });
    const { token } = await s.sessions.create(Number(u.id), 'session', { ip: ctx.ip, userAgent });
    setSessionCookies(ctx, token);
    const actor = (await loadActor(s.knex, Number(u.id))) ?? actorFromUser(u);
    actor.permissions = systemPermissions((actor.roles ?? []) as string[]);
    ctx.body = { token, user: publicUser(actor) };
  });

  api.post('/auth/logout', async (ctx) => {
    await s.sessions.revoke({ token: ctx.state.token });
    ctx.cookies.set(SESSION_COOKIE, null);
    ctx.cookies.set(CSRF_COOKIE, null);
    ctx.body = { ok: true };
  });

  api.get('/auth/me', (ctx) => {
    ctx.body = { user: ctx.state.actor ? publicUser(ctx.state.actor) : null };
  });

  api.post('/auth/change-password', async (ctx) => {
    const body = ctx.request.body as any;
    requireFields(body, ['oldPassword', 'newPassword']);
    if (ctx.state.sessionKind === 'api') throw new AppError(403, 'FORBIDDEN', 'error.forbidden');
    const u = await s.knex('ct_user').where({ id: ctx.state.actor.id }).first();
    const problems = passwordProblems(body.newPassword, await getPolicy(s.knex), u.username);
    if (body.newPassword === body.oldPassword) problems.push('auth.passwordReused');
    if (problems.length) throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, problems.map((k) => ({ path: '/newPassword', messageKey: k })));
    if (!(await verifyPassword(u.password_hash, body.oldPassword)))
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/oldPassword', messageKey: 'auth.wrongPassword' }]);
    const hash = await hashPassword(body.newPassword);
    await s.knex.transaction(async (trx) => {
      await trx('ct_user').where({ id: u.id }).update({ password_hash: hash, must_change_password: false, password_changed_at: new Date() });
      await writeAudit(trx, { actorId: Number(u.id), actorName: u.display_name, entity: 'auth', recordId: Number(u.id), action: 'password.change', changes: {}, ip: ctx.ip, requestId: ctx.state.requestId });
      // Every other session of this user ends (integration tokens stay: they are managed by administrators).
      await s.sessions.revoke({ userId: Number(u.id), kind: 'session' }, trx);
    });
    s.sessions.clearCache();
    const { token } = await s.sessions.create(Number(u.id), 'session', { ip: ctx.ip, userAgent: ctx.get('User-Agent') });
    setSessionCookies(ctx, token);
    ctx.body = { token, user: publicUser({ ...ctx.state.actor, mustChangePassword: false }) };
  });
}

export function publicUser(a: any) {
  return {
    id: a.id, username: a.username, displayName: a.displayName, isAdmin: a.isAdmin, roles: a.roles ?? [], orgId: a.orgId ?? null, labId: a.labId ?? null,
    labIds: a.labIds ?? [], permissions: a.permissions ? [...a.permissions] : [], mustChangePassword: !!a.mustChangePassword, locale: a.locale,
  };
}
