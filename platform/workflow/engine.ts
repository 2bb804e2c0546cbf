import type { Knex } from 'knex';
import jsonLogic from 'json-logic-js';
import dayjs from 'dayjs';
import duration from 'dayjs/plugin/duration';
import { AppError, forbidden, notFound } from '../errors';
import type { CallContext } from '../context';
import { systemContext } from '../context';
import type { EntityDef } from '../metadata/model';
import type { RecordService } from '../records/service';
import type { Services } from '../services';
import { writeAudit } from '../audit/audit';
import { label as pick } from '../i18n';
import { fromList, stateFieldOf, type FlowDef, type StateDef, type TransitionDef } from './schema';
import { adminUsers, resolveCandidates, usersByRef } from './resolvers';
import { notify } from './notify';
import { sign } from './signature';

dayjs.extend(duration);

export interface ActInput {
  comment?: string;
  signature?: { password?: string };
  /** Which of the actor's tasks (inbox); otherwise the actor's pending task on the record. */
  taskId?: number;
}

export interface EffectArgs {
  ctx: CallContext;
  trx: Knex.Transaction;
  records: RecordService;
  entity: EntityDef;
  record: Record<string, any>;
  instance: InstanceRow;
  transition: TransitionDef;
  input: Record<string, unknown>;
}
export type FlowEffect = (a: EffectArgs) => Promise<void>;

const effects = new Map<string, FlowEffect>();
/** Named side effects a flow may list (`effects: [{effect: name}]`); run in the transition's transaction. */
export function registerFlowEffect(name: string, fn: FlowEffect): void {
  effects.set(name, fn);
}

export interface InstanceRow {
  id: number;
  flow_id: string;
  flow_version: number;
  definition: FlowDef;
  entity: string;
  record_id: number;
  state: string;
  status: string;
  round: number;
  initiator_id: number | null;
  initiator_name: string | null;
  record_title: string | null;
}

/** Does the step name the initiator as an assignee (a resubmission after a return)? Only then may the initiator act on it. */
export const namesInitiator = (st: StateDef | undefined): boolean => !!st?.assignees?.some((a) => a.type === 'initiator');

const taskClosed = (status: string) => new AppError(409, 'TASK_CLOSED', 'workflow.taskClosed', { status });
const ms = (iso: string) => dayjs.duration(iso).asMilliseconds();

function toInstance(r: any): InstanceRow {
  return { ...r, id: Number(r.id), record_id: Number(r.record_id), initiator_id: r.initiator_id == null ? null : Number(r.initiator_id) };
}

/**
 * The approval engine. Every step runs inside one transaction (the record pipeline's when it comes through an
 * action): the instance row is locked first, so two approvers acting at once are serialised and the later one finds
 * its task closed (409). The record's state field is written through the pipeline (`system`: the engine has
 * checked the actor is a candidate), and each instance keeps the flow definition it started with.
 */
export class WorkflowEngine {
  constructor(private s: Services) {}

  flows(): FlowDef[] {
    return Object.values((this.s.meta.model.set.flow ?? {}) as Record<string, FlowDef>);
  }

