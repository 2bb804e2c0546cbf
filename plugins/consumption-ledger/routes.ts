import type Router from '@koa/router';
import ExcelJS from 'exceljs';
import { AppError, readQuery, t, type CallContext, type PluginApi } from '../../platform/plugins/sdk';
import { CONSUMPTION } from './ledger';

const id = { type: 'integer', minimum: 1, maximum: 9007199254740991 };
const date = { type: 'string', format: 'date' };
const STOCK_Q = {
  store: id, material: id, lot: id, kind: { type: 'string', maxLength: 64 }, q: { type: 'string', maxLength: 100 },
  flag: { enum: ['lowStock', 'expiringSoon', 'expired', 'inUseExpired', 'notReleased'] }, includeEmpty: { type: 'boolean' },
  sort: { enum: ['expiry', 'material', 'lot', 'qty'] },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 }, offset: { type: 'integer', minimum: 0, maximum: 1000000, default: 0 },
};
const FEFO_Q = { store: id, material: id, quantity: { type: 'number', exclusiveMinimum: 0, maximum: 1e9 } };
const GROUPS = ['day', 'week', 'month', 'kind', 'material', 'store', 'lab', 'purpose', 'culture'] as const;
const LEDGER_Q = {
  from: date, to: date, groupBy: { type: 'string', pattern: `^(${GROUPS.join('|')})(,(${GROUPS.join('|')})){0,2}$` },
  kind: { type: 'string', maxLength: 64 }, material: id, store: id, lab: id, culture: id, batch: id,
  purpose: { enum: ['consumption', 'receipt', 'transfer', 'issue', 'usage', 'return', 'adjust', 'scrap', 'all'] },
  format: { enum: ['json', 'xlsx'] },
};
const LINES_Q = { ...LEDGER_Q, lot: id, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, offset: { type: 'integer', minimum: 0, maximum: 1000000, default: 0 } };
const TEMPLATE_Q = { cellKind: { enum: ['stem', 'immune'] }, cellType: { type: 'string', maxLength: 64 }, store: id };

type Row = Record<string, any>;
const num = (v: unknown) => (v == null ? null : Math.round(Number(v) * 1000) / 1000);
const today = () => new Date().toISOString().slice(0, 10);
const addDays = (d: number) => new Date(Date.now() + d * 86400_000).toISOString().slice(0, 10);

/**
 * Stock, FEFO suggestions, the consumption ledger and where-used. Every query joins the stores, lots and materials
 * the caller may read (`scopedQuery`): another lab's stores and lots never appear, a hidden field is not selected.
 */
