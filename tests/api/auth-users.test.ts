import { startTestServer, type TestServer } from '../support/app';
import { orgFixture, PASSWORD } from './auth-fixtures';

let t: TestServer;
let admin: string;
let fx: Awaited<ReturnType<typeof orgFixture>>;

beforeAll(async () => {
  t = await startTestServer();
  admin = await t.login();
  fx = await orgFixture(t, admin);
});
afterAll(() => t.stop());

describe('R-3.7.1 R-3.7.3 org tree and users', () => {
  it('refuses an org unit at the wrong level', async () => {
    const r = await t.api('POST', '/api/v1/admin/orgs', { token: admin, body: { kind: 'centre', code: `bad-${fx.sfx}`, name: 'x', parentId: fx.labA } });
    expect(r.status).toBe(400);
    const tree = await t.api('GET', '/api/v1/admin/orgs', { token: admin });
    expect(tree.body.data.some((o: any) => o.id === fx.deptA && o.parentId === fx.labA)).toBe(true);
  });

  it('gives the actor roles, lab and org subtree', async () => {
    const me = await t.api('GET', '/api/v1/auth/me', { token: fx.techA.token });
    expect(me.body.user.roles).toEqual(['technician']);
    expect(me.body.user.labId).toBe(fx.labA);
    expect(me.body.user.labIds).toEqual([fx.labA]);
  });

  it('only administrators manage users', async () => {
    const r = await t.api('GET', '/api/v1/admin/users', { token: fx.techA.token });
    expect(r.status).toBe(403);
  });

  it('enforces the password policy and forces a change after an administrator sets one', async () => {
    const weak = await t.api('POST', '/api/v1/admin/users', { token: admin, body: { username: `weak-${fx.sfx}`, displayName: 'w', password: 'short' } });
    expect(weak.status).toBe(400);
    const r = await t.api('POST', '/api/v1/admin/users', { token: admin, body: { username: `new-${fx.sfx}`, displayName: 'New', orgId: fx.labA, roles: ['technician'] } });
    expect(r.status).toBe(201);
    expect(r.body.temporaryPassword).toBeTruthy();
    const tok = await t.login(`new-${fx.sfx}`, r.body.temporaryPassword);
    const blocked = await t.api('GET', '/api/v1/data/customer', { token: tok });
    expect(blocked.body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    const ch = await t.api('POST', '/api/v1/auth/change-password', { token: tok, body: { oldPassword: r.body.temporaryPassword, newPassword: 'Fresh#Passw0rd' } });
    expect(ch.status).toBe(200);
    // The old session ended; the new token works.
    expect((await t.api('GET', '/api/v1/auth/me', { token: tok })).status).toBe(401);
    expect((await t.api('GET', '/api/v1/data/customer', { token: ch.body.token })).status).toBe(200);
  });

  it('disable revokes sessions; reset password forces a change; both audited', async () => {
    const u = await fx.user('victim', fx.labA, ['technician']);
    const d = await t.api('POST', `/api/v1/admin/users/${u.id}/disable`, { token: admin, body: { reason: 'left the company' } });
    expect(d.status).toBe(200);
    expect(d.body.data.disabled).toBe(true);
    expect((await t.api('GET', '/api/v1/auth/me', { token: u.token })).status).toBe(401);
    const login = await t.api('POST', '/api/v1/auth/login', { body: { username: u.username, password: PASSWORD } });
    expect(login.status).toBe(401);
    await t.api('POST', `/api/v1/admin/users/${u.id}/enable`, { token: admin, body: {} });
    const reset = await t.api('POST', `/api/v1/admin/users/${u.id}/reset-password`, { token: admin, body: {} });
    expect(reset.body.data.mustChangePassword).toBe(true);
    const audit = await t.api('GET', `/api/v1/admin/audit?entity=ct_user&recordId=${u.id}`, { token: admin });
    expect(audit.body.data.map((a: any) => a.action)).toEqual(expect.arrayContaining(['user.create', 'user.disable', 'user.enable', 'user.reset-password']));
    expect(audit.body.data.find((a: any) => a.action === 'user.disable').reason).toBe('left the company');
  });
});

describe('R-3.7.8 login log, lockout, rate limit', () => {
  it('logs every success and failure with username, IP and user agent', async () => {
    await t.api('POST', '/api/v1/auth/login', { body: { username: `nobody-${fx.sfx}`, password: 'x' }, headers: { 'User-Agent': 'probe/1.0' } });
    const log = await t.api('GET', `/api/v1/admin/login-log?username=nobody-${fx.sfx}`, { token: admin });
    expect(log.body.data[0]).toMatchObject({ success: false, reason: 'unknownUser', userAgent: 'probe/1.0' });
    expect(log.body.data[0].ip).toMatch(/127\.0\.0\.1/);
    const ok = await t.api('GET', `/api/v1/admin/login-log?username=${fx.techA.username}&success=true`, { token: admin });
    expect(ok.body.data.length).toBeGreaterThan(0);
  });

  it('locks the account after 5 failures; the right password is refused until unlocked', async () => {
    const u = await fx.user('locky', fx.labA, ['technician']);
    for (let i = 0; i < 4; i++) expect((await t.api('POST', '/api/v1/auth/login', { body: { username: u.username, password: 'Wrong#1234x' } })).status).toBe(401);
    const fifth = await t.api('POST', '/api/v1/auth/login', { body: { username: u.username, password: 'Wrong#1234x' } });
    expect(fifth.status).toBe(423);
    const right = await t.api('POST', '/api/v1/auth/login', { body: { username: u.username, password: PASSWORD } });
    expect(right.status).toBe(423);
    expect(right.body.error.code).toBe('ACCOUNT_LOCKED');
    const list = await t.api('GET', `/api/v1/admin/users/${u.id}`, { token: admin });
    expect(list.body.data.locked).toBe(true);
    await t.api('POST', `/api/v1/admin/users/${u.id}/unlock`, { token: admin, body: {} });
    expect((await t.api('POST', '/api/v1/auth/login', { body: { username: u.username, password: PASSWORD } })).status).toBe(200);
  });
});

describe('CSRF for cookie sessions', () => {
  it('refuses an unsafe request with the cookie but without the header; accepts it with the header; bearer is exempt', async () => {
    const res = await fetch(t.url + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: fx.techA.username, password: PASSWORD }) });
    const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]);
    const csrf = cookies.find((c) => c.startsWith('ct_csrf='))!.split('=')[1];
    const cookie = cookies.join('; ');
    const body = JSON.stringify({ name: 'csrf test' });
    const noHeader = await t.api('POST', '/api/v1/data/customer', { raw: body, headers: { Cookie: cookie, 'Content-Type': 'application/json' } });
    expect(noHeader.status).toBe(403);
    expect(noHeader.body.error.code).toBe('CSRF_FAILED');
    const wrong = await t.api('POST', '/api/v1/data/customer', { raw: body, headers: { Cookie: cookie, 'Content-Type': 'application/json', 'X-CSRF-Token': 'forged' } });
    expect(wrong.status).toBe(403);
    const ok = await t.api('POST', '/api/v1/data/customer', { raw: body, headers: { Cookie: cookie, 'Content-Type': 'application/json', 'X-CSRF-Token': csrf } });
    expect(ok.status).toBe(201);
    const get = await t.api('GET', '/api/v1/data/customer', { headers: { Cookie: cookie } });
    expect(get.status).toBe(200);
    const bearer = await t.api('POST', '/api/v1/data/customer', { token: fx.techA.token, body: { name: 'bearer' } });
    expect(bearer.status).toBe(201);
  });
});

