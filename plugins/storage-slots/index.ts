import { definePlugin, t, type PluginApi } from '../../platform/plugins/sdk';
import { storageTemplateSchema } from './build';
import { registerCellbank } from './cellbank';
import { slotRoutes } from './routes';
import { slotMessages } from './messages';
import { inventoryMessages, registerInventoryImport } from './inventory-import';
import { registerShippedStrategies, sweepExpired, type StrategyEntry } from './slots';

export type { Strategy, StrategyEntry, StrategyContext, RecommendRequest, Strategies } from './slots';
export { ordinalOf, positionOf, positionLabel } from './layout';

/** The registry (per app instance) where recommendation strategies live; another plugin may add its own. */
export const STRATEGIES = 'storage-slots.strategies';

/**
 * Empty-slot warning: one open alert per device below its threshold, belonging to the device's lab; closed
 * again when space returns. The plugin itself decides here, so it reads devices as the system.
 */
export async function checkVacancy(api: PluginApi): Promise<{ raised: number; closed: number }> {
  const sys = api.system();
  const db = api.db();
  const rows = await db.table('storage_box as b')
    .join(api.scopedQuery(sys, 'storageDevice', 'd', { fields: ['id', 'name', 'code', 'vacancyThreshold', 'labId', 'orgId'] }), 'd.id', 'b.device_id')
    .whereNotNull('d.vacancyThreshold')
    .groupBy('d.id', 'd.name', 'd.code', 'd.vacancyThreshold', 'd.labId', 'd.orgId')
    .select('d.id', 'd.name', 'd.code', 'd.vacancyThreshold as threshold', 'd.labId', 'd.orgId', db.fragment('sum(b.free_count)::int as free'));
  let raised = 0;
  let closed = 0;
  for (const r of rows) {
    const open = (await api.records.list(sys, 'storageAlert', { filter: { device: r.id, kind: 'vacancy', status: 'open' }, limit: 1 })).data[0];
    if (r.free < r.threshold && !open) {
      await api.records.create(sys, 'storageAlert', {
        device: r.id, kind: 'vacancy', freePositions: r.free, threshold: r.threshold, status: 'open',
        message: t('zh-CN', 'slots.vacancy', { device: `${r.name} (${r.code})`, free: r.free, threshold: r.threshold }),
      }, { owner: { labId: r.labId ?? null, orgId: r.orgId ?? null } });
      raised++;
    } else if (r.free >= r.threshold && open) {
      await api.records.update(sys, 'storageAlert', open.id, { version: open.version, status: 'closed', freePositions: r.free });
      closed++;
    }
  }
  return { raised, closed };
}

/**
 * Dashboard figures (issue 15): utilisation of the caller's devices (occupied, reserved and blocked positions over
 * capacity) with one bar per device, and the devices whose free positions are below their empty-slot threshold.
 * Both read devices through the caller's scope.
 */
function registerFigures(api: PluginApi) {
  const perDevice = (ctx: Parameters<PluginApi['scopedQuery']>[0]) => {
    const db = api.db();
    return db.table('storage_box as b')
      .join(api.scopedQuery(ctx, 'storageDevice', 'd', { fields: ['id', 'name', 'code', 'vacancyThreshold'] }), 'd.id', 'b.device_id')
      .groupBy('d.id', 'd.name', 'd.code', 'd.vacancyThreshold')
      .orderBy('d.code')
      .select('d.id', 'd.name', 'd.code', 'd.vacancyThreshold as threshold', db.fragment('sum(b.capacity)::int as capacity'), db.fragment('sum(b.free_count)::int as free'),
        db.fragment('sum(b.occupied_count + b.reserved_count + b.blocked_count)::int as used'));
  };
  const pct = (n: number, d: number) => (d ? Math.round((1000 * n) / d) / 10 : 0);
  api.figure('utilisation', {
    entity: 'storageDevice',
    label: { 'zh-CN': '存储设备利用率', en: 'Storage utilisation' },
    async compute(ctx) {
      const rows: any[] = await perDevice(ctx);
      const cap = rows.reduce((a, r) => a + r.capacity, 0);
      const used = rows.reduce((a, r) => a + r.used, 0);
      return { value: pct(used, cap), unit: '%', rows: rows.map((r) => ({ label: r.name, value: pct(r.used, r.capacity), drill: { id: Number(r.id) } })) };
    },
  });
  api.figure('lowVacancy', {
    entity: 'storageDevice',
    label: { 'zh-CN': '空位不足的设备', en: 'Devices short of empty positions' },
    async compute(ctx) {
      const rows: any[] = (await perDevice(ctx)).filter((r: any) => r.threshold != null && r.free < r.threshold);
      return {
        value: rows.length,
        rows: rows.map((r) => ({ label: r.name, value: r.free, drill: { id: Number(r.id) } })),
        // No device below its threshold: the list opens empty (never every device).
        drill: { id: { in: rows.length ? rows.map((r) => Number(r.id)) : [0] } },
      };
    },
  });
}

export default definePlugin({
  name: 'storage-slots',
  migrations: 'migrations',
  tables: ['storage_box', 'storage_position', 'storage_event'],
  metaKinds: [{ kind: 'storageTemplate', folder: 'storageTemplates', schema: storageTemplateSchema }],
  messages: { 'zh-CN': { ...slotMessages['zh-CN'], ...inventoryMessages['zh-CN'] }, en: { ...slotMessages.en, ...inventoryMessages.en } },
  web: 'web/index.tsx',
  async setup(api) {
    const strategies = api.registry<StrategyEntry>(STRATEGIES);
    registerShippedStrategies(strategies);
    // A raised empty-slot warning reaches the cryostorage keepers and lab directors of the alert's (the device's) lab
    // in their inbox (and any notification channel: e-mail, webhooks), in the alert's own transaction. An alert of no
    // lab reaches only keepers and directors of no lab.
    api.hooks.on('storageAlert', 'afterCreate', async ({ record, trx }) => {
      if (record.status !== 'open') return;
      const lab: number | null = record.labId ?? null;
      const users = new Set<number>();
      for (const role of ['cryostorageKeeper', 'labDirector'])
        for (const u of await api.usersWithRole(role, { labId: lab, trx })) if (lab !== null || u.labId === null) users.add(u.id);
      await api.notify(
        trx,
        [...users].map((userId) => ({
          userId, kind: 'storageAlert', entity: 'storageAlert', recordId: record.id, recordTitle: String(record.message ?? '').slice(0, 200),
          data: { device: record.device, freePositions: record.freePositions, threshold: record.threshold },
        })),
      );
    });
    registerCellbank(api, strategies);
    registerInventoryImport(api);
    registerFigures(api);
    const sweep = api.job('sweep', async () => {
      await api.transaction((trx) => sweepExpired(api.db(trx)));
    });
    const vacancy = api.job('vacancy', async () => {
      await checkVacancy(api);
    });
    await sweep.schedule('* * * * *');
    await vacancy.schedule('0 * * * *');
  },
  routes(router, api) {
    slotRoutes(router, api, api.registry<StrategyEntry>(STRATEGIES));
  },
});
