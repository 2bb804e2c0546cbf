import { t } from '../i18n';
import crypto from 'node:crypto';
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Knex } from 'knex';
import { AppError, ValidationError, forbidden, notFound } from '../errors';
import type { Services } from '../services';
import { createAjv, localizeErrors } from '../metadata/ajv';
import { callContext } from '../http/routes/auth';
import { headerText, queryInt } from '../http/input';
import { writeAudit, diffRecords } from '../audit/audit';
import { hashPassword } from './passwords';
import { getPolicy, forgetPolicy, passwordProblems, policySchema } from './policy';
import { orgTree, invalidateOrgTree, ORG_LEVEL, type OrgKind } from './org';
import { signaturesOf } from './signature';
import type { RoleAuthorizer } from './access';
import { grantExcess, rolesOf } from './access';
import { isEncrypted, openAuditValue } from './crypto';

const ajv = createAjv();
const check = (schema: object) => {
  const v = ajv.compile(schema);
  return (body: unknown) => {
    if (!v(body)) throw new ValidationError(localizeErrors(v.errors));
    return body as any;
  };
};

const ids = { type: 'array', items: { type: 'integer', minimum: 1 }, maxItems: 100, uniqueItems: true };
const roleNames = { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 50, uniqueItems: true };
const userCommon = {
  displayName: { type: 'string', minLength: 1, maxLength: 100 },
  email: { type: ['string', 'null'], maxLength: 200 },
  orgId: { type: ['integer', 'null'], minimum: 1 },
  orgIds: ids,
  roles: roleNames,
  locale: { enum: ['zh-CN', 'en'] },
  isAdmin: { type: 'boolean' },
  reason: { type: 'string', maxLength: 500 },
};
const checkCreateUser = check({
  type: 'object', additionalProperties: false, required: ['username', 'displayName'],
  properties: { username: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{2,64}$' }, password: { type: 'string', maxLength: 256 }, mustChangePassword: { type: 'boolean' }, ...userCommon },
});
const checkPatchUser = check({ type: 'object', additionalProperties: false, properties: userCommon });
const checkOrg = check({
  type: 'object', additionalProperties: false, required: ['kind', 'code', 'name'],
  properties: {
    parentId: { type: ['integer', 'null'], minimum: 1 }, kind: { enum: ['company', 'centre', 'lab', 'department'] },
    code: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,40}$' }, name: { type: 'string', minLength: 1, maxLength: 100 },
    nameEn: { type: ['string', 'null'], maxLength: 100 }, sort: { type: 'integer' }, reason: { type: 'string', maxLength: 500 },
  },
});
const checkOrgPatch = check({
  type: 'object', additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, nameEn: { type: ['string', 'null'], maxLength: 100 }, sort: { type: 'integer' }, disabled: { type: 'boolean' }, reason: { type: 'string', maxLength: 500 } },
});
const checkToken = check({
  type: 'object', additionalProperties: false, required: ['userId', 'role', 'name'],
  properties: { userId: { type: 'integer', minimum: 1 }, role: { type: 'string', maxLength: 100 }, name: { type: 'string', minLength: 1, maxLength: 100 }, expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 } },
});
const checkPolicy = check(policySchema);

function intParam(v: string): number {
  if (!/^\d{1,15}$/.test(v)) throw notFound('id', v);
  return Number(v);
}

const reasonOf = (ctx: Koa.Context, body?: any) => {
  const r = headerText(ctx, 'X-Change-Reason') ?? body?.reason;
  return typeof r === 'string' && r ? r.slice(0, 500) : null;
};

function publicAdminUser(u: any, roles: string[], orgIds: number[]) {
  return {
    id: Number(u.id), username: u.username, displayName: u.display_name, email: u.email ?? null, isAdmin: !!u.is_admin, disabled: !!u.disabled,
    locked: !!(u.locked_until && new Date(u.locked_until).getTime() > Date.now()), lockedUntil: u.locked_until ?? null, failedCount: u.failed_count ?? 0,
    mustChangePassword: !!u.must_change_password, orgId: u.org_id == null ? null : Number(u.org_id), labId: u.lab_id == null ? null : Number(u.lab_id),
    orgIds, roles, locale: u.locale, createdAt: u.created_at, passwordChangedAt: u.password_changed_at ?? null,
  };
}

