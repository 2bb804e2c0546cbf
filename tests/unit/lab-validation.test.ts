// Formats and rules a lab expects (issue 16): resident ID numbers with their check digit, mainland phone numbers, and
// dates of past events not in the future. One implementation (platform/metadata/json-schema-dialect.ts) serves the
// server's ajv and the browser's validator.
import { FORMATS, isCnIdNumber, isCnPhone, isFuture } from '../../platform/metadata/json-schema-dialect';
import { createAjv } from '../../platform/metadata/ajv';
import { interpretingAjv } from '../../web/src/form/interpreter';

test('a resident ID number has 18 characters, a real birth date and its ISO 7064 MOD 11-2 check digit', () => {
  for (const ok of ['11010519491231002X', '11010519491231002x', '110101199001011237', '440524198001010013']) expect(isCnIdNumber(ok)).toBe(true);
  expect(isCnIdNumber('12345')).toBe(false); // the 5-digit number a lab typed
  expect(isCnIdNumber('110105194912310021')).toBe(false); // wrong check digit
  expect(isCnIdNumber('110101199002301230')).toBe(false); // 30 February
  expect(isCnIdNumber('110101299001011230')).toBe(false); // born in 2990
  expect(isCnIdNumber('11010519491231002')).toBe(false); // 17 characters
  expect(isCnIdNumber('01010519491231002X')).toBe(false); // no region code starts with 0
  expect(isCnIdNumber('440524188001010014')).toBe(false); // born before 1900
});

test('a phone number is a mainland mobile or a landline with its area code', () => {
  for (const ok of ['13812345678', '19912345678', '+8613812345678', '021-62345678', '01087654321', '0755-8765432', '021-62345678-123']) expect(isCnPhone(ok)).toBe(true);
  for (const bad of ['12812345678', '1381234567', '138123456789', '12345', '62345678', 'abc', '021-123']) expect(isCnPhone(bad)).toBe(false);
});

test('a date of a past event: today is fine, tomorrow is not; a date-time may be a minute ahead (clock skew)', () => {
  const now = new Date(2026, 5, 15, 12, 0, 0);
  expect(isFuture('2026-06-15', now)).toBe(false);
  expect(isFuture('2026-06-16', now)).toBe(true);
  expect(isFuture('1980-01-01', now)).toBe(false);
  expect(isFuture(new Date(now.getTime() + 30_000).toISOString(), now)).toBe(false);
  expect(isFuture(new Date(now.getTime() + 3_600_000).toISOString(), now)).toBe(true);
  expect(isFuture(undefined, now)).toBe(false);
});

test('both validators know the formats and judge alike', () => {
  const schema = { type: 'object', properties: { id: { type: 'string', format: 'cn-id-number' }, phone: { type: 'string', format: 'cn-phone' } } };
  const server = createAjv().compile(schema);
  const Web = interpretingAjv();
  const web = new Web({ strict: false }).compile(schema);
  for (const data of [{ id: '11010519491231002X', phone: '13812345678' }, { id: '12345' }, { phone: '12345' }]) expect(web(data)).toBe(server(data));
  expect(server({ id: '12345' })).toBe(false);
  expect(Object.keys(FORMATS)).toEqual(expect.arrayContaining(['cn-id-number', 'cn-phone']));
});
