import type { Services } from '../services';
import type { EntityDef } from '../metadata/model';
import { metaKinds, registerMetaKind, type MetaSet } from '../metadata/registry';
import { registerMessages } from '../i18n';
import { AppError } from '../errors';
import jsonLogic from 'json-logic-js';
import { WorkflowEngine, registerFlowEffect, type ActInput } from './engine';
import { inboxRoutes } from './routes';
import { flowIssues, flowMetaSchema, stateFieldOf, type FlowDef } from './schema';
import { usersByRef } from './resolvers';
import messages from './messages';

export { WorkflowEngine, registerFlowEffect, type FlowEffect, type EffectArgs, type ActInput } from './engine';
export { registerResolver, resolveCandidates, type CandidateResolver } from './resolvers';
export { addNotificationChannel, setNotificationErrorHandler, type Notification, type NotificationChannel } from './notify';
export { setSignatureProvider, type SignatureProvider } from './signature';
export { flowMetaSchema, type FlowDef } from './schema';

/** The 'flow' metadata kind (metadata/<module>/flows/*.json); process-wide, registered once. */
export function registerWorkflowKinds(): void {
  registerMessages(messages);
  if (!metaKinds().some((k) => k.kind === 'flow'))
    registerMetaKind({ kind: 'flow', folder: 'flows', schema: flowMetaSchema, check: (def: FlowDef, all: MetaSet) => flowIssues(def, all) });
}
// Importing the module is enough for the loader to know the kind (server.ts imports it before loading metadata).
registerWorkflowKinds();

const ASSIGN_INPUT = {
  type: 'object',
  required: ['assignee'],
  properties: { assignee: { type: ['integer', 'string'] }, comment: { type: 'string', maxLength: 2000 } },
};
const ACT_INPUT = {
  type: 'object',
  properties: {
    comment: { type: 'string', maxLength: 2000 },
    taskId: { type: 'integer', minimum: 1 },
  },
};

/**
 * Wires the engine into a running composition: record hooks (start on create, assignment follows the assignee
 * field), pipeline actions for every flow transition / start action / `assign`, the reminder and escalation jobs,
 * and the inbox API. Called once from server.ts before the plugins' setup: a flow owns its transitions, and a plugin
 * offering a fallback action of the same name checks `hooks.getAction` first (storage-slots does for stockOut).
 */
