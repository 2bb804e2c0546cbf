import type Router from '@koa/router';
import ExcelJS from 'exceljs';
import { label, notFound, readQuery, type CallContext, type Lang, type PluginApi } from '../../platform/plugins/sdk';
import { enumLabel, gatedFields } from './care';

const LEDGER_Q = {
  category: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
  status: { enum: ['inUse', 'underRepair', 'outOfService', 'scrapped'] },
  format: { enum: ['json', 'xlsx'] },
};
const USAGE_Q = {
  since: { enum: ['calibration', 'all'] },
  limit: { type: 'integer', minimum: 1, maximum: 1000 },
};
const STATUSES = ['inUse', 'underRepair', 'outOfService', 'scrapped'] as const;
/** The register's columns as Chinese labs keep the ledger (设备台账), in this order. */
const LEDGER_FIELDS = ['code', 'name', 'category', 'model', 'serialNo', 'manufacturer', 'location', 'department', 'responsible', 'purchaseDate', 'purchasePrice', 'warrantyEnd', 'status', 'serviceState', 'nextDueDate'];

type Row = Record<string, any>;

function fieldLabel(api: PluginApi, entity: string, field: string, lang: Lang) {
  return label(api.model.entity(entity)?.fields.get(field)?.schema['x-label'], lang) || field;
}

/** Every category the caller may read, with its path from the root ("细胞培养设备 / 生物安全柜"). */
async function categoryPaths(api: PluginApi, c: CallContext): Promise<Map<number, { id: number; code: string; name: string; path: string; sort: number }>> {
  const all: Row[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = (await api.records.list(c, 'equipmentCategory', { fields: ['id', 'code', 'name', 'nameEn', 'parent', 'sort'], limit: 1000, offset })).data;
    all.push(...page);
    if (page.length < 1000) break;
  }
  const byId = new Map(all.map((x) => [Number(x.id), x]));
  const name = (x: Row) => (c.lang === 'en' && x.nameEn ? x.nameEn : x.name);
  const pathOf = (x: Row): string => {
    const parts: string[] = [];
    for (let cur: Row | undefined = x, i = 0; cur && i < 10; cur = cur.parent ? byId.get(Number(cur.parent)) : undefined, i++) parts.unshift(name(cur));
    return parts.join(' / ');
  };
  return new Map(all.map((x) => [Number(x.id), { id: Number(x.id), code: x.code, name: name(x), path: pathOf(x), sort: x.sort ?? 0 }]));
}

/** The ledger: the caller's assets (row scope and field rules of `equipment` apply) grouped by category, with counts, value and status. */
async function ledger(api: PluginApi, c: CallContext, q: { category?: number; status?: string }) {
  const filter: Row = {};
  if (q.category) filter.category = q.category;
  if (q.status) filter.status = q.status;
  const fields = LEDGER_FIELDS.filter((f) => api.records.readable(c, 'equipment').includes(f));
  const assets: Row[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = (await api.records.list(c, 'equipment', { filter, fields: ['id', ...fields], sort: ['code'], expand: ['location'], limit: 1000, offset })).data;
    assets.push(...page);
    if (page.length < 1000) break;
  }
  const cats = await categoryPaths(api, c);
  const groups = new Map<number, Row>();
  const totals: Row = { count: 0, value: 0, byStatus: Object.fromEntries(STATUSES.map((s) => [s, 0])) };
  for (const a of assets) {
    const cat = cats.get(Number(a.category));
    const key = cat?.id ?? 0;
    if (!groups.has(key)) groups.set(key, { category: cat ? { id: cat.id, code: cat.code, name: cat.name, path: cat.path } : null, count: 0, value: 0, byStatus: Object.fromEntries(STATUSES.map((s) => [s, 0])) });
    const g = groups.get(key)!;
    const price = a.purchasePrice == null ? 0 : Number(a.purchasePrice);
    for (const x of [g, totals]) {
      x.count++;
      x.value = Math.round((x.value + price) * 100) / 100;
      if (a.status && a.status in x.byStatus) x.byStatus[a.status]++;
    }
  }
  const categories = [...groups.values()].sort((x, y) => String(x.category?.path ?? '~').localeCompare(String(y.category?.path ?? '~'), 'zh-CN'));
  const rows = assets.map((a) => ({
    ...a,
    categoryPath: cats.get(Number(a.category))?.path ?? null,
    locationName: a.location$expanded?.name ?? null,
    responsibleName: a.responsible$expanded?.displayName ?? null,
  }));
  return { categories, totals, assets: rows, fields };
}

