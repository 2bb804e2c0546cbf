import ExcelJS from 'exceljs';
import type { CallContext } from '../context';
import { AppError } from '../errors';
import { label, t } from '../i18n';
import type { EntityDef } from '../metadata/model';
import type { RecordService } from '../records/service';
import { TraceEngine, timeField, traceLinks, type TraceResult } from './engine';

export interface RecallRow {
  entity: string;
  kind: string;
  id: number;
  code: string | null;
  at: string | null;
  /** The product a delivery (handover) is of, when it is not a product with a patient itself. */
  product: string | null;
  patient: { id: number; name: string | null } | null;
}

export interface RecallResult {
  /** What was recalled, in words (`物料批次 LOT-001`, `房间 A-101 2026-11-01 08:00 – 2026-11-02 08:00`). */
  source: string;
  products: RecallRow[];
  patients: { id: number; name: string | null; products: number }[];
  hidden: TraceResult['hidden'];
  truncated: boolean;
  /** Records the walk reached (shown to the caller). */
  reached: number;
}

export type RecallQuery = { entity?: string; id?: number; room?: number; from?: string; to?: string };

const RECALL_DEPTH = 20;
const RECALL_CAP = 20000;

/**
 * Every product and patient a record (a material lot, a culture batch, a deviation) or a room excursion (records done
 * in a room within a time window) touched: the downstream walk of the trace engine, its products (entities marked
 * `x-trace-product`) and their patients (the product's `patient` field, or that of the product a delivery is of).
 */
export async function recall(engine: TraceEngine, records: RecordService, ctx: CallContext, q: RecallQuery): Promise<RecallResult> {
  const model = records.model;
  const seeds: { entity: EntityDef; id: number }[] = [];
  let source: string;
  if (q.room != null) {
    const room = records.entity('room');
    const r = await records.get(ctx, 'room', q.room, { fields: ['id', room.titleField] });
    if (!q.from || !q.to) {
      const path = !q.from ? '/from' : '/to';
      throw new AppError(400, 'VALIDATION_FAILED', 'trace.windowRequired', {}, [{ path, messageKey: 'trace.windowRequired' }]);
    }
    if (!(Date.parse(q.from) <= Date.parse(q.to))) throw new AppError(400, 'VALIDATION_FAILED', 'trace.badWindow', {}, [{ path: '/to', messageKey: 'trace.badWindow' }]);
    source = `${label(room.schema['x-label'], ctx.lang)} ${r[room.titleField] ?? ''} ${q.from.replace('T', ' ').slice(0, 16)} – ${q.to.replace('T', ' ').slice(0, 16)}`;
    // Records linked to the room whose time falls in the window start the walk.
    for (const l of traceLinks(model)) {
      if (l.target.name !== 'room' || l.kind !== 'column' || l.feeds) continue;
      const at = timeField(l.holder);
      const f = l.holder.fields.get(at);
      const col = f?.column ?? 'created_at';
      const date = f?.kind === 'date';
      const rows: { id: unknown }[] = await records.knex(l.holder.table)
        .where(l.field.column, q.room).whereNull('deleted_at')
        .whereRaw(date ? `?? between ?::timestamptz::date and ?::timestamptz::date` : `?? between ?::timestamptz and ?::timestamptz`, [col, q.from, q.to])
        .limit(RECALL_CAP).select('id')
        .catch((err: any) => {
          // A time PostgreSQL cannot hold (year 0, out of range): the caller's input, not a server fault.
          if (!/^22/.test(err?.code ?? '')) throw err;
          throw new AppError(400, 'VALIDATION_FAILED', 'trace.badWindow', {}, [{ path: '/from', messageKey: 'trace.badWindow' }]);
        });
      for (const x of rows) seeds.push({ entity: l.holder, id: Number(x.id) });
    }
  } else {
    const e = records.entity(q.entity!);
    const r = await records.get(ctx, e.name, q.id!, { fields: ['id', e.titleField] });
    source = `${label(e.schema['x-label'], ctx.lang)} ${r[e.titleField] ?? ''}`.trim();
    seeds.push({ entity: e, id: q.id! });
  }
  const { walk, result } = await engine.downstream(ctx, seeds, RECALL_DEPTH, RECALL_CAP);
  const productNodes = result.nodes.filter((n) => model.entity(n.entity)?.schema['x-trace-product']);
  // Patients by name as far as the caller may read them (row scope, field rules).
  const patientOf = walk.patient;
  const patientIds = [...new Set([...patientOf.values()].filter((v): v is number => v != null))];
  const names = new Map<number, string | null>();
  const customer = model.entity('customer');
  if (customer && patientIds.length) {
    const { visible } = await engine.resolveLevel(ctx, new Map([[customer.name, { e: customer, ids: new Set(patientIds) }]]));
    for (const id of patientIds) if (visible.has(`customer:${id}`)) names.set(id, visible.get(`customer:${id}`)!.title);
  }
  const nodeByKey = new Map(result.nodes.map((n) => [n.key, n]));
  const products: RecallRow[] = productNodes.map((n) => {
    let key: string | undefined = n.key;
    let product: string | null = null;
    // A delivery's patient is that of the product it delivers (the nearest product upstream on the walk).
    while (key && !patientOf.has(key)) {
      key = walk.parent.get(key);
      if (key && nodeByKey.get(key) && model.entity(nodeByKey.get(key)!.entity)?.schema['x-trace-product']?.patient) product = nodeByKey.get(key)!.title;
    }
    const pid = key ? patientOf.get(key) ?? null : null;
    return {
      entity: n.entity, kind: n.kind, id: n.id, code: n.title, at: n.at, product: key === n.key ? null : product,
      // A patient the caller may not read is left out, never named by id.
      patient: pid != null && names.has(pid) ? { id: pid, name: names.get(pid) ?? null } : null,
    };
  });
  const perPatient = new Map<number, number>();
  for (const p of products) if (p.patient && p.product == null) perPatient.set(p.patient.id, (perPatient.get(p.patient.id) ?? 0) + 1);
  return {
    source,
    products,
    patients: [...perPatient].map(([id, n]) => ({ id, name: names.get(id) ?? null, products: n })),
    hidden: result.hidden,
    truncated: result.truncated,
    reached: result.nodes.length,
  };
}

