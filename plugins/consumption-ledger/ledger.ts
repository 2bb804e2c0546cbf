import type { Knex } from 'knex';
import { VetoError, type CallContext, type PluginApi, type Records } from '../../platform/plugins/sdk';

/** Why stock moved. Consumption (the production ledger) is `usage` and `issue`; a reversal keeps its original's purpose. */
export type Purpose = 'receipt' | 'transfer' | 'issue' | 'usage' | 'return' | 'adjust' | 'scrap';
export const CONSUMPTION: Purpose[] = ['usage', 'issue'];

export interface MovementInput {
  docEntity: string;
  docId: number;
  /** Index of the document line (for errors: `/lines/<i>/quantity`). */
  lineNo: number;
  /** Pointer prefix of the line in the document (`/lines`, `/materials`). */
  linePath?: string;
  lotId: number;
  storeId: number;
  /** Signed quantity in the material's unit of use. */
  qty: number;
  purpose: Purpose;
  cultureId?: number | null;
  batchId?: number | null;
  orderId?: number | null;
  note?: string | null;
}

export interface LotInfo {
  id: number;
  lotNo: string;
  material: number;
  materialName: string;
  kind: string | null;
  status: string;
  expiryDate: string | null;
  inUseDays: number | null;
  labId: number | null;
}

const today = () => new Date().toISOString().slice(0, 10);

/** A lot with its material, read as the caller: another lab's lot is "not found". */
export async function lotInfo(records: Records, ctx: CallContext, lotId: number, path: string): Promise<LotInfo> {
  let lot: Record<string, any>;
  try {
    lot = await records.get(ctx, 'materialLot', lotId, { fields: ['id', 'lotNo', 'material', 'status', 'expiryDate', 'labId'] });
  } catch (e: any) {
    if (e?.status === 404) throw new VetoError('ledger.noLot', {}, path);
    throw e;
  }
  const m = await records.get(ctx, 'material', lot.material, { fields: ['id', 'name', 'kind', 'inUseDays'] });
  return {
    id: lot.id, lotNo: lot.lotNo, material: m.id, materialName: m.name, kind: m.kind ?? null, status: lot.status,
    expiryDate: lot.expiryDate ?? null, inUseDays: m.inUseDays ?? null, labId: lot.labId ?? null,
  };
}

/** A store the caller may read, with its lab. */
export async function storeInfo(records: Records, ctx: CallContext, storeId: number, path: string): Promise<{ id: number; name: string; storeKind: string; labId: number | null; enabled: boolean }> {
  try {
    const s = await records.get(ctx, 'materialStore', storeId, { fields: ['id', 'name', 'storeKind', 'labId', 'enabled'] });
    return { id: s.id, name: s.name, storeKind: s.storeKind, labId: s.labId ?? null, enabled: s.enabled !== false };
  } catch (e: any) {
    if (e?.status === 404) throw new VetoError('ledger.noStore', {}, path);
    throw e;
  }
}

/** Outgoing use of a lot must be of a released, unexpired lot; scrap, returns and adjustments may move any lot. */
export function assertUsable(api: PluginApi, lot: LotInfo, ctx: CallContext, path: string): void {
  if (lot.status !== 'released') {
    throw new VetoError('ledger.lotNotReleased', { lot: lot.lotNo, material: lot.materialName, status: statusLabel(api, lot.status, ctx) }, path);
  }
  if (lot.expiryDate && lot.expiryDate < today()) throw new VetoError('ledger.lotExpired', { lot: lot.lotNo, material: lot.materialName, date: lot.expiryDate }, path);
}

export function statusLabel(api: PluginApi, status: string, ctx: CallContext): string {
  const l = api.model.entity('materialLot')?.schema.properties.status?.['x-enum-labels']?.[status];
  return l?.[ctx.lang] ?? l?.['zh-CN'] ?? status;
}

const fmt = (n: number) => String(Math.round(n * 1000) / 1000);

/**
 * Posts movements in the caller's transaction: each one appended, its balance changed in the same statement order.
 * A decrement is a conditional UPDATE (`qty >= wanted`), so concurrent issues of one lot serialise on its balance row
 * and none takes it below zero; the CHECK constraint is the last line. A shortfall is a 422 naming the line.
 */
