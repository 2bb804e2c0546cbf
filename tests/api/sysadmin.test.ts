import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import { startTestServer, type TestServer } from '../support/app';
import { orgFixture } from './auth-fixtures';
import { orderFor } from '../support/labs';
import { logicalBackup } from '../../platform/audit/logical-backup';
import { verifyBackup } from '../../platform/audit/backups';

/**
 * System management API: the operation log filtered by user, entity, time and action and shown
 * with names; its XLSX/CSV export; the login log's filters and export; backups listed, taken, downloaded and
 * verified. A lab technician gets 403 from all of it; a bad query is a 400 naming the parameter.
 */
let t: TestServer;
let admin: string;
let fx: Awaited<ReturnType<typeof orgFixture>>;
let newUser: { id: number; username: string };

beforeAll(async () => {
  t = await startTestServer();
  admin = await t.login();
  fx = await orgFixture(t, admin);
  const r = await t.api('POST', '/api/v1/admin/users', {
    token: admin, body: { username: `ops-${fx.sfx}`, displayName: '运维测试', orgId: fx.labA, roles: ['technician'], reason: '新员工' },
  });
  expect(r.status).toBe(201);
  newUser = { id: r.body.data.id, username: r.body.data.username };
}, 60_000);
afterAll(() => t?.stop());

const get = (p: string, token = admin, lang = 'zh-CN') => t.api('GET', p, { token, lang });

