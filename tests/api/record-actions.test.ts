// The record page's action buttons come from GET /data/{entity}/{id}/actions: every action a flow or plugin declares
// for the entity, offered when the record's state allows it (`when`) and the caller's role may run it; the pipeline
// refuses the same action in any other state, with a translated reason (R-3.4.5: an approved stock-out is executed).
import { startTestServer, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { cellbankFixture, LAB_PASSWORD, type CellbankFixture, type LabUser } from '../e2e/support/cellbank';
import type { E2E } from '../e2e/support/fixture';

let ts: TestServer;
let db: { name: string; url: string };
let f: CellbankFixture;
let keeper: LabUser;
let sales: LabUser;
let vials: { id: number; vialCode: string }[];

const names = async (token: string, entity: string, id: number, lang = 'zh-CN') => {
  const r = await ts.api('GET', `/api/v1/data/${entity}/${id}/actions`, { token, lang });
  expect(r.status).toBe(200);
  return r.body.data as { action: string; label: string; input: any; signature: { meaning: string } | null }[];
};

beforeAll(async () => {
  db = await createDatabase('ct_actions');
  ts = await startTestServer({ databaseUrl: db.url, plugins: ['qc-gating', 'storage-slots'] });
  const admin = await ts.login();
  f = await cellbankFixture({ server: ts, token: admin } as unknown as E2E, { releaseQc: true });
  const user = async (username: string, roles: string[]): Promise<LabUser> => {
    const r = await f.call(admin, 'POST', '/api/v1/admin/users', { username, displayName: username, password: LAB_PASSWORD, mustChangePassword: false, orgId: f.lab, roles });
    return { id: r.data.id, username, displayName: username, token: await ts.login(username, LAB_PASSWORD) };
  };
  keeper = await user('act-keeper', ['cryostorageKeeper']);
  sales = await user('act-sales', ['sales']);
  await f.call(f.tech.token, 'POST', '/api/v1/data/stockIn', { batch: f.batch.id, vialCount: 3, device: f.device.id, strategy: 'keep-together' });
  vials = (await f.call(f.tech.token, 'GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: f.batch.id }))}&sort=id`)).data;
}, 120_000);
afterAll(async () => {
  await ts?.stop();
  await dropDatabase(db.name);
});

test('an approved stock-out offers "execute" to whom may run it; before approval it is neither offered nor allowed', async () => {
  const so = (await f.call(f.tech.token, 'POST', '/api/v1/data/stockOut', { batch: f.batch.id, vials: [vials[0].id, vials[1].id], purpose: 'clinicalUse' })).data;
  // Requested: the flow's approve/reject are the director's tasks (inbox), not record buttons; execute waits.
  expect((await names(f.tech.token, 'stockOut', so.id)).map((a) => a.action)).toEqual([]);
  expect((await names(f.director.token, 'stockOut', so.id)).map((a) => a.action)).toEqual([]);
  const early = await ts.api('POST', `/api/v1/data/stockOut/${so.id}/actions/execute`, { token: f.tech.token, body: {} });
  expect(early.status).toBe(422);
  expect(early.body.error).toMatchObject({ code: 'ACTION_NOT_AVAILABLE', message: '记录当前的状态不允许执行“执行出库”' });
  const earlyEn = await ts.api('POST', `/api/v1/data/stockOut/${so.id}/actions/execute`, { token: f.tech.token, body: {}, lang: 'en' });
  expect(earlyEn.body.error.message).toBe('The record\'s current state does not allow "Execute stock-out"');

  await f.call(f.director.token, 'POST', `/api/v1/data/stockOut/${so.id}/actions/approve`, { comment: 'ok', signature: { password: LAB_PASSWORD } });
  const offered = await names(keeper.token, 'stockOut', so.id);
  expect(offered).toEqual([
    { action: 'execute', label: '执行出库', signature: null, input: expect.objectContaining({ properties: { comment: expect.objectContaining({ 'x-label': { 'zh-CN': '说明', en: 'Comment' } }) } }) },
  ]);
  expect((await names(keeper.token, 'stockOut', so.id, 'en'))[0].label).toBe('Execute stock-out');
  expect((await names(f.tech.token, 'stockOut', so.id)).map((a) => a.action)).toEqual(['execute']);
  // A role without cell-bank rights neither sees the record nor its actions.
  const other = await ts.api('GET', `/api/v1/data/stockOut/${so.id}/actions`, { token: sales.token });
  expect(other.status).toBe(403);

  // Each vial offers "thaw" while stored.
  expect((await names(keeper.token, 'cryovial', vials[0].id)).map((a) => a.action)).toEqual(['thaw']);
  await f.call(keeper.token, 'POST', `/api/v1/data/stockOut/${so.id}/actions/execute`, { comment: '临床使用' });
  expect((await f.call(keeper.token, 'GET', `/api/v1/data/stockOut/${so.id}`)).data.state).toBe('executed');
  expect(await names(keeper.token, 'stockOut', so.id)).toEqual([]);
  expect(await names(keeper.token, 'cryovial', vials[0].id)).toEqual([]); // out of storage: nothing to thaw
  expect((await names(keeper.token, 'cryovial', vials[2].id)).map((a) => a.action)).toEqual(['thaw']);
});

test('a QC record offers its flow start action until the flow runs, and the signature action with its meaning once judged', async () => {
  const qc = (await f.call(f.setup.token, 'POST', '/api/v1/data/qcRecord', { qcType: 'releaseQc', batch: f.batch.id, testedAt: new Date().toISOString(), viability: 95, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1 })).data;
  expect(qc.result).toBe('pass');
  const before = await names(f.setup.token, 'qcRecord', qc.id);
  expect(before.map((a) => a.action).sort()).toEqual(['sign', 'submit', 'submitReview']);
  expect(before.find((a) => a.action === 'submit')).toMatchObject({ label: '提交复核', signature: null });
  expect(before.find((a) => a.action === 'sign')).toMatchObject({ label: '质检员电子签名', signature: { meaning: '质检员签名 / QC inspector signature' } });
  expect(before.find((a) => a.action === 'submitReview')).toMatchObject({ label: '提交会签', signature: null });
  // The technician has no QC rights beyond reading: nothing to run.
  expect(await names(f.tech.token, 'qcRecord', qc.id)).toEqual([]);
  await f.call(f.setup.token, 'POST', `/api/v1/data/qcRecord/${qc.id}/actions/submitReview`, {});
  expect((await names(f.setup.token, 'qcRecord', qc.id)).map((a) => a.action).sort()).toEqual(['sign', 'submit']);
  const signed = await ts.api('POST', `/api/v1/data/qcRecord/${qc.id}/actions/sign`, { token: f.setup.token, body: { signature: { password: LAB_PASSWORD } } });
  expect(signed.status).toBe(200);
  // Signed; the review (submit → approve by a second person) is still open to it.
  expect((await names(f.setup.token, 'qcRecord', qc.id)).map((a) => a.action)).toEqual(['submit']);
});
