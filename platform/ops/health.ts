import type Koa from 'koa';
import type Router from '@koa/router';
import client from 'prom-client';
import type { Services } from '../services';
import { AppError } from '../errors';

/** Prometheus metrics of one server (its own registry: several servers may share a process in tests). */
export interface Metrics {
  registry: client.Registry;
  middleware: Koa.Middleware;
}

export function createMetrics(s: Services): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ app: 'celltrace' });
  client.collectDefaultMetrics({ register: registry, prefix: 'celltrace_' });
  const requests = new client.Counter({ name: 'celltrace_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const duration = new client.Histogram({
    name: 'celltrace_http_request_duration_seconds', help: 'HTTP request duration by method and route', labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  const pool = (s.knex.client as any).pool;
  new client.Gauge({
    name: 'celltrace_db_pool_connections', help: 'Database pool connections by state', labelNames: ['state'], registers: [registry],
    collect() {
      this.set({ state: 'used' }, pool?.numUsed?.() ?? 0);
      this.set({ state: 'free' }, pool?.numFree?.() ?? 0);
      this.set({ state: 'pending' }, pool?.numPendingAcquires?.() ?? 0);
    },
  });
  // Statements per pool: with DATABASE_READ_URL, exports and aggregates count under pool="replica".
  const queries = new client.Counter({ name: 'celltrace_db_queries_total', help: 'SQL statements sent, by pool (primary, replica)', labelNames: ['pool'], registers: [registry] });
  queries.inc({ pool: 'primary' }, 0);
  const onPrimary = () => queries.inc({ pool: 'primary' });
  s.knex.on('query', onPrimary);
  s.onStop.push(() => void s.knex.removeListener('query', onPrimary));
  if (s.readKnex && s.readKnex !== s.knex) {
    queries.inc({ pool: 'replica' }, 0);
    const onReplica = () => queries.inc({ pool: 'replica' });
    s.readKnex.on('query', onReplica);
    s.onStop.push(() => void s.readKnex.removeListener('query', onReplica));
    const rpool = (s.readKnex.client as any).pool;
    new client.Gauge({
      name: 'celltrace_db_replica_pool_connections', help: 'Read-replica pool connections by state', labelNames: ['state'], registers: [registry],
      collect() {
        this.set({ state: 'used' }, rpool?.numUsed?.() ?? 0);
        this.set({ state: 'free' }, rpool?.numFree?.() ?? 0);
        this.set({ state: 'pending' }, rpool?.numPendingAcquires?.() ?? 0);
      },
    });
  }
  new client.Gauge({
    name: 'celltrace_jobs', help: 'Jobs in the queue by state (all processes)', labelNames: ['state'], registers: [registry],
    async collect() {
      const rows = (await s.knex.raw(`select state, count(*)::int as n from ct_job group by state`)).rows as { state: string; n: number }[];
      for (const st of ['queued', 'running', 'done', 'failed']) this.set({ state: st }, rows.find((r) => r.state === st)?.n ?? 0);
    },
  });
  new client.Gauge({
    name: 'celltrace_metadata_version', help: 'Effective metadata version this process serves', registers: [registry],
    collect() {
      this.set(s.meta.model.version);
    },
  });
  new client.Gauge({ name: 'celltrace_info', help: 'Version of CellTrace and database kind', labelNames: ['version', 'database'], registers: [registry] }).set({ version: s.version, database: s.dbKind }, 1);
  const middleware: Koa.Middleware = async (ctx, next) => {
    const end = process.hrtime.bigint();
    try {
      await next();
    } finally {
      // The route template, never the raw path (ids would explode the label set).
      const route = (ctx as any)._matchedRoute ? String((ctx as any)._matchedRoute) : ctx.path.startsWith('/api/') ? 'unmatched' : 'static';
      const secs = Number(process.hrtime.bigint() - end) / 1e9;
      requests.inc({ method: ctx.method, route, status: String(ctx.status) });
      duration.observe({ method: ctx.method, route }, secs);
    }
  };
  return { registry, middleware };
}

/** /api/ready (can this process serve: database answers within 2 s, metadata loaded) and /api/metrics (Prometheus). */
export function opsRoutes(router: Router, s: Services, metrics: Metrics): void {
  router.get('/api/ready', async (ctx) => {
    const checks: Record<string, { ok: boolean; ms?: number; error?: string; lagSeconds?: number | null; standby?: boolean }> = {};
    const within2s = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout after 2000 ms')), 2000).unref())]);
    const t0 = Date.now();
    try {
      await within2s(s.knex.raw('select 1'));
      checks.database = { ok: true, ms: Date.now() - t0 };
    } catch (e) {
      checks.database = { ok: false, error: (e as Error).message };
    }
    checks.metadata = { ok: !!s.meta.model };
    // The replica is reported, not required: while it is down only exports and aggregates fail, so the process
    // stays in the load balancer (status "degraded").
    let degraded = false;
    if (s.readKnex && s.readKnex !== s.knex) {
      const t1 = Date.now();
      try {
        const r = await within2s(s.readKnex.raw(`select pg_is_in_recovery() as standby, extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as lag`));
        const row = r.rows[0];
        checks.replica = { ok: true, ms: Date.now() - t1, standby: !!row.standby, lagSeconds: row.standby ? (row.lag ?? null) : 0 };
      } catch (e) {
        checks.replica = { ok: false, error: (e as Error).message };
        degraded = true;
      }
    }
    const ok = checks.database.ok && checks.metadata.ok;
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? (degraded ? 'degraded' : 'ready') : 'not-ready', checks };
  });
  router.get('/api/metrics', async (ctx) => {
    const token = process.env.METRICS_TOKEN;
    if (token && ctx.get('Authorization') !== `Bearer ${token}`) {
      throw new AppError(401, 'UNAUTHENTICATED', 'error.unauthenticated');
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
}
