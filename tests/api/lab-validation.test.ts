// What a lab expects the server to refuse (issue 16): a birth date in the future (x-not-future), a 5-digit or
// wrong-check-digit resident ID number (format cn-id-number, on an encrypted field), a phone that is no phone
// (cn-phone): 400 naming the field by JSON pointer, in zh-CN and en. A value stored before a rule existed does not
// block editing other fields.
import { startTestServer, type TestServer } from '../support/app';

let ts: TestServer;
let token: string;
const post = (body: Record<string, unknown>, lang = 'zh-CN') => ts.api('POST', '/api/v1/data/customer', { token, body, lang });
const tomorrow = () => {
  const d = new Date(Date.now() + 86400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

beforeAll(async () => {
  ts = await startTestServer();
  token = await ts.login();
});
afterAll(async () => {
  await ts?.stop();
});

test('a birth date in the future is refused with a translated message at /birthDate; today is fine', async () => {
  const zh = await post({ name: '未来', birthDate: tomorrow() });
  expect(zh.status).toBe(400);
  expect(zh.body.error.details).toEqual([{ path: '/birthDate', message: '不能晚于今天' }]);
  const en = await post({ name: 'Future', birthDate: tomorrow() }, 'en');
  expect(en.body.error.details).toEqual([{ path: '/birthDate', message: 'Must not be in the future' }]);
  const d = new Date();
  const today = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  expect((await post({ name: '今天', birthDate: today })).status).toBe(201);
  // Also on update, and for date-times of other past events (a QC test time).
  const c = (await post({ name: '改生日', birthDate: '1980-01-01' })).body.data;
  const upd = await ts.api('PATCH', `/api/v1/data/customer/${c.id}`, { token, body: { version: c.version, birthDate: tomorrow() } });
  expect(upd.status).toBe(400);
  expect(upd.body.error.details[0].path).toBe('/birthDate');
});

test('a resident ID number needs 18 characters with its check digit; a phone must be a mobile or a landline', async () => {
  const short = await post({ name: '短号', idNumber: '12345' });
  expect(short.status).toBe(400);
  expect(short.body.error.details).toEqual([{ path: '/idNumber', message: '不是有效的居民身份证号码（18 位，出生日期和校验码须正确）' }]);
  expect((await post({ name: 'Bad check', idNumber: '110105194912310021' }, 'en')).body.error.details).toEqual([
    { path: '/idNumber', message: 'Not a valid resident ID number (18 characters with a valid birth date and check digit)' },
  ]);
  const phone = await post({ name: '电话', phone: '12345' });
  expect(phone.status).toBe(400);
  expect(phone.body.error.details).toEqual([{ path: '/phone', message: '不是有效的电话号码（手机号 11 位，或带区号的固定电话）' }]);
  const ok = await post({ name: '张伟', idNumber: '11010519491231002X', phone: '021-62345678' });
  expect(ok.status).toBe(201);
  // Encrypted at rest, checked in clear: the stored value is ciphertext.
  const row = await ts.server.services.knex('customer').where({ id: ok.body.data.id }).first();
  expect(row.id_number).toMatch(/^v1:/);
});

test('a value stored before the rule existed stays editable around: other fields can still be changed', async () => {
  const c = (await post({ name: '老客户', idNumber: '11010519491231002X' })).body.data;
  // As an old row would be: an ID number from before the format rule, written around the pipeline.
  const { encryptValue } = await import('../../platform/auth/crypto');
  await ts.server.services.knex('customer').where({ id: c.id }).update({ id_number: encryptValue('customer.idNumber', 'OLD-123') });
  const now = (await ts.api('GET', `/api/v1/data/customer/${c.id}`, { token })).body.data;
  const upd = await ts.api('PATCH', `/api/v1/data/customer/${c.id}`, { token, body: { version: now.version, address: '新地址' } });
  expect(upd.status).toBe(200);
  // Changing the old value itself must meet the rule.
  const bad = await ts.api('PATCH', `/api/v1/data/customer/${c.id}`, { token, body: { version: upd.body.data.version, idNumber: 'OLD-124' } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details[0].path).toBe('/idNumber');
});
