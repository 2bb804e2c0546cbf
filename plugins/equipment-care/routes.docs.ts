/**
 * OpenAPI descriptions of the equipment-care routes (routes.ts), read by the platform at start-up
 * (see platform/http/route-docs.ts for the fields). Plain data: no platform import.
 */
const int = { type: 'integer' };
const str = { type: 'string' };
const obj = (properties: Record<string, unknown> = {}) => ({ type: 'object', properties });
const arr = (items: Record<string, unknown> = { type: 'object' }) => ({ type: 'array', items });
const statusCounts = obj({ inUse: int, underRepair: int, outOfService: int, scrapped: int });

export default [
  {
    method: 'get', path: '/api/v1/equipment/ledger', id: 'equipmentLedger', tag: 'equipment', scope: 'record', permission: 'read equipment (names: read equipmentCategory, room)',
    summary: 'The equipment ledger (设备台账): assets by category with counts, value and status (R-3.6.3); format=xlsx exports the register and the summary',
    query: [
      { name: 'category', schema: { type: 'integer', minimum: 1, 'x-ref': 'equipmentCategory' } },
      { name: 'status', schema: { enum: ['inUse', 'underRepair', 'outOfService', 'scrapped'] } },
      { name: 'format', schema: { enum: ['json', 'xlsx'] } },
    ],
    response: {
      type: 'object', required: ['data'],
      properties: {
        data: arr(obj({ category: { type: ['object', 'null'] }, count: int, value: { type: 'number' }, byStatus: statusCounts })),
        totals: obj({ count: int, value: { type: 'number' }, byStatus: statusCounts }), assets: arr(),
      },
    },
  },
  {
    method: 'get', path: '/api/v1/equipment/:id/usage', id: 'equipmentUsage', tag: 'equipment', scope: 'record', permission: 'read equipment (rows: read the record that used it)',
    summary: 'The usage log of an asset; since=calibration (default): the records and batches since its last passing calibration, for an impact assessment (R-3.6.5)',
    params: { id: { type: 'integer', minimum: 1, 'x-ref': 'equipment' } },
    query: [{ name: 'since', schema: { enum: ['calibration', 'all'] } }, { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 1000 } }],
    response: {
      type: 'object', required: ['data'],
      properties: {
        data: obj({
          equipment: { type: 'object' }, since: { type: ['object', 'null'] },
          usages: arr(obj({ usedAt: str, entity: str, recordId: int, recordTitle: { type: ['string', 'null'] }, batch: { type: ['object', 'null'] } })),
          batches: arr(obj({ code: str, uses: int, firstUsedAt: str, lastUsedAt: str })),
        }),
      },
    },
  },
];
