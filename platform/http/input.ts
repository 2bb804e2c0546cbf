import type Koa from 'koa';
import { AppError } from '../errors';

/**
 * Decoding of request input that is not a JSON body field: query parameters, percent-encoded headers and the
 * path. Every route reads them through here (or after `inputGuard` checked them), so broken percent-encoding,
 * NUL characters (PostgreSQL stores neither in text nor JSON), absurd nesting and out-of-range numbers are a
 * 400 naming the parameter instead of an error deep in a query.
 */

/** Deepest JSON value accepted in a body or a filter (deeper input only serves to exhaust the stack). */
export const MAX_JSON_DEPTH = 64;

/** JSON pointer segment (RFC 6901). */
const seg = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

const bad = (status: number, key: string, path: string, params: Record<string, unknown> = {}) =>
  new AppError(status, status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', key, params, [{ path, messageKey: key, params }]);

/** Strict percent-decoding (`+` is a space only in query strings); a broken sequence or a NUL is a 400 at `path`. */
export function decodeText(raw: string, path: string, param: string, plusIsSpace = false): string {
  let text: string;
  try {
    text = decodeURIComponent(plusIsSpace ? raw.replace(/\+/g, ' ') : raw);
  } catch {
    throw bad(400, 'error.badEncoding', path, { param });
  }
  if (text.includes('\0')) throw bad(400, 'error.nulCharacter', path, { param });
  return text;
}

/** A percent-encoded UTF-8 header (`X-Change-Reason`, `X-File-Name`), decoded; undefined when absent. */
export function headerText(ctx: Koa.Context, name: string, max = 500): string | undefined {
  const raw = ctx.get(name);
  if (!raw) return undefined;
  return decodeText(raw, `/headers/${name.toLowerCase()}`, name).slice(0, max);
}

/** A non-negative integer query parameter within [min, max] (defaults fit PostgreSQL bigint and JS numbers). */
export function queryInt(q: Record<string, unknown>, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const n = typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw bad(400, 'error.badInteger', `/${seg(name)}`, { param: name, min, max });
  return n;
}

/** Rejects NUL characters (in keys and strings) and nesting deeper than MAX_JSON_DEPTH in parsed JSON. */
export function checkJson(value: unknown, base = ''): void {
  // Iterative, so the check itself cannot exhaust the stack.
  const stack: [unknown, string, number][] = [[value, base, 0]];
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) throw bad(400, 'error.nulCharacter', path || '/', { param: path.slice(1) || '/' });
    } else if (v && typeof v === 'object') {
      if (depth >= MAX_JSON_DEPTH) throw bad(400, 'error.tooDeep', path || '/', { max: MAX_JSON_DEPTH });
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\0')) throw bad(400, 'error.nulCharacter', path || '/', { param: path.slice(1) || '/' });
        stack.push([child, `${path}/${seg(k)}`, depth + 1]);
      }
    }
  }
}

/** JSON from a query parameter (`filter`): malformed → `badKey`, too deep or with NUL → 400 at `/name`. */
export function queryJson(raw: string, name: string, badKey: string, code = 'BAD_REQUEST'): unknown {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new AppError(400, code, badKey, {}, [{ path: `/${seg(name)}`, messageKey: badKey }]);
  }
  checkJson(v, `/${seg(name)}`);
  return v;
}

/**
 * Checks the path and every query parameter of each request before any route sees it: a path that does not
 * decode (or holds a NUL) names nothing that exists (404); a query parameter that does not is a 400 naming it.
 * `ctx.query` (Node's lenient decoder) then yields exactly the strictly decoded values.
 */
export function inputGuard(): Koa.Middleware {
  return (ctx, next) => {
    const p = ctx.path;
    if (p.includes('%')) decodePath(p);
    const qs = ctx.querystring;
    if (qs && (qs.includes('%') || qs.includes('+'))) {
      for (const pair of qs.split('&')) {
        const eq = pair.indexOf('=');
        const rawKey = eq < 0 ? pair : pair.slice(0, eq);
        let key: string;
        try {
          key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
        } catch {
          key = rawKey;
        }
        key = key.replace(/\0/g, '');
        decodeText(rawKey, `/${seg(key)}`, key, true);
        if (eq >= 0) decodeText(pair.slice(eq + 1), `/${seg(key)}`, key, true);
      }
    }
    return next();
  };
}

/** The decoded path; a broken one is a 404 (no resource has that name). */
export function decodePath(p: string): string {
  try {
    return decodeText(p, '/path', 'path');
  } catch {
    throw bad(404, 'error.badPath', '/path');
  }
}
