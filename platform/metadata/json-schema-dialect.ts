/**
 * The one JSON Schema dialect of CellTrace, shared by the server (ajv, platform/metadata/ajv.ts) and the browser
 * (@cfworker/json-schema behind RJSF, web/src/form/interpreter.ts): the same draft, the same annotation keywords
 * and the same format predicates, so a record one side accepts the other accepts too. Pure data and functions:
 * the web bundle imports this file, so it must not import server code.
 */
import { fullFormats } from 'ajv-formats/dist/formats';

/** Both validators implement 2019-09 ($ref with siblings, $defs, dependentRequired behave the same on both). */
export const SCHEMA_DRAFT = '2019-09';

/** Annotation keywords CellTrace adds to JSON Schema. Registered so strict mode still rejects typos. */
export const ANNOTATIONS = [
  'x-label', 'x-module', 'x-requirements', 'x-scope', 'x-title', 'x-ref', 'x-trace', 'x-numbering', 'x-encrypted',
  'x-dictionary', 'x-type', 'x-precision', 'x-scale', 'x-unique', 'x-enum-labels', 'x-widget', 'x-help',
  'x-index', 'x-reason-required', 'x-deprecated', 'x-sign', 'x-mask', 'x-default-sort', 'x-flow', 'x-actions',
  'x-assignee', 'x-state', 'x-audit', 'x-order', 'x-user', 'x-picker-fields', 'x-ref-filter', 'x-prefill',
  'x-not-future', 'x-names-field', 'x-value-of', 'x-meta', 'x-owner-lab', 'x-identity-scan', 'x-record-tabs',
  // x-equipment-gate: a reference to equipment that the equipment-care plugin checks (usable asset) and logs.
  // x-picker-disabled (entity): records whose fields hold these values are offered disabled in reference pickers.
  'x-equipment-gate',
  'x-picker-disabled',
  // x-trace-at / x-trace-product (entity): the trace engine's time field and recall products (platform/trace).
  'x-trace-at', 'x-trace-product',
];

/** ajv options of every validator of entity data (allErrors: a user wants every wrong field at once). */
export const AJV_OPTIONS = { allErrors: true, allowUnionTypes: true, strictRequired: false, strictTypes: false } as const;

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/**
 * A mainland resident ID number (GB 11643-1999): 18 characters, a real birth date (YYYYMMDD, from 1900 to today) at
 * 7–14, and the ISO 7064 MOD 11-2 check character (0–9 or X) last.
 */
export function isCnIdNumber(s: string): boolean {
  if (!/^[1-9]\d{16}[\dXx]$/.test(s)) return false;
  const y = Number(s.slice(6, 10));
  const m = Number(s.slice(10, 12));
  const d = Number(s.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d || birth.getTime() > Date.now()) return false;
  const sum = ID_WEIGHTS.reduce((a, w, i) => a + w * Number(s[i]), 0);
  return '10X98765432'[sum % 11] === s[17].toUpperCase();
}
/** A mainland phone number: a mobile (1[3-9] and 9 digits, +86 allowed) or a landline (0 area code, 7–8 digits, extension). */
export function isCnPhone(s: string): boolean {
  const v = s.replace(/[\s]/g, '');
  return /^(?:\+?86-?)?1[3-9]\d{9}$/.test(v) || /^0\d{2,3}-?[2-9]\d{6,7}(?:-\d{1,6})?$/.test(v);
}

/** The formats an entity field may declare (see the entity meta-schema), as predicates both sides use. */
export const FORMAT_NAMES = ['date', 'date-time', 'time', 'email', 'uri'] as const;
export const FORMATS: Record<string, (s: string) => boolean> = {
  ...Object.fromEntries(
    FORMAT_NAMES.map((name) => {
      const f = fullFormats[name] as unknown;
      const check = f instanceof RegExp ? (s: string) => f.test(s) : typeof f === 'function' ? (f as (s: string) => boolean) : (f as { validate: (s: string) => boolean }).validate;
      return [name, check];
    }),
  ),
  'cn-id-number': isCnIdNumber,
  'cn-phone': isCnPhone,
};
/** Formats with a message of their own ("not a valid resident ID number") instead of "wrong format". */
export const NAMED_FORMATS = ['cn-id-number', 'cn-phone'];

/**
 * `x-not-future`: is a date (YYYY-MM-DD) or date-time after now? A date is compared with today's local date, a
 * date-time with now plus a minute of clock skew. Not a date: false (the format check reports it).
 */
export function isFuture(value: unknown, now = new Date()): boolean {
  if (typeof value !== 'string') return false;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
    return value > today;
  }
  const t = Date.parse(value);
  return Number.isFinite(t) && t > now.getTime() + 60_000;
}
