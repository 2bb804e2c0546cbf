import type Router from '@koa/router';
import bwipjs from 'bwip-js';
import { AppError, notFound } from '../../platform/errors';
import { callContext } from '../../platform/http/routes/auth';
import type { CallContext } from '../../platform/context';
import type { Services } from '../../platform/services';
import { colLabel, rowLabel } from './layout';
import { boxesByIds, defragPlan, fullLabel, layoutOf, lockCells, recommend, releaseToken, reserve, strategies, usable, type BoxRow, type RecommendRequest } from './slots';

const int = (v: unknown): number | undefined => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);
const num = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number.isFinite(Number(v)) ? Number(v) : undefined);
const str = (v: unknown, max = 64): string | undefined => (typeof v === 'string' && v && v.length <= max ? v : undefined);
const bad = (path: string, key = 'error.badFilterShape') => new AppError(400, 'VALIDATION_FAILED', key, {}, [{ path, messageKey: key }]);

async function may(s: Services, ctx: CallContext, entity: string, action = 'read') {
  await s.authorizer.assert(ctx, s.records.entity(entity), action);
}

/** Row scope of an entity as SQL for raw queries (lab scope once roles land). */
function scoped(s: Services, ctx: CallContext, entity: string, alias: string, qb: any) {
  const f = s.authorizer.scope(ctx, s.records.entity(entity), alias);
  if (f) qb.andWhere((w: any) => f(w));
  return qb;
}

function recommendRequest(b: any, ctx: CallContext): RecommendRequest {
  const n = int(b.n) ?? 1;
  return {
    n, batchId: int(b.batch) ?? null, actorId: ctx.actor.id, deviceId: int(b.device), site: str(b.site), deviceType: str(b.deviceType),
    maxTemperature: num(b.maxTemperature), containerId: int(b.container),
  };
}

const boxStats = (b: BoxRow) => ({
  capacity: b.capacity, free: b.free_count, reserved: b.reserved_count, occupied: b.occupied_count, blocked: b.blocked_count,
});

