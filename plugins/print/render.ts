import Handlebars from 'handlebars';
import dayjs from 'dayjs';
import bwipjs from 'bwip-js';
import { AppError, type CallContext, type EntityDef, type Lang, type PluginApi } from '../../platform/plugins/sdk';

export interface PrintTemplate {
  $id: string;
  label: Record<string, string>;
  description?: Record<string, string>;
  entity: string;
  flavour: 'document' | 'label';
  source: string;
  css?: string;
  paper?: { size?: 'A4' | 'A5'; landscape?: boolean };
  data?: { expand?: string[]; children?: { as: string; entity: string; via: string; sort?: string[]; expand?: string[]; limit?: number }[]; orderChain?: boolean };
  labelSpec?: { container: string; widthMm: number; heightMm: number; symbology?: 'datamatrix' | 'qrcode'; content?: string; zpl?: string; dpi?: number };
}

/** Marks a record with its entity, so helpers can format its fields (`{{v this "status"}}`). */
const tag = (entity: string, r: Record<string, any> | null | undefined) => {
  if (r && typeof r === 'object') Object.defineProperty(r, '_entity', { value: entity, enumerable: false });
  return r ?? null;
};

const denied = (e: unknown) => e instanceof AppError && (e.status === 403 || e.status === 404);

/** Single reference fields of an entity the caller may read (expanding a hidden one is refused). */
function refsOf(api: PluginApi, ctx: CallContext, e: EntityDef, wanted?: string[]): string[] {
  const readable = new Set(api.records.readable(ctx, e.name));
  const refs = [...e.fields.values()].filter((f) => (f.kind === 'reference' || f.kind === 'multiReference') && readable.has(f.name)).map((f) => f.name);
  return wanted ? wanted.filter((n) => refs.includes(n)) : refs;
}

/**
 * What a template sees: `record` (its references expanded, each read with the caller's own permissions), the
 * declared `children`, the `chain` (order, customer, samples, cultures, steps) and `print` (who, when, which version).
 * Every read goes through the record pipeline as the caller: row scope, field rules and masks apply, and a record
 * of another lab is a 404. A related entity the caller may not read is left out and named in `hidden`.
 */
export async function gather(api: PluginApi, ctx: CallContext, tpl: PrintTemplate, id: number): Promise<Record<string, any>> {
  const e = api.records.entity(tpl.entity);
  const record = tag(tpl.entity, await api.records.get(ctx, tpl.entity, id, { expand: refsOf(api, ctx, e, tpl.data?.expand) }));
  for (const f of e.fields.values()) {
    const x = record![`${f.name}$expanded`];
    if (f.ref && Array.isArray(x)) x.forEach((r) => tag(f.ref!, r));
    else if (f.ref && x) tag(f.ref, x);
  }
  const hidden: string[] = [];
  const list = async (entity: string, filter: Record<string, unknown>, sort: string[] = ['id'], expand?: string[], limit = 200) => {
    try {
      const rows = (await api.records.list(ctx, entity, { filter, sort, limit, expand: expand && refsOf(api, ctx, api.records.entity(entity), expand) })).data;
      return rows.map((r) => tag(entity, r));
    } catch (err) {
      if (!denied(err)) throw err;
      hidden.push(entity);
      return [];
    }
  };
  const one = async (entity: string, rid: unknown) => {
    if (!rid) return null;
    try {
      return tag(entity, await api.records.get(ctx, entity, Number(rid), { expand: refsOf(api, ctx, api.records.entity(entity)) }));
    } catch (err) {
      if (!denied(err)) throw err;
      hidden.push(entity);
      return null;
    }
  };
  const children: Record<string, any[]> = {};
  for (const c of tpl.data?.children ?? []) children[c.as] = await list(c.entity, { [c.via]: id }, c.sort, c.expand, c.limit);
  let chain: Record<string, any> | null = null;
  if (tpl.data?.orderChain) {
    const orderId = tpl.entity === 'serviceOrder' ? id : record!.order;
    const order = orderId ? await one('serviceOrder', orderId) : null;
    const customer = await one('customer', order?.customer ?? record!.customer);
    const samples = orderId ? await list('sample', { order: orderId }, ['receivedAt', 'id']) : [];
    const cultures = orderId ? await list('cultureRecord', { order: orderId }, ['cultureDate', 'id'], ['room', 'equipment']) : [];
    const steps = cultures.length ? await list('cultureStep', { cultureRecord: { in: cultures.map((c) => c!.id) } }, ['performedAt', 'id'], ['room', 'equipment', 'cultureRecord']) : [];
    chain = { order, customer, samples, sample: samples[0] ?? null, cultures, culture: cultures[0] ?? null, steps };
  }
  return { record, children, chain, hidden: [...new Set(hidden)].map((n) => entityLabel(api, n, ctx.lang)) };
}

