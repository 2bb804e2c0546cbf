import dayjs from 'dayjs';
import i18n, { type Lang } from '../i18n';
import { dictLabel, enumLabel, type FieldSchema, type Meta, titleField } from '../meta';
import { pick } from '../i18n';

export function isDate(f?: FieldSchema): boolean {
  return f?.format === 'date';
}
export function isDateTime(f?: FieldSchema): boolean {
  return f?.format === 'date-time';
}
export function isNumber(f?: FieldSchema): boolean {
  return f?.type === 'number' || f?.type === 'integer';
}

export function formatDate(v: unknown): string {
  if (v == null || v === '') return '';
  const d = dayjs(String(v));
  return d.isValid() ? d.format('YYYY-MM-DD') : String(v);
}
export function formatDateTime(v: unknown): string {
  if (v == null || v === '') return '';
  const d = dayjs(String(v));
  return d.isValid() ? d.format('YYYY-MM-DD HH:mm') : String(v);
}

/** Title of a referenced record, from `{field}$expanded`, else `#id`. */
export function refTitle(meta: Meta, f: FieldSchema, field: string, record: Record<string, unknown> | undefined): string {
  const id = record?.[field];
  if (id == null || id === '') return '';
  const tf = f['x-ref'] ? titleField(meta, f['x-ref']) : 'id';
  const many = record?.[`${field}$expanded`];
  if (Array.isArray(many)) {
    const titles = many.map((x) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[tf] : null));
    return titles.every((x) => x != null && x !== '') ? titles.map(String).join(i18n.language === 'en' ? ', ' : '、') : i18n.t('record.noAccess');
  }
  const exp = many as Record<string, unknown> | undefined;
  const title = exp?.[tf];
  return title != null && title !== '' ? String(title) : i18n.t('record.noAccess');
}

/** Display name of a user reference (`x-user`, createdBy…), from `{field}$expanded`; never the id. */
export function userName(field: string, record: Record<string, unknown> | undefined): string {
  const exp = record?.[`${field}$expanded`] as { displayName?: string } | null | undefined;
  return exp?.displayName ?? '';
}

/** Plain-text rendering of one field value (grid cells, history diffs). */
export function formatValue(
  meta: Meta,
  f: FieldSchema | undefined,
  field: string,
  value: unknown,
  lang: Lang,
  record?: Record<string, unknown>,
): string {
  if (value == null || value === '') return '';
  if (!f) return typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (f['x-ref']) return record ? refTitle(meta, f, field, record) : '';
  if (f['x-user'] || f['x-owner-lab']) return userName(field, record);
  if (f['x-dictionary']) return dictLabel(meta, f['x-dictionary'], value, lang);
  if (typeof f['x-meta'] === 'string') return metaLabel(meta, f['x-meta'], value, lang);
  if (f.enum) return enumLabel(f, value, lang);
  if (isDate(f)) return formatDate(value);
  if (isDateTime(f)) return formatDateTime(value);
  if (f.type === 'boolean') return value ? i18n.t('common.yes') : i18n.t('common.no');
  if (f['x-type'] === 'attachment' && Array.isArray(value)) {
    return value.map((a) => (a && typeof a === 'object' ? String((a as { name?: string }).name ?? '') : String(a))).join(', ');
  }
  // A list of dictionary codes or enum values (a sampling point's parameters) reads as their labels.
  if (Array.isArray(value) && f.items && (f.items['x-dictionary'] || f.items.enum) && value.every((x) => typeof x !== 'object'))
    return value.map((x) => formatValue(meta, f.items, field, x, lang)).join('、');
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'number' && typeof f['x-scale'] === 'number' && f.type === 'number') {
    return value.toLocaleString(lang, { maximumFractionDigits: f['x-scale'] });
  }
  return String(value);
}

/** Label of a metadata definition named by a field (`x-meta`: its kind), e.g. a QC specification; else the value. */
export function metaLabel(meta: Meta, kind: string, value: unknown, lang: Lang): string {
  const def = meta.kinds[kind]?.[String(value)] as { label?: unknown } | undefined;
  return pick(def?.label, lang, String(value));
}

/**
 * A range of values ({min, max, equals, in}, e.g. a QC limit) as people write it: "≥ 80 · ≤ 100", "= 阴性"; `f` is the
 * schema of the field the values belong to (its enum, dictionary and number format apply).
 */
export function formatBand(meta: Meta, f: FieldSchema | undefined, band: unknown, lang: Lang): string {
  if (band == null || typeof band !== 'object') return band == null ? '' : formatValue(meta, f, '', band, lang);
  const b = band as { min?: unknown; max?: unknown; equals?: unknown; in?: unknown[] };
  const v = (x: unknown) => formatValue(meta, f, '', x, lang);
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`≥ ${v(b.min)}`);
  if (b.max !== undefined) parts.push(`≤ ${v(b.max)}`);
  if (b.equals !== undefined) parts.push(`= ${v(b.equals)}`);
  if (Array.isArray(b.in)) parts.push(b.in.map(v).join(' / '));
  return parts.join(' · ');
}
