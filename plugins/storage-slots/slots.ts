import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, type PluginDb } from '../../platform/plugins/sdk';
import { positionLabel, type BoxLayout } from './layout';

/**
 * Position bookkeeping on the plugin's own tables (storage_box, storage_position, storage_event), always through the
 * SDK's `db` of the caller's transaction. Every state change of positions updates the per-box counters in the same
 * transaction, so storage_box stays exact and strategies never count positions. Every query that picks boxes or
 * positions for a caller joins the storage devices the caller may read (`BoxScope`): another lab's boxes are never
 * candidates, and choosing them answers like a position that does not exist.
 */
export type PositionState = 'empty' | 'reserved' | 'occupied' | 'blocked';

export interface Pos {
  id: number;
  container_id: number;
  device_id: number;
  row: number;
  col: number;
  ordinal: number;
  state: PositionState;
  vial_id: number | null;
  batch_id: number | null;
  reservation_token: string | null;
  reserved_by: number | null;
  reserved_until: string | null;
}

export interface BoxRow {
  container_id: number;
  device_id: number;
  site: string | null;
  device_type: string | null;
  temperature: number | null;
  active: boolean;
  path: string;
  rows: number;
  cols: number;
  fill_order: string;
  origin: string;
  row_labels: string;
  col_labels: string;
  capacity: number;
  free_count: number;
  reserved_count: number;
  occupied_count: number;
  blocked_count: number;
  last_used_at: string | null;
}

export interface RecommendRequest {
  n: number;
  batchId?: number | null;
  actorId?: number | null;
  deviceId?: number;
  site?: string;
  deviceType?: string;
  /** Only devices at or below this temperature (°C). */
  maxTemperature?: number;
  containerId?: number;
  excludeDeviceIds?: number[];
  excludeSite?: string;
}

/** Which boxes a caller may use: those of the storage devices it may read, optionally of one lab only. */
export interface BoxScope {
  /** A fresh `api.scopedQuery(ctx, 'storageDevice', 'd', { fields: ['id', 'labId'] })` per query. */
  devices: () => Knex.QueryBuilder;
  /** Only devices of this lab (a stock-in's own lab; null = devices of no lab); undefined = any readable device. */
  labId?: number | null;
}

/** Joins the scope's devices (alias `d`) to a query over boxes or positions (`col` names their device). */
export function inScope(q: Knex.QueryBuilder, scope: BoxScope, col: string): Knex.QueryBuilder {
  q.join(scope.devices(), 'd.id', col);
  if (scope.labId === null) q.whereNull('d.labId');
  else if (scope.labId !== undefined) q.where('d.labId', scope.labId);
  return q;
}

/** The same scope for raw SQL: `join ? on d.id = <col> <and …>` with its bindings. */
function scopeSql(scope: BoxScope, col: string): { sql: string; bindings: unknown[] } {
  const lab = scope.labId === null ? ' and d."labId" is null' : scope.labId !== undefined ? ' and d."labId" = ?' : '';
  return { sql: `join ? on d.id = ${col}${lab}`, bindings: scope.labId === null || scope.labId === undefined ? [scope.devices()] : [scope.devices(), scope.labId] };
}

export interface StrategyContext {
  db: PluginDb;
  req: RecommendRequest;
  scope: BoxScope;
}

/** Returns up to req.n EMPTY positions, locked FOR UPDATE by the caller's transaction. */
export type Strategy = (c: StrategyContext) => Promise<Pos[]>;
export interface StrategyEntry {
  fn: Strategy;
  label: { 'zh-CN': string; en: string };
}
/** The strategies of one app instance (`api.registry('storage-slots.strategies')`); other plugins may add theirs. */
export type Strategies = Map<string, StrategyEntry>;

export const layoutOf = (b: BoxRow): BoxLayout => ({
  rows: b.rows, cols: b.cols, fillOrder: b.fill_order as any, origin: b.origin as any, rowLabels: b.row_labels as any, colLabels: b.col_labels as any,
});

export const fullLabel = (b: BoxRow, row: number, col: number) => `${b.path} ${positionLabel(row, col, layoutOf(b))}`;

// ---------------------------------------------------------------------------------------------- counters

