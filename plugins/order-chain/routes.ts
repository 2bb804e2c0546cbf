import type Router from '@koa/router';
import { AppError, label, notFound, readQuery, type CallContext, type PluginApi, type Records } from '../../platform/plugins/sdk';
import { orderOf } from './chain';
import { STAGES } from './derive';

type Row = Record<string, any>;
const TRACE_QUERY = {
  entity: { type: 'string', enum: ['serviceOrder', 'customer', 'sample', 'labTask', 'cultureRecord', 'cultureStep', 'cellBatch', 'cryovial', 'stockIn', 'stockOut', 'qcRecord', 'preparation', 'handover'] },
  id: { type: 'integer', minimum: 1, maximum: 9007199254740991 },
};
const ID = { id: { type: 'integer', minimum: 1, maximum: 9007199254740991 } };
const SUGGEST = { batch: { type: 'integer', minimum: 1, maximum: 9007199254740991 }, n: { type: 'integer', minimum: 1, maximum: 50 } };

/** Per entity of the chain: its stage, when it happened and who did it. */
const STEP: Record<string, { stage: (typeof STAGES)[number]; at: string; by?: string; status?: string; detail?: string[] }> = {
  serviceOrder: { stage: 'booked', at: 'createdAt', by: 'bookedBy', status: 'progress', detail: ['serviceItem', 'chainId'] },
  labTask: { stage: 'booked', at: 'createdAt', by: 'assignee', status: 'state', detail: ['taskType', 'dueDate'] },
  sample: { stage: 'sampleReceived', at: 'receivedAt', by: 'receivedBy', status: 'decision', detail: ['sampleType', 'arrivalTemperature', 'transitHours'] },
  cultureRecord: { stage: 'inCulture', at: 'cultureDate', by: 'operator', detail: ['cellType', 'totalCells', 'viability'] },
  cultureStep: { stage: 'inCulture', at: 'performedAt', by: 'operator', detail: ['stepType', 'totalCells', 'viability'] },
  materialLot: { stage: 'inCulture', at: 'createdAt', status: 'status', detail: ['material', 'expiryDate'] },
  qcRecord: { stage: 'qc', at: 'testedAt', by: 'inspector', status: 'result', detail: ['qcType', 'viability'] },
  cellBatch: { stage: 'stored', at: 'freezeDate', by: 'operator', detail: ['cellType', 'vialCount', 'cellsPerVial'] },
  stockIn: { stage: 'stored', at: 'stockInAt', by: 'operator', detail: ['vialCount', 'positionSummary'] },
  cryovial: { stage: 'stored', at: 'createdAt', status: 'status', detail: ['positionLabel', 'freezeThawCount'] },
  stockOut: { stage: 'prepared', at: 'executedAt', by: 'executedBy', status: 'state', detail: ['purpose', 'positionSummary'] },
  preparation: { stage: 'prepared', at: 'preparedAt', by: 'preparedBy', detail: ['productCells', 'postThawViability', 'expiresAt'] },
  handover: { stage: 'handedOver', at: 'dispatchedAt', by: 'handedOverBy', status: 'state', detail: ['normal', 'boxTemperature', 'receiverName', 'destination'] },
};

/** A field's value as a person reads it: enum and dictionary labels, names of users and references, dates. */
function show(api: PluginApi, entity: string, field: string, r: Row, lang: CallContext['lang']): string | null {
  const v = r[field];
  if (v == null || v === '') return null;
  const f = api.model.entity(entity)?.fields.get(field);
  const s = f?.schema ?? {};
  const exp = r[`${field}$expanded`];
  if (exp && typeof exp === 'object') return String(exp.displayName ?? exp[api.model.entity(s['x-ref'])?.titleField ?? 'id'] ?? '');
  if (s['x-enum-labels']?.[v]) return label(s['x-enum-labels'][v], lang);
  if (s['x-dictionary']) {
    const item = api.defs('dictionary')[s['x-dictionary']]?.items?.find((i: any) => i.code === v);
    if (item) return label(item.label, lang);
  }
  if (typeof v === 'boolean') return lang === 'en' ? (v ? 'yes' : 'no') : v ? '是' : '否';
  if (s.format === 'date-time') return String(v).slice(0, 16).replace('T', ' ');
  if (s['x-ref'] || s['x-user']) return null; // a reference the caller may not read: nothing, never its id
  return String(v);
}

