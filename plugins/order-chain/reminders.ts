import type { PluginApi } from '../../platform/plugins/sdk';

/**
 * Storage-term reminders: an order whose storage service ends within the configured days is announced once per end
 * date to the reminder roles of its lab (sales of the centre above included), so renewal can be offered in time.
 * Sales clerks sit at the centre above the lab: whoever covers the lab hears of it. A missed day is caught up by the job's schedule; the sent table stops duplicates.
 */
export async function remindStorageEnds(api: PluginApi): Promise<{ sent: number }> {
  const { reminderDays, reminderRoles } = await api.settings<{ reminderDays: number; reminderRoles: string[] }>().get();
  const today = new Date().toISOString().slice(0, 10);
  const until = new Date(Date.now() + reminderDays * 86_400_000).toISOString().slice(0, 10);
  const sys = api.system();
  const due = (await api.records.list(sys, 'serviceOrder', { filter: { storageEnd: { gte: today, lte: until } }, fields: ['id', 'orderCode', 'storageEnd', 'labId', 'customer'], expand: ['customer'], limit: 1000 })).data;
  let sent = 0;
  for (const o of due) {
    await api.transaction(async (trx) => {
      const db = api.db(trx);
      const ins = await db.raw('insert into oc_reminder_sent (order_id, end_date) values (?, ?) on conflict do nothing', [o.id, o.storageEnd]);
      if (!ins.rowCount) return;
      const users = new Set<number>();
      for (const role of reminderRoles) for (const u of await api.usersWithRole(role, { labId: o.labId, covering: true, trx })) users.add(u.id);
      const customer = (o['customer$expanded'] as { name?: string } | null)?.name ?? '';
      if (users.size)
        await api.notify(trx, [...users].map((userId) => ({ userId, kind: 'storageEnd', entity: 'serviceOrder', recordId: o.id, recordTitle: String(o.orderCode), data: { messageKey: 'chain.reminder.storageEnd', order: o.orderCode, customer, date: o.storageEnd } })));
      sent++;
    });
  }
  return { sent };
}