type Counter = 'free_count' | 'reserved_count' | 'occupied_count' | 'blocked_count';
const COUNTER: Record<PositionState, Counter> = { empty: 'free_count', reserved: 'reserved_count', occupied: 'occupied_count', blocked: 'blocked_count' };

class Deltas {
  private m = new Map<number, Record<Counter, number>>();
  move(containerId: number, from: PositionState, to: PositionState, n = 1) {
    if (from === to) return;
    let d = this.m.get(containerId);
    if (!d) this.m.set(containerId, (d = { free_count: 0, reserved_count: 0, occupied_count: 0, blocked_count: 0 }));
    d[COUNTER[from]] -= n;
    d[COUNTER[to]] += n;
  }
  /** One UPDATE per box, in container order so concurrent writers lock boxes in the same order. */
  async apply(db: PluginDb, used?: { actorId: number | null; batchId: number | null }) {
    for (const [cid, d] of [...this.m.entries()].sort((a, b) => a[0] - b[0])) {
      const sets = ['free_count = free_count + ?', 'reserved_count = reserved_count + ?', 'occupied_count = occupied_count + ?', 'blocked_count = blocked_count + ?'];
      const binds: unknown[] = [d.free_count, d.reserved_count, d.occupied_count, d.blocked_count];
      if (used) {
        sets.push('last_used_at = now()', 'last_used_by = coalesce(?, last_used_by)', 'last_batch_id = coalesce(?, last_batch_id)');
        binds.push(used.actorId, used.batchId);
      }
      await db.raw(`update storage_box set ${sets.join(', ')} where container_id = ?`, [...binds, cid]);
    }
  }
}

// ---------------------------------------------------------------------------------------------- locking reads

const rowsOf = <T = any>(r: { rows: any[] }): T[] => r.rows as T[];

export async function boxesByIds(db: PluginDb, ids: number[]): Promise<Map<number, BoxRow>> {
  if (!ids.length) return new Map();
  const rows: BoxRow[] = await db.table('storage_box').whereIn('container_id', [...new Set(ids)]);
  return new Map(rows.map((b) => [Number(b.container_id), b]));
}

/** The chosen cells, locked; a cell outside the scope answers like one that does not exist (400 naming /positions). */
export async function lockCells(db: PluginDb, cells: { container: number; row: number; col: number }[], scope: BoxScope): Promise<Pos[]> {
  if (!cells.length) return [];
  const sc = scopeSql(scope, 'p.device_id');
  const rows = rowsOf<Pos>(
    await db.raw(
      `select p.* from storage_position p join unnest(?::bigint[], ?::int[], ?::int[]) as x(c, r, k) on p.container_id = x.c and p.row = x.r and p.col = x.k
        ${sc.sql} order by p.id for update of p`,
      [cells.map((c) => c.container), cells.map((c) => c.row), cells.map((c) => c.col), ...sc.bindings],
    ),
  );
  if (rows.length !== new Set(cells.map((c) => `${c.container}:${c.row}:${c.col}`)).size)
    throw new AppError(400, 'VALIDATION_FAILED', 'slots.unknownPosition', {}, [{ path: '/positions', messageKey: 'slots.unknownPosition' }]);
  return rows;
}

/** The positions a reservation token holds within the scope, locked. */
export async function lockByToken(db: PluginDb, token: string, scope: BoxScope): Promise<Pos[]> {
  if (!/^[0-9a-f-]{36}$/i.test(token)) return [];
  const sc = scopeSql(scope, 'p.device_id');
  return rowsOf<Pos>(await db.raw(`select p.* from storage_position p ${sc.sql} where p.reservation_token = ? and p.state = 'reserved' order by p.id for update of p`, [...sc.bindings, token]));
}

/** Positions of vials the caller already holds (the pipeline authorized the vial or the record naming it). */
export async function lockByVials(db: PluginDb, vialIds: number[]): Promise<Pos[]> {
  if (!vialIds.length) return [];
  return rowsOf<Pos>(await db.raw(`select * from storage_position where vial_id = any(?::bigint[]) order by id for update`, [vialIds]));
}

// ---------------------------------------------------------------------------------------------- transitions

