import { arr, bool, data, idParam, int, obj, str, type RouteDoc } from '../http/route-docs';

const nullableInt = { type: ['integer', 'null'] };
const user = obj(
  {
    id: int, username: str, displayName: str, email: { type: ['string', 'null'] }, isAdmin: bool, disabled: bool, locked: bool, mustChangePassword: bool,
    orgId: nullableInt, labId: nullableInt, orgIds: arr(int), roles: arr(str), locale: str,
  },
  ['id', 'username', 'displayName'],
);
const userFields = {
  displayName: { type: 'string', minLength: 1, maxLength: 100 }, email: { type: ['string', 'null'], maxLength: 200 }, orgId: { type: ['integer', 'null'], minimum: 1, 'x-ref': 'org' },
  orgIds: arr({ type: 'integer', minimum: 1, 'x-ref': 'org' }), roles: arr(str), locale: { enum: ['zh-CN', 'en'] }, isAdmin: bool, reason: str,
};
const org = obj({ id: int, parentId: nullableInt, kind: str, code: str, name: str, nameEn: { type: ['string', 'null'] }, sort: int, disabled: bool });
const token = obj({ id: int, name: str, role: str, userId: int, username: str, expiresAt: str, revokedAt: { type: ['string', 'null'] } });
const userId = { id: idParam('user') };
const reason = obj({ reason: str });
const command = (name: string, summary: string, extra: Record<string, unknown> = {}): RouteDoc => ({
  method: 'post', path: `/api/v1/admin/users/:id/${name}`, id: `${name.replace(/-(\w)/g, (_m, c) => c.toUpperCase())}User`, tag: 'admin', summary, scope: 'admin', permission: 'users:admin',
  params: userId, body: reason, response: data(user, extra),
});
const entityId = { type: 'integer', minimum: 1, 'x-ref': '$entity' };

/** platform/auth/admin-routes.ts */
const docs: RouteDoc[] = [
  {
    method: 'get', path: '/api/v1/admin/users', id: 'listUsers', tag: 'admin', summary: 'List users', scope: 'admin', permission: 'users:admin',
    query: [{ name: 'q', schema: str }, { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 500 } }, { name: 'offset', schema: { type: 'integer', minimum: 0 } }],
    response: data(arr(user), { page: obj({ limit: int, offset: int }) }),
  },
  { method: 'get', path: '/api/v1/admin/users/:id', id: 'getUser', tag: 'admin', summary: 'One user', scope: 'admin', permission: 'users:admin', params: userId, response: data(user) },
  {
    method: 'post', path: '/api/v1/admin/users', id: 'createUser', tag: 'admin', summary: 'Create a user', scope: 'admin', permission: 'users:admin (isAdmin: administrators only)', status: 201,
    body: obj({ username: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{2,64}$' }, password: str, mustChangePassword: bool, ...userFields }, ['username', 'displayName']),
    response: data(user, { temporaryPassword: str }),
  },
  {
    method: 'patch', path: '/api/v1/admin/users/:id', id: 'updateUser', tag: 'admin', summary: 'Change a user', scope: 'admin', permission: 'users:admin (isAdmin: administrators only)',
    params: userId, body: obj(userFields), response: data(user),
  },
  command('disable', 'Disable a user (ends their sessions and tokens)'),
  command('enable', 'Enable a user'),
  command('unlock', 'Unlock a user locked by failed logins'),
  { ...command('reset-password', 'Reset the password (temporary unless given)', { temporaryPassword: str }), body: obj({ password: str, reason: str }) },
  {
    method: 'get', path: '/api/v1/admin/orgs', id: 'listOrgs', tag: 'admin', summary: 'The org tree (companies, centres, labs, departments) for pickers', scope: 'global', permission: 'authenticated',
    response: data(arr(org), { tree: arr() }),
  },
  {
    method: 'post', path: '/api/v1/admin/orgs', id: 'createOrg', tag: 'admin', summary: 'Add an org unit', scope: 'admin', permission: 'org:admin', status: 201,
    body: obj({ parentId: { type: ['integer', 'null'], minimum: 1, 'x-ref': 'org' }, kind: { enum: ['company', 'centre', 'lab', 'department'] }, code: str, name: str, nameEn: { type: ['string', 'null'] }, sort: int, reason: str }, ['kind', 'code', 'name']),
    response: data(org),
  },
  {
    method: 'patch', path: '/api/v1/admin/orgs/:id', id: 'updateOrg', tag: 'admin', summary: 'Rename, reorder or disable an org unit', scope: 'admin', permission: 'org:admin',
    params: { id: idParam('org') }, body: obj({ name: str, nameEn: { type: ['string', 'null'] }, sort: int, disabled: bool, reason: str }), response: data(org),
  },
  { method: 'get', path: '/api/v1/admin/tokens', id: 'listTokens', tag: 'admin', summary: 'API tokens', scope: 'admin', permission: 'tokens:admin', response: data(arr(token)) },
  {
    method: 'post', path: '/api/v1/admin/tokens', id: 'createToken', tag: 'admin', summary: 'Issue an API token for a user acting with one role', scope: 'admin', permission: 'tokens:admin', status: 201,
    body: obj({ userId: { type: 'integer', minimum: 1, 'x-ref': 'user' }, role: { type: 'string', examples: ['technician'] }, name: str, expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 } }, ['userId', 'role', 'name']),
    response: data(token, { token: str }),
  },
  {
    method: 'delete', path: '/api/v1/admin/tokens/:id', id: 'revokeToken', tag: 'admin', summary: 'Revoke an API token', scope: 'admin', permission: 'tokens:admin',
    params: { id: idParam('token') }, body: reason, response: obj({ ok: bool }),
  },
  { method: 'get', path: '/api/v1/admin/security-policy', id: 'securityPolicy', tag: 'admin', summary: 'Password and session policy', scope: 'admin', permission: 'users:admin', response: data({ type: 'object' }) },
  {
    method: 'put', path: '/api/v1/admin/security-policy', id: 'saveSecurityPolicy', tag: 'admin', summary: 'Change the password and session policy', scope: 'admin', permission: 'users:admin',
    body: obj({ reason: str }), response: data({ type: 'object' }),
  },
  {
    method: 'post', path: '/api/v1/data/:entity/:id/restore', id: 'restore', tag: '$entity', summary: 'Restore the record to its state after one audit entry', scope: 'record',
    permission: 'records:restore and update <entity>', params: { id: entityId }, body: obj({ auditId: { type: 'integer', minimum: 1 }, reason: str }, ['auditId', 'reason']),
    response: data({ type: 'object' }, { restored: arr(str) }),
  },
  {
    method: 'get', path: '/api/v1/data/:entity/:id/signatures', id: 'signatures', tag: '$entity', summary: 'Electronic signatures of the record', scope: 'record', permission: 'read <entity>',
    params: { id: entityId }, response: data(arr(obj({ id: int, at: str, userId: int, userName: str, meaning: str }))),
  },
];
export default docs;