export function ledgerRoutes(router: Router, api: PluginApi): void {
  const fields = async (c: CallContext, entity: string, wanted: string[]) => {
    const f = await api.visibleFields(c, entity, wanted);
    if (!f) throw new AppError(403, 'FORBIDDEN', 'error.forbidden', { action: 'read', entity });
    return f.includes('id') ? f : ['id', ...f];
  };
  const scopes = async (c: CallContext) => ({
    s: api.scopedQuery(c, 'materialStore', 's', { fields: await fields(c, 'materialStore', ['id', 'code', 'name', 'storeKind', 'labId']) }),
    l: api.scopedQuery(c, 'materialLot', 'l', { fields: await fields(c, 'materialLot', ['id', 'lotNo', 'expiryDate', 'status', 'supplier']) }),
    m: api.scopedQuery(c, 'material', 'm', { fields: await fields(c, 'material', ['id', 'code', 'name', 'specification', 'unit', 'minStock', 'kind', 'category']) }),
  });

  /** Usable lots (released, not expired) of a material in a store the caller may read, first expiry first out. */
  const fefoLots = async (c: CallContext, store: number, material: number, limit: number): Promise<Row[]> => {
    const { s, l, m } = await scopes(c);
    return (await api.db().raw(
      `select b.lot_id, b.qty, l."lotNo" as lot_no, l."expiryDate" as expiry, m.unit, o.expires_at as in_use_expiry
       from cl_balance b join ? on s.id = b.store_id join ? on l.id = b.lot_id join ? on m.id = b.material_id
       left join cl_opened o on o.store_id = b.store_id and o.lot_id = b.lot_id
       where b.store_id = ? and b.material_id = ? and b.qty > 0 and l.status = 'released' and (l."expiryDate" is null or l."expiryDate" >= ?)
       order by l."expiryDate" nulls last, b.lot_id limit ?`,
      [s, l, m, store, material, today(), limit],
    )).rows;
  };

  /** R-3.5.6: balance per lot × store with expiry, low-stock and expiring-soon flags, free search. */
  router.get('/materials/stock', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<any>(ctx.query, STOCK_Q);
    const { expiringDays } = await api.settings<{ expiringDays: number }>().get();
    const { s, l, m } = await scopes(c);
    const where: string[] = [];
    const b: unknown[] = [s, l, m];
    if (q.store) { where.push('b.store_id = ?'); b.push(q.store); }
    if (q.material) { where.push('b.material_id = ?'); b.push(q.material); }
    if (q.lot) { where.push('b.lot_id = ?'); b.push(q.lot); }
    if (!q.includeEmpty) where.push('b.qty > 0');
    // The lab's total per material (minimum stock is the lab's): joined only when filtering on it, else read for the
    // page's materials afterwards, so the first page of a 10,000-lot store is one index range plus the joins.
    const lowOnly = q.flag === 'lowStock';
    const inner = `select b.store_id, b.lot_id, b.material_id, b.lab_id, b.qty, b.expiry_date as b_expiry, s.name as store_name, s.code as store_code, s."storeKind" as store_kind,
        l."lotNo" as lot_no, l."expiryDate" as expiry, l.status, m.code as mcode, m.name as mname, m.specification as spec, m.unit, m."minStock" as min_stock, m.kind,
        o.opened_at, o.expires_at as in_use_expiry${lowOnly ? ', t.qty as material_total' : ''}
      from cl_balance b join ? on s.id = b.store_id join ? on l.id = b.lot_id join ? on m.id = b.material_id
      left join cl_opened o on o.store_id = b.store_id and o.lot_id = b.lot_id
      ${lowOnly ? 'join cl_material_total t on t.lab_id = coalesce(b.lab_id, 0) and t.material_id = b.material_id' : ''}
      ${where.length ? `where ${where.join(' and ')}` : ''}`;
    const outer: string[] = [];
    if (q.kind) { outer.push('x.kind = ?'); b.push(q.kind); }
    if (q.q) { outer.push(`(x.lot_no ilike ? or x.mname ilike ? or x.mcode ilike ?)`); b.push(...Array(3).fill(`%${String(q.q).replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`)); }
    if (lowOnly) outer.push('x.min_stock is not null and x.material_total < x.min_stock');
    if (q.flag === 'expiringSoon') { outer.push('x.expiry >= ? and x.expiry <= ?'); b.push(today(), addDays(expiringDays)); }
    if (q.flag === 'expired') { outer.push('x.expiry < ?'); b.push(today()); }
    if (q.flag === 'inUseExpired') outer.push('x.in_use_expiry < now()');
    if (q.flag === 'notReleased') outer.push(`x.status <> 'released'`);
    const order = { expiry: 'x.b_expiry nulls last, x.lot_id', material: 'x.mname, x.expiry, x.lot_no', lot: 'x.lot_no', qty: 'x.qty desc, x.expiry' }[(q.sort ?? 'expiry') as 'expiry'];
    // The page (a top-N sort) and the count run side by side: a window count would sort every row of the store.
    const filtered = `from (${inner}) x ${outer.length ? `where ${outer.join(' and ')}` : ''}`;
    const innerFactory = () => b.map((v) => (v && typeof v === 'object' && 'clone' in (v as object) ? (v as { clone(): unknown }).clone() : v));
    const [page, count] = await Promise.all([
      api.db().raw(`select x.* ${filtered} order by ${order}, x.store_id limit ? offset ?`, [...b, q.limit, q.offset]),
      // Without filters on the joined columns the count needs only the balances, their store and their lot (scope).
      outer.length || lowOnly
        ? api.db().raw(`select count(*)::int as n ${filtered}`, innerFactory())
        : api.db().raw(
          `select count(*)::int as n from cl_balance b join ? on s.id = b.store_id join ? on l.id = b.lot_id ${where.length ? `where ${where.join(' and ')}` : ''}`,
          innerFactory().filter((_v, i) => i !== 2),
        ),
    ]);
    const rows = page.rows;
    if (!lowOnly && rows.length) {
      const totals = (await api.db().raw(
        `select lab_id, material_id, qty from cl_material_total where material_id = any(?::bigint[])`,
        [[...new Set(rows.map((r: Row) => Number(r.material_id)))]],
      )).rows;
      const tot = new Map(totals.map((x: Row) => [`${x.lab_id}|${x.material_id}`, x.qty]));
      for (const r of rows) r.material_total = tot.get(`${r.lab_id ?? 0}|${r.material_id}`) ?? r.qty;
    }
    const soon = addDays(expiringDays);
    ctx.body = {
      data: rows.map((r: Row) => ({
        store: { id: Number(r.store_id), name: r.store_name, code: r.store_code, storeKind: r.store_kind },
        lot: { id: Number(r.lot_id), lotNo: r.lot_no, expiryDate: r.expiry, status: r.status },
        material: { id: Number(r.material_id), code: r.mcode, name: r.mname, specification: r.spec, unit: r.unit, kind: r.kind, minStock: num(r.min_stock) },
        quantity: num(r.qty), materialTotal: num(r.material_total),
        openedAt: r.opened_at ?? null, inUseExpiry: r.in_use_expiry ?? null,
        flags: {
          expired: !!r.expiry && r.expiry < today(), expiringSoon: !!r.expiry && r.expiry >= today() && r.expiry <= soon,
          lowStock: r.min_stock != null && Number(r.material_total) < Number(r.min_stock), inUseExpired: !!r.in_use_expiry && new Date(r.in_use_expiry) < new Date(),
          notReleased: r.status !== 'released',
        },
      })),
      total: Number(count.rows[0].n), expiringDays,
    };
  });

  /** FEFO: the usable lots of a material in a store, earliest expiry first, with a suggested split for a quantity. */
  router.get('/materials/fefo', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<any>(ctx.query, FEFO_Q, ['store', 'material']);
    const rows = await fefoLots(c, q.store, q.material, 50);
    let left = q.quantity ?? 0;
    ctx.body = {
      data: rows.map((r: Row) => {
        const take = Math.min(left, Number(r.qty));
        left -= take;
        return { lot: { id: Number(r.lot_id), lotNo: r.lot_no, expiryDate: r.expiry }, available: num(r.qty), unit: r.unit, inUseExpiry: r.in_use_expiry ?? null, suggested: num(take) };
      }),
      shortfall: num(Math.max(0, left)),
    };
  });

  /** A culture material template (R-3.2.3) for a cell kind / type, with a FEFO lot per material from a store. */
  router.get('/materials/culture-template', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<any>(ctx.query, TEMPLATE_Q, ['cellKind']);
    const all = (await api.records.list(c, 'cultureMaterialTemplate', { filter: { cellKind: q.cellKind }, limit: 100 })).data.filter((x) => x.enabled !== false);
    const tpl = all.find((x) => q.cellType && x.cellType === q.cellType) ?? all.find((x) => !x.cellType);
    if (!tpl) return void (ctx.body = { data: null });
    const lines = [];
    for (const line of tpl.lines as Row[]) {
      const mat = await api.records.get(c, 'material', line.material, { fields: ['id', 'name', 'unit'] });
      const lot: Row | undefined = q.store ? (await fefoLots(c, q.store, line.material, 1))[0] : undefined;
      lines.push({
        material: { id: mat.id, name: mat.name, unit: mat.unit }, quantity: num(line.quantity),
        lot: lot ? { id: Number(lot.lot_id), lotNo: lot.lot_no, expiryDate: lot.expiry, available: num(lot.qty) } : null,
      });
    }
    ctx.body = { data: { template: { id: tpl.id, name: tpl.name }, lines } };
  });

  /** R-3.5.7: the production consumption ledger, grouped; consumption = usage + direct issues, reversals netted. */
  router.get('/materials/ledger', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<any>(ctx.query, LEDGER_Q);
    const groups = String(q.groupBy ?? 'month,kind').split(',') as (typeof GROUPS)[number][];
    const r = await ledgerQuery(api, c, q, groups);
    if (q.format === 'xlsx') return sendXlsx(ctx, await ledgerWorkbook(api, c, groups, r.rows), 'consumption-ledger.xlsx');
    ctx.body = { data: r.rows, totals: r.totals, groupBy: groups };
  });

  /** The movements behind the ledger (lines), newest first; a lot's where-used is `lot=<id>&purpose=all`. */
  router.get('/materials/movements', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<any>(ctx.query, LINES_Q);
    const { s, l, m } = await scopes(c);
    const { where, b } = await movementFilter(api, c, q, 'v');
    const rows = (await api.db().raw(
      `select v.id, v.at, v.doc_entity, v.doc_id, v.line_no, v.lot_id, v.store_id, v.qty, v.purpose, v.actor_name, v.culture_id, v.reverses, v.note,
              l."lotNo" as lot_no, m.name as mname, m.unit, s.name as store_name, count(*) over () as total
       from cl_movement v join ? on s.id = v.store_id join ? on l.id = v.lot_id join ? on m.id = v.material_id
       ${where.length ? `where ${where.join(' and ')}` : ''} order by v.at desc, v.id desc limit ? offset ?`,
      [s, l, m, ...b, q.limit, q.offset],
    )).rows;
    const titles = await docTitles(api, c, rows.map((r: Row): [string, number] => [r.doc_entity, Number(r.doc_id)]).concat(rows.filter((r: Row) => r.culture_id).map((r: Row): [string, number] => ['cultureRecord', Number(r.culture_id)])));
    ctx.body = {
      data: rows.map((r: Row) => ({
        id: Number(r.id), at: r.at, purpose: r.purpose, purposeLabel: t(c.lang, `ledger.purpose.${r.purpose}`), quantity: num(r.qty), unit: r.unit, reversal: r.reverses != null, note: r.note ?? null,
        document: { entity: r.doc_entity, id: Number(r.doc_id), title: titles.get(`${r.doc_entity}:${r.doc_id}`) ?? null, line: r.line_no + 1 },
        lot: { id: Number(r.lot_id), lotNo: r.lot_no }, material: { name: r.mname }, store: { id: Number(r.store_id), name: r.store_name },
        cultureRecord: r.culture_id ? { id: Number(r.culture_id), title: titles.get(`cultureRecord:${r.culture_id}`) ?? null } : null, actor: r.actor_name,
      })),
      total: rows.length ? Number(rows[0].total) : 0,
    };
  });
}

