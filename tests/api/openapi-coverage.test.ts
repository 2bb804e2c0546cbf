import { validateOpenApi } from '../support/openapi';
import { startTestServer, type TestServer } from '../support/app';
import { mountedRoutes } from '../../platform/http/app';
import { openapiPath } from '../../platform/http/route-docs';

/**
 * OpenAPI describes every route: each route mounted on the running app's routers (platform, inbox, admin,
 * files, plugins) has a description in a routes.docs table, appears in /api/openapi.json with a response schema,
 * and declares its scope. Adding a route without describing it fails here.
 */
let t: TestServer;
let doc: any;

beforeAll(async () => {
  t = await startTestServer({ plugins: ['qc-gating', 'storage-slots', 'consumption-ledger', 'print'] });
  doc = (await t.api('GET', '/api/openapi.json')).body;
});
afterAll(() => t?.stop());

const ops = () => Object.entries(doc.paths).flatMap(([p, byMethod]: [string, any]) => Object.entries(byMethod).map(([m, op]: [string, any]) => ({ path: p, method: m, op })));

test('every mounted route has a description and an operation in OpenAPI', () => {
  const mounted = mountedRoutes(t.server.services);
  expect(mounted.length).toBeGreaterThan(60);
  const described = new Set(t.server.services.routeDocs.map((d) => `${d.method} ${d.path}`));
  const inOpenapi = new Set(ops().map((o) => `${o.method} ${o.op['x-route']}`));
  const undescribed = mounted.map((r) => `${r.method} ${r.path}`).filter((k) => !described.has(k));
  expect(undescribed).toEqual([]);
  // Per-entity routes appear once per entity; a route whose entity has no action (e.g. actions) still needs one entity with it.
  const missing = mounted.map((r) => `${r.method} ${r.path}`).filter((k) => !inOpenapi.has(k));
  expect(missing).toEqual([]);
  // And nothing is described that is not mounted (a stale table).
  const mountedSet = new Set(mounted.map((r) => `${r.method} ${r.path}`));
  expect([...described].filter((k) => !mountedSet.has(k))).toEqual([]);
});

test('every operation declares scope, permission, summary and a 2xx answer with a schema or a media type; path parameters match', () => {
  const problems: string[] = [];
  for (const { path, method, op } of ops()) {
    const where = `${method} ${path}`;
    if (!['global', 'self', 'record', 'admin'].includes(op['x-scope'])) problems.push(`${where}: x-scope`);
    if (!op['x-permission']) problems.push(`${where}: x-permission`);
    if (!op.summary) problems.push(`${where}: summary`);
    const ok = Object.entries(op.responses).find(([c]) => /^2/.test(c))?.[1] as any;
    const content = ok?.content && (Object.values(ok.content)[0] as any);
    if (!content?.schema) problems.push(`${where}: 2xx schema`);
    const declared = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name).sort();
    const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    if (JSON.stringify(declared) !== JSON.stringify(inPath)) problems.push(`${where}: path parameters ${declared} vs ${inPath}`);
    if (['post', 'put', 'patch'].includes(method) && !op.requestBody && !/\/(logout|read-all|read)$/.test(path)) problems.push(`${where}: request body`);
  }
  expect(problems).toEqual([]);
  // Inbox, files, admin and plugin routes are all there, with schemas.
  expect(doc.paths['/api/v1/inbox/tasks/{id}/act'].post.requestBody.content['application/json'].schema.required).toEqual(['action']);
  expect(doc.paths['/api/v1/files/{id}'].get['x-scope']).toBe('record');
  expect(doc.paths['/api/v1/admin/users'].post['x-permission']).toMatch(/users:admin/);
  expect(doc.paths['/api/v1/storage/containers/{id}/map'].get.parameters[0].schema['x-ref']).toBe('container');
  expect(doc.paths['/api/v1/data/customer/{id}/restore'].post['x-route']).toBe('/api/v1/data/:entity/:id/restore');
});

test('the document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', () => {
  const r = validateOpenApi(doc);
  expect(r.errors).toBeUndefined();
  expect(r).toMatchObject({ valid: true, version: '3.1' });
  expect(new Set(ops().map((o) => o.op.operationId)).size).toBe(ops().length);
});

test('openapiPath turns koa parameters into OpenAPI ones', () => {
  expect(openapiPath('/api/v1/cellbank/vials/:id/label.:fmt')).toEqual({ path: '/api/v1/cellbank/vials/{id}/label.{fmt}', params: ['id', 'fmt'] });
});
