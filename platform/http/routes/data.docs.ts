import { arr, data, int, obj, str, type ParamDoc, type RouteDoc } from '../route-docs';
import { OPERATORS } from '../../records/filter';

const listParams: ParamDoc[] = [
  { name: 'filter', schema: str, description: `JSON filter; operators: ${OPERATORS.join(', ')}; and/or/not; ref.field one level deep` },
  { name: 'sort', schema: str, description: 'comma list, "-" for descending' },
  { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
  { name: 'offset', schema: { type: 'integer', minimum: 0 } },
  { name: 'after', schema: str, description: 'keyset cursor from page.nextCursor' },
  { name: 'fields', schema: str },
  { name: 'expand', schema: str },
  { name: 'count', schema: { type: 'boolean' } },
];
const id = { type: 'integer', minimum: 1, 'x-ref': '$entity' };
const format = { name: 'format', schema: { enum: ['xlsx', 'csv'] } };

/** platform/http/routes/data.ts: one set of routes per entity (`:entity` is expanded for each entity in OpenAPI). */
const docs: RouteDoc[] = [
  { method: 'get', path: '/api/v1/data/:entity', id: 'list', tag: '$entity', summary: 'List', scope: 'record', permission: 'read <entity>', query: listParams, response: '$entityPage' },
  { method: 'post', path: '/api/v1/data/:entity', id: 'create', tag: '$entity', summary: 'Create', scope: 'record', permission: 'create <entity>', body: '$entityInput', response: '$entity', status: 201 },
  {
    method: 'get', path: '/api/v1/data/:entity/aggregate', id: 'aggregate', tag: '$entity', scope: 'record', permission: 'read <entity>',
    summary: 'Grouped figures: up to three group keys (fields, or date fields by day/week/month/quarter/year) and count/sum/avg/min/max, within the caller\'s scope and field rules',
    query: [
      { name: 'groupBy', schema: { type: 'string', examples: ['cellKind,cultureDate:month'] }, description: 'comma-separated fields; a date field may carry :day, :week, :month, :quarter or :year' },
      { name: 'measures', schema: { type: 'string', examples: ['count,avg:viability'] }, description: 'comma-separated: count, sum|avg|min|max:<number field> (default count)' },
      { name: 'filter', schema: { type: 'string' }, description: 'the list filter language (JSON)' },
      { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 10000 } },
    ],
    response: { type: 'object', required: ['data'], properties: { data: arr({ type: 'object' }), groupBy: arr(str), measures: arr(str) } },
  },
  {
    method: 'get', path: '/api/v1/data/:entity/export', id: 'export', tag: '$entity', summary: 'Export as a spreadsheet', scope: 'record', permission: 'export <entity>',
    query: [...listParams, format], responseType: 'application/octet-stream',
  },
  {
    method: 'post', path: '/api/v1/data/:entity/import', id: 'import', tag: '$entity', summary: 'Import rows from a spreadsheet', scope: 'record', permission: 'create <entity>',
    query: [format, { name: 'mode', schema: { enum: ['all', 'partial'] } }], bodyType: 'application/octet-stream',
    response: obj({ imported: int, errors: arr(obj({ row: int, path: str, message: str })) }),
  },
  {
    method: 'get', path: '/api/v1/data/:entity/:id', id: 'get', tag: '$entity', summary: 'Get one', scope: 'record', permission: 'read <entity>', params: { id },
    query: [{ name: 'fields', schema: str }, { name: 'expand', schema: str }], response: '$entity',
  },
  { method: 'patch', path: '/api/v1/data/:entity/:id', id: 'update', tag: '$entity', summary: 'Update (send version back)', scope: 'record', permission: 'update <entity>', params: { id }, body: '$entityPatch', response: '$entity' },
  {
    method: 'delete', path: '/api/v1/data/:entity/:id', id: 'delete', tag: '$entity', summary: 'Delete (soft)', scope: 'record', permission: 'delete <entity>', params: { id },
    query: [{ name: 'version', schema: int }], response: '$entity',
  },
  {
    method: 'get', path: '/api/v1/data/:entity/:id/history', id: 'history', tag: '$entity', summary: 'Audit entries of the record', scope: 'record', permission: 'read <entity>', params: { id },
    response: data(arr(obj({ id: int, at: str, by: { type: ['integer', 'null'] }, byName: str, action: str, changes: {}, reason: { type: ['string', 'null'] } }))),
  },
  {
    method: 'get', path: '/api/v1/data/:entity/:id/actions', id: 'actions', tag: '$entity', summary: 'Actions the caller may run on the record now (record-page buttons)',
    scope: 'record', permission: 'read <entity>', params: { id },
    response: data(arr(obj({ action: str, label: str, input: { type: ['object', 'null'] }, signature: { type: ['object', 'null'], properties: { meaning: str } } }, ['action', 'label']))),
  },
  {
    method: 'post', path: '/api/v1/data/:entity/:id/actions/:action', id: '$action', tag: '$entity', summary: '$action', scope: 'record', permission: '<action> <entity>', params: { id },
    body: '$actionInput', response: '$entity',
  },
];
export default docs;
