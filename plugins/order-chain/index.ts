import { definePlugin, AppError, VetoError, label, t, type HookArgs, type PluginApi, type Records } from '../../platform/plugins/sdk';
import { checkScan, fromOrder, orderOf, ref } from './chain';
import { readOrder, refreshOrder, STAGES } from './derive';
import { excursionOf, parseLog } from './temperature';
import { chainMessages } from './messages';
import { chainRoutes } from './routes';
import { remindStorageEnds } from './reminders';

/** Which lab task a record of an entity completes (R-3.2.1: the technician's to-do list closes as the work is recorded). */
const TASK_OF: Record<string, string> = { sample: 'sampleReceipt', cultureRecord: 'culture', qcRecord: 'qc', stockIn: 'stockIn', preparation: 'preparation', handover: 'handover' };
/** After a handover's receipt is confirmed only what the data logger and QA add may still change. */
const AFTER_RECEIPT = new Set(['readingCount', 'tempMinSeen', 'tempMaxSeen', 'excursion', 'excursionCount', 'normal', 'deviationNote', 'remarks', 'version']);
const nowIso = () => new Date().toISOString();
/** Records whose creation can only bring an order up to a stage (no cells, no dates). */
const ADVANCES: Record<string, (typeof STAGES)[number]> = { cultureRecord: 'inCulture', qcRecord: 'qc' };

/**
 * The chain of identity from order to product: an order's chain-of-identity ID is
 * carried by its samples, culture records, batches, vials, products and handovers; scanned labels are checked
 * against it; a preparation stocks its vials out; a handover is received with a signature and its transport
 * temperature checked; the order's progress and remaining cells are derived from all of it.
 */
export default definePlugin({
  name: 'order-chain',
  migrations: 'migrations',
  tables: ['oc_temperature', 'oc_receipt_signature', 'oc_reminder_sent'],
  messages: chainMessages,
  web: 'web/index.tsx',
  settings: {
    schema: {
      type: 'object', additionalProperties: false,
      properties: {
        reminderDays: { type: 'integer', minimum: 1, maximum: 730, title: '存储到期提前提醒天数 / Days before the storage term ends to remind' },
        reminderRoles: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 10, uniqueItems: true, title: '提醒接收角色 / Roles reminded' },
      },
    },
    defaults: { reminderDays: 90, reminderRoles: ['sales', 'labDirector'] },
  },
  async setup(api) {
    // Derived in the write's own transaction, so the order page is right the moment the write commits.
    const touch = async (a: HookArgs) => {
      const id = await orderOf(api, a.records, a.entity.name, a.record);
      const order = id ? await readOrder(api, a.records, id) : undefined;
      if (!order) return;
      // A new culture or QC record only moves progress forward: nothing to do once the order is past that stage.
      const stage = a.previous ? undefined : ADVANCES[a.entity.name];
      if (stage && STAGES.indexOf(order.progress) >= STAGES.indexOf(stage)) return;
      await refreshOrder(api, a.records, order);
    };
    registerOrder(api);
    registerDocuments(api, touch);
    registerPreparation(api, touch);
    registerHandover(api, touch);
    registerTasks(api);
    const reminders = api.job('reminders', async () => {
      await remindStorageEnds(api);
    });
    await reminders.schedule('30 6 * * *');
  },
  routes(router, api) {
    chainRoutes(router, api);
  },
});

function registerOrder(api: PluginApi) {
  api.hooks.on('serviceOrder', 'beforeCreate', ({ record }) => {
    Object.assign(record, { progress: 'booked', storedVials: 0, remainingCells: 0, issuedCells: 0 });
  });
}

