import type { PluginApi } from '../../platform/plugins/sdk';
import { plansOf, taskTitle } from './care';
import { addDays, serviceState, today } from './schedule';

/**
 * Due work as tasks: every active plan whose reminder window has opened (next due − remind days ≤ today)
 * gets one `maintenanceTask` per due date, assigned to the plan's assignee, else to the equipment manager looking
 * after the asset's lab (its own or a centre's), else to the asset's responsible person; the assignee field puts it
 * into that person's inbox. The window test (not "due exactly today") makes a run after downtime catch up; the
 * `ec_reminder` primary key (plan, due date), taken in the task's transaction, makes each reminder once, however
 * often or wherever the job runs. Afterwards every asset's stored state is brought up to date (overdue at midnight).
 */
export async function runReminders(api: PluginApi, day = today()): Promise<{ created: number }> {
  const sys = api.system();
  let created = 0;
  let after = 0;
  for (;;) {
    const page = (await api.records.list(sys, 'maintenancePlan', { filter: { active: true, nextDueDate: { isNull: false }, id: { gt: after } }, sort: ['id'], limit: 500 })).data;
    if (!page.length) break;
    after = Number(page[page.length - 1].id);
    for (const plan of page) {
      if (addDays(plan.nextDueDate, -(plan.remindDays ?? 7)) > day) continue;
      const made = await api.transaction(async (trx, records) => {
        const db = api.db(trx);
        const asset = await records.get(sys, 'equipment', Number(plan.equipment), { fields: ['id', 'name', 'code', 'responsible', 'status'] });
        if (asset.status === 'scrapped') return false; // no work is due on a scrapped asset
        const claimed = await db.raw('insert into ec_reminder (plan_id, due_date) values (?, ?) on conflict do nothing returning plan_id', [plan.id, plan.nextDueDate]);
        if (!claimed.rows.length) return false;
        const managers = plan.labId == null ? [] : await api.usersWithRole('equipmentManager', { labId: Number(plan.labId), covering: true, trx });
        const assignee = plan.assignee ?? managers[0]?.id ?? asset.responsible ?? null;
        const task = await records.create(sys, 'maintenanceTask', assignee == null ? {} : { assignee }, {
          set: { title: taskTitle(api, 'zh-CN', plan, asset, plan.nextDueDate), plan: plan.id, equipment: asset.id, dueDate: plan.nextDueDate, status: 'open' },
          owner: { labId: plan.labId ?? null, orgId: plan.orgId ?? null },
          reason: 'equipment-care reminder',
        });
        await db.table('ec_reminder').where({ plan_id: plan.id, due_date: plan.nextDueDate }).update({ task_id: task.id });
        // The other managers of the lab hear of it too (one task, one person responsible).
        const others = managers.filter((m) => m.id !== assignee);
        if (others.length)
          await api.notify(trx, others.map((m) => ({ userId: m.id, kind: 'reminder', entity: 'maintenanceTask', recordId: Number(task.id), recordTitle: task.title, data: { dueAt: plan.nextDueDate } })));
        return true;
      });
      if (made) created++;
    }
  }
  // Stored states, a page of assets at a time: their plans in one query, a write only where the state changed.
  let last = 0;
  for (;;) {
    const page = (await api.records.list(sys, 'equipment', { filter: { id: { gt: last } }, fields: ['id', 'version', 'serviceState', 'nextDueDate'], sort: ['id'], limit: 500 })).data;
    if (!page.length) break;
    last = Number(page[page.length - 1].id);
    const plans = await plansOf(api, api.records, page.map((a) => Number(a.id)));
    for (const a of page) {
      const st = serviceState(plans.filter((p) => Number(p.equipment) === Number(a.id)), day);
      if (a.serviceState === st.state && (a.nextDueDate ?? null) === st.nextDueDate) continue;
      await api.records.update(sys, 'equipment', Number(a.id), { version: a.version }, { set: { serviceState: st.state, nextDueDate: st.nextDueDate }, reason: 'equipment-care' }).catch((e) => {
        // A concurrent write of the asset recomputed its state itself: nothing to do.
        if ((e as { status?: number }).status !== 409) throw e;
      });
    }
  }
  return { created };
}