function safe(v: unknown) {
  return typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

async function ledgerWorkbook(api: PluginApi, c: CallContext, r: Awaited<ReturnType<typeof ledger>>) {
  const zh = c.lang === 'zh-CN';
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(zh ? '设备台账' : 'Equipment ledger');
  ws.addRow([zh ? '序号' : 'No.', ...r.fields.map((f) => fieldLabel(api, 'equipment', f, c.lang))]);
  const cell = (a: Row, f: string) => {
    if (f === 'category') return a.categoryPath ?? '';
    if (f === 'location') return a.locationName ?? '';
    if (f === 'responsible') return a.responsibleName ?? '';
    if (f === 'status' || f === 'serviceState') return enumLabel(api, 'equipment', f, a[f], c.lang);
    if (f === 'purchasePrice') return a[f] == null ? '' : Number(a[f]);
    return a[f] ?? '';
  };
  r.assets.forEach((a, i) => ws.addRow([i + 1, ...r.fields.map((f) => safe(cell(a, f)))]));
  const sum = wb.addWorksheet(zh ? '分类汇总' : 'By category');
  sum.addRow([zh ? '设备科目' : 'Category', zh ? '数量' : 'Count', zh ? '原值合计(元)' : 'Value (CNY)', ...STATUSES.map((s) => enumLabel(api, 'equipment', 'status', s, c.lang))]);
  for (const g of r.categories) sum.addRow([safe(g.category?.path ?? (zh ? '未分类' : 'Uncategorised')), g.count, g.value, ...STATUSES.map((s) => g.byStatus[s])]);
  sum.addRow([zh ? '合计' : 'Total', r.totals.count, r.totals.value, ...STATUSES.map((s) => r.totals.byStatus[s])]);
  for (const s of [ws, sum]) {
    s.getRow(1).font = { bold: true };
    s.columns.forEach((col) => (col.width = 16));
  }
  return wb;
}

/** The usage log of one asset, within the caller's scope of each record that wrote it; `since=calibration` from its last passing calibration. */
async function usage(api: PluginApi, c: CallContext, id: number, q: { since?: string; limit?: number }) {
  const asset = await api.records.get(c, 'equipment', id, { fields: ['id', 'code', 'name', 'status', 'serviceState'] });
  let since: Row | null = null;
  if (q.since !== 'all') {
    const cal = (await api.records.list(api.system(c.lang), 'maintenanceRecord', {
      filter: { equipment: id, status: 'signed', result: 'pass', planType: { in: ['calibration', 'qualification'] } }, fields: ['id', 'recordNo', 'performedDate', 'planType'], sort: ['-performedDate', '-id'], limit: 1,
    })).data[0];
    since = cal ? { date: cal.performedDate, record: { id: cal.id, recordNo: cal.recordNo, planType: cal.planType } } : null;
  }
  const limit = q.limit ?? 500;
  const usages: Row[] = [];
  for (const e of api.model.entities.values()) {
    if (!gatedFields(api, e).length) continue;
    if (!(await api.visibleFields(c, e.name, ['id']))) continue; // the caller may not read this kind of record
    const qb = api.db().table('ec_usage as u')
      .join(api.scopedQuery(c, e.name, 'r', { fields: ['id'] }), 'r.id', 'u.record_id')
      .where('u.entity', e.name).where('u.equipment_id', id).whereNull('u.removed_at')
      .select('u.entity', 'u.record_id', 'u.field', 'u.record_title', 'u.batch_entity', 'u.batch_id', 'u.batch_code', 'u.used_at')
      .orderBy('u.used_at', 'desc').limit(limit);
    if (since) qb.where('u.used_at', '>=', `${since.date}T00:00:00`);
    for (const u of await qb)
      usages.push({
        usedAt: new Date(u.used_at).toISOString(), entity: u.entity, entityLabel: label(e.schema['x-label'], c.lang), recordId: Number(u.record_id), recordTitle: u.record_title,
        field: u.field, fieldLabel: fieldLabel(api, e.name, u.field, c.lang), batch: u.batch_code || u.batch_id ? { entity: u.batch_entity, id: u.batch_id == null ? null : Number(u.batch_id), code: u.batch_code } : null,
      });
  }
  usages.sort((x, y) => y.usedAt.localeCompare(x.usedAt));
  const batches = new Map<string, Row>();
  for (const u of usages) {
    if (!u.batch?.code) continue;
    const b = batches.get(u.batch.code) ?? { code: u.batch.code, entity: u.batch.entity, id: u.batch.id, uses: 0, firstUsedAt: u.usedAt, lastUsedAt: u.usedAt };
    b.uses++;
    if (u.usedAt < b.firstUsedAt) b.firstUsedAt = u.usedAt;
    if (u.usedAt > b.lastUsedAt) b.lastUsedAt = u.usedAt;
    batches.set(u.batch.code, b);
  }
  return { equipment: asset, since, usages: usages.slice(0, limit), batches: [...batches.values()] };
}

export function equipmentRoutes(router: Router, api: PluginApi): void {
  /** the equipment ledger (设备台账) by category; `format=xlsx` exports it (register sheet + summary sheet). */
  router.get('/equipment/ledger', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<any>(ctx.query, LEDGER_Q);
    const r = await ledger(api, c, q);
    if (q.format === 'xlsx') {
      const wb = await ledgerWorkbook(api, c, r);
      ctx.set('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      ctx.set('Content-Disposition', 'attachment; filename="equipment-ledger.xlsx"');
      ctx.body = Buffer.from(await wb.xlsx.writeBuffer());
      return;
    }
    ctx.body = { data: r.categories, totals: r.totals, assets: r.assets };
  });

  /** The usage log of an asset and the batches that used it since its last passing calibration (impact assessment). */
  router.get('/equipment/:id/usage', async (ctx) => {
    const c = api.context(ctx);
    if (!/^\d{1,15}$/.test(ctx.params.id)) throw notFound('equipment', ctx.params.id);
    const q = readQuery<any>(ctx.query, USAGE_Q);
    ctx.body = { data: await usage(api, c, Number(ctx.params.id), q) };
  });
}