/** Frees reservations whose time is up (also run by a job); SKIP LOCKED so concurrent sweepers never double-count. */
export async function sweepExpired(db: PluginDb, limit = 1000): Promise<number> {
  const rows = rowsOf<{ container_id: number }>(
    await db.raw(
      `update storage_position set state = 'empty', reservation_token = null, reserved_by = null, reserved_until = null, updated_at = now()
        where id in (select id from storage_position where state = 'reserved' and reserved_until < now() order by id limit ? for update skip locked)
        returning container_id`,
      [limit],
    ),
  );
  const d = new Deltas();
  for (const r of rows) d.move(Number(r.container_id), 'reserved', 'empty');
  await d.apply(db);
  return rows.length;
}

export async function reserve(db: PluginDb, positions: Pos[], actorId: number | null, minutes = 5): Promise<{ token: string; expiresAt: string }> {
  const token = crypto.randomUUID();
  const ids = positions.map((p) => p.id);
  const rows = rowsOf<{ container_id: number; reserved_until: string }>(
    await db.raw(
      `update storage_position set state = 'reserved', reservation_token = ?, reserved_by = ?, reserved_until = now() + make_interval(secs => ?), updated_at = now()
        where id = any(?::bigint[]) and (state = 'empty' or (state = 'reserved' and reserved_until < now())) returning container_id, reserved_until`,
      [token, actorId, Math.round(minutes * 60), ids],
    ),
  );
  if (rows.length !== ids.length) throw new AppError(409, 'POSITION_TAKEN', 'slots.positionTaken', {});
  const d = new Deltas();
  for (const p of positions) d.move(p.container_id, p.state, 'reserved');
  await d.apply(db);
  return { token, expiresAt: rows[0]?.reserved_until ?? new Date().toISOString() };
}

export async function releaseToken(db: PluginDb, token: string, scope: BoxScope): Promise<number> {
  const locked = await lockByToken(db, token, scope);
  if (!locked.length) return 0;
  await db.raw(
    `update storage_position set state = 'empty', reservation_token = null, reserved_by = null, reserved_until = null, updated_at = now() where id = any(?::bigint[])`,
    [locked.map((p) => p.id)],
  );
  const d = new Deltas();
  for (const p of locked) d.move(p.container_id, 'reserved', 'empty');
  await d.apply(db);
  return locked.length;
}

/** A locked position may take a vial if empty, reserved with this token, or its reservation has expired. */
export function usable(p: Pos, token?: string | null): boolean {
  if (p.state === 'empty') return true;
  if (p.state !== 'reserved') return false;
  return (!!token && p.reservation_token === token) || (!!p.reserved_until && new Date(p.reserved_until).getTime() < Date.now());
}

export async function occupy(db: PluginDb, placements: { pos: Pos; vialId: number; batchId: number | null }[], used: { actorId: number | null; batchId: number | null }): Promise<void> {
  if (!placements.length) return;
  await db.raw(
    `update storage_position p set state = 'occupied', vial_id = x.v, batch_id = x.b, reservation_token = null, reserved_by = null, reserved_until = null, updated_at = now()
       from unnest(?::bigint[], ?::bigint[], ?::bigint[]) as x(id, v, b) where p.id = x.id`,
    [placements.map((x) => x.pos.id), placements.map((x) => x.vialId), placements.map((x) => x.batchId)],
  );
  const d = new Deltas();
  for (const x of placements) d.move(x.pos.container_id, x.pos.state, 'occupied');
  await d.apply(db, used);
}

export async function vacate(db: PluginDb, positions: Pos[]): Promise<void> {
  if (!positions.length) return;
  await db.raw(`update storage_position set state = 'empty', vial_id = null, batch_id = null, updated_at = now() where id = any(?::bigint[])`, [positions.map((p) => p.id)]);
  const d = new Deltas();
  for (const p of positions) d.move(p.container_id, p.state, 'empty');
  await d.apply(db);
}