async function loadUser(db: Knex | Knex.Transaction, id: number) {
  const u = await db('ct_user').where({ id }).first();
  if (!u) throw notFound('user', id);
  const roles = (await db('ct_user_role').where({ user_id: id }).orderBy('role')).map((r: any) => r.role);
  const orgIds = (await db('ct_user_org').where({ user_id: id }).orderBy('org_id')).map((r: any) => Number(r.org_id));
  return publicAdminUser(u, roles, orgIds);
}

const tempPassword = () => `${crypto.randomBytes(9).toString('base64url')}#7a`;

type UserCreator = (ctx: Koa.Context, raw: unknown, trx?: Knex.Transaction) => Promise<{ user: any; temporaryPassword?: string }>;
const userCreators = new WeakMap<Services, UserCreator>();
/** The user-creating service of a running composition (the admin route's own steps), for the staff import. */
export function userCreator(s: Services): UserCreator {
  const c = userCreators.get(s);
  if (!c) throw new Error('admin routes are not mounted');
  return c;
}

/** Users, org tree, API tokens, security policy: the system-management API (R-3.7.1–3.7.3); the logs and backups are in audit/log-routes. */
export function adminRoutes(api: Router, s: Services, authz: RoleAuthorizer): void {
  const need = (ctx: Koa.Context, perm: string) => {
    if (!authz.hasSystem(ctx.state.actor, perm)) throw forbidden();
  };
  const audit = (trx: Knex.Transaction, ctx: Koa.Context, entity: string, recordId: number | null, action: string, changes: unknown, reason: string | null) =>
    writeAudit(trx, {
      actorId: ctx.state.actor.id, actorName: ctx.state.actor.displayName, entity, recordId, action, changes: changes as any, reason,
      ip: ctx.ip, requestId: ctx.state.requestId,
    });

  const checkRoles = (roles: string[] | undefined) => {
    const known = rolesOf(s.meta.model);
    (roles ?? []).forEach((r, i) => {
      if (!known[r]) throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: `/roles/${i}`, messageKey: 'auth.unknownRole', params: { role: r } }]);
    });
  };
  /** Nobody grants more than they hold: every role given (or held by a user being managed) within the actor's own. */
  const checkGrants = (ctx: Koa.Context, roles: string[] | undefined, already: string[] = [], pointer = '/roles') => {
    const defs = rolesOf(s.meta.model);
    (roles ?? []).forEach((r, i) => {
      if (already.includes(r) || !defs[r]) return;
      const excess = grantExcess(authz, s.meta.model, ctx.state.actor, defs[r]);
      if (excess) {
        const params = { role: r, permission: excess };
        throw new AppError(403, 'FORBIDDEN', 'auth.grantExceeds', params, [{ path: roles!.length > 1 || pointer === '/roles' ? `${pointer}/${i}` : pointer, messageKey: 'auth.grantExceeds', params }]);
      }
    });
  };
  /** Managing a user (password, lock, roles) is taking over their powers: only for users with no more than the actor's. */
  const checkManage = (ctx: Koa.Context, user: { isAdmin: boolean; roles: string[] }) => {
    if (ctx.state.actor.isAdmin) return;
    if (user.isAdmin) throw forbidden('auth.grantExceeds', { role: 'admin', permission: 'admin' });
    checkGrants(ctx, user.roles);
  };
  const checkOrgIds = async (orgId: number | null | undefined, orgIds: number[] | undefined) => {
    const tree = await orgTree(s.knex, true);
    for (const [i, id] of [...(orgIds ?? []), ...(orgId ? [orgId] : [])].entries())
      if (!tree.byId.has(id)) throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: i < (orgIds?.length ?? 0) ? `/orgIds/${i}` : '/orgId', messageKey: 'auth.unknownOrg' }]);
    return tree;
  };
  const writeMemberships = async (trx: Knex.Transaction, userId: number, body: any) => {
    if (body.roles) {
      await trx('ct_user_role').where({ user_id: userId }).delete();
      if (body.roles.length) await trx('ct_user_role').insert(body.roles.map((role: string) => ({ user_id: userId, role })));
    }
    if (body.orgIds) {
      await trx('ct_user_org').where({ user_id: userId }).delete();
      if (body.orgIds.length) await trx('ct_user_org').insert(body.orgIds.map((org_id: number) => ({ user_id: userId, org_id })));
    }
  };

  // ---- users
  api.get('/admin/users', async (ctx) => {
    need(ctx, 'users:admin');
    const q = String(ctx.query.q ?? '').slice(0, 100);
    const limit = Math.min(queryInt(ctx.query, 'limit', { min: 1 }) ?? 50, 500);
    const offset = queryInt(ctx.query, 'offset') ?? 0;
    const qb = s.knex('ct_user').orderBy('id').limit(limit).offset(offset);
    if (q) qb.where((w) => w.whereILike('username', `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`).orWhereILike('display_name', `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
    const rows = await qb;
    const roleRows = rows.length ? await s.knex('ct_user_role').whereIn('user_id', rows.map((r: any) => r.id)) : [];
    const orgRows = rows.length ? await s.knex('ct_user_org').whereIn('user_id', rows.map((r: any) => r.id)) : [];
    ctx.body = {
      data: rows.map((u: any) =>
        publicAdminUser(
          u,
          roleRows.filter((r: any) => String(r.user_id) === String(u.id)).map((r: any) => r.role).sort(),
          orgRows.filter((r: any) => String(r.user_id) === String(u.id)).map((r: any) => Number(r.org_id)),
        ),
      ),
      page: { limit, offset },
    };
  });
  api.get('/admin/users/:id', async (ctx) => {
    need(ctx, 'users:admin');
    ctx.body = { data: await loadUser(s.knex, intParam(ctx.params.id)) };
  });
  /**
   * Creates a user as the route does (validation, grants, org units, password policy, memberships, audit), in `trx`
   * when given: the staff import writes all its users in one transaction through this.
   */
  const createUser = async (ctx: Koa.Context, raw: unknown, trx?: Knex.Transaction) => {
    need(ctx, 'users:admin');
    const body = checkCreateUser(raw);
    if (body.isAdmin && !ctx.state.actor.isAdmin) throw forbidden();
    checkRoles(body.roles);
    checkGrants(ctx, body.roles);
    const tree = await checkOrgIds(body.orgId, body.orgIds);
    const policy = await getPolicy(s.knex);
    const generated = !body.password;
    const password = body.password ?? tempPassword();
    const problems = generated ? [] : passwordProblems(password, policy, body.username);
    if (problems.length) throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, problems.map((k) => ({ path: '/password', messageKey: k })));
    if (await (trx ?? s.knex)('ct_user').where({ username: body.username }).first('id'))
      throw new AppError(409, 'UNIQUE_VIOLATION', 'error.uniqueViolation', { field: 'username' }, [{ path: '/username', messageKey: 'error.uniqueViolation', params: { field: 'username' } }]);
    const hash = await hashPassword(password);
    const write = async (trx: Knex.Transaction) => {
      const [row] = await trx('ct_user')
        .insert({
          username: body.username, display_name: body.displayName, email: body.email ?? null, password_hash: hash, is_admin: !!body.isAdmin,
          // A password chosen by an administrator is temporary unless explicitly not (service accounts).
          must_change_password: body.mustChangePassword ?? true, org_id: body.orgId ?? null, lab_id: body.orgId ? (tree.labOf(body.orgId)?.id ?? null) : null,
          locale: body.locale ?? 'zh-CN',
        })
        .returning('id');
      const id = Number(row.id);
      await writeMemberships(trx, id, { roles: body.roles ?? [], orgIds: body.orgIds ?? (body.orgId ? [body.orgId] : []) });
      const created = await loadUser(trx, id);
      await audit(trx, ctx, 'ct_user', id, 'user.create', diffRecords(null, created, ['username', 'displayName', 'email', 'isAdmin', 'orgId', 'orgIds', 'roles', 'locale']), reasonOf(ctx, body));
      return created;
    };
    const user = await (trx ? write(trx) : s.knex.transaction(write));
    return { user, temporaryPassword: generated ? password : undefined };
  };
  userCreators.set(s, createUser);
  api.post('/admin/users', async (ctx) => {
    const { user, temporaryPassword } = await createUser(ctx, ctx.request.body);
    ctx.status = 201;
    ctx.body = { data: user, ...(temporaryPassword ? { temporaryPassword } : {}) };
  });
  api.patch('/admin/users/:id', async (ctx) => {
    need(ctx, 'users:admin');
    const id = intParam(ctx.params.id);
    const body = checkPatchUser(ctx.request.body);
    if (body.isAdmin !== undefined && !ctx.state.actor.isAdmin) throw forbidden();
    checkRoles(body.roles);
    const before = await loadUser(s.knex, id);
    checkManage(ctx, before);
    checkGrants(ctx, body.roles, before.roles);
    const tree = await checkOrgIds(body.orgId, body.orgIds);
    const after = await s.knex.transaction(async (trx) => {
      const row: Record<string, unknown> = { updated_at: new Date() };
      if (body.displayName !== undefined) row.display_name = body.displayName;
      if (body.email !== undefined) row.email = body.email;
      if (body.locale !== undefined) row.locale = body.locale;
      if (body.isAdmin !== undefined) row.is_admin = body.isAdmin;
      if (body.orgId !== undefined) {
        row.org_id = body.orgId;
        row.lab_id = body.orgId ? (tree.labOf(body.orgId)?.id ?? null) : null;
      }
      await trx('ct_user').where({ id }).update(row);
      await writeMemberships(trx, id, body);
      const updated = await loadUser(trx, id);
      await audit(trx, ctx, 'ct_user', id, 'user.update', diffRecords(before, updated, ['displayName', 'email', 'isAdmin', 'orgId', 'orgIds', 'roles', 'locale']), reasonOf(ctx, body));
      return updated;
    });
    s.sessions.clearCache();
    ctx.body = { data: after };
  });
  const userCommand = (name: string, fn: (trx: Knex.Transaction, id: number, ctx: Koa.Context) => Promise<Record<string, unknown>>, after?: (id: number) => Promise<void>) =>
    api.post(`/admin/users/:id/${name}`, async (ctx) => {
      need(ctx, 'users:admin');
      const id = intParam(ctx.params.id);
      checkManage(ctx, await loadUser(s.knex, id));
      const extra = await s.knex.transaction(async (trx) => {
        const out = await fn(trx, id, ctx);
        await audit(trx, ctx, 'ct_user', id, `user.${name}`, {}, reasonOf(ctx, ctx.request.body));
        return out;
      });
      await after?.(id);
      ctx.body = { data: await loadUser(s.knex, id), ...extra };
    });
  userCommand(
    'disable',
    async (trx, id, ctx) => {
      if (id === ctx.state.actor.id) throw new AppError(400, 'VALIDATION_FAILED', 'auth.cannotDisableSelf');
      await trx('ct_user').where({ id }).update({ disabled: true, updated_at: new Date() });
      // Disabling ends every session and API token of the user.
      await s.sessions.revoke({ userId: id }, trx);
      return {};
    },
    async () => s.sessions.clearCache(),
  );
  userCommand('enable', async (trx, id) => {
    await trx('ct_user').where({ id }).update({ disabled: false, updated_at: new Date() });
    return {};
  });
  userCommand('unlock', async (trx, id) => {
    await trx('ct_user').where({ id }).update({ locked_until: null, failed_count: 0, updated_at: new Date() });
    return {};
  });
  userCommand(
    'reset-password',
    async (trx, id, ctx) => {
      const body = (ctx.request.body ?? {}) as any;
      const generated = typeof body.password !== 'string' || !body.password;
      const password = generated ? tempPassword() : body.password;
      if (!generated) {
        const u = await trx('ct_user').where({ id }).first('username');
        const problems = passwordProblems(password, await getPolicy(s.knex), u.username);
        if (problems.length) throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, problems.map((k) => ({ path: '/password', messageKey: k })));
      }
      await trx('ct_user').where({ id }).update({ password_hash: await hashPassword(password), must_change_password: true, failed_count: 0, locked_until: null, password_changed_at: new Date() });
      await s.sessions.revoke({ userId: id, kind: 'session' }, trx);
      return generated ? { temporaryPassword: password } : {};
    },
    async () => s.sessions.clearCache(),
  );

  // ---- org tree
  api.get('/admin/orgs', async (ctx) => {
    const tree = await orgTree(s.knex, true);
    const node = (u: any): any => ({ ...u, children: (tree.children.get(u.id) ?? []).map(node) });
    ctx.body = { data: [...tree.byId.values()], tree: (tree.children.get(null) ?? []).map(node) };
  });
  api.post('/admin/orgs', async (ctx) => {
    need(ctx, 'org:admin');
    const body = checkOrg(ctx.request.body);
    const tree = await orgTree(s.knex, true);
    const parent = body.parentId ? tree.byId.get(body.parentId) : undefined;
    if (body.parentId && !parent) throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/parentId', messageKey: 'auth.unknownOrg' }]);
    // company → centre → lab → department: a unit sits below a unit of a higher level (a company only at the root).
    if ((body.kind === 'company') !== !parent || (parent && ORG_LEVEL[body.kind as OrgKind] <= ORG_LEVEL[parent.kind]))
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/kind', messageKey: 'auth.orgLevel' }]);
    if (await s.knex('ct_org').where({ code: body.code }).first('id'))
      throw new AppError(409, 'UNIQUE_VIOLATION', 'error.uniqueViolation', { field: 'code' }, [{ path: '/code', messageKey: 'error.uniqueViolation', params: { field: 'code' } }]);
    const row = await s.knex.transaction(async (trx) => {
      const [r] = await trx('ct_org')
        .insert({ parent_id: body.parentId ?? null, kind: body.kind, code: body.code, name: body.name, name_en: body.nameEn ?? null, sort: body.sort ?? 0 })
        .returning('*');
      await audit(trx, ctx, 'ct_org', Number(r.id), 'org.create', { parentId: body.parentId ?? null, kind: body.kind, code: body.code, name: body.name, nameEn: body.nameEn ?? null }, reasonOf(ctx, body));
      return r;
    });
    invalidateOrgTree();
    ctx.status = 201;
    ctx.body = { data: (await orgTree(s.knex, true)).byId.get(Number(row.id)) };
  });
  api.patch('/admin/orgs/:id', async (ctx) => {
    need(ctx, 'org:admin');
    const id = intParam(ctx.params.id);
    const body = checkOrgPatch(ctx.request.body);
    const before = (await orgTree(s.knex, true)).byId.get(id);
    if (!before) throw notFound('org', id);
    await s.knex.transaction(async (trx) => {
      const row: Record<string, unknown> = {};
      if (body.name !== undefined) row.name = body.name;
      if (body.nameEn !== undefined) row.name_en = body.nameEn;
      if (body.sort !== undefined) row.sort = body.sort;
      if (body.disabled !== undefined) row.disabled = body.disabled;
      if (Object.keys(row).length) await trx('ct_org').where({ id }).update(row);
      const after = { ...before, ...Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'reason')) };
      await audit(trx, ctx, 'ct_org', id, 'org.update', diffRecords(before as any, after, ['name', 'nameEn', 'sort', 'disabled']), reasonOf(ctx, body));
    });
    invalidateOrgTree();
    s.sessions.clearCache();
    ctx.body = { data: (await orgTree(s.knex, true)).byId.get(id) };
  });

  // ---- API tokens (R-5.7): created by an administrator for a user, acting with one role, revocable.
  api.get('/admin/tokens', async (ctx) => {
    need(ctx, 'tokens:admin');
    const rows = await s.knex('ct_session as s').join('ct_user as u', 'u.id', 's.user_id').where('s.kind', 'api').orderBy('s.id', 'desc').limit(500)
      .select('s.id', 's.name', 's.role', 's.user_id', 'u.username', 's.created_at', 's.expires_at', 's.revoked_at', 's.last_seen_at', 's.created_by');
    ctx.body = {
      data: rows.map((r: any) => ({
        id: Number(r.id), name: r.name, role: r.role, userId: Number(r.user_id), username: r.username, createdAt: r.created_at, expiresAt: r.expires_at,
        revokedAt: r.revoked_at, lastSeenAt: r.last_seen_at, createdBy: r.created_by == null ? null : Number(r.created_by),
      })),
    };
  });
  api.post('/admin/tokens', async (ctx) => {
    need(ctx, 'tokens:admin');
    const body = checkToken(ctx.request.body);
    checkRoles([body.role]);
    const u = await loadUser(s.knex, body.userId);
    if (u.disabled) throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/userId', messageKey: 'auth.userDisabled' }]);
    if (!u.roles.includes(body.role) && !u.isAdmin)
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/role', messageKey: 'auth.roleNotHeld' }]);
    // The token's holder acts with the role: minting it is granting it.
    if (u.isAdmin && !ctx.state.actor.isAdmin) throw forbidden('auth.grantExceeds', { role: 'admin', permission: 'admin' });
    checkGrants(ctx, [body.role], [], '/role');
    const expiresAt = new Date(Date.now() + (body.expiresInDays ?? 365) * 86400_000);
    const out = await s.knex.transaction(async (trx) => {
      const t = await s.sessions.create(body.userId, 'api', { name: body.name, role: body.role, expiresAt, createdBy: ctx.state.actor.id, ip: ctx.ip }, trx);
      await audit(trx, ctx, 'ct_token', t.id, 'token.create', { userId: body.userId, role: body.role, name: body.name, expiresAt: expiresAt.toISOString() }, null);
      return t;
    });
    ctx.status = 201;
    ctx.body = { data: { id: out.id, name: body.name, role: body.role, userId: body.userId, expiresAt }, token: out.token };
  });
  api.delete('/admin/tokens/:id', async (ctx) => {
    need(ctx, 'tokens:admin');
    const id = intParam(ctx.params.id);
    const row = await s.knex('ct_session').where({ id, kind: 'api' }).first('id');
    if (!row) throw notFound('token', id);
    await s.knex.transaction(async (trx) => {
      await s.sessions.revoke({ id }, trx);
      await audit(trx, ctx, 'ct_token', id, 'token.revoke', {}, reasonOf(ctx, ctx.request.body));
    });
    s.sessions.clearCache();
    ctx.body = { ok: true };
  });

  // ---- security policy
  api.get('/admin/security-policy', async (ctx) => {
    need(ctx, 'users:admin');
    ctx.body = { data: await getPolicy(s.knex) };
  });
  api.put('/admin/security-policy', async (ctx) => {
    // Security settings are an administrator's (a user administrator could otherwise weaken the rules that bind it).
    if (!ctx.state.actor.isAdmin) throw forbidden('auth.adminOnly');
    const body = { ...((ctx.request.body ?? {}) as any) };
    const reason = reasonOf(ctx, body);
    delete body.reason;
    checkPolicy(body);
    const before = await getPolicy(s.knex);
    const next = { ...before, ...body };
    await s.knex.transaction(async (trx) => {
      await trx('ct_state').insert({ key: 'security-policy', value: JSON.stringify(next), updated_at: new Date() }).onConflict('key').merge();
      await audit(trx, ctx, 'ct_state', null, 'policy.update', diffRecords(before as any, next, Object.keys(next)), reason);
    });
    forgetPolicy();
    ctx.body = { data: next };
  });

  // ---- undo of a mistaken operation (R-5.3): bring a record back to its state after one audit entry, as an audited update.
  api.post('/data/:entity/:id/restore', async (ctx) => {
    // records:restore, then the pipeline's own checks: read scope (get) and update permission and scope (update).
    if (!authz.hasSystem(ctx.state.actor, 'records:restore')) throw forbidden('auth.restoreForbidden');
    const id = intParam(ctx.params.id);
    const body = (ctx.request.body ?? {}) as any;
    const reason = reasonOf(ctx, body);
    if (!Number.isSafeInteger(body.auditId) || body.auditId < 1)
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/auditId', messageKey: 'auth.required' }]);
    if (!reason) throw new AppError(400, 'VALIDATION_FAILED', 'error.reasonRequired', {}, [{ path: '/reason', messageKey: 'error.reasonRequired' }]);
    const cctx = callContext(ctx);
    const e = s.records.entity(ctx.params.entity);
    const current = await s.records.get(cctx, e.name, id);
    const rows = await s.knex('ct_audit').where({ entity: e.name, record_id: id }).where('id', '<=', body.auditId).orderBy('id');
    if (!rows.some((r: any) => Number(r.id) === body.auditId)) throw new AppError(404, 'NOT_FOUND', 'error.noSuchVersion');
    // Replay field changes up to the chosen entry.
    const state: Record<string, unknown> = {};
    for (const r of rows) if (Array.isArray(r.changes)) for (const c of r.changes) if (c && typeof c.field === 'string') state[c.field] = c.to ?? null;
    const visible = new Set(s.records.readable(cctx, e));
    const patch: Record<string, unknown> = {};
    for (const f of e.fields.values()) {
      if (f.readOnly || f.numbering || !visible.has(f.name) || f.kind === 'multiReference') continue;
      // Encrypted values are kept encrypted in the audit trail; one that no loaded key opens is left as it is.
      const v = isEncrypted(f) ? openAuditValue(e, f.name, state[f.name] ?? null) : state[f.name] ?? null;
      if (v === undefined) continue;
      if (JSON.stringify(v) !== JSON.stringify(current[f.name] ?? null)) patch[f.name] = v;
    }
    const data = await s.records.update(cctx, e.name, id, { ...patch, version: current.version }, { reason: `${t(cctx.lang, 'audit.restoreVersion')}: ${reason}`.slice(0, 500) });
    ctx.body = { data, restored: Object.keys(patch) };
  });

  // ---- e-signatures of a record (read through the record's own permission and scope)
  api.get('/data/:entity/:id/signatures', async (ctx) => {
    const id = intParam(ctx.params.id);
    await s.records.get(callContext(ctx), ctx.params.entity, id, { fields: ['id'] });
    ctx.body = { data: await signaturesOf(s.knex, ctx.params.entity, id) };
  });
}
