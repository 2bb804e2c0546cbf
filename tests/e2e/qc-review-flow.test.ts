// The QC record review flow (metadata/qc/flows/qcRecordReview.json) start to end in Chromium: a QC
// inspector submits the record for countersign from its record page (the flow's start action as a button), every
// other QC inspector of the lab countersigns (the initiator is no candidate of its own request; one countersigns on the
// record page, one in the inbox), and the lab director releases it with an e-signature; the flow ends completed and
// the signature is shown with the record.
import { realErrors, shot, startE2E, type E2E } from './support/fixture';
import { cellbankFixture, LAB_PASSWORD, type CellbankFixture, type LabUser } from './support/cellbank';

jest.setTimeout(120_000);

let e: E2E;
let f: CellbankFixture;
let insA: LabUser;
let insB: LabUser;
let insC: LabUser;
let qc: { id: number; qcNo: string };

const flows = async () => (await f.call(e.token, 'GET', `/api/v1/inbox/records/qcRecord/${qc.id}`)).data as { instances: { status: string; state: string }[] };

beforeAll(async () => {
  e = await startE2E({ plugins: ['qc-gating', 'storage-slots'] });
  f = await cellbankFixture(e);
  const inspector = async (username: string, displayName: string): Promise<LabUser> => {
    const r = await f.call(e.token, 'POST', '/api/v1/admin/users', { username, displayName, password: LAB_PASSWORD, mustChangePassword: false, orgId: f.lab, roles: ['qcInspector'] });
    return { id: r.data.id, username, displayName, token: await e.server.login(username, LAB_PASSWORD) };
  };
  insA = await inspector('e2e-qc-a', '钱质检');
  insB = await inspector('e2e-qc-b', '孙质检');
  insC = await inspector('e2e-qc-c', '周质检');
  const r = await f.call(insA.token, 'POST', '/api/v1/data/qcRecord', { qcType: 'releaseQc', batch: f.batch.id, testedAt: new Date().toISOString(), viability: 95, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1 });
  qc = { id: r.data.id, qcNo: r.data.qcNo };
});
afterAll(async () => {
  await e?.close();
});

test('QC review: submitted from the record page, countersigned by every inspector, released with an e-signature', async () => {
  // 1. Inspector A submits it from the record page.
  const a = await e.page({ user: insA.username, password: LAB_PASSWORD });
  await a.goto(`${e.url}/record/qcRecord/${qc.id}`);
  await a.getByRole('button', { name: '提交会签' }).click();
  const submit = a.locator('.ant-modal');
  await submit.getByText('确定提交会签吗？').waitFor();
  await submit.locator('.ant-btn-primary').click();
  await submit.waitFor({ state: 'detached' });
  await a.getByText('质检记录会签（示例） · 质检员会签').waitFor();
  expect(await a.getByRole('button', { name: '提交会签' }).count()).toBe(0); // running: not offered again
  expect(await a.getByRole('button', { name: '会签同意' }).count()).toBe(0); // not a candidate of its own request
  await a.context().close();

  // 2. Inspector B countersigns on the record page, inspector C in the inbox: then the director's step begins.
  const b = await e.page({ user: insB.username, password: LAB_PASSWORD });
  await b.goto(`${e.url}/record/qcRecord/${qc.id}`);
  await b.getByRole('button', { name: '会签同意' }).click();
  const countersign = b.locator('.ant-modal');
  await b.locator('#ct-flow-comment').fill('数据核对无误');
  await countersign.locator('.ant-btn-primary').click();
  await countersign.waitFor({ state: 'detached' });
  await b.getByRole('button', { name: '会签同意' }).waitFor({ state: 'detached' });
  expect((await flows()).instances[0]).toMatchObject({ status: 'running', state: 'countersign' }); // C has not signed yet
  await b.context().close();
  const c = await e.page({ user: insC.username, password: LAB_PASSWORD });
  await c.getByRole('link', { name: '待办' }).click();
  const rowC = c.locator('.ant-table-row', { hasText: qc.qcNo });
  await rowC.getByRole('button', { name: '会签同意' }).click();
  await c.locator('.ant-modal .ant-btn-primary').click();
  await rowC.waitFor({ state: 'detached' });
  expect((await flows()).instances[0]).toMatchObject({ status: 'running', state: 'release' });
  await c.context().close();

  // 3. The lab director releases it with an e-signature in the inbox.
  const d = await e.page({ user: f.director.username, password: LAB_PASSWORD });
  await d.getByRole('link', { name: '待办' }).click();
  const rowD = d.locator('.ant-table-row', { hasText: qc.qcNo });
  await rowD.getByRole('button', { name: /^放\s*行$/ }).click();
  const release = d.locator('.ant-modal');
  await release.getByText('质检放行').waitFor();
  await d.locator('#ct-flow-password').fill(LAB_PASSWORD);
  await shot(d, 'qc-review-release');
  await release.locator('.ant-btn-primary').click();
  await release.waitFor({ state: 'detached' });
  await rowD.waitFor({ state: 'detached' });
  expect((await flows()).instances[0]).toMatchObject({ status: 'completed', state: 'released' });

  // The record shows the release signature; the initiator sees the flow completed.
  await d.goto(`${e.url}/record/qcRecord/${qc.id}`);
  const sig = d.locator('.ct-signatures');
  await sig.getByText('质检放行').waitFor();
  expect(await sig.innerText()).toContain(f.director.username);
  await d.context().close();
  const a2 = await e.page({ user: insA.username, password: LAB_PASSWORD });
  await a2.getByRole('link', { name: '待办' }).click();
  await a2.getByRole('tab', { name: '我发起的' }).click();
  await a2.locator('.ant-table-row', { hasText: qc.qcNo }).getByText('已完成').waitFor();
  await a2.context().close();
});

test('no console errors', () => {
  expect(realErrors(e.errors)).toEqual([]);
});
