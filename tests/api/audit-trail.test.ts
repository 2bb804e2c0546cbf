import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { startTestServer, TEST_DATA_KEY, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { verifyAuditChain, installAuditTrail } from '../../platform/audit/trail';
import { setAuditWriter } from '../../platform/audit/audit';
import { chainHash } from '../../platform/audit/chain';
import { waitFor } from '../support/wait';
import { orgFixture, PASSWORD } from './auth-fixtures';

// Tampering breaks the chain: this file has its own database.
let db: { name: string; url: string };
let t: TestServer;
let admin: string;
let knex: Knex;

/** What a DBA with superuser rights could do: bypass the append-only triggers for one transaction. */
const asSuperuser = (fn: (trx: Knex.Transaction) => Promise<unknown>) =>
  knex.transaction(async (trx) => {
    await trx.raw('set local session_replication_role = replica');
    await fn(trx);
  });

const contentOf = async (trx: Knex.Transaction, id: number): Promise<string> =>
  (await trx.raw('select ct_audit_content(a) as c from ct_audit a where a.id = ?', [id])).rows[0].c;

beforeAll(async () => {
  db = await createDatabase('celltrace_audit');
  t = await startTestServer({ databaseUrl: db.url });
  knex = t.server.services.knex;
  admin = await t.login();
  for (let i = 0; i < 5; i++) await t.api('POST', '/api/v1/data/customer', { token: admin, body: { name: `c${i}` } });
});
afterAll(async () => {
  await t.stop();
  await dropDatabase(db.name);
});

describe('R-3.7.9 history', () => {
  it('shows who, when, what, old and new values, reason and IP', async () => {
    const c = await t.api('POST', '/api/v1/data/customer', { token: admin, body: { name: 'Before', phone: '13800012345' }, headers: { 'X-Change-Reason': 'new customer' } });
    await t.api('PATCH', `/api/v1/data/customer/${c.body.data.id}`, { token: admin, body: { version: 1, name: 'After' }, headers: { 'X-Change-Reason': encodeURIComponent('typo fixed') } });
    const h = await t.api('GET', `/api/v1/data/customer/${c.body.data.id}/history`, { token: admin });
    expect(h.body.data).toHaveLength(2);
    const [created, updated] = h.body.data;
    expect(created).toMatchObject({ action: 'create', byName: '系统管理员', reason: 'new customer' });
    expect(updated).toMatchObject({ action: 'update', by: 1, reason: 'typo fixed' });
    expect(updated.ip).toMatch(/127\.0\.0\.1/);
    expect(new Date(updated.at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(updated.changes).toEqual([{ field: 'name', from: 'Before', to: 'After' }]);
  });

  it('requires a reason where the entity says x-reason-required', async () => {
    const def = {
      $id: 'gmpRecord', 'x-label': { 'zh-CN': 'GMP', en: 'GMP' }, 'x-reason-required': true, type: 'object',
      properties: { title: { type: 'string', maxLength: 50, 'x-label': { 'zh-CN': '标题', en: 'Title' } } },
    };
    expect((await t.api('PUT', '/api/v1/meta/entity/gmpRecord', { token: admin, body: { definition: def, reason: 'test' } })).status).toBe(200);
    const r = await t.api('POST', '/api/v1/data/gmpRecord', { token: admin, body: { title: 'a' } });
    const noReason = await t.api('PATCH', `/api/v1/data/gmpRecord/${r.body.data.id}`, { token: admin, body: { version: 1, title: 'b' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details[0].path).toBe('/reason');
    expect((await t.api('DELETE', `/api/v1/data/gmpRecord/${r.body.data.id}`, { token: admin })).status).toBe(400);
    expect((await t.api('PATCH', `/api/v1/data/gmpRecord/${r.body.data.id}`, { token: admin, body: { version: 1, title: 'b', reason: 'correction' } })).status).toBe(200);
  });
});

describe('append-only, hash chain and verify', () => {
  it('the database refuses UPDATE, DELETE and TRUNCATE of audit rows', async () => {
    await expect(knex('ct_audit').update({ reason: 'x' })).rejects.toThrow(/append-only/);
    await expect(knex('ct_audit').where('id', '>', 0).delete()).rejects.toThrow(/append-only/);
    await expect(knex.raw('truncate ct_audit')).rejects.toThrow(/append-only/);
  });

  it('sealing may only set seq and hashes of an unsealed row', async () => {
    const [row] = await knex('ct_audit').insert({ entity: 'probe', action: 'probe', changes: '[]' }).returning('*');
    await expect(knex('ct_audit').where({ id: row.id }).update({ seq: 999999, hash: 'x', reason: 'smuggled' })).rejects.toThrow(/append-only/);
    await verifyAuditChain(knex);
    const sealed = await knex('ct_audit').where({ id: row.id }).first();
    expect(sealed.seq).not.toBeNull();
    await expect(knex('ct_audit').where({ id: row.id }).update({ seq: 1, hash: 'x' })).rejects.toThrow(/append-only/);
  });

  it('parallel writes never wait on each other for the chain, and all end up sealed in one valid chain', async () => {
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => t.api('POST', '/api/v1/data/customer', { token: admin, body: { name: `p${i}` } })));
    expect(rs.every((r) => r.status === 201)).toBe(true);
    const r = await verifyAuditChain(knex);
    expect(r).toMatchObject({ ok: true, unsealed: 0 });
    const ids = (await knex('ct_audit').whereNull('seq').count({ n: '*' }).first()) as any;
    expect(Number(ids.n)).toBe(0);
  });

  it('verify passes on an untouched chain', async () => {
    const r = await verifyAuditChain(knex);
    expect(r.ok).toBe(true);
    expect(r.checked).toBeGreaterThan(5);
  });

  it('detects an edited row and names it', async () => {
    const row = await knex('ct_audit').where({ entity: 'customer', action: 'create' }).orderBy('id').offset(2).first();
    await asSuperuser((trx) => trx('ct_audit').where({ id: row.id }).update({ changes: JSON.stringify([{ field: 'name', from: null, to: 'forged' }]) }));
    const r = await verifyAuditChain(knex);
    expect(r.problem).toMatchObject({ kind: 'altered', id: Number(row.id) });
    await asSuperuser((trx) => trx('ct_audit').where({ id: row.id }).update({ changes: JSON.stringify(row.changes) }));
    expect((await verifyAuditChain(knex)).ok).toBe(true);
  });

  it('detects a deleted row, and `celltrace audit verify` names it', async () => {
    const row = await knex('ct_audit').orderBy('id').offset(3).first();
    const next = await knex('ct_audit').where('id', '>', row.id).orderBy('id').first();
    await asSuperuser((trx) => trx('ct_audit').where({ id: row.id }).delete());
    const r = await verifyAuditChain(knex);
    expect(r.problem).toMatchObject({ kind: 'deleted', id: Number(next.id) });
    const cli = await promisify(execFile)(process.execPath, [require.resolve('tsx/cli'), 'platform/main.ts', 'audit', 'verify'], {
      cwd: path.resolve(__dirname, '../..'), env: { ...process.env, CELLTRACE_DATA_KEY: TEST_DATA_KEY, DATABASE_URL: db.url, DEMO_DATA: 'false', LOG_LEVEL: 'warn', RUN_JOBS: 'false' },
    }).catch((e) => e);
    expect(cli.code).toBe(3);
    expect(cli.stdout).toContain(`entries missing before entry ${next.id}`);
    await asSuperuser((trx) => trx('ct_audit').insert({ ...row, changes: JSON.stringify(row.changes) }));
    expect((await verifyAuditChain(knex)).ok).toBe(true);
  }, 60_000);

  it('detects a row inserted into the sealed chain, with or without a valid-looking hash', async () => {
    await t.api('POST', '/api/v1/data/customer', { token: admin, body: { name: 'tail' } });
    expect((await verifyAuditChain(knex)).ok).toBe(true);
    const [last, before] = await knex('ct_audit').whereNotNull('seq').orderBy('seq', 'desc').limit(2);
    const forgedBase = { at: new Date(), actor_id: 1, actor_name: 'x', entity: 'customer', record_id: 1, action: 'delete', changes: [], reason: null, ip: null, request_id: null };
    // 1. Slipped in before the last entry, by shifting the last entry one place up (its seq is hashed: it breaks).
    const forged = { ...forgedBase, id: Number(last.id) + 1000, seq: Number(last.seq) };
    await asSuperuser(async (trx) => {
      await trx('ct_audit').where({ id: last.id }).update({ seq: Number(last.seq) + 1 });
      await trx('ct_audit').insert({ ...forged, changes: '[]', prev_hash: before.hash, hash: 'pending' });
      // A forger who knows the hash recipe computes a valid-looking hash for the row they slipped in.
      const hash = chainHash(before.hash, forged.seq, await contentOf(trx, forged.id));
      await trx('ct_audit').where({ id: forged.id }).update({ hash });
      await trx('ct_audit').where({ id: last.id }).update({ prev_hash: hash });
    });
    const r = await verifyAuditChain(knex, { seal: false });
    expect(r.problem).toMatchObject({ kind: 'altered', id: Number(last.id) });
    await asSuperuser(async (trx) => {
      await trx('ct_audit').where({ id: forged.id }).delete();
      await trx('ct_audit').where({ id: last.id }).update({ seq: last.seq, prev_hash: last.prev_hash });
    });
    expect((await verifyAuditChain(knex)).ok).toBe(true);
    // 2. Appended with a made-up hash.
    const tail = { ...forgedBase, id: Number(last.id) + 2000, seq: Number(last.seq) + 1 };
    await asSuperuser((trx) => trx('ct_audit').insert({ ...tail, changes: '[]', prev_hash: last.hash, hash: 'f'.repeat(64) }));
    expect((await verifyAuditChain(knex, { seal: false })).problem).toMatchObject({ kind: 'altered', id: tail.id });
    await asSuperuser((trx) => trx('ct_audit').where({ id: tail.id }).delete());
    expect((await verifyAuditChain(knex)).ok).toBe(true);
  });

  it('an audit failure rolls the write back', async () => {
    const count = async () => Number((await knex('customer').count({ n: '*' }).first())!.n);
    const n = await count();
    setAuditWriter(async () => {
      throw new Error('audit storage down');
    });
    try {
      const r = await t.api('POST', '/api/v1/data/customer', { token: admin, body: { name: 'must not persist' } });
      expect(r.status).toBe(500);
      expect(JSON.stringify(r.body)).not.toContain('audit storage down');
      expect(JSON.stringify(r.body)).not.toMatch(/at .*\.ts:\d+/);
    } finally {
      installAuditTrail();
    }
    expect(await count()).toBe(n);
    expect((await t.api('POST', '/api/v1/data/customer', { token: admin, body: { name: 'fine again' } })).status).toBe(201);
  });
});

describe('electronic signatures', () => {
  it('a signed action needs the signer password; the signature is bound to the record', async () => {
    const fx = await orgFixture(t, admin);
    (t.server.services.hooks as any).action('customer', 'approve', {
      label: { 'zh-CN': '批准', en: 'Approve' },
      signature: { meaning: 'approved' },
      input: { type: 'object', properties: { comment: { type: 'string' } }, additionalProperties: false },
      handler: async ({ trx, record }: any) => {
        await trx('customer').where({ id: record.id }).update({ remarks: 'approved' });
      },
    });
    const role = 'approverRole';
    await t.api('PUT', `/api/v1/meta/role/${role}`, {
      token: admin,
      body: { reason: 't', definition: { $id: role, label: { 'zh-CN': '审批', en: 'Approver' }, permissions: [{ entity: 'customer', actions: ['read', 'create', 'approve'], scope: 'lab' }] } },
    });
    const u = await fx.user('signer', fx.labA, [role]);
    const c = await t.api('POST', '/api/v1/data/customer', { token: u.token, body: { name: 'To approve' } });
    const url = `/api/v1/data/customer/${c.body.data.id}/actions/approve`;
    const none = await t.api('POST', url, { token: u.token, body: { comment: 'ok' } });
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('SIGNATURE_REQUIRED');
    const wrong = await t.api('POST', url, { token: u.token, body: { comment: 'ok', signature: { password: 'Wrong#Passw0rd' } } });
    expect(wrong.body.error.code).toBe('SIGNATURE_FAILED');
    expect((await knex('customer').where({ id: c.body.data.id }).first()).remarks).toBeNull();
    // The failed attempt counts towards lockout even though the action rolled back.
    await waitFor(async () => (await knex('ct_user').where({ id: u.id }).first()).failed_count === 1, { message: 'failed_count = 1' });
    const ok = await t.api('POST', url, { token: u.token, body: { comment: 'ok', signature: { password: PASSWORD } } });
    expect(ok.status).toBe(200);
    expect(ok.body.data.remarks).toBe('approved');
    const sigs = await t.api('GET', `/api/v1/data/customer/${c.body.data.id}/signatures`, { token: u.token });
    expect(sigs.body.data).toHaveLength(1);
    expect(sigs.body.data[0]).toMatchObject({ printedName: 'signer', meaning: 'approved', action: 'approve', valid: true, recordId: c.body.data.id });
    expect(sigs.body.data[0].contentHash).toMatch(/^[0-9a-f]{64}$/);
    // Moving the signature to another record breaks it (and the table is append-only anyway).
    await expect(knex('ct_signature').where({ id: sigs.body.data[0].id }).update({ record_id: 1 })).rejects.toThrow(/append-only/);
    await asSuperuser((trx) => trx('ct_signature').where({ id: sigs.body.data[0].id }).update({ record_id: 1 }));
    const moved = await t.api('GET', `/api/v1/data/customer/1/signatures`, { token: admin });
    expect(moved.body.data.find((s: any) => s.id === sigs.body.data[0].id).valid).toBe(false);
    const hist = await t.api('GET', `/api/v1/data/customer/${c.body.data.id}/history`, { token: u.token });
    expect(hist.body.data.map((h: any) => h.action)).toEqual(['create', 'signature', 'action:approve']);
    expect(JSON.stringify(hist.body)).not.toContain(PASSWORD);
  });
});