function registerDocuments(api: PluginApi, touch: (a: HookArgs) => Promise<void>) {
  const own = fromOrder(api);
  for (const entity of ['sample', 'cultureRecord', 'cellBatch']) {
    api.hooks.on(entity, 'beforeUpdate', own);
    api.hooks.on(entity, 'afterCreate', touch);
    api.hooks.on(entity, 'afterUpdate', touch);
  }
  api.hooks.on('sample', 'beforeCreate', own);
  api.hooks.on('cultureRecord', 'beforeCreate', own);
  // A batch frozen from a culture record belongs to that culture's order.
  api.hooks.on('cellBatch', 'beforeCreate', async (a) => {
    if (a.record.order == null && a.record.cultureRecord != null) {
      const c = await ref(a.records, api, 'cultureRecord', a.record.cultureRecord, ['order']);
      if (c?.order) a.record.order = c.order;
    }
    await own(a);
  });
  api.hooks.on('cultureRecord', 'beforeCreate', async (a) => {
    if (a.record.sample == null) return;
    const s = await ref(a.records, api, 'sample', a.record.sample, ['order']);
    if (s && Number(s.order) !== Number(a.record.order)) throw new VetoError('chain.orderMismatch', { what: entityLabel(api, 'sample') }, '/sample');
  });
  // Sample receipt: the scanned tube label must carry the order's identity; time in transit from collection.
  const sample = async ({ ctx, record, previous, records }: HookArgs) => {
    if (record.collectedAt && record.receivedAt) {
      const h = (Date.parse(record.receivedAt) - Date.parse(record.collectedAt)) / 3_600_000;
      if (h < 0) throw new VetoError('chain.receivedBeforeCollected', {}, '/receivedAt');
      record.transitHours = Math.round(h * 10) / 10;
    }
    if (!previous || previous.labelScan !== record.labelScan || previous.order !== record.order)
      await checkScan(api, ctx, records, record.labelScan, record.chainId, 'serviceOrder', '/labelScan');
  };
  api.hooks.on('sample', 'beforeCreate', sample);
  api.hooks.on('sample', 'beforeUpdate', sample);
  // Stock-in: a scanned bag or batch label must carry the batch's identity.
  api.hooks.on('stockIn', 'beforeCreate', async ({ ctx, record, records }) => {
    if (!record.identityScan) return;
    const b = await ref(records, api, 'cellBatch', record.batch, ['chainId']);
    if (b) await checkScan(api, ctx, records, record.identityScan, b.chainId, 'cellBatch', '/identityScan');
  });
  // The stock-in's vials are placed by the storage plugin's after-hook, which then writes the position summary.
  api.hooks.on('stockIn', 'afterUpdate', touch);
  api.hooks.on('stockOut', 'afterUpdate', touch);
  api.hooks.on('qcRecord', 'afterCreate', touch);
  api.hooks.on('qcRecord', 'afterUpdate', touch);
  api.hooks.on('cryovial', 'afterUpdate', async (a) => {
    if (a.previous && a.previous.status !== a.record.status) await touch(a);
  });
}

/** An entity's bilingual label, as a message parameter (shown in the caller's language) or with `label()` as text. */
const entityLabel = (api: PluginApi, entity: string) => api.model.entity(entity)?.schema['x-label'] ?? entity;

