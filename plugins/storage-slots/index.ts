import { definePlugin } from '../../platform/plugins/sdk';
import { systemContext } from '../../platform/context';
import { t } from '../../platform/i18n';
import type { Services } from '../../platform/services';
import { storageTemplateSchema } from './build';
import { registerCellbank, withFields } from './cellbank';
import { slotRoutes } from './routes';
import { slotMessages } from './messages';
import { sweepExpired } from './slots';
import { usersWithRole } from '../../platform/auth/directory';
import { notify } from '../../platform/workflow/notify';

export { registerStrategy, strategies, recommend, type Strategy, type RecommendRequest } from './slots';
export { ordinalOf, positionOf, positionLabel } from './layout';

const SYS = systemContext();

/** Empty-slot warning: one open alert per device below its threshold; closed again when space returns. */
export async function checkVacancy(s: Services): Promise<{ raised: number; closed: number }> {
  const rows = await s.knex('storage_box as b')
    .join('storage_device as d', 'd.id', 'b.device_id')
    .whereNull('d.deleted_at')
    .whereNotNull('d.vacancy_threshold')
    .groupBy('d.id')
    .select('d.id', 'd.name', 'd.code', 'd.vacancy_threshold as threshold', s.knex.raw('sum(b.free_count)::int as free'));
  let raised = 0;
  let closed = 0;
  for (const r of rows) {
    const open = (await s.records.list(SYS, 'storageAlert', { filter: { device: r.id, kind: 'vacancy', status: 'open' }, limit: 1 })).data[0];
    if (r.free < r.threshold && !open) {
      await s.records.create(SYS, 'storageAlert', {
        device: r.id, kind: 'vacancy', freePositions: r.free, threshold: r.threshold, status: 'open',
        message: t('zh-CN', 'slots.vacancy', { device: `${r.name} (${r.code})`, free: r.free, threshold: r.threshold }),
      });
      raised++;
    } else if (r.free >= r.threshold && open) {
      await s.records.update(SYS, 'storageAlert', open.id, { version: open.version, status: 'closed', freePositions: r.free });
      closed++;
    }
  }
  return { raised, closed };
}

// TEMPORARY (until the SDK port of this plugin lands): legacySetup/legacyRoutes get the platform services.
export default definePlugin({
  name: 'storage-slots',
  migrations: 'migrations',
  metaKinds: [{ kind: 'storageTemplate', folder: 'storageTemplates', schema: storageTemplateSchema }],
  messages: slotMessages,
  web: 'web/index.tsx',
  async legacySetup(s: Services) {
    // A raised empty-slot warning reaches the cryostorage keepers and lab directors in their inbox (and any
    // notification channel: e-mail, webhooks), in the alert's own transaction.
    s.hooks.on('storageAlert', 'afterCreate', async ({ record, trx }: any) => {
      if (!trx || record.status !== 'open') return;
      const users = new Map<number, number>();
      for (const role of ['cryostorageKeeper', 'labDirector']) for (const u of await usersWithRole(trx, role)) users.set(u.id, u.id);
      await notify(
        trx,
        [...users.keys()].map((userId) => ({
          userId, kind: 'storageAlert', entity: 'storageAlert', recordId: record.id, recordTitle: String(record.message ?? '').slice(0, 200),
          data: { device: record.device, freePositions: record.freePositions, threshold: record.threshold },
        })),
      );
    });
    registerCellbank(s);
    if (s.jobs) {
      s.jobs.register('storage-slots.sweep', async () => {
        await s.knex.transaction((trx: any) => sweepExpired(trx));
      });
      s.jobs.register('storage-slots.vacancy', async () => {
        await checkVacancy(s);
      });
      await s.jobs.schedule('storage-slots.sweep', '* * * * *');
      await s.jobs.schedule('storage-slots.vacancy', '0 * * * *');
    }
  },
  legacyRoutes: slotRoutes,
} as any);

export { withFields };