describe('R-3.7.9 operation log', () => {
  it('filters by entity and action and shows names: the user, the org unit, role labels, not ids or keys', async () => {
    const r = await get(`/api/v1/admin/audit?entity=ct_user&action=user.create&recordId=${newUser.id}`);
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(1);
    const e = r.body.data[0];
    expect(e).toMatchObject({ entityLabel: '用户', actionLabel: '创建用户', recordTitle: `运维测试 (ops-${fx.sfx})`, byName: expect.stringContaining('admin'), reason: '新员工', openable: false });
    const byLabel = Object.fromEntries(e.changes.map((c: any) => [c.label, c.to]));
    expect(byLabel['角色']).toBe('实验员');
    expect(byLabel['所属机构']).toBe(`LA ${fx.sfx}`);
    expect(byLabel['用户名']).toBe(`ops-${fx.sfx}`);
    expect(JSON.stringify(e.changes)).not.toMatch(/technician|orgId|"roles"/);
    // English labels for an English caller.
    const en = (await get(`/api/v1/admin/audit?entity=ct_user&action=user.create&recordId=${newUser.id}`, admin, 'en')).body.data[0];
    expect(en).toMatchObject({ entityLabel: 'User', actionLabel: 'User created' });
    expect(en.changes.find((c: any) => c.label === 'Roles').to).toBe('Lab technician');
  });

  it('a record entry names the record and its references and can be opened; families and time ranges filter', async () => {
    const c = await t.api('POST', '/api/v1/data/customer', { token: fx.techA.token, body: { name: `审计客户${fx.sfx}` } });
    expect(c.status).toBe(201);
    const cult = await t.api('POST', '/api/v1/data/cultureRecord', {
      token: fx.techA.token, body: { customer: c.body.data.id, order: await orderFor(t, c.body.data.id), cellKind: 'stem', cultureDate: '2026-01-05', totalCells: 10, viability: 95, passage: 1 },
    });
    expect(cult.status).toBe(201);
    const r = await get(`/api/v1/admin/audit?entity=cultureRecord&recordId=${cult.body.data.id}&actorId=${fx.techA.id}`);
    expect(r.body.data).toHaveLength(1);
    const e = r.body.data[0];
    expect(e).toMatchObject({ entityLabel: '细胞培养记录', actionLabel: '创建', openable: true, recordTitle: cult.body.data.batchCode, byName: expect.stringContaining('techA') });
    const customer = e.changes.find((x: any) => x.label === '客户');
    expect(customer.to).toBe(`审计客户${fx.sfx}`);
    expect(e.changes.find((x: any) => x.label === '细胞大类').to).toBe('干细胞');
    // By user: nothing of the technician's under ct_user; a future window is empty; the family user.* holds the creation.
    expect((await get(`/api/v1/admin/audit?entity=ct_user&actorId=${fx.techA.id}`)).body.data).toEqual([]);
    expect((await get(`/api/v1/admin/audit?entity=cultureRecord&from=2999-01-01`)).body.data).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await get(`/api/v1/admin/audit?entity=cultureRecord&recordId=${cult.body.data.id}&from=${today}&to=${today}`)).body.data).toHaveLength(1);
    const fam = await get(`/api/v1/admin/audit?action=user.*&recordId=${newUser.id}&entity=ct_user`);
    expect(fam.body.data.map((a: any) => a.action)).toContain('user.create');
  });

  it('offers its filter choices by label', async () => {
    const r = await get('/api/v1/admin/audit/options');
    expect(r.status).toBe(200);
    expect(r.body.data.entities).toEqual(expect.arrayContaining([{ value: 'ct_user', label: '用户' }, { value: 'customer', label: '客户' }]));
    expect(r.body.data.actions).toEqual(expect.arrayContaining([{ value: 'user.*', label: '用户管理' }, { value: 'create', label: '创建' }]));
    expect(r.body.data.users).toEqual(expect.arrayContaining([expect.objectContaining({ value: newUser.id, label: `运维测试 (ops-${fx.sfx})` })]));
  });

  it.each([
    ['from=yesterday', '/from'],
    ['to=2026-13-45', '/to'],
    ['from=2026-03-02&to=2026-03-01', '/to'],
    ['limit=0', '/limit'],
    ['limit=5000', '/limit'],
    ['actorId=abc', '/actorId'],
    ['recordId=-1', '/recordId'],
    ['entity=%27%3B%20drop', '/entity'],
    ['action=user.*.*', '/action'],
  ])('a bad query (%s) is a 400 naming the parameter', async (qs, pointer) => {
    const r = await get(`/api/v1/admin/audit?${qs}`);
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe(pointer);
    expect(r.body.error.details[0].message).toContain(pointer.slice(1));
  });

  it('exports the filtered log as CSV and XLSX with names', async () => {
    const csv = await get(`/api/v1/admin/audit/export?format=csv&entity=ct_user&recordId=${newUser.id}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toMatch(/operation-log-.*\.csv/);
    const text = String(csv.body);
    expect(text.split('\r\n')[0]).toBe('时间,操作人,对象,记录,操作,变更内容,原因,IP 地址');
    expect(text).toContain('创建用户');
    expect(text).toContain('角色: 实验员');
    expect(text).not.toMatch(/technician|ct_user/);
    const res = await fetch(`${t.url}/api/v1/admin/audit/export?format=xlsx&entity=ct_user&recordId=${newUser.id}`, { headers: { Authorization: `Bearer ${admin}`, 'Accept-Language': 'en' } });
    expect(res.headers.get('content-type')).toMatch(/spreadsheetml/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as any);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).values).toEqual([undefined, 'Time', 'By', 'Object', 'Record', 'Action', 'Changes', 'Reason', 'IP address']);
    const row = ws.getRow(2).values as unknown[];
    expect(row[3]).toBe('User');
    expect(row[5]).toBe('User created');
    expect(String(row[6])).toContain('Roles: Lab technician');
    expect((await get('/api/v1/admin/audit/export?format=pdf')).body.error.details[0].path).toBe('/format');
  });
});

describe('R-3.7.8 login log', () => {
  it('filters by user, result and time, names the reason, exports', async () => {
    await t.api('POST', '/api/v1/auth/login', { body: { username: newUser.username, password: 'Wrong#password1' } });
    const r = await get(`/api/v1/admin/login-log?username=${newUser.username}&success=false`);
    expect(r.status).toBe(200);
    expect(r.body.data[0]).toMatchObject({ username: newUser.username, displayName: '运维测试', success: false, reason: 'badPassword', reasonLabel: '密码错误' });
    expect((await get(`/api/v1/admin/login-log?username=${newUser.username}&success=true`)).body.data).toEqual([]);
    expect((await get(`/api/v1/admin/login-log?username=${newUser.username}&to=2000-01-01`)).body.data).toEqual([]);
    const bad = await get('/api/v1/admin/login-log?success=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('/success');
    expect((await get('/api/v1/admin/login-log?from=soon')).body.error.details[0].path).toBe('/from');
    const csv = await get(`/api/v1/admin/login-log/export?format=csv&username=${newUser.username}`);
    expect(String(csv.body)).toContain(`${newUser.username},运维测试,失败,密码错误`);
  });
});

describe('R-3.7.7 backups', () => {
  it('run now → listed → verified → downloaded; audited; a broken file fails verification with a reason', async () => {
    const before = (await get('/api/v1/admin/backups')).body.data;
    const run = await t.api('POST', '/api/v1/admin/backups', { token: admin, body: {} });
    expect(run.status).toBe(201);
    const b = run.body.data;
    expect(b.name).toMatch(/^celltrace-\d{8}T\d{6}Z\.dump$/);
    expect(b.size).toBeGreaterThan(1000);
    const list = (await get('/api/v1/admin/backups')).body.data;
    expect(list).toHaveLength(before.length + 1);
    expect(list[0]).toEqual(b);
    const v = await t.api('POST', `/api/v1/admin/backups/${b.name}/verify`, { token: admin, body: {} });
    expect(v.status).toBe(200);
    expect(v.body.data).toMatchObject({ ok: true, format: 'pgDump', name: b.name });
    expect(v.body.data.tables).toBeGreaterThan(10);
    expect(v.body.data.message).toMatch(/^备份完整/);
    const dl = await fetch(`${t.url}/api/v1/admin/backups/${b.name}`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(dl.status).toBe(200);
    expect((await dl.arrayBuffer()).byteLength).toBe(b.size);
    const log = (await get('/api/v1/admin/audit?entity=ct_backup')).body.data;
    expect(log.map((a: any) => a.actionLabel)).toEqual(expect.arrayContaining(['执行备份', '校验备份', '下载备份']));
    expect(log.find((a: any) => a.action === 'backup.run').recordTitle).toBe(b.name);

    // A cut-off copy under a backup's name: the check says it is damaged.
    const dir = t.server.services.config.backupDir;
    const cut = 'celltrace-20000101T000000Z.dump';
    fs.writeFileSync(path.join(dir, cut), fs.readFileSync(path.join(dir, b.name)).subarray(0, 200));
    const bad = await t.api('POST', `/api/v1/admin/backups/${cut}/verify`, { token: admin, body: {}, lang: 'en' });
    expect(bad.body.data).toMatchObject({ ok: false, problem: 'unreadable', message: 'The backup file cannot be read or is damaged' });
    expect((await t.api('POST', '/api/v1/admin/backups/..%2F..%2Fetc%2Fpasswd/verify', { token: admin, body: {} })).status).toBe(404);
    expect((await get('/api/v1/admin/backups/celltrace-20000101T000001Z.dump')).status).toBe(404);
  }, 60_000);

  it('verifies a logical (embedded-mode) backup by its checksums and catches a truncated one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-logical-'));
    try {
      const { file, tables, rows } = await logicalBackup(t.server.services.knex, dir, 3);
      expect(await verifyBackup(file)).toEqual({ ok: true, format: 'logical', tables, rows });
      const lines = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').split('\n');
      const truncated = path.join(dir, 'celltrace-20000101T000000Z.jsonl.gz');
      fs.writeFileSync(truncated, zlib.gzipSync(lines.slice(0, Math.floor(lines.length / 2)).join('\n')));
      expect(await verifyBackup(truncated)).toMatchObject({ ok: false, problem: 'incomplete' });
      // One row changed: the table's checksum no longer matches.
      const i = lines.findIndex((l) => l.startsWith('{"type":"row","t":"ct_user"'));
      const tampered = [...lines];
      tampered[i] = tampered[i].replace(/"username":"[^"]*"/, '"username":"mallory"');
      fs.writeFileSync(truncated, zlib.gzipSync(tampered.join('\n')));
      expect(await verifyBackup(truncated)).toMatchObject({ ok: false, problem: 'checksum', params: { table: 'ct_user' } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a lab technician without the permissions', () => {
  it.each([
    ['GET', '/api/v1/admin/audit'],
    ['GET', '/api/v1/admin/audit/options'],
    ['GET', '/api/v1/admin/audit/export?format=csv'],
    ['GET', '/api/v1/admin/login-log'],
    ['GET', '/api/v1/admin/login-log/export'],
    ['GET', '/api/v1/admin/backups'],
    ['POST', '/api/v1/admin/backups'],
    ['POST', '/api/v1/admin/backups/celltrace-20000101T000000Z.dump/verify'],
    ['GET', '/api/v1/admin/backups/celltrace-20000101T000000Z.dump'],
    ['GET', '/api/v1/admin/users'],
    ['GET', '/api/v1/admin/tokens'],
    ['GET', '/api/v1/admin/security-policy'],
  ])('%s %s → 403', async (method, p) => {
    const r = await t.api(method, p, { token: fx.techA.token, body: method === 'POST' ? {} : undefined });
    expect(r.status).toBe(403);
  });
});
