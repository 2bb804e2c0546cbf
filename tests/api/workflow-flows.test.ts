import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { startTestServer, type TestServer } from '../support/app';
import { waitFor } from '../support/wait';
import { createDatabase, dropDatabase } from '../support/pg';
import { loadConfig } from '../../platform/config';
import { discoverPlugins } from '../../platform/plugins/host';
import { registerKindsFor } from '../../platform/server';
import { loadMetadataFiles, crossCheck } from '../../platform/metadata/loader';
import { validateDefinition } from '../../platform/metadata/registry';

/*
 * Approval flows and the inbox against real PostgreSQL. Own database: the tests publish flow overlays, which would
 * leak into other suites' servers through ct_meta_overlay. Metadata: tests/fixtures/workflow only (entity wfDoc,
 * flows chosen by wfDoc.kind, three roles).
 */
const PASSWORD = 'Lab#Passw0rd';
const ENV = { METADATA_DIRS: 'tests/fixtures/workflow' };
let db: { name: string; url: string };
let t: TestServer;
let admin: string;
type U = { id: number; username: string; token: string };
const u: Record<string, U> = {};
let labA = 0;

async function ok(r: { status: number; body: any }, status = 200) {
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function setupUsers() {
  const org = async (kind: string, code: string, parentId: number | null) =>
    (await ok(await t.api('POST', '/api/v1/admin/orgs', { token: admin, body: { kind, code, name: code, parentId } }), 201)).data.id as number;
  const company = await org('company', 'WFCO', null);
  const centre = await org('centre', 'WFCX', company);
  labA = await org('lab', 'WFLA', centre);
  const labB = await org('lab', 'WFLB', centre);
  const user = async (key: string, orgId: number, roles: string[]) => {
    const username = `wf-${key}`;
    const r = await ok(await t.api('POST', '/api/v1/admin/users', { token: admin, body: { username, displayName: key, password: PASSWORD, mustChangePassword: false, orgId, roles } }), 201);
    u[key] = { id: r.data.id, username, token: await t.login(username, PASSWORD) };
  };
  await user('req', labA, ['wfRequester']);
  for (const a of ['a1', 'a2', 'a3']) await user(a, labA, ['wfApprover']);
  await user('dirA', labA, ['wfDirector']);
  await user('dirB', labB, ['wfDirector']);
  await user('alice', labA, []);
}

const create = async (body: Record<string, unknown>) => (await ok(await t.api('POST', '/api/v1/data/wfDoc', { token: u.req.token, body }), 201)).data;
const get = async (id: number) => (await ok(await t.api('GET', `/api/v1/data/wfDoc/${id}`, { token: admin }))).data;
const pending = async (who: U) => (await ok(await t.api('GET', '/api/v1/inbox/tasks', { token: who.token }))).data as any[];
const taskOn = async (who: U, recordId: number) => (await pending(who)).find((x) => x.recordId === recordId);
const act = (who: U, taskId: number, body: Record<string, unknown>, lang?: string) => t.api('POST', `/api/v1/inbox/tasks/${taskId}/act`, { token: who.token, body, lang });
const audit = async (recordId: number) => (await t.server.services.knex('ct_audit').where({ entity: 'wfDoc', record_id: recordId }).orderBy('id')) as any[];

beforeAll(async () => {
  db = await createDatabase('ct_wf');
  t = await startTestServer({ databaseUrl: db.url, plugins: [], env: ENV });
  admin = await t.login();
  await setupUsers();
}, 120_000);

afterAll(async () => {
  await t?.stop();
  if (db) await dropDatabase(db.name);
});

test('R-3.7.5 any-of with three approvers: the first approval decides, the others are closed (409)', async () => {
  const doc = await create({ title: 'any-1', kind: 'any', amount: 10 });
  expect(doc.state).toBe('review');
  const tasks = await Promise.all(['a1', 'a2', 'a3'].map((k) => taskOn(u[k], doc.id)));
  expect(tasks.every(Boolean)).toBe(true);
  expect(tasks[0]).toMatchObject({ kind: 'approval', state: 'review', mode: 'any', title: 'any-1', summary: { amount: 10 } });
  expect(tasks[0].actions.map((a: any) => a.action).sort()).toEqual(['approve', 'reject']);
  const counts = (await ok(await t.api('GET', '/api/v1/inbox/counts', { token: u.a1.token }))).data;
  expect(counts.pending).toBeGreaterThanOrEqual(1);

  const r = await ok(await act(u.a2, tasks[1].id, { action: 'approve', comment: 'fine' }));
  expect(r.data.record.state).toBe('approved');
  expect(r.data.task.status).toBe('approved');
  const late = await act(u.a1, tasks[0].id, { action: 'approve' });
  expect(late.status).toBe(409);
  expect(late.body.error.code).toBe('TASK_CLOSED');
  expect(await taskOn(u.a3, doc.id)).toBeUndefined();
  const done = (await ok(await t.api('GET', '/api/v1/inbox/tasks?box=done', { token: u.a2.token }))).data;
  expect(done.some((x: any) => x.recordId === doc.id && x.action === 'approve' && x.comment === 'fine')).toBe(true);
  const initiated = (await ok(await t.api('GET', '/api/v1/inbox/initiated', { token: u.req.token }))).data;
  expect(initiated.find((x: any) => x.recordId === doc.id)).toMatchObject({ status: 'completed', state: 'approved', flow: { id: 'wfAny', version: 0 } });
  const notes = (await ok(await t.api('GET', '/api/v1/inbox/notifications', { token: u.req.token }))).data;
  expect(notes.some((n: any) => n.kind === 'outcome' && n.recordId === doc.id)).toBe(true);
  // The state field is readOnly for everyone else.
  const patch = await t.api('PATCH', `/api/v1/data/wfDoc/${doc.id}`, { token: admin, body: { state: 'review', version: (await get(doc.id)).version } });
  expect(patch.status).toBe(400);
});

test('a user who is not a candidate gets 403', async () => {
  const doc = await create({ title: 'any-403', kind: 'any', amount: 1 });
  const task = await taskOn(u.a1, doc.id);
  const r = await act(u.req, task.id, { action: 'approve' });
  expect(r.status).toBe(403);
  const viaPipeline = await t.api('POST', `/api/v1/data/wfDoc/${doc.id}/actions/approve`, { token: u.dirA.token, body: {} });
  expect(viaPipeline.status).toBe(403); // dirA may call 'approve' on wfDoc, but has no task in this flow
  expect((await get(doc.id)).state).toBe('review');
});

test('guard refusal carries the translated reason; reject needs a comment', async () => {
  const doc = await create({ title: 'any-big', kind: 'any', amount: 5000 });
  const task = await taskOn(u.a1, doc.id);
  const en = await act(u.a1, task.id, { action: 'approve' }, 'en');
  expect(en.status).toBe(422);
  expect(en.body.error.code).toBe('GUARD_REFUSED');
  expect(en.body.error.message).toBe("Not allowed: Amounts over 1000 need the director's approval");
  const zh = await act(u.a1, task.id, { action: 'approve' }, 'zh-CN');
  expect(zh.body.error.message).toBe('无法执行：金额超过 1000 需走主任审批');
  const noComment = await act(u.a1, task.id, { action: 'reject' });
  expect(noComment.status).toBe(400);
  expect(noComment.body.error.details[0].path).toBe('/comment');
  const r = await ok(await act(u.a1, task.id, { action: 'reject', comment: 'too expensive' }));
  expect(r.data.record.state).toBe('rejected');
  const inst = (await ok(await t.api('GET', `/api/v1/inbox/records/wfDoc/${doc.id}`, { token: admin }))).data.instances[0];
  expect(inst.status).toBe('rejected');
});

test('all-of with three approvers: every approval is needed; one rejection ends it', async () => {
  const doc = await create({ title: 'all-1', kind: 'all' });
  for (const k of ['a1', 'a2']) {
    await ok(await act(u[k], (await taskOn(u[k], doc.id)).id, { action: 'approve' }));
    expect((await get(doc.id)).state).toBe('review');
  }
  const r = await ok(await act(u.a3, (await taskOn(u.a3, doc.id)).id, { action: 'approve' }));
  expect(r.data.record.state).toBe('approved');

  const doc2 = await create({ title: 'all-2', kind: 'all' });
  await ok(await act(u.a1, (await taskOn(u.a1, doc2.id)).id, { action: 'approve' }));
  const a3task = await taskOn(u.a3, doc2.id);
  await ok(await act(u.a2, (await taskOn(u.a2, doc2.id)).id, { action: 'reject' }));
  expect((await get(doc2.id)).state).toBe('rejected');
  expect((await act(u.a3, a3task.id, { action: 'approve' })).status).toBe(409);
});

test('return to an earlier step, org relation (director of the record lab), e-signature', async () => {
  const doc = await create({ title: 'two-1', kind: 'two' });
  await ok(await act(u.a1, (await taskOn(u.a1, doc.id)).id, { action: 'approve' }));
  expect((await get(doc.id)).state).toBe('review2');
  expect(await taskOn(u.dirB, doc.id)).toBeUndefined(); // director of another lab
  const dTask = await taskOn(u.dirA, doc.id);
  expect(dTask.actions.find((a: any) => a.action === 'approve').signature).toEqual({ meaning: '批准' });
  expect((await act(u.dirA, dTask.id, { action: 'sendBack' })).status).toBe(400);
  await ok(await act(u.dirA, dTask.id, { action: 'sendBack', comment: 'recount' }));
  expect((await get(doc.id)).state).toBe('review');
  // Back in the first step: fresh tasks for all three approvers.
  for (const k of ['a1', 'a2', 'a3']) expect(await taskOn(u[k], doc.id)).toBeDefined();
  await ok(await act(u.a3, (await taskOn(u.a3, doc.id)).id, { action: 'approve' }));
  const d2 = await taskOn(u.dirA, doc.id);
  const noSig = await act(u.dirA, d2.id, { action: 'approve' });
  expect(noSig.status).toBe(400);
  expect(noSig.body.error.code).toBe('SIGNATURE_REQUIRED');
  const badSig = await act(u.dirA, d2.id, { action: 'approve', signature: { password: 'wrong' } });
  expect(badSig.body.error.code).toBe('SIGNATURE_FAILED');
  expect((await get(doc.id)).state).toBe('review2');
  // The director has the 'approve' permission, so the pipeline action works as well as the inbox.
  const r = await ok(await t.api('POST', `/api/v1/data/wfDoc/${doc.id}/actions/approve`, { token: u.dirA.token, body: { signature: { password: PASSWORD } } }));
  expect(r.data.state).toBe('approved');
  const sigs = await t.server.services.knex('ct_signature').where({ entity: 'wfDoc', record_id: doc.id });
  expect(sigs).toHaveLength(1);
  expect(sigs[0]).toMatchObject({ meaning: '批准', username: u.dirA.username, action: 'approve' });
  const actions = (await audit(doc.id)).map((a) => a.action);
  expect(actions).toEqual(expect.arrayContaining(['flow:start', 'flow:sendBack', 'flow:approve', 'action:approve', 'signature', 'flow:transition']));
});

test('sequential: one approver after the other, in the order of the assignee specs', async () => {
  const doc = await create({ title: 'seq-1', kind: 'seq', owner: u.alice.id });
  expect(await taskOn(u.dirA, doc.id)).toBeUndefined();
  await ok(await act(u.alice, (await taskOn(u.alice, doc.id)).id, { action: 'approve' }));
  await ok(await act(u.dirA, (await taskOn(u.dirA, doc.id)).id, { action: 'approve' }));
  expect((await get(doc.id)).state).toBe('review');
  const r = await ok(await act(u.dirB, (await taskOn(u.dirB, doc.id)).id, { action: 'approve' }));
  expect(r.data.record.state).toBe('approved');
});

test('two approvers acting at once: one wins, the other gets 409', async () => {
  for (let i = 0; i < 3; i++) {
    const doc = await create({ title: `race-${i}`, kind: 'any', amount: 1 });
    const [t1, t2] = await Promise.all([taskOn(u.a1, doc.id), taskOn(u.a2, doc.id)]);
    const rs = await Promise.all([act(u.a1, t1.id, { action: 'approve' }), act(u.a2, t2.id, { action: 'approve' })]);
    expect(rs.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await get(doc.id)).state).toBe('approved');
  }
  // The same task twice at once.
  const doc = await create({ title: 'race-same', kind: 'all' });
  const t3 = await taskOn(u.a3, doc.id);
  const rs = await Promise.all([act(u.a3, t3.id, { action: 'approve' }), act(u.a3, t3.id, { action: 'approve' })]);
  expect(rs.map((r) => r.status).sort()).toEqual([200, 409]);
});