/** The recall as a workbook: the products sheet and the patients sheet, headed in the caller's language. */
export async function recallWorkbook(r: RecallResult, lang: CallContext['lang']): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'CellTrace';
  const ws = wb.addWorksheet(t(lang, 'trace.xlsx.products'));
  ws.addRow([t(lang, 'trace.xlsx.title'), r.source]);
  ws.addRow([t(lang, 'trace.xlsx.generatedAt'), new Date().toISOString().slice(0, 16).replace('T', ' ')]);
  if (r.hidden.count) ws.addRow([t(lang, 'trace.xlsx.hidden'), t(lang, 'trace.hiddenNote', { count: r.hidden.count })]);
  if (r.truncated) ws.addRow([t(lang, 'trace.xlsx.truncated')]);
  ws.addRow([]);
  const head = ws.addRow([t(lang, 'trace.xlsx.kind'), t(lang, 'trace.xlsx.code'), t(lang, 'trace.xlsx.at'), t(lang, 'trace.xlsx.product'), t(lang, 'trace.xlsx.patient')]);
  head.font = { bold: true };
  for (const p of r.products) ws.addRow([p.kind, p.code ?? '', (p.at ?? '').replace('T', ' ').slice(0, 16), p.product ?? '', p.patient?.name ?? '']);
  ws.columns.forEach((c) => (c.width = 24));
  const ps = wb.addWorksheet(t(lang, 'trace.xlsx.patients'));
  const h2 = ps.addRow([t(lang, 'trace.xlsx.patient'), t(lang, 'trace.xlsx.productCount')]);
  h2.font = { bold: true };
  for (const p of r.patients) ps.addRow([p.name ?? '', p.products]);
  ps.columns.forEach((c) => (c.width = 24));
  return Buffer.from(await wb.xlsx.writeBuffer());
}
