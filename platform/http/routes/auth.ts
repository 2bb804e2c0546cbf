import type Koa from 'koa';
import type Router from '@koa/router';
import { AppError } from '../../errors';
import type { Services } from '../../services';
import type { CallContext } from '../../context';
import { verifyPassword, hashPassword } from '../../auth/passwords';
import { actorFromUser, loadActor } from '../../auth/users';
import { writeAudit } from '../../audit/audit';

export const SESSION_COOKIE = 'ct_session';
const PUBLIC = new Set(['/api/v1/auth/login']);

/** Resolves the caller from the session cookie or a bearer token; everything under /api/v1 except login needs one. */
export function authMiddleware(s: Services): Koa.Middleware {
  return async (ctx, next) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'))?.[1];
    const token = bearer ?? ctx.cookies.get(SESSION_COOKIE);
    if (token) {
      const r = await s.sessions.resolve(token, (id) => loadActor(s.knex, id));
      if (r) {
        ctx.state.actor = r.actor;
        ctx.state.sessionId = r.sessionId;
        ctx.state.token = token;
      }
    }
    if (!ctx.state.actor && !PUBLIC.has(ctx.path)) {
      throw new AppError(401, 'UNAUTHENTICATED', token ? 'error.sessionExpired' : 'error.unauthenticated');
    }
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

export function authRoutes(api: Router, s: Services): void {
  api.post('/auth/login', async (ctx) => {
    const body = ctx.request.body as any;
    requireFields(body, ['username', 'password']);
    const u = await s.knex('ct_user').where({ username: String(body.username).slice(0, 64) }).first();
    const ok = u && !u.disabled && (await verifyPassword(u.password_hash, body.password));
    await s.knex.transaction((trx) =>
      writeAudit(trx, {
        actorId: ok ? Number(u.id) : null, actorName: String(body.username).slice(0, 64), entity: 'auth', action: ok ? 'login' : 'login.failed',
        changes: { userAgent: ctx.get('User-Agent').slice(0, 200) }, ip: ctx.ip, requestId: ctx.state.requestId,
      }),
    );
    if (!ok) throw new AppError(401, 'LOGIN_FAILED', 'auth.loginFailed');
    const { token } = await s.sessions.create(Number(u.id), 'session', { ip: ctx.ip, userAgent: ctx.get('User-Agent') });
    ctx.cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: ctx.secure, overwrite: true });
    ctx.body = { token, user: publicUser(actorFromUser(u)) };
  });

  api.post('/auth/logout', async (ctx) => {
    await s.sessions.revoke({ token: ctx.state.token });
    ctx.cookies.set(SESSION_COOKIE, null);
    ctx.body = { ok: true };
  });

  api.get('/auth/me', (ctx) => {
    ctx.body = { user: publicUser(ctx.state.actor) };
  });

  api.post('/auth/change-password', async (ctx) => {
    const body = ctx.request.body as any;
    requireFields(body, ['oldPassword', 'newPassword']);
    if (body.newPassword.length < 10 || body.newPassword === body.oldPassword)
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/newPassword', messageKey: 'auth.passwordPolicy' }]);
    const u = await s.knex('ct_user').where({ id: ctx.state.actor.id }).first();
    if (!(await verifyPassword(u.password_hash, body.oldPassword)))
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/oldPassword', messageKey: 'auth.wrongPassword' }]);
    await s.knex.transaction(async (trx) => {
      await trx('ct_user').where({ id: u.id }).update({ password_hash: await hashPassword(body.newPassword), must_change_password: false, password_changed_at: new Date() });
      await writeAudit(trx, { actorId: Number(u.id), actorName: u.display_name, entity: 'auth', recordId: Number(u.id), action: 'password.change', changes: {}, ip: ctx.ip, requestId: ctx.state.requestId });
    });
    // Other sessions of this user end; this one gets a fresh token.
    await s.sessions.revoke({ userId: Number(u.id) });
    const { token } = await s.sessions.create(Number(u.id), 'session', { ip: ctx.ip, userAgent: ctx.get('User-Agent') });
    ctx.cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: ctx.secure, overwrite: true });
    ctx.body = { token, user: publicUser({ ...ctx.state.actor, mustChangePassword: false }) };
  });
}

export function publicUser(a: any) {
  return { id: a.id, username: a.username, displayName: a.displayName, isAdmin: a.isAdmin, roles: a.roles ?? [], orgId: a.orgId ?? null, labId: a.labId ?? null, mustChangePassword: !!a.mustChangePassword, locale: a.locale };
}