/** Preparation: the chosen vials of the order's batch, scanned one by one, are stocked out automatically. */
function registerPreparation(api: PluginApi, touch: (a: HookArgs) => Promise<void>) {
  const own = fromOrder(api);
  api.hooks.on('preparation', 'beforeCreate', async (a) => {
    await own(a);
    const { record, records } = a;
    record.tempMin ??= 2;
    record.tempMax ??= 8;
    const batch = await ref(records, api, 'cellBatch', record.batch, ['order', 'chainId']);
    if (batch && Number(batch.order) !== Number(record.order)) throw new VetoError('chain.orderMismatch', { what: entityLabel(api, 'cellBatch') }, '/batch');
    const ids: number[] = record.vials ?? [];
    const vials = ids.length ? (await records.list(api.system(), 'cryovial', { filter: { id: { in: ids } }, fields: ['id', 'vialCode', 'chainId'], limit: 100 })).data : [];
    const codes = new Map(vials.map((v) => [String(v.vialCode).toUpperCase(), v]));
    const scanned = new Set(String(record.vialScan ?? '').split(/[\s,;，；]+/).map((s) => s.trim().toUpperCase()).filter(Boolean));
    const extra = [...scanned].filter((s) => !codes.has(s));
    if (extra.length) throw new VetoError('chain.vialScanExtra', { codes: extra.join(', ') }, '/vialScan');
    const missing = [...codes.keys()].filter((c) => !scanned.has(c));
    if (missing.length) throw new VetoError('chain.vialNotScanned', { vials: missing.join(', ') }, '/vialScan');
    const wrong = vials.find((v) => v.chainId && v.chainId !== record.chainId);
    if (wrong) throw new VetoError('chain.scanMismatch', { scan: wrong.vialCode, expected: record.chainId, what: entityLabel(api, 'serviceOrder') }, '/vialScan');
    if (record.postThawCells != null && record.productCells != null && Number(record.productCells) > Number(record.postThawCells))
      throw new VetoError('chain.productOverThaw', {}, '/productCells');
    if (record.expiresAt && record.preparedAt && Date.parse(record.expiresAt) <= Date.parse(record.preparedAt)) throw new VetoError('chain.expiryBeforePrepared', {}, '/expiresAt');
  });
  // The vials leave the tank with the preparation: a stock-out of purpose "preparation", gated by release QC.
  api.hooks.on('preparation', 'afterCreate', async (a) => {
    const { ctx, record, records } = a;
    const so = await records.create(ctx, 'stockOut', { batch: record.batch, vials: record.vials, purpose: 'preparation', remarks: record.productCode }, { set: { preparation: record.id } });
    await records.action(ctx, 'stockOut', so.id, 'execute', { comment: record.productCode });
    await records.update(ctx, 'preparation', record.id, { version: record.version }, { set: { stockOut: so.id } });
    await touch(a);
  });
  api.hooks.on('preparation', 'beforeUpdate', async (a) => {
    const p = a.previous!;
    const same = (k: string) => JSON.stringify(p[k] ?? null) === JSON.stringify(a.record[k] ?? null);
    if (p.stockOut && !(same('order') && same('batch') && same('vials'))) throw new VetoError('chain.preparationFixed', {}, same('order') ? (same('batch') ? '/vials' : '/batch') : '/order');
    if (a.record.expiresAt && a.record.preparedAt && Date.parse(a.record.expiresAt) <= Date.parse(a.record.preparedAt)) throw new VetoError('chain.expiryBeforePrepared', {}, '/expiresAt');
  });
  api.hooks.on('preparation', 'afterUpdate', touch);
  api.hooks.on('preparation', 'beforeDelete', ({ record }) => {
    if (record.stockOut) throw new VetoError('chain.preparationDelete');
  });
}