  /** The flow that applies to a record for a start trigger: matching `when`, highest priority first. */
  select(entity: string, record: Record<string, any>, trigger: { on: 'create' } | { on: 'action'; action: string }): FlowDef | undefined {
    const matches = this.flows()
      .filter((f) => f.entity === entity && f.start.on === trigger.on && (trigger.on === 'create' || (f.start as any).action === (trigger as any).action))
      .filter((f) => !f.when || truthy(jsonLogic.apply(f.when as any, record)))
      .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) || a.$id.localeCompare(b.$id));
    return matches[0];
  }

  private async flowVersion(trx: Knex.Transaction, id: string): Promise<number> {
    const r = await trx('ct_meta_overlay').where({ kind: 'flow', meta_id: id }).max('version as v').first();
    return Number(r?.v ?? 0);
  }

  private entityDef(name: string): EntityDef {
    const e = this.s.meta.model.entity(name);
    if (!e) throw new AppError(404, 'NOT_FOUND', 'error.unknownEntity', { entity: name });
    return e;
  }

  private titleOf(e: EntityDef, r: Record<string, any>): string {
    const v = r[e.titleField] ?? r.id;
    return String(v ?? '').slice(0, 200);
  }

  private async readRecord(ctx: CallContext, records: RecordService, entity: string, id: number): Promise<Record<string, any>> {
    return records.get({ ...ctx, actor: { ...ctx.actor, isAdmin: true } }, entity, id);
  }

  /** Starts `flow` on a record inside `trx` (afterCreate hook or a start action). */
  async start(ctx: CallContext, flow: FlowDef, record: Record<string, any>, trx: Knex.Transaction, records: RecordService): Promise<InstanceRow> {
    const e = this.entityDef(flow.entity);
    const running = await trx('ct_wf_instance').where({ entity: e.name, record_id: record.id, status: 'running' }).first('id');
    if (running) throw new AppError(409, 'FLOW_RUNNING', 'workflow.alreadyRunning', { id: Number(running.id) });
    const version = await this.flowVersion(trx, flow.$id);
    const [row] = await trx('ct_wf_instance')
      .insert({
        flow_id: flow.$id, flow_version: version, definition: JSON.stringify(flow), entity: e.name, record_id: record.id, state: flow.initial,
        status: 'running', round: 0, initiator_id: ctx.actor.id, initiator_name: ctx.actor.displayName, record_title: this.titleOf(e, record),
      })
      .returning('*')
      .catch((err: any) => {
        // Two starts at once: the second loses on the one-running-instance index, and is told so (not a 500).
        if (err?.code === '23505' && String(err?.constraint ?? '') === 'ct_wf_instance_running_uq') throw new AppError(409, 'FLOW_RUNNING', 'workflow.alreadyRunning', { id: null });
        throw err;
      });
    const inst = toInstance(row);
    await this.audit(trx, ctx, inst, 'flow:start', { flow: flow.$id, version, state: flow.initial });
    await this.enterState(ctx, trx, records, inst, flow.initial, record);
    return inst;
  }

  /** Moves the instance into `state`: writes the record's state field, closes or opens the step's tasks. */
  private async enterState(ctx: CallContext, trx: Knex.Transaction, records: RecordService, inst: InstanceRow, state: string, record?: Record<string, any>, outcome?: string) {
    const def = inst.definition;
    const st: StateDef = def.states[state];
    const e = this.entityDef(inst.entity);
    const round = inst.round + 1;
    // Any task still open in the previous step is moot now.
    await trx('ct_wf_task').where({ instance_id: inst.id }).whereIn('status', ['pending', 'waiting']).update({ status: 'cancelled' });
    const sf = stateFieldOf(def, e.schema);
    let rec = record ?? (await this.readRecord(ctx, records, e.name, inst.record_id));
    if (sf && e.fields.has(sf) && rec[sf] !== state) rec = await records.update(ctx, e.name, inst.record_id, { [sf]: state, version: rec.version }, { trx, system: true });
    const status = st.final ? (outcome === 'reject' ? 'rejected' : 'completed') : 'running';
    await trx('ct_wf_instance')
      .where({ id: inst.id })
      .update({ state, round, status, ended_at: st.final ? trx.fn.now() : null, record_title: this.titleOf(e, rec) });
    Object.assign(inst, { state, round, status });
    if (st.final) {
      if (inst.initiator_id != null)
        await notify(trx, [{ userId: inst.initiator_id, kind: 'outcome', instanceId: inst.id, entity: e.name, recordId: inst.record_id, recordTitle: this.titleOf(e, rec), data: { state, status, flow: def.$id } }]);
      return;
    }
    // Segregation of duties: the initiator is no candidate of its own request, unless the step names it.
    const notSelf = (ids: number[]) => (namesInitiator(st) ? ids : ids.filter((u) => u !== inst.initiator_id));
    let users = notSelf(await resolveCandidates(st.assignees ?? [], { trx, entity: e.name, record: rec, initiatorId: inst.initiator_id }));
    if (!users.length) {
      if (def.onNoCandidates === 'fail') throw new AppError(422, 'NO_CANDIDATES', 'workflow.noCandidates', { state: pick(st.label, ctx.lang) });
      const admins = await adminUsers(trx);
      // An administrator who started it keeps the task in view (to hand it on), but may not act on it (act refuses).
      users = notSelf(admins).length ? notSelf(admins) : admins;
    }
    const mode = st.mode ?? 'any';
    const dueAt = st.due ? new Date(Date.now() + ms(st.due.after)) : null;
    const summary = Object.fromEntries((def.summary ?? []).map((f) => [f, rec[f] ?? null]));
    const rows = await trx('ct_wf_task')
      .insert(
        users.map((u, i) => ({
          kind: 'approval', instance_id: inst.id, round, state_key: state, entity: e.name, record_id: inst.record_id, record_title: this.titleOf(e, rec),
          summary: JSON.stringify(summary), assignee_id: u, seq: i, status: mode === 'sequential' && i > 0 ? 'waiting' : 'pending', due_at: dueAt?.toISOString() ?? null,
        })),
      )
      .returning(['id', 'assignee_id', 'status']);
    for (const t of rows.filter((r: any) => r.status === 'pending')) await this.opened(trx, Number(t.id), Number(t.assignee_id), st, inst);
  }

  /** A task became active: tell its assignee and plan the reminder and escalation jobs (in the same transaction). */
  private async opened(trx: Knex.Transaction, taskId: number, userId: number, st: StateDef | undefined, inst: { id: number | null; entity: string; record_id: number; record_title: string | null }) {
    await notify(trx, [{ userId, kind: 'task', taskId, instanceId: inst.id, entity: inst.entity, recordId: inst.record_id, recordTitle: inst.record_title }]);
    if (!st?.due || !this.s.jobs) return;
    const due = Date.now() + ms(st.due.after);
    await trx('ct_wf_task').where({ id: taskId }).update({ due_at: new Date(due).toISOString() });
    const remindAt = new Date(due - (st.due.remindBefore ? ms(st.due.remindBefore) : 0));
    await this.s.jobs.enqueue('workflow.remind', { taskId }, { runAt: remindAt, key: `remind:${taskId}` }, trx);
    if (st.due.escalateAfter && st.due.escalateTo)
      await this.s.jobs.enqueue('workflow.escalate', { taskId }, { runAt: new Date(Date.now() + ms(st.due.escalateAfter)), key: `escalate:${taskId}` }, trx);
  }

  private async lockInstance(trx: Knex.Transaction, id: number): Promise<InstanceRow> {
    const r = await trx('ct_wf_instance').where({ id }).forUpdate().first();
    if (!r) throw notFound('workflowInstance', id);
    return toInstance(r);
  }

  private async audit(trx: Knex.Transaction, ctx: CallContext, inst: { entity: string; record_id: number }, action: string, changes: Record<string, unknown>, reason?: string | null) {
    await writeAudit(trx, {
      actorId: ctx.actor.id, actorName: ctx.actor.displayName, entity: inst.entity, recordId: inst.record_id, action, changes, reason: reason ?? null, ip: ctx.ip, requestId: ctx.requestId,
    });
  }

  /** Transitions available to the actor's task (for the inbox). */
  transitionsFor(def: FlowDef, state: string): TransitionDef[] {
    return def.transitions.filter((t) => fromList(t).includes(state));
  }

  /**
   * A candidate acts on a record's flow (a pipeline action's handler: `records.action` holds the transaction and
   * writes the action's audit row; this adds the flow's own row with the task, comment and signature).
   */
  async act(ctx: CallContext, entity: string, recordId: number, action: string, input: ActInput, trx: Knex.Transaction, records: RecordService): Promise<void> {
    let instanceId: number;
    if (input.taskId != null) {
      const t0 = await trx('ct_wf_task').where({ id: input.taskId, entity, record_id: recordId }).first('instance_id');
      if (!t0) throw notFound('task', input.taskId);
      if (t0.instance_id == null) throw new AppError(400, 'BAD_REQUEST', 'workflow.notAssignment');
      instanceId = Number(t0.instance_id);
    } else {
      const running = await trx('ct_wf_instance').where({ entity, record_id: recordId, status: 'running' }).first('id');
      if (!running) throw new AppError(409, 'NO_RUNNING_FLOW', 'workflow.noRunningFlow');
      instanceId = Number(running.id);
    }
    const inst = await this.lockInstance(trx, instanceId);
    const q = trx('ct_wf_task').where({ instance_id: inst.id }).forUpdate();
    // The actor's open task, else their latest one (closed meanwhile by someone else: 409, not 403).
    if (input.taskId != null) q.where({ id: input.taskId });
    else q.where({ assignee_id: ctx.actor.id }).orderByRaw(`(status = 'pending') desc`).orderBy('id', 'desc');
    const task = await q.first();
    if (!task || Number(task.assignee_id) !== ctx.actor.id) throw forbidden('workflow.notCandidate');
    if (task.status !== 'pending') throw taskClosed(task.status);
    if (inst.status !== 'running') throw new AppError(409, 'NO_RUNNING_FLOW', 'workflow.noRunningFlow');
    const def = inst.definition;
    // Segregation of duties: nobody approves, rejects or signs a step of a request they started (however the
    // task reached them), unless the step names the initiator.
    if (inst.initiator_id != null && inst.initiator_id === ctx.actor.id && !namesInitiator(def.states[inst.state])) throw forbidden('workflow.selfApproval');
    const t = def.transitions.find((x) => x.action === action && fromList(x).includes(inst.state));
    if (!t)
      throw new AppError(400, 'UNKNOWN_TRANSITION', 'workflow.unknownTransition', { action, allowed: this.transitionsFor(def, inst.state).map((x) => x.action).join(', ') });
    const comment = typeof input.comment === 'string' ? input.comment.trim() : '';
    if (t.comment === 'required' && !comment)
      throw new AppError(400, 'VALIDATION_FAILED', 'workflow.commentRequired', {}, [{ path: '/comment', messageKey: 'workflow.commentRequired' }]);
    const e = this.entityDef(entity);
    const record = await this.readRecord(ctx, records, entity, recordId);
    if (t.guard && !truthy(jsonLogic.apply(t.guard as any, { ...record, $actor: { id: ctx.actor.id, username: ctx.actor.username, roles: ctx.actor.roles ?? [] } }))) {
      const r = t.refusal ?? { 'zh-CN': '不满足条件', en: 'Condition not met' };
      throw new AppError(422, 'GUARD_REFUSED', 'workflow.guardRefused', { reasonZh: r['zh-CN'], reasonEn: r.en || r['zh-CN'], action });
    }
    let signatureId: number | null = null;
    if (t.signature)
      signatureId = (await sign({ ctx, trx, entity, recordId, action, meaning: pick(t.signature.meaning, ctx.lang), content: record, password: input.signature?.password })).id;
    const type = t.type ?? 'approve';
    const taskStatus = type === 'approve' ? 'approved' : type === 'reject' ? 'rejected' : type === 'return' ? 'returned' : 'done';
    await trx('ct_wf_task').where({ id: task.id }).update({ status: taskStatus, action, comment: comment || null, acted_by: ctx.actor.id, acted_at: trx.fn.now() });
    await this.audit(trx, ctx, inst, `flow:${action}`, { flow: inst.flow_id, version: inst.flow_version, task: Number(task.id), state: inst.state, comment: comment || null, signatureId }, comment || null);

    const st = def.states[inst.state];
    let complete = true;
    if (type === 'approve') {
      const mode = st.mode ?? 'any';
      if (mode === 'all') {
        complete = !(await trx('ct_wf_task').where({ instance_id: inst.id, round: inst.round }).whereIn('status', ['pending', 'waiting']).first('id'));
      } else if (mode === 'sequential') {
        const next = await trx('ct_wf_task').where({ instance_id: inst.id, round: inst.round, status: 'waiting' }).orderBy('seq').first();
        if (next) {
          complete = false;
          await trx('ct_wf_task').where({ id: next.id }).update({ status: 'pending' });
          await this.opened(trx, Number(next.id), Number(next.assignee_id), st, inst);
        }
      }
    }
    if (!complete) return;
    const from = inst.state;
    await this.enterState(ctx, trx, records, inst, t.to, undefined, type);
    await this.audit(trx, ctx, inst, 'flow:transition', { flow: inst.flow_id, from, to: t.to, action });
    const after = await this.readRecord(ctx, records, entity, recordId);
    for (const ef of t.effects ?? []) {
      if (ef.action) await records.action(ctx, e.name, recordId, ef.action, ef.input ?? {}, { trx, system: true });
      else {
        const fn = effects.get(ef.effect!);
        if (!fn) throw new Error(`no workflow effect named ${ef.effect}`);
        await fn({ ctx, trx, records, entity: e, record: after, instance: inst, transition: t, input: ef.input ?? {} });
      }
    }
  }

  /** The initiator takes the request back: open tasks are cancelled, the record goes to `withdraw.to` if set. */
  async withdraw(ctx: CallContext, instanceId: number, comment: string | undefined, trx: Knex.Transaction, records: RecordService): Promise<InstanceRow> {
    const inst = await this.lockInstance(trx, instanceId);
    if (inst.initiator_id == null || inst.initiator_id !== ctx.actor.id) throw forbidden('workflow.notInitiator');
    if (inst.status !== 'running') throw new AppError(409, 'NO_RUNNING_FLOW', 'workflow.noRunningFlow');
    if (inst.definition.withdraw === false) throw new AppError(409, 'WITHDRAW_NOT_ALLOWED', 'workflow.withdrawNotAllowed');
    await trx('ct_wf_task').where({ instance_id: inst.id }).whereIn('status', ['pending', 'waiting']).update({ status: 'cancelled' });
    const to = inst.definition.withdraw ? inst.definition.withdraw.to : undefined;
    const e = this.entityDef(inst.entity);
    const sf = stateFieldOf(inst.definition, e.schema);
    if (to && sf && e.fields.has(sf)) {
      const rec = await this.readRecord(ctx, records, e.name, inst.record_id);
      if (rec[sf] !== to) await records.update(ctx, e.name, inst.record_id, { [sf]: to, version: rec.version }, { trx, system: true });
    }
    await trx('ct_wf_instance').where({ id: inst.id }).update({ status: 'withdrawn', state: to ?? inst.state, ended_at: trx.fn.now() });
    await this.audit(trx, ctx, inst, 'flow:withdraw', { flow: inst.flow_id, state: inst.state, to: to ?? null }, comment);
    return { ...inst, status: 'withdrawn', state: to ?? inst.state };
  }

  /**
   * Hands a pending task to someone else. `delegate`: by its assignee; `reassign`: by an administrator or, for a
   * flow task, the initiator. The old assignee is kept on the task and the move is audited.
   */
  async moveTask(ctx: CallContext, taskId: number, to: string | number, how: 'delegate' | 'reassign', comment: string | undefined, trx: Knex.Transaction): Promise<Record<string, any>> {
    const t0 = await trx('ct_wf_task').where({ id: taskId }).first('instance_id');
    if (!t0) throw notFound('task', taskId);
    const inst = t0.instance_id != null ? await this.lockInstance(trx, Number(t0.instance_id)) : null;
    const task = await trx('ct_wf_task').where({ id: taskId }).forUpdate().first();
    if (how === 'delegate' && Number(task.assignee_id) !== ctx.actor.id) throw forbidden('workflow.notCandidate');
    if (how === 'reassign' && !ctx.actor.isAdmin && !(inst && inst.initiator_id === ctx.actor.id)) throw forbidden('workflow.reassignForbidden');
    if (task.status !== 'pending' && task.status !== 'waiting') throw taskClosed(task.status);
    const [target] = await usersByRef(trx, [to]);
    if (target == null) throw new AppError(400, 'VALIDATION_FAILED', 'workflow.unknownUser', { user: String(to) }, [{ path: '/to', messageKey: 'workflow.unknownUser', params: { user: String(to) } }]);
    if (target === Number(task.assignee_id)) return task;
    if (inst && task.kind !== 'assign') await this.assertStepCandidate(trx, inst, task.state_key, target, String(to));
    if (inst && (await trx('ct_wf_task').where({ instance_id: inst.id, round: inst.round, assignee_id: target }).whereIn('status', ['pending', 'waiting']).first('id')))
      throw new AppError(409, 'ALREADY_ASSIGNED', 'workflow.alreadyAssigned', { user: String(to) });
    if (task.kind === 'assign' && task.field) {
      // A plain assignment follows the record's assignee field: move the field, the hook moves the task.
      const records = this.s.records.withTrx(trx);
      const rec = await this.readRecord(ctx, records, task.entity, Number(task.record_id));
      await records.update(ctx, task.entity, Number(task.record_id), { [task.field]: target, version: rec.version }, { trx, system: true, reason: comment });
      return (await trx('ct_wf_task').where({ entity: task.entity, record_id: task.record_id, kind: 'assign', status: 'pending', assignee_id: target }).orderBy('id', 'desc').first()) ?? task;
    }
    const [moved] = await trx('ct_wf_task').where({ id: taskId }).update({ assignee_id: target, delegated_from: task.assignee_id }).returning('*');
    await this.audit(trx, ctx, { entity: task.entity, record_id: Number(task.record_id) }, `flow:${how}`, { task: taskId, from: Number(task.assignee_id), to: target }, comment);
    if (task.status === 'pending') await notify(trx, [{ userId: target, kind: 'delegated', taskId, instanceId: inst?.id ?? null, entity: task.entity, recordId: Number(task.record_id), recordTitle: task.record_title, data: { from: Number(task.assignee_id), how } }]);
    return moved;
  }

  /**
   * A delegated or reassigned task goes only to a candidate of its step (its assignees or `delegates`), never to
   * the initiator unless the step names it: otherwise a request's author could route its approval to itself.
   */
  private async assertStepCandidate(trx: Knex.Transaction, inst: InstanceRow, stateKey: string, target: number, to: string) {
    const st = inst.definition.states[stateKey];
    const bad = (key: string) => new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/to', messageKey: key, params: { user: to } }]);
    if (target === inst.initiator_id && !namesInitiator(st)) throw bad('workflow.targetIsInitiator');
    const rec = await this.readRecord(systemContext(), this.s.records.withTrx(trx), inst.entity, inst.record_id);
    const candidates = await resolveCandidates([...(st?.assignees ?? []), ...(st?.delegates ?? [])], { trx, entity: inst.entity, record: rec, initiatorId: inst.initiator_id });
    if (!candidates.includes(target)) throw bad('workflow.targetNotCandidate');
  }

  // ---- plain assignment (R-3.2.1) ----

  /** Assignee field of an entity: `x-assignee` on the entity (field name) or `x-assignee: true` on a field. */
  assigneeField(e: EntityDef): string | undefined {
    const own = e.schema['x-assignee'];
    if (typeof own === 'string' && e.fields.has(own)) return own;
    return [...e.fields.values()].find((f) => f.schema['x-assignee'] === true)?.name;
  }

  /** Keeps the assignee's inbox in step with the record's assignee field (after-hooks, same transaction). */
  async syncAssignment(ctx: CallContext, e: EntityDef, record: Record<string, any>, previous: Record<string, any> | null | undefined, trx: Knex.Transaction) {
    const field = this.assigneeField(e);
    if (!field) return;
    const now = record[field] ?? null;
    const before = previous ? (previous[field] ?? null) : null;
    if (previous && JSON.stringify(now) === JSON.stringify(before)) return;
    const open = await trx('ct_wf_task').where({ entity: e.name, record_id: record.id, kind: 'assign', status: 'pending' }).forUpdate();
    const [target] = now == null ? [] : await usersByRef(trx, [now]);
    if (open.length) await trx('ct_wf_task').whereIn('id', open.map((t: any) => t.id)).update({ status: 'cancelled' });
    if (target == null) {
      if (open.length) await this.audit(trx, ctx, { entity: e.name, record_id: record.id }, 'flow:unassign', { field, from: before });
      return;
    }
    const [row] = await trx('ct_wf_task')
      .insert({
        kind: 'assign', entity: e.name, record_id: record.id, record_title: this.titleOf(e, record), field, assignee_id: target, status: 'pending',
        delegated_from: open[0]?.assignee_id ?? null, summary: JSON.stringify({}),
      })
      .returning('id');
    await this.audit(trx, ctx, { entity: e.name, record_id: record.id }, open.length ? 'flow:reassign' : 'flow:assign', { field, from: before, to: target, task: Number(row.id) });
    await this.opened(trx, Number(row.id), target, undefined, { id: null, entity: e.name, record_id: record.id, record_title: this.titleOf(e, record) });
  }

  /** The assignee marks a plain assignment done. */
  async complete(ctx: CallContext, taskId: number, comment: string | undefined, trx: Knex.Transaction): Promise<void> {
    const task = await trx('ct_wf_task').where({ id: taskId }).forUpdate().first();
    if (!task) throw notFound('task', taskId);
    if (Number(task.assignee_id) !== ctx.actor.id) throw forbidden('workflow.notCandidate');
    if (task.kind !== 'assign') throw new AppError(400, 'BAD_REQUEST', 'workflow.notAssignment');
    if (task.status !== 'pending') throw taskClosed(task.status);
    await trx('ct_wf_task').where({ id: taskId }).update({ status: 'done', action: 'complete', comment: comment ?? null, acted_by: ctx.actor.id, acted_at: trx.fn.now() });
    await this.audit(trx, ctx, { entity: task.entity, record_id: Number(task.record_id) }, 'flow:complete', { task: taskId }, comment);
  }

  /** Closes a record's open plain assignments as done (the work was recorded elsewhere); audited per task. */
  async completeAssignments(ctx: CallContext, entity: string, recordId: number, comment: string | undefined, trx: Knex.Transaction): Promise<number> {
    const open = await trx('ct_wf_task').where({ entity, record_id: recordId, kind: 'assign', status: 'pending' }).forUpdate();
    for (const task of open) {
      await trx('ct_wf_task').where({ id: task.id }).update({ status: 'done', action: 'complete', comment: comment ?? null, acted_by: ctx.actor.id ?? null, acted_at: trx.fn.now() });
      await this.audit(trx, ctx, { entity, record_id: recordId }, 'flow:complete', { task: Number(task.id) }, comment);
    }
    return open.length;
  }

  // ---- due dates (jobs) ----

  async remind(taskId: number): Promise<void> {
    await this.s.knex.transaction(async (trx) => {
      const task = await trx('ct_wf_task').where({ id: taskId }).forUpdate().first();
      if (!task || task.status !== 'pending' || task.reminded_at) return;
      await trx('ct_wf_task').where({ id: taskId }).update({ reminded_at: trx.fn.now() });
      await notify(trx, [{ userId: Number(task.assignee_id), kind: 'reminder', taskId, instanceId: task.instance_id == null ? null : Number(task.instance_id), entity: task.entity, recordId: Number(task.record_id), recordTitle: task.record_title, data: { dueAt: task.due_at } }]);
    });
  }

  async escalate(taskId: number): Promise<void> {
    await this.s.knex.transaction(async (trx) => {
      const t0 = await trx('ct_wf_task').where({ id: taskId }).first('instance_id');
      if (!t0?.instance_id) return;
      const inst = await this.lockInstance(trx, Number(t0.instance_id));
      const task = await trx('ct_wf_task').where({ id: taskId }).forUpdate().first();
      if (task.status !== 'pending' || task.escalated_at || inst.status !== 'running') return;
      const st = inst.definition.states[task.state_key];
      const rec = await this.readRecord(systemContext(), this.s.records.withTrx(trx), inst.entity, inst.record_id);
      const users = await resolveCandidates(st?.due?.escalateTo ?? [], { trx, entity: inst.entity, record: rec, initiatorId: inst.initiator_id });
      await trx('ct_wf_task').where({ id: taskId }).update({ escalated_at: trx.fn.now() });
      const ctx = systemContext();
      if (st?.due?.escalation === 'reassign' && users[0] != null && users[0] !== Number(task.assignee_id)) {
        await trx('ct_wf_task').where({ id: taskId }).update({ assignee_id: users[0], delegated_from: task.assignee_id });
        await this.audit(trx, ctx, inst, 'flow:escalate', { task: taskId, from: Number(task.assignee_id), to: users[0] });
      } else await this.audit(trx, ctx, inst, 'flow:escalate', { task: taskId, notified: users });
      await notify(trx, users.map((u) => ({ userId: u, kind: 'escalation', taskId, instanceId: inst.id, entity: inst.entity, recordId: inst.record_id, recordTitle: inst.record_title, data: { assignee: Number(task.assignee_id), dueAt: task.due_at } })));
    });
  }
}

function truthy(v: unknown): boolean {
  return jsonLogic.truthy(v);
}