export async function setBlocked(db: PluginDb, positions: Pos[], blocked: boolean, note?: string): Promise<number> {
  const ok = positions.filter((p) => (blocked ? usable(p) : p.state === 'blocked'));
  if (ok.length !== positions.length) throw new AppError(409, 'POSITION_TAKEN', blocked ? 'slots.blockOccupied' : 'slots.notBlocked', {});
  await db.raw(
    `update storage_position set state = ?, note = ?, reservation_token = null, reserved_by = null, reserved_until = null, updated_at = now() where id = any(?::bigint[])`,
    [blocked ? 'blocked' : 'empty', blocked ? (note ?? null) : null, ok.map((p) => p.id)],
  );
  const d = new Deltas();
  for (const p of ok) d.move(p.container_id, p.state, blocked ? 'blocked' : 'empty');
  await d.apply(db);
  return ok.length;
}

export interface CustodyEvent {
  kind: 'stockIn' | 'move' | 'stockOut' | 'thaw' | 'return';
  vialId: number;
  batchId?: number | null;
  from?: { container: number; row: number; col: number; label: string } | null;
  to?: { container: number; row: number; col: number; label: string } | null;
  actorId: number | null;
  actorName: string;
  recordEntity?: string;
  recordId?: number;
  note?: string | null;
}

export async function recordEvents(db: PluginDb, events: CustodyEvent[]): Promise<void> {
  if (!events.length) return;
  await db.table('storage_event').insert(
    events.map((e) => ({
      kind: e.kind, vial_id: e.vialId, batch_id: e.batchId ?? null,
      from_container: e.from?.container ?? null, from_row: e.from?.row ?? null, from_col: e.from?.col ?? null, from_label: e.from?.label ?? null,
      to_container: e.to?.container ?? null, to_row: e.to?.row ?? null, to_col: e.to?.col ?? null, to_label: e.to?.label ?? null,
      actor_id: e.actorId, actor_name: e.actorName, record_entity: e.recordEntity ?? null, record_id: e.recordId ?? null, note: e.note?.slice(0, 300) ?? null,
    })),
  );
}

// ---------------------------------------------------------------------------------------------- strategies

const CANDIDATES = 12;

/** Boxes of the scope with at least `minFree` empty positions, matching the request's restrictions. */
export function boxQuery({ db, req, scope }: StrategyContext, minFree: number): Knex.QueryBuilder {
  const q = db.table('storage_box as b').select('b.container_id', 'b.device_id', 'b.site', 'b.free_count').where('b.free_count', '>=', Math.max(1, minFree)).where('b.active', true);
  inScope(q, scope, 'b.device_id');
  if (req.containerId) q.where('b.container_id', req.containerId);
  if (req.deviceId) q.where('b.device_id', req.deviceId);
  if (req.site) q.where('b.site', req.site);
  if (req.deviceType) q.where('b.device_type', req.deviceType);
  if (req.maxTemperature !== undefined && req.maxTemperature !== null) q.where('b.temperature', '<=', req.maxTemperature);
  if (req.excludeDeviceIds?.length) q.whereNotIn('b.device_id', req.excludeDeviceIds);
  if (req.excludeSite) q.where((w) => w.whereNot('b.site', req.excludeSite!).orWhereNull('b.site'));
  return q;
}

/** n empty positions of one box, locked; contiguous = n consecutive position numbers. Bounded by the box size, never the bank. */
export async function takeFromBox(db: PluginDb, boxId: number, n: number, contiguous: boolean): Promise<Pos[]> {
  if (!contiguous || n === 1) {
    return rowsOf<Pos>(await db.raw(`select * from storage_position where container_id = ? and state = 'empty' order by ordinal limit ? for update skip locked`, [boxId, n]));
  }
  const free = rowsOf<{ id: number; ordinal: number }>(await db.raw(`select id, ordinal from storage_position where container_id = ? and state = 'empty' order by ordinal`, [boxId]));
  let start = 0;
  for (let i = 0; i < free.length; i++) {
    if (i > 0 && free[i].ordinal !== free[i - 1].ordinal + 1) start = i;
    if (i - start + 1 === n) {
      const ids = free.slice(start, i + 1).map((f) => f.id);
      const locked = rowsOf<Pos>(await db.raw(`select * from storage_position where id = any(?::bigint[]) and state = 'empty' order by ordinal for update skip locked`, [ids]));
      if (locked.length === n) return locked;
      start = i + 1; // raced with another writer: look further on
    }
  }
  return [];
}

