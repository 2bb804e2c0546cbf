import crypto from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { errorMiddleware } from './errors';
import { checkJson, inputGuard } from './input';
import { pickLang } from '../i18n';
import { AppError } from '../errors';
import type { Services } from '../services';
import { authRoutes, authMiddleware } from './routes/auth';
import { dataRoutes } from './routes/data';
import { metaRoutes } from './routes/meta';
import { fileRoutes } from './routes/files';
import { peopleRoutes } from './routes/people';
import { numberingRoutes } from './routes/numbering';
import { staticWeb } from './static';
import { openapiDocument, apiReferencePage, apiReferenceScript } from './openapi';
import { createMetrics, opsRoutes } from '../ops/health';

const mountedRouters = new WeakMap<Services, Router[]>();

/** Every route mounted on the app of these services as `method path` pairs (HEAD left out): what route-docs must describe. */
export function mountedRoutes(s: Services): { method: string; path: string }[] {
  return (mountedRouters.get(s) ?? []).flatMap((r) =>
    r.stack.flatMap((l) => l.methods.filter((m) => m !== 'HEAD').map((m) => ({ method: m.toLowerCase(), path: String(l.path) }))),
  );
}

export function createApp(s: Services): Koa {
  const app = new Koa({ proxy: s.config.trustProxy });
  app.silent = true;

  // Response headers every answer carries, set straight on the Node response (no per-request header objects).
  const SECURITY_HEADERS: [string, string][] = [
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Content-Security-Policy', "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"],
  ];
  app.use(async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    ctx.state.requestId = incoming && /^[\w-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    ctx.state.lang = pickLang(ctx.get('Accept-Language'));
    ctx.res.setHeader('X-Request-Id', ctx.state.requestId);
    for (const [k, v] of SECURITY_HEADERS) ctx.res.setHeader(k, v);
    const start = s.config.logRequests ? process.hrtime.bigint() : 0n;
    await next();
    if (s.config.logRequests) {
      s.log.info({ requestId: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Number(process.hrtime.bigint() - start) / 1e6 }, 'request');
    }
  });
  const metrics = createMetrics(s);
  app.use(metrics.middleware);
  app.use(errorMiddleware(s.log));
  // Path and query parameters decode strictly before any route (plugin routes included) reads them.
  app.use(inputGuard());
  // Other processes' metadata edits become visible within the poll interval (a database round trip only when due).
  app.use((_ctx, next) => (s.meta.pollDue() ? s.meta.refreshIfStale().then(next) : next()));

  const router = new Router();
  router.get('/api/health', async (ctx) => {
    await s.knex.raw('select 1');
    ctx.body = { status: 'ok', database: s.dbKind, version: s.version };
  });
  opsRoutes(router, s, metrics);
  router.get('/api/openapi.json', (ctx) => {
    ctx.body = s.meta.model.memo('openapi', () => openapiDocument(s.meta.model, s.version, s.hooks, s.routeDocs));
  });
  router.get('/api/docs.js', (ctx) => {
    ctx.type = 'application/javascript';
    ctx.body = apiReferenceScript;
  });
  router.get('/api/docs', (ctx) => {
    ctx.type = 'html';
    ctx.body = apiReferencePage();
  });

  const api = new Router({ prefix: '/api/v1' });
  const parseBody = bodyParser({
    enableTypes: ['json'],
    jsonLimit: s.config.bodyLimit,
    onError: (err: any) => {
      const tooLarge = err?.status === 413;
      const key = tooLarge ? 'error.bodyTooLarge' : 'error.badJson';
      throw new AppError(tooLarge ? 413 : 400, tooLarge ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', key, {}, [{ path: '', messageKey: key }]);
    },
  }) as unknown as Koa.Middleware;
  // GET and HEAD carry no body: no content-type sniffing for them.
  // A parsed body holds no NUL and no absurd nesting, whatever route reads it.
  const checkedBody: Koa.Middleware = (ctx, next) =>
    parseBody(ctx as any, () => {
      checkJson(ctx.request.body);
      return next();
    });
  api.use((ctx, next) => (ctx.method === 'GET' || ctx.method === 'HEAD' ? next() : checkedBody(ctx, next)));
  api.use(authMiddleware(s));
  authRoutes(api, s);
  metaRoutes(api, s);
  dataRoutes(api, s);
  fileRoutes(api, s);
  numberingRoutes(api, s);
  peopleRoutes(api, s);
  for (const extend of s.routeExtensions) extend(api, s);

  // The few routes outside /api/v1 are not matched against every API request.
  const topRoutes = router.routes();
  const topAllowed = router.allowedMethods();
  app.use((ctx, next) => (ctx.path.startsWith('/api/v1/') ? next() : topRoutes(ctx as any, () => topAllowed(ctx as any, next))));
  app.use(api.routes()).use(api.allowedMethods());
  app.use(staticWeb(s.config.webDist));
  mountedRouters.set(s, [router, api]);
  return app;
}

