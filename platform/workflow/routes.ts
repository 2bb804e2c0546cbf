import type Router from '@koa/router';
import type { Knex } from 'knex';
import { AppError, forbidden, notFound } from '../errors';
import type { CallContext } from '../context';
import type { Services } from '../services';
import { callContext } from '../http/routes/auth';
import { queryInt } from '../http/input';
import { label as pick, type Lang } from '../i18n';
import type { WorkflowEngine } from './engine';
import type { FlowDef } from './schema';

const OPEN = ['pending'];
const DONE = ['approved', 'rejected', 'returned', 'done'];

function id(v: string, what: string): number {
  if (!/^\d{1,15}$/.test(v)) throw notFound(what, v);
  return Number(v);
}

function paging(q: Record<string, unknown>) {
  return { limit: queryInt(q, 'limit', { min: 1, max: 200 }) ?? 50, offset: queryInt(q, 'offset') ?? 0 };
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 2000) : undefined);

/** The to-do inbox API (mounted under /api/v1): my tasks, what I started, notifications, and the task operations. */
export function inboxRoutes(api: Router, s: Services, engine: WorkflowEngine, ownsAction: (entity: string, action: string) => boolean): void {
  const entityLabel = (name: string, lang: Lang) => pick(s.meta.model.entity(name)?.schema['x-label'], lang) || name;

  function taskView(r: any, lang: Lang) {
    const def: FlowDef | null = r.definition ?? null;
    const st = def && r.state_key ? def.states[r.state_key] : undefined;
    const actions =
      r.status === 'pending'
        ? r.kind === 'assign'
          ? [{ action: 'complete', label: pick({ 'zh-CN': '完成', en: 'Complete' }, lang), comment: 'optional', signature: null }]
          : def && r.state_key
            ? engine.transitionsFor(def, r.state_key).map((t) => ({
                action: t.action, label: pick(t.label, lang), type: t.type ?? 'approve', comment: t.comment ?? 'optional',
                signature: t.signature ? { meaning: pick(t.signature.meaning, lang) } : null,
              }))
            : []
        : [];
    return {
      id: Number(r.id), kind: r.kind, status: r.status,
      entity: r.entity, entityLabel: entityLabel(r.entity, lang), recordId: Number(r.record_id), title: r.record_title, summary: r.summary ?? {},
      flow: def ? { id: def.$id, label: pick(def.label, lang), version: r.flow_version } : null,
      instanceId: r.instance_id == null ? null : Number(r.instance_id),
      state: r.state_key, stateLabel: st ? pick(st.label, lang) : null, mode: st?.mode ?? (r.kind === 'approval' ? 'any' : null),
      assignee: { id: Number(r.assignee_id), name: r.assignee_name ?? null }, delegatedFrom: r.delegated_from == null ? null : Number(r.delegated_from),
      initiator: r.initiator_id == null ? null : { id: Number(r.initiator_id), name: r.initiator_name },
      action: r.action, comment: r.comment, actedAt: r.acted_at, dueAt: r.due_at, overdue: !!(r.due_at && r.status === 'pending' && new Date(r.due_at).getTime() < Date.now()),
      createdAt: r.created_at, actions,
    };
  }

  function taskQuery(db: Knex | Knex.Transaction) {
    return db('ct_wf_task as t')
      .leftJoin('ct_wf_instance as i', 'i.id', 't.instance_id')
      .leftJoin('ct_user as u', 'u.id', 't.assignee_id')
      .select('t.*', 'i.definition', 'i.flow_version', 'i.initiator_id', 'i.initiator_name', 'u.display_name as assignee_name');
  }

  function filters(qb: Knex.QueryBuilder, q: Record<string, unknown>) {
    if (typeof q.entity === 'string' && q.entity) qb.where('t.entity', q.entity);
    if (q.kind === 'approval' || q.kind === 'assign') qb.where('t.kind', q.kind);
    if (typeof q.flow === 'string' && q.flow) qb.where('i.flow_id', q.flow);
    if (typeof q.q === 'string' && q.q.trim()) qb.whereILike('t.record_title', `%${q.q.trim().replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    if (q.overdue === 'true') qb.where('t.due_at', '<', new Date().toISOString());
    return qb;
  }

  const me = (ctx: CallContext) => {
    if (ctx.actor.id == null) throw forbidden();
    return ctx.actor.id;
  };

  api.get('/inbox/counts', async (ctx) => {
    const c = callContext(ctx);
    const uid = me(c);
    const [p, d, i, n, o] = await Promise.all([
      s.knex('ct_wf_task').where({ assignee_id: uid }).whereIn('status', OPEN).count({ n: '*' }).first(),
      s.knex('ct_wf_task').where({ acted_by: uid }).whereIn('status', DONE).count({ n: '*' }).first(),
      s.knex('ct_wf_instance').where({ initiator_id: uid }).count({ n: '*' }).first(),
      s.knex('ct_wf_notification').where({ user_id: uid }).whereNull('read_at').count({ n: '*' }).first(),
      s.knex('ct_wf_task').where({ assignee_id: uid }).whereIn('status', OPEN).where('due_at', '<', new Date().toISOString()).count({ n: '*' }).first(),
    ]);
    ctx.body = { data: { pending: Number(p?.n ?? 0), done: Number(d?.n ?? 0), initiated: Number(i?.n ?? 0), unread: Number(n?.n ?? 0), overdue: Number(o?.n ?? 0) } };
  });

  api.get('/inbox/tasks', async (ctx) => {
    const c = callContext(ctx);
    const uid = me(c);
    const q = ctx.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const box = q.box === 'done' ? 'done' : 'pending';
    const qb = filters(taskQuery(s.knex), q);
    if (box === 'pending') qb.where('t.assignee_id', uid).whereIn('t.status', OPEN).orderByRaw('t.due_at asc nulls last').orderBy('t.id', 'desc');
    else qb.where('t.acted_by', uid).whereIn('t.status', DONE).orderBy('t.acted_at', 'desc').orderBy('t.id', 'desc');
    const rows = await qb.limit(limit + 1).offset(offset);
    ctx.body = { data: rows.slice(0, limit).map((r: any) => taskView(r, c.lang)), page: { limit, offset, more: rows.length > limit } };
  });

  async function visibleTask(c: CallContext, taskId: number) {
    const r = await taskQuery(s.knex).where('t.id', taskId).first();
    if (!r) throw notFound('task', taskId);
    const uid = c.actor.id;
    const involved = [r.assignee_id, r.acted_by, r.delegated_from, r.initiator_id].some((x) => x != null && Number(x) === uid);
    if (!involved && !c.actor.isAdmin) throw notFound('task', taskId);
    return r;
  }

  async function trail(instanceId: number | null, lang: Lang, fallback: any) {
    if (instanceId == null) return [taskView(fallback, lang)];
    const rows = await taskQuery(s.knex).where('t.instance_id', instanceId).orderBy('t.id');
    return rows.map((r: any) => taskView(r, lang));
  }

  api.get('/inbox/tasks/:id', async (ctx) => {
    const c = callContext(ctx);
    const r = await visibleTask(c, id(ctx.params.id, 'task'));
    ctx.body = { data: { ...taskView(r, c.lang), trail: await trail(r.instance_id == null ? null : Number(r.instance_id), c.lang, r) } };
  });

  api.post('/inbox/tasks/:id/act', async (ctx) => {
    const c = callContext(ctx);
    const taskId = id(ctx.params.id, 'task');
    const body = (ctx.request.body ?? {}) as Record<string, any>;
    const task = await s.knex('ct_wf_task').where({ id: taskId }).first();
    if (!task) throw notFound('task', taskId);
    if (Number(task.assignee_id) !== c.actor.id) throw forbidden('workflow.notCandidate');
    if (task.kind !== 'approval') throw new AppError(400, 'BAD_REQUEST', 'workflow.notAssignment');
    const action = typeof body.action === 'string' ? body.action : '';
    const input = { comment: str(body.comment), signature: body.signature && typeof body.signature === 'object' ? { password: body.signature.password } : undefined, taskId };
    let record: Record<string, any>;
    if (ownsAction(task.entity, action)) {
      // The transition is a pipeline action: one transaction, its audit row and its after-commit event.
      record = await s.records.action(c, task.entity, Number(task.record_id), action, input, { system: true, reason: input.comment });
    } else {
      record = await s.knex.transaction(async (trx) => {
        const records = s.records.withTrx(trx);
        await engine.act(c, task.entity, Number(task.record_id), action, input, trx, records);
        return records.get({ ...c, actor: { ...c.actor, isAdmin: true } }, task.entity, Number(task.record_id));
      });
    }
    const after = await taskQuery(s.knex).where('t.id', taskId).first();
    ctx.body = { data: { task: taskView(after, c.lang), record } };
  });

  for (const how of ['delegate', 'reassign'] as const)
    api.post(`/inbox/tasks/:id/${how}`, async (ctx) => {
      const c = callContext(ctx);
      const body = (ctx.request.body ?? {}) as Record<string, any>;
      if (typeof body.to !== 'string' && typeof body.to !== 'number')
        throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/to', messageKey: 'workflow.unknownUser', params: { user: '' } }]);
      const moved = await s.knex.transaction((trx) => engine.moveTask(c, id(ctx.params.id, 'task'), body.to, how, str(body.comment), trx));
      const r = await taskQuery(s.knex).where('t.id', moved.id).first();
      ctx.body = { data: taskView(r, c.lang) };
    });

  api.post('/inbox/tasks/:id/complete', async (ctx) => {
    const c = callContext(ctx);
    const taskId = id(ctx.params.id, 'task');
    await s.knex.transaction((trx) => engine.complete(c, taskId, str((ctx.request.body as any)?.comment), trx));
    ctx.body = { data: taskView(await taskQuery(s.knex).where('t.id', taskId).first(), c.lang) };
  });

  function instanceView(r: any, lang: Lang) {
    const def: FlowDef = r.definition;
    return {
      id: Number(r.id), flow: { id: def.$id, label: pick(def.label, lang), version: r.flow_version }, entity: r.entity, entityLabel: entityLabel(r.entity, lang),
      recordId: Number(r.record_id), title: r.record_title, state: r.state, stateLabel: def.states[r.state] ? pick(def.states[r.state].label, lang) : r.state,
      status: r.status, initiator: r.initiator_id == null ? null : { id: Number(r.initiator_id), name: r.initiator_name }, startedAt: r.started_at, endedAt: r.ended_at,
      canWithdraw: r.status === 'running' && def.withdraw !== false,
    };
  }

  api.get('/inbox/initiated', async (ctx) => {
    const c = callContext(ctx);
    const uid = me(c);
    const q = ctx.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const qb = s.knex('ct_wf_instance').where({ initiator_id: uid });
    if (typeof q.entity === 'string' && q.entity) qb.where('entity', q.entity);
    if (typeof q.status === 'string' && q.status) qb.where('status', q.status);
    const rows = await qb.orderBy('id', 'desc').limit(limit + 1).offset(offset);
    ctx.body = { data: rows.slice(0, limit).map((r: any) => instanceView(r, c.lang)), page: { limit, offset, more: rows.length > limit } };
  });

  api.get('/inbox/instances/:id', async (ctx) => {
    const c = callContext(ctx);
    const instId = id(ctx.params.id, 'workflowInstance');
    const r = await s.knex('ct_wf_instance').where({ id: instId }).first();
    if (!r) throw notFound('workflowInstance', instId);
    const involved = Number(r.initiator_id) === c.actor.id || (await s.knex('ct_wf_task').where({ instance_id: instId }).where((w) => w.where('assignee_id', c.actor.id).orWhere('acted_by', c.actor.id).orWhere('delegated_from', c.actor.id)).first('id'));
    if (!involved && !c.actor.isAdmin) throw notFound('workflowInstance', instId);
    ctx.body = { data: { ...instanceView(r, c.lang), trail: await trail(instId, c.lang, null) } };
  });

  api.post('/inbox/instances/:id/withdraw', async (ctx) => {
    const c = callContext(ctx);
    const instId = id(ctx.params.id, 'workflowInstance');
    await s.knex.transaction((trx) => engine.withdraw(c, instId, str((ctx.request.body as any)?.comment), trx, s.records.withTrx(trx)));
    ctx.body = { data: instanceView(await s.knex('ct_wf_instance').where({ id: instId }).first(), c.lang) };
  });

  /** Flow status of one record (the record page): readable only by those who may read the record. */
  api.get('/inbox/records/:entity/:id', async (ctx) => {
    const c = callContext(ctx);
    const recordId = id(ctx.params.id, ctx.params.entity);
    await s.records.get(c, ctx.params.entity, recordId, { fields: ['id'] });
    const insts = await s.knex('ct_wf_instance').where({ entity: ctx.params.entity, record_id: recordId }).orderBy('id', 'desc');
    const assigns = await taskQuery(s.knex).where({ 't.entity': ctx.params.entity, 't.record_id': recordId, 't.kind': 'assign' }).orderBy('t.id', 'desc');
    ctx.body = {
      data: {
        instances: await Promise.all(insts.map(async (r: any) => ({ ...instanceView(r, c.lang), trail: await trail(Number(r.id), c.lang, null) }))),
        assignments: assigns.map((r: any) => taskView(r, c.lang)),
      },
    };
  });

  api.get('/inbox/notifications', async (ctx) => {
    const c = callContext(ctx);
    const uid = me(c);
    const q = ctx.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const qb = s.knex('ct_wf_notification').where({ user_id: uid });
    if (q.unread === 'true') qb.whereNull('read_at');
    const rows = await qb.orderBy('id', 'desc').limit(limit + 1).offset(offset);
    ctx.body = {
      data: rows.slice(0, limit).map((r: any) => ({
        id: Number(r.id), kind: r.kind, taskId: r.task_id == null ? null : Number(r.task_id), instanceId: r.instance_id == null ? null : Number(r.instance_id),
        entity: r.entity, entityLabel: r.entity ? entityLabel(r.entity, c.lang) : null, recordId: r.record_id == null ? null : Number(r.record_id), title: r.record_title,
        data: r.data, createdAt: r.created_at, readAt: r.read_at,
      })),
      page: { limit, offset, more: rows.length > limit },
    };
  });

  api.post('/inbox/notifications/read-all', async (ctx) => {
    const n = await s.knex('ct_wf_notification').where({ user_id: me(callContext(ctx)) }).whereNull('read_at').update({ read_at: s.knex.fn.now() });
    ctx.body = { data: { updated: n } };
  });

  api.post('/inbox/notifications/:id/read', async (ctx) => {
    const n = await s.knex('ct_wf_notification').where({ id: id(ctx.params.id, 'notification'), user_id: me(callContext(ctx)) }).update({ read_at: s.knex.fn.now() });
    if (!n) throw notFound('notification', ctx.params.id);
    ctx.body = { data: { updated: n } };
  });
}
