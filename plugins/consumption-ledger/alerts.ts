import { t, type PluginApi } from '../../platform/plugins/sdk';

const today = () => new Date().toISOString().slice(0, 10);

/** Lots past their expiry date become "expired" (through the pipeline: audited like any change). */
export async function expireLots(api: PluginApi): Promise<number> {
  const sys = api.system();
  let n = 0;
  for (;;) {
    const due = (await api.records.list(sys, 'materialLot', { filter: { status: { in: ['released', 'quarantined'] }, expiryDate: { lt: today() } }, limit: 200, fields: ['id', 'version'] })).data;
    if (!due.length) return n;
    for (const lot of due) await api.records.update(sys, 'materialLot', lot.id, { version: lot.version }, { set: { status: 'expired' }, reason: 'expiry date passed' });
    n += due.length;
  }
}

interface Alert { key: string; labId: number | null; entity: string; recordId: number; title: string; data: Record<string, unknown> }

/**
 * Stock alerts to the inventory keepers (and whoever the settings name) of the store's lab: below minimum stock, lots
 * expiring within the configured days, open containers past their in-use expiry. Each alert is sent once (its key is
 * remembered in cl_alert_sent, in the notification's transaction); a low-stock alert is forgotten when stock recovers,
 * so the next shortage alerts again.
 */
export async function runAlerts(api: PluginApi): Promise<{ sent: number }> {
  const sys = api.system();
  const { expiringDays, alertRoles } = await api.settings<{ expiringDays: number; alertRoles: string[] }>().get();
  const s = () => api.scopedQuery(sys, 'materialStore', 's', { fields: ['id', 'name', 'labId'] });
  const l = () => api.scopedQuery(sys, 'materialLot', 'l', { fields: ['id', 'lotNo', 'expiryDate'] });
  const m = () => api.scopedQuery(sys, 'material', 'm', { fields: ['id', 'name', 'unit', 'minStock'] });
  const db = api.db();
  const alerts: Alert[] = [];
  // Minimum stock is the lab's: every store of the lab together (a secondary store holds little by design).
  const low = (await db.raw(
    `select nullif(t.lab_id, 0) as lab_id, t.material_id, t.qty, m.name as mname, m.unit, m."minStock" as min_stock
     from cl_material_total t join ? on m.id = t.material_id
     where m."minStock" is not null and t.qty < m."minStock"`,
    [m()],
  )).rows;
  for (const r of low)
    alerts.push({
      key: `low:${r.lab_id ?? 0}:${r.material_id}`, labId: r.lab_id == null ? null : Number(r.lab_id), entity: 'material', recordId: Number(r.material_id),
      title: t('zh-CN', 'ledger.alert.lowStock', { material: r.mname, qty: String(Number(r.qty)), unit: r.unit ?? '', min: String(Number(r.min_stock)) }),
      data: { kind: 'lowStock', quantity: Number(r.qty), minStock: Number(r.min_stock) },
    });
  const soon = new Date(Date.now() + expiringDays * 86400_000).toISOString().slice(0, 10);
  const expiring = (await db.raw(
    `select b.store_id, b.lot_id, b.qty, s.name as store_name, s."labId" as lab_id, l."lotNo" as lot_no, l."expiryDate" as expiry, m.name as mname, m.unit
     from cl_balance b join ? on s.id = b.store_id join ? on l.id = b.lot_id join ? on m.id = b.material_id
     where b.qty > 0 and l."expiryDate" <= ?`,
    [s(), l(), m(), soon],
  )).rows;
  for (const r of expiring)
    alerts.push({
      key: `exp:${r.store_id}:${r.lot_id}`, labId: r.lab_id == null ? null : Number(r.lab_id), entity: 'materialLot', recordId: Number(r.lot_id),
      title: t('zh-CN', 'ledger.alert.expiring', { store: r.store_name, material: r.mname, lot: r.lot_no, date: r.expiry, qty: String(Number(r.qty)), unit: r.unit ?? '' }),
      data: { kind: 'expiring', store: Number(r.store_id), expiryDate: r.expiry },
    });
  const opened = (await db.raw(
    `select o.store_id, o.lot_id, o.opened_at, o.expires_at, s.name as store_name, s."labId" as lab_id, l."lotNo" as lot_no, m.name as mname
     from cl_opened o join cl_balance b on b.store_id = o.store_id and b.lot_id = o.lot_id join ? on s.id = o.store_id join ? on l.id = o.lot_id join ? on m.id = b.material_id
     where b.qty > 0 and o.expires_at < now()`,
    [s(), l(), m()],
  )).rows;
  for (const r of opened)
    alerts.push({
      key: `open:${r.store_id}:${r.lot_id}:${new Date(r.opened_at).toISOString()}`, labId: r.lab_id == null ? null : Number(r.lab_id), entity: 'materialLot', recordId: Number(r.lot_id),
      title: t('zh-CN', 'ledger.alert.inUse', { store: r.store_name, material: r.mname, lot: r.lot_no, date: new Date(r.expires_at).toISOString().slice(0, 10) }),
      data: { kind: 'inUseExpired', store: Number(r.store_id) },
    });
  let sent = 0;
  await api.transaction(async (trx) => {
    const tdb = api.db(trx);
    const lowKeys = alerts.filter((a) => a.key.startsWith('low:')).map((a) => a.key);
    await tdb.raw(`delete from cl_alert_sent where key like 'low:%' and not (key = any(?))`, [lowKeys]);
    for (const a of alerts) {
      const fresh = (await tdb.raw('insert into cl_alert_sent (key) values (?) on conflict do nothing returning key', [a.key])).rowCount;
      if (!fresh) continue;
      const users = new Set<number>();
      for (const role of alertRoles) for (const u of await api.usersWithRole(role, { labId: a.labId, trx })) if (a.labId !== null || u.labId === null) users.add(u.id);
      if (users.size) {
        await api.notify(trx, [...users].map((userId) => ({ userId, kind: 'materialAlert', entity: a.entity, recordId: a.recordId, recordTitle: a.title.slice(0, 200), data: a.data })));
      }
      sent++;
    }
  });
  return { sent };
}
