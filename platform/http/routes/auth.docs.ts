import { arr, bool, int, obj, str, type RouteDoc } from '../route-docs';

const user = obj(
  {
    id: int, username: str, displayName: str, isAdmin: bool, roles: arr(str), orgId: { type: ['integer', 'null'] }, labId: { type: ['integer', 'null'] },
    labIds: arr(int), permissions: arr(str), mustChangePassword: bool, locale: str,
  },
  ['id', 'username', 'displayName'],
);
const session = obj({ token: str, user }, ['token', 'user']);

/** platform/http/routes/auth.ts */
const docs: RouteDoc[] = [
  {
    method: 'post', path: '/api/v1/auth/login', id: 'login', tag: 'auth', summary: 'Log in: a bearer token and an HttpOnly session cookie', scope: 'global', permission: 'none', public: true,
    body: obj({ username: { type: 'string', maxLength: 64 }, password: str }, ['username', 'password']), response: session,
  },
  { method: 'post', path: '/api/v1/auth/logout', id: 'logout', tag: 'auth', summary: 'End the current session', scope: 'self', permission: 'authenticated', endsSession: true, response: obj({ ok: bool }) },
  {
    method: 'get', path: '/api/v1/auth/me', id: 'me', tag: 'auth', summary: 'The signed-in user (null without a session)', scope: 'self', permission: 'none',
    response: obj({ user: { oneOf: [user, { type: 'null' }] } }, ['user']),
  },
  {
    method: 'post', path: '/api/v1/auth/change-password', id: 'changePassword', tag: 'auth', summary: 'Change the own password (ends the other sessions)', scope: 'self', permission: 'authenticated',
    endsSession: true, body: obj({ oldPassword: str, newPassword: str }, ['oldPassword', 'newPassword']), response: session,
  },
];
export default docs;
