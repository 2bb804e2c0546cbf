import type { Knex } from 'knex';
import { definePlugin, VetoError, AppError, type CallContext, type PluginApi, type Records } from '../../platform/plugins/sdk';
import { enforceGate, gatedFields, idsOf, lastRecords, planFields, refreshAsset, removeUsage, writeUsage } from './care';
import { runReminders } from './reminders';
import { equipmentMessages } from './messages';
import { equipmentRoutes } from './routes';
import { nextDue, type Completion, type PlanLike } from './schedule';

/**
 * Equipment care (issue 14, R-3.6.1– ): the asset register's computed state (maintenance and calibration
 * plans → next due date, out of calibration, overdue), maintenance records signed electronically, repairs that move
 * the asset's status, due work as tasks in the equipment manager's inbox (a job, once per due date), the gate that
 * refuses an unusable asset on any record whose field says `x-equipment-gate`, the usage log those records write,
 * the impact query (batches since the last passing calibration) and the equipment ledger (设备台账) with XLSX export.
 */
export default definePlugin({
  name: 'equipment-care',
  migrations: 'migrations',
  tables: ['ec_usage', 'ec_reminder'],
  messages: equipmentMessages,
  web: 'web/index.tsx',
  async setup(api) {
    const reminders = api.job('reminders', async () => {
      await runReminders(api);
    });
    registerGate(api);
    // A plan whose reminder window is open gets its task right after the write commits.
    registerPlans(api, (trx) => reminders.enqueue({}, { key: 'reminders', trx }));
    registerRecords(api);
    registerRepairs(api);
    // Hourly, and once after a restart that missed a run; the ec_reminder key (plan, due date) makes every reminder once.
    await reminders.schedule('15 * * * *');
  },
  routes(router, api) {
    equipmentRoutes(router, api);
  },
});

function registerGate(api: PluginApi) {
  const applies = (e: any) => gatedFields(api, e).length > 0;
  api.hooks.on('*', 'beforeCreate', (a) => enforceGate(api, a), { appliesTo: applies });
  api.hooks.on('*', 'beforeUpdate', (a) => enforceGate(api, a), { appliesTo: applies });
  api.hooks.on('*', 'afterCreate', (a) => writeUsage(api, a), { appliesTo: applies });
  api.hooks.on('*', 'afterUpdate', (a) => writeUsage(api, a), { appliesTo: applies });
  api.hooks.on('*', 'afterDelete', (a) => removeUsage(api, a.entity.name, Number(a.record.id), a.trx), { appliesTo: applies });
}

function registerPlans(api: PluginApi, remindSoon: (trx: Knex.Transaction) => Promise<number>) {
  api.hooks.on('equipment', 'beforeCreate', ({ record }) => {
    record.status ??= 'inUse';
    record.serviceState = 'noPlan';
  });
  const compute = async ({ record, previous, records }: { record: Record<string, any>; previous?: Record<string, any> | null; records: Records }) => {
    record.active ??= true;
    record.remindDays ??= 7;
    Object.assign(record, await planFields(api, records, { ...(record as PlanLike), id: record.id ?? previous?.id }));
  };
  api.hooks.on('maintenancePlan', 'beforeCreate', compute);
  api.hooks.on('maintenancePlan', 'beforeUpdate', compute);
  const after = async ({ record, previous, records, trx }: { record: Record<string, any>; previous?: Record<string, any> | null; records: Records; trx: Knex.Transaction }) => {
    for (const id of new Set([...idsOf(record.equipment), ...idsOf(previous?.equipment)])) await refreshAsset(api, records, id);
    await remindSoon(trx);
  };
  api.hooks.on('maintenancePlan', 'afterCreate', after);
  api.hooks.on('maintenancePlan', 'afterUpdate', after);
  api.hooks.on('maintenancePlan', 'afterDelete', after);
}

