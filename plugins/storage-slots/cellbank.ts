import type { Knex } from 'knex';
import { VetoError, type HookArgs } from '../../platform/records/hooks';
import { AppError } from '../../platform/errors';
import { writeAudit } from '../../platform/audit/audit';
import { label } from '../../platform/i18n';
import { systemContext, type CallContext } from '../../platform/context';
import type { RecordService } from '../../platform/records/service';
import type { Services } from '../../platform/services';
import {
  boxesByIds, fullLabel, lockByToken, lockByVials, lockCells, occupy, recommend, recordEvents, setBlocked, usable, vacate, type Pos, type CustodyEvent,
} from './slots';
import { buildFromTemplate, createBoxes, createPositions } from './build';

/**
 * Plugin-maintained (read-only) fields travel on the call context under this symbol and are applied by
 * before-hooks, so the pipeline validates, writes and audits them like any other change.
 */
export const SYSTEM_FIELDS = Symbol.for('celltrace.systemFields');
export const withFields = (ctx: CallContext, fields: Record<string, unknown>): CallContext => ({ ...ctx, [SYSTEM_FIELDS]: fields }) as CallContext;
const overlay = (ctx: CallContext) => ((ctx as any)[SYSTEM_FIELDS] as Record<string, unknown> | undefined) ?? {};
const SYS = systemContext();
const OWN = ['storageDevice', 'container', 'cryovial', 'stockIn', 'stockOut', 'vialMove', 'storageAlert'];
const nowIso = () => new Date().toISOString();

function enumLabel(s: Services, entity: string, field: string, value: string, lang: CallContext['lang']): string {
  const l = s.meta.model.entity(entity)?.fields.get(field)?.schema['x-enum-labels']?.[value];
  return l ? label(l, lang) : value;
}

