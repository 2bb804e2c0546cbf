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
async function deriveOrder(api: PluginApi, records: Records, order: Record<string, any>): Promise<Record<string, unknown>> {
  const sys = api.system();
  const orderId = Number(order.id);
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

/** The order a refresh starts from, read once as the system (its progress decides whether a refresh is needed). */
export async function readOrder(api: PluginApi, records: Records, orderId: number): Promise<Record<string, any> | undefined> {
  return (await records.list(api.system(), 'serviceOrder', { filter: { id: orderId }, limit: 1 })).data[0];
}

/** Writes the derived fields of `order` (as read by `readOrder`) when they changed: a system write, audited like any other. */
export async function refreshOrder(api: PluginApi, records: Records, order: Record<string, any>): Promise<void> {
  const d = await deriveOrder(api, records, order);
  const changed = Object.entries(d).filter(([k, v]) => JSON.stringify(order[k] ?? null) !== JSON.stringify(v ?? null));
  if (!changed.length) return;
  await records.update(api.system(), 'serviceOrder', order.id, { version: order.version }, { set: Object.fromEntries(changed.map(([k, v]) => [k, v ?? null])), system: true, reason: 'derived' });
}