/**
 * The whole path of one order as the caller may see it: every record of the chain with its stage, time, person and
 * a few facts, each linking to its record. Each entity is read with the caller's permissions and row scope; an
 * entity the caller may not read is left out (never named by id).
 */
async function traceOrder(api: PluginApi, c: CallContext, records: Records, orderId: number): Promise<Row | null> {
  const read = async (entity: string, filter: Row, limit = 500): Promise<Row[]> => {
    if (!api.model.entity(entity)) return [];
    const meta = STEP[entity];
    const refs = [...api.model.entity(entity)!.fields.values()].filter((f) => f.ref && [...(meta?.detail ?? []), meta?.by].includes(f.name)).map((f) => f.name);
    try {
      return (await records.list(c, entity, { filter, limit, sort: ['id'], expand: refs })).data;
    } catch (e) {
      if (e instanceof AppError && (e.status === 403 || e.status === 400)) return [];
      throw e;
    }
  };
  const [order] = await read('serviceOrder', { id: orderId }, 1);
  if (!order) return null;
  const samples = await read('sample', { order: orderId });
  const tasks = await read('labTask', { order: orderId });
  const cultures = await read('cultureRecord', { order: orderId });
  const steps = cultures.length ? await read('cultureStep', { cultureRecord: { in: cultures.map((x) => x.id) } }) : [];
  const lotIds = [...new Set(cultures.flatMap((x) => (Array.isArray(x.materials) ? x.materials : []).map((l: Row) => l.lot)).filter((x) => x != null))];
  const lots = lotIds.length ? await read('materialLot', { id: { in: lotIds } }) : [];
  const batches = await read('cellBatch', { order: orderId });
  const bIds = batches.map((b) => b.id);
  const qcs = bIds.length ? await read('qcRecord', { batch: { in: bIds } }) : [];
  const stockIns = bIds.length ? await read('stockIn', { batch: { in: bIds } }) : [];
  const vials = bIds.length ? await read('cryovial', { batch: { in: bIds } }, 1000) : [];
  const stockOuts = bIds.length ? await read('stockOut', { batch: { in: bIds } }) : [];
  const preps = await read('preparation', { order: orderId });
  const handovers = await read('handover', { order: orderId });
  const step = (entity: string, r: Row) => {
    const m = STEP[entity];
    const e = api.model.entity(entity)!;
    return {
      entity, id: r.id, kind: label(e.schema['x-label'], c.lang), title: String(r[e.titleField] ?? ''),
      at: r[m.at] ?? r.createdAt ?? null, by: m.by ? show(api, entity, m.by, r, c.lang) : null, status: m.status ? show(api, entity, m.status, r, c.lang) : null,
      facts: (m.detail ?? []).map((f) => ({ label: label(e.fields.get(f)?.schema['x-label'], c.lang) || f, value: show(api, entity, f, r, c.lang) })).filter((x) => x.value != null),
    };
  };
  const all: [string, Row[]][] = [
    ['serviceOrder', [order]], ['labTask', tasks], ['sample', samples], ['cultureRecord', cultures], ['cultureStep', steps], ['materialLot', lots], ['qcRecord', qcs],
    ['cellBatch', batches], ['stockIn', stockIns], ['cryovial', vials], ['stockOut', stockOuts], ['preparation', preps], ['handover', handovers],
  ];
  const reached = STAGES.indexOf(order.progress ?? 'booked');
  return {
    order: step('serviceOrder', order),
    chainId: order.chainId ?? null,
    stages: STAGES.map((s, i) => ({
      key: s,
      label: show(api, 'serviceOrder', 'progress', { progress: s }, c.lang),
      reached: i <= reached,
      steps: all.flatMap(([entity, rows]) => (STEP[entity].stage === s ? rows.map((r) => step(entity, r)) : [])).sort((a, b) => String(a.at ?? '').localeCompare(String(b.at ?? ''))),
    })),
  };
}

