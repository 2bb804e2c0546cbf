import ExcelJS from 'exceljs';
import { startTestServer, type TestServer } from '../support/app';

/**
 * Bad input anywhere is a 4xx naming the parameter (issue 10): broken percent-encoding and NUL characters in
 * query parameters, headers, the login name and static paths, absurdly deep JSON, and offsets beyond bigint.
 * Each of these answered 500 before.
 */

let t: TestServer;
let token: string;
beforeAll(async () => {
  t = await startTestServer();
  token = await t.login();
});
afterAll(() => t?.stop());

const api = (m: string, p: string, o: Parameters<TestServer['api']>[2] = {}) => t.api(m, p, { token, ...o });
const customers = async () => Number((await t.server.services.knex('customer').count({ n: '*' }).first())?.n ?? 0);

/** A 400 (or the given status) whose first detail names `path`, with a reason in both languages. */
async function expectRefused(m: string, p: string, o: Parameters<TestServer['api']>[2], path: string | RegExp, status = 400) {
  const zh = await api(m, p, { ...o, lang: 'zh-CN' });
  expect({ status: zh.status, p }).toEqual({ status, p });
  expect(zh.body.error.details[0].path).toEqual(typeof path === 'string' ? path : expect.stringMatching(path));
  const en = await api(m, p, { ...o, lang: 'en' });
  expect(en.status).toBe(status);
  expect(en.body.error.details[0].message).not.toBe(zh.body.error.details[0].message);
  expect(en.body.error.details[0].message).not.toMatch(/^error\./); // translated, not a bare key
  return { zh: zh.body.error, en: en.body.error };
}

describe('query parameters', () => {
  const BROKEN = ['%00', '%E0%A4%A', '%zz', 'a%00b', '%C0%AF'];
  it.each(['filter', 'sort', 'fields', 'limit', 'offset', 'after', 'expand', 'count'])('%s with NUL or broken percent-encoding is a 400 naming it', async (param) => {
    for (const raw of BROKEN) await expectRefused('GET', `/api/v1/data/customer?${param}=${raw}`, {}, `/${param}`);
  });

  it('says what is wrong in the caller\'s language', async () => {
    const { zh, en } = await expectRefused('GET', '/api/v1/data/customer?sort=%E0%A4%A', {}, '/sort');
    expect(en.details[0].message).toBe('sort is not valid percent-encoded UTF-8');
    expect(zh.details[0].message).toContain('编码不正确');
    expect((await expectRefused('GET', '/api/v1/data/customer?sort=%00', {}, '/sort')).en.details[0].message).toBe('sort must not contain NUL characters (\\0)');
  });

  it('a NUL escaped inside the filter JSON is refused at its pointer', async () => {
    const f = encodeURIComponent(JSON.stringify({ name: { startsWith: 'a\u0000' } }));
    await expectRefused('GET', `/api/v1/data/customer?filter=${f}`, {}, '/filter/name/startsWith');
  });

  it('every route is guarded, not only the data routes', async () => {
    await expectRefused('GET', '/api/v1/admin/users?q=%00', {}, '/q');
    await expectRefused('GET', '/api/v1/admin/audit?entity=%E0%A4%A', {}, '/entity');
    await expectRefused('GET', '/api/v1/inbox/tasks?box=%00', {}, '/box');
  });

  it('well-formed encodings still pass', async () => {
    const r = await api('GET', `/api/v1/data/customer?filter=${encodeURIComponent(JSON.stringify({ name: { contains: '50% 张' } }))}&sort=-name`);
    expect(r.status).toBe(200);
  });
});

describe('huge offsets and limits', () => {
  const HUGE = ['99999999999999999999', '1e30', '9223372036854775808', '-1', '1.5'];
  it.each(['/api/v1/data/customer', '/api/v1/inbox/tasks', '/api/v1/inbox/initiated', '/api/v1/inbox/notifications', '/api/v1/admin/users'])('%s refuses them naming the parameter', async (route) => {
    for (const v of HUGE) {
      const r = await expectRefused('GET', `${route}?offset=${v}`, {}, '/offset');
      expect(r.en.details[0].message).toContain('offset must be an integer');
    }
    await expectRefused('GET', `${route}?limit=99999999999999999999`, {}, '/limit');
  });

  it('a big but representable offset is simply past the end', async () => {
    const r = await api('GET', '/api/v1/data/customer?offset=9007199254740991');
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([]);
  });
});