async function compact(c: StrategyContext): Promise<Pos[]> {
  const { db, req } = c;
  const out: Pos[] = [];
  let after: [number, number] | null = null;
  for (let page = 0; page < 100 && out.length < req.n; page++) {
    const q = boxQuery(c, 1).orderBy([{ column: 'b.free_count' }, { column: 'b.container_id' }]).limit(CANDIDATES);
    if (after) q.whereRaw('(b.free_count, b.container_id) > (?, ?)', after);
    const boxes = await q;
    if (!boxes.length) break;
    for (const b of boxes) {
      out.push(...(await takeFromBox(db, Number(b.container_id), req.n - out.length, false)));
      if (out.length >= req.n) break;
    }
    const last = boxes[boxes.length - 1];
    after = [Number(last.free_count), Number(last.container_id)];
  }
  return out;
}

async function keepTogether(c: StrategyContext, spill = true): Promise<Pos[]> {
  const { db, req } = c;
  for (const contiguous of [true, false]) {
    const boxes = await boxQuery(c, req.n).orderBy([{ column: 'b.free_count' }, { column: 'b.container_id' }]).limit(CANDIDATES);
    for (const b of boxes) {
      const got = await takeFromBox(db, Number(b.container_id), req.n, contiguous);
      if (got.length === req.n) return got;
    }
  }
  return spill ? compact(c) : [];
}

/** The shipped strategies, registered in the app instance's registry at setup. */
export function registerShippedStrategies(registry: Strategies): void {
  registry.set('compact', { label: { 'zh-CN': '优先装满', en: 'Compact (fullest box first)' }, fn: compact });
  registry.set('keep-together', { label: { 'zh-CN': '同批集中', en: 'Keep batch together' }, fn: (c) => keepTogether(c) });
  registry.set('split-redundancy', {
    label: { 'zh-CN': '异地分存', en: 'Split across two tanks' },
    fn: async (c) => {
      const { db, req } = c;
      const a = Math.ceil(req.n / 2);
      const b = req.n - a;
      const first = await keepTogether({ ...c, req: { ...req, n: a } }, false);
      if (first.length < a || b === 0) return first;
      const devA = first[0].device_id;
      const siteA = (await db.table('storage_box').where({ container_id: first[0].container_id }).first('site'))?.site ?? undefined;
      const other = { ...req, n: b, deviceId: undefined, containerId: undefined, excludeDeviceIds: [devA] };
      let second = siteA ? await keepTogether({ ...c, req: { ...other, excludeSite: siteA } }, false) : [];
      if (second.length < b) second = await keepTogether({ ...c, req: other }, false);
      if (second.length < b) throw new AppError(409, 'NO_SPACE', 'slots.noRedundantDevice', { n: b });
      return [...first, ...second];
    },
  });
  registry.set('recently-used', {
    label: { 'zh-CN': '最近使用', en: 'Recently used box' },
    fn: async (c) => {
      const { db, req } = c;
      const tries: Knex.QueryBuilder[] = [];
      if (req.batchId) tries.push(boxQuery(c, req.n).where('b.last_batch_id', req.batchId).orderBy('b.last_used_at', 'desc').limit(5));
      if (req.actorId) tries.push(boxQuery(c, req.n).where('b.last_used_by', req.actorId).orderBy('b.last_used_at', 'desc').limit(5));
      for (const q of tries) {
        for (const b of await q) {
          const got = await takeFromBox(db, Number(b.container_id), req.n, true);
          if (got.length === req.n) return got;
        }
      }
      return keepTogether(c);
    },
  });
}

export function strategyList(registry: Strategies): { name: string; label: { 'zh-CN': string; en: string } }[] {
  return [...registry.entries()].map(([name, v]) => ({ name, label: v.label }));
}