describe('API tokens', () => {
  it('an administrator creates a token scoped to a role and revokes it', async () => {
    const created = await t.api('POST', '/api/v1/admin/tokens', { token: admin, body: { userId: fx.mgmt.id, role: 'management', name: 'BI export' } });
    expect(created.status).toBe(201);
    const tok = created.body.token;
    expect((await t.api('GET', '/api/v1/data/customer', { token: tok })).status).toBe(200);
    // Scoped to management (read-only): writes are refused.
    expect((await t.api('POST', '/api/v1/data/customer', { token: tok, body: { name: 'x' } })).status).toBe(403);
    const notHeld = await t.api('POST', '/api/v1/admin/tokens', { token: admin, body: { userId: fx.mgmt.id, role: 'technician', name: 'bad' } });
    expect(notHeld.status).toBe(400);
    expect((await t.api('DELETE', `/api/v1/admin/tokens/${created.body.data.id}`, { token: admin })).status).toBe(200);
    expect((await t.api('GET', '/api/v1/data/customer', { token: tok })).status).toBe(401);
  });
});

describe('login rate limit', () => {
  it('answers 429 after too many attempts from one IP in a minute, and logs it', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await t.api('POST', '/api/v1/auth/login', { body: { username: `flood-${fx.sfx}`, password: 'x' } })).status);
    expect(statuses).toContain(429);
    const log = await t.api('GET', `/api/v1/admin/login-log?username=flood-${fx.sfx}`, { token: admin });
    expect(log.body.data.some((r: any) => r.reason === 'rateLimited')).toBe(true);
  });
});