/** Titles of documents and production records the caller may read; others stay null (never an id or another lab's code). */
async function docTitles(api: PluginApi, c: CallContext, refs: [string, number][]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const byEntity = new Map<string, Set<number>>();
  for (const [e, i] of refs) (byEntity.get(e) ?? byEntity.set(e, new Set()).get(e)!).add(i);
  for (const [e, ids] of byEntity) {
    const def = api.model.entity(e);
    if (!def || !(await api.visibleFields(c, e, [def.titleField]))?.includes(def.titleField)) continue;
    const rows = (await api.records.list(c, e, { filter: { id: { in: [...ids] } }, fields: ['id', def.titleField], limit: ids.size })).data;
    for (const r of rows) out.set(`${e}:${r.id}`, String(r[def.titleField] ?? ''));
  }
  return out;
}

/** Filters shared by the ledger and its lines, on cl_movement `v`; batch → its culture record (the batch's origin). */
async function movementFilter(api: PluginApi, c: CallContext, q: Row, v: string): Promise<{ where: string[]; b: unknown[] }> {
  const where: string[] = [];
  const b: unknown[] = [];
  const purpose = q.purpose ?? 'consumption';
  if (purpose === 'consumption') { where.push(`${v}.purpose = any(?)`); b.push(CONSUMPTION); }
  else if (purpose !== 'all') { where.push(`${v}.purpose = ?`); b.push(purpose); }
  if (q.from) { where.push(`${v}.at >= ?::date`); b.push(q.from); }
  if (q.to) { where.push(`${v}.at < ?::date + 1`); b.push(q.to); }
  for (const [k, col] of [['kind', 'kind'], ['material', 'material_id'], ['store', 'store_id'], ['lab', 'lab_id'], ['culture', 'culture_id'], ['lot', 'lot_id']] as const)
    if (q[k] !== undefined) { where.push(`${v}.${col} = ?`); b.push(q[k]); }
  if (q.batch) {
    const batch = await api.records.get(c, 'cellBatch', q.batch, { fields: ['id', 'cultureRecord'] });
    where.push(`(${v}.batch_id = ? or ${v}.culture_id = ?)`);
    b.push(q.batch, batch.cultureRecord ?? -1);
  }
  return { where, b };
}

