import type { Knex } from 'knex';
import type { PluginApi, Records } from '../../platform/plugins/sdk';

export const STAGES = ['booked', 'sampleReceived', 'inCulture', 'qc', 'stored', 'prepared', 'handedOver'] as const;

const round2 = (n: number) => Math.round(n * 100) / 100;
const addYears = (d: string, y: number) => {
  const [yy, mm, dd] = d.split('-').map(Number);
  const t = new Date(Date.UTC(yy + y, mm - 1, dd));
  if (t.getUTCMonth() !== mm - 1) t.setUTCDate(0); // 29 Feb + 1 year → 28 Feb
  return t.toISOString().slice(0, 10);
};

/**
 * An order's derived fields, from what happened downstream (never typed): progress (the furthest stage reached),
 * vials and cells in storage, cells issued and the batches they came from, and the storage term's dates.
 */
export async function deriveOrder(api: PluginApi, records: Records, orderId: number): Promise<Record<string, unknown> | null> {
  const sys = api.system();
  const order = (await records.list(sys, 'serviceOrder', { filter: { id: orderId }, limit: 1 })).data[0];
  if (!order) return null;
  const any = async (entity: string, filter: Record<string, unknown>) => (await records.list(sys, entity, { filter, fields: ['id'], limit: 1 })).data.length > 0;
  const batches = (await records.list(sys, 'cellBatch', { filter: { order: orderId }, fields: ['id', 'batchCode', 'cellsPerVial'], limit: 1000 })).data;
  const batchIds = batches.map((b) => b.id);
  const vials: Record<string, any>[] = [];
  for (let offset = 0; batchIds.length; offset += 1000) {
    const page = (await records.list(sys, 'cryovial', { filter: { batch: { in: batchIds } }, fields: ['id', 'batch', 'status'], sort: ['id'], limit: 1000, offset })).data;
    vials.push(...page);
    if (page.length < 1000) break;
  }
  const per = new Map(batches.map((b) => [b.id, Number(b.cellsPerVial ?? 0)]));
  const code = new Map(batches.map((b) => [b.id, String(b.batchCode ?? '')]));
  const stored = vials.filter((v) => v.status === 'stored');
  const issued = vials.filter((v) => v.status === 'out' || v.status === 'thawed');
  const firstIn = batchIds.length ? (await records.list(sys, 'stockIn', { filter: { batch: { in: batchIds } }, fields: ['id', 'stockInAt'], sort: ['stockInAt'], limit: 1 })).data[0] : undefined;
  const reached = {
    booked: true,
    sampleReceived: await any('sample', { order: orderId, decision: 'accepted' }),
    inCulture: await any('cultureRecord', { order: orderId }),
    qc: batchIds.length ? await any('qcRecord', { batch: { in: batchIds } }) : false,
    stored: vials.length > 0,
    prepared: await any('preparation', { order: orderId }),
    handedOver: await any('handover', { order: orderId, state: 'received' }),
  };
  let progress: string = 'booked';
  for (const s of STAGES) if (reached[s]) progress = s;
  const storageStart = firstIn?.stockInAt ? String(firstIn.stockInAt).slice(0, 10) : null;
  const years = order.storageYears == null ? null : Number(order.storageYears);
  return {
    progress,
    storedVials: stored.length,
    remainingCells: round2(stored.reduce((a, v) => a + (per.get(v.batch) ?? 0), 0)),
    issuedCells: round2(issued.reduce((a, v) => a + (per.get(v.batch) ?? 0), 0)),
    issuedFrom: [...new Set(issued.map((v) => code.get(v.batch)).filter(Boolean))].join('、').slice(0, 500) || null,
    storageStart,
    storageEnd: storageStart && years ? addYears(storageStart, years) : null,
  };
}

/** Writes the derived fields when they changed (a system write, audited like any other). */
export async function refreshOrder(api: PluginApi, trx: Knex.Transaction, records: Records, orderId: number): Promise<void> {
  const d = await deriveOrder(api, records, orderId);
  if (!d) return;
  const sys = api.system();
  const o = (await records.list(sys, 'serviceOrder', { filter: { id: orderId }, limit: 1 })).data[0];
  const changed = Object.entries(d).filter(([k, v]) => JSON.stringify(o[k] ?? null) !== JSON.stringify(v ?? null));
  if (!changed.length) return;
  await records.update(sys, 'serviceOrder', orderId, { version: o.version }, { set: Object.fromEntries(changed.map(([k, v]) => [k, v ?? null])), system: true, reason: 'derived' });
  void trx;
}
