import type Ajv from 'ajv';
import type { ErrorObject, Options } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import { AJV_OPTIONS, ANNOTATIONS, FORMATS, NAMED_FORMATS } from './json-schema-dialect';
import addFormats from 'ajv-formats';
import localize from 'ajv-i18n';
import type { ErrorDetail } from '../errors';
import { t, type Lang } from '../i18n';
import '../i18n/messages';

export { ANNOTATIONS } from './json-schema-dialect';

/** An ajv of the shared dialect (2019-09, strict: unknown keywords throw at compile; see json-schema-dialect.ts). */
export function createAjv(opts: Options = {}): Ajv {
  const ajv = new Ajv2019({ ...AJV_OPTIONS, ...opts });
  addFormats(ajv);
  for (const [name, check] of Object.entries(FORMATS)) ajv.addFormat(name, check);
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
      const format = e.keyword === 'format' ? String((e.params as any).format) : '';
      const message = NAMED_FORMATS.includes(format) ? t(lang, `validation.format.${format}`) : (e.message ?? e.keyword);
      out[lang].push({ path: basePath + path, message });
    }
  }
  return out;
}

/** Keywords whose value is a map of subschemas, or one subschema / a list of them (where a typo can hide). */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SUBSCHEMAS = ['items', 'prefixItems', 'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'contains', 'additionalProperties', 'additionalItems', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties'];

/** JSON pointer of the first schema object that carries `keyword` (ajv's strict error does not say where). */
function keywordPointer(schema: unknown, keyword: string): string | undefined {
  const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  const queue: [unknown, string][] = [[schema, '']];
  while (queue.length) {
    const [node, at] = queue.shift()!;
    if (!node || typeof node !== 'object' || Array.isArray(node)) continue;
    const o = node as Record<string, unknown>;
    if (Object.hasOwn(o, keyword)) return `${at}/${esc(keyword)}`;
    for (const k of SCHEMA_MAPS) if (o[k] && typeof o[k] === 'object') for (const [n, sub] of Object.entries(o[k] as object)) queue.push([sub, `${at}/${k}/${esc(n)}`]);
    for (const k of SUBSCHEMAS) {
      if (Array.isArray(o[k])) (o[k] as unknown[]).forEach((sub, i) => queue.push([sub, `${at}/${k}/${i}`]));
      else if (o[k] !== undefined) queue.push([o[k], `${at}/${k}`]);
    }
  }
  return undefined;
}

const strictAjv = createAjv();

/**
 * Compiles an embedded JSON Schema (an entity) as the record validators will, in strict mode: an unknown keyword
 * (`minimun`), a keyword with a wrong value or any other compile error becomes a problem at its JSON pointer,
 * in both languages, instead of a 500 at the first write. Empty when the schema compiles.
 */
export function schemaProblems(schema: object, basePath = ''): Record<Lang, ErrorDetail[]> {
  const copy = JSON.parse(JSON.stringify(schema));
  delete copy.$id; // compiled once here, and again per model version: an $id would collide
  try {
    strictAjv.compile(copy);
    strictAjv.removeSchema(copy);
    return { 'zh-CN': [], en: [] };
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /unknown keyword: "([^"]+)"/.exec(msg)?.[1];
    if (unknown) {
      const path = basePath + (keywordPointer(copy, unknown) ?? '');
      return { 'zh-CN': [{ path, message: t('zh-CN', 'error.schemaKeyword', { keyword: unknown }) }], en: [{ path, message: t('en', 'error.schemaKeyword', { keyword: unknown }) }] };
    }
    // "schema is invalid: data/properties/n/minimum must be number": the path after `data` is the pointer.
    const invalid = /^schema is invalid: data(\/\S*)? (.*)$/.exec(msg);
    const path = basePath + (invalid?.[1] ?? '');
    const reason = invalid ? invalid[2] : msg.replace(/^strict mode: /, '');
    return { 'zh-CN': [{ path, message: t('zh-CN', 'error.schemaInvalid', { reason }) }], en: [{ path, message: t('en', 'error.schemaInvalid', { reason }) }] };
  }
}
