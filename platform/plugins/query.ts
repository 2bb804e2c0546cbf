import { createAjv, localizeErrors } from '../metadata/ajv';
import { ValidationError } from '../errors';

const ajv = createAjv({ coerceTypes: true, useDefaults: true });
const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();

/**
 * A plugin route's query string, checked against JSON Schema properties (strings coerced to numbers and booleans):
 * an unknown, malformed or out-of-range parameter is a 400 naming it (`/store`) in the caller's language.
 * Pass the same `properties` object every time (a module constant): its validator is compiled once.
 */
export function readQuery<T = Record<string, any>>(query: Record<string, unknown>, properties: Record<string, object>, required: string[] = []): T {
  let v = compiled.get(properties);
  if (!v) {
    v = ajv.compile({ type: 'object', additionalProperties: false, properties, required });
    compiled.set(properties, v);
  }
  const copy: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(query)) copy[k] = Array.isArray(val) ? val[val.length - 1] : val === '' ? undefined : val;
  for (const k of Object.keys(copy)) if (copy[k] === undefined) delete copy[k];
  if (!v(copy)) throw new ValidationError(localizeErrors(v.errors));
  return copy as T;
}

const strict = createAjv({ useDefaults: true });
const compiledBodies = new WeakMap<object, ReturnType<typeof strict.compile>>();

/**
 * A plugin route's JSON body, checked against a JSON Schema (no coercion): a bad body is a 400 whose details name
 * each field by JSON pointer (`/readings/2/value`) in zh-CN and en. Pass a module constant: compiled once.
 */
export function readBody<T = Record<string, any>>(body: unknown, schema: object): T {
  let v = compiledBodies.get(schema);
  if (!v) {
    v = strict.compile(schema);
    compiledBodies.set(schema, v);
  }
  if (!v(body ?? {})) throw new ValidationError(localizeErrors(v.errors));
  return (body ?? {}) as T;
}
