import type { Knex } from 'knex';
import { VetoError, AppError, label, type CallContext, type HookArgs, type PluginApi, type Records } from '../../platform/plugins/sdk';
import {
  boxesByIds, fullLabel, lockByToken, lockByVials, lockCells, occupy, recommend, recordEvents, setBlocked, usable, vacate,
  type BoxScope, type CustodyEvent, type Pos, type Strategies,
} from './slots';
import { buildFromTemplate, createBoxes, createPositions } from './build';

const nowIso = () => new Date().toISOString();

/** The boxes `ctx` may use: those of the storage devices it may read (of `labId` only, when given). */
export function boxScope(api: PluginApi, ctx: CallContext, labId?: number | null): BoxScope {
  return { devices: () => api.scopedQuery(ctx, 'storageDevice', 'd', { fields: ['id', 'labId'] }), labId };
}

function enumLabel(api: PluginApi, entity: string, field: string, value: string, lang: CallContext['lang']): string {
  const l = api.model.entity(entity)?.fields.get(field)?.schema['x-enum-labels']?.[value];
  return l ? label(l, lang) : value;
}

/** "LN2-01/C1/L1/B1 A1, A2, A3" — positions grouped by box, short enough for a list column. */
function summarize(labels: string[]): string {
  const by = new Map<string, string[]>();
  for (const l of labels) {
    const i = l.lastIndexOf(' ');
    const box = l.slice(0, i);
    by.set(box, [...(by.get(box) ?? []), l.slice(i + 1)]);
  }
  return [...by.entries()].map(([b, ps]) => `${b} ${ps.join(',')}`).join('; ').slice(0, 2000);
}

/**
 * Places the stock-in's vials: reserved token, chosen cells, or a strategy's recommendation; all inside the record's
 * transaction. Only boxes of the stock-in's own lab are candidates (the record's lab, which is the caller's; for a
 * caller without a lab, the batch's), and only boxes the caller may read.
 */
async function stockIn(api: PluginApi, strategies: Strategies, a: HookArgs): Promise<void> {
  const { ctx, record, trx, records } = a;
  const db = api.db(trx);
  const batch = await records.get(api.system(), 'cellBatch', record.batch, { fields: ['id', 'batchCode', 'labId', ...(api.model.entity('cellBatch')?.fields.has('chainId') ? ['chainId'] : [])] });
  const lab: number | null = record.labId ?? batch.labId ?? null;
  const scope = boxScope(api, ctx, lab);
  let positions: Pos[];
  const token: string | undefined = record.reservationToken;
  if (record.positions?.length) {
    positions = await lockCells(db, record.positions, scope);
    // The actor's own live reservation (the map's "recommend" reserves) does not block the actor.
    const taken = positions.filter((p) => !usable(p, token) && !(p.state === 'reserved' && p.reserved_by === ctx.actor.id));
    if (taken.length) {
      const boxes = await boxesByIds(db, taken.map((p) => p.container_id));
      throw new AppError(409, 'POSITION_TAKEN', 'slots.positionsTaken', { positions: taken.map((p) => fullLabel(boxes.get(p.container_id)!, p.row, p.col)).join(', ') });
    }
  } else if (token) {
    positions = await lockByToken(db, token, scope);
    if (!positions.length || positions.some((p) => !usable(p, token) || new Date(p.reserved_until!).getTime() < Date.now())) throw new AppError(409, 'RESERVATION_GONE', 'slots.reservationGone');
  } else {
    positions = await recommend(db, strategies, record.strategy ?? 'keep-together', {
      n: record.vialCount, batchId: record.batch, actorId: ctx.actor.id, deviceId: record.device, containerId: record.container, deviceType: record.deviceType,
    }, scope);
  }
  if (positions.length !== record.vialCount) throw new VetoError('slots.countMismatch', { positions: positions.length, vials: record.vialCount }, '/positions');
  positions.sort((x, y) => x.container_id - y.container_id || x.ordinal - y.ordinal);
  const boxes = await boxesByIds(db, positions.map((p) => p.container_id));
  const where = positions.map((p) => fullLabel(boxes.get(p.container_id)!, p.row, p.col));
  // The vials belong to the stock-in's lab (a system caller without a lab stocks in for the batch's lab).
  const owner = lab !== (ctx.actor.labId ?? null) ? { labId: lab } : undefined;
  const vials = await records.createMany(ctx, 'cryovial', positions.map(() => ({ batch: record.batch })), {
    owner,
    set: (i) => {
      const p = positions[i];
      return { batchCode: batch.batchCode, ...(batch.chainId ? { chainId: batch.chainId } : {}), status: 'stored', device: p.device_id, container: p.container_id, row: p.row, col: p.col, positionLabel: where[i], stockIn: record.id, freezeThawCount: 0 };
    },
  });
  const placements = positions.map((pos, i) => ({ pos, vialId: Number(vials[i].id), batchId: record.batch as number }));
  const events: CustodyEvent[] = positions.map((p, i) => ({
    kind: 'stockIn', vialId: Number(vials[i].id), batchId: record.batch, to: { container: p.container_id, row: p.row, col: p.col, label: where[i] },
    actorId: ctx.actor.id, actorName: ctx.actor.displayName, recordEntity: 'stockIn', recordId: record.id,
  }));
  await occupy(db, placements, { actorId: ctx.actor.id, batchId: record.batch });
  await recordEvents(db, events);
  await records.update(ctx, 'stockIn', record.id, { version: record.version }, { set: { positionSummary: summarize(where) } });
}

