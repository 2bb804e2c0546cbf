// Client-side validation without `eval`: the server's CSP (script-src 'self') forbids the code ajv
// generates, so RJSF's ajv8 validator gets an Ajv subclass whose compiled functions interpret the
// schema with @cfworker/json-schema and report ajv-shaped errors (RJSF maps them onto fields).
import Ajv, { type ErrorObject, type Options } from 'ajv';
import { Validator, type OutputUnit } from '@cfworker/json-schema';
import { customizeValidator } from '@rjsf/validator-ajv8';
import i18n from '../i18n';
import type { Meta } from '../meta';

type Json = Record<string, unknown>;
interface InterpretedFn {
  (data: unknown): boolean;
  errors: ErrorObject[] | null;
  schema: unknown;
}

const WRAPPERS = new Set(['allOf', 'anyOf', 'oneOf', 'if', 'then', 'else', 'properties', 'items', 'prefixItems', '$ref', 'not', 'dependentSchemas', 'patternProperties']);

function at(schema: unknown, pointer: string): unknown {
  let cur = schema;
  for (const raw of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    cur = cur && typeof cur === 'object' ? (cur as Json)[seg] : undefined;
  }
  return cur;
}

function message(keyword: string, p: Json, fallback: string): string {
  const key = `validation.${keyword}`;
  return i18n.exists(key) ? i18n.t(key, p) : fallback;
}

function toAjvErrors(units: OutputUnit[], schema: unknown): ErrorObject[] {
  const out: ErrorObject[] = [];
  for (const u of units) {
    if (WRAPPERS.has(u.keyword)) continue;
    const value = at(schema, u.keywordLocation);
    const instancePath = u.instanceLocation.replace(/^#/, '');
    const params: Json = {};
    if (u.keyword === 'required') params.missingProperty = /"([^"]+)"/.exec(u.error)?.[1] ?? '';
    else if (u.keyword === 'type') params.type = value;
    else if (u.keyword === 'enum') params.allowedValues = value;
    else if (u.keyword === 'const') params.allowedValue = value;
    else if (u.keyword === 'format') params.format = value;
    else if (u.keyword === 'pattern') params.pattern = value;
    else params.limit = value;
    const parentPointer = u.keywordLocation.replace(/\/[^/]*$/, '');
    out.push({
      instancePath,
      schemaPath: u.keywordLocation,
      keyword: u.keyword,
      params,
      message: message(u.keyword, params, u.error),
      parentSchema: at(schema, parentPointer) as ErrorObject['parentSchema'],
    });
  }
  return out;
}

class InterpretingAjv extends Ajv {
  private fns = new WeakMap<object, InterpretedFn>();

  override compile<T = unknown>(schema: unknown): any {
    const key = schema as object;
    const hit = this.fns.get(key);
    if (hit) return hit;
    const v = new Validator(schema as Json, '2019-09', false);
    const fn = ((data: unknown) => {
      const r = v.validate(data);
      fn.errors = r.valid ? null : toAjvErrors(r.errors, schema);
      return r.valid;
    }) as InterpretedFn;
    fn.errors = null;
    fn.schema = schema;
    this.fns.set(key, fn);
    return fn as unknown as T;
  }

  override getSchema(keyRef: string): any {
    const self = this as unknown as { schemas: Record<string, { schema: unknown } | undefined>; refs: Record<string, unknown> };
    const env = self.schemas[keyRef] ?? self.refs[keyRef];
    if (!env) return undefined;
    const schema = typeof env === 'object' && env !== null && 'schema' in env ? (env as { schema: unknown }).schema : env;
    return this.compile(schema);
  }
}

function collectXKeywords(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => collectXKeywords(n, out));
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node as Json)) {
    if (k.startsWith('x-')) out.add(k);
    else collectXKeywords(v, out);
  }
}

let cached: { meta: Meta; v: ReturnType<typeof customizeValidator> } | null = null;

/** One validator per metadata version; every `x-` keyword is registered as an annotation. */
export function validatorFor(meta: Meta) {
  if (cached?.meta === meta) return cached.v;
  const keywords = new Set<string>(['x-label', 'x-dictionary', 'x-ref', 'x-type', 'x-enum-labels', 'x-title']);
  collectXKeywords(meta.entities, keywords);
  const options: Options = { keywords: [...keywords], validateSchema: false, strict: false };
  const v = customizeValidator({ AjvClass: InterpretingAjv as unknown as typeof Ajv, ajvOptionsOverrides: options, ajvFormatOptions: false });
  cached = { meta, v };
  return v;
}
