import { labelSchema, requirementsSchema } from '../metadata/meta-schemas';
import type { MetaSet } from '../metadata/registry';

/**
 * The `dashboard` and `report` metadata kinds (issue 15): tiles and grouped tables over entities, evaluated through
 * the record service's aggregation (platform/records/aggregate.ts) with the caller's row scope and field rules.
 *
 * A filter is the list filter language (docs/api.md) with relative values resolved on each evaluation:
 * `{"$date": "today" | "monthStart" | "weekStart" | "yearStart", "days": -30}` (a date) and `{"$user": "me"}` (the
 * caller's user id). So "overdue" is `{"dueDate": {"lt": {"$date": "today"}}, "state": "open"}`.
 */
const camelKey = { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,47}$' };
const fieldName = { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,47}$' };
const groupKey = { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,47}(:(day|week|month|quarter|year))?$' };
const measure = { type: 'string', pattern: '^(count|(sum|avg|min|max):[a-z][a-zA-Z0-9]{0,47})$' };
const filter = { type: 'object', maxProperties: 20 };

export const CHARTS = ['number', 'bar', 'line', 'pie', 'table'] as const;
export const SIZES = ['small', 'medium', 'large', 'full'] as const;
export const PERIODS = ['thisMonth', 'lastMonth', 'thisQuarter', 'thisYear', 'last30Days', 'last12Months', 'all'] as const;

const tileSchema = {
  type: 'object',
  required: ['key', 'title', 'chart'],
  properties: {
    key: camelKey,
    title: labelSchema,
    chart: { enum: CHARTS, 'x-label': { 'zh-CN': '图表类型', en: 'Chart' } },
    size: { enum: SIZES, 'x-label': { 'zh-CN': '大小', en: 'Size' } },
    // A figure over an entity: the tile's filter, up to two group keys, one measure; `ratioOf` makes the figure the
    // share (in %) of the filtered records that also match it (QC pass rate: ratioOf {"result": "pass"}).
    query: {
      type: 'object',
      required: ['entity'],
      properties: {
        entity: camelKey,
        filter,
        groupBy: { type: 'array', items: groupKey, maxItems: 2, uniqueItems: true },
        measure,
        ratioOf: filter,
        limit: { type: 'integer', minimum: 1, maximum: 100 },
        sort: { enum: ['group', 'valueDesc'] },
      },
      additionalProperties: false,
    },
    // A figure a plugin computes (`plugin:name`, registered with api.figure): tank utilisation, stock below minimum.
    source: {
      type: 'object',
      required: ['figure'],
      properties: { figure: { type: 'string', pattern: '^[a-z][a-z0-9-]*:[a-zA-Z][a-zA-Z0-9]*$' } },
      additionalProperties: false,
    },
    // The list the tile opens (default: the entity's first list), filtered by the tile's filter and the clicked group.
    list: { type: 'string', maxLength: 64 },
    unit: labelSchema,
  },
  additionalProperties: false,
  oneOf: [{ required: ['query'] }, { required: ['source'] }],
};

export const dashboardMetaSchema = {
  type: 'object',
  required: ['$id', 'label', 'tiles'],
  properties: {
    $id: camelKey,
    kind: { const: 'dashboard' },
    label: labelSchema,
    'x-requirements': requirementsSchema,
    // Holders of these roles get this dashboard on their home page (the first by `order` among their roles').
    roles: { type: 'array', items: camelKey, uniqueItems: true, maxItems: 20 },
    order: { type: 'integer', minimum: 0, maximum: 10000 },
    tiles: { type: 'array', items: tileSchema, maxItems: 40 },
  },
  additionalProperties: false,
};

const reportMeasure = {
  type: 'object',
  required: ['key', 'label'],
  properties: {
    key: camelKey,
    label: labelSchema,
    measure,
    // Only records that also match this filter count for this column (passed QC records).
    where: filter,
    // The share of one measure in another, in % (`["passed", "total"]`).
    ratio: { type: 'array', items: camelKey, minItems: 2, maxItems: 2 },
  },
  additionalProperties: false,
};