async function vialsOf(api: PluginApi, records: Records, ids: number[]): Promise<Record<string, any>[]> {
  return (await records.list(api.system(), 'cryovial', { filter: { id: { in: ids } }, limit: 1000 })).data;
}

/** The stock-out's vials are in storage and of its batch (which the pipeline checked the caller may reference). */
async function checkStockOutVials(api: PluginApi, records: Records, record: Record<string, any>): Promise<void> {
  const ids: number[] = record.vials ?? [];
  const vials = await vialsOf(api, records, ids);
  for (const id of ids) {
    const v = vials.find((x) => x.id === id);
    if (!v || v.status !== 'stored') throw new VetoError('slots.vialNotStored', { vial: v?.vialCode ?? `#${id}` }, '/vials');
    if (v.batch !== record.batch) throw new VetoError('slots.vialOtherBatch', { vial: v.vialCode }, '/vials');
  }
}

/** Frees the positions of the stock-out's vials and marks them out; the state change (and its QC gate) comes first. */
export async function executeStockOut(api: PluginApi, ctx: CallContext, record: Record<string, any>, trx: Knex.Transaction, records: Records) {
  if (record.state !== 'approved') throw new VetoError('slots.notApproved', { state: enumLabel(api, 'stockOut', 'state', record.state, ctx.lang) });
  const db = api.db(trx);
  const ids: number[] = record.vials ?? [];
  await checkStockOutVials(api, records, record);
  const positions = await lockByVials(db, ids);
  const boxes = await boxesByIds(db, positions.map((p) => p.container_id));
  const where = (p: Pos) => fullLabel(boxes.get(p.container_id)!, p.row, p.col);
  const at = nowIso();
  const updated = await records.update(ctx, 'stockOut', record.id, { version: record.version }, {
    set: { state: 'executed', executedAt: at, executedBy: ctx.actor.id ?? undefined, positionSummary: summarize(positions.map(where)) },
  });
  await vacate(db, positions);
  const vials = await vialsOf(api, records, ids);
  const events: CustodyEvent[] = [];
  for (const v of vials) {
    const p = positions.find((x) => x.vial_id === v.id);
    await records.update(ctx, 'cryovial', v.id, { version: v.version }, { set: { status: 'out', device: null, container: null, row: null, col: null, positionLabel: null } });
    events.push({
      kind: 'stockOut', vialId: v.id, batchId: v.batch, from: p ? { container: p.container_id, row: p.row, col: p.col, label: where(p) } : null,
      actorId: ctx.actor.id, actorName: ctx.actor.displayName, recordEntity: 'stockOut', recordId: record.id, note: record.purpose,
    });
  }
  await recordEvents(db, events);
  return records.get(ctx, 'stockOut', updated.id);
}

