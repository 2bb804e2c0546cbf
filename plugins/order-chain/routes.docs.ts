/**
 * OpenAPI descriptions of the order-chain routes (routes.ts), read by the platform at start-up
 * (see platform/http/route-docs.ts for the fields). Plain data: no platform import.
 */
const int = { type: 'integer' };
const str = { type: 'string' };
const nstr = { type: ['string', 'null'] };
const obj = (properties: Record<string, unknown> = {}) => ({ type: 'object', properties });
const arr = (items: Record<string, unknown> = { type: 'object' }) => ({ type: 'array', items });
const data = (schema: Record<string, unknown>) => ({ type: 'object', required: ['data'], properties: { data: schema } });
const ref = (entity: string) => ({ type: 'integer', minimum: 1, 'x-ref': entity });
const step = obj({
  entity: str, id: int, kind: str, title: str, at: nstr, by: nstr, status: nstr, facts: arr(obj({ label: str, value: str })),
});
const handoverId = { id: ref('handover') };

export default [
  {
    method: 'get', path: '/api/v1/order-chain/trace', id: 'orderTrace', tag: 'orders', scope: 'record', permission: 'read the record (each step: read its entity)',
    summary: 'The chain of identity of the order a record belongs to (a customer: all of their orders), stage by stage (R-1.2)',
    query: [
      { name: 'entity', schema: { enum: ['serviceOrder', 'customer', 'sample', 'labTask', 'cultureRecord', 'cultureStep', 'cellBatch', 'cryovial', 'stockIn', 'stockOut', 'qcRecord', 'preparation', 'handover'], examples: ['serviceOrder'] }, required: true },
      { name: 'id', schema: ref('serviceOrder'), required: true, description: 'an id of the entity named by `entity`' },
    ],
    response: data(obj({ focus: obj({ entity: str, id: int }), orders: arr(obj({ order: step, chainId: nstr, stages: arr(obj({ key: str, label: str, reached: { type: 'boolean' }, steps: arr(step) })) })) })),
  },
  {
    method: 'get', path: '/api/v1/order-chain/suggest-vials', id: 'suggestVials', tag: 'orders', scope: 'record', permission: 'read cellBatch, cryovial',
    summary: 'Stored vials of a batch for a preparation, first frozen first (R-3.2.4)',
    query: [{ name: 'batch', schema: ref('cellBatch'), required: true }, { name: 'n', schema: { type: 'integer', minimum: 1, maximum: 50 } }],
    response: data(arr(obj({ id: int, vialCode: str, positionLabel: nstr, freezeThawCount: { type: ['integer', 'null'] } }))),
  },
  {
    method: 'get', path: '/api/v1/order-chain/handovers/:id/temperature', id: 'handoverTemperature', tag: 'orders', scope: 'record', permission: 'read handover',
    summary: "A handover's data-logger readings, the product's allowed range and the external receiver's signature (R-3.2.5)", params: handoverId,
    response: data(obj({ range: obj({ min: { type: ['number', 'null'] }, max: { type: ['number', 'null'] } }), boxTemperature: { type: ['number', 'null'] }, dispatchedAt: nstr, readings: arr(obj({ at: str, celsius: { type: 'number' } })), signature: { type: ['object', 'null'] } })),
  },
  {
    method: 'get', path: '/api/v1/order-chain/handovers/:id/signature', id: 'handoverSignature', tag: 'orders', scope: 'record', permission: 'read handover',
    summary: "The external receiver's signature drawn on the tablet (PNG)", params: handoverId, responseType: 'image/png',
  },
];