export function slotRoutes(api: Router, s: Services): void {
  const knex = s.knex;

  api.get('/storage/strategies', (ctx) => {
    ctx.body = { data: strategies() };
  });

  /** Devices with their utilisation; `groupBy=site` sums per site. */
  api.get('/storage/utilisation', async (ctx) => {
    const c = callContext(ctx);
    await may(s, c, 'storageDevice');
    const bySite = ctx.query.groupBy === 'site';
    const q = knex('storage_box as b')
      .join('storage_device as d', 'd.id', 'b.device_id')
      .whereNull('d.deleted_at')
      .select(
        knex.raw('sum(b.capacity)::int as capacity'), knex.raw('sum(b.free_count)::int as free'), knex.raw('sum(b.reserved_count)::int as reserved'),
        knex.raw('sum(b.occupied_count)::int as occupied'), knex.raw('sum(b.blocked_count)::int as blocked'), knex.raw('count(*)::int as boxes'),
        knex.raw('count(*) filter (where b.occupied_count = 0 and b.reserved_count = 0)::int as "emptyBoxes"'),
      );
    scoped(s, c, 'storageDevice', 'd', q);
    if (bySite) q.select('d.site').groupBy('d.site').orderBy('d.site');
    else q.select('d.id', 'd.code', 'd.name', 'd.site', 'd.device_type as deviceType', 'd.vacancy_threshold as vacancyThreshold', 'd.status').groupBy('d.id').orderBy('d.code');
    const rows = await q;
    for (const r of rows) r.utilisation = r.capacity ? Math.round((1000 * (r.occupied + r.reserved + r.blocked)) / r.capacity) / 10 : 0;
    ctx.body = { data: rows };
  });

  /** Children of a device (top level) or of a container, with aggregated position counts for drilling down. */
  api.get('/storage/containers', async (ctx) => {
    const c = callContext(ctx);
    await may(s, c, 'container');
    const device = int(ctx.query.device);
    const parent = int(ctx.query.parent);
    if (!device && !parent) throw bad('/device');
    const q = knex('container as c')
      .join('container_type as t', 't.id', 'c.container_type')
      .leftJoin('storage_box as b', (j) => j.on('b.device_id', 'c.device').andOn(knex.raw("(b.path = c.path or b.path like c.path || '/%')")))
      .whereNull('c.deleted_at')
      .select('c.id', 'c.code', 'c.name', 'c.path', 'c.depth', 'c.ordinal', 'c.holds_vials as holdsVials', 't.level', 't.code as typeCode', 'c.rows', 'c.cols')
      .select(
        knex.raw('coalesce(sum(b.capacity), 0)::int as capacity'), knex.raw('coalesce(sum(b.free_count), 0)::int as free'),
        knex.raw('coalesce(sum(b.reserved_count), 0)::int as reserved'), knex.raw('coalesce(sum(b.occupied_count), 0)::int as occupied'),
        knex.raw('coalesce(sum(b.blocked_count), 0)::int as blocked'),
      )
      .groupBy('c.id', 't.level', 't.code')
      .orderBy('c.ordinal');
    if (parent) q.where('c.parent', parent);
    else q.where('c.device', device!).whereNull('c.parent');
    scoped(s, c, 'container', 'c', q);
    ctx.body = { data: await q };
  });

  /** The grid of one box: every position with its state and a summary of its occupant. */
  api.get('/storage/containers/:id/map', async (ctx) => {
    const c = callContext(ctx);
    await may(s, c, 'container');
    const id = int(ctx.params.id);
    const container = id && (await scoped(s, c, 'container', 'c', knex('container as c').where('c.id', id).whereNull('c.deleted_at').first('c.id', 'c.code', 'c.path', 'c.device')));
    if (!container) throw notFound('container', ctx.params.id);
    const box: BoxRow | undefined = await knex('storage_box').where({ container_id: id }).first();
    if (!box) throw new AppError(400, 'VALIDATION_FAILED', 'slots.notABox');
    let showVials = true;
    try {
      await may(s, c, 'cryovial');
    } catch {
      showVials = false; // states only, no occupant details
    }
    const rows = await knex('storage_position as p')
      .leftJoin('cryovial as v', 'v.id', 'p.vial_id')
      .leftJoin('cell_batch as cb', 'cb.id', 'p.batch_id')
      .where('p.container_id', id)
      .orderBy('p.ordinal')
      .select('p.id', 'p.row', 'p.col', 'p.ordinal', 'p.state', 'p.vial_id as vialId', 'p.reserved_by as reservedBy', 'p.reserved_until as reservedUntil', 'p.note', 'v.vial_code as vialCode', 'cb.batch_code as batchCode', 'cb.cell_type as cellType', 'cb.freeze_date as freezeDate', 'cb.customer_name as customerName');
    const now = Date.now();
    const l = layoutOf(box);
    ctx.body = {
      data: {
        container: { id: container.id, code: container.code, path: box.path, device: container.device },
        layout: { rows: box.rows, cols: box.cols, fillOrder: box.fill_order, origin: box.origin, rowLabels: box.row_labels, colLabels: box.col_labels },
        rowHeaders: Array.from({ length: box.rows }, (_, i) => rowLabel(i + 1, l)),
        colHeaders: Array.from({ length: box.cols }, (_, i) => colLabel(i + 1, l)),
        stats: boxStats(box),
        positions: rows.map((r: any) => {
          const expired = r.state === 'reserved' && new Date(r.reservedUntil).getTime() < now;
          const o: any = { id: r.id, row: r.row, col: r.col, ordinal: r.ordinal, label: fullLabel(box, r.row, r.col).slice(box.path.length + 1), state: expired ? 'empty' : r.state };
          if (o.state === 'reserved') Object.assign(o, { reservedBy: r.reservedBy, reservedUntil: r.reservedUntil, mine: r.reservedBy === c.actor.id });
          if (r.state === 'blocked') o.note = r.note;
          if (r.state === 'occupied' && showVials) o.vial = { id: r.vialId, code: r.vialCode, batchCode: r.batchCode, cellType: r.cellType, freezeDate: r.freezeDate, customerName: r.customerName };
          return o;
        }),
      },
    };
  });

  /** Boxes with at least n empty positions, fullest first (index range on storage_box, never a scan of positions). */
  api.get('/storage/empty', async (ctx) => {
    const c = callContext(ctx);
    await may(s, c, 'container');
    const r = recommendRequest(ctx.query, c);
    const limit = Math.min(int(ctx.query.limit) ?? 50, 500);
    const q = knex('storage_box').where('free_count', '>=', r.n).where('active', true).orderBy([{ column: 'free_count' }, { column: 'container_id' }]).limit(limit);
    if (r.deviceId) q.where('device_id', r.deviceId);
    if (r.site) q.where('site', r.site);
    if (r.deviceType) q.where('device_type', r.deviceType);
    if (r.maxTemperature !== undefined) q.where('temperature', '<=', r.maxTemperature);
    const boxes: BoxRow[] = await q;
    ctx.body = { data: boxes.map((b) => ({ container: b.container_id, device: b.device_id, path: b.path, site: b.site, temperature: b.temperature, rows: b.rows, cols: b.cols, ...boxStats(b) })) };
  });

  /** Recommends positions with a registered strategy and (by default) reserves them for `minutes` (default 5). */
  api.post('/storage/recommend', async (ctx) => {
    const c = callContext(ctx);
    await may(s, c, 'stockIn', 'create');
    const body = (ctx.request.body ?? {}) as any;
    const req = recommendRequest(body, c);
    const strategy = str(body.strategy) ?? 'keep-together';
    const doReserve = body.reserve !== false;
    const minutes = Math.min(Math.max(num(body.minutes) ?? 5, 0.05), 60);
    ctx.body = {
      data: await knex.transaction(async (trx) => {
        const got = await recommend(trx, strategy, req);
        const res = doReserve ? await reserve(trx, got, c.actor.id, minutes) : null;
        const boxes = await boxesByIds(trx, got.map((p) => p.container_id));
        return {
          strategy, token: res?.token ?? null, expiresAt: res?.expiresAt ?? null,
          positions: got.map((p) => ({ id: p.id, container: p.container_id, device: p.device_id, row: p.row, col: p.col, ordinal: p.ordinal, label: fullLabel(boxes.get(p.container_id)!, p.row, p.col) })),
        };
      }),
    };
  });

  /** Reserves positions chosen on the map, all or nothing. */
  api.post('/storage/reservations', async (ctx) => {
    const c = callContext(ctx);
    await may(s, c, 'stockIn', 'create');
    const body = (ctx.request.body ?? {}) as any;
    const cells = Array.isArray(body.positions) ? body.positions : [];
    if (!cells.length || cells.length > 500 || cells.some((x: any) => !int(x?.container) || !int(x?.row) || !int(x?.col))) throw bad('/positions');
    const minutes = Math.min(Math.max(num(body.minutes) ?? 5, 0.05), 60);
    ctx.status = 201;
    ctx.body = {
      data: await knex.transaction(async (trx) => {
        const pos = await lockCells(trx, cells.map((x: any) => ({ container: int(x.container)!, row: int(x.row)!, col: int(x.col)! })));
        const taken = pos.filter((p) => !usable(p));
        if (taken.length) {
          const boxes = await boxesByIds(trx, taken.map((p) => p.container_id));
          throw new AppError(409, 'POSITION_TAKEN', 'slots.positionsTaken', { positions: taken.map((p) => fullLabel(boxes.get(p.container_id)!, p.row, p.col)).join(', ') });
        }
        const r = await reserve(trx, pos, c.actor.id, minutes);
        return { ...r, positions: pos.map((p) => ({ id: p.id, container: p.container_id, row: p.row, col: p.col })) };
      }),
    };
  });

  api.delete('/storage/reservations/:token', async (ctx) => {
    const c = callContext(ctx);
    await may(s, c, 'stockIn', 'create');
    const n = await knex.transaction((trx) => releaseToken(trx, ctx.params.token));
    ctx.body = { data: { released: n } };
  });

  api.get('/storage/defrag-plan', async (ctx) => {
    const c = callContext(ctx);
    await may(s, c, 'container');
    ctx.body = { data: await defragPlan(knex, { deviceId: int(ctx.query.device), site: str(ctx.query.site) }, Math.min(int(ctx.query.maxMoves) ?? 500, 5000)) };
  });

  // ------------------------------------------------------------------------------------------ inventory
  const GROUPS: Record<string, { expr: string; as: string }> = {
    cellType: { expr: 'b.cell_type', as: 'cellType' },
    customer: { expr: "coalesce(cu.name, b.customer_name, '')", as: 'customer' },
    batch: { expr: 'b.batch_code', as: 'batch' },
    device: { expr: "coalesce(d.code, '')", as: 'device' },
    site: { expr: "coalesce(d.site, '')", as: 'site' },
    freezeMonth: { expr: "to_char(b.freeze_date, 'YYYY-MM')", as: 'freezeMonth' },
    bankTier: { expr: "coalesce(b.bank_tier, '')", as: 'bankTier' },
  };
  /** Vial counts grouped by any of cellType, customer, batch, device, site, freezeMonth, bankTier. */
  api.get('/cellbank/inventory', async (ctx) => {
    const c = callContext(ctx);
    await may(s, c, 'cryovial');
    await may(s, c, 'cellBatch');
    const groups = String(ctx.query.groupBy ?? 'cellType').split(',').filter(Boolean);
    if (!groups.length || groups.some((g) => !GROUPS[g])) throw bad('/groupBy');
    const q = knex('cryovial as v')
      .join('cell_batch as b', 'b.id', 'v.batch')
      .leftJoin('customer as cu', 'cu.id', 'b.customer')
      .leftJoin('storage_device as d', 'd.id', 'v.device')
      .whereNull('v.deleted_at')
      .where('v.status', str(ctx.query.status) ?? 'stored');
    const f = ctx.query;
    if (str(f.cellType)) q.where('b.cell_type', f.cellType as string);
    if (int(f.customer)) q.where('b.customer', int(f.customer)!);
    if (int(f.batch)) q.where('b.id', int(f.batch)!);
    if (int(f.device)) q.where('v.device', int(f.device)!);
    if (str(f.site)) q.where('d.site', f.site as string);
    if (str(f.from, 10)) q.where('b.freeze_date', '>=', f.from as string);
    if (str(f.to, 10)) q.where('b.freeze_date', '<=', f.to as string);
    scoped(s, c, 'cryovial', 'v', q);
    scoped(s, c, 'cellBatch', 'b', q);
    for (const g of groups) q.select(knex.raw(`${GROUPS[g].expr} as ??`, [GROUPS[g].as])).groupByRaw(GROUPS[g].expr);
    q.select(knex.raw('count(*)::int as vials'), knex.raw('count(distinct v.batch)::int as batches')).orderBy('vials', 'desc').limit(5000);
    const rows = await q;
    ctx.body = { data: rows, total: { vials: rows.reduce((n: number, r: any) => n + r.vials, 0) } };
  });

  // ------------------------------------------------------------------------------------------ custody, scan, labels
  api.get('/cellbank/vials/:id/custody', async (ctx) => {
    const c = callContext(ctx);
    const vial = await s.records.get(c, 'cryovial', int(ctx.params.id) ?? 0);
    const events = await knex('storage_event').where({ vial_id: vial.id }).orderBy('id');
    ctx.body = {
      data: {
        vial, freezeThawCount: vial.freezeThawCount ?? 0,
        events: events.map((e: any) => ({
          id: e.id, at: e.at, kind: e.kind, from: e.from_label, to: e.to_label, by: e.actor_id, byName: e.actor_name, record: e.record_entity ? { entity: e.record_entity, id: e.record_id } : null, note: e.note,
        })),
      },
    };
  });

  /** A scanned or typed code (keyboard-wedge scanner: code + Enter) → the vial, batch or container it names. */
  api.get('/cellbank/scan', async (ctx) => {
    const c = callContext(ctx);
    const code = str(ctx.query.code, 200)?.trim();
    if (!code) throw bad('/code');
    for (const [entity, field] of [['cryovial', 'vialCode'], ['cellBatch', 'batchCode'], ['container', 'code'], ['stockIn', 'stockInNo'], ['stockOut', 'stockOutNo']] as const) {
      try {
        const r = await s.records.list(c, entity, { filter: { [field]: code }, limit: 1 });
        if (r.data[0]) {
          ctx.body = { data: { entity, id: r.data[0].id, record: r.data[0] } };
          return;
        }
      } catch (e) {
        if (!(e instanceof AppError && e.status === 403)) throw e;
      }
    }
    throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: '', id: code });
  });

  api.get('/cellbank/vials/:id/label.:fmt', async (ctx) => {
    const c = callContext(ctx);
    const vial = await s.records.get(c, 'cryovial', int(ctx.params.id) ?? 0);
    const bcid = ctx.query.symbology === 'qrcode' ? 'qrcode' : 'datamatrix';
    if (ctx.params.fmt === 'svg') {
      ctx.type = 'image/svg+xml';
      ctx.body = bwipjs.toSVG({ bcid, text: vial.vialCode });
    } else if (ctx.params.fmt === 'png') {
      ctx.type = 'image/png';
      ctx.body = await bwipjs.toBuffer({ bcid, text: vial.vialCode, scale: 4 });
    } else throw bad('/fmt');
  });

  /** A printable label sheet (browser print: Ctrl+P) for some vials or a whole batch. */
  api.get('/cellbank/labels', async (ctx) => {
    const c = callContext(ctx);
    const ids = String(ctx.query.vials ?? '').split(',').map((x) => int(x)).filter((x): x is number => !!x).slice(0, 500);
    const batch = int(ctx.query.batch);
    if (!ids.length && !batch) throw bad('/vials');
    const filter = ids.length ? { id: { in: ids } } : { batch: batch!, status: 'stored' };
    const vials = (await s.records.list(c, 'cryovial', { filter, limit: 500, sort: ['id'], expand: ['batch'] })).data;
    const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    const cellType = (code: string) => s.meta.model.set.dictionary?.cellType?.items?.find((i: any) => i.code === code)?.label?.[c.lang] ?? code;
    const labels = vials.map((v) => {
      const b = v.batch$expanded ?? {};
      return `<div class="label"><div class="code">${bwipjs.toSVG({ bcid: ctx.query.symbology === 'qrcode' ? 'qrcode' : 'datamatrix', text: v.vialCode })}</div>
<div class="text"><b>${esc(v.vialCode)}</b><br>${esc(cellType(b.cellType))} P${esc(b.passage ?? '-')}<br>${esc(b.freezeDate)}<br>${esc(v.positionLabel ?? '')}</div></div>`;
    });
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="${c.lang}"><head><meta charset="utf-8"><title>${c.lang === 'en' ? 'Cryovial labels' : '冻存管标签'}</title>
<style>body{font-family:sans-serif;margin:8mm}.label{display:inline-flex;gap:2mm;width:48mm;height:20mm;border:1px dashed #999;padding:1.5mm;margin:1mm;box-sizing:border-box;overflow:hidden;font-size:7pt;line-height:1.25}
.code svg{width:16mm;height:16mm}@media print{body{margin:0}.label{border:none;break-inside:avoid}}</style></head><body>${labels.join('\n')}</body></html>`;
  });
}