export function chainRoutes(router: Router, api: PluginApi): void {
  /** The trace of the order a record belongs to (a customer: all of their orders). */
  router.get('/order-chain/trace', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<{ entity: string; id: number }>(ctx.query, TRACE_QUERY, ['entity', 'id']);
    const rec = await api.records.get(c, q.entity, q.id); // 404 outside the caller's scope
    const records = api.records;
    let orders: number[];
    if (q.entity === 'customer') orders = (await records.list(c, 'serviceOrder', { filter: { customer: rec.id }, fields: ['id'], sort: ['-id'], limit: 20 })).data.map((o) => o.id);
    else {
      const o = await orderOf(api, records, q.entity, rec);
      orders = o ? [o] : [];
    }
    const out = [];
    for (const o of orders) {
      const t = await traceOrder(api, c, records, o);
      if (t) out.push(t);
    }
    ctx.body = { data: { focus: { entity: q.entity, id: q.id }, orders: out } };
  });

  /** Stored vials of a batch for a preparation, oldest first (first frozen, first used). */
  router.get('/order-chain/suggest-vials', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<{ batch: number; n?: number }>(ctx.query, SUGGEST, ['batch']);
    await api.records.get(c, 'cellBatch', q.batch);
    const vials = (await api.records.list(c, 'cryovial', { filter: { batch: q.batch, status: 'stored' }, fields: ['id', 'vialCode', 'positionLabel', 'freezeThawCount'], sort: ['id'], limit: q.n ?? 1 })).data;
    ctx.body = { data: vials };
  });

  /** A handover's data-logger readings and the product's allowed range. */
  router.get('/order-chain/handovers/:id/temperature', async (ctx) => {
    const c = api.context(ctx);
    const { id } = readQuery<{ id: number }>(ctx.params, ID, ['id']);
    const h = await api.records.get(c, 'handover', id);
    let range: { min: number | null; max: number | null } = { min: null, max: null };
    try {
      const p = await api.records.get(c, 'preparation', h.preparation, { fields: ['id', 'tempMin', 'tempMax'] });
      range = { min: p.tempMin == null ? null : Number(p.tempMin), max: p.tempMax == null ? null : Number(p.tempMax) };
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500) throw e;
    }
    const rows = await api.db().table('oc_temperature').where({ handover_id: h.id }).orderBy('at').select('at', 'celsius');
    const signed = await api.db().table('oc_receipt_signature').where({ handover_id: h.id }).first('signer', 'signed_at');
    ctx.body = {
      data: {
        range, boxTemperature: h.boxTemperature ?? null, dispatchedAt: h.dispatchedAt ?? null,
        readings: rows.map((r: Row) => ({ at: new Date(r.at).toISOString(), celsius: Number(r.celsius) })),
        signature: signed ? { signer: signed.signer, signedAt: new Date(signed.signed_at).toISOString() } : null,
      },
    };
  });

  /** The external receiver's drawn signature (PNG), to the callers who may read the handover. */
  router.get('/order-chain/handovers/:id/signature', async (ctx) => {
    const c = api.context(ctx);
    const { id } = readQuery<{ id: number }>(ctx.params, ID, ['id']);
    const h = await api.records.get(c, 'handover', id);
    const row = await api.db().table('oc_receipt_signature').where({ handover_id: h.id }).first('png');
    if (!row) throw notFound(c.lang === 'en' ? 'Signature' : '签名', id);
    ctx.type = 'image/png';
    ctx.set('Cache-Control', 'private, no-store');
    ctx.body = row.png;
  });
}
