import { obj, str, type RouteDoc } from '../route-docs';

/** The routes outside /api/v1 (platform/http/app.ts). */
const docs: RouteDoc[] = [
  {
    method: 'get', path: '/api/health', id: 'health', tag: 'platform', summary: 'Server and database health', scope: 'global', permission: 'none', public: true,
    response: obj({ status: { const: 'ok' }, database: { enum: ['postgres', 'pglite'] }, version: str }, ['status', 'database', 'version']),
  },
  {
    method: 'get', path: '/api/ready', id: 'ready', tag: 'platform', summary: 'Readiness: 200 when the database answers within 2 s and metadata is loaded, else 503', scope: 'global', permission: 'none', public: true,
    response: obj({ status: { enum: ['ready', 'not-ready'] }, checks: { type: 'object' } }, ['status', 'checks']),
  },
  {
    method: 'get', path: '/api/metrics', id: 'metrics', tag: 'platform', summary: 'Prometheus metrics (bearer METRICS_TOKEN when set)', scope: 'global', permission: 'none', public: true, responseType: 'text/plain',
  },
  {
    method: 'get', path: '/api/openapi.json', id: 'openapi', tag: 'platform', summary: 'This OpenAPI 3.1 document, generated from the metadata', scope: 'global', permission: 'none', public: true,
    response: obj({ openapi: str, paths: { type: 'object' } }, ['openapi', 'paths']),
  },
  { method: 'get', path: '/api/docs', id: 'apiReference', tag: 'platform', summary: 'Browsable API reference page', scope: 'global', permission: 'none', public: true, responseType: 'text/html' },
  { method: 'get', path: '/api/docs.js', id: 'apiReferenceScript', tag: 'platform', summary: 'Script of the API reference page', scope: 'global', permission: 'none', public: true, responseType: 'application/javascript' },
];
export default docs;
