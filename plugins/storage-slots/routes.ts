import type Router from '@koa/router';
import bwipjs from 'bwip-js';
import type { Knex } from 'knex';
import { AppError, notFound, type CallContext, type PluginApi } from '../../platform/plugins/sdk';
import { colLabel, rowLabel } from './layout';
import { boxesByIds, defragPlan, fullLabel, inScope, layoutOf, lockCells, recommend, releaseToken, reserve, strategyList, usable, type BoxRow, type RecommendRequest, type Strategies } from './slots';
import { boxScope } from './cellbank';

const int = (v: unknown): number | undefined => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);
const num = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number.isFinite(Number(v)) ? Number(v) : undefined);
const str = (v: unknown, max = 64): string | undefined => (typeof v === 'string' && v && v.length <= max ? v : undefined);
const bad = (path: string, key = 'error.badFilterShape') => new AppError(400, 'VALIDATION_FAILED', key, {}, [{ path, messageKey: key }]);

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

/**
 * The plugin's HTTP API. Every query over boxes and positions joins the storage devices the caller may read
 * (`boxScope`); entity data (devices, containers, vials, batches, customers) is read through the caller's
 * `records` or `scopedQuery`, so another lab's boxes, vials and customers never appear and cannot be chosen.
 */
export function slotRoutes(router: Router, api: PluginApi, strategies: Strategies): void {
  /** A scoped subquery's factory (a query builder is thenable: returning one from an async function would run it). */
  const scoped = (c: CallContext, entity: string, alias: string, fields: string[]) => () => api.scopedQuery(c, entity, alias, { fields });
  /** The lab a caller places vials in: its own, else (a caller without a lab) the batch's; undefined = any it may read. */
  const placementLab = async (c: CallContext, batchId: number | null | undefined): Promise<number | null | undefined> => {
    if (c.actor.labId != null) return c.actor.labId;
    if (!batchId) return undefined;
    return (await api.records.get(c, 'cellBatch', batchId, { fields: ['id', 'labId'] })).labId ?? null;
  };

  router.get('/storage/strategies', (ctx) => {
    ctx.body = { data: strategyList(strategies) };
  });

  /** Devices with their utilisation; `groupBy=site` sums per site. */
  router.get('/storage/utilisation', async (ctx) => {
    const c = api.context(ctx);
    const db = api.db();
    const bySite = ctx.query.groupBy === 'site';
    const fields = (await api.visibleFields(c, 'storageDevice', bySite ? ['id', 'site'] : ['id', 'code', 'name', 'site', 'deviceType', 'vacancyThreshold', 'status'])) ?? [];
    const q = db.table('storage_box as b')
      .join(api.scopedQuery(c, 'storageDevice', 'd', { fields }), 'd.id', 'b.device_id')
      .select(
        db.fragment('sum(b.capacity)::int as capacity'), db.fragment('sum(b.free_count)::int as free'), db.fragment('sum(b.reserved_count)::int as reserved'),
        db.fragment('sum(b.occupied_count)::int as occupied'), db.fragment('sum(b.blocked_count)::int as blocked'), db.fragment('count(*)::int as boxes'),
        db.fragment('count(*) filter (where b.occupied_count = 0 and b.reserved_count = 0)::int as "emptyBoxes"'),
      );
    if (bySite) q.select('d.site').groupBy('d.site').orderBy('d.site');
    else {
      const cols = fields.map((f) => `d.${f}`);
      q.select(cols).groupBy(cols).orderBy(fields.includes('code') ? 'd.code' : 'd.id');
    }
    const rows = await q;
    for (const r of rows) r.utilisation = r.capacity ? Math.round((1000 * (r.occupied + r.reserved + r.blocked)) / r.capacity) / 10 : 0;
    ctx.body = { data: rows };
  });

  /** Children of a device (top level) or of a container, with aggregated position counts for drilling down. */
  router.get('/storage/containers', async (ctx) => {
    const c = api.context(ctx);
    const device = int(ctx.query.device);
    const parent = int(ctx.query.parent);
    if (!device && !parent) throw bad('/device');
    const filter = parent ? { parent } : { device: device!, parent: { isNull: true } };
    const kids = (await api.records.list(c, 'container', { filter, sort: ['ordinal', 'id'], limit: 1000 })).data;
    // Container types are shared definitions.
    const typeIds = [...new Set(kids.map((k) => k.containerType).filter(Boolean))];
    const types = typeIds.length ? (await api.records.list(api.system(), 'containerType', { filter: { id: { in: typeIds } }, limit: 1000, fields: ['id', 'code', 'level'] })).data : [];
    const typeOf = new Map(types.map((t) => [t.id, t]));
    const sums = kids.length
      ? (
          await api.db().raw(
            `select x.id, coalesce(sum(b.capacity), 0)::int as capacity, coalesce(sum(b.free_count), 0)::int as free, coalesce(sum(b.reserved_count), 0)::int as reserved,
                    coalesce(sum(b.occupied_count), 0)::int as occupied, coalesce(sum(b.blocked_count), 0)::int as blocked
               from unnest(?::bigint[], ?::bigint[], ?::text[]) as x(id, dev, path)
               left join storage_box b on b.device_id = x.dev and (b.path = x.path or b.path like x.path || '/%')
              group by x.id`,
            [kids.map((k) => k.id), kids.map((k) => k.device ?? null), kids.map((k) => k.path ?? k.code)],
          )
        ).rows
      : [];
    const sumOf = new Map(sums.map((s: any) => [Number(s.id), s]));
    ctx.body = {
      data: kids.map((k) => {
        const s = sumOf.get(k.id) ?? {};
        const t = typeOf.get(k.containerType);
        return {
          id: k.id, code: k.code, name: k.name ?? null, path: k.path ?? null, depth: k.depth ?? null, ordinal: k.ordinal ?? null, holdsVials: !!k.holdsVials,
          level: t?.level ?? null, typeCode: t?.code ?? null, rows: k.rows ?? null, cols: k.cols ?? null,
          capacity: s.capacity ?? 0, free: s.free ?? 0, reserved: s.reserved ?? 0, occupied: s.occupied ?? 0, blocked: s.blocked ?? 0,
        };
      }),
    };
  });

  /** The grid of one box: every position with its state and, where the caller may read the vial, its occupant. */
  router.get('/storage/containers/:id/map', async (ctx) => {
    const c = api.context(ctx);
    const id = int(ctx.params.id);
    if (!id) throw notFound('container', ctx.params.id);
    const container = await api.records.get(c, 'container', id, { fields: ['id', 'code', 'path', 'device'] });
    const db = api.db();
    const box: BoxRow | undefined = await db.table('storage_box').where({ container_id: id }).first();
    if (!box) throw new AppError(400, 'VALIDATION_FAILED', 'slots.notABox');
    const q = db.table('storage_position as p')
      .where('p.container_id', id)
      .orderBy('p.ordinal')
      .select('p.id', 'p.row', 'p.col', 'p.ordinal', 'p.state', 'p.reserved_by as reservedBy', 'p.reserved_until as reservedUntil', 'p.note');
    // Occupants through the caller's scope: a vial (or batch) of another lab leaves the position occupied, nothing more.
    const vf = await api.visibleFields(c, 'cryovial', ['id', 'vialCode']);
    const bf = vf && (await api.visibleFields(c, 'cellBatch', ['id', 'batchCode', 'cellType', 'freezeDate', 'customerName']));
    if (vf) q.leftJoin(api.scopedQuery(c, 'cryovial', 'v', { fields: vf }), 'v.id', 'p.vial_id').select('v.id as vialId', ...vf.filter((f) => f !== 'id').map((f) => `v.${f}`));
    if (bf) q.leftJoin(api.scopedQuery(c, 'cellBatch', 'cb', { fields: bf }), (j) => j.on('cb.id', 'p.batch_id').andOnNotNull('v.id')).select(bf.filter((f) => f !== 'id').map((f) => `cb.${f}`));
    const rows = await q;
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
          if (r.state === 'occupied' && r.vialId != null)
            o.vial = { id: r.vialId, code: r.vialCode, batchCode: r.batchCode, cellType: r.cellType, freezeDate: r.freezeDate, customerName: r.customerName };
          return o;
        }),
      },
    };
  });

  /** Boxes the caller may use with at least n empty positions, fullest first (index range on storage_box, never a scan of positions). */
  router.get('/storage/empty', async (ctx) => {
    const c = api.context(ctx);
    await api.records.assertAllowed(c, 'container', 'read');
    const r = recommendRequest(ctx.query, c);
    const limit = Math.min(int(ctx.query.limit) ?? 50, 500);
    const q = api.db().table('storage_box as b').select('b.*').where('b.free_count', '>=', r.n).where('b.active', true)
      .orderBy([{ column: 'b.free_count' }, { column: 'b.container_id' }]).limit(limit);
    inScope(q, boxScope(api, c), 'b.device_id');
    if (r.deviceId) q.where('b.device_id', r.deviceId);
    if (r.site) q.where('b.site', r.site);
    if (r.deviceType) q.where('b.device_type', r.deviceType);
    if (r.maxTemperature !== undefined) q.where('b.temperature', '<=', r.maxTemperature);
    const boxes: BoxRow[] = await q;
    ctx.body = { data: boxes.map((b) => ({ container: b.container_id, device: b.device_id, path: b.path, site: b.site, temperature: b.temperature, rows: b.rows, cols: b.cols, ...boxStats(b) })) };
  });

  /** Recommends positions with a registered strategy and (by default) reserves them for `minutes` (default 5). */
  router.post('/storage/recommend', async (ctx) => {
    const c = api.context(ctx);
    await api.records.assertAllowed(c, 'stockIn', 'create');
    const body = (ctx.request.body ?? {}) as any;
    const req = recommendRequest(body, c);
    const strategy = str(body.strategy) ?? 'keep-together';
    const doReserve = body.reserve !== false;
    const minutes = Math.min(Math.max(num(body.minutes) ?? 5, 0.05), 60);
    // Positions a stock-in of the caller could take: boxes of its lab that it may read.
    const scope = boxScope(api, c, await placementLab(c, req.batchId));
    ctx.body = {
      data: await api.transaction(async (trx) => {
        const db = api.db(trx);
        const got = await recommend(db, strategies, strategy, req, scope);
        const res = doReserve ? await reserve(db, got, c.actor.id, minutes) : null;
        const boxes = await boxesByIds(db, got.map((p) => p.container_id));
        return {
          strategy, token: res?.token ?? null, expiresAt: res?.expiresAt ?? null,
          positions: got.map((p) => ({ id: p.id, container: p.container_id, device: p.device_id, row: p.row, col: p.col, ordinal: p.ordinal, label: fullLabel(boxes.get(p.container_id)!, p.row, p.col) })),
        };
      }),
    };
  });

  /** Reserves positions chosen on the map, all or nothing; a position the caller may not use answers like one that does not exist. */
  router.post('/storage/reservations', async (ctx) => {
    const c = api.context(ctx);
    await api.records.assertAllowed(c, 'stockIn', 'create');
    const body = (ctx.request.body ?? {}) as any;
    const cells = Array.isArray(body.positions) ? body.positions : [];
    if (!cells.length || cells.length > 500 || cells.some((x: any) => !int(x?.container) || !int(x?.row) || !int(x?.col))) throw bad('/positions');
    const minutes = Math.min(Math.max(num(body.minutes) ?? 5, 0.05), 60);
    const scope = boxScope(api, c, await placementLab(c, int(body.batch)));
    ctx.status = 201;
    ctx.body = {
      data: await api.transaction(async (trx) => {
        const db = api.db(trx);
        const pos = await lockCells(db, cells.map((x: any) => ({ container: int(x.container)!, row: int(x.row)!, col: int(x.col)! })), scope);
        const taken = pos.filter((p) => !usable(p));
        if (taken.length) {
          const boxes = await boxesByIds(db, taken.map((p) => p.container_id));
          throw new AppError(409, 'POSITION_TAKEN', 'slots.positionsTaken', { positions: taken.map((p) => fullLabel(boxes.get(p.container_id)!, p.row, p.col)).join(', ') });
        }
        const r = await reserve(db, pos, c.actor.id, minutes);
        return { ...r, positions: pos.map((p) => ({ id: p.id, container: p.container_id, row: p.row, col: p.col })) };
      }),
    };
  });

  router.delete('/storage/reservations/:token', async (ctx) => {
    const c = api.context(ctx);
    await api.records.assertAllowed(c, 'stockIn', 'create');
    const n = await api.transaction((trx) => releaseToken(api.db(trx), ctx.params.token, boxScope(api, c)));
    ctx.body = { data: { released: n } };
  });

  router.get('/storage/defrag-plan', async (ctx) => {
    const c = api.context(ctx);
    await api.records.assertAllowed(c, 'container', 'read');
    const vf = await api.visibleFields(c, 'cryovial', ['id']);
    ctx.body = { data: await defragPlan(api.db(), boxScope(api, c), vf && scoped(c, 'cryovial', 'v', vf), { deviceId: int(ctx.query.device), site: str(ctx.query.site) }, Math.min(int(ctx.query.maxMoves) ?? 500, 5000)) };
  });

  // ------------------------------------------------------------------------------------------ inventory
  /** Group expressions over the scoped subqueries v (vials), b (batches), cu (customers), d (devices); `col` quotes a readable column or gives null. */
  type Col = (alias: string, field: string) => string;
  const GROUPS: Record<string, (col: Col) => string> = {
    cellType: (col) => col('b', 'cellType'),
    customer: (col) => `coalesce(${col('cu', 'name')}, ${col('b', 'customerName')}, '')`,
    batch: (col) => col('b', 'batchCode'),
    device: (col) => `coalesce(${col('d', 'code')}, '')`,
    site: (col) => `coalesce(${col('d', 'site')}, '')`,
    freezeMonth: (col) => `to_char(${col('b', 'freezeDate')}, 'YYYY-MM')`,
    bankTier: (col) => `coalesce(${col('b', 'bankTier')}, '')`,
  };
  /** Vial counts grouped by any of cellType, customer, batch, device, site, freezeMonth, bankTier (R-3.4.6), within the caller's scope. */
  router.get('/cellbank/inventory', async (ctx) => {
    const c = api.context(ctx);
    await api.records.assertAllowed(c, 'cryovial', 'read');
    await api.records.assertAllowed(c, 'cellBatch', 'read');
    const groups = String(ctx.query.groupBy ?? 'cellType').split(',').filter(Boolean);
    if (!groups.length || groups.some((g) => !GROUPS[g])) throw bad('/groupBy');
    const fields: Record<string, { entity: string; fields: string[] }> = {
      v: { entity: 'cryovial', fields: ['id', 'batch', 'device', 'status'] },
      b: { entity: 'cellBatch', fields: ['id', 'customer', 'cellType', 'customerName', 'batchCode', 'freezeDate', 'bankTier'] },
      cu: { entity: 'customer', fields: ['id', 'name'] },
      d: { entity: 'storageDevice', fields: ['id', 'code', 'site'] },
    };
    const subs: Record<string, (() => Knex.QueryBuilder) | null> = {};
    const has: Record<string, Set<string>> = {};
    for (const [alias, f] of Object.entries(fields)) {
      const visible = await api.visibleFields(c, f.entity, f.fields);
      subs[alias] = visible && scoped(c, f.entity, alias, visible);
      has[alias] = new Set(visible ?? []);
    }
    const byCustomer = !!subs.cu && has.b.has('customer');
    if (!byCustomer) has.cu = new Set();
    const col: Col = (alias, field) => (has[alias].has(field) ? `${alias}."${field}"` : 'null');
    // Identifiers that name an entity (a reference column) are bound (??), never written into the SQL text.
    const where: string[] = [`${col('v', 'status')} = ?`];
    const binds: unknown[] = [str(ctx.query.status) ?? 'stored'];
    const f = ctx.query;
    const cond = (ok: unknown, sql: string, ...b: unknown[]) => {
      if (ok) {
        where.push(sql);
        binds.push(...b);
      }
    };
    cond(str(f.cellType), `${col('b', 'cellType')} = ?`, f.cellType);
    cond(int(f.customer), '?? = ?', has.b.has('customer') ? 'b.customer' : 'b.id', has.b.has('customer') ? int(f.customer) : -1);
    cond(int(f.batch), `b.id = ?`, int(f.batch));
    cond(int(f.device), `${col('v', 'device')} = ?`, int(f.device));
    cond(str(f.site), `${col('d', 'site')} = ?`, f.site);
    cond(str(f.from, 10), `${col('b', 'freezeDate')} >= ?`, f.from);
    cond(str(f.to, 10), `${col('b', 'freezeDate')} <= ?`, f.to);
    const exprs = groups.map((g) => GROUPS[g](col));
    const joins: unknown[] = [subs.v!(), subs.b!()];
    let sql = `select ${exprs.map((e) => `${e} as ??`).join(', ')}, count(*)::int as vials, count(distinct v.batch)::int as batches from ? join ? on b.id = v.batch`;
    const heads: unknown[] = groups;
    if (byCustomer) {
      sql += ' left join ? on cu.id = ??';
      joins.push(subs.cu!(), 'b.customer');
    }
    if (subs.d) {
      sql += ` left join ? on d.id = ${col('v', 'device')}`;
      joins.push(subs.d());
    }
    sql += ` where ${where.join(' and ')} group by ${exprs.join(', ')} order by vials desc limit 5000`;
    const rows = (await api.db().raw(sql, [...heads, ...joins, ...binds])).rows;
    ctx.body = { data: rows, total: { vials: rows.reduce((n: number, r: any) => n + r.vials, 0) } };
  });

  // ------------------------------------------------------------------------------------------ custody, scan, labels
  router.get('/cellbank/vials/:id/custody', async (ctx) => {
    const c = api.context(ctx);
    const vial = await api.records.get(c, 'cryovial', int(ctx.params.id) ?? 0);
    const events = await api.db().table('storage_event').where({ vial_id: vial.id }).orderBy('id');
    // A stock-out's note is its purpose: shown by its label, never its code.
    const purposes = api.model.entity('stockOut')?.fields.get('purpose')?.schema['x-enum-labels'] ?? {};
    const noteOf = (e: any) => (e.kind === 'stockOut' && purposes[e.note] ? (purposes[e.note][c.lang] ?? purposes[e.note]['zh-CN']) : e.note);
    ctx.body = {
      data: {
        vial, freezeThawCount: vial.freezeThawCount ?? 0,
        events: events.map((e: any) => ({
          id: e.id, at: e.at, kind: e.kind, from: e.from_label, to: e.to_label, by: e.actor_id, byName: e.actor_name, record: e.record_entity ? { entity: e.record_entity, id: e.record_id } : null, note: noteOf(e),
        })),
      },
    };
  });

  /** A scanned or typed code (keyboard-wedge scanner: code + Enter) → the vial, batch or container it names. */
  router.get('/cellbank/scan', async (ctx) => {
    const c = api.context(ctx);
    const code = str(ctx.query.code, 200)?.trim();
    if (!code) throw bad('/code');
    for (const [entity, field] of [['cryovial', 'vialCode'], ['cellBatch', 'batchCode'], ['container', 'code'], ['stockIn', 'stockInNo'], ['stockOut', 'stockOutNo']] as const) {
      try {
        const r = await api.records.list(c, entity, { filter: { [field]: code }, limit: 1 });
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

  router.get('/cellbank/vials/:id/label.:fmt', async (ctx) => {
    const c = api.context(ctx);
    const vial = await api.records.get(c, 'cryovial', int(ctx.params.id) ?? 0);
    const bcid = ctx.query.symbology === 'qrcode' ? 'qrcode' : 'datamatrix';
    if (ctx.params.fmt === 'svg') {
      ctx.type = 'image/svg+xml';
      ctx.body = bwipjs.toSVG({ bcid, text: vial.vialCode });
    } else if (ctx.params.fmt === 'png') {
      ctx.type = 'image/png';
      ctx.body = await bwipjs.toBuffer({ bcid, text: vial.vialCode, scale: 4 });
    } else throw bad('/fmt');
  });

  /** A printable label sheet (browser print: Ctrl+P) for some vials or a whole batch; each names the vial's chain of identity. */
  router.get('/cellbank/labels', async (ctx) => {
    const c = api.context(ctx);
    const ids = String(ctx.query.vials ?? '').split(',').map((x) => int(x)).filter((x): x is number => !!x).slice(0, 500);
    const batch = int(ctx.query.batch);
    if (!ids.length && !batch) throw bad('/vials');
    const filter = ids.length ? { id: { in: ids } } : { batch: batch!, status: 'stored' };
    const vials = (await api.records.list(c, 'cryovial', { filter, limit: 500, sort: ['id'], expand: ['batch'] })).data;
    const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    const cellType = (code: string) => api.defs('dictionary').cellType?.items?.find((i: any) => i.code === code)?.label?.[c.lang] ?? code;
    const labels = vials.map((v) => {
      const b = v.batch$expanded ?? {};
      return `<div class="label"><div class="code">${bwipjs.toSVG({ bcid: ctx.query.symbology === 'qrcode' ? 'qrcode' : 'datamatrix', text: v.vialCode })}</div>
<div class="text"><b>${esc(v.vialCode)}</b><br>${v.chainId ? `${esc(v.chainId)}<br>` : ''}${esc(cellType(b.cellType))} P${esc(b.passage ?? '-')}<br>${esc(b.freezeDate)}<br>${esc(v.positionLabel ?? '')}</div></div>`;
    });
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="${c.lang}"><head><meta charset="utf-8"><title>${c.lang === 'en' ? 'Cryovial labels' : '冻存管标签'}</title>
<style>body{font-family:sans-serif;margin:8mm}.label{display:inline-flex;gap:2mm;width:48mm;height:20mm;border:1px dashed #999;padding:1.5mm;margin:1mm;box-sizing:border-box;overflow:hidden;font-size:7pt;line-height:1.25}
.code svg{width:16mm;height:16mm}@media print{body{margin:0}.label{border:none;break-inside:avoid}}</style></head><body>${labels.join('\n')}</body></html>`;
  });
}
