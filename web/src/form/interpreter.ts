// Client-side validation without `eval`: the server's CSP (script-src 'self') forbids the code ajv
// generates, so RJSF's ajv8 validator gets an Ajv subclass whose compiled functions interpret the
// schema with @cfworker/json-schema and report ajv-shaped errors (RJSF maps them onto fields).
// Draft, annotation keywords and formats come from the platform's shared dialect, so the browser
// accepts exactly what the server accepts. No i18n or DOM here: node tests import this file.
import Ajv, { type ErrorObject, type Options } from 'ajv';
import { Validator, format, type OutputUnit } from '@cfworker/json-schema';
import { ANNOTATIONS, FORMATS, SCHEMA_DRAFT } from '../../../platform/metadata/json-schema-dialect';

type Json = Record<string, unknown>;
/** A message for a failed keyword, or the validator's own (English) text. */
export type MessageFn = (keyword: string, params: Json, fallback: string) => string;
interface InterpretedFn {
  (data: unknown): boolean;
  errors: ErrorObject[] | null;
  schema: unknown;
}

// The server's format predicates replace @cfworker's own (the date, email and uri rules differ slightly).
Object.assign(format, FORMATS);

const WRAPPERS = new Set(['allOf', 'anyOf', 'oneOf', 'if', 'then', 'else', 'properties', 'items', 'prefixItems', '$ref', 'not', 'dependentSchemas', 'patternProperties']);

function at(schema: unknown, pointer: string): unknown {
  let cur = schema;
  for (const raw of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    cur = cur && typeof cur === 'object' ? (cur as Json)[seg] : undefined;
  }
  return cur;
}

function toAjvErrors(units: OutputUnit[], schema: unknown, message: MessageFn): ErrorObject[] {
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

/** An Ajv class (for RJSF's customizeValidator) whose validators interpret the schema in the shared draft. */
export function interpretingAjv(message: MessageFn = (_k, _p, fallback) => fallback): typeof Ajv {
  class InterpretingAjv extends Ajv {
    private fns = new WeakMap<object, InterpretedFn>();

    override compile<T = unknown>(schema: unknown): any {
      const key = schema as object;
      const hit = this.fns.get(key);
      if (hit) return hit;
      const v = new Validator(schema as Json, SCHEMA_DRAFT, false);
      const fn = ((data: unknown) => {
        const r = v.validate(data);
        fn.errors = r.valid ? null : toAjvErrors(r.errors, schema, message);
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
  return InterpretingAjv as unknown as typeof Ajv;
}

function collectXKeywords(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => collectXKeywords(n, out));
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node as Json)) {
    if (k.startsWith('x-')) out.add(k);
    else collectXKeywords(v, out);
  }
}

/** ajv options of the browser's validator: the platform's annotation keywords plus any `x-` keyword in the schemas. */
export function webAjvOptions(entities: unknown): Options {
  const keywords = new Set<string>(ANNOTATIONS);
  collectXKeywords(entities, keywords);
  return { keywords: [...keywords], validateSchema: false, strict: false };
}
