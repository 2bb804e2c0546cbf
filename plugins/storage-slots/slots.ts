import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { AppError } from '../../platform/errors';
import { positionLabel, type BoxLayout } from './layout';

/**
 * Position bookkeeping. Every function takes the caller's transaction; every state change of positions updates the
 * per-box counters in the same transaction, so storage_box stays exact and strategies never count positions.
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

export interface StrategyContext {
  trx: Knex.Transaction;
  req: RecommendRequest;
}

/** Returns up to req.n EMPTY positions, locked FOR UPDATE by the caller's transaction. */
export type Strategy = (c: StrategyContext) => Promise<Pos[]>;

const registry = new Map<string, { fn: Strategy; label: { 'zh-CN': string; en: string } }>();

export function registerStrategy(name: string, label: { 'zh-CN': string; en: string }, fn: Strategy): void {
  registry.set(name, { fn, label });
}

export function strategies(): { name: string; label: { 'zh-CN': string; en: string } }[] {
  return [...registry.entries()].map(([name, v]) => ({ name, label: v.label }));
}

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
  async apply(trx: Knex.Transaction, used?: { actorId: number | null; batchId: number | null }) {
    for (const [cid, d] of [...this.m.entries()].sort((a, b) => a[0] - b[0])) {
      const sets = ['free_count = free_count + ?', 'reserved_count = reserved_count + ?', 'occupied_count = occupied_count + ?', 'blocked_count = blocked_count + ?'];
      const binds: Knex.RawBinding[] = [d.free_count, d.reserved_count, d.occupied_count, d.blocked_count];
      if (used) {
        sets.push('last_used_at = now()', 'last_used_by = coalesce(?, last_used_by)', 'last_batch_id = coalesce(?, last_batch_id)');
        binds.push(used.actorId, used.batchId);
      }
      await trx.raw(`update storage_box set ${sets.join(', ')} where container_id = ?`, [...binds, cid]);
    }
  }
}

// ---------------------------------------------------------------------------------------------- locking reads

const rowsOf = <T = any>(r: any): T[] => r.rows as T[];

export async function boxesByIds(db: Knex | Knex.Transaction, ids: number[]): Promise<Map<number, BoxRow>> {
  if (!ids.length) return new Map();
  const rows: BoxRow[] = await db('storage_box').whereIn('container_id', [...new Set(ids)]);
  return new Map(rows.map((b) => [Number(b.container_id), b]));
}

export async function lockCells(trx: Knex.Transaction, cells: { container: number; row: number; col: number }[]): Promise<Pos[]> {
  if (!cells.length) return [];
  const rows = rowsOf<Pos>(
    await trx.raw(
      `select p.* from storage_position p join unnest(?::bigint[], ?::int[], ?::int[]) as x(c, r, k) on p.container_id = x.c and p.row = x.r and p.col = x.k
        order by p.id for update of p`,
      [cells.map((c) => c.container), cells.map((c) => c.row), cells.map((c) => c.col)],
    ),
  );
  if (rows.length !== new Set(cells.map((c) => `${c.container}:${c.row}:${c.col}`)).size)
    throw new AppError(400, 'VALIDATION_FAILED', 'slots.unknownPosition', {}, [{ path: '/positions', messageKey: 'slots.unknownPosition' }]);
  return rows;
}

export async function lockByToken(trx: Knex.Transaction, token: string): Promise<Pos[]> {
  if (!/^[0-9a-f-]{36}$/i.test(token)) return [];
  return rowsOf<Pos>(await trx.raw(`select * from storage_position where reservation_token = ? and state = 'reserved' order by id for update`, [token]));
}

export async function lockByVials(trx: Knex.Transaction, vialIds: number[]): Promise<Pos[]> {
  if (!vialIds.length) return [];
  return rowsOf<Pos>(await trx.raw(`select * from storage_position where vial_id = any(?::bigint[]) order by id for update`, [vialIds]));
}

// ---------------------------------------------------------------------------------------------- transitions

