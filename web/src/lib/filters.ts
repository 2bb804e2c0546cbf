// Translate ag-grid filter/sort models into the API's JSON filter language (docs/api.md).
import dayjs from 'dayjs';

export type ApiFilter = Record<string, unknown>;
export type ColumnKind = 'text' | 'number' | 'date' | 'datetime' | 'choice' | 'ref' | 'bool' | 'none';

export interface ColumnInfo {
  kind: ColumnKind;
  /** Path to filter on (a reference column filters on `ref.titleField`). */
  filterPath: string;
}

interface SimpleModel {
  filterType?: string;
  type?: string | null;
  filter?: string | number | null;
  filterTo?: number | null;
  dateFrom?: string | null;
  dateTo?: string | null;
  values?: unknown[];
}
interface CombinedModel extends SimpleModel {
  operator?: 'AND' | 'OR';
  conditions?: SimpleModel[];
}

const day = (s: string) => s.slice(0, 10);

function one(path: string, kind: ColumnKind, m: SimpleModel): ApiFilter | null {
  if (Array.isArray(m.values)) {
    return m.values.length ? { [path]: { in: m.values } } : null;
  }
  switch (m.filterType) {
    case 'text': {
      if (m.filter == null || m.filter === '') return null;
      const v = String(m.filter);
      if (m.type === 'equals') return { [path]: { eq: v } };
      if (m.type === 'startsWith') return { [path]: { startsWith: v } };
      return { [path]: { contains: v } };
    }
    case 'number': {
      const v = m.filter == null ? null : Number(m.filter);
      if (m.type === 'blank') return { [path]: { isNull: true } };
      if (m.type === 'notBlank') return { [path]: { isNull: false } };
      if (v == null || Number.isNaN(v)) return null;
      switch (m.type) {
        case 'greaterThanOrEqual': return { [path]: { gte: v } };
        case 'lessThanOrEqual': return { [path]: { lte: v } };
        case 'greaterThan': return { [path]: { gt: v } };
        case 'lessThan': return { [path]: { lt: v } };
        case 'notEqual': return { [path]: { ne: v } };
        case 'inRange': return m.filterTo == null ? { [path]: { gte: v } } : { [path]: { between: [v, Number(m.filterTo)] } };
        default: return { [path]: { eq: v } };
      }
    }
    case 'date': {
      if (!m.dateFrom) return null;
      const from = day(m.dateFrom);
      const to = m.type === 'inRange' && m.dateTo ? day(m.dateTo) : from;
      let low = from;
      let high = to;
      if (m.type === 'greaterThan') return { [path]: kind === 'datetime' ? { gte: dayjs(from).add(1, 'day').startOf('day').toISOString() } : { gt: from } };
      if (m.type === 'lessThan') return { [path]: kind === 'datetime' ? { lt: dayjs(from).startOf('day').toISOString() } : { lt: from } };
      if (kind === 'datetime') {
        low = dayjs(from).startOf('day').toISOString();
        high = dayjs(to).endOf('day').toISOString();
      }
      return { [path]: { between: [low, high] } };
    }
    default:
      return null;
  }
}

function fromModel(path: string, kind: ColumnKind, m: CombinedModel): ApiFilter | null {
  if (m.conditions && m.operator) {
    const parts = m.conditions.map((c) => one(path, kind, c)).filter((x): x is ApiFilter => x != null);
    if (parts.length === 0) return null;
    if (parts.length === 1) return parts[0];
    return m.operator === 'OR' ? { or: parts } : { and: parts };
  }
  return one(path, kind, m);
}

/** ag-grid filter model + quick search → one API filter (or undefined when empty). */
export function buildFilter(
  filterModel: Record<string, unknown> | null | undefined,
  columns: Record<string, ColumnInfo>,
  quick?: { text: string; fields: string[] },
): ApiFilter | undefined {
  const parts: ApiFilter[] = [];
  for (const [colId, model] of Object.entries(filterModel ?? {})) {
    const info = columns[colId] ?? { kind: 'text', filterPath: colId };
    const f = fromModel(info.filterPath, info.kind, model as CombinedModel);
    if (f) parts.push(f);
  }
  const q = quick?.text.trim();
  if (q && quick) {
    const ors = quick.fields
      .map((field) => columns[field] ?? { kind: 'text' as ColumnKind, filterPath: field })
      .filter((c) => c.kind === 'text' || c.kind === 'ref')
      .map((c) => ({ [c.filterPath]: { contains: q } }));
    if (ors.length === 1) parts.push(ors[0]);
    else if (ors.length > 1) parts.push({ or: ors });
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { and: parts };
}

/** ag-grid sort model → `sort` parameter (`-field` for descending). */
export function buildSort(sortModel: { colId: string; sort: 'asc' | 'desc' | null | undefined }[], fallback: string[] = []): string {
  const s = sortModel.filter((m) => m.sort).map((m) => (m.sort === 'desc' ? `-${m.colId}` : m.colId));
  return (s.length ? s : fallback).join(',');
}
