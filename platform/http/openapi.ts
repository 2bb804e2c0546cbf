import type { Model } from '../metadata/model';
import { inputSchema } from '../records/validate';
import { OPERATORS } from '../records/filter';
import type { HookRegistry } from '../records/hooks';

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

/** OpenAPI 3.1 from the effective metadata: regenerated once per metadata version, so it is always current. */
export function openapiDocument(model: Model, version: string, hooks: HookRegistry): object {
  const paths: Record<string, any> = {};
  const schemas: Record<string, any> = {
    Error: {
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
    },
  };
  const err = (d: string) => ({ description: d, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  const listParams = [
    { name: 'filter', in: 'query', schema: { type: 'string' }, description: `JSON filter; operators: ${OPERATORS.join(', ')}; and/or/not; ref.field one level deep` },
    { name: 'sort', in: 'query', schema: { type: 'string' }, description: 'comma list, "-" for descending' },
    { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
    { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
    { name: 'after', in: 'query', schema: { type: 'string' }, description: 'keyset cursor from page.nextCursor' },
    { name: 'fields', in: 'query', schema: { type: 'string' } },
    { name: 'expand', in: 'query', schema: { type: 'string' } },
    { name: 'count', in: 'query', schema: { type: 'boolean' } },
  ];
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
  for (const e of model.entities.values()) {
    const input = clean(inputSchema(e));
    const name = e.name[0].toUpperCase() + e.name.slice(1);
    schemas[`${name}Input`] = input;
    schemas[name] = { type: 'object', properties: { ...SYSTEM_PROPS, ...clean(e.schema.properties) } };
    const ref = { $ref: `#/components/schemas/${name}` };
    const one = { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { data: ref } } } } };
    const tag = [e.name];
    paths[`/api/v1/data/${e.name}`] = {
      get: {
        tags: tag, summary: `List ${e.schema['x-label']?.en ?? e.name}`, operationId: `list${name}`, parameters: listParams,
        responses: {
          200: { description: 'A page', content: { 'application/json': { schema: { type: 'object', properties: { data: { type: 'array', items: ref }, page: { type: 'object' } } } } } },
          400: err('Bad filter, sort or page'), 401: err('Not logged in'), 403: err('Forbidden'),
        },
      },
      post: {
        tags: tag, summary: `Create ${e.schema['x-label']?.en ?? e.name}`, operationId: `create${name}`,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}Input` } } } },
        responses: { 201: one, 400: err('Validation failed'), 401: err('Not logged in'), 403: err('Forbidden'), 422: err('Refused by a rule') },
      },
    };
    paths[`/api/v1/data/${e.name}/{id}`] = {
      get: { tags: tag, operationId: `get${name}`, parameters: [idParam], responses: { 200: one, 404: err('Not found') } },
      patch: {
        tags: tag, operationId: `update${name}`, parameters: [idParam],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['version'], properties: { version: { type: 'integer' }, ...input.properties } } } } },
        responses: { 200: one, 400: err('Validation failed'), 404: err('Not found'), 409: err('Version conflict') },
      },
      delete: {
        tags: tag, operationId: `delete${name}`, parameters: [idParam, { name: 'version', in: 'query', schema: { type: 'integer' } }],
        responses: { 200: one, 404: err('Not found'), 409: err('Version conflict') },
      },
    };
    paths[`/api/v1/data/${e.name}/{id}/history`] = {
      get: { tags: tag, operationId: `history${name}`, parameters: [idParam], responses: { 200: { description: 'Audit entries of the record' } } },
    };
    paths[`/api/v1/data/${e.name}/export`] = {
      get: { tags: tag, operationId: `export${name}`, parameters: [...listParams, { name: 'format', in: 'query', schema: { enum: ['xlsx', 'csv'] } }], responses: { 200: { description: 'Streamed file' } } },
    };
    paths[`/api/v1/data/${e.name}/import`] = {
      post: {
        tags: tag, operationId: `import${name}`,
        parameters: [{ name: 'format', in: 'query', schema: { enum: ['xlsx', 'csv'] } }, { name: 'mode', in: 'query', schema: { enum: ['all', 'partial'] } }],
        requestBody: { content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
        responses: { 200: { description: 'Imported count and per-row errors' } },
      },
    };
    for (const a of hooks.actionsOf(e.name)) {
      const def = hooks.getAction(e.name, a)!;
      paths[`/api/v1/data/${e.name}/{id}/actions/${a}`] = {
        post: {
          tags: tag, operationId: `${a}${name}`, summary: def.label?.en ?? a, parameters: [idParam],
          requestBody: { content: { 'application/json': { schema: def.input ?? { type: 'object' } } } },
          responses: { 200: one, 403: err('Forbidden'), 422: err('Refused') },
        },
      };
    }
  }
  paths['/api/health'] = { get: { operationId: 'health', security: [], responses: { 200: { description: 'Health' } } } };
  paths['/api/v1/auth/login'] = {
    post: {
      operationId: 'login', security: [],
      requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string' }, password: { type: 'string' } } } } } },
      responses: { 200: { description: 'Token and user' }, 401: err('Wrong username or password') },
    },
  };
  paths['/api/v1/meta'] = { get: { operationId: 'meta', responses: { 200: { description: 'Effective metadata' } } } };
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
