import http from 'node:http';
import { startTestServer, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { orgFixture } from './auth-fixtures';
import { waitFor } from '../support/wait';
import { signPayload } from '../../platform/webhooks';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver: answers 500 to the first delivery it sees (to exercise the retry), then 200. */
function receiver() {
  const got: Received[] = [];
  const failedOnce = new Set<string>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      const id = String(req.headers['x-celltrace-delivery']);
      if (!failedOnce.has(id) && failedOnce.size === 0) {
        failedOnce.add(id);
        res.writeHead(500).end('try again');
      } else res.writeHead(204).end();
    });
  });
  return {
    got,
    listen: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as any).port}/hook`))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let db: { name: string; url: string };
let t: TestServer;
let admin: string;
let fx: Awaited<ReturnType<typeof orgFixture>>;
const rx = receiver();
let url: string;

beforeAll(async () => {
  process.env.WEBHOOK_BACKOFF_MS = '50';
  db = await createDatabase('ct_hook');
  t = await startTestServer({ databaseUrl: db.url });
  t.server.services.jobs.start();
  admin = await t.login();
  fx = await orgFixture(t, admin);
  url = await rx.listen();
}, 60_000);
afterAll(async () => {
  delete process.env.WEBHOOK_BACKOFF_MS;
  await t?.stop();
  await rx.close();
  await dropDatabase(db.name);
});

it('refuses bad subscriptions with the field and a translated reason, and non-administrators', async () => {
  const bad = async (body: unknown, lang = 'zh-CN') => {
    const r = await t.api('POST', '/api/v1/admin/webhooks', { token: admin, body, lang });
    expect(r.status).toBe(400);
    return r.body.error.details.map((d: any) => `${d.path} ${d.message}`).join('; ');
  };
  expect(await bad({ url: 'ftp://x.example/h', entity: 'customer', events: ['created'] })).toBe('/url 地址必须是 http:// 或 https:// 开头的完整网址');
  expect(await bad({ url, entity: 'nope', events: ['created'] }, 'en')).toBe('/entity There is no entity named nope');
  expect(await bad({ url, entity: 'customer', events: ['born'] })).toMatch(/^\/events\/0 /);
  expect(await bad({ url, entity: 'customer' })).toMatch(/events/);
  // Another lab's technician and a sales user are not administrators.
  for (const who of [fx.techA, fx.salesX]) {
    expect((await t.api('POST', '/api/v1/admin/webhooks', { token: who.token, body: { url, entity: 'customer', events: ['created'] } })).status).toBe(403);
    expect((await t.api('GET', '/api/v1/admin/webhooks', { token: who.token })).status).toBe(403);
  }
  expect((await t.api('PATCH', '/api/v1/admin/webhooks/999999', { token: admin, body: { enabled: false } })).status).toBe(404);
});

it('delivers signed record events through the job queue, retries a failure, logs each delivery, hides encrypted fields', async () => {
  const c = await t.api('POST', '/api/v1/admin/webhooks', { token: admin, body: { url, entity: 'customer', events: ['created', 'updated'], description: 'ERP' } });
  expect(c.status).toBe(201);
  const { id, secret } = c.body.data;
  expect(secret).toMatch(/^[\w-]{32}$/);
  expect((await t.api('GET', '/api/v1/admin/webhooks', { token: admin })).body.data[0]).not.toHaveProperty('secret');
  const audit = await t.server.services.knex('ct_audit').where({ entity: 'ct_webhook', action: 'webhook.create' }).first();
  expect(audit).toBeTruthy();

  const rec = await t.api('POST', '/api/v1/data/customer', { token: fx.techA.token, body: { name: '李四', phone: '13800000001' } });
  expect(rec.status).toBe(201);
  const ok = await waitFor(() => rx.got.find((g, i) => i > 0 && JSON.parse(g.body).recordId === rec.body.data.id), { timeout: 20_000, message: 'the retried delivery' });
  const body = JSON.parse(ok.body);
  expect([body.event, body.entity, body.data.name]).toEqual(['record.created', 'customer', '李四']);
  expect(body.data).not.toHaveProperty('phone');
  expect(ok.headers['x-celltrace-signature']).toBe(signPayload(secret, String(ok.headers['x-celltrace-timestamp']), ok.body));
  expect(rx.got[0].headers['x-celltrace-delivery']).toBe(ok.headers['x-celltrace-delivery']);

  const log = await waitFor(async () => {
    const d = (await t.api('GET', `/api/v1/admin/webhooks/${id}/deliveries`, { token: admin })).body.data;
    return d.length && d[0].status === 'delivered' && d;
  });
  expect([log[0].attempts, log[0].responseStatus, log[0].event]).toEqual([2, 204, 'created']);

  // A paused subscription sends nothing; a redelivery is queued again.
  expect((await t.api('PATCH', `/api/v1/admin/webhooks/${id}`, { token: admin, body: { enabled: false } })).body.data.enabled).toBe(false);
  const paused = await t.api('POST', '/api/v1/data/customer', { token: fx.techA.token, body: { name: '王五' } });
  const before = rx.got.length;
  const r = await t.api('POST', `/api/v1/admin/webhooks/${id}/deliveries/${log[0].id}/redeliver`, { token: admin, body: {} });
  expect(r.status).toBe(202);
  await waitFor(() => rx.got.length === before + 1);
  expect(JSON.parse(rx.got[before].body).id).toBe(log[0].id);
  expect(await t.server.services.knex('ct_webhook_delivery').where({ record_id: paused.body.data.id, entity: 'customer' }).first()).toBeUndefined();
});