/** Frees reservations whose time is up (also run by a job); SKIP LOCKED so concurrent sweepers never double-count. */
export async function sweepExpired(trx: Knex.Transaction, limit = 1000): Promise<number> {
  const rows = rowsOf<{ container_id: number }>(
    await trx.raw(
      `update storage_position set state = 'empty', reservation_token = null, reserved_by = null, reserved_until = null, updated_at = now()
        where id in (select id from storage_position where state = 'reserved' and reserved_until < now() order by id limit ? for update skip locked)
        returning container_id`,
      [limit],
    ),
  );
  const d = new Deltas();
  for (const r of rows) d.move(Number(r.container_id), 'reserved', 'empty');
  await d.apply(trx);
  return rows.length;
}

export async function reserve(trx: Knex.Transaction, positions: Pos[], actorId: number | null, minutes = 5): Promise<{ token: string; expiresAt: string }> {
  const token = crypto.randomUUID();
  const ids = positions.map((p) => p.id);
  const rows = rowsOf<{ container_id: number; reserved_until: string }>(
    await trx.raw(
      `update storage_position set state = 'reserved', reservation_token = ?, reserved_by = ?, reserved_until = now() + make_interval(secs => ?), updated_at = now()
        where id = any(?::bigint[]) and (state = 'empty' or (state = 'reserved' and reserved_until < now())) returning container_id, reserved_until`,
      [token, actorId, Math.round(minutes * 60), ids],
    ),
  );
  if (rows.length !== ids.length) throw new AppError(409, 'POSITION_TAKEN', 'slots.positionTaken', {});
  const d = new Deltas();
  for (const p of positions) d.move(p.container_id, p.state, 'reserved');
  await d.apply(trx);
  return { token, expiresAt: rows[0]?.reserved_until ?? new Date().toISOString() };
}

export async function releaseToken(trx: Knex.Transaction, token: string): Promise<number> {
  const locked = await lockByToken(trx, token);
  if (!locked.length) return 0;
  await trx.raw(
    `update storage_position set state = 'empty', reservation_token = null, reserved_by = null, reserved_until = null, updated_at = now() where id = any(?::bigint[])`,
    [locked.map((p) => p.id)],
  );
  const d = new Deltas();
  for (const p of locked) d.move(p.container_id, 'reserved', 'empty');
  await d.apply(trx);
  return locked.length;
}

/** A locked position may take a vial if empty, reserved with this token, or its reservation has expired. */
export function usable(p: Pos, token?: string | null): boolean {
  if (p.state === 'empty') return true;
  if (p.state !== 'reserved') return false;
  return (!!token && p.reservation_token === token) || (!!p.reserved_until && new Date(p.reserved_until).getTime() < Date.now());
}

export async function occupy(trx: Knex.Transaction, placements: { pos: Pos; vialId: number; batchId: number | null }[], used: { actorId: number | null; batchId: number | null }): Promise<void> {
  if (!placements.length) return;
  await trx.raw(
    `update storage_position p set state = 'occupied', vial_id = x.v, batch_id = x.b, reservation_token = null, reserved_by = null, reserved_until = null, updated_at = now()
       from unnest(?::bigint[], ?::bigint[], ?::bigint[]) as x(id, v, b) where p.id = x.id`,
    [placements.map((x) => x.pos.id), placements.map((x) => x.vialId), placements.map((x) => x.batchId) as any],
  );
  const d = new Deltas();
  for (const x of placements) d.move(x.pos.container_id, x.pos.state, 'occupied');
  await d.apply(trx, used);
}

export async function vacate(trx: Knex.Transaction, positions: Pos[]): Promise<void> {
  if (!positions.length) return;
  await trx.raw(`update storage_position set state = 'empty', vial_id = null, batch_id = null, updated_at = now() where id = any(?::bigint[])`, [positions.map((p) => p.id)]);
  const d = new Deltas();
  for (const p of positions) d.move(p.container_id, p.state, 'empty');
  await d.apply(trx);
}