/** Places the stock-in's vials: reserved token, chosen cells, or a strategy's recommendation; all inside the record's transaction. */
async function stockIn(s: Services, a: HookArgs): Promise<void> {
  const { ctx, record, trx } = a;
  const records = a.records;
  const t = trx!;
  const batch = await records.get(SYS, 'cellBatch', record.batch);
  let positions: Pos[];
  const token: string | undefined = record.reservationToken;
  if (record.positions?.length) {
    positions = await lockCells(t, record.positions);
    // The actor's own live reservation (the map's "recommend" reserves) does not block the actor.
    const taken = positions.filter((p) => !usable(p, token) && !(p.state === 'reserved' && p.reserved_by === ctx.actor.id));
    if (taken.length) {
      const boxes = await boxesByIds(t, taken.map((p) => p.container_id));
      throw new AppError(409, 'POSITION_TAKEN', 'slots.positionsTaken', { positions: taken.map((p) => fullLabel(boxes.get(p.container_id)!, p.row, p.col)).join(', ') });
    }
  } else if (token) {
    positions = await lockByToken(t, token);
    if (!positions.length || positions.some((p) => !usable(p, token) || new Date(p.reserved_until!).getTime() < Date.now())) throw new AppError(409, 'RESERVATION_GONE', 'slots.reservationGone');
  } else {
    positions = await recommend(t, record.strategy ?? 'keep-together', {
      n: record.vialCount, batchId: record.batch, actorId: ctx.actor.id, deviceId: record.device, containerId: record.container, deviceType: record.deviceType,
    });
  }
  if (positions.length !== record.vialCount) throw new VetoError('slots.countMismatch', { positions: positions.length, vials: record.vialCount }, '/positions');
  positions.sort((x, y) => x.container_id - y.container_id || x.ordinal - y.ordinal);
  const boxes = await boxesByIds(t, positions.map((p) => p.container_id));
  const placements: { pos: Pos; vialId: number; batchId: number }[] = [];
  const events: CustodyEvent[] = [];
  for (const p of positions) {
    const box = boxes.get(p.container_id)!;
    const where = fullLabel(box, p.row, p.col);
    const vial = await records.create(
      withFields(ctx, { batchCode: batch.batchCode, status: 'stored', device: p.device_id, container: p.container_id, row: p.row, col: p.col, positionLabel: where, stockIn: record.id, freezeThawCount: 0 }),
      'cryovial', { batch: record.batch }, { trx: t },
    );
    placements.push({ pos: p, vialId: vial.id, batchId: record.batch });
    events.push({ kind: 'stockIn', vialId: vial.id, batchId: record.batch, to: { container: p.container_id, row: p.row, col: p.col, label: where }, actorId: ctx.actor.id, actorName: ctx.actor.displayName, recordEntity: 'stockIn', recordId: record.id });
  }
  await occupy(t, placements, { actorId: ctx.actor.id, batchId: record.batch });
  await recordEvents(t, events);
  const summary = summarize(events.map((e) => e.to!.label));
  await records.update(withFields(ctx, { positionSummary: summary }), 'stockIn', record.id, { version: record.version }, { trx: t });
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

async function vialsOf(records: RecordService, ids: number[]): Promise<Record<string, any>[]> {
  return (await records.list(SYS, 'cryovial', { filter: { id: { in: ids } }, limit: 1000 })).data;
}

async function checkStockOutVials(records: RecordService, record: Record<string, any>): Promise<void> {
  const ids: number[] = record.vials ?? [];
  const vials = await vialsOf(records, ids);
  for (const id of ids) {
    const v = vials.find((x) => x.id === id);
    if (!v || v.status !== 'stored') throw new VetoError('slots.vialNotStored', { vial: v?.vialCode ?? `#${id}` }, '/vials');
    if (v.batch !== record.batch) throw new VetoError('slots.vialOtherBatch', { vial: v.vialCode }, '/vials');
  }
}

/** Frees the positions of the stock-out's vials and marks them out; the state change (and its QC gate) comes first. */
async function executeStockOut(s: Services, ctx: CallContext, record: Record<string, any>, t: Knex.Transaction, records: RecordService) {
  if (record.state !== 'approved') throw new VetoError('slots.notApproved', { state: enumLabel(s, 'stockOut', 'state', record.state, ctx.lang) });
  const ids: number[] = record.vials ?? [];
  await checkStockOutVials(records, record);
  const positions = await lockByVials(t, ids);
  const boxes = await boxesByIds(t, positions.map((p) => p.container_id));
  const label = (p: Pos) => fullLabel(boxes.get(p.container_id)!, p.row, p.col);
  const at = nowIso();
  const updated = await records.update(
    withFields(ctx, { state: 'executed', executedAt: at, executedBy: ctx.actor.displayName, positionSummary: summarize(positions.map(label)) }),
    'stockOut', record.id, { version: record.version }, { trx: t },
  );
  await vacate(t, positions);
  const vials = await vialsOf(records, ids);
  const events: CustodyEvent[] = [];
  for (const v of vials) {
    const p = positions.find((x) => x.vial_id === v.id);
    await records.update(withFields(ctx, { status: 'out', device: null, container: null, row: null, col: null, positionLabel: null }), 'cryovial', v.id, { version: v.version }, { trx: t });
    events.push({
      kind: 'stockOut', vialId: v.id, batchId: v.batch, from: p ? { container: p.container_id, row: p.row, col: p.col, label: label(p) } : null,
      actorId: ctx.actor.id, actorName: ctx.actor.displayName, recordEntity: 'stockOut', recordId: record.id, note: record.purpose,
    });
  }
  await recordEvents(t, events);
  return records.get(ctx, 'stockOut', updated.id);
}

async function moveVial(s: Services, a: HookArgs) {
  const { ctx, record } = a;
  const t = a.trx!;
  const records = a.records;
  const vial = await records.get(SYS, 'cryovial', record.vial);
  if (vial.status !== 'stored') throw new VetoError('slots.vialNotStored', { vial: vial.vialCode }, '/vial');
  const [from] = await lockByVials(t, [vial.id]);
  const [to] = await lockCells(t, [{ container: record.toContainer, row: record.toRow, col: record.toCol }]);
  if (!usable(to)) throw new AppError(409, 'POSITION_TAKEN', 'slots.positionTaken');
  const boxes = await boxesByIds(t, [from.container_id, to.container_id]);
  const fromLabel = fullLabel(boxes.get(from.container_id)!, from.row, from.col);
  const toLabel = fullLabel(boxes.get(to.container_id)!, to.row, to.col);
  await vacate(t, [from]);
  await occupy(t, [{ pos: to, vialId: vial.id, batchId: vial.batch }], { actorId: ctx.actor.id, batchId: vial.batch });
  await records.update(withFields(ctx, { device: to.device_id, container: to.container_id, row: to.row, col: to.col, positionLabel: toLabel }), 'cryovial', vial.id, { version: vial.version }, { trx: t });
  await records.update(withFields(ctx, { fromLabel, toLabel }), 'vialMove', record.id, { version: record.version }, { trx: t });
  await recordEvents(t, [{
    kind: 'move', vialId: vial.id, batchId: vial.batch, from: { container: from.container_id, row: from.row, col: from.col, label: fromLabel },
    to: { container: to.container_id, row: to.row, col: to.col, label: toLabel }, actorId: ctx.actor.id, actorName: ctx.actor.displayName, recordEntity: 'vialMove', recordId: record.id, note: record.reason,
  }]);
}

export function registerCellbank(s: Services): void {
  // Plugin-maintained fields (see SYSTEM_FIELDS) for the entities this plugin owns.
  for (const e of OWN) {
    s.hooks.on(e, 'beforeCreate', ({ ctx, record }) => void Object.assign(record, overlay(ctx)));
    s.hooks.on(e, 'beforeUpdate', ({ ctx, record }) => void Object.assign(record, overlay(ctx)));
  }

  // ---- devices: a template builds the whole hierarchy on creation; site/type/status follow into the box index.
  s.hooks.on('storageDevice', 'beforeCreate', ({ record }) => {
    if (record.template && !s.meta.model.set.storageTemplate?.[record.template]) throw new VetoError('slots.unknownTemplate', { template: record.template }, '/template');
    record.status ??= 'active';
  });
  const build = async (ctx: CallContext, device: Record<string, any>, template: string, t: Knex.Transaction, records: RecordService) => {
    const r = await buildFromTemplate(s, t, records, ctx, device, template);
    const cur = await records.get(SYS, 'storageDevice', device.id);
    await records.update(withFields(ctx, { capacity: r.positions }), 'storageDevice', device.id, { version: cur.version }, { trx: t });
    return r;
  };
  s.hooks.on('storageDevice', 'afterCreate', async ({ ctx, record, trx, records }) => {
    if (record.template) await build(ctx, record, record.template, trx!, records);
  });
  s.hooks.on('storageDevice', 'afterUpdate', async ({ record, trx }) => {
    await trx!('storage_box').where({ device_id: record.id }).update({
      site: record.site ?? null, device_type: record.deviceType ?? null, temperature: record.setTemperature ?? record.tempMax ?? null, active: !record.status || record.status === 'active',
    });
  });
  s.hooks.action('storageDevice', 'buildFromTemplate', {
    label: { 'zh-CN': '按模板生成容器', en: 'Build from template' },
    input: { type: 'object', required: ['template'], properties: { template: { type: 'string', maxLength: 64 } }, additionalProperties: false },
    handler: async ({ ctx, record, input, trx, records }) => {
      await build(ctx, record, input.template, trx, records);
      const cur = await records.get(SYS, 'storageDevice', record.id);
      return records.update(withFields(ctx, { template: input.template }), 'storageDevice', record.id, { version: cur.version }, { trx });
    },
  });

  // ---- single containers added by hand: path and depth from the parent; a vial-holding one gets its positions.
  s.hooks.on('container', 'beforeCreate', async ({ record, records }) => {
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
  s.hooks.on('container', 'afterCreate', async ({ record, trx, records }) => {
    const type = await records.get(SYS, 'containerType', record.containerType);
    if (!type.holdsVials) return;
    const device = await records.get(SYS, 'storageDevice', record.device);
    await createBoxes(trx!, records.entity('container').table, device, { containerId: record.id });
    const n = await createPositions(trx!, { containerId: record.id });
    await records.update(withFields(SYS, { capacity: (device.capacity ?? 0) + n }), 'storageDevice', device.id, { version: device.version }, { trx });
  });
  s.hooks.action('container', 'block', {
    label: { 'zh-CN': '禁用/启用孔位', en: 'Block / unblock positions' },
    input: {
      type: 'object', required: ['positions', 'blocked'], additionalProperties: false,
      properties: {
        blocked: { type: 'boolean' }, note: { type: 'string', maxLength: 200 }, comment: { type: 'string', maxLength: 200 },
        positions: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'object', required: ['row', 'col'], properties: { row: { type: 'integer', minimum: 1 }, col: { type: 'integer', minimum: 1 } }, additionalProperties: false } },
      },
    },
    handler: async ({ ctx, record, input, trx }) => {
      const box = await trx('storage_box').where({ container_id: record.id }).first();
      if (!box) throw new VetoError('slots.notABox');
      const pos = await lockCells(trx, input.positions.map((p: any) => ({ container: record.id, row: p.row, col: p.col })));
      await setBlocked(trx, pos, input.blocked, input.note ?? input.comment);
      // No record field changes, so the positions go into an audit row of their own.
      await writeAudit(trx, {
        actorId: ctx.actor.id, actorName: ctx.actor.displayName, entity: 'container', recordId: record.id, action: input.blocked ? 'positions:block' : 'positions:unblock',
        changes: { positions: pos.map((p) => fullLabel(box, p.row, p.col)), note: input.note ?? null }, reason: input.comment ?? input.note ?? null, ip: ctx.ip, requestId: ctx.requestId,
      });
      return record;
    },
  });

  // ---- stock-in
  s.hooks.on('stockIn', 'beforeCreate', ({ ctx, record }) => {
    record.strategy ??= 'keep-together';
    record.stockInAt ??= nowIso();
    record.operator ??= ctx.actor.displayName;
    if (record.positions?.length && record.positions.length !== record.vialCount)
      throw new VetoError('slots.countMismatch', { positions: record.positions.length, vials: record.vialCount }, '/positions');
  });
  s.hooks.on('stockIn', 'afterCreate', (a) => stockIn(s, a));

  // ---- stock-out: requested → approved → executed (positions freed) | rejected
  s.hooks.on('stockOut', 'beforeCreate', async ({ ctx, record, records }) => {
    record.state = 'requested';
    record.requestedBy ??= ctx.actor.displayName;
    await checkStockOutVials(records, record);
  });
  const transition = (name: string, from: string[], to: string, zh: string, en: string) => {
    if (s.hooks.getAction('stockOut', name)) return; // an approval flow (platform/workflow) owns it
    s.hooks.action('stockOut', name, {
      label: { 'zh-CN': zh, en },
      input: { type: 'object', properties: { comment: { type: 'string', maxLength: 500 } }, additionalProperties: false },
      handler: async ({ ctx, record, trx, records }) => {
        if (!from.includes(record.state)) throw new VetoError('slots.badState', { state: enumLabel(s, 'stockOut', 'state', record.state, ctx.lang) });
        const f: Record<string, unknown> = { state: to };
        if (to === 'approved') f.approvedBy = ctx.actor.displayName;
        return records.update(withFields(ctx, f), 'stockOut', record.id, { version: record.version }, { trx });
      },
    });
  };
  transition('approve', ['requested'], 'approved', '批准', 'Approve');
  transition('reject', ['requested', 'approved'], 'rejected', '驳回', 'Reject');
  s.hooks.action('stockOut', 'execute', {
    label: { 'zh-CN': '执行出库', en: 'Execute stock-out' },
    input: { type: 'object', properties: { comment: { type: 'string', maxLength: 500 } }, additionalProperties: false },
    handler: ({ ctx, record, trx, records }) => executeStockOut(s, ctx, record, trx, records),
  });

  // ---- moves
  s.hooks.on('vialMove', 'beforeCreate', ({ ctx, record }) => {
    record.operator ??= ctx.actor.displayName;
  });
  s.hooks.on('vialMove', 'afterCreate', (a) => moveVial(s, a));

  // ---- vials: thaw (freeze-thaw count), no deletion while stored
  s.hooks.action('cryovial', 'thaw', {
    label: { 'zh-CN': '复苏', en: 'Thaw' },
    input: { type: 'object', properties: { returnToStorage: { type: 'boolean' }, comment: { type: 'string', maxLength: 300 } }, additionalProperties: false },
    handler: async ({ ctx, record, input, trx, records }) => {
      if (record.status !== 'stored') throw new VetoError('slots.vialNotStored', { vial: record.vialCode });
      const [p] = await lockByVials(trx, [record.id]);
      const box = p ? (await boxesByIds(trx, [p.container_id])).get(p.container_id) : undefined;
      const here = p && box ? { container: p.container_id, row: p.row, col: p.col, label: fullLabel(box, p.row, p.col) } : null;
      const back = !!input.returnToStorage;
      if (!back && p) await vacate(trx, [p]);
      const f: Record<string, unknown> = { freezeThawCount: (record.freezeThawCount ?? 0) + 1 };
      if (!back) Object.assign(f, { status: 'thawed', device: null, container: null, row: null, col: null, positionLabel: null });
      const out = await records.update(withFields(ctx, f), 'cryovial', record.id, { version: record.version }, { trx });
      await recordEvents(trx, [{ kind: back ? 'return' : 'thaw', vialId: record.id, batchId: record.batch, from: here, to: back ? here : null, actorId: ctx.actor.id, actorName: ctx.actor.displayName, recordEntity: 'cryovial', recordId: record.id, note: input.comment }]);
      return out;
    },
  });
  s.hooks.on('cryovial', 'beforeDelete', ({ record }) => {
    if (record.status === 'stored') throw new VetoError('slots.vialStored');
  });
}

export { executeStockOut };