export async function post(api: PluginApi, trx: Knex.Transaction, ctx: CallContext, lots: Map<number, LotInfo>, moves: MovementInput[], reverses?: (number | null)[]): Promise<number[]> {
  const db = api.db(trx);
  const ids: number[] = [];
  // Lock order: decrements first, sorted by (store, lot), so two documents touching the same balances cannot deadlock.
  const order = moves.map((m, i) => i).sort((a, b) => {
    const x = moves[a], y = moves[b];
    return Math.sign(x.qty) - Math.sign(y.qty) || x.storeId - y.storeId || x.lotId - y.lotId || a - b;
  });
  for (const i of order) {
    const m = moves[i];
    const lot = lots.get(m.lotId)!;
    const path = `${m.linePath ?? '/lines'}/${m.lineNo}/quantity`;
    if (m.qty < 0) {
      const r = await db.raw(`update cl_balance set qty = qty + ?, updated_at = now() where store_id = ? and lot_id = ? and qty >= ? returning qty`, [m.qty, m.storeId, m.lotId, -m.qty]);
      if (!r.rowCount) {
        const have = (await db.raw(`select qty from cl_balance where store_id = ? and lot_id = ?`, [m.storeId, m.lotId])).rows[0];
        throw new VetoError('ledger.insufficient', { lot: lot.lotNo, material: lot.materialName, wanted: fmt(-m.qty), available: fmt(Number(have?.qty ?? 0)) }, path);
      }
    } else {
      await db.raw(
        `insert into cl_balance (lot_id, store_id, lab_id, material_id, qty, expiry_date) values (?, ?, ?, ?, ?, ?)
         on conflict (store_id, lot_id) do update set qty = cl_balance.qty + excluded.qty, updated_at = now()`,
        [m.lotId, m.storeId, lot.labId, lot.material, m.qty, lot.expiryDate],
      );
    }
    const row = await db.raw(
      `insert into cl_movement (doc_entity, doc_id, line_no, lot_id, material_id, kind, store_id, lab_id, qty, purpose, actor_id, actor_name, culture_id, batch_id, order_id, reverses, note)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
      [m.docEntity, m.docId, m.lineNo, m.lotId, lot.material, lot.kind, m.storeId, lot.labId, m.qty, m.purpose, ctx.actor.id, ctx.actor.displayName,
        m.cultureId ?? null, m.batchId ?? null, m.orderId ?? null, reverses?.[i] ?? null, m.note ?? null],
    );
    ids[i] = Number(row.rows[0].id);
  }
  // The lab's total per material, one upsert per (lab, material) of this posting, in a fixed order.
  const totals = new Map<string, { lab: number; material: number; qty: number }>();
  for (const m of moves) {
    const lot = lots.get(m.lotId)!;
    const k = `${lot.labId ?? 0}|${lot.material}`;
    const t = totals.get(k) ?? { lab: lot.labId ?? 0, material: lot.material, qty: 0 };
    t.qty += m.qty;
    totals.set(k, t);
  }
  for (const t of [...totals.values()].sort((a, b) => a.material - b.material || a.lab - b.lab)) {
    if (!t.qty) continue;
    await db.raw(
      `insert into cl_material_total (lab_id, material_id, qty) values (?, ?, ?) on conflict (material_id, lab_id) do update set qty = cl_material_total.qty + excluded.qty`,
      [t.lab, t.material, t.qty],
    );
  }
  // The daily roll-up: one upsert per (store, material, purpose, kind) of this posting.
  const roll = new Map<string, { store: number; lab: number; material: number; kind: string; purpose: string; qty: number; n: number }>();
  for (const m of moves) {
    const lot = lots.get(m.lotId)!;
    const k = `${m.storeId}|${lot.material}|${m.purpose}|${lot.kind ?? ''}`;
    const r = roll.get(k) ?? { store: m.storeId, lab: lot.labId ?? 0, material: lot.material, kind: lot.kind ?? '', purpose: m.purpose, qty: 0, n: 0 };
    r.qty += m.qty;
    r.n += 1;
    roll.set(k, r);
  }
  for (const r of [...roll.values()].sort((a, b) => a.store - b.store || a.material - b.material || a.purpose.localeCompare(b.purpose))) {
    await db.raw(
      `insert into cl_daily (day, lab_id, store_id, material_id, kind, purpose, qty, n) values (current_date, ?, ?, ?, ?, ?, ?, ?)
       on conflict (day, store_id, material_id, purpose, kind, lab_id) do update set qty = cl_daily.qty + excluded.qty, n = cl_daily.n + excluded.n`,
      [r.lab, r.store, r.material, r.kind, r.purpose, r.qty, r.n],
    );
  }
  return ids;
}

/** Compensating movements for every not yet reversed movement of a document (optionally only some lines). */
export async function reverseDocument(api: PluginApi, trx: Knex.Transaction, ctx: CallContext, records: Records, docEntity: string, docId: number, note: string): Promise<number> {
  const db = api.db(trx);
  const open = (await db.raw(
    `select m.* from cl_movement m where m.doc_entity = ? and m.doc_id = ? and m.reverses is null
       and not exists (select 1 from cl_movement r where r.reverses = m.id) order by m.id`,
    [docEntity, docId],
  )).rows;
  if (!open.length) return 0;
  const lots = await lotsOf(records, api.system(ctx.lang), open.map((m: any) => Number(m.lot_id)));
  const moves: MovementInput[] = open.map((m: any) => ({
    docEntity, docId, lineNo: m.line_no, lotId: Number(m.lot_id), storeId: Number(m.store_id), qty: -Number(m.qty), purpose: m.purpose,
    cultureId: m.culture_id == null ? null : Number(m.culture_id), batchId: m.batch_id == null ? null : Number(m.batch_id), orderId: m.order_id == null ? null : Number(m.order_id), note,
  }));
  await post(api, trx, ctx, lots, moves, open.map((m: any) => Number(m.id)));
  return open.length;
}

/** Lot infos by id (as `ctx`: the system for reversals of what was already posted). */
export async function lotsOf(records: Records, ctx: CallContext, ids: number[]): Promise<Map<number, LotInfo>> {
  const out = new Map<number, LotInfo>();
  for (const id of [...new Set(ids)]) out.set(id, await lotInfo(records, ctx, id, '/lines'));
  return out;
}

/** Net quantity per (lot, store) a document has posted (its movements minus their reversals). */
export async function netOfDocument(api: PluginApi, trx: Knex.Transaction, docEntity: string, docId: number): Promise<Map<string, number>> {
  const rows = (await api.db(trx).raw(
    `select lot_id, store_id, sum(qty) as qty from cl_movement where doc_entity = ? and doc_id = ? group by lot_id, store_id`, [docEntity, docId],
  )).rows;
  return new Map(rows.map((r: any) => [`${r.lot_id}|${r.store_id}`, Number(r.qty)]));
}