export const pick = (l: Record<string, string> | undefined, lang: Lang, fallback = '') => (l ? (l[lang] ?? l['zh-CN'] ?? Object.values(l)[0] ?? fallback) : fallback);
export const entityLabel = (api: PluginApi, entity: string, lang: Lang) => pick(api.records.entity(entity).schema.label ?? api.records.entity(entity).schema['x-label'], lang, entity);

const SYSTEM_LABELS: Record<string, Record<Lang, string>> = {
  id: { 'zh-CN': '编号', en: 'ID' }, createdAt: { 'zh-CN': '创建时间', en: 'Created' }, updatedAt: { 'zh-CN': '更新时间', en: 'Updated' },
  createdBy: { 'zh-CN': '创建人', en: 'Created by' }, updatedBy: { 'zh-CN': '更新人', en: 'Updated by' }, labId: { 'zh-CN': '实验室', en: 'Lab' },
};

/** A field's value as a person reads it: labels of dictionaries and enums, names of people and referenced records, dates. */
export function display(api: PluginApi, lang: Lang, entity: string | undefined, r: Record<string, any> | null | undefined, field: string): string {
  if (!r) return '';
  const v = r[field];
  const e = entity ? api.model.entity(entity) : undefined;
  const f = e?.fields.get(field);
  const exp = r[`${field}$expanded`];
  if (field === 'labId' || field === 'createdBy' || field === 'updatedBy' || f?.kind === 'user') return exp?.displayName ?? '';
  if (v === null || v === undefined || v === '') return '';
  if (exp && typeof exp === 'object' && !Array.isArray(exp) && typeof exp.displayName === 'string') return exp.displayName;
  if (!f) {
    if (field === 'createdAt' || field === 'updatedAt') return dayjs(v).format('YYYY-MM-DD HH:mm');
    return typeof v === 'object' ? '' : String(v);
  }
  const titleOf = (ref: string, x: any) => {
    if (!x) return '—';
    const te = api.model.entity(ref);
    return String(x[te?.titleField ?? 'id'] ?? '—');
  };
  switch (f.kind) {
    case 'reference':
      return titleOf(f.ref!, exp);
    case 'multiReference':
      return Array.isArray(exp) ? exp.map((x: any) => titleOf(f.ref!, x)).join('、') : '';
    case 'dictionary':
      return dictLabel(api, lang, f.dictionary!, v);
    case 'enum':
      return pick(f.schema['x-enum-labels']?.[v], lang, String(v));
    case 'boolean':
      return v ? (lang === 'en' ? 'Yes' : '是') : lang === 'en' ? 'No' : '否';
    case 'datetime':
      return dayjs(v).format('YYYY-MM-DD HH:mm');
    case 'date':
      return String(v).slice(0, 10);
    case 'json':
    case 'attachment':
      return Array.isArray(v) && v.every((x) => typeof x !== 'object') ? v.join('、') : '';
    default:
      return String(v);
  }
}

export function dictLabel(api: PluginApi, lang: Lang, dictionary: string, code: unknown): string {
  const items: any[] = api.defs('dictionary')[dictionary]?.items ?? [];
  const walk = (list: any[]): any => {
    for (const i of list) {
      if (i.code === code) return i;
      const inner = i.children && walk(i.children);
      if (inner) return inner;
    }
    return undefined;
  };
  return pick(walk(items)?.label, lang, String(code ?? ''));
}

export function fieldLabel(api: PluginApi, lang: Lang, entity: string, field: string): string {
  const f = api.model.entity(entity)?.fields.get(field);
  return f ? pick(f.schema['x-label'] ?? f.schema.title, lang, field) : pick(SYSTEM_LABELS[field], lang, field);
}

const attr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An inline SVG 2-D/1-D code (bwip-js); the PDF renderer draws the same code from its data attributes. */
export function barcodeHtml(text: string, bcid = 'datamatrix', sizeMm = 18): string {
  const ok = ['datamatrix', 'qrcode', 'code128'].includes(bcid) ? bcid : 'datamatrix';
  if (!text) return '';
  const svg = bwipjs.toSVG({ bcid: ok, text, ...(ok === 'code128' ? { height: 8, includetext: false } : {}) } as any);
  const w = ok === 'code128' ? sizeMm * 3 : sizeMm;
  return `<span class="ct-barcode" data-bcid="${ok}" data-text="${attr(text)}" data-size="${sizeMm}" style="display:inline-block;width:${w}mm;height:${sizeMm}mm">${svg.replace('<svg ', '<svg width="100%" height="100%" ')}</span>`;
}

