/**
 * Request building from OpenAPI for the cross-lab matrix and the fuzz test: every operation of
 * /api/openapi.json, with its path, query and body filled from the schemas and with ids from a map of
 * `x-ref` targets (another lab's records, tasks, files…).
 */

export interface Operation {
  method: string;
  /** OpenAPI path: `/api/v1/data/customer/{id}`. */
  path: string;
  op: any;
  scope: 'global' | 'self' | 'record' | 'admin';
  /** The entity of a per-entity route (`/data/{entity}/…` expanded), if any. */
  entity?: string;
  key: string;
}

export function operations(doc: any): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, byMethod]: [string, any]) =>
    Object.entries(byMethod).map(([method, op]: [string, any]) => {
      const route: string = op['x-route'];
      let entity: string | undefined;
      const at = route.split('/').indexOf(':entity');
      if (at >= 0) entity = path.split('/')[at];
      return { method, path, op, scope: op['x-scope'], entity, key: `${method.toUpperCase()} ${path}` };
    }),
  );
}

/** Follows a local `$ref` (`#/components/schemas/X`). */
export function deref(doc: any, s: any): any {
  let cur = s;
  for (let i = 0; cur && cur.$ref && i < 5; i++) cur = cur.$ref.split('/').slice(1).reduce((o: any, k: string) => o?.[k], doc);
  return cur;
}

export type RefValue = (ref: string, entity?: string) => unknown;

/** A plausible value for a schema: example, enum, const, then by type; ids from `refs`. */
export function sample(doc: any, schema: any, refs: RefValue, entity?: string, depth = 0): unknown {
  const s = deref(doc, schema) ?? {};
  if (s['x-ref']) {
    const v = refs(s['x-ref'], entity);
    if (v !== undefined) return v;
  }
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type.find((x: string) => x !== 'null') : s.type;
  switch (type) {
    case 'integer':
      return s.minimum ?? 1;
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (s.format === 'date') return '2026-01-05';
      if (s.format === 'date-time') return '2026-01-05T10:00:00.000Z';
      return 'matrix'.slice(0, Math.max(s.maxLength ?? 6, 1));
    case 'array':
      return depth > 3 ? [] : [sample(doc, s.items ?? {}, refs, entity, depth + 1)];
    case 'object':
    case undefined:
      if (depth > 3 || !s.properties) return {};
      return body(doc, s, refs, entity, depth + 1);
    default:
      return null;
  }
}

/** A body with every required property and every id (`x-ref`) property filled. */
export function body(doc: any, schema: any, refs: RefValue, entity?: string, depth = 0): Record<string, unknown> {
  const s = deref(doc, schema) ?? {};
  const out: Record<string, unknown> = {};
  const required = new Set<string>(s.required ?? []);
  for (const [k, p] of Object.entries<any>(s.properties ?? {})) {
    const d = deref(doc, p) ?? {};
    const isRef = d['x-ref'] || deref(doc, d.items)?.['x-ref'];
    if (!required.has(k) && !isRef) continue;
    if (d.readOnly) continue;
    out[k] = sample(doc, d, refs, entity, depth);
  }
  return out;
}

export interface Built {
  url: string;
  body?: unknown;
  raw?: string;
  headers: Record<string, string>;
  /** Values put in for `x-ref`s: where, and what they point at. */
  refs: { where: string; ref: string; value: unknown }[];
}

/** The request for one operation: path parameters and `x-ref` query parameters and body properties from `refs`. */
export function build(doc: any, o: Operation, refs: RefValue): Built {
  const used: Built['refs'] = [];
  const track: RefValue = (ref, entity) => {
    const v = refs(ref, entity);
    return v;
  };
  let url = o.path;
  const query = new URLSearchParams();
  for (const p of o.op.parameters ?? []) {
    const s = p.schema ?? {};
    if (p.in === 'path') {
      const v = s['x-ref'] ? track(s['x-ref'], o.entity) : sample(doc, s, track, o.entity);
      if (s['x-ref']) used.push({ where: `path:${p.name}`, ref: s['x-ref'], value: v });
      url = url.replace(`{${p.name}}`, encodeURIComponent(String(v ?? 1)));
    } else if (p.in === 'query') {
      if (s['x-ref']) {
        const v = track(s['x-ref'], o.entity);
        if (v !== undefined) {
          used.push({ where: `query:${p.name}`, ref: s['x-ref'], value: v });
          query.set(p.name, String(v));
        }
      } else if (p.required || s.examples) query.set(p.name, String(sample(doc, s, track, o.entity)));
    }
  }
  const qs = query.toString();
  const built: Built = { url: url + (qs ? `?${qs}` : ''), headers: { 'X-Change-Reason': 'matrix' }, refs: used };
  const content = o.op.requestBody?.content ?? {};
  if (content['application/json']) {
    const schema = content['application/json'].schema;
    const b = body(doc, schema, track, o.entity);
    for (const [k, p] of Object.entries<any>(deref(doc, schema)?.properties ?? {})) {
      const r = deref(doc, p)?.['x-ref'] ?? deref(doc, deref(doc, p)?.items)?.['x-ref'];
      if (r && b[k] !== undefined) used.push({ where: `body:${k}`, ref: r, value: b[k] });
    }
    built.body = b;
  } else if (Object.keys(content).length) {
    built.raw = 'name\nmatrix\n';
    built.headers['Content-Type'] = Object.keys(content)[0];
  }
  return built;
}