function registerRecords(api: PluginApi) {
  // Due tasks come from the reminder job (plan, asset and due date set by it), not from the form.
  api.hooks.on('maintenanceTask', 'beforeCreate', ({ record }) => {
    if (!record.plan || !record.dueDate) throw new VetoError('equipment.taskFromPlan', {}, '/plan');
  });
  const signing = new WeakSet<CallContext>();
  const derive = async ({ ctx, record, records }: { ctx: CallContext; record: Record<string, any>; records: Records }) => {
    const plan = await records.get(ctx, 'maintenancePlan', Number(record.plan), { fields: ['id', 'name', 'equipment', 'planType', 'nextDueDate', 'active'] }).catch(() => null);
    if (!plan) return; // the reference check names the plan
    if (plan.active === false) throw new VetoError('equipment.planInactive', { plan: plan.name }, '/plan');
    Object.assign(record, { equipment: plan.equipment, planType: plan.planType, dueDate: plan.nextDueDate ?? null });
  };
  api.hooks.on('maintenanceRecord', 'beforeCreate', async (a) => {
    await derive(a);
    a.record.status = 'draft';
  });
  api.hooks.on('maintenanceRecord', 'beforeUpdate', async (a) => {
    if (signing.has(a.ctx)) return;
    if (a.previous?.status === 'signed') throw new VetoError('equipment.recordSigned');
    if (Number(a.record.plan) !== Number(a.previous?.plan)) await derive(a);
  });
  api.hooks.on('maintenanceRecord', 'beforeDelete', ({ record }) => {
    if (record.status === 'signed') throw new VetoError('equipment.recordSigned');
  });
  // The password check and the signature row are the platform's (x-sign on maintenanceRecord); this stamps who signed
  // and applies the record: the plan's last completion and next due date, its due tasks closed, the asset's state.
  api.hooks.action('maintenanceRecord', 'sign', {
    label: { 'zh-CN': '签名确认', en: 'Sign off' },
    when: { '==': [{ var: 'status' }, 'draft'] },
    input: { type: 'object', additionalProperties: false, properties: { comment: { type: 'string', maxLength: 200, 'x-label': { 'zh-CN': '说明', en: 'Comment' } } } },
    handler: async ({ ctx, record, records, trx }) => {
      if (!ctx.actor.id) throw new AppError(403, 'FORBIDDEN', 'equipment.signSystem');
      if (record.status !== 'draft') throw new VetoError('equipment.notDraft');
      const sys = api.system(ctx.lang);
      const plan = await records.get(sys, 'maintenancePlan', Number(record.plan));
      const prior = await lastRecords(api, records, Number(plan.id));
      const mine: Completion & { id: number } = { id: Number(record.id), performedDate: record.performedDate, dueDate: record.dueDate, result: record.result };
      const newer = (x: typeof mine, y?: typeof mine) => !y || x.performedDate > y.performedDate || (x.performedDate === y.performedDate && x.id > y.id);
      const pass = mine.result === 'pass' && newer(mine, prior.pass) ? mine : prior.pass;
      const next = nextDue(plan as PlanLike, pass ?? null);
      const c = { ...ctx };
      signing.add(c);
      const signed = await records.update(c, 'maintenanceRecord', record.id, { version: record.version }, {
        set: { status: 'signed', signedBy: ctx.actor.id, signedAt: new Date().toISOString(), nextDueDate: next }, system: true,
      });
      const fresh = await records.update(sys, 'maintenancePlan', Number(plan.id), { version: plan.version }, { set: { nextDueDate: next }, reason: signed.recordNo });
      // Due tasks this completion fulfils: every open one of the plan due before the new due date.
      const open = (await records.list(sys, 'maintenanceTask', { filter: { plan: plan.id, status: 'open' }, limit: 100 })).data;
      for (const task of open.filter((x: any) => !fresh.nextDueDate || x.dueDate < fresh.nextDueDate)) {
        await records.update(sys, 'maintenanceTask', task.id, { version: task.version }, { set: { status: 'done', record: record.id }, reason: signed.recordNo });
        await api.completeAssignments(trx, ctx, 'maintenanceTask', Number(task.id), signed.recordNo);
      }
      await refreshAsset(api, records, Number(plan.equipment));
      return signed;
    },
  });
}

