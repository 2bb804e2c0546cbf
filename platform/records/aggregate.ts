import type { Knex } from 'knex';
import type { EntityDef, FieldDef } from '../metadata/model';
import { SYSTEM_COLUMNS } from '../metadata/model';
import { badFilter, resolveOwn } from './filter';

/**
 * Grouped figures of an entity (dashboards, statistics): up to three group keys — a field, or a date field bucketed
 * by day / week / month / quarter / year (`cultureDate:month`) — and measures `count`, `sum|avg|min|max:<number field>`.
 * The caller's row scope and filter apply (the caller passes the scoped, filtered base query); a hidden or encrypted
 * field can be neither a group key nor a measure, so a figure never reveals what a list would not.
 */
export const BUCKETS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type Bucket = (typeof BUCKETS)[number];
export const AGG_OPS = ['sum', 'avg', 'min', 'max'] as const;

export interface GroupKey { name: string; field: FieldDef | { name: string; column: string; kind: string }; bucket?: Bucket; path: string }
export interface Measure { op: 'count' | (typeof AGG_OPS)[number]; field?: { column: string; kind: string }; key: string }

const fmt: Record<Bucket, string> = { day: 'YYYY-MM-DD', week: 'IYYY-"W"IW', month: 'YYYY-MM', quarter: 'YYYY-"Q"Q', year: 'YYYY' };
const GROUPABLE = new Set(['string', 'integer', 'enum', 'dictionary', 'reference', 'user', 'boolean', 'date', 'datetime']);
const NUMERIC = new Set(['integer', 'decimal', 'number']);

function own(e: EntityDef, name: string): GroupKey['field'] | undefined {
  if (SYSTEM_COLUMNS[name]) return { name, ...SYSTEM_COLUMNS[name] };
  return resolveOwn(e, name) ?? undefined;
}

export function parseGroups(e: EntityDef, hidden: Set<string>, spec: string[]): GroupKey[] {
  if (spec.length > 3) throw badFilter('error.badGroupBy', { field: spec[3] }, '/groupBy');
  return spec.map((s, i) => {
    const [name, bucket] = s.split(':');
    const path = `/groupBy/${i}`;
    const f = own(e, name);
    if (!f || hidden.has(name) || (f as FieldDef).encrypted || !GROUPABLE.has(f.kind)) throw badFilter('error.badGroupBy', { field: s }, path);
    if (bucket !== undefined) {
      if (!(BUCKETS as readonly string[]).includes(bucket) || (f.kind !== 'date' && f.kind !== 'datetime')) throw badFilter('error.badGroupBy', { field: s }, path);
    }
    return { name: s, field: f, bucket: bucket as Bucket | undefined, path };
  });
}

export function parseMeasures(e: EntityDef, hidden: Set<string>, spec: string[]): Measure[] {
  if (!spec.length) spec = ['count'];
  if (spec.length > 6) throw badFilter('error.badMeasure', { measure: spec[6] }, '/measures');
  return spec.map((s, i) => {
    if (s === 'count') return { op: 'count', key: 'count' };
    const [op, name] = s.split(':');
    const f = name ? resolveOwn(e, name) : undefined;
    if (!(AGG_OPS as readonly string[]).includes(op) || !f || hidden.has(name) || f.encrypted || !NUMERIC.has(f.kind))
      throw badFilter('error.badMeasure', { measure: s }, `/measures/${i}`);
    return { op: op as Measure['op'], field: f, key: `${op}_${name}` };
  });
}

/** Adds the group keys and measures to a scoped, filtered query on alias `t`. */
export function applyAggregate(knex: Knex, qb: Knex.QueryBuilder, groups: GroupKey[], measures: Measure[], limit: number): Knex.QueryBuilder {
  const cols: Knex.Raw[] = [];
  groups.forEach((g, i) => {
    const col = `t.${g.field.column}`;
    const expr = g.bucket ? knex.raw(`to_char(??, '${fmt[g.bucket]}')`, [col]) : knex.raw('??', [col]);
    cols.push(knex.raw(`${expr.toQuery()} as ??`, [`g${i}`]));
  });
  for (const m of measures) {
    if (m.op === 'count') cols.push(knex.raw('count(*)::int as ??', [m.key]));
    else cols.push(knex.raw(`${m.op}(??)::float8 as ??`, [`t.${m.field!.column}`, m.key]));
  }
  qb.clearSelect().select(cols);
  groups.forEach((_g, i) => qb.groupByRaw('??', [`g${i}`]).orderByRaw('?? asc nulls last', [`g${i}`]));
  return qb.limit(limit);
}
