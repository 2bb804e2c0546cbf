import type Router from '@koa/router';
import { AppError } from '../../errors';
import type { Services } from '../../services';
import type { ListOptions } from '../../records/service';
import { callContext } from './auth';
import { exportRecords, importRecords } from '../../records/io';
import { headerText, queryInt, queryJson } from '../input';

const list = (v: unknown) => (typeof v === 'string' && v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

export function listOptions(q: Record<string, unknown>): ListOptions {
  let filter: unknown;
  if (typeof q.filter === 'string' && q.filter) filter = queryJson(q.filter, 'filter', 'error.badFilterJson', 'BAD_FILTER');
  else if (q.filter !== undefined && typeof q.filter !== 'string') {
    throw new AppError(400, 'BAD_FILTER', 'error.badFilterShape', {}, [{ path: '/filter', messageKey: 'error.badFilterShape' }]);
  }
  return {
    filter,
    sort: list(q.sort),
    limit: queryInt(q, 'limit'),
    offset: queryInt(q, 'offset'),
    after: typeof q.after === 'string' && q.after ? q.after : undefined,
    fields: list(q.fields),
    expand: list(q.expand),
    count: q.count === 'true' || q.count === '1',
  };
}

function recordId(v: string, entity: string): number {
  if (!/^\d{1,15}$/.test(v)) throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity, id: v });
  return Number(v);
}

/** The change reason: the percent-encoded `X-Change-Reason` header, else the body's `reason`. */
const reasonOf = (ctx: any) => {
  const r = headerText(ctx, 'X-Change-Reason') ?? (ctx.request.body as any)?.reason;
  return typeof r === 'string' && r ? r.slice(0, 500) : undefined;
};

export function dataRoutes(api: Router, s: Services): void {
  api.get('/data/:entity', async (ctx) => {
    ctx.body = await s.records.list(callContext(ctx), ctx.params.entity, listOptions(ctx.query as any));
  });
  api.get('/data/:entity/aggregate', async (ctx) => {
    const q = ctx.query as Record<string, unknown>;
    const o = listOptions({ filter: q.filter, limit: q.limit });
    // Aggregates and exports read the replica when there is one (DATABASE_READ_URL): they may lag it by its delay.
    ctx.body = await s.records.reader().aggregate(callContext(ctx), ctx.params.entity, { groupBy: list(q.groupBy), measures: list(q.measures), filter: o.filter, limit: o.limit });
  });
  api.get('/data/:entity/export', async (ctx) => {
    const format = ctx.query.format === 'csv' ? 'csv' : 'xlsx';
    await exportRecords(s.records.reader(), callContext(ctx), ctx.params.entity, listOptions(ctx.query as any), format, ctx);
  });
  api.post('/data/:entity/import', async (ctx) => {
    const format = ctx.query.format === 'csv' ? 'csv' : ctx.query.format === 'xlsx' || !ctx.query.format ? 'xlsx' : null;
    if (!format) throw new AppError(400, 'BAD_REQUEST', 'error.import.format', { format: ctx.query.format });
    ctx.body = await importRecords(s.records, callContext(ctx), ctx.params.entity, ctx.req, format, { partial: ctx.query.mode === 'partial', maxBytes: 50 * 1024 * 1024 });
  });
  api.post('/data/:entity', async (ctx) => {
    const body = ctx.request.body as Record<string, unknown>;
    const data = await s.records.create(callContext(ctx), ctx.params.entity, body, { reason: reasonOf(ctx) });
    ctx.status = 201;
    ctx.body = { data };
  });
  api.get('/data/:entity/:id', async (ctx) => {
    const q = ctx.query as Record<string, string>;
    ctx.body = { data: await s.records.get(callContext(ctx), ctx.params.entity, recordId(ctx.params.id, ctx.params.entity), { expand: list(q.expand), fields: list(q.fields) }) };
  });
  api.patch('/data/:entity/:id', async (ctx) => {
    const body = { ...(ctx.request.body as Record<string, unknown>) };
    const reason = reasonOf(ctx);
    delete body.reason;
    const ifMatch = ctx.get('If-Match');
    if (body.version === undefined && /^"?\d+"?$/.test(ifMatch)) body.version = Number(ifMatch.replace(/"/g, ''));
    ctx.body = { data: await s.records.update(callContext(ctx), ctx.params.entity, recordId(ctx.params.id, ctx.params.entity), body, { reason }) };
  });
  api.delete('/data/:entity/:id', async (ctx) => {
    const v = ctx.query.version;
    const version = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
    ctx.body = { data: await s.records.remove(callContext(ctx), ctx.params.entity, recordId(ctx.params.id, ctx.params.entity), version, { reason: reasonOf(ctx) }) };
  });
  api.get('/data/:entity/:id/history', async (ctx) => {
    ctx.body = { data: await s.records.history(callContext(ctx), ctx.params.entity, recordId(ctx.params.id, ctx.params.entity)) };
  });
  api.get('/data/:entity/:id/actions', async (ctx) => {
    ctx.body = { data: await s.records.availableActions(callContext(ctx), ctx.params.entity, recordId(ctx.params.id, ctx.params.entity)) };
  });
  api.post('/data/:entity/:id/actions/:action', async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    ctx.body = { data: await s.records.action(callContext(ctx), ctx.params.entity, recordId(ctx.params.id, ctx.params.entity), ctx.params.action, body, { reason: reasonOf(ctx) }) };
  });
}
