import { VetoError, labelSchema, requirementsSchema, type CallContext, type PluginApi, type PluginDb, type Records } from '../../platform/plugins/sdk';
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
    // x-label annotates the designer form generated from this schema (web/src/admin/SchemaDesigner.tsx).
    label: { ...labelSchema, 'x-label': { 'zh-CN': '名称', en: 'Name' } },
    'x-requirements': requirementsSchema,
    deviceType: { type: 'string', 'x-label': { 'zh-CN': '设备类型', en: 'Device type' } },
    levels: {
      type: 'array',
      minItems: 1,
      maxItems: 8,
      'x-label': { 'zh-CN': '层级（由外到内）', en: 'Levels (outermost first)' },
      items: {
        type: 'object',
        required: ['containerType', 'count'],
        properties: {
          containerType: { type: 'string', minLength: 1, 'x-label': { 'zh-CN': '容器类型', en: 'Container type' } },
          count: { type: 'integer', minimum: 1, maximum: 200, 'x-label': { 'zh-CN': '数量', en: 'Count' } },
          prefix: { type: 'string', maxLength: 6, 'x-label': { 'zh-CN': '编号前缀', en: 'Code prefix' } },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

/**
 * The container type with this code; a shipped preset is created (through the pipeline) the first time it is needed.
 * Container types are shared definitions: looked up and created as the system, whatever lab the builder works in.
 */
export async function ensureContainerType(api: PluginApi, records: Records, code: string): Promise<Record<string, any>> {
  const sys = api.system();
  const found = (await records.list(sys, 'containerType', { filter: { code }, limit: 1 })).data[0];
  if (found) return found;
  const preset = CONTAINER_TYPE_PRESETS[code];
  if (!preset) throw new VetoError('slots.unknownContainerType', { code }, '/template');
  return records.create(sys, 'containerType', { code, ...preset }, { reason: 'preset' });
}

/** What a vial-holding container needs to become a box: its record and its type. */
export interface NewBox {
  container: Record<string, any>;
  type: Record<string, any>;
}

/**
 * Builds a device's whole hierarchy: one `createMany` per level (every container through the pipeline: validation,
 * system columns, the device's lab, an audit row each; parents from the level above), then one INSERT for the boxes
 * and one set-based INSERT … SELECT generate_series for the positions. `ctx` is marked by the caller so the
 * per-container hooks leave boxes and capacity to this build.
 */
export async function buildFromTemplate(
  api: PluginApi, db: PluginDb, records: Records, ctx: CallContext, device: Record<string, any>, templateId: string,
): Promise<{ containers: number; boxes: number; positions: number }> {
  const tpl = api.defs('storageTemplate')[templateId];
  if (!tpl) throw new VetoError('slots.unknownTemplate', { template: templateId }, '/template');
  if (await db.table('storage_box').where({ device_id: device.id }).first('container_id')) throw new VetoError('slots.alreadyBuilt');
  const levels: TemplateLevel[] = tpl.levels;
  const types: Record<string, any>[] = [];
  for (const l of levels) types.push(await ensureContainerType(api, records, l.containerType));
  if (!types[types.length - 1].holdsVials || types.slice(0, -1).some((t) => t.holdsVials)) throw new VetoError('slots.leafMustHoldVials');
  // The containers belong to the device's lab, also when someone of another unit (or the system) builds them.
  const owner = { labId: device.labId ?? null, orgId: device.orgId ?? device.labId ?? null };
  let parents: { id: number | null; code: string; path: string }[] = [{ id: null, code: device.code, path: device.code }];
  let containers = 0;
  for (const [i, l] of levels.entries()) {
    const t = types[i];
    const prefix = l.prefix ?? t.prefix ?? String(t.level ?? 'X').charAt(0).toUpperCase();
    const items = parents.flatMap((p) =>
      Array.from({ length: l.count }, (_, k) => ({ parent: p.id, code: `${p.code}-${prefix}${k + 1}`, path: `${p.path}/${prefix}${k + 1}`, n: k + 1 })),
    );
    const created = await records.createMany(
      ctx, 'container',
      items.map((it) => ({ code: it.code, name: `${prefix}${it.n}`, containerType: t.id, device: device.id, ...(it.parent ? { parent: it.parent } : {}) })),
      {
        set: (k) => ({ depth: i + 1, ordinal: items[k].n, path: items[k].path, rows: t.rows, cols: t.cols, holdsVials: !!t.holdsVials }),
        owner, reason: `template ${templateId}`,
      },
    );
    containers += created.length;
    parents = items.map((it, k) => ({ id: Number(created[k].id), code: it.code, path: it.path }));
    if (i === levels.length - 1) {
      const boxes = await createBoxes(db, device, parents.map((c) => ({ container: c, type: t })));
      const positions = await createPositions(db, { deviceId: device.id });
      return { containers, boxes, positions };
    }
  }
  throw new Error('unreachable: a template has at least one level');
}

const active = (d: Record<string, any>) => !d.status || d.status === 'active';

/** storage_box rows for vial-holding containers (one multi-row INSERT). */
export async function createBoxes(db: PluginDb, device: Record<string, any>, boxes: NewBox[]): Promise<number> {
  if (!boxes.length) return 0;
  const rows = boxes.map(({ container: c, type: t }) => ({
    container_id: c.id, device_id: device.id, site: device.site ?? null, device_type: device.deviceType ?? null,
    temperature: device.setTemperature ?? device.tempMax ?? null, active: active(device), path: c.path ?? c.code, rows: t.rows, cols: t.cols,
    fill_order: t.fillOrder ?? 'rowMajor', origin: t.origin ?? 'topLeft', row_labels: t.rowLabels ?? 'letters', col_labels: t.colLabels ?? 'numbers',
    capacity: t.rows * t.cols, free_count: t.rows * t.cols,
  }));
  const out = await db.table('storage_box').insert(rows).onConflict('container_id').ignore().returning('container_id');
  return out.length;
}

export async function createPositions(db: PluginDb, where: { deviceId?: number; containerId?: number }): Promise<number> {
  const r = await db.raw(
    `insert into storage_position (container_id, device_id, row, col, ordinal)
     select b.container_id, b.device_id, r.r, c.c, ${ORDINAL_SQL}
       from storage_box b cross join lateral generate_series(1, b.rows) r(r) cross join lateral generate_series(1, b.cols) c(c)
      where ${where.containerId ? 'b.container_id = ?' : 'b.device_id = ?'}
      on conflict do nothing`,
    [(where.containerId ?? where.deviceId)!],
  );
  return r.rowCount ?? 0;
}
