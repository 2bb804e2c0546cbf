import { AppError, VetoError, label, type CallContext, type HookArgs, type Lang, type PluginApi, type Records } from '../../platform/plugins/sdk';

/** Labels that identify a record on a chain of identity: scanning any of them names its chain. */
const CODE_FIELDS: [entity: string, field: string][] = [
  ['serviceOrder', 'orderCode'], ['sample', 'sampleCode'], ['cultureRecord', 'batchCode'], ['cellBatch', 'batchCode'], ['cryovial', 'vialCode'], ['preparation', 'productCode'],
];

export const entityName = (api: PluginApi, entity: string, lang: Lang): string => {
  const l = label(api.model.entity(entity)?.schema['x-label'], lang) || entity;
  return lang === 'en' ? l.toLowerCase() : l;
};

const norm = (s: string) => s.trim().replace(/\s+/g, '').toUpperCase();

/**
 * A scanned label must carry the expected chain of identity (T/CAV 008-2024: device and logistics data are
 * cross-checked before they are stored): the chain-of-identity ID itself, or the code of a record on the same chain
 * (sample, batch, vial, product). Codes are looked up as the caller: another lab's label is "not this one's", never
 * "belongs to …".
 */
export async function checkScan(
  api: PluginApi, ctx: CallContext, records: Records, scan: unknown, expected: string | null | undefined, what: string, path: string,
): Promise<void> {
  if (scan == null || scan === '') return;
  const w = entityName(api, what, ctx.lang);
  if (!expected) throw new VetoError('chain.noChain', { what: w }, path);
  const s = norm(String(scan));
  if (s === norm(expected)) return;
  for (const [entity, field] of CODE_FIELDS) {
    if (!api.model.entity(entity)?.fields.has('chainId')) continue;
    let rows: Record<string, any>[] = [];
    try {
      rows = (await records.list(ctx, entity, { filter: { [field]: String(scan).trim() }, fields: ['id', 'chainId'], limit: 1 })).data;
    } catch (e) {
      if (!(e instanceof AppError && e.status === 403)) throw e;
    }
    if (rows.length) {
      if (rows[0].chainId && norm(rows[0].chainId) === norm(expected)) return;
      throw new VetoError('chain.scanMismatch', { scan: String(scan).trim(), expected, what: w }, path);
    }
  }
  throw new VetoError('chain.scanUnknown', { scan: String(scan).trim(), expected, what: w }, path);
}

/** A referenced record read as the system (the pipeline checked the caller may reference it). */
export async function ref(records: Records, api: PluginApi, entity: string, id: unknown, fields?: string[]): Promise<Record<string, any> | null> {
  if (id == null) return null;
  try {
    return await records.get(api.system(), entity, Number(id), fields ? { fields: ['id', ...fields] } : undefined);
  } catch (e) {
    if (e instanceof AppError && e.status === 404) return null;
    throw e;
  }
}

/** The order a record of the chain belongs to (directly or through its batch / culture record / preparation). */
export async function orderOf(api: PluginApi, records: Records, entity: string, r: Record<string, any>): Promise<number | null> {
  if (entity === 'serviceOrder') return r.id ?? null;
  if (r.order != null) return Number(r.order);
  if (entity === 'cryovial' || entity === 'stockIn' || entity === 'stockOut' || entity === 'qcRecord') {
    const b = await ref(records, api, 'cellBatch', r.batch, ['order']);
    return b?.order ?? null;
  }
  if (entity === 'cultureStep') {
    const c = await ref(records, api, 'cultureRecord', r.cultureRecord, ['order']);
    return c?.order ?? null;
  }
  if (entity === 'handover') {
    const p = await ref(records, api, 'preparation', r.preparation, ['order']);
    return p?.order ?? null;
  }
  return null;
}

type Hook = (a: HookArgs) => Promise<void>;

/** Copies the order's customer and chain of identity onto a record that names the order. */
export const fromOrder = (api: PluginApi): Hook => async ({ entity, record, records }) => {
  if (record.order == null) return;
  const o = await ref(records, api, 'serviceOrder', record.order, ['customer', 'chainId']);
  if (!o) return; // the reference check names the missing order
  const writable = entity.fields.has('customer') && !entity.fields.get('customer')!.readOnly;
  if (writable && record.customer != null && Number(record.customer) !== Number(o.customer)) throw new VetoError('chain.customerMismatch', {}, '/customer');
  if (entity.fields.has('customer')) record.customer = o.customer;
  record.chainId = o.chainId;
};
