import { data, obj, str, type RouteDoc } from '../route-docs';

/** platform/http/routes/numbering.ts */
const docs: RouteDoc[] = [
  {
    method: 'post', path: '/api/v1/numbering/preview', id: 'previewNumber', tag: 'numbering', summary: 'The number the next allocation of a rule would give now', scope: 'record',
    permission: 'authenticated (a draft rule: meta:write)', body: obj({ rule: { type: 'object' }, ruleId: { type: 'string', examples: ['cellBatch'] }, record: { type: 'object' } }), response: data(obj({ number: str }, ['number'])),
  },
];
export default docs;
