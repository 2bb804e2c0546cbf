import { definePlugin, VetoError, type PluginApi } from '../../platform/plugins/sdk';
import { registerDocuments } from './documents';
import { statusLabel } from './ledger';
import { ledgerMessages } from './messages';
import { ledgerRoutes } from './routes';
import { runAlerts, expireLots } from './alerts';

/**
 * Consumption ledgers: append-only movements per lot × store with balances kept in the same transaction,
 * documents (receipt, issue/transfer, usage, return, scrap, stock take) posted through them, consumption at the bench
 * from culture records, material-QC release of quarantined lots, stock and consumption reports, and alerts.
 */
export default definePlugin({
  name: 'consumption-ledger',
  migrations: 'migrations',
  tables: ['cl_movement', 'cl_balance', 'cl_daily', 'cl_opened', 'cl_alert_sent', 'cl_material_total'],
  messages: ledgerMessages,
  web: 'web/index.tsx',
  settings: {
    schema: {
      type: 'object', additionalProperties: false,
      properties: {
        expiringDays: { type: 'integer', minimum: 1, maximum: 365, title: '临期预警天数 / Days before expiry to warn' },
        alertRoles: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 10, uniqueItems: true, title: '预警接收角色 / Roles alerted' },
      },
    },
    defaults: { expiringDays: 30, alertRoles: ['inventoryKeeper', 'labDirector'] },
  },
  async setup(api) {
    registerDocuments(api);
    registerLotQc(api);
    // Dashboard figure (issue 15): materials whose lab total is below their minimum stock, within the caller's scope.
    api.figure('lowStock', {
      entity: 'material',
      label: { 'zh-CN': '低于安全库存的物料', en: 'Materials below minimum stock' },
      async compute(ctx) {
        // The lab's total per material, for the labs whose stores the caller sees (a technician: their own lab).
        const rows: any[] = (await api.db().raw(
          `select m.id, m.name, t.qty from cl_material_total t join ? on m.id = t.material_id
           where m."minStock" is not null and t.qty < m."minStock" and exists (select 1 from ? where coalesce(s."labId", 0) = t.lab_id)
           order by m.name`,
          [api.scopedQuery(ctx, 'material', 'm', { fields: ['id', 'name', 'minStock'] }), api.scopedQuery(ctx, 'materialStore', 's', { fields: ['id', 'labId'] })],
        )).rows;
        const ids = [...new Set(rows.map((r) => Number(r.id)))];
        return { value: rows.length, rows: rows.slice(0, 20).map((r) => ({ label: r.name, value: Number(r.qty), drill: { id: Number(r.id) } })), drill: { id: { in: ids.length ? ids : [0] } } };
      },
    });
    const alerts = api.job('alerts', async () => {
      await expireLots(api);
      await runAlerts(api);
    });
    // Daily at 07:00 and once after a restart that missed it; alerts already sent are remembered, none is sent twice.
    await alerts.schedule('0 7 * * *');
  },
  routes(router, api) {
    ledgerRoutes(router, api);
  },
});

/** Material QC: a quarantined lot is released or rejected by QC with a conclusion and an e-signature. */
function registerLotQc(api: PluginApi) {
  for (const [action, to, zh, en] of [['release', 'released', '质检放行', 'QC release'], ['reject', 'rejected', '质检不合格', 'QC reject']] as const) {
    api.hooks.action('materialLot', action, {
      label: { 'zh-CN': zh, en },
      when: { '==': [{ var: 'status' }, 'quarantined'] },
      input: {
        type: 'object', required: ['conclusion'], additionalProperties: false,
        properties: {
          conclusion: { type: 'string', minLength: 1, maxLength: 500, 'x-label': { 'zh-CN': '质检结论', en: 'QC conclusion' } },
          comment: { type: 'string', maxLength: 500, 'x-label': { 'zh-CN': '备注', en: 'Remarks' } },
        },
      },
      handler: async ({ ctx, record, input, records }) => {
        if (record.status !== 'quarantined') throw new VetoError('ledger.notQuarantined', { status: statusLabel(api, record.status, ctx) });
        return records.update(ctx, 'materialLot', record.id, { version: record.version }, {
          set: { status: to, qcConclusion: input.conclusion, releasedBy: ctx.actor.id, releasedAt: new Date().toISOString() },
          reason: String(input.conclusion), system: true, // the action's own permission (release / reject) was checked
        });
      },
    });
  }
}