function registerRepairs(api: PluginApi) {
  const setStatus = async (records: Records, id: number, status: string, reason: string) => {
    const sys = api.system();
    const asset = await records.get(sys, 'equipment', id, { fields: ['id', 'version', 'status'] });
    if (asset.status !== status) await records.update(sys, 'equipment', id, { version: asset.version, status }, { reason });
  };
  api.hooks.on('equipmentRepair', 'beforeCreate', async ({ ctx, record, records }) => {
    const asset = await records.get(ctx, 'equipment', Number(record.equipment), { fields: ['id', 'name', 'status'] }).catch(() => null);
    if (asset?.status === 'scrapped') throw new VetoError('equipment.assetScrapped', { asset: asset.name }, '/equipment');
    record.status = 'open';
    record.repairerKind ??= 'internal';
  });
  api.hooks.on('equipmentRepair', 'afterCreate', async ({ record, records }) => {
    await setStatus(records, Number(record.equipment), 'underRepair', record.repairNo ?? 'repair');
  });
  api.hooks.on('equipmentRepair', 'beforeUpdate', ({ record, previous }) => {
    if (previous && Number(record.equipment) !== Number(previous.equipment) && previous.status === 'open') throw new VetoError('equipment.repairOpenDelete', {}, '/equipment');
  });
  api.hooks.on('equipmentRepair', 'beforeDelete', ({ record }) => {
    if (record.status === 'open') throw new VetoError('equipment.repairOpenDelete');
  });
  api.hooks.action('equipmentRepair', 'finish', {
    label: { 'zh-CN': '完成维修', en: 'Finish repair' },
    when: { '==': [{ var: 'status' }, 'open'] },
    input: {
      type: 'object', required: ['result'], additionalProperties: false,
      properties: {
        result: { type: 'string', enum: ['repaired', 'notRepairable'], 'x-enum-labels': { repaired: { 'zh-CN': '已修复', en: 'Repaired' }, notRepairable: { 'zh-CN': '无法修复', en: 'Not repairable' } }, 'x-label': { 'zh-CN': '维修结果', en: 'Result' } },
        endedAt: { type: 'string', format: 'date-time', 'x-label': { 'zh-CN': '修复时间', en: 'Repair ended' } },
        cost: { type: 'number', minimum: 0, maximum: 100000000, 'x-label': { 'zh-CN': '维修费用(元)', en: 'Cost (CNY)' } },
        resultNote: { type: 'string', maxLength: 2000, 'x-label': { 'zh-CN': '维修说明', en: 'Repair notes' } },
      },
    },
    handler: async ({ ctx, record, input, records }) => {
      if (record.status !== 'open') throw new VetoError('equipment.repairClosed');
      const end = input.endedAt ? new Date(input.endedAt) : new Date();
      const startText = record.startedAt ?? record.reportedAt;
      const start = new Date(startText);
      if (end.getTime() < start.getTime()) throw new VetoError('equipment.endBeforeStart', { start: startText }, '/endedAt');
      const downtimeHours = Math.round(((end.getTime() - start.getTime()) / 3600_000) * 10) / 10;
      const done = await records.update(ctx, 'equipmentRepair', record.id, { version: record.version, ...(input.cost != null ? { cost: input.cost } : {}) }, {
        set: { status: 'closed', endedAt: end.toISOString(), downtimeHours, result: input.result, resultNote: input.resultNote ?? null }, system: true, reason: input.resultNote,
      });
      const stillOpen = (await records.list(api.system(), 'equipmentRepair', { filter: { equipment: record.equipment, status: 'open', id: { ne: record.id } }, fields: ['id'], limit: 1 })).data.length;
      if (input.result === 'notRepairable') await setStatus(records, Number(record.equipment), 'outOfService', done.repairNo);
      else if (!stillOpen) await setStatus(records, Number(record.equipment), 'inUse', done.repairNo);
      return done;
    },
  });
}