/** Moves a vial to a free position of a box the caller may read, of the vial's own lab. */
async function moveVial(api: PluginApi, a: HookArgs) {
  const { ctx, record, trx, records } = a;
  const db = api.db(trx);
  const vial = await records.get(api.system(), 'cryovial', record.vial);
  if (vial.status !== 'stored') throw new VetoError('slots.vialNotStored', { vial: vial.vialCode }, '/vial');
  const [from] = await lockByVials(db, [vial.id]);
  const [to] = await lockCells(db, [{ container: record.toContainer, row: record.toRow, col: record.toCol }], boxScope(api, ctx, vial.labId ?? null));
  if (!usable(to)) throw new AppError(409, 'POSITION_TAKEN', 'slots.positionTaken');
  const boxes = await boxesByIds(db, [from.container_id, to.container_id]);
  const fromLabel = fullLabel(boxes.get(from.container_id)!, from.row, from.col);
  const toLabel = fullLabel(boxes.get(to.container_id)!, to.row, to.col);
  await vacate(db, [from]);
  await occupy(db, [{ pos: to, vialId: vial.id, batchId: vial.batch }], { actorId: ctx.actor.id, batchId: vial.batch });
  await records.update(ctx, 'cryovial', vial.id, { version: vial.version }, { set: { device: to.device_id, container: to.container_id, row: to.row, col: to.col, positionLabel: toLabel } });
  await records.update(ctx, 'vialMove', record.id, { version: record.version }, { set: { fromLabel, toLabel } });
  await recordEvents(db, [{
    kind: 'move', vialId: vial.id, batchId: vial.batch, from: { container: from.container_id, row: from.row, col: from.col, label: fromLabel },
    to: { container: to.container_id, row: to.row, col: to.col, label: toLabel }, actorId: ctx.actor.id, actorName: ctx.actor.displayName, recordEntity: 'vialMove', recordId: record.id, note: record.reason,
  }]);
}