/** A handlebars environment per render language: escaping stays on (the default); helpers format, never trust. */
export function environment(api: PluginApi, lang: Lang): typeof Handlebars {
  const hb = Handlebars.create();
  const ent = (r: any, given?: unknown) => (typeof given === 'string' ? given : r?._entity);
  hb.registerHelper('v', function (r: any, field: string, entity?: unknown) {
    return display(api, lang, ent(r, entity), r, String(field));
  });
  hb.registerHelper('user', (r: any, field: string) => (r ? (r[`${field}$expanded`]?.displayName ?? '') : ''));
  hb.registerHelper('fl', (entity: string, field: string) => fieldLabel(api, lang, String(entity), String(field)));
  hb.registerHelper('el', (entity: string) => (api.model.entity(String(entity)) ? entityLabel(api, String(entity), lang) : String(entity)));
  hb.registerHelper('dict', (dictionary: string, code: unknown) => dictLabel(api, lang, String(dictionary), code));
  hb.registerHelper('date', (v: unknown, fmt?: unknown) => {
    if (v === null || v === undefined || v === '') return '';
    const d = dayjs(v as string);
    return d.isValid() ? d.format(typeof fmt === 'string' ? fmt : 'YYYY-MM-DD') : '';
  });
  hb.registerHelper('t', (zh: unknown, en: unknown) => String((lang === 'en' && typeof en === 'string' ? en : zh) ?? ''));
  hb.registerHelper('barcode', (text: unknown, bcid?: unknown, size?: unknown) =>
    new hb.SafeString(barcodeHtml(String(text ?? ''), typeof bcid === 'string' ? bcid : 'datamatrix', typeof size === 'number' ? size : 18)),
  );
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('ne', (a: unknown, b: unknown) => a !== b);
  hb.registerHelper('or', (...a: unknown[]) => a.slice(0, -1).find(Boolean) ?? '');
  hb.registerHelper('inc', (n: unknown) => Number(n) + 1);
  hb.registerHelper('count', (l: unknown) => (Array.isArray(l) ? l.length : 0));
  hb.registerHelper('sum', (l: unknown, field: unknown) => (Array.isArray(l) ? l.reduce((s, x) => s + (Number(x?.[String(field)]) || 0), 0) : 0));
  hb.registerHelper('where', (l: unknown, field: unknown, value: unknown) => (Array.isArray(l) ? l.filter((x) => x?.[String(field)] === value) : []));
  hb.registerHelper('mm', (mm: unknown, dpi: unknown) => Math.round((Number(mm) * (Number(dpi) || 300)) / 25.4));
  return hb;
}

/** Compiles with the caller's environment; a template error at render time is the template's (422), never a 500. */
export function run(hb: typeof Handlebars, source: string, context: Record<string, unknown>, pointer: string, opts: { noEscape?: boolean } = {}): string {
  return compiled(hb, source, pointer, opts)(context);
}

/** A source compiled once for many records (a batch's labels); a failure is the template's 422 with its pointer. */
export function compiled(hb: typeof Handlebars, source: string, pointer: string, opts: { noEscape?: boolean } = {}): (context: Record<string, unknown>) => string {
  const fail = (e: unknown) => {
    const message = String((e as Error).message).slice(0, 300);
    return new AppError(422, 'VALIDATION_FAILED', 'print.renderFailed', { message }, [{ path: pointer, messageKey: 'print.renderFailed', params: { message } }]);
  };
  let fn: HandlebarsTemplateDelegate;
  try {
    fn = hb.compile(source, { noEscape: !!opts.noEscape });
  } catch (e) {
    throw fail(e);
  }
  return (context) => {
    try {
      return fn(context, { allowProtoPropertiesByDefault: false });
    } catch (e) {
      throw fail(e);
    }
  };
}

const PAGE_CSS = `
@page { size: A4; margin: 15mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 10pt; color: #111; margin: 0; }
.ct-print { max-width: 182mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 16pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; border-bottom: 1px solid #333; padding-bottom: 1mm; }
h3 { font-size: 10.5pt; margin: 3mm 0 1.5mm; }
p { margin: 1.5mm 0; }
table { width: 100%; border-collapse: collapse; margin: 1.5mm 0 3mm; }
th, td { border: 1px solid #555; padding: 1mm 1.5mm; text-align: left; vertical-align: top; font-size: 9pt; }
th { background: #eee; font-weight: bold; }
.ct-meta { color: #555; font-size: 8pt; }
.ct-sign td { height: 14mm; }
@media print { .ct-print { padding: 0; } .ct-noprint { display: none; } }
`;

/** A whole print-ready HTML page around a rendered template body. */
export function page(title: string, body: string, lang: Lang, css = '', paper?: PrintTemplate['paper']): string {
  const size = `${paper?.size ?? 'A4'}${paper?.landscape ? ' landscape' : ''}`;
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${attr(title)}</title><style>${PAGE_CSS.replace('size: A4', `size: ${size}`)}${css}</style></head><body><div class="ct-print">${body}</div></body></html>`;
}
