import ExcelJS from 'exceljs';
import { startTestServer, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { orgFixture } from './auth-fixtures';
import { waitFor } from '../support/wait';

let db: { name: string; url: string };
let t: TestServer;
let admin: string;
let fx: Awaited<ReturnType<typeof orgFixture>>;
let dirA: { id: number; token: string };

beforeAll(async () => {
  db = await createDatabase('ct_imp');
  t = await startTestServer({ databaseUrl: db.url });
  t.server.services.jobs.start();
  admin = await t.login();
  fx = await orgFixture(t, admin);
  dirA = await fx.user('dirA', fx.labA, ['labDirector']);
}, 60_000);
afterAll(async () => {
  await t?.stop();
  if (db) await dropDatabase(db.name);
});

async function template(token: string, entity: string, lang = 'zh-CN') {
  const r = await fetch(`${t.url}/api/v1/import/${entity}/template`, { headers: { Authorization: `Bearer ${token}`, 'Accept-Language': lang } });
  expect(r.status).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await r.arrayBuffer()) as any);
  return wb;
}

async function fill(wb: ExcelJS.Workbook, rows: unknown[][]): Promise<Buffer> {
  // As a person fills the template in: from row 2 down (the drop-down lists make the sheet's rows exist already).
  const ws = wb.worksheets[0];
  rows.forEach((r, i) => r.forEach((v, c) => v !== undefined && (ws.getCell(i + 2, c + 1).value = v as ExcelJS.CellValue)));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const headers = (wb: ExcelJS.Workbook) => (wb.worksheets[0].getRow(1).values as unknown[]).slice(1).map(String);

async function upload(token: string, entity: string, file: Buffer, query = '') {
  return t.api('POST', `/api/v1/import/${entity}${query}`, { token, raw: file as any, headers: { 'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'X-File-Name': encodeURIComponent('客户.xlsx') } });
}

async function settled(token: string, id: number, status: string) {
  return waitFor(async () => {
    const r = await t.api('GET', `/api/v1/imports/${id}`, { token });
    if (r.body.data.status === 'failed') throw new Error(`import failed: ${r.body.data.failure}`);
    return r.body.data.status === status && r.body.data;
  }, { timeout: 30_000, interval: 50, message: `import ${id} ${status}` });
}

const customers = async () => Number((await t.server.services.knex('customer').count({ n: '*' }))[0].n);

it('templates: Chinese headers (required marked), lists of names, a sheet explaining each column; English on request', async () => {
  const wb = await template(dirA.token, 'customer');
  expect(headers(wb)).toEqual(expect.arrayContaining(['姓名 *', '性别', '出生日期', '联系电话', '客户来源']));
  expect(headers(wb)).not.toContain('客户编号 *'); // generated numbers are not filled in
  const lists = wb.worksheets.find((w) => w.state === 'hidden')!;
  const values = (lists.getColumn(1).values as unknown[]).filter(Boolean);
  expect(values).toEqual(expect.arrayContaining(['男', '女']));
  const help = wb.worksheets[2];
  expect(help.name).toBe('填写说明');
  expect(help.getRow(2).values).toEqual(expect.arrayContaining([expect.stringMatching(/^.+$/)]));
  const en = await template(dirA.token, 'customer', 'en');
  expect(headers(en)).toContain('Name *');
  // A label with characters Excel refuses in sheet names (房间/洁净区) still makes a template.
  expect((await template(admin, 'room')).worksheets[0].name).toBe('房间 洁净区');
  const mat = await template(admin, 'material');
  const refHelp = (mat.worksheets[2].getColumn(3).values as unknown[]).map(String);
  expect(refHelp.some((v) => /物料分类的.*或名称/.test(v))).toBe(true);
});

it('dry run lists every bad row with its pointer and a translated reason, writes nothing, refuses the commit', async () => {
  const before = await customers();
  const wb = await template(dirA.token, 'customer');
  const col = (h: string) => headers(wb).indexOf(h);
  const row = (o: Record<string, unknown>) => {
    const r: unknown[] = [];
    for (const [h, v] of Object.entries(o)) r[col(h)] = v;
    return r;
  };
  const file = await fill(wb, [
    row({ '姓名 *': '张三', 性别: '男', 客户来源: '合作医院', 出生日期: '1980-05-06' }),
    row({ '姓名 *': '李四', 性别: '未说明的值' }),
    row({ 性别: '女' }),
    row({ '姓名 *': '王五', 出生日期: '去年' }),
  ]);
  const up = await upload(dirA.token, 'customer', file);
  expect(up.status).toBe(202);
  const done = await settled(dirA.token, up.body.data.id, 'checked');
  expect(done.total).toBe(4);
  const errs = done.errors.map((e: any) => `${e.row} ${e.path} ${e.message}`);
  expect(errs).toEqual([
    expect.stringMatching(/^3 \/gender “未说明的值”不在可选值中：(男、女|女、男)/),
    expect.stringMatching(/^4 \/name /),
    '5 /birthDate “去年”不是日期（例如 2026-03-01）',
  ]);
  expect(done.preview.rows.map((r: any) => r.row)).toEqual([2, 3, 4, 5]);
  expect(done.preview.columns.find((c: any) => c.field === 'gender').label).toBe('性别');
  expect(await customers()).toBe(before);
  const c = await t.api('POST', `/api/v1/imports/${done.id}/commit`, { token: dirA.token, body: {} });
  expect(c.status).toBe(409);
  expect(c.body.error.details[0].path).toBe('/status');
});

it('a clean file: the check writes nothing; the commit writes every row through the pipeline with its audit row', async () => {
  const before = await customers();
  const wb = await template(dirA.token, 'customer');
  const h = headers(wb);
  const rows = Array.from({ length: 30 }, (_, i) => {
    const r: unknown[] = [];
    r[h.indexOf('姓名 *')] = `导入客户${i}`;
    r[h.indexOf('性别')] = i % 2 ? '女' : '男';
    r[h.indexOf('联系电话')] = `1390000${String(i).padStart(4, '0')}`;
    return r;
  });
  const up = await upload(dirA.token, 'customer', await fill(wb, rows));
  const checked = await settled(dirA.token, up.body.data.id, 'checked');
  expect([checked.errorCount, checked.total]).toEqual([0, 30]);
  expect(await customers()).toBe(before);
  expect((await t.api('POST', `/api/v1/imports/${checked.id}/commit`, { token: dirA.token, body: {} })).status).toBe(202);
  const committed = await settled(dirA.token, checked.id, 'committed');
  expect(committed.imported).toBe(30);
  expect(await customers()).toBe(before + 30);
  const rec = await t.server.services.knex('customer').where({ name: '导入客户1' }).first();
  expect([rec.gender, rec.lab_id, rec.customer_code ? 'numbered' : 'none']).toEqual(['F', fx.labA, 'numbered']);
  expect(rec.phone).toMatch(/^v1:/); // encrypted by the pipeline
  const audits = await t.server.services.knex('ct_audit').where({ entity: 'customer', action: 'create', actor_id: dirA.id }).count({ n: '*' });
  expect(Number(audits[0].n)).toBeGreaterThanOrEqual(30);
});

it('references by code or name; an unknown one is a row error', async () => {
  const mk = async (code: string, name: string) => t.api('POST', '/api/v1/data/materialCategory', { token: admin, body: { code, name, kind: 'reagent' } });
  expect((await mk('RG-IMP', '导入试剂类')).status).toBe(201);
  const wb = await template(admin, 'material');
  const h = headers(wb);
  const row = (name: string, cat: string) => {
    const r: unknown[] = [];
    r[h.indexOf('物料名称 *')] = name;
    r[h.indexOf('物料分类 *')] = cat;
    r[h.indexOf('使用单位 *')] = (wb.worksheets[1].getColumn(2).values as unknown[]).filter(Boolean)[0];
    return r;
  };
  expect(h).toEqual(expect.arrayContaining(['物料名称 *', '物料分类 *', '使用单位 *']));
  const up = await upload(admin, 'material', await fill(wb, [row('胰酶', 'RG-IMP'), row('血清', '导入试剂类'), row('无名', '不存在的类别')]));
  const done = await settled(admin, up.body.data.id, 'checked');
  expect(done.errors.map((e: any) => `${e.row} ${e.path} ${e.message}`)).toEqual(['4 /category 找不到编号或名称为“不存在的类别”的物料分类']);
});

it('permissions and isolation: import is its own grant; another user\'s import does not exist for you; bad files are 400', async () => {
  expect((await t.api('GET', '/api/v1/import/customer/template', { token: fx.techA.token })).status).toBe(403);
  const wb = await template(dirA.token, 'customer');
  const file = await fill(wb, [['x']]);
  expect((await upload(fx.techA.token, 'customer', file)).status).toBe(403);
  const mine = await upload(dirA.token, 'customer', file);
  expect((await t.api('GET', `/api/v1/imports/${mine.body.data.id}`, { token: fx.techB.token })).status).toBe(404);
  const dirB = await fx.user('dirB', fx.labB, ['labDirector']);
  expect((await t.api('GET', `/api/v1/imports/${mine.body.data.id}`, { token: dirB.token })).status).toBe(404);
  expect((await t.api('POST', `/api/v1/imports/${mine.body.data.id}/commit`, { token: dirB.token, body: {} })).status).toBe(404);
  expect((await upload(dirA.token, 'customer', Buffer.from('name\nx'))).body.error.message).toBe('无法读取文件：请上传由模板填写的 .xlsx 文件');
  expect((await upload(dirA.token, 'customer', file, '?labId=1')).status).toBe(403);
  const entities = (await t.api('GET', '/api/v1/import/entities', { token: dirA.token })).body.data.map((e: any) => e.entity);
  expect(entities).toContain('customer');
  expect((await t.api('GET', '/api/v1/import/entities', { token: fx.techA.token })).body.data.map((e: any) => e.entity)).not.toContain('customer');
});

it('the CLI writes the template and imports a filled-in file all or nothing', async () => {
  const { execFile } = await import('node:child_process');
  const path = await import('node:path');
  const os = await import('node:os');
  const fs = await import('node:fs');
  const ROOT = path.resolve(__dirname, '../..');
  const cli = (args: string[]) =>
    new Promise<{ code: number; out: string }>((res) =>
      execFile(path.join(ROOT, 'node_modules/.bin/tsx'), ['platform/main.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url, CELLTRACE_DATA_KEY: process.env.CELLTRACE_DATA_KEY ?? require('../support/app').TEST_DATA_KEY, DEMO_DATA: 'false', LOG_LEVEL: 'warn' } }, (err, stdout, stderr) =>
        res({ code: err ? Number((err as any).code) : 0, out: `${stdout}${stderr}` })),
    );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-imp-cli-'));
  const tpl = path.join(dir, 'customer.xlsx');
  const made = await cli(['import', 'template', 'customer', tpl]);
  expect(made.out).toContain(`template for customer written to ${tpl}`);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(tpl);
  const h = headers(wb);
  const file = path.join(dir, 'filled.xlsx');
  const r1: unknown[] = [];
  r1[h.indexOf('姓名 *')] = 'CLI 客户甲';
  const r2: unknown[] = [];
  r2[h.indexOf('姓名 *')] = 'CLI 客户乙';
  r2[h.indexOf('性别')] = '女';
  fs.writeFileSync(file, await fill(wb, [r1, r2]));
  const code = (await t.server.services.knex('ct_org').where({ id: fx.labA }).first('code')).code;
  const r = await cli(['import', 'customer', file, '--commit', '--lab', code]);
  expect([r.code, r.out]).toEqual([0, expect.stringMatching(/imported 2 rows/)]);
  expect((await t.server.services.knex('customer').whereIn('name', ['CLI 客户甲', 'CLI 客户乙']).pluck('lab_id'))).toEqual([fx.labA, fx.labA]);
}, 90_000);

it('staff: users with org unit and roles through the admin API\'s own user service, all or none', async () => {
  expect((await t.api('GET', '/api/v1/import/staff/template', { token: fx.techA.token })).status).toBe(403);
  expect((await t.api('GET', '/api/v1/import/entities', { token: admin })).body.data.map((e: any) => e.entity)).toContain('staff');
  const wb = await template(admin, 'staff');
  expect(headers(wb)).toEqual(['用户名 *', '姓名 *', '所属机构 *', '角色', '邮箱', '初始密码 *']);
  const labCode = (await t.server.services.knex('ct_org').where({ id: fx.labA }).first('code')).code;
  const sfx = fx.sfx;
  const bad = await fill(wb, [
    [`imp.a.${sfx}`, '周一', labCode, '实验员', '', 'Imp#Passw0rd1'],
    [`imp.b.${sfx}`, '吴二', '没有这个机构', '实验员', '', 'Imp#Passw0rd1'],
    [`imp.c.${sfx}`, '郑三', labCode, '不存在的角色', '', 'Imp#Passw0rd1'],
    [`imp.a.${sfx}`, '周一重复', labCode, '', '', 'Imp#Passw0rd1'],
  ]);
  const up = await upload(admin, 'staff', bad);
  const checked = await settled(admin, up.body.data.id, 'checked');
  expect(checked.errors.map((e: any) => `${e.row} ${e.path}`)).toEqual(['3 /orgId', '4 /roles', '5 /username']);
  expect(checked.errors[0].message).toBe('找不到代码或名称为“没有这个机构”的组织机构');
  expect(await t.server.services.knex('ct_user').where('username', 'like', `imp.%.${sfx}`).count({ n: '*' }).then((r) => Number(r[0].n))).toBe(0);

  const good = await fill(await template(admin, 'staff'), [
    [`imp.a.${sfx}`, '周一', labCode, '实验员', 'a@example.com', 'Imp#Passw0rd1'],
    [`imp.b.${sfx}`, '吴二', labCode, '实验员、实验室主任', '', 'Imp#Passw0rd1'],
  ]);
  const up2 = await upload(admin, 'staff', good);
  const ok2 = await settled(admin, up2.body.data.id, 'checked');
  expect(ok2.errorCount).toBe(0);
  expect((await t.api('POST', `/api/v1/imports/${ok2.id}/commit`, { token: admin, body: {} })).status).toBe(202);
  expect((await settled(admin, ok2.id, 'committed')).imported).toBe(2);
  const b = await t.server.services.knex('ct_user').where({ username: `imp.b.${sfx}` }).first();
  expect([b.display_name, b.org_id, b.must_change_password]).toEqual(['吴二', fx.labA, true]);
  expect((await t.server.services.knex('ct_user_role').where({ user_id: b.id }).orderBy('role').pluck('role'))).toEqual(['labDirector', 'technician']);
  expect(await t.server.services.knex('ct_audit').where({ entity: 'ct_user', record_id: b.id, action: 'user.create' }).first()).toBeTruthy();
  expect((await t.api('POST', '/api/v1/auth/login', { body: { username: `imp.b.${sfx}`, password: 'Imp#Passw0rd1' } })).status).toBe(200);
});
