import type Router from '@koa/router';
import type { Services } from '../services';
import { AppError } from '../errors';
import { readQuery } from '../plugins/query';
import { callContext } from '../http/routes/auth';
import { TraceEngine } from './engine';
import { recall, recallWorkbook, type RecallQuery } from './recall';
import './messages';

const ID = { type: 'integer', minimum: 1, maximum: 9007199254740991 };
const NAME = { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,47}$' };
const TRACE_QUERY = {
  direction: { enum: ['up', 'down', 'both'], default: 'both' },
  depth: { type: 'integer', minimum: 1, maximum: 30, default: 12 },
};
const PATH = { entity: NAME, id: ID };
const TIME = { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }] };
const RECALL_QUERY = { entity: NAME, id: ID, room: ID, from: TIME, to: TIME, format: { enum: ['json', 'xlsx'] } };

/** The trace engine of the services (created once; routes, print templates and reports share it). */
export function traceEngine(s: Services): TraceEngine {
  const any = s as Services & { trace?: TraceEngine };
  if (!any.trace) any.trace = new TraceEngine({ knex: s.knex, records: s.records, auth: () => s.authorizer, model: () => s.meta.model });
  return any.trace;
}

export function setupTrace(s: Services): void {
  const engine = traceEngine(s);
  s.routeExtensions.push((api) => traceRoutes(api, s, engine));
}

function traceRoutes(api: Router, s: Services, engine: TraceEngine): void {
  api.get('/trace/recall', async (ctx) => {
    const c = callContext(ctx);
    const q = readQuery<RecallQuery & { format?: 'json' | 'xlsx' }>(ctx.query as any, RECALL_QUERY);
    if (q.room == null && (q.entity == null || q.id == null)) {
      const path = q.entity == null ? '/entity' : '/id';
      throw new AppError(400, 'VALIDATION_FAILED', 'trace.sourceRequired', {}, [{ path, messageKey: 'trace.sourceRequired' }]);
    }
    if (q.room == null) entityOr400(s, q.entity!);
    const r = await recall(engine, s.records, c, q);
    if (q.format === 'xlsx') {
      ctx.set('Content-Disposition', `attachment; filename="recall-${new Date().toISOString().slice(0, 10)}.xlsx"`);
      ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      ctx.body = await recallWorkbook(r, c.lang);
      return;
    }
    ctx.body = { data: r };
  });

  api.get('/trace/:entity/:id', async (ctx) => {
    const c = callContext(ctx);
    const p = readQuery<{ entity: string; id: number }>(ctx.params, PATH, ['entity', 'id']);
    entityOr400(s, p.entity, '/entity');
    const q = readQuery<{ direction: 'up' | 'down' | 'both'; depth: number }>(ctx.query as any, TRACE_QUERY);
    ctx.body = { data: await engine.trace(c, p.entity, p.id, { direction: q.direction, depth: q.depth }) };
  });
}

function entityOr400(s: Services, name: string, path = '/entity') {
  if (!s.meta.model.entity(name)) throw new AppError(400, 'VALIDATION_FAILED', 'error.unknownEntity', { entity: name }, [{ path, messageKey: 'error.unknownEntity', params: { entity: name } }]);
}