const BUCKET: Record<string, (col: string) => string> = {
  day: (col) => `to_char(${col}, 'YYYY-MM-DD')`, week: (col) => `to_char(date_trunc('week', ${col}), 'IYYY-"W"IW')`, month: (col) => `to_char(${col}, 'YYYY-MM')`,
};

/**
 * Grouped consumption. Without a production-record filter it reads the daily roll-up (cl_daily: thousands of rows
 * for a million movements); with one (culture, batch) it reads the movements through their indexes.
 */
async function ledgerQuery(api: PluginApi, c: CallContext, q: Row, groups: string[]) {
  const useDaily = !q.culture && !q.batch && !groups.includes('culture');
  const s = api.scopedQuery(c, 'materialStore', 's', { fields: ['id', 'name', 'labId'] });
  const mu = api.scopedQuery(c, 'material', 'mu', { fields: ['id', 'unit'] });
  const cols: string[] = [];
  const keys: string[] = [];
  const src = useDaily ? 'd' : 'v';
  const time = useDaily ? 'd.day' : 'v.at';
  for (const g of groups) {
    if (BUCKET[g]) cols.push(`${BUCKET[g](time)} as g_${g}`);
    else if (g === 'kind') cols.push(`${src}.kind as g_kind`);
    else if (g === 'material') cols.push(`${src}.material_id as g_material`);
    else if (g === 'store') cols.push(`${src}.store_id as g_store`);
    else if (g === 'lab') cols.push(`${src}.lab_id as g_lab`);
    else if (g === 'purpose') cols.push(`${src}.purpose as g_purpose`);
    else if (g === 'culture') cols.push(`v.culture_id as g_culture`);
    keys.push(`g_${g}`);
  }
  let sql: string;
  let b: unknown[];
  if (useDaily) {
    const where: string[] = [];
    b = [s, mu];
    const purpose = q.purpose ?? 'consumption';
    if (purpose === 'consumption') { where.push('d.purpose = any(?)'); b.push(CONSUMPTION); }
    else if (purpose !== 'all') { where.push('d.purpose = ?'); b.push(purpose); }
    if (q.from) { where.push('d.day >= ?'); b.push(q.from); }
    if (q.to) { where.push('d.day <= ?'); b.push(q.to); }
    for (const [k, col] of [['kind', 'kind'], ['material', 'material_id'], ['store', 'store_id'], ['lab', 'lab_id']] as const) if (q[k] !== undefined) { where.push(`d.${col} = ?`); b.push(q[k]); }
    sql = `select ${cols.join(', ')}, sum(-d.qty) as quantity, sum(d.n)::int as movements, count(distinct mu.unit)::int as units, min(mu.unit) as unit
      from cl_daily d join ? on s.id = d.store_id join ? on mu.id = d.material_id
      ${where.length ? `where ${where.join(' and ')}` : ''} group by ${keys.join(', ')} order by ${keys.join(', ')}`;
  } else {
    const f = await movementFilter(api, c, q, 'v');
    b = [s, mu, ...f.b];
    sql = `select ${cols.join(', ')}, sum(-v.qty) as quantity, count(*)::int as movements, count(distinct mu.unit)::int as units, min(mu.unit) as unit
      from cl_movement v join ? on s.id = v.store_id join ? on mu.id = v.material_id
      ${f.where.length ? `where ${f.where.join(' and ')}` : ''} group by ${keys.join(', ')} order by ${keys.join(', ')}`;
  }
  const rows = (await api.db().raw(sql, b)).rows as Row[];
  // Names, never ids: label materials, stores, labs, kinds and culture records the caller may read.
  const label = await labeller(api, c, groups, rows);
  const units = api.defs<any>('dictionary').materialUnit?.items ?? [];
  const unitLabel = (u: string | null) => {
    const it = units.find((i: Row) => i.code === u);
    return u == null ? null : it?.label?.[c.lang] ?? it?.label?.['zh-CN'] ?? u;
  };
  const out = rows.map((r) => {
    // A quantity is only meaningful in one unit: rows mixing units (mL of media with pieces of flasks) carry none.
    const o: Row = { quantity: r.units === 1 ? num(r.quantity) : null, unit: r.units === 1 ? unitLabel(r.unit) : null, movements: r.movements };
    for (const g of groups) o[g] = label(g, r[`g_${g}`]);
    return o;
  });
  const oneUnit = new Set(rows.map((r) => (r.units === 1 ? r.unit : null))).size === 1 && rows.every((r) => r.units === 1);
  const totals = { quantity: oneUnit ? num(rows.reduce((x, r) => x + Number(r.quantity), 0)) : null, unit: oneUnit && rows.length ? unitLabel(rows[0].unit) : null, movements: rows.reduce((x, r) => x + Number(r.movements), 0) };
  return { rows: out, totals };
}

