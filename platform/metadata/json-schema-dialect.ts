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
  'x-not-future',
];

/** ajv options of every validator of entity data (allErrors: a user wants every wrong field at once). */
export const AJV_OPTIONS = { allErrors: true, allowUnionTypes: true, strictRequired: false, strictTypes: false } as const;

/** The formats an entity field may declare (see the entity meta-schema), as predicates both sides use. */
export const FORMAT_NAMES = ['date', 'date-time', 'time', 'email', 'uri'] as const;
export const FORMATS: Record<string, (s: string) => boolean> = Object.fromEntries(
  FORMAT_NAMES.map((name) => {
    const f = fullFormats[name] as unknown;
    const check = f instanceof RegExp ? (s: string) => f.test(s) : typeof f === 'function' ? (f as (s: string) => boolean) : (f as { validate: (s: string) => boolean }).validate;
    return [name, check];
  }),
);