test('delegation and reassignment are audited; withdrawal only by the initiator', async () => {
  const doc = await create({ title: 'deleg-1', kind: 'any', amount: 1 });
  const mine = await taskOn(u.a1, doc.id);
  expect((await t.api('POST', `/api/v1/inbox/tasks/${mine.id}/delegate`, { token: u.a2.token, body: { to: u.alice.username } })).status).toBe(403);
  const moved = await ok(await t.api('POST', `/api/v1/inbox/tasks/${mine.id}/delegate`, { token: u.a1.token, body: { to: u.alice.username, comment: 'on leave' } }));
  expect(moved.data).toMatchObject({ assignee: { id: u.alice.id }, delegatedFrom: u.a1.id });
  expect(await taskOn(u.a1, doc.id)).toBeUndefined();
  const del = (await audit(doc.id)).find((a) => a.action === 'flow:delegate');
  expect(del).toMatchObject({ actor_id: u.a1.id, reason: 'on leave' });
  expect(del.changes).toMatchObject({ task: mine.id, from: u.a1.id, to: u.alice.id });
  // Reassign: not by an approver; by an administrator.
  const other = await taskOn(u.a2, doc.id);
  expect((await t.api('POST', `/api/v1/inbox/tasks/${other.id}/reassign`, { token: u.a3.token, body: { to: u.dirA.id } })).status).toBe(403);
  await ok(await t.api('POST', `/api/v1/inbox/tasks/${other.id}/reassign`, { token: admin, body: { to: u.dirA.id } }));
  expect((await audit(doc.id)).some((a) => a.action === 'flow:reassign' && a.changes.to === u.dirA.id)).toBe(true);
  const r = await ok(await act(u.alice, mine.id, { action: 'approve' }));
  expect(r.data.record.state).toBe('approved');

  const doc2 = await create({ title: 'withdraw-1', kind: 'any', amount: 1 });
  const inst = (await ok(await t.api('GET', '/api/v1/inbox/initiated', { token: u.req.token }))).data.find((x: any) => x.recordId === doc2.id);
  expect((await t.api('POST', `/api/v1/inbox/instances/${inst.id}/withdraw`, { token: u.a1.token, body: {} })).status).toBe(403);
  const w = await ok(await t.api('POST', `/api/v1/inbox/instances/${inst.id}/withdraw`, { token: u.req.token, body: { comment: 'not needed' } }));
  expect(w.data).toMatchObject({ status: 'withdrawn', state: 'withdrawn' });
  expect((await get(doc2.id)).state).toBe('withdrawn');
  expect(await taskOn(u.a1, doc2.id)).toBeUndefined();
});