describe('headers', () => {
  it('X-Change-Reason with NUL or broken encoding is a 400 naming the header, and nothing is written', async () => {
    const before = await customers();
    for (const reason of ['%E0%A4%A', '%00', 'ok%zz']) {
      await expectRefused('POST', '/api/v1/data/customer', { body: { name: 'reason' }, headers: { 'X-Change-Reason': reason } }, '/headers/x-change-reason');
    }
    expect(await customers()).toBe(before);
    const ok = await api('POST', '/api/v1/data/customer', { body: { name: 'reason' }, headers: { 'X-Change-Reason': encodeURIComponent('新客户 100%') } });
    expect(ok.status).toBe(201);
    const audit = await t.server.services.knex('ct_audit').where({ entity: 'customer', record_id: ok.body.data.id }).first('reason');
    expect(audit.reason).toBe('新客户 100%');
  });

  it('X-Change-Reason on an admin route is checked the same way, and the user is not created', async () => {
    await expectRefused('POST', '/api/v1/admin/users', { body: { username: 'reason1', displayName: 'x', password: 'Passw0rd#long' }, headers: { 'X-Change-Reason': '%E0%A4%A' } }, '/headers/x-change-reason');
    expect(await t.server.services.knex('ct_user').where({ username: 'reason1' }).first()).toBeUndefined();
  });

  it('X-File-Name with NUL or broken encoding is a 400 naming the header', async () => {
    for (const name of ['%E0%A4%A', 'a%00.png']) {
      await expectRefused('POST', '/api/v1/files', { raw: 'abc', headers: { 'Content-Type': 'text/plain', 'X-File-Name': name } }, '/headers/x-file-name');
    }
    const ok = await api('POST', '/api/v1/files', { raw: 'abc', headers: { 'Content-Type': 'text/plain', 'X-File-Name': encodeURIComponent('报告/1.txt') } });
    expect(ok.status).toBe(201);
    expect(ok.body.data.name).toBe('报告_1.txt');
  });
});

describe('JSON bodies', () => {
  it('a NUL in the login name is a 400 naming /username', async () => {
    await expectRefused('POST', '/api/v1/auth/login', { token: undefined, body: { username: 'ad\u0000min', password: 'x' } }, '/username');
  });

  it('a NUL in a record value is a 400 naming the field, and nothing is written', async () => {
    const before = await customers();
    const r = await expectRefused('POST', '/api/v1/data/customer', { body: { name: 'a\u0000b' } }, '/name');
    expect(r.en.details[0].message).toContain('NUL');
    expect(await customers()).toBe(before);
  });

  it('a 5,000-deep value is a 400, on records and on metadata', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const json = { 'Content-Type': 'application/json' };
    const r = await expectRefused('POST', '/api/v1/data/customer', { raw: `{"name":${deep}}`, headers: json }, /^\/name(\/0)+$/);
    expect(r.en.details[0].message).toBe('Nested too deeply (at most 64 levels)');
    // A deep menu used to exhaust the stack in the meta-schema validator.
    const item = '{"key":"k","label":{"zh-CN":"a","en":"b"},"children":[';
    const menu = `{"definition":{"$id":"orders","label":{"zh-CN":"a","en":"b"},"items":[${item.repeat(3000)}${']}'.repeat(3000)}]},"reason":"x"}`;
    await expectRefused('PUT', '/api/v1/meta/menu/orders', { raw: menu, headers: json }, /^\/definition\/items\//);
  });
});