async function labeller(api: PluginApi, c: CallContext, groups: string[], rows: Row[]) {
  const names = new Map<string, Map<string, Row>>();
  const load = async (g: string, entity: string, field: string, extra: string[] = []) => {
    const ids = [...new Set(rows.map((r) => r[`g_${g}`]).filter((v) => v != null).map(Number))];
    const m = new Map<string, Row>();
    if (ids.length && (await api.visibleFields(c, entity, [field]))?.length) {
      for (const r of (await api.records.list(c, entity, { filter: { id: { in: ids } }, fields: ['id', field, ...extra], limit: ids.length })).data) m.set(String(r.id), r);
    }
    names.set(g, m);
  };
  if (groups.includes('material')) await load('material', 'material', 'name', ['code', 'unit']);
  if (groups.includes('store')) await load('store', 'materialStore', 'name');
  if (groups.includes('culture')) await load('culture', 'cultureRecord', 'batchCode');
  const kinds = api.defs<any>('dictionary').materialKind?.items ?? [];
  return (g: string, v: unknown) => {
    if (v == null) return null;
    if (g === 'kind') {
      const it = kinds.find((i: Row) => i.code === v);
      return { code: v, label: it?.label?.[c.lang] ?? it?.label?.['zh-CN'] ?? v };
    }
    if (g === 'purpose') return { code: v, label: t(c.lang, `ledger.purpose.${v}`) };
    if (g === 'material') {
      const r = names.get(g)?.get(String(v));
      return r ? { id: r.id, name: r.name, code: r.code, unit: r.unit } : { id: Number(v), name: null };
    }
    if (g === 'store') {
      const r = names.get(g)?.get(String(v));
      return { id: Number(v), name: r?.name ?? null };
    }
    if (g === 'culture') {
      const r = names.get(g)?.get(String(v));
      return { id: Number(v), title: r?.batchCode ?? null };
    }
    if (g === 'lab') return { id: Number(v) };
    return v;
  };
}