/** Handover: scanned product, transport temperature against the product's range, the receiver's signature. */
function registerHandover(api: PluginApi, touch: (a: HookArgs) => Promise<void>) {
  const judge = async (a: HookArgs, prep: Record<string, any>) => {
    const { record, ctx } = a;
    const id = a.previous?.id ?? record.id;
    const readings = id ? await api.db(a.trx).table('oc_temperature').where({ handover_id: id }).select('celsius') : [];
    const ex = excursionOf(readings, record.boxTemperature, prep.tempMin, prep.tempMax);
    Object.assign(record, { excursion: ex.excursion, excursionCount: ex.out, readingCount: readings.length, tempMinSeen: ex.min, tempMaxSeen: ex.max });
    if (!ex.excursion) {
      record.normal ??= 'normal';
      return;
    }
    if (record.normal == null) record.normal = 'abnormal';
    if (record.normal === 'normal' && !record.deviationNote?.trim()) {
      const range = `${prep.tempMin ?? '−∞'}–${prep.tempMax ?? '∞'} °C`;
      throw new VetoError('chain.excursionNormal', { range, summary: t(ctx.lang, 'chain.excursionSummary', { min: ex.min, max: ex.max, n: ex.out }) }, '/normal');
    }
  };
  const prepOf = async (records: Records, id: unknown) => ref(records, api, 'preparation', id, ['productCode', 'order', 'chainId', 'tempMin', 'tempMax', 'expiresAt']);
  api.hooks.on('handover', 'beforeCreate', async (a) => {
    const { ctx, record, records } = a;
    const prep = await prepOf(records, record.preparation);
    if (!prep) return;
    Object.assign(record, { productCode: prep.productCode, order: prep.order, chainId: prep.chainId, state: 'dispatched' });
    const other = (await records.list(api.system(), 'handover', { filter: { preparation: prep.id }, fields: ['id', 'handoverNo'], limit: 1 })).data[0];
    if (other) throw new VetoError('chain.alreadyHandedOver', { product: prep.productCode, no: other.handoverNo }, '/preparation');
    if (prep.expiresAt && record.dispatchedAt && Date.parse(record.dispatchedAt) > Date.parse(prep.expiresAt))
      throw new VetoError('chain.productExpired', { product: prep.productCode, date: String(prep.expiresAt).slice(0, 16).replace('T', ' ') }, '/dispatchedAt');
    await checkScan(api, ctx, records, record.productScan, prep.chainId, 'preparation', '/productScan');
    await judge(a, prep);
  });
  api.hooks.on('handover', 'beforeUpdate', async (a) => {
    const { ctx, record, records, previous } = a;
    if (previous?.state === 'received') {
      const changed = Object.keys({ ...record, ...previous }).filter((k) => JSON.stringify(record[k] ?? null) !== JSON.stringify(previous[k] ?? null) && !k.endsWith('$expanded'));
      const fixed = changed.filter((k) => !AFTER_RECEIPT.has(k) && !(k === 'state' || k === 'receivedAt' || k === 'confirmedBy' || k === 'updatedAt' || k === 'updatedBy'));
      if (fixed.length) throw new VetoError('chain.handoverReceived', {}, `/${fixed[0]}`);
    }
    if (previous && previous.preparation !== record.preparation) throw new VetoError('chain.handoverReceived', {}, '/preparation');
    if (previous && previous.productScan !== record.productScan) await checkScan(api, ctx, records, record.productScan, record.chainId, 'preparation', '/productScan');
    const prep = await prepOf(records, record.preparation);
    if (prep) await judge(a, prep);
  });
  api.hooks.on('handover', 'afterCreate', touch);
  api.hooks.on('handover', 'afterUpdate', touch);

  const received = (who: string) => ({ state: 'received', receivedAt: nowIso(), confirmedBy: who.slice(0, 100) });
  // An internal receiver signs with their password (x-sign on the entity); nobody else may sign for them.
  api.hooks.action('handover', 'confirmReceipt', {
    label: { 'zh-CN': '确认接收（电子签名）', en: 'Confirm receipt (e-signature)' },
    when: { and: [{ '==': [{ var: 'state' }, 'dispatched'] }, { '==': [{ var: 'receiverKind' }, 'internal'] }] },
    input: { type: 'object', additionalProperties: false, properties: { comment: { type: 'string', maxLength: 300, 'x-label': { 'zh-CN': '说明', en: 'Comment' } } } },
    handler: async ({ ctx, record, records }) => {
      if (record.state !== 'dispatched') throw new VetoError('chain.handoverReceived');
      if (ctx.actor.id == null || Number(record.receiver) !== ctx.actor.id) {
        const name = (record['receiver$expanded'] as { displayName?: string } | undefined)?.displayName ?? '';
        throw new AppError(403, 'FORBIDDEN', 'chain.notReceiver', { name });
      }
      return records.update(ctx, 'handover', record.id, { version: record.version }, { set: received(ctx.actor.displayName), system: true });
    },
  });
  // An external receiver (a nurse at the hospital) signs on the technician's tablet; the drawing is kept with the record.
  api.hooks.action('handover', 'confirmExternalReceipt', {
    label: { 'zh-CN': '外部接收人签收', en: 'External receiver signs' },
    when: { and: [{ '==': [{ var: 'state' }, 'dispatched'] }, { '==': [{ var: 'receiverKind' }, 'external'] }] },
    listed: false, // the signature pad on the record page drives it
    input: {
      type: 'object', additionalProperties: false, required: ['receiverName', 'drawing'],
      properties: {
        receiverName: { type: 'string', minLength: 1, maxLength: 50, 'x-label': { 'zh-CN': '接收人姓名', en: "Receiver's name" } },
        drawing: { type: 'string', maxLength: 600000, pattern: '^data:image/png;base64,[A-Za-z0-9+/=]+$', 'x-label': { 'zh-CN': '签名', en: 'Signature' } },
      },
    },
    handler: async ({ ctx, record, input, trx, records }) => {
      if (record.state !== 'dispatched') throw new VetoError('chain.handoverReceived');
      const png = Buffer.from(String(input.drawing).slice('data:image/png;base64,'.length), 'base64');
      if (png.length < 200 || png.subarray(1, 4).toString('latin1') !== 'PNG') throw new VetoError('chain.badSignature', {}, '/drawing');
      await api.db(trx).table('oc_receipt_signature').insert({ handover_id: record.id, png, signer: input.receiverName });
      return records.update(ctx, 'handover', record.id, { version: record.version }, { set: { ...received(input.receiverName), receiverName: input.receiverName }, system: true });
    },
  });
  api.hooks.action('handover', 'importTemperatureLog', {
    label: { 'zh-CN': '导入温度记录', en: 'Import temperature log' },
    listed: false, // the temperature tab uploads the logger's file
    input: { type: 'object', additionalProperties: false, required: ['csv'], properties: { csv: { type: 'string', minLength: 1, maxLength: 2_000_000, 'x-label': { 'zh-CN': '温度记录(CSV)', en: 'Temperature log (CSV)' } } } },
    handler: async ({ ctx, record, input, trx, records }) => {
      const readings = parseLog(String(input.csv));
      const db = api.db(trx);
      await db.table('oc_temperature').where({ handover_id: record.id }).delete();
      for (let i = 0; i < readings.length; i += 1000)
        await db.table('oc_temperature').insert(readings.slice(i, i + 1000).map((r) => ({ handover_id: record.id, at: r.at, celsius: r.celsius })));
      // A logged excursion makes a handover recorded as normal abnormal, unless a deviation note explains it.
      const prep = await prepOf(records, record.preparation);
      const ex = excursionOf(readings, record.boxTemperature, prep?.tempMin, prep?.tempMax);
      const normal = ex.excursion && record.normal === 'normal' && !record.deviationNote ? 'abnormal' : record.normal;
      return records.update(ctx, 'handover', record.id, { version: record.version }, { set: { normal }, system: true, reason: `temperature log: ${readings.length}` });
    },
  });
}

