import type { Model } from '../metadata/model';
import { inputSchema } from '../records/validate';
import type { HookRegistry } from '../records/hooks';
import { openapiPath, type RouteDoc, type SchemaOrToken } from './route-docs';

const SYSTEM_PROPS = {
  id: { type: 'integer', readOnly: true },
  version: { type: 'integer', description: 'Optimistic lock; send it back with PATCH' },
  createdAt: { type: 'string', format: 'date-time', readOnly: true },
  createdBy: { type: ['integer', 'null'], readOnly: true },
  updatedAt: { type: 'string', format: 'date-time', readOnly: true },
  updatedBy: { type: ['integer', 'null'], readOnly: true },
  orgId: { type: ['integer', 'null'], readOnly: true },
  labId: { type: ['integer', 'null'], readOnly: true },
};

/** Strips our x- annotations' non-standard bits that OpenAPI tools choke on, keeping x- extensions (allowed in 3.1). */
function clean(s: any): any {
  return JSON.parse(JSON.stringify(s));
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        requestId: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
};
const err = (d: string) => ({ description: d, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const ERRORS: Record<string, Record<number, string>> = {
  get: { 400: 'Bad parameter', 401: 'Not logged in', 403: 'Forbidden', 404: 'Not found' },
  post: { 400: 'Validation failed', 401: 'Not logged in', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 422: 'Refused by a rule' },
  put: { 400: 'Validation failed', 401: 'Not logged in', 403: 'Forbidden', 404: 'Not found' },
  patch: { 400: 'Validation failed', 401: 'Not logged in', 403: 'Forbidden', 404: 'Not found', 409: 'Version conflict', 422: 'Refused by a rule' },
  delete: { 401: 'Not logged in', 403: 'Forbidden', 404: 'Not found', 409: 'Version conflict' },
};

const cap = (n: string) => n[0].toUpperCase() + n.slice(1);

/**
 * OpenAPI 3.1 from the effective metadata and the route descriptions (route-docs.ts): regenerated once per
 * metadata version, so it is always current. A route with `:entity` becomes one path per entity (and `:action`
 * one per action of it). Each operation carries `x-route` (the mounted path), `x-scope` and `x-permission`.
 */
export function openapiDocument(model: Model, version: string, hooks: HookRegistry, docs: RouteDoc[]): object {
  const paths: Record<string, any> = {};
  const schemas: Record<string, any> = { Error: ERROR_SCHEMA };
  const entityIds = new Map<string, { input: any; name: string; label: string }>();
  for (const e of model.entities.values()) {
    const input = clean(inputSchema(e));
    const name = cap(e.name);
    schemas[`${name}Input`] = input;
    schemas[name] = { type: 'object', properties: { ...SYSTEM_PROPS, ...clean(e.schema.properties) } };
    entityIds.set(e.name, { input, name, label: e.schema['x-label']?.en ?? e.name });
  }
  const resolve = (s: SchemaOrToken | undefined, entity?: string, action?: string): any => {
    if (s === undefined || typeof s === 'object') return s;
    const en = entityIds.get(entity!)!;
    const ref = { $ref: `#/components/schemas/${en.name}` };
    switch (s) {
      case '$entity':
        return { type: 'object', properties: { data: ref } };
      case '$entityPage':
        return { type: 'object', properties: { data: { type: 'array', items: ref }, page: { type: 'object' } } };
      case '$entityInput':
        return { $ref: `#/components/schemas/${en.name}Input` };
      case '$entityPatch':
        return { type: 'object', required: ['version'], properties: { version: { type: 'integer' }, ...en.input.properties } };
      case '$actionInput':
        return clean(hooks.getAction(entity!, action!)?.input ?? { type: 'object' });
    }
  };
  const emit = (d: RouteDoc, entity?: string, action?: string) => {
    const { path, params } = openapiPath(d.path);
    const concrete = path.replace('{entity}', entity ?? '{entity}').replace('{action}', action ?? '{action}');
    const en = entity ? entityIds.get(entity) : undefined;
    const fill = (t: string) => t.replace('$entity', entity ?? '').replace('$action', action ?? '');
    const label = action ? (hooks.getAction(entity!, action)?.label?.en ?? action) : undefined;
    const parameters = [
      ...params.filter((p) => !(p === 'entity' && entity) && !(p === 'action' && action)).map((p) => ({ name: p, in: 'path', required: true, schema: d.params?.[p] ?? { type: 'string' } })),
      ...(d.query ?? []).map((q) => ({ name: q.name, in: 'query', ...(q.required ? { required: true } : {}), ...(q.description ? { description: q.description } : {}), schema: q.schema ?? { type: 'string' } })),
    ];
    const body = resolve(d.body, entity, action);
    const response = resolve(d.response, entity, action);
    const ok = {
      description: 'OK',
      ...(response ? { content: { 'application/json': { schema: response } } } : d.responseType ? { content: { [d.responseType]: { schema: { type: 'string' } } } } : {}),
    };
    const op: Record<string, unknown> = {
      tags: [d.tag === '$entity' ? entity : d.tag],
      summary: d.summary === '$action' ? label : en ? `${d.summary}: ${en.label}` : d.summary,
      operationId: d.id === '$action' ? `${action}${en!.name}` : en ? `${d.id}${en.name}` : d.id,
      ...(parameters.length ? { parameters } : {}),
      ...(body ? { requestBody: { required: d.method !== 'delete', content: { 'application/json': { schema: body } } } } : d.bodyType ? { requestBody: { content: { [d.bodyType]: { schema: { type: 'string', contentMediaType: d.bodyType } } } } } : {}),
      responses: { [d.status ?? 200]: ok, ...Object.fromEntries(Object.entries(ERRORS[d.method]).filter(([c]) => !(d.public && c === '401')).map(([c, t]) => [c, err(t)])) },
      ...(d.public ? { security: [] } : {}),
      'x-route': d.path,
      'x-scope': d.scope,
      'x-permission': fill(d.permission.replace('<entity>', entity ?? '<entity>').replace('<action>', action ?? '<action>')),
    };
    (paths[concrete] ??= {})[d.method] = op;
  };
  for (const d of docs) {
    if (!d.path.includes(':entity')) emit(d);
    else
      for (const e of model.entities.values()) {
        if (d.path.includes(':action')) for (const a of hooks.actionsOf(e.name)) emit(d, e.name, a);
        else emit(d, e.name);
      }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'CellTrace API', version, description: `Generated from metadata version ${model.version}` },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, cookie: { type: 'apiKey', in: 'cookie', name: 'ct_session' } },
    },
  };
}