export async function setBlocked(trx: Knex.Transaction, positions: Pos[], blocked: boolean, note?: string): Promise<number> {
  const ok = positions.filter((p) => (blocked ? usable(p) : p.state === 'blocked'));
  if (ok.length !== positions.length) throw new AppError(409, 'POSITION_TAKEN', blocked ? 'slots.blockOccupied' : 'slots.notBlocked', {});
  await trx.raw(
    `update storage_position set state = ?, note = ?, reservation_token = null, reserved_by = null, reserved_until = null, updated_at = now() where id = any(?::bigint[])`,
    [blocked ? 'blocked' : 'empty', blocked ? (note ?? null) : null, ok.map((p) => p.id)],
  );
  const d = new Deltas();
  for (const p of ok) d.move(p.container_id, p.state, blocked ? 'blocked' : 'empty');
  await d.apply(trx);
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

export async function recordEvents(trx: Knex.Transaction, events: CustodyEvent[]): Promise<void> {
  if (!events.length) return;
  await trx('storage_event').insert(
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

function boxQuery(trx: Knex.Transaction, req: RecommendRequest, minFree: number): Knex.QueryBuilder {
  const q = trx('storage_box').select('container_id', 'device_id', 'site', 'free_count').where('free_count', '>=', Math.max(1, minFree)).where('active', true);
  if (req.containerId) q.where('container_id', req.containerId);
  if (req.deviceId) q.where('device_id', req.deviceId);
  if (req.site) q.where('site', req.site);
  if (req.deviceType) q.where('device_type', req.deviceType);
  if (req.maxTemperature !== undefined && req.maxTemperature !== null) q.where('temperature', '<=', req.maxTemperature);
  if (req.excludeDeviceIds?.length) q.whereNotIn('device_id', req.excludeDeviceIds);
  if (req.excludeSite) q.where((w) => w.whereNot('site', req.excludeSite!).orWhereNull('site'));
  return q;
}

/** n empty positions of one box, locked; contiguous = n consecutive position numbers. Bounded by the box size, never the bank. */
export async function takeFromBox(trx: Knex.Transaction, boxId: number, n: number, contiguous: boolean): Promise<Pos[]> {
  if (!contiguous || n === 1) {
    return rowsOf<Pos>(await trx.raw(`select * from storage_position where container_id = ? and state = 'empty' order by ordinal limit ? for update skip locked`, [boxId, n]));
  }
  const free = rowsOf<{ id: number; ordinal: number }>(await trx.raw(`select id, ordinal from storage_position where container_id = ? and state = 'empty' order by ordinal`, [boxId]));
  let start = 0;
  for (let i = 0; i < free.length; i++) {
    if (i > 0 && free[i].ordinal !== free[i - 1].ordinal + 1) start = i;
    if (i - start + 1 === n) {
      const ids = free.slice(start, i + 1).map((f) => f.id);
      const locked = rowsOf<Pos>(await trx.raw(`select * from storage_position where id = any(?::bigint[]) and state = 'empty' order by ordinal for update skip locked`, [ids]));
      if (locked.length === n) return locked;
      start = i + 1; // raced with another writer: look further on
    }
  }
  return [];
}

async function compact({ trx, req }: StrategyContext): Promise<Pos[]> {
  const out: Pos[] = [];
  let after: [number, number] | null = null;
  for (let page = 0; page < 100 && out.length < req.n; page++) {
    const q = boxQuery(trx, req, 1).orderBy([{ column: 'free_count' }, { column: 'container_id' }]).limit(CANDIDATES);
    if (after) q.whereRaw('(free_count, container_id) > (?, ?)', after);
    const boxes = await q;
    if (!boxes.length) break;
    for (const b of boxes) {
      out.push(...(await takeFromBox(trx, Number(b.container_id), req.n - out.length, false)));
      if (out.length >= req.n) break;
    }
    const last = boxes[boxes.length - 1];
    after = [Number(last.free_count), Number(last.container_id)];
  }
  return out;
}

async function keepTogether(c: StrategyContext, spill = true): Promise<Pos[]> {
  const { trx, req } = c;
  for (const contiguous of [true, false]) {
    const boxes = await boxQuery(trx, req, req.n).orderBy([{ column: 'free_count' }, { column: 'container_id' }]).limit(CANDIDATES);
    for (const b of boxes) {
      const got = await takeFromBox(trx, Number(b.container_id), req.n, contiguous);
      if (got.length === req.n) return got;
    }
  }
  return spill ? compact(c) : [];
}

registerStrategy('compact', { 'zh-CN': '优先装满', en: 'Compact (fullest box first)' }, compact);
registerStrategy('keep-together', { 'zh-CN': '同批集中', en: 'Keep batch together' }, (c) => keepTogether(c));
registerStrategy('split-redundancy', { 'zh-CN': '异地分存', en: 'Split across two tanks' }, async (c) => {
  const { trx, req } = c;
  const a = Math.ceil(req.n / 2);
  const b = req.n - a;
  const first = await keepTogether({ trx, req: { ...req, n: a } }, false);
  if (first.length < a || b === 0) return first;
  const devA = first[0].device_id;
  const siteA = (await trx('storage_box').where({ container_id: first[0].container_id }).first('site'))?.site ?? undefined;
  const other = { ...req, n: b, deviceId: undefined, containerId: undefined, excludeDeviceIds: [devA] };
  let second = siteA ? await keepTogether({ trx, req: { ...other, excludeSite: siteA } }, false) : [];
  if (second.length < b) second = await keepTogether({ trx, req: other }, false);
  if (second.length < b) throw new AppError(409, 'NO_SPACE', 'slots.noRedundantDevice', { n: b });
  return [...first, ...second];
});
registerStrategy('recently-used', { 'zh-CN': '最近使用', en: 'Recently used box' }, async (c) => {
  const { trx, req } = c;
  const tries: Knex.QueryBuilder[] = [];
  if (req.batchId) tries.push(boxQuery(trx, req, req.n).where('last_batch_id', req.batchId).orderBy('last_used_at', 'desc').limit(5));
  if (req.actorId) tries.push(boxQuery(trx, req, req.n).where('last_used_by', req.actorId).orderBy('last_used_at', 'desc').limit(5));
  for (const q of tries) {
    for (const b of await q) {
      const got = await takeFromBox(trx, Number(b.container_id), req.n, true);
      if (got.length === req.n) return got;
    }
  }
  return keepTogether(c);
});

export async function recommend(trx: Knex.Transaction, strategy: string, req: RecommendRequest): Promise<Pos[]> {
  const s = registry.get(strategy);
  if (!s) throw new AppError(400, 'VALIDATION_FAILED', 'slots.unknownStrategy', { strategy }, [{ path: '/strategy', messageKey: 'slots.unknownStrategy', params: { strategy } }]);
  if (!Number.isInteger(req.n) || req.n < 1 || req.n > 500) throw new AppError(400, 'VALIDATION_FAILED', 'slots.badCount', {}, [{ path: '/n', messageKey: 'slots.badCount' }]);
  await sweepExpired(trx);
  const got = await s.fn({ trx, req });
  if (got.length < req.n) throw new AppError(409, 'NO_SPACE', 'slots.noSpace', { n: req.n, found: got.length });
  return got.slice(0, req.n).sort((x, y) => x.container_id - y.container_id || x.ordinal - y.ordinal);
}

// ---------------------------------------------------------------------------------------------- reports

/** Vials to move so that the emptiest boxes empty into the fullest ones (a plan; nothing is moved). */
export async function defragPlan(db: Knex | Knex.Transaction, filter: { deviceId?: number; site?: string }, maxMoves = 500) {
  const q = db('storage_box').where('active', true).select('*');
  if (filter.deviceId) q.where('device_id', filter.deviceId);
  if (filter.site) q.where('site', filter.site);
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
    if (room < src.occupied_count || moves.length + src.occupied_count > maxMoves) continue;
    const vials = rowsOf<any>(
      await db.raw(`select id, row, col, vial_id, batch_id from storage_position where container_id = ? and state = 'occupied' order by ordinal`, [src.container_id]),
    );
    for (const v of vials) {
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