async function ledgerWorkbook(api: PluginApi, c: CallContext, groups: string[], rows: Row[]) {
  const zh = c.lang === 'zh-CN';
  const head: Record<string, string> = zh
    ? { day: '日期', week: '周', month: '月份', kind: '类别性质', material: '物料', store: '库房', lab: '实验室', purpose: '业务类型', culture: '培养批号', quantity: '消耗数量', unit: '单位', movements: '笔数' }
    : { day: 'Day', week: 'Week', month: 'Month', kind: 'Kind', material: 'Material', store: 'Store', lab: 'Lab', purpose: 'Purpose', culture: 'Culture batch', quantity: 'Quantity', unit: 'Unit', movements: 'Movements' };
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(zh ? '生产消耗台账' : 'Consumption ledger');
  const cols = [...groups, 'quantity', 'unit', 'movements'];
  ws.addRow(cols.map((k) => head[k]));
  ws.getRow(1).font = { bold: true };
  const cell = (g: string, v: any) => {
    if (v == null) return '';
    if (typeof v !== 'object') return v;
    return v.label ?? v.name ?? v.title ?? '';
  };
  for (const r of rows) ws.addRow(cols.map((k) => (k === 'unit' ? r.unit ?? '' : cell(k, r[k]))).map((v) => (typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v)));
  ws.columns.forEach((col) => (col.width = 18));
  void api;
  return wb;
}

async function sendXlsx(ctx: any, wb: ExcelJS.Workbook, name: string) {
  ctx.set('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  ctx.set('Content-Disposition', `attachment; filename="${name}"`);
  ctx.body = Buffer.from(await wb.xlsx.writeBuffer());
}
