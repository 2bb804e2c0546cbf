import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import knexFactory, { type Knex } from 'knex';
import { errorMiddleware } from '../../platform/http/errors';
import '../../platform/i18n/messages';

/**
 * The HTTP error middleware is the one safety net for data errors (issue 10): whatever route lets a malformed
 * value reach PostgreSQL (SQLSTATE class 22) or lets a decoder throw, the answer is a 400 naming the parameter
 * when it can be known, never a 500. Real PostgreSQL errors, raised from a bare route like a plugin's.
 */

let knex: Knex;
let server: http.Server;
let url: string;
const logged: object[] = [];

beforeAll(async () => {
  knex = knexFactory({ client: 'pg', connection: process.env.TEST_DATABASE_URL, pool: { min: 0, max: 2 } });
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.state.lang = ctx.get('Accept-Language') === 'en' ? 'en' : 'zh-CN';
    ctx.state.requestId = 'rid';
    await next();
  });
  app.use(errorMiddleware({ error: (o) => logged.push(o) }));
  app.use(async (ctx) => {
    const q = ctx.query as Record<string, string>;
    switch (ctx.path) {
      case '/bigint': // 22P02 or 22003, depending on the value
        ctx.body = await knex.raw('select ?::bigint as n', [q.offset]);
        return;
      case '/date': // 22007 / 22008
        ctx.body = await knex.raw('select ?::date as d', [q.from]);
        return;
      case '/nul': // 22021
        ctx.body = await knex.raw('select ?::text as t', ['a\u0000b']);
        return;
      case '/jsonb': // 22P05
        ctx.body = await knex.raw("select '\"\\u0000\"'::jsonb as j");
        return;
      case '/pow': // 2201F: a computation, no parameter to name
        ctx.body = await knex.raw('select power(0, -1) as x');
        return;
      case '/uri':
        ctx.body = decodeURIComponent('%E0%A4%A');
        return;
      case '/json':
        ctx.body = JSON.parse('{');
        return;
      case '/bug':
        throw new TypeError('a real bug');
    }
  });
  server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await knex?.destroy();
});

const get = async (p: string, lang = 'en') => {
  const r = await fetch(url + p, { headers: { 'Accept-Language': lang } });
  return { status: r.status, body: (await r.json()) as any };
};

it.each([
  ['/bigint?offset=99999999999999999999', '/offset'],
  ['/bigint?offset=1e30', '/offset'],
  ['/date?from=2024-02-30', '/from'],
  ['/date?from=someday', '/from'],
])('%s: a class-22 error is a 400 naming %s', async (p, path) => {
  const r = await get(p);
  expect(r.status).toBe(400);
  expect(r.body.error.code).toBe('BAD_REQUEST');
  expect(r.body.error.details[0].path).toBe(path);
  expect(r.body.error.details[0].message).toBe(`The value of ${path.slice(1)} has the wrong format or is out of range`);
  expect((await get(p, 'zh-CN')).body.error.details[0].message).toBe(`${path.slice(1)} 的值格式不正确或超出范围`);
});

it.each(['/nul', '/jsonb', '/pow'])('%s: a class-22 error without a known source is still a 400', async (p) => {
  const r = await get(p);
  expect(r.status).toBe(400);
  expect(r.body.error.message).toBe('A value in the request has the wrong format or is out of range');
});

it('a decoder that throws (URIError, JSON SyntaxError) is a 400', async () => {
  expect((await get('/uri')).body.error.message).toBe('A value in the request is not valid percent-encoded UTF-8');
  expect((await get('/uri')).status).toBe(400);
  const j = await get('/json');
  expect(j.status).toBe(400);
  expect(j.body.error.message).toBe('The request body is not valid JSON');
});

it('other errors stay a logged 500 without details', async () => {
  const before = logged.length;
  const r = await get('/bug');
  expect(r.status).toBe(500);
  expect(JSON.stringify(r.body)).not.toContain('a real bug');
  expect(logged.length).toBe(before + 1);
});