/** n empty positions within the scope by a registered strategy, locked by the caller's transaction. */
export async function recommend(db: PluginDb, registry: Strategies, strategy: string, req: RecommendRequest, scope: BoxScope): Promise<Pos[]> {
  const s = registry.get(strategy);
  if (!s) throw new AppError(400, 'VALIDATION_FAILED', 'slots.unknownStrategy', { strategy }, [{ path: '/strategy', messageKey: 'slots.unknownStrategy', params: { strategy } }]);
  if (!Number.isInteger(req.n) || req.n < 1 || req.n > 500) throw new AppError(400, 'VALIDATION_FAILED', 'slots.badCount', {}, [{ path: '/n', messageKey: 'slots.badCount' }]);
  await sweepExpired(db);
  const got = await s.fn({ db, req, scope });
  if (got.length < req.n) throw new AppError(409, 'NO_SPACE', 'slots.noSpace', { n: req.n, found: got.length });
  return got.slice(0, req.n).sort((x, y) => x.container_id - y.container_id || x.ordinal - y.ordinal);
}

// ---------------------------------------------------------------------------------------------- reports

/**
 * Vials to move so that the emptiest boxes empty into the fullest ones (a plan; nothing is moved). Only boxes of the
 * scope take part, and only boxes whose every vial the caller may read (`vials`: the caller's scoped cryovials, null
 * when it may read none) are emptied: a plan never names a vial the caller cannot see.
 */
export async function defragPlan(db: PluginDb, scope: BoxScope, vials: (() => Knex.QueryBuilder) | null, filter: { deviceId?: number; site?: string }, maxMoves = 500) {
  const q = inScope(db.table('storage_box as b').where('b.active', true).select('b.*'), scope, 'b.device_id');
  if (filter.deviceId) q.where('b.device_id', filter.deviceId);
  if (filter.site) q.where('b.site', filter.site);
  const boxes: BoxRow[] = await q;
  const used = boxes.filter((b) => b.occupied_count > 0);
  // Targets: fullest first (not full); sources: emptiest first. A box is never both.
  const targets = used.filter((b) => b.free_count > 0).sort((a, b) => a.free_count - b.free_count || a.container_id - b.container_id);
  const sources = [...used].sort((a, b) => a.occupied_count - b.occupied_count || b.container_id - a.container_id);
  const moves: any[] = [];
  const received = new Set<number>();
  const freeLeft = new Map(targets.map((t) => [t.container_id, t.free_count]));
  const emptied: number[] = [];
  for (const src of sources) {
    if (received.has(src.container_id)) continue;
    // Only empty a source completely; moving part of a box frees nothing.
    const candidates = targets.filter((t) => t.container_id !== src.container_id && (freeLeft.get(t.container_id) ?? 0) > 0 && t.occupied_count >= src.occupied_count);
    const room = candidates.reduce((n, t) => n + (freeLeft.get(t.container_id) ?? 0), 0);
    if (room < src.occupied_count || moves.length + src.occupied_count > maxMoves || !vials) continue;
    const rows = rowsOf<any>(
      await db.raw(
        `select p.id, p.row, p.col, p.vial_id, p.batch_id, v.id as seen from storage_position p left join ? on v.id = p.vial_id
          where p.container_id = ? and p.state = 'occupied' order by p.ordinal`,
        [vials(), src.container_id],
      ),
    );
    if (rows.some((v) => v.seen === null)) continue;
    for (const v of rows) {
      const t = candidates.find((x) => (freeLeft.get(x.container_id) ?? 0) > 0)!;
      const slot = rowsOf<any>(
        await db.raw(`select row, col from storage_position where container_id = ? and state = 'empty' order by ordinal offset ? limit 1`, [t.container_id, t.free_count - freeLeft.get(t.container_id)!]),
      )[0];
      freeLeft.set(t.container_id, freeLeft.get(t.container_id)! - 1);
      received.add(t.container_id);
      moves.push({
        vialId: Number(v.vial_id), batchId: v.batch_id, from: { container: src.container_id, row: v.row, col: v.col, label: fullLabel(src, v.row, v.col) },
        to: { container: t.container_id, row: slot.row, col: slot.col, label: fullLabel(t, slot.row, slot.col) },
      });
    }
    freeLeft.delete(src.container_id);
    emptied.push(src.container_id);
  }
  return { moves, boxesEmptied: emptied.length, emptiedBoxes: emptied };
}