test('start by action; a candidate without the pipeline permission acts from the inbox', async () => {
  const doc = await create({ title: 'manual-1', kind: 'manual' });
  expect(doc.state ?? null).toBeNull();
  const s = await ok(await t.api('POST', `/api/v1/data/wfDoc/${doc.id}/actions/submit`, { token: u.req.token, body: {} }));
  expect(s.data.state).toBe('review');
  expect((await t.api('POST', `/api/v1/data/wfDoc/${doc.id}/actions/submit`, { token: u.req.token, body: {} })).status).toBe(409);
  const task = await taskOn(u.alice, doc.id);
  expect((await t.api('POST', `/api/v1/data/wfDoc/${doc.id}/actions/approve`, { token: u.alice.token, body: {} })).status).toBe(403);
  const r = await ok(await act(u.alice, task.id, { action: 'approve' }));
  expect(r.data.record.state).toBe('approved');
});

test('assignment: the assign action puts a task in the assignee inbox; reassigning moves it', async () => {
  const doc = await create({ title: 'plain-1', kind: 'plain' });
  await ok(await t.api('POST', `/api/v1/data/wfDoc/${doc.id}/actions/assign`, { token: u.req.token, body: { assignee: u.a1.id } }));
  const t1 = await taskOn(u.a1, doc.id);
  expect(t1).toMatchObject({ kind: 'assign', actions: [{ action: 'complete' }] });
  await ok(await t.api('POST', `/api/v1/data/wfDoc/${doc.id}/actions/assign`, { token: u.req.token, body: { assignee: u.a2.username } }));
  expect(await taskOn(u.a1, doc.id)).toBeUndefined();
  const t2 = await taskOn(u.a2, doc.id);
  expect(t2.delegatedFrom).toBe(u.a1.id);
  expect((await get(doc.id)).technician).toBe(u.a2.id);
  // Reassign from the inbox moves the field too.
  const t3 = (await ok(await t.api('POST', `/api/v1/inbox/tasks/${t2.id}/reassign`, { token: admin, body: { to: u.a3.id } }))).data;
  expect(t3.assignee.id).toBe(u.a3.id);
  expect((await get(doc.id)).technician).toBe(u.a3.id);
  expect((await t.api('POST', `/api/v1/inbox/tasks/${t3.id}/complete`, { token: u.a2.token, body: {} })).status).toBe(403);
  const done = await ok(await t.api('POST', `/api/v1/inbox/tasks/${t3.id}/complete`, { token: u.a3.token, body: { comment: 'done' } }));
  expect(done.data.status).toBe('done');
  const actions = (await audit(doc.id)).map((a) => a.action);
  expect(actions).toEqual(expect.arrayContaining(['action:assign', 'flow:assign', 'flow:reassign', 'flow:complete']));
});