export const reportMetaSchema = {
  type: 'object',
  required: ['$id', 'label', 'entity', 'rows'],
  properties: {
    $id: camelKey,
    kind: { const: 'report' },
    label: labelSchema,
    description: labelSchema,
    'x-requirements': requirementsSchema,
    roles: { type: 'array', items: camelKey, uniqueItems: true, maxItems: 20 },
    entity: camelKey,
    filter,
    rows: { type: 'array', items: groupKey, minItems: 1, maxItems: 2, uniqueItems: true },
    // A pivot: one column per value of this group key (per measure when there are several).
    columns: groupKey,
    measures: { type: 'array', items: reportMeasure, minItems: 1, maxItems: 8 },
    totals: { type: 'boolean' },
    period: {
      type: 'object',
      required: ['field'],
      properties: { field: fieldName, default: { enum: PERIODS } },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};

const SYSTEM = ['id', 'version', 'createdAt', 'createdBy', 'updatedAt', 'updatedBy', 'orgId', 'labId'];
const SYSTEM_DATES = ['createdAt', 'updatedAt'];
const NUMERIC = (p: any) => p && (p.type === 'number' || p.type === 'integer') && !p['x-ref'] && !p['x-user'];
type Issue = { path: string; message: string };

function propsOf(all: MetaSet, entity: string): Record<string, any> | undefined {
  return all.entity?.[entity]?.properties;
}

/** The field names a filter names (own fields; `ref.field` paths checked one level), with their pointers. */
function checkFilter(all: MetaSet, entity: string, f: unknown, path: string, out: Issue[]): void {
  if (!f || typeof f !== 'object' || Array.isArray(f)) return;
  const props = propsOf(all, entity) ?? {};
  for (const [k, v] of Object.entries(f)) {
    const p = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (k === 'and' || k === 'or') {
      if (Array.isArray(v)) v.forEach((x, i) => checkFilter(all, entity, x, `${p}/${i}`, out));
      else out.push({ path: p, message: `${k} needs a list of filters` });
      continue;
    }
    if (k === 'not') {
      checkFilter(all, entity, v, p, out);
      continue;
    }
    const [head, tail] = k.split('.');
    if (!(head in props) && !SYSTEM.includes(head)) out.push({ path: p, message: `unknown field ${head} of ${entity}` });
    else if (tail && tail !== 'displayName' && !(props[head]?.['x-ref'] && propsOf(all, props[head]['x-ref'])?.[tail] !== undefined) && !SYSTEM.includes(tail))
      out.push({ path: p, message: `cannot follow ${k}` });
  }
}

function checkGroup(all: MetaSet, entity: string, g: string, path: string, out: Issue[]): void {
  const props = propsOf(all, entity) ?? {};
  const [name, bucket] = g.split(':');
  const p = props[name];
  if (!p && !SYSTEM.includes(name)) return void out.push({ path, message: `unknown field ${name} of ${entity}` });
  if (p && (p['x-type'] === 'text' || p['x-type'] === 'json' || p['x-type'] === 'attachment' || p.type === 'array' || p.type === 'object' || p['x-encrypted']))
    return void out.push({ path, message: `${name} cannot be grouped by` });
  if (bucket && !(SYSTEM_DATES.includes(name) || p?.format === 'date' || p?.format === 'date-time')) out.push({ path, message: `${name} is not a date: no ${bucket} buckets` });
}

function checkMeasure(all: MetaSet, entity: string, m: string | undefined, path: string, out: Issue[]): void {
  if (!m || m === 'count') return;
  const name = m.split(':')[1];
  const p = propsOf(all, entity)?.[name];
  if (!p) out.push({ path, message: `unknown field ${name} of ${entity}` });
  else if (!NUMERIC(p) || p['x-encrypted']) out.push({ path, message: `${name} is not a number field` });
}

function checkList(all: MetaSet, entity: string, list: string | undefined, path: string, out: Issue[]): void {
  if (!list) return;
  const l = all.list?.[list];
  if (!l) out.push({ path, message: `unknown list ${list}` });
  else if (l.entity !== entity) out.push({ path, message: `list ${list} shows ${l.entity}, not ${entity}` });
}

function checkRoles(all: MetaSet, roles: string[] | undefined, out: Issue[]): void {
  // Roles are checked when the role kind is loaded (a server without the security module has none).
  if (!all.role || !Object.keys(all.role).length) return;
  (roles ?? []).forEach((r, i) => {
    if (!all.role[r]) out.push({ path: `/roles/${i}`, message: `unknown role ${r}` });
  });
}

/** Cross-checks of a dashboard: every tile names an existing entity, fields of it, a list of it, known roles. */
export function dashboardIssues(def: any, all: MetaSet): Issue[] {
  const out: Issue[] = [];
  checkRoles(all, def.roles, out);
  const keys = new Set<string>();
  (def.tiles ?? []).forEach((tile: any, i: number) => {
    const base = `/tiles/${i}`;
    if (keys.has(tile.key)) out.push({ path: `${base}/key`, message: `tile key ${tile.key} used twice` });
    keys.add(tile.key);
    const q = tile.query;
    if (!q) {
      if (tile.list && !all.list?.[tile.list]) out.push({ path: `${base}/list`, message: `unknown list ${tile.list}` });
      return;
    }
    if (!all.entity?.[q.entity]) return void out.push({ path: `${base}/query/entity`, message: `unknown entity ${q.entity}` });
    checkFilter(all, q.entity, q.filter, `${base}/query/filter`, out);
    checkFilter(all, q.entity, q.ratioOf, `${base}/query/ratioOf`, out);
    (q.groupBy ?? []).forEach((g: string, j: number) => checkGroup(all, q.entity, g, `${base}/query/groupBy/${j}`, out));
    checkMeasure(all, q.entity, q.measure, `${base}/query/measure`, out);
    if (q.ratioOf && q.measure && q.measure !== 'count') out.push({ path: `${base}/query/measure`, message: 'a ratio counts records: measure must be count' });
    if (tile.chart === 'number' && (q.groupBy ?? []).length) out.push({ path: `${base}/query/groupBy`, message: 'a number tile has no groups' });
    if (tile.chart !== 'number' && tile.chart !== 'table' && !(q.groupBy ?? []).length) out.push({ path: `${base}/query/groupBy`, message: `a ${tile.chart} chart needs a group key` });
    checkList(all, q.entity, tile.list, `${base}/list`, out);
  });
  return out;
}

/** Cross-checks of a report: entity, row and column keys, measures (ratios name two measures of the report), period. */
export function reportIssues(def: any, all: MetaSet): Issue[] {
  const out: Issue[] = [];
  checkRoles(all, def.roles, out);
  if (!all.entity?.[def.entity]) return [...out, { path: '/entity', message: `unknown entity ${def.entity}` }];
  checkFilter(all, def.entity, def.filter, '/filter', out);
  (def.rows ?? []).forEach((g: string, i: number) => checkGroup(all, def.entity, g, `/rows/${i}`, out));
  if (def.columns) {
    checkGroup(all, def.entity, def.columns, '/columns', out);
    if ((def.rows ?? []).includes(def.columns)) out.push({ path: '/columns', message: `${def.columns} is already a row` });
  }
  const keys = (def.measures ?? []).map((m: any) => m.key);
  (def.measures ?? []).forEach((m: any, i: number) => {
    const p = `/measures/${i}`;
    if (keys.indexOf(m.key) !== i) out.push({ path: `${p}/key`, message: `measure key ${m.key} used twice` });
    if (m.ratio) {
      if (m.measure || m.where) out.push({ path: p, message: 'a ratio has neither measure nor where' });
      m.ratio.forEach((k: string, j: number) => {
        const target = (def.measures ?? []).find((x: any) => x.key === k);
        if (!target || target.ratio) out.push({ path: `${p}/ratio/${j}`, message: `unknown measure ${k}` });
      });
    } else {
      checkMeasure(all, def.entity, m.measure, `${p}/measure`, out);
      checkFilter(all, def.entity, m.where, `${p}/where`, out);
    }
  });
  if (def.period) {
    const props = propsOf(all, def.entity) ?? {};
    const f = props[def.period.field];
    if (!(SYSTEM_DATES.includes(def.period.field) || f?.format === 'date' || f?.format === 'date-time'))
      out.push({ path: '/period/field', message: `${def.period.field} is not a date field of ${def.entity}` });
  }
  return out;
}
