import dayjs from 'dayjs';
import ExcelJS from 'exceljs';
import { AppError, forbidden } from '../errors';
import { t, label, type Lang } from '../i18n';
import type { CallContext } from '../context';
import type { Services } from '../services';
import { figureRegistry } from './figures';
import { PERIODS } from './schema';

type Filter = Record<string, unknown>;
type GroupValue = { value: unknown; label: string | null };

const DATE = 'YYYY-MM-DD';
const SYSTEM_LABELS: Record<string, { 'zh-CN': string; en: string }> = {
  id: { 'zh-CN': '编号', en: 'No.' }, createdAt: { 'zh-CN': '创建时间', en: 'Created at' }, createdBy: { 'zh-CN': '创建人', en: 'Created by' },
  updatedAt: { 'zh-CN': '修改时间', en: 'Updated at' }, updatedBy: { 'zh-CN': '修改人', en: 'Updated by' }, orgId: { 'zh-CN': '组织', en: 'Org unit' },
  labId: { 'zh-CN': '实验室', en: 'Lab' },
};
const BUCKET_LABELS: Record<string, { 'zh-CN': string; en: string }> = {
  day: { 'zh-CN': '日', en: 'day' }, week: { 'zh-CN': '周', en: 'week' }, month: { 'zh-CN': '月', en: 'month' }, quarter: { 'zh-CN': '季度', en: 'quarter' }, year: { 'zh-CN': '年', en: 'year' },
};

/** The date a relative value names, today being `now` (the server's calendar day). */
function relativeDate(spec: Record<string, unknown>, now: dayjs.Dayjs): string {
  const base = { today: now, monthStart: now.startOf('month'), weekStart: now.startOf('week').add(1, 'day'), yearStart: now.startOf('year'), quarterStart: now.month(Math.floor(now.month() / 3) * 3).startOf('month') }[String(spec.$date)];
  if (!base) throw new AppError(400, 'BAD_FILTER', 'error.badFilterValue', { field: '$date', op: '' }, [{ path: '/filter', messageKey: 'error.badFilterValue', params: { field: '$date', op: '' } }]);
  return base.add(Number(spec.days ?? 0), 'day').add(Number(spec.months ?? 0), 'month').format(DATE);
}

/** Replaces relative values (`{"$date": "today", "days": -30}`, `{"$user": "me"}`) by what they mean now for the caller. */
export function resolveFilter(f: unknown, ctx: CallContext, now = dayjs()): any {
  if (Array.isArray(f)) return f.map((x) => resolveFilter(x, ctx, now));
  if (!f || typeof f !== 'object') return f;
  const o = f as Record<string, unknown>;
  if ('$date' in o) return relativeDate(o, now);
  if ('$user' in o) return ctx.actor.id ?? -1;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveFilter(v, ctx, now)]));
}

const and = (...fs: (Filter | undefined | null)[]): Filter | undefined => {
  const list = fs.filter((f): f is Filter => !!f && Object.keys(f).length > 0);
  return list.length === 0 ? undefined : list.length === 1 ? list[0] : { and: list };
};

/** The list filter that selects one group of a group key (a bucket becomes its date range). */
export function groupFilter(key: string, value: unknown): Filter {
  const [name, bucket] = key.split(':');
  if (value === null || value === undefined) return { [name]: { isNull: true } };
  if (!bucket) return { [name]: value };
  const v = String(value);
  let start: dayjs.Dayjs;
  let unit: dayjs.ManipulateType;
  if (bucket === 'week') {
    const [y, w] = v.split('-W').map(Number);
    // ISO week 1 holds 4 January; weeks start on Monday.
    const jan4 = dayjs(`${y}-01-04`);
    start = jan4.subtract((jan4.day() + 6) % 7, 'day').add(w - 1, 'week');
    unit = 'week';
  } else if (bucket === 'quarter') {
    const [y, q] = v.split('-Q').map(Number);
    start = dayjs(`${y}-01-01`).add((q - 1) * 3, 'month');
    return { [name]: { gte: start.format(DATE), lt: start.add(3, 'month').format(DATE) } };
  } else if (bucket === 'year') {
    start = dayjs(`${v}-01-01`);
    unit = 'year';
  } else if (bucket === 'month') {
    start = dayjs(`${v}-01`);
    unit = 'month';
  } else {
    start = dayjs(v);
    unit = 'day';
  }
  return { [name]: { gte: start.format(DATE), lt: start.add(1, unit).format(DATE) } };
}

