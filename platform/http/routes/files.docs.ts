import { data, int, obj, str, type RouteDoc } from '../route-docs';

/** platform/http/routes/files.ts */
const docs: RouteDoc[] = [
  {
    method: 'post', path: '/api/v1/files', id: 'uploadFile', tag: 'files', summary: 'Upload an attachment (raw body; name in X-File-Name, percent-encoded)', scope: 'self', permission: 'authenticated',
    bodyType: 'application/octet-stream', response: data(obj({ id: int, name: str, mime: str, size: int }, ['id', 'name', 'mime', 'size'])), status: 201,
  },
  {
    method: 'get', path: '/api/v1/files/:id', id: 'downloadFile', tag: 'files', summary: 'Download an attachment (who may read its record, or its uploader)', scope: 'record', permission: 'read the record it is attached to',
    params: { id: { type: 'integer', minimum: 1, 'x-ref': 'file' } }, responseType: 'application/octet-stream',
  },
];
export default docs;