test('publishing a new flow version never changes running instances', async () => {
  const running = await create({ title: 'ver-old', kind: 'all' });
  const def = JSON.parse(JSON.stringify(t.server.services.meta.definition('flow', 'wfAll')));
  def.states.review.mode = 'any';
  await ok(await t.api('PUT', '/api/v1/meta/flow/wfAll', { token: admin, body: { definition: def, reason: 'one approval is enough' } }));
  await ok(await act(u.a1, (await taskOn(u.a1, running.id)).id, { action: 'approve' }));
  expect((await get(running.id)).state).toBe('review'); // still countersign: the instance kept version 0

  const fresh = await create({ title: 'ver-new', kind: 'all' });
  await ok(await act(u.a1, (await taskOn(u.a1, fresh.id)).id, { action: 'approve' }));
  expect((await get(fresh.id)).state).toBe('approved');
  const mine = (await ok(await t.api('GET', '/api/v1/inbox/initiated', { token: u.req.token }))).data;
  expect(mine.find((x: any) => x.recordId === running.id).flow.version).toBe(0);
  expect(mine.find((x: any) => x.recordId === fresh.id).flow.version).toBe(1);
  for (const k of ['a2', 'a3']) await ok(await act(u[k], (await taskOn(u[k], running.id)).id, { action: 'approve' }));
  expect((await get(running.id)).state).toBe('approved');
});