describe('paths', () => {
  it.each(['/assets/%E0%A4%A', '/%00', '/assets/a%00.js', '/customers/%zz'])('static path %s is a 404', async (p) => {
    const r = await api('GET', p);
    expect(r.status).toBe(404);
    expect(r.body.error.details[0].path).toBe('/path');
  });

  it('an API path that does not decode is a 404', async () => {
    expect((await api('GET', '/api/v1/data/%E0%A4%A')).status).toBe(404);
    expect((await api('GET', '/api/v1/data/customer%00')).status).toBe(404);
  });
});

describe('export neutralises formula cells (OWASP CSV injection)', () => {
  const FORMULA = '=HYPERLINK("http://x","y")';
  const download = async (p: string) => {
    const r = await fetch(t.url + p, { headers: { Authorization: `Bearer ${token}`, 'Accept-Language': 'en' } });
    expect(r.status).toBe(200);
    return Buffer.from(await r.arrayBuffer());
  };
  const sheet = async (buf: Buffer) => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as any);
    const ws = wb.worksheets[0];
    const header = (ws.getRow(1).values as unknown[]).slice(1);
    return { header, rows: ws.getRows(2, ws.rowCount - 1)!.map((r) => Object.fromEntries(header.map((h, i) => [h, r.getCell(i + 1).value]))) };
  };

  it('a customer named =HYPERLINK(…) comes out with a leading quote in CSV and XLSX', async () => {
    const c = await api('POST', '/api/v1/data/customer', { body: { name: FORMULA, address: '@SUM(A1)', remarks: '\tcmd' } });
    expect(c.status).toBe(201);
    const q = `filter=${encodeURIComponent(JSON.stringify({ id: c.body.data.id }))}&fields=id,name,address,remarks`;
    const csv = (await download(`/api/v1/data/customer/export?format=csv&${q}`)).toString('utf8');
    const line = csv.split('\r\n')[1];
    expect(line).toBe(`${c.body.data.id},"'=HYPERLINK(""http://x"",""y"")",'@SUM(A1),'\tcmd`);
    const { rows } = await sheet(await download(`/api/v1/data/customer/export?format=xlsx&${q}`));
    expect(rows).toEqual([{ ID: c.body.data.id, Name: `'${FORMULA}`, Address: "'@SUM(A1)", Remarks: "'\tcmd" }]);
    // The record itself is unchanged.
    expect((await api('GET', `/api/v1/data/customer/${c.body.data.id}`)).body.data.name).toBe(FORMULA);
  });

  it('numbers stay numbers, text that looks like a negative number is text', async () => {
    const ct = await api('POST', '/api/v1/data/containerType', { body: { code: 'INJ1', name: '+1', level: 'box', rows: 9, cols: 9, prefix: '-1' } });
    expect(ct.status).toBe(201);
    const q = `filter=${encodeURIComponent(JSON.stringify({ code: 'INJ1' }))}&fields=code,name,rows,prefix`;
    const { rows } = await sheet(await download(`/api/v1/data/containerType/export?format=xlsx&${q}`));
    expect(rows).toEqual([{ 'Type code': 'INJ1', Name: "'+1", Rows: 9, 'Code prefix': "'-1" }]);
    const csv = (await download(`/api/v1/data/containerType/export?format=csv&${q}`)).toString('utf8');
    expect(csv.split('\r\n')[1]).toBe("INJ1,'+1,9,'-1");
  });
});

describe('metadata: an entity schema with an unknown keyword is refused at save', () => {
  it('PUT of an entity overlay with "minimun" is a 400 naming the pointer; the entity keeps working', async () => {
    const def = (await api('GET', '/api/v1/meta/entity/customer')).body.data;
    def.properties.name.minimun = 1;
    const r = await expectRefused('PUT', '/api/v1/meta/entity/customer', { body: { definition: def, reason: 'typo' } }, '/definition/properties/name/minimun');
    expect(r.en.details[0].message).toBe('Unknown JSON Schema keyword: minimun');
    expect(r.zh.details[0].message).toBe('未知的 JSON Schema 关键字：minimun');
    expect((await api('GET', '/api/v1/meta/entity/customer')).body.data.properties.name.minimun).toBeUndefined();
    expect((await api('POST', '/api/v1/data/customer', { body: { name: 'after typo' } })).status).toBe(201);
  });
});
