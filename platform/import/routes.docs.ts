import { arr, data, int, obj, str, type RouteDoc } from '../http/route-docs';

const rowError = obj({ row: int, path: str, column: { type: ['string', 'null'] }, message: str }, ['row', 'path', 'message']);
const imp = obj({
  id: int, entity: str, fileName: { type: ['string', 'null'] }, status: { enum: ['checking', 'checked', 'committing', 'committed', 'failed'] }, phase: { type: ['string', 'null'] },
  total: int, done: int, errorCount: int, errors: arr(rowError), preview: { type: ['object', 'null'] }, imported: { type: ['integer', 'null'] }, failure: { type: ['string', 'null'] },
  createdAt: str, updatedAt: str, retryable: { type: 'boolean' },
}, ['id', 'entity', 'status', 'total', 'done', 'errorCount', 'errors']);
const importId = { id: { type: 'integer', minimum: 1 } };

/** Initial data import (platform/import): templates, check (dry run) and all-or-nothing commit on the job queue. */
const docs: RouteDoc[] = [
  { method: 'get', path: '/api/v1/import/entities', id: 'importEntities', tag: 'import', summary: 'Entities the caller may import', scope: 'self', permission: 'authenticated', response: data(arr(obj({ entity: str, label: str, fields: int }))) },
  {
    method: 'get', path: '/api/v1/import/:entity/template', id: 'importTemplate', tag: '$entity', summary: 'XLSX import template (headers in the caller\'s language, lists of names, how to fill in)', scope: 'record', permission: 'import <entity>',
    responseType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  },
  {
    method: 'post', path: '/api/v1/import/:entity', id: 'importUpload', tag: '$entity', summary: 'Upload a filled-in template: queues its check (a dry run); poll the import', scope: 'record', permission: 'import <entity> (labId: administrators)', status: 202,
    query: [{ name: 'labId', schema: { type: 'integer', minimum: 1 } }], bodyType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', response: data(imp),
  },
  { method: 'get', path: '/api/v1/imports', id: 'importRecent', tag: 'import', summary: 'The caller\'s ten newest imports (no rows or errors): an interrupted one is retried from here', scope: 'self', permission: 'authenticated', response: data(arr(imp)) },
  {
    method: 'post', path: '/api/v1/imports/:id/retry', id: 'importRetry', tag: 'import', summary: 'Check a failed (e.g. interrupted) import again from its kept file', scope: 'self', permission: 'creator (administrators: all)', status: 202,
    params: importId, body: obj({}), response: data(imp),
  },
  { method: 'get', path: '/api/v1/imports/:id', id: 'importStatus', tag: 'import', summary: 'An import of the caller: progress, row errors, preview', scope: 'self', permission: 'creator (administrators: all)', params: importId, response: data(imp) },
  {
    method: 'post', path: '/api/v1/imports/:id/commit', id: 'importCommit', tag: 'import', summary: 'Write a checked import, all rows or none', scope: 'self', permission: 'creator (administrators: all)', status: 202,
    params: importId, body: obj({}), response: data(imp),
  },
];
export default docs;
