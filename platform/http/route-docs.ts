import fs from 'node:fs';
import path from 'node:path';

/**
 * Route descriptions: every route mounted on the app declares, in a `*.docs.ts` table beside its module, what
 * OpenAPI says of it and whose data it touches. `tests/api/openapi-coverage.test.ts` fails when a mounted
 * route has no description; `tests/api/isolation-matrix.test.ts` calls every described route across labs.
 *
 * Plugins describe theirs in `plugins/<name>/routes.docs.ts` (a plain default-exported array, no imports needed).
 */

/**
 * Whose data a route touches, so the cross-lab matrix knows what to expect:
 * - `global`: nothing of any lab (health, login, the API description, registered strategies, the org tree);
 * - `self`: the caller's own things only (profile, password, inbox of the caller);
 * - `record`: records of the caller's labs, under the role's permission and row scope;
 * - `admin`: needs a system permission (users:admin, audit:read…); everybody else gets 403.
 */
export type RouteScope = 'global' | 'self' | 'record' | 'admin';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * A JSON Schema, or one of the per-entity placeholders (expanded for each entity when the path has `:entity`):
 * `$entity` one record, `$entityPage` a list page, `$entityInput` a create body, `$entityPatch` an update body,
 * `$actionInput` the input of the action in `:action`.
 */
export type SchemaOrToken = Record<string, unknown> | '$entity' | '$entityPage' | '$entityInput' | '$entityPatch' | '$actionInput';

export interface ParamDoc {
  name: string;
  schema?: Record<string, unknown>;
  description?: string;
  required?: boolean;
}

export interface RouteDoc {
  method: HttpMethod;
  /** As mounted, in @koa/router syntax, prefix included: `/api/v1/inbox/tasks/:id`. */
  path: string;
  /** Short operation name, unique per path (the entity name is appended for per-entity routes). */
  id: string;
  summary: string;
  tag: string;
  scope: RouteScope;
  /**
   * What the caller needs, in words a reviewer can check against the handler: `none` (public), `authenticated`,
   * `read <entity>`, `create <entity>`, a system permission (`users:admin`), or `assignee`/`involved` for inbox items.
   */
  permission: string;
  /**
   * Path parameters by name. `x-ref` names what an id points at: an entity (`container`), `$entity` (the entity in
   * the path) or one of `task`, `workflowInstance`, `notification`, `file`, `user`, `org`, `token`, `reservation`.
   */
  params?: Record<string, Record<string, unknown>>;
  query?: ParamDoc[];
  /** JSON body; `x-ref` on a property marks an id of that entity (the matrix puts another lab's id there). */
  body?: SchemaOrToken;
  /** Another body type than JSON (file upload, import). */
  bodyType?: string;
  /** The 2xx answer: JSON schema, or a media type for files and pages. */
  response?: SchemaOrToken;
  responseType?: string;
  status?: number;
  /** Answers without a session (login, health). */
  public?: boolean;
  /** Ends or replaces the caller's session (logout, password change): callers use a throwaway session. */
  endsSession?: boolean;
}

/** A `{data: …}` envelope, the shape of nearly every answer. */
export const data = (schema: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  required: ['data'],
  properties: { data: schema, ...extra },
});
export const page = { type: 'object', properties: { limit: { type: 'integer' }, offset: { type: 'integer' }, more: { type: 'boolean' } } };
export const obj = (properties: Record<string, unknown> = {}, required: string[] = []) => ({ type: 'object', properties, ...(required.length ? { required } : {}) });
export const arr = (items: Record<string, unknown> = { type: 'object' }) => ({ type: 'array', items });
export const int = { type: 'integer' };
export const str = { type: 'string' };
export const bool = { type: 'boolean' };
export const idParam = (ref: string) => ({ type: 'integer', minimum: 1, 'x-ref': ref });
export const paging: ParamDoc[] = [
  { name: 'limit', schema: { type: 'integer', minimum: 1 } },
  { name: 'offset', schema: { type: 'integer', minimum: 0 } },
];

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);
const SCOPES = new Set(['global', 'self', 'record', 'admin']);

/** Checks a table at load: a malformed description fails the start (and the coverage test), not a client. */
export function checkRouteDocs(docs: unknown, source: string): RouteDoc[] {
  if (!Array.isArray(docs)) throw new Error(`${source}: route descriptions must be an array`);
  for (const d of docs as RouteDoc[]) {
    const where = `${source}: ${d?.method} ${d?.path}`;
    if (!d || !METHODS.has(d.method) || typeof d.path !== 'string' || !d.path.startsWith('/api/')) throw new Error(`${where}: method and /api/ path required`);
    for (const k of ['id', 'summary', 'tag', 'permission'] as const) if (typeof d[k] !== 'string' || !d[k]) throw new Error(`${where}: ${k} required`);
    if (!SCOPES.has(d.scope)) throw new Error(`${where}: scope must be one of ${[...SCOPES].join(', ')}`);
  }
  return docs as RouteDoc[];
}

/** `/a/:id/label.:fmt` → `/a/{id}/label.{fmt}`; the names of its parameters. */
export function openapiPath(koaPath: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = koaPath.replace(/:(\w+)/g, (_m, n: string) => {
    params.push(n);
    return `{${n}}`;
  });
  return { path, params };
}

/** Every route description of the platform (plugins add theirs at start-up from `routes.docs.ts`). */
export function platformRouteDocs(): RouteDoc[] {
  // Required lazily: the tables import the helpers above.
  const tables: [string, unknown][] = [
    ['platform/http/routes/platform.docs', require('./routes/platform.docs').default],
    ['platform/http/routes/auth.docs', require('./routes/auth.docs').default],
    ['platform/http/routes/meta.docs', require('./routes/meta.docs').default],
    ['platform/http/routes/data.docs', require('./routes/data.docs').default],
    ['platform/http/routes/files.docs', require('./routes/files.docs').default],
    ['platform/http/routes/numbering.docs', require('./routes/numbering.docs').default],
    ['platform/http/routes/people.docs', require('./routes/people.docs').default],
    ['platform/auth/admin-routes.docs', require('../auth/admin-routes.docs').default],
    ['platform/audit/log-routes.docs', require('../audit/log-routes.docs').default],
    ['platform/workflow/routes.docs', require('../workflow/routes.docs').default],
    ['platform/webhooks/routes.docs', require('../webhooks/routes.docs').default],
    ['platform/import/routes.docs', require('../import/routes.docs').default],
    ['platform/trace/routes.docs', require('../trace/routes.docs').default],
    ['platform/dashboards/routes.docs', require('../dashboards/routes.docs').default],
  ];
  return tables.flatMap(([src, t]) => checkRouteDocs(t, src));
}

/** A plugin's `routes.docs.ts` (or compiled `.js`) beside its routes, when it has one. */
export function pluginRouteDocs(dir: string): RouteDoc[] {
  const file = ['routes.docs.ts', 'routes.docs.js'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!file) return [];
  const mod = require(file);
  return checkRouteDocs(mod.default ?? mod, path.relative(process.cwd(), file));
}