/** The list a tile opens: the one it names, else the entity's first list (by id). */
function listOf(s: Services, entity: string, named?: string): string | null {
  if (named && s.meta.model.set.list?.[named]) return named;
  const lists = Object.values<any>(s.meta.model.set.list ?? {}).filter((l) => l.entity === entity);
  return (lists.find((l) => l.$id === entity) ?? lists[0])?.$id ?? null;
}

/** The order of an enum's or a dictionary's values as declared (a progress reads booked → handed over), else null. */
function declaredOrder(s: Services, entity: string, key: string): ((v: unknown) => number) | null {
  const f = s.meta.model.entity(entity)?.fields.get(key.split(':')[0]);
  if (key.includes(':') || !f) return null;
  const values: unknown[] | undefined = f.kind === 'enum' ? f.enumValues : f.kind === 'dictionary' ? (s.meta.model.set.dictionary?.[f.dictionary!] as any)?.items?.map((i: any) => i.code) : undefined;
  if (!values) return null;
  return (v) => {
    const i = values.indexOf(v);
    return i < 0 ? values.length : i;
  };
}

/** Rows sorted by their group keys in declared order where there is one (stable otherwise: the aggregation's order). */
function sortDeclared<T extends { groups: GroupValue[] }>(s: Services, entity: string, keys: string[], rows: T[]): T[] {
  const orders = keys.map((k) => declaredOrder(s, entity, k));
  if (!orders.some(Boolean)) return rows;
  return rows.map((r, i) => ({ r, i })).sort((a, b) => {
    for (let k = 0; k < keys.length; k++) {
      const o = orders[k];
      if (!o) continue;
      const d = o(a.r.groups[k]?.value) - o(b.r.groups[k]?.value);
      if (d) return d;
    }
    return a.i - b.i;
  }).map((x) => x.r);
}

export interface TileResult {
  key: string;
  status: 'ok' | 'unavailable' | 'error';
  message?: string;
  value?: number | null;
  unit?: string;
  rows?: { groups: GroupValue[]; value: number | null; total?: number; filter?: Filter }[];
  drill?: { entity: string; list: string | null; filter?: Filter };
}

/** Why a tile shows no data, in words (never the records it would have counted). */
function unavailable(key: string, ctx: CallContext, err: unknown): TileResult {
  if (err instanceof AppError && (err.status === 403 || err.status === 404)) return { key, status: 'unavailable', message: t(ctx.lang, 'dashboard.unavailable') };
  // A group key or measure the caller may not see (hidden field) is refused as 400 by the aggregation.
  if (err instanceof AppError && err.status === 400) return { key, status: 'unavailable', message: t(ctx.lang, 'dashboard.fieldHidden') };
  throw err;
}

const pct = (n: number, d: number) => (d ? Math.round((1000 * n) / d) / 10 : null);

export async function evaluateTile(s: Services, ctx: CallContext, tile: any, now = dayjs()): Promise<TileResult> {
  const unit = tile.unit ? label(tile.unit, ctx.lang) : undefined;
  if (tile.source) {
    const fig = figureRegistry(s).get(tile.source.figure);
    if (!fig) return { key: tile.key, status: 'unavailable', message: t(ctx.lang, 'dashboard.unknownFigure') };
    try {
      await s.records.assertAllowed(ctx, fig.entity, 'read');
      const v = await fig.compute(ctx);
      return {
        key: tile.key, status: 'ok', value: v.value, unit: v.unit ?? unit,
        rows: v.rows?.map((r) => ({ groups: [{ value: r.label, label: r.label }], value: r.value, filter: r.drill })),
        drill: { entity: fig.entity, list: listOf(s, fig.entity, tile.list), filter: v.drill },
      };
    } catch (err) {
      return unavailable(tile.key, ctx, err);
    }
  }
  const q = tile.query;
  const filter = resolveFilter(q.filter, ctx, now);
  const groupBy: string[] = q.groupBy ?? [];
  const measure = q.measure ?? 'count';
  const limit = q.limit ?? 50;
  const drill = { entity: q.entity, list: listOf(s, q.entity, tile.list), filter: and(filter) };
  try {
    const base = s.records.aggregate(ctx, q.entity, { groupBy, measures: [measure], filter, limit });
    const part = q.ratioOf ? s.records.aggregate(ctx, q.entity, { groupBy, measures: ['count'], filter: and(filter, resolveFilter(q.ratioOf, ctx, now)), limit }) : null;
    const [all, sub] = await Promise.all([base, part]);
    const mkey = all.measures[0];
    const keyOf = (r: Record<string, any>) => JSON.stringify(groupBy.map((g) => r[g]?.value ?? null));
    const subBy = new Map((sub?.data ?? []).map((r) => [keyOf(r), Number(r.count ?? 0)]));
    let rows = all.data.map((r) => {
      const total = Number(r[mkey] ?? 0);
      const value = sub ? pct(subBy.get(keyOf(r)) ?? 0, total) : r[mkey] == null ? null : Number(r[mkey]);
      const gf = groupBy.map((g) => groupFilter(g, r[g]?.value ?? null));
      return { groups: groupBy.map((g) => ({ value: r[g]?.value ?? null, label: r[g]?.label ?? null })), value, ...(sub ? { total } : {}), filter: and(filter, ...gf) };
    });
    if (q.sort === 'valueDesc') rows = [...rows].sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity));
    else rows = sortDeclared(s, q.entity, groupBy, rows);
    if (!groupBy.length) {
      const value = rows[0]?.value ?? (sub ? null : 0);
      return { key: tile.key, status: 'ok', value, unit: sub ? '%' : unit, drill };
    }
    return { key: tile.key, status: 'ok', rows, unit: sub ? '%' : unit, drill };
  } catch (err) {
    return unavailable(tile.key, ctx, err);
  }
}

