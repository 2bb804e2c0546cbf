import Ajv, { type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import localize from 'ajv-i18n';
import type { ErrorDetail } from '../errors';
import type { Lang } from '../i18n';

/** Annotation keywords CellTrace adds to JSON Schema. Registered so ajv's strict schema mode still rejects typos. */
export const ANNOTATIONS = [
  'x-label', 'x-module', 'x-requirements', 'x-scope', 'x-title', 'x-ref', 'x-trace', 'x-numbering', 'x-encrypted',
  'x-dictionary', 'x-type', 'x-precision', 'x-scale', 'x-unique', 'x-enum-labels', 'x-widget', 'x-help',
  'x-index', 'x-reason-required', 'x-deprecated', 'x-sign', 'x-mask', 'x-default-sort', 'x-flow', 'x-actions',
  'x-assignee', 'x-state', 'x-audit', 'x-order',
];

export function createAjv(opts: Options = {}): Ajv {
  // allErrors: a user wants every wrong field at once, not one per round trip.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictRequired: false, strictTypes: false, ...opts });
  addFormats(ajv);
  for (const k of ANNOTATIONS) ajv.addKeyword({ keyword: k, schemaType: ['string', 'number', 'boolean', 'object', 'array'] });
  return ajv;
}

/** ajv errors → details with a JSON pointer per field, in both languages. */
export function localizeErrors(errors: ErrorObject[] | null | undefined, basePath = ''): Record<Lang, ErrorDetail[]> {
  const list = errors ?? [];
  const out = { 'zh-CN': [] as ErrorDetail[], en: [] as ErrorDetail[] };
  for (const [lang, fn] of [['zh-CN', localize.zh], ['en', localize.en]] as const) {
    const copy = list.map((e) => ({ ...e }));
    fn(copy);
    const seen = new Set<string>();
    for (const e of copy) {
      if (e.keyword === 'if') continue; // the failing `then` already names the field
      let path = e.instancePath;
      if (e.keyword === 'required' || e.keyword === 'dependentRequired') path += `/${(e.params as any).missingProperty}`;
      if (e.keyword === 'additionalProperties') path += `/${(e.params as any).additionalProperty}`;
      const key = `${path}|${e.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out[lang].push({ path: basePath + path, message: e.message ?? e.keyword });
    }
  }
  return out;
}
