import type { Knex } from 'knex';
import { VetoError } from '../../platform/records/hooks';
import { writeAudit } from '../../platform/audit/audit';
import type { CallContext } from '../../platform/context';
import type { RecordService } from '../../platform/records/service';
import type { Services } from '../../platform/services';
import { ORDINAL_SQL } from './layout';
import { CONTAINER_TYPE_PRESETS } from './presets';

export interface TemplateLevel {
  containerType: string;
  count: number;
  prefix?: string;
}

export const storageTemplateSchema = {
  type: 'object',
  required: ['$id', 'label', 'levels'],
  properties: {
    $id: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,63}$' },
    kind: { const: 'storageTemplate' },
    label: { type: 'object', required: ['zh-CN', 'en'], properties: { 'zh-CN': { type: 'string' }, en: { type: 'string' } }, additionalProperties: false },
    'x-requirements': { type: 'array', items: { type: 'string', pattern: '^R-[0-9]+(\\.[0-9]+)+$' }, uniqueItems: true },
    deviceType: { type: 'string' },
    levels: {
      type: 'array',
      minItems: 1,
      maxItems: 8,
      items: {
        type: 'object',
        required: ['containerType', 'count'],
        properties: { containerType: { type: 'string', minLength: 1 }, count: { type: 'integer', minimum: 1, maximum: 200 }, prefix: { type: 'string', maxLength: 6 } },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

/** The container type with this code; a shipped preset is created (through the pipeline) the first time it is needed. */
export async function ensureContainerType(records: RecordService, ctx: CallContext, code: string): Promise<Record<string, any>> {
  const found = (await records.list(ctx, 'containerType', { filter: { code }, limit: 1 })).data[0];
  if (found) return found;
  const preset = CONTAINER_TYPE_PRESETS[code];
  if (!preset) throw new VetoError('slots.unknownContainerType', { code }, '/template');
  return records.create(ctx, 'containerType', { code, ...preset }, { reason: 'preset' });
}

/**
 * Builds a device's whole hierarchy in a handful of set-based statements (one INSERT … SELECT generate_series per
 * level, one for the boxes, one for the positions): a 6,000-position tank is 5 statements, not 6,000 round trips.
 * Each created container gets its own audit row.
 */
export async function buildFromTemplate(
  s: Services, trx: Knex.Transaction, records: RecordService, ctx: CallContext, device: Record<string, any>, templateId: string,
): Promise<{ containers: number; boxes: number; positions: number }> {
  const tpl = s.meta.model.set.storageTemplate?.[templateId];
  if (!tpl) throw new VetoError('slots.unknownTemplate', { template: templateId }, '/template');
  if (await trx('storage_box').where({ device_id: device.id }).first('container_id')) throw new VetoError('slots.alreadyBuilt');
  const levels: TemplateLevel[] = tpl.levels;
  const types: Record<string, any>[] = [];
  for (const l of levels) types.push(await ensureContainerType(records, ctx, l.containerType));
  if (!types[types.length - 1].holdsVials || types.slice(0, -1).some((t) => t.holdsVials)) throw new VetoError('slots.leafMustHoldVials');
  const table = records.entity('container').table;
  const sys = [ctx.actor.id, ctx.actor.id, ctx.actor.orgId ?? null, ctx.actor.labId ?? null];
  let containers = 0;
  for (const [i, l] of levels.entries()) {
    const t = types[i];
    const prefix = l.prefix ?? t.prefix ?? String(t.level ?? 'X').charAt(0).toUpperCase();
    const cols = `(code, name, container_type, device, parent, depth, ordinal, path, rows, cols, holds_vials, created_by, updated_by, org_id, lab_id)`;
    const ids: { id: number; code: string }[] =
      i === 0
        ? (
            await trx.raw(
              `insert into ?? ${cols} select ? || '-' || ? || n, ? || n, ?, ?, null, 1, n, ? || '/' || ? || n, ?, ?, ?, ?, ?, ?, ?
                 from generate_series(1, ?) n order by n returning id, code`,
              [table, device.code, prefix, prefix, t.id, device.id, device.code, prefix, t.rows, t.cols, !!t.holdsVials, ...sys, l.count],
            )
          ).rows
        : (
            await trx.raw(
              `insert into ?? ${cols} select p.code || '-' || ? || n, ? || n, ?, p.device, p.id, ?, n, p.path || '/' || ? || n, ?, ?, ?, ?, ?, ?, ?
                 from ?? p cross join generate_series(1, ?) n where p.device = ? and p.depth = ? and p.deleted_at is null order by p.id, n returning id, code`,
              [table, prefix, prefix, t.id, i + 1, prefix, t.rows, t.cols, !!t.holdsVials, ...sys, table, l.count, device.id, i],
            )
          ).rows;
    for (const r of ids)
      await writeAudit(trx, {
        actorId: ctx.actor.id, actorName: ctx.actor.displayName, entity: 'container', recordId: Number(r.id), action: 'create',
        changes: [{ field: 'code', from: null, to: r.code }, { field: 'template', from: null, to: templateId }], reason: `template ${templateId}`, ip: ctx.ip, requestId: ctx.requestId,
      });
    containers += ids.length;
  }
  const boxes = await createBoxes(trx, table, device, { depth: levels.length });
  const positions = await createPositions(trx, { deviceId: device.id });
  return { containers, boxes, positions };
}

const active = (d: Record<string, any>) => !d.status || d.status === 'active';

/** storage_box rows for vial-holding containers (of a device at a depth, or one container). */
export async function createBoxes(trx: Knex.Transaction, table: string, device: Record<string, any>, where: { depth?: number; containerId?: number }): Promise<number> {
  const r = await trx.raw(
    `insert into storage_box (container_id, device_id, site, device_type, temperature, active, path, rows, cols, fill_order, origin, row_labels, col_labels, capacity, free_count)
     select c.id, c.device, ?, ?, ?, ?, coalesce(c.path, c.code), t.rows, t.cols, coalesce(t.fill_order, 'rowMajor'), coalesce(t.origin, 'topLeft'),
            coalesce(t.row_labels, 'letters'), coalesce(t.col_labels, 'numbers'), t.rows * t.cols, t.rows * t.cols
       from ?? c join container_type t on t.id = c.container_type
      where c.device = ? and c.deleted_at is null and t.holds_vials and ${where.containerId ? 'c.id = ?' : 'c.depth = ?'}
      on conflict (container_id) do nothing`,
    [device.site ?? null, device.deviceType ?? null, device.setTemperature ?? device.tempMax ?? null, active(device), table, device.id, where.containerId ?? where.depth],
  );
  return r.rowCount ?? 0;
}

export async function createPositions(trx: Knex.Transaction, where: { deviceId?: number; containerId?: number }): Promise<number> {
  const r = await trx.raw(
    `insert into storage_position (container_id, device_id, row, col, ordinal)
     select b.container_id, b.device_id, r.r, c.c, ${ORDINAL_SQL}
       from storage_box b cross join lateral generate_series(1, b.rows) r(r) cross join lateral generate_series(1, b.cols) c(c)
      where ${where.containerId ? 'b.container_id = ?' : 'b.device_id = ?'}
      on conflict do nothing`,
    [(where.containerId ?? where.deviceId)!],
  );
  return r.rowCount ?? 0;
}