/** May the caller open this dashboard or report: an administrator, or a holder of one of its roles (none named: everyone). */
export function mayOpen(ctx: CallContext, def: { roles?: string[] }): boolean {
  if (ctx.actor.isAdmin || !def.roles?.length) return true;
  const mine = ctx.actor.roles ?? [];
  return def.roles.some((r) => mine.includes(r));
}

export async function evaluateDashboard(s: Services, ctx: CallContext, id: string): Promise<{ id: string; label: unknown; tiles: TileResult[] }> {
  const def = s.meta.model.set.dashboard?.[id];
  if (!def) throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: 'dashboard', id });
  if (!mayOpen(ctx, def)) throw forbidden();
  const now = dayjs();
  const tiles = await Promise.all((def.tiles ?? []).map((tile: any) => evaluateTile(s, ctx, tile, now)));
  return { id, label: def.label, tiles };
}

/** The dashboards the caller may open, best first (by order), and the one the home page shows. */
export function dashboardsFor(s: Services, ctx: CallContext): { home: string | null; data: { id: string; label: unknown; roles: string[] }[] } {
  const all = Object.values<any>(s.meta.model.set.dashboard ?? {}).sort((a, b) => (a.order ?? 1000) - (b.order ?? 1000) || a.$id.localeCompare(b.$id));
  const open = all.filter((d) => mayOpen(ctx, d));
  const mine = ctx.actor.roles ?? [];
  const home = open.find((d) => d.roles?.some((r: string) => mine.includes(r))) ?? open.find((d) => !d.roles?.length) ?? open[0];
  return { home: home?.$id ?? null, data: open.map((d) => ({ id: d.$id, label: d.label, roles: d.roles ?? [] })) };
}

// ---------------------------------------------------------------------------------------------------------------
// Reports

