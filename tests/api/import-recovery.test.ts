import { hostname } from 'node:os';
import ExcelJS from 'exceljs';
import { startTestServer, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { orgFixture } from './auth-fixtures';
import { waitFor } from '../support/wait';

// Imports a crash or kill left "checking" / "committing" are found when a server starts: marked failed as
// interrupted (nothing written: a commit is one transaction), listed for their owner, and checked again on retry.
let db: { name: string; url: string };
let t: TestServer;
let fx: Awaited<ReturnType<typeof orgFixture>>;
let dir: { id: number; token: string };

beforeAll(async () => {
  db = await createDatabase('ct_imprec');
  t = await startTestServer({ databaseUrl: db.url });
  const admin = await t.login();
  fx = await orgFixture(t, admin);
  dir = await fx.user('dirRec', fx.labA, ['labDirector']);
}, 60_000);
afterAll(async () => {
  await t?.stop();
  if (db) await dropDatabase(db.name);
});

async function customerFile(names: string[]): Promise<Buffer> {
  const r = await fetch(`${t.url}/api/v1/import/customer/template`, { headers: { Authorization: `Bearer ${dir.token}` } });
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await r.arrayBuffer()) as any);
  const ws = wb.worksheets[0];
  const col = (ws.getRow(1).values as unknown[]).map(String).indexOf('姓名 *');
  names.forEach((n, i) => (ws.getCell(i + 2, col).value = n));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const upload = async (file: Buffer) => {
  const r = await t.api('POST', '/api/v1/import/customer', { token: dir.token, raw: file as any, headers: { 'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } });
  expect(r.status).toBe(202);
  return r.body.data.id as number;
};

it('a server start marks imports whose worker is gone as interrupted; a queued one and a live worker\'s stay; retry checks again', async () => {
  let knex = t.server.services.knex;
  const file = await customerFile(['恢复客户甲', '恢复客户乙']);
  const [crashed, expired, queued, live] = [await upload(file), await upload(file), await upload(file), await upload(file)];
  const jobOf = async (id: number) => Number((await knex('ct_import').where({ id }).first('job_id')).job_id);
  // As a process killed mid-check leaves them: the job claimed by a worker of this host whose pid no longer exists…
  await knex('ct_job').where({ id: await jobOf(crashed) }).update({ state: 'running', attempts: 1, locked_by: `${hostname()}:999999:deadbeef`, locked_at: knex.fn.now() });
  await knex('ct_import').where({ id: crashed }).update({ phase: 'checking', total: 2 });
  // … a commit whose worker (another host) stopped renewing its lease long ago …
  await knex('ct_job').where({ id: await jobOf(expired) }).update({ state: 'running', attempts: 1, locked_by: 'other-host:42:cafe', locked_at: knex.raw(`now() - interval '1 hour'`) });
  await knex('ct_import').where({ id: expired }).update({ status: 'committing', phase: 'writing' });
  // … and one running right now on another live process (its lease fresh): not ours to touch.
  await knex('ct_job').where({ id: await jobOf(live) }).update({ state: 'running', attempts: 1, locked_by: 'other-host:43:beef', locked_at: knex.fn.now() });

  const before = Number((await knex('customer').count({ n: '*' }))[0].n);
  await t.stop();
  t = await startTestServer({ databaseUrl: db.url });
  knex = t.server.services.knex;
  dir.token = await t.login(`dirRec-${fx.sfx}`, 'Lab#Passw0rd');

  const get = async (id: number, lang = 'zh-CN') => (await t.api('GET', `/api/v1/imports/${id}`, { token: dir.token, lang })).body.data;
  const c = await get(crashed);
  expect([c.status, c.phase, c.retryable]).toEqual(['failed', null, true]);
  expect(c.failure).toMatch(/导入被中断/);
  const e = await get(expired, 'en');
  expect([e.status, e.retryable]).toEqual(['failed', true]);
  expect((await get(queued)).status).toBe('checking');
  expect((await get(live)).status).toBe('checking');
  expect(Number((await knex('customer').count({ n: '*' }))[0].n)).toBe(before);
  // The orphaned job is failed too, so no runner starts it after the import was given up.
  expect((await knex('ct_job').where({ id: await jobOf(crashed) }).first('state')).state).toBe('failed');

  // The wizard lists the owner's recent imports (without rows or errors) to offer the retry after a restart.
  const list = await t.api('GET', '/api/v1/imports', { token: dir.token });
  expect(list.status).toBe(200);
  expect(list.body.data.filter((x: any) => x.retryable).map((x: any) => x.id).sort()).toEqual([crashed, expired].sort());
  expect(list.body.data[0].preview).toBeNull();

  // Nobody else retries it or sees it: another lab's technician gets 404 and an empty list.
  expect((await t.api('POST', `/api/v1/imports/${crashed}/retry`, { token: fx.techB.token, body: {} })).status).toBe(404);
  expect((await t.api('GET', '/api/v1/imports', { token: fx.techB.token })).body.data).toEqual([]);
  // Only a failed import is retried.
  const notFailed = await t.api('POST', `/api/v1/imports/${queued}/retry`, { token: dir.token, body: {}, lang: 'en' });
  expect([notFailed.status, notFailed.body.error.details[0].path]).toEqual([409, '/status']);

  const r = await t.api('POST', `/api/v1/imports/${crashed}/retry`, { token: dir.token, body: {} });
  expect([r.status, r.body.data.status, r.body.data.failure]).toEqual([202, 'checking', null]);
  await t.server.services.jobs.runDueOnce();
  const checked = await waitFor(async () => {
    const x = await get(crashed);
    return x.status === 'checked' && x;
  }, { timeout: 20_000, interval: 50, message: 'retried import checked' });
  expect([checked.total, checked.errorCount]).toEqual([2, 0]);
  // The superseded job of the queued import ran too (runDueOnce); the live worker's import was not run by us.
  expect((await get(live)).status).toBe('checking');
}, 60_000);