test('reminders and escalations missed while the server was down run after restart', async () => {
  const doc = await create({ title: 'due-1', kind: 'due', owner: u.a1.id });
  const task = await taskOn(u.a1, doc.id);
  expect(task.dueAt).toBeTruthy();
  const jobs = await t.server.services.knex('ct_job').whereIn('name', ['workflow.remind', 'workflow.escalate']).where('key', 'like', `%:${task.id}`);
  expect(jobs).toHaveLength(2);
  const dueBy = new Date(Math.max(...jobs.map((j: any) => new Date(j.run_at).getTime()), new Date(task.dueAt).getTime()));
  await t.stop();
  // "Downtime": the server stays down until the database clock has passed the reminder, the escalation and the due time.
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  try {
    await waitFor(async () => (await pg.query('select now() > $1::timestamptz as past', [dueBy])).rows[0].past, { timeout: 15_000, interval: 100 });
  } finally {
    await pg.end();
  }
  t = await startTestServer({ databaseUrl: db.url, plugins: [], env: ENV });
  expect(await t.server.services.jobs.runDueOnce()).toBeGreaterThanOrEqual(2);
  const token = await t.login(u.a1.username, PASSWORD);
  const notes = (await ok(await t.api('GET', '/api/v1/inbox/notifications?unread=true', { token }))).data;
  expect(notes.some((n: any) => n.kind === 'reminder' && n.taskId === task.id)).toBe(true);
  const dirNotes = (await ok(await t.api('GET', '/api/v1/inbox/notifications', { token: await t.login(u.dirA.username, PASSWORD) }))).data;
  expect(dirNotes.some((n: any) => n.kind === 'escalation' && n.taskId === task.id)).toBe(true);
  const counts = (await ok(await t.api('GET', '/api/v1/inbox/counts', { token }))).data;
  expect(counts.overdue).toBeGreaterThanOrEqual(1);
  expect((await audit(doc.id)).some((a) => a.action === 'flow:escalate')).toBe(true);
});

test('the shipped flows are valid against the shipped metadata (and the parked stock-out flow too)', () => {
  const root = path.resolve(__dirname, '../..');
  const config = loadConfig({ ...process.env, DATABASE_URL: 'postgres://x/y' }, root);
  registerKindsFor(discoverPlugins(config.pluginsDir));
  const files = loadMetadataFiles(config.metadataDirs);
  // stockOutApproval waits as *.json.off until the cell-bank tests sign their approval (see the workflow report).
  const parked = path.join(root, 'metadata/cellbank/flows/stockOutApproval.json.off');
  if (fs.existsSync(parked) && files.set.entity?.stockOut) {
    const def = JSON.parse(fs.readFileSync(parked, 'utf8'));
    expect(validateDefinition('flow', def).en).toEqual([]);
    files.set.flow = { ...(files.set.flow ?? {}), [def.$id]: def };
  }
  expect(crossCheck(files.set).filter((p) => p.kind === 'flow')).toEqual([]);
});