export function registerCellbank(api: PluginApi, strategies: Strategies): void {
  const SYS = api.system();
  // Call contexts of a running template build: the per-container hooks leave path, boxes and capacity to the build.
  const building = new WeakSet<CallContext>();

  // ---- devices: a template builds the whole hierarchy on creation; site/type/status follow into the box index.
  api.hooks.on('storageDevice', 'beforeCreate', ({ record }) => {
    if (record.template && !api.defs('storageTemplate')[record.template]) throw new VetoError('slots.unknownTemplate', { template: record.template }, '/template');
    record.status ??= 'active';
  });
  /** Builds the device's containers, boxes and positions; returns the device's capacity and current version. */
  const build = async (ctx: CallContext, deviceId: number, template: string, trx: Knex.Transaction, records: Records) => {
    const device = await records.get(SYS, 'storageDevice', deviceId);
    const bctx: CallContext = { ...ctx };
    building.add(bctx);
    const r = await buildFromTemplate(api, api.db(trx), records, bctx, device, template);
    return { capacity: r.positions, version: device.version as number };
  };
  api.hooks.on('storageDevice', 'afterCreate', async ({ ctx, record, trx, records }) => {
    if (!record.template) return;
    const r = await build(ctx, record.id, record.template, trx, records);
    await records.update(ctx, 'storageDevice', record.id, { version: r.version }, { set: { capacity: r.capacity } });
  });
  api.hooks.on('storageDevice', 'afterUpdate', async ({ record, trx }) => {
    await api.db(trx).table('storage_box').where({ device_id: record.id }).update({
      site: record.site ?? null, device_type: record.deviceType ?? null, temperature: record.setTemperature ?? record.tempMax ?? null, active: !record.status || record.status === 'active',
    });
  });
  api.hooks.action('storageDevice', 'buildFromTemplate', {
    label: { 'zh-CN': '按模板生成容器', en: 'Build from template' },
    when: { '!': { var: 'template' } }, // a device is built once
    input: { type: 'object', required: ['template'], properties: { template: { type: 'string', maxLength: 64, 'x-label': { 'zh-CN': '存储模板', en: 'Storage template' } } }, additionalProperties: false },
    handler: async ({ ctx, record, input, trx, records }) => {
      const r = await build(ctx, record.id, input.template, trx, records);
      return records.update(ctx, 'storageDevice', record.id, { version: r.version }, { set: { template: input.template, capacity: r.capacity } });
    },
  });

  // ---- single containers added by hand: path and depth from the parent; a vial-holding one gets its positions.
  api.hooks.on('container', 'beforeCreate', async ({ ctx, record, records }) => {
    if (building.has(ctx)) return;
    if (record.parent && (!record.path || !record.depth)) {
      const p = await records.get(SYS, 'container', record.parent);
      record.path ??= `${p.path ?? p.code}/${record.name ?? record.code}`;
      record.depth ??= (p.depth ?? 1) + 1;
      record.device ??= p.device;
    }
    if (!record.path) {
      const d = await records.get(SYS, 'storageDevice', record.device);
      record.path = `${d.code}/${record.name ?? record.code}`;
    }
    record.depth ??= 1;
    // The map drills down by holdsVials and draws rows × cols: copy them from the type, as the template build does.
    const type = await records.get(SYS, 'containerType', record.containerType);
    record.holdsVials ??= !!type.holdsVials;
    if (type.holdsVials) {
      record.rows ??= type.rows;
      record.cols ??= type.cols;
    }
  });
  api.hooks.on('container', 'afterCreate', async ({ ctx, record, trx, records }) => {
    if (building.has(ctx)) return;
    const type = await records.get(SYS, 'containerType', record.containerType);
    if (!type.holdsVials) return;
    const db = api.db(trx);
    const device = await records.get(SYS, 'storageDevice', record.device);
    await createBoxes(db, device, [{ container: record, type }]);
    const n = await createPositions(db, { containerId: record.id });
    await records.update(SYS, 'storageDevice', device.id, { version: device.version }, { set: { capacity: (device.capacity ?? 0) + n } });
  });
  api.hooks.action('container', 'block', {
    label: { 'zh-CN': '禁用/启用孔位', en: 'Block / unblock positions' },
    when: { '!!': { var: 'holdsVials' } },
    listed: false, // positions are chosen on the position map, which calls it
    input: {
      type: 'object', required: ['positions', 'blocked'], additionalProperties: false,
      properties: {
        blocked: { type: 'boolean' }, note: { type: 'string', maxLength: 200 }, comment: { type: 'string', maxLength: 200 },
        positions: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'object', required: ['row', 'col'], properties: { row: { type: 'integer', minimum: 1 }, col: { type: 'integer', minimum: 1 } }, additionalProperties: false } },
      },
    },
    handler: async ({ ctx, record, input, trx }) => {
      const db = api.db(trx);
      const box = await db.table('storage_box').where({ container_id: record.id }).first();
      if (!box) throw new VetoError('slots.notABox');
      const pos = await lockCells(db, input.positions.map((p: any) => ({ container: record.id, row: p.row, col: p.col })), boxScope(api, ctx));
      await setBlocked(db, pos, input.blocked, input.note ?? input.comment);
      // No record field changes, so the positions go into an audit row of their own.
      await api.audit(trx, ctx, {
        entity: 'container', recordId: record.id, action: input.blocked ? 'positions:block' : 'positions:unblock',
        changes: { positions: pos.map((p) => fullLabel(box, p.row, p.col)), note: input.note ?? null }, reason: input.comment ?? input.note ?? null,
      });
      return record;
    },
  });

  // ---- stock-in
  api.hooks.on('stockIn', 'beforeCreate', ({ record }) => {
    record.strategy ??= 'keep-together';
    record.stockInAt ??= nowIso();
    // operator: x-user "current" (the signed-in user unless the form names another)
    if (record.positions?.length && record.positions.length !== record.vialCount)
      throw new VetoError('slots.countMismatch', { positions: record.positions.length, vials: record.vialCount }, '/positions');
  });
  api.hooks.on('stockIn', 'afterCreate', (a) => stockIn(api, strategies, a));

  // ---- stock-out: requested → approved → executed (positions freed) | rejected
  api.hooks.on('stockOut', 'beforeCreate', async ({ record, records }) => {
    // A product preparation's stock-out (its read-only link is set by the preparation itself) needs no second approval:
    // the director assigned the preparation and the release QC gate still applies.
    record.state = record.preparation ? 'approved' : 'requested';
    await checkStockOutVials(api, records, record);
  });
  const transition = (name: string, from: string[], to: string, zh: string, en: string) => {
    if (api.hooks.hasAction('stockOut', name)) return; // an approval flow (platform/workflow) owns it
    api.hooks.action('stockOut', name, {
      label: { 'zh-CN': zh, en },
      when: { in: [{ var: 'state' }, from] },
      input: { type: 'object', properties: { comment: { type: 'string', maxLength: 500, 'x-label': { 'zh-CN': '说明', en: 'Comment' } } }, additionalProperties: false },
      handler: async ({ ctx, record, records }) => {
        if (!from.includes(record.state)) throw new VetoError('slots.badState', { state: enumLabel(api, 'stockOut', 'state', record.state, ctx.lang) });
        const f: Record<string, unknown> = { state: to };
        if (to === 'approved' && ctx.actor.id != null) f.approvedBy = ctx.actor.id;
        return records.update(ctx, 'stockOut', record.id, { version: record.version }, { set: f });
      },
    });
  };
  transition('approve', ['requested'], 'approved', '批准', 'Approve');
  transition('reject', ['requested', 'approved'], 'rejected', '驳回', 'Reject');
  api.hooks.action('stockOut', 'execute', {
    label: { 'zh-CN': '执行出库', en: 'Execute stock-out' },
    when: { '==': [{ var: 'state' }, 'approved'] },
    input: { type: 'object', properties: { comment: { type: 'string', maxLength: 500, 'x-label': { 'zh-CN': '说明', en: 'Comment' } } }, additionalProperties: false },
    handler: ({ ctx, record, trx, records }) => executeStockOut(api, ctx, record, trx, records),
  });

  // ---- moves
  api.hooks.on('vialMove', 'afterCreate', (a) => moveVial(api, a));

  // ---- vials: thaw (freeze-thaw count), no deletion while stored
  api.hooks.action('cryovial', 'thaw', {
    label: { 'zh-CN': '复苏', en: 'Thaw' },
    when: { '==': [{ var: 'status' }, 'stored'] },
    input: {
      type: 'object', additionalProperties: false,
      properties: { returnToStorage: { type: 'boolean', 'x-label': { 'zh-CN': '复苏后放回原位', en: 'Return to storage after thawing' } }, comment: { type: 'string', maxLength: 300, 'x-label': { 'zh-CN': '说明', en: 'Comment' } } },
    },
    handler: async ({ ctx, record, input, trx, records }) => {
      if (record.status !== 'stored') throw new VetoError('slots.vialNotStored', { vial: record.vialCode });
      const db = api.db(trx);
      const [p] = await lockByVials(db, [record.id]);
      const box = p ? (await boxesByIds(db, [p.container_id])).get(p.container_id) : undefined;
      const here = p && box ? { container: p.container_id, row: p.row, col: p.col, label: fullLabel(box, p.row, p.col) } : null;
      const back = !!input.returnToStorage;
      if (!back && p) await vacate(db, [p]);
      const f: Record<string, unknown> = { freezeThawCount: (record.freezeThawCount ?? 0) + 1 };
      if (!back) Object.assign(f, { status: 'thawed', device: null, container: null, row: null, col: null, positionLabel: null });
      const out = await records.update(ctx, 'cryovial', record.id, { version: record.version }, { set: f });
      await recordEvents(db, [{ kind: back ? 'return' : 'thaw', vialId: record.id, batchId: record.batch, from: here, to: back ? here : null, actorId: ctx.actor.id, actorName: ctx.actor.displayName, recordEntity: 'cryovial', recordId: record.id, note: input.comment }]);
      return out;
    },
  });
  api.hooks.on('cryovial', 'beforeDelete', ({ record }) => {
    if (record.status === 'stored') throw new VetoError('slots.vialStored');
  });
}
