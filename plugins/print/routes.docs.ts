/**
 * OpenAPI descriptions of the print routes (routes.ts), read by the platform at start-up
 * (see platform/http/route-docs.ts for the fields). Plain data: no platform import.
 */
const int = { type: 'integer' };
const str = { type: 'string' };
const label = { type: 'object', additionalProperties: { type: 'string' } };
const obj = (properties: Record<string, unknown> = {}, required: string[] = []) => ({ type: 'object', properties, ...(required.length ? { required } : {}) });
const arr = (items: Record<string, unknown> = { type: 'object' }) => ({ type: 'array', items });
const data = (schema: Record<string, unknown>) => ({ type: 'object', required: ['data'], properties: { data: schema } });
const ref = (entity: string) => ({ type: 'integer', minimum: 1, 'x-ref': entity });
const printed = obj({ id: int, template: str, templateLabel: str, version: int, format: str, by: str, at: str, reprint: { type: 'boolean' }, reason: str, voidedAt: str, voidReason: str });

export default [
  {
    method: 'get', path: '/api/v1/print/templates', id: 'printTemplates', tag: 'print', summary: 'Print and label templates of entities the caller may read, with their current version', scope: 'global', permission: 'authenticated',
    query: [{ name: 'entity', schema: { type: 'string', examples: ['cellBatch'] } }, { name: 'flavour', schema: { enum: ['document', 'label'] } }],
    response: data(arr(obj({ id: str, label, entity: str, entityLabel: str, flavour: str, version: int, labelSpec: { type: ['object', 'null'] } }))),
  },
  {
    method: 'get', path: '/api/v1/print/templates/:template/versions', id: 'printTemplateVersions', tag: 'print', summary: 'The saved versions of a template (version 0: as shipped)', scope: 'global', permission: 'authenticated',
    params: { template: { type: 'string', examples: ['batchRecord'] } },
    response: data(obj({ id: str, label, current: int, versions: arr(obj({ version: int, reason: { type: ['string', 'null'] }, by: { type: ['string', 'null'] }, at: { type: ['string', 'null'] } })) })),
  },
  {
    method: 'get', path: '/api/v1/print/documents/:template/:id.:fmt', id: 'printDocument', tag: 'print',
    summary: 'A record printed with a document template: print-ready HTML (print=1 records the print) or PDF (recorded and audited with the template version)',
    scope: 'record', permission: 'read the template\'s entity (the record through the pipeline: scope, field rules, masks)',
    params: { template: { type: 'string', examples: ['batchRecord'] }, id: ref('cellBatch'), fmt: { enum: ['pdf', 'html'] } },
    query: [{ name: 'version', schema: { type: 'integer', minimum: 0 } }, { name: 'print', schema: { enum: ['0', '1'] } }],
    responseType: 'application/pdf',
  },
  {
    method: 'post', path: '/api/v1/print/preview', id: 'printPreview', tag: 'print', summary: 'The template editor\'s live preview of an unsaved definition on a record (not recorded)', scope: 'admin', permission: 'meta:write',
    body: obj({ definition: { type: 'object' }, record: ref('cellBatch') }, ['definition', 'record']), responseType: 'text/html',
  },
  {
    method: 'get', path: '/api/v1/print/history', id: 'printHistory', tag: 'print', summary: 'What was printed of a record: documents and labels with template versions', scope: 'record', permission: 'read the entity',
    query: [{ name: 'entity', schema: { type: 'string', examples: ['cellBatch'] }, required: true }, { name: 'id', schema: ref('cellBatch'), required: true }],
    response: data(obj({ jobs: arr(obj({ id: int, template: str, templateLabel: str, version: int, format: str, by: str, at: str })), labels: arr(printed) })),
  },
  {
    method: 'post', path: '/api/v1/print/labels', id: 'printLabels', tag: 'print', summary: 'Labels of records or a whole batch as PDF (exact label size) or ZPL; a reprint needs a reason', scope: 'record', permission: 'read the template\'s entity',
    body: obj({ template: { type: 'string', examples: ['cryovialLabel'] }, records: arr(ref('cryovial')), batch: ref('cellBatch'), format: { enum: ['pdf', 'zpl'] }, reason: str }, ['template', 'format']),
    responseType: 'application/pdf',
  },
  {
    method: 'get', path: '/api/v1/print/labels/reconciliation', id: 'labelReconciliation', tag: 'print', summary: 'A batch\'s labels: printed vs used vs destroyed, and vials without a label', scope: 'record', permission: 'read cellBatch, cryovial',
    query: [{ name: 'batch', schema: ref('cellBatch'), required: true }],
    response: data(obj({ batch: obj({ id: int, batchCode: str }), printed: int, used: int, destroyed: int, voided: int, reprints: int, unaccounted: int, unlabelled: arr(str), labels: arr(printed) })),
  },
  {
    method: 'post', path: '/api/v1/print/labels/:id/void', id: 'voidLabel', tag: 'print', summary: 'Voids a printed label (it counts as destroyed), with a reason; audited', scope: 'record', permission: 'read the labelled record',
    params: { id: { type: 'integer', minimum: 1, 'x-ref': 'printLabel' } }, body: obj({ reason: str }, ['reason']), response: data(obj({ id: int, voided: { type: 'boolean' } })),
  },
];