export interface ReportTable {
  id: string;
  label: unknown;
  period: { from: string | null; to: string | null; field: string | null };
  rowHeaders: { key: string; label: string }[];
  columns: { key: string; label: string; measure: string }[];
  rows: { groups: GroupValue[]; cells: Record<string, number | null> }[];
  totals: Record<string, number | null> | null;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const validDate = (v: string) => DATE_RE.test(v) && dayjs(v).isValid() && dayjs(v).format(DATE) === v;
const badPeriod = (path: string) => new AppError(400, 'BAD_REQUEST', 'report.badPeriod', {}, [{ path, messageKey: 'report.badPeriod' }]);

export function periodRange(name: string, now = dayjs()): { from: string | null; to: string | null } {
  const f = (d: dayjs.Dayjs) => d.format(DATE);
  switch (name) {
    case 'thisMonth': return { from: f(now.startOf('month')), to: f(now.endOf('month')) };
    case 'lastMonth': return { from: f(now.subtract(1, 'month').startOf('month')), to: f(now.subtract(1, 'month').endOf('month')) };
    case 'thisQuarter': { const s = now.month(Math.floor(now.month() / 3) * 3).startOf('month'); return { from: f(s), to: f(s.add(2, 'month').endOf('month')) }; }
    case 'thisYear': return { from: f(now.startOf('year')), to: f(now.endOf('year')) };
    case 'last30Days': return { from: f(now.subtract(29, 'day')), to: f(now) };
    case 'last12Months': return { from: f(now.subtract(11, 'month').startOf('month')), to: f(now.endOf('month')) };
    default: return { from: null, to: null };
  }
}

function fieldLabelOf(s: Services, entity: string, key: string, lang: Lang): string {
  const [name, bucket] = key.split(':');
  const f = s.meta.model.entity(entity)?.fields.get(name);
  const base = label(f?.schema['x-label'] ?? SYSTEM_LABELS[name] ?? name, lang);
  return bucket ? `${base} (${label(BUCKET_LABELS[bucket], lang)})` : base;
}

/** A report as a table: rows by its row keys, columns per measure (per pivot value and measure), totals. */
export async function evaluateReport(s: Services, ctx: CallContext, id: string, q: { from?: string; to?: string; period?: string }): Promise<ReportTable> {
  const def = s.meta.model.set.report?.[id];
  if (!def) throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: 'report', id });
  if (!mayOpen(ctx, def)) throw forbidden();
  const lang = ctx.lang;
  const now = dayjs();
  let from: string | null = null;
  let to: string | null = null;
  if (def.period) {
    if (q.period !== undefined && !(PERIODS as readonly string[]).includes(q.period)) throw badPeriod('/period');
    ({ from, to } = periodRange(q.period ?? def.period.default ?? 'thisMonth', now));
    if (q.from !== undefined) {
      if (!validDate(q.from)) throw badPeriod('/from');
      from = q.from;
    }
    if (q.to !== undefined) {
      if (!validDate(q.to)) throw badPeriod('/to');
      to = q.to;
    }
    if (from && to && from > to) throw badPeriod('/to');
  }
  const periodFilter: Filter | undefined = def.period && (from || to)
    ? { [def.period.field]: { ...(from ? { gte: from } : {}), ...(to ? { lt: dayjs(to).add(1, 'day').format(DATE) } : {}) } }
    : undefined;
  const base = and(resolveFilter(def.filter, ctx, now), periodFilter);
  const rowsKeys: string[] = def.rows;
  const pivot: string | undefined = def.columns;
  const measures: any[] = def.measures ?? [{ key: 'count', label: { 'zh-CN': '数量', en: 'Count' }, measure: 'count' }];
  const plain = measures.filter((m) => !m.ratio);
  const totals = def.totals !== false;
  const agg = async (m: any, groupBy: string[]) => {
    const r = await s.records.aggregate(ctx, def.entity, { groupBy, measures: [m.measure ?? 'count'], filter: and(base, resolveFilter(m.where, ctx, now)), limit: 10000 });
    return r.data.map((row) => ({ groups: groupBy.map((g) => row[g] as GroupValue), value: row[r.measures[0]] == null ? null : Number(row[r.measures[0]]) }));
  };
  const gk = (gs: GroupValue[]) => JSON.stringify(gs.map((g) => g?.value ?? null));
  // Every plain measure: the full grouping, and for the totals the groupings without the pivot and without the rows.
  const results = await Promise.all(plain.map(async (m) => {
    const [full, byRow, byCol, grand] = await Promise.all([
      agg(m, pivot ? [...rowsKeys, pivot] : rowsKeys),
      pivot ? agg(m, rowsKeys) : Promise.resolve(null),
      pivot && totals ? agg(m, [pivot]) : Promise.resolve(null),
      totals ? agg(m, []) : Promise.resolve(null),
    ]);
    return { m, full, byRow, byCol, grand };
  }));
  // Pivot values in their order (the aggregation sorts by group value), labelled.
  const pivots: GroupValue[] = [];
  if (pivot) {
    const seen = new Set<string>();
    for (const r of results) for (const row of r.full) {
      const pv = row.groups[rowsKeys.length];
      const k = JSON.stringify(pv?.value ?? null);
      if (!seen.has(k)) { seen.add(k); pivots.push(pv); }
    }
    pivots.sort((a, b) => (a.value == null ? 1 : b.value == null ? -1 : String(a.value) < String(b.value) ? -1 : String(a.value) > String(b.value) ? 1 : 0));
    const declared = sortDeclared(s, def.entity, [pivot], pivots.map((p) => ({ groups: [p] }))).map((x) => x.groups[0]);
    pivots.splice(0, pivots.length, ...declared);
  }
  const none = lang === 'en' ? '(none)' : '（空）';
  const totalWord = t(lang, 'report.total');
  const many = measures.length > 1;
  const colKey = (pv: GroupValue | null, m: any) => (pv ? `${JSON.stringify(pv.value ?? null)}|${m.key}` : m.key);
  const columns: ReportTable['columns'] = [];
  if (pivot) {
    for (const pv of pivots) for (const m of measures) columns.push({ key: colKey(pv, m), label: many ? `${pv.label ?? none} · ${label(m.label, lang)}` : (pv.label ?? none), measure: m.key });
    for (const m of measures) columns.push({ key: `total|${m.key}`, label: many ? `${totalWord} · ${label(m.label, lang)}` : totalWord, measure: m.key });
  } else for (const m of measures) columns.push({ key: m.key, label: label(m.label, lang), measure: m.key });

  const rowMap = new Map<string, { groups: GroupValue[]; cells: Record<string, number | null> }>();
  const rowOf = (gs: GroupValue[]) => {
    const k = gk(gs);
    let r = rowMap.get(k);
    if (!r) rowMap.set(k, (r = { groups: gs, cells: {} }));
    return r;
  };
  const grandCells: Record<string, number | null> = {};
  for (const { m, full, byRow, byCol, grand } of results) {
    for (const row of full) {
      const gs = row.groups.slice(0, rowsKeys.length);
      rowOf(gs).cells[pivot ? colKey(row.groups[rowsKeys.length], m) : m.key] = row.value;
    }
    for (const row of byRow ?? []) rowOf(row.groups).cells[`total|${m.key}`] = row.value;
    for (const row of byCol ?? []) grandCells[colKey(row.groups[0], m)] = row.value;
    if (grand) grandCells[pivot ? `total|${m.key}` : m.key] = grand[0]?.value ?? 0;
  }
  // Ratios from their two measures, cell by cell (totals too).
  const ratios = measures.filter((m) => m.ratio);
  const fillRatios = (cells: Record<string, number | null>) => {
    const slots = pivot ? [...pivots.map((pv) => (m: any) => colKey(pv, m)), (m: any) => `total|${m.key}`] : [(m: any) => m.key];
    for (const slot of slots)
      for (const m of ratios) {
        const [n, d] = m.ratio.map((k: string) => cells[slot(measures.find((x) => x.key === k))] ?? 0);
        cells[slot(m)] = pct(n, d);
      }
  };
  const rows = sortDeclared(s, def.entity, rowsKeys, [...rowMap.values()]);
  for (const r of rows) {
    // Counts of a row without records in a pivot column are 0, not blank.
    for (const c of columns) {
      const m = plain.find((x) => x.key === c.measure);
      if (r.cells[c.key] === undefined && m) r.cells[c.key] = (m.measure ?? 'count') === 'count' ? 0 : null;
    }
    fillRatios(r.cells);
  }
  if (totals) fillRatios(grandCells);
  return {
    id, label: def.label, period: { from, to, field: def.period?.field ?? null },
    rowHeaders: rowsKeys.map((k) => ({ key: k, label: fieldLabelOf(s, def.entity, k, lang) })),
    columns, rows: rows.map((r) => ({ groups: r.groups.map((g) => ({ value: g?.value ?? null, label: g?.label ?? none })), cells: r.cells })),
    totals: totals ? grandCells : null,
  };
}

/** The report as an XLSX workbook: labels, never keys; a totals row in bold. */
export async function reportWorkbook(table: ReportTable, lang: Lang): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'CellTrace';
  const ws = wb.addWorksheet(label(table.label, lang).slice(0, 31) || 'report');
  if (table.period.from || table.period.to) {
    ws.addRow([`${t(lang, 'report.period')}: ${table.period.from ?? '…'} – ${table.period.to ?? '…'}`]);
    ws.addRow([]);
  }
  const header = ws.addRow([...table.rowHeaders.map((h) => h.label), ...table.columns.map((c) => c.label)]);
  header.font = { bold: true };
  for (const r of table.rows) ws.addRow([...r.groups.map((g) => g.label ?? ''), ...table.columns.map((c) => r.cells[c.key] ?? null)]);
  if (table.totals) {
    const row = ws.addRow([t(lang, 'report.total'), ...table.rowHeaders.slice(1).map(() => ''), ...table.columns.map((c) => table.totals![c.key] ?? null)]);
    row.font = { bold: true };
  }
  ws.columns.forEach((c, i) => (c.width = i < table.rowHeaders.length ? 22 : 14));
  return Buffer.from(await wb.xlsx.writeBuffer());
}