/** A small self-contained reference page (no CDN: labs' servers are often offline). */
export function apiReferencePage(): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>CellTrace API</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}h2{border-bottom:1px solid #ddd}code{background:#f4f4f4;padding:2px 4px}
.op{margin:.3em 0}.m{display:inline-block;width:5em;font-weight:bold}.get{color:#1677ff}.post{color:#389e0d}.patch{color:#d48806}.delete{color:#cf1322}
details{margin:.2em 0 .6em 5em}pre{background:#f7f7f7;padding:.5em;overflow:auto;max-height:30em}</style></head>
<body><h1>CellTrace API</h1><p>OpenAPI 3.1: <a href="/api/openapi.json">/api/openapi.json</a>. Filter language: see docs/api.md.</p><div id="out">…</div>
<script src="/api/docs.js"></script></body></html>`;
}

export const apiReferenceScript = `fetch('/api/openapi.json').then(r=>r.json()).then(doc=>{const out=document.getElementById('out');out.textContent='';
const byTag={};for(const [p,ops] of Object.entries(doc.paths))for(const [m,op] of Object.entries(ops)){const t=(op.tags||['platform'])[0];(byTag[t]=byTag[t]||[]).push([m,p,op]);}
for(const [t,list] of Object.entries(byTag)){const h=document.createElement('h2');h.textContent=t;out.appendChild(h);
for(const [m,p,op] of list){const d=document.createElement('div');d.className='op';const s=document.createElement('span');s.className='m '+m;s.textContent=m.toUpperCase();
const c=document.createElement('code');c.textContent=p;d.append(s,c,' '+(op.summary||''));out.appendChild(d);
const det=document.createElement('details');const sum=document.createElement('summary');sum.textContent='schema';const pre=document.createElement('pre');
pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody},null,1);det.append(sum,pre);out.appendChild(det);}}});`;
