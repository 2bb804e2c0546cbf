import { startTestServer, type TestServer } from '../support/app';
import { orgFixture } from './auth-fixtures';

let t: TestServer;
let admin: string;
let fx: Awaited<ReturnType<typeof orgFixture>>;

beforeAll(async () => {
  t = await startTestServer();
  admin = await t.login();
  fx = await orgFixture(t, admin);
});
afterAll(() => t.stop());

const csv = (name: string) => Buffer.from(`name,phone\r\n${name},13800000000\r\n`);
const upload = (token: string, body: Buffer) =>
  t.api('POST', '/api/v1/data/customer/import?format=csv', { token, raw: body as any, headers: { 'Content-Type': 'text/csv' } });

it('import needs the import action on the entity, not only create', async () => {
  const count = async (name: string) => Number((await t.server.services.knex('customer').where({ name }).count({ n: '*' }))[0].n);
  // A technician may create customers but has no import grant.
  const name = `Imp ${fx.sfx}`;
  const denied = await upload(fx.techA.token, csv(name));
  expect([denied.status, denied.body.error.code]).toEqual([403, 'FORBIDDEN']);
  expect(await count(name)).toBe(0);
  // A lab director ('*' on the lab's entities) may import; the rows go through the pipeline (encrypted phone).
  const dir = await fx.user('dirA', fx.labA, ['labDirector']);
  expect(dir.token).toBeTruthy();
  const ok = await upload(dir.token, csv(name));
  expect([ok.status, ok.body.imported]).toEqual([200, 1]);
  expect(await count(name)).toBe(1);
  const row = await t.server.services.knex('customer').where({ name }).first();
  expect(row.phone).toMatch(/^v1:/);
  expect(row.lab_id).toBe(fx.labA);
});