export function setupWorkflow(s: Services): WorkflowEngine {
  const engine = new WorkflowEngine(s);
  const owned = new Set<string>();
  const own = (entity: string, action: string, def: Parameters<Services['hooks']['action']>[2]) => {
    const key = `${entity}:${action}`;
    if (owned.has(key)) return;
    if (s.hooks.getAction(entity, action)) {
      s.log.warn({ entity, action }, 'workflow: an action of this name exists already; the flow transition is served by the inbox only');
      return;
    }
    s.hooks.action(entity, action, def);
    owned.add(key);
  };

  // Flows and entities change at run time (overlays): register the actions the current model needs, idempotently.
  const registerActions = () => {
    const model = s.meta.model;
    for (const f of Object.values((model.set.flow ?? {}) as Record<string, FlowDef>)) {
      if (!model.entity(f.entity)) continue;
      if (f.start.on === 'action') {
        const startAction = f.start.action;
        own(f.entity, startAction, {
          label: f.start.label ?? { 'zh-CN': '提交审批', en: 'Submit for approval' },
          // Offered while this flow applies to the record and none of its flows is running on it.
          available: async ({ entity, record }) =>
            !!engine.select(entity.name, record, { on: 'action', action: startAction }) &&
            !(await s.knex('ct_wf_instance').where({ entity: entity.name, record_id: record.id, status: 'running' }).first('id')),
          handler: async ({ ctx, entity, record, trx, records }) => {
            const flow = engine.select(entity.name, record, { on: 'action', action: startAction });
            if (!flow) throw new AppError(422, 'NO_FLOW', 'workflow.noFlow');
            await engine.start(ctx, flow, record, trx, records);
          },
        });
      }
      for (const t of f.transitions) {
        own(f.entity, t.action, {
          label: t.label,
          listed: false, // acted on through the step's tasks (inbox, record page)
          input: ACT_INPUT,
          handler: async ({ ctx, entity, record, input, signature, trx, records }) => {
            await engine.act(ctx, entity.name, record.id, t.action, { ...input, signature: signature as ActInput['signature'] }, trx, records);
          },
        });
      }
    }
    for (const e of model.entities.values()) {
      const field = engine.assigneeField(e);
      if (!field) continue;
      own(e.name, 'assign', {
        label: { 'zh-CN': '分派', en: 'Assign' },
        listed: false, // the assignee field of the form says it
        input: ASSIGN_INPUT,
        handler: async ({ ctx, entity, record, input, records, trx }) => {
          const [userId] = await usersByRef(trx, [input.assignee]);
          if (userId == null)
            throw new AppError(400, 'VALIDATION_FAILED', 'workflow.unknownUser', { user: String(input.assignee) }, [{ path: '/assignee', messageKey: 'workflow.unknownUser', params: { user: String(input.assignee) } }]);
          await records.update(ctx, entity.name, record.id, { [field]: userId, version: record.version }, { trx, system: true, reason: input.comment });
        },
      });
    }
  };
  registerActions();
  // Built-in effect: stamp fields (e.g. approvedBy) with JSON Logic over the record and `$actor`, as a system write.
  registerFlowEffect('setFields', async ({ ctx, trx, records, entity, record, input }) => {
    const data = { ...record, $actor: { id: ctx.actor.id, username: ctx.actor.username, displayName: ctx.actor.displayName }, $now: new Date().toISOString() };
    const patch = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v && typeof v === 'object' ? jsonLogic.apply(v as any, data) : v]));
    await records.update(ctx, entity.name, record.id, { ...patch, version: record.version }, { trx, system: true });
  });
  s.meta.onChange(() => registerActions());

  // Only entities with a flow or an assignee field need the engine around a create.
  const involved = (e: EntityDef) =>
    s.meta.model.memo(`wfInvolved:${e.name}`, () => Object.values<any>(s.meta.model.set.flow ?? {}).some((f) => f.entity === e.name) || !!engine.assigneeField(e));
  s.hooks.on(
    '*', 'beforeCreate',
    ({ entity, record }) => {
      const flow = engine.select(entity.name, record, { on: 'create' });
      const sf = flow && stateFieldOf(flow, entity.schema);
      if (flow && sf && entity.fields.has(sf)) record[sf] = flow.initial;
    },
    { appliesTo: involved, pure: true },
  );
  s.hooks.on(
    '*',
    'afterCreate',
    async ({ ctx, entity, record, trx, records }) => {
      if (!trx) return;
      const flow = engine.select(entity.name, record, { on: 'create' });
      if (flow) await engine.start(ctx, flow, record, trx, records);
      await engine.syncAssignment(ctx, entity, record, null, trx);
    },
    { appliesTo: involved },
  );
  s.hooks.on('*', 'afterUpdate', async ({ ctx, entity, record, previous, trx }) => {
    if (trx) await engine.syncAssignment(ctx, entity, record, previous, trx);
  });
  s.hooks.on('*', 'afterDelete', async ({ entity, record, trx }) => {
    if (!trx) return;
    await trx('ct_wf_task').where({ entity: entity.name, record_id: record.id }).whereIn('status', ['pending', 'waiting']).update({ status: 'cancelled' });
    await trx('ct_wf_instance').where({ entity: entity.name, record_id: record.id, status: 'running' }).update({ status: 'cancelled', ended_at: trx.fn.now() });
  });

  if (s.jobs) {
    s.jobs.register('workflow.remind', (p: { taskId: number }) => engine.remind(Number(p.taskId)));
    s.jobs.register('workflow.escalate', (p: { taskId: number }) => engine.escalate(Number(p.taskId)));
  }
  s.routeExtensions.push((api) => inboxRoutes(api, s, engine, (entity, action) => owned.has(`${entity}:${action}`)));
  (s as any).workflow = engine;
  return engine;
}