/** Lab tasks: recording the work closes the assignee's open task of that kind for the order. */
function registerTasks(api: PluginApi) {
  api.hooks.on('labTask', 'beforeCreate', ({ record }) => {
    record.state = 'open';
  });
  for (const [entity, kind] of Object.entries(TASK_OF)) {
    api.hooks.on(entity, 'afterCreate', async (a) => {
      const { ctx, record, records } = a;
      if (ctx.actor.id == null) return;
      const order = await orderOf(api, records, entity, record);
      if (!order) return;
      const open = (await records.list(api.system(), 'labTask', { filter: { order, taskType: kind, assignee: ctx.actor.id, state: 'open' }, sort: ['dueDate', 'id'], limit: 1 })).data[0];
      if (!open) return;
      const title = String(record[records.entity(entity).titleField] ?? '');
      try {
        await records.action(ctx, 'labTask', open.id, 'finish', { comment: t(ctx.lang, 'chain.taskDone', { record: title }) });
      } catch (e) {
        if (!(e instanceof AppError) || e.status >= 500) throw e;
        api.log.warn({ task: open.id, err: e.message }, 'lab task not completed');
        return;
      }
      const now = await records.get(api.system(), 'labTask', open.id, { fields: ['id', 'version'] });
      await records.update(api.system(), 'labTask', open.id, { version: now.version }, { set: { doneRecord: `${label(entityLabel(api, entity), ctx.lang)} ${title}`.slice(0, 60) }, system: true });
    });
  }
}
