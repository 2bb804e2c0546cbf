/**
 * OpenAPI descriptions of the consumption-ledger routes (routes.ts), read by the platform at start-up
 * (see platform/http/route-docs.ts for the fields). Plain data: no platform import.
 */
const int = { type: 'integer' };
const str = { type: 'string' };
const numb = { type: ['number', 'null'] };
const obj = (properties: Record<string, unknown> = {}) => ({ type: 'object', properties });
const arr = (items: Record<string, unknown> = { type: 'object' }) => ({ type: 'array', items });
const data = (schema: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', required: ['data'], properties: { data: schema, ...extra } });
const ref = (entity: string) => ({ type: 'integer', minimum: 1, 'x-ref': entity });
const date = { type: 'string', format: 'date' };
const groups = ['day', 'week', 'month', 'kind', 'material', 'store', 'lab', 'purpose', 'culture'];
const ledgerFilters = [
  { name: 'from', schema: date, description: 'first day (inclusive)' }, { name: 'to', schema: date, description: 'last day (inclusive)' },
  { name: 'kind', schema: { type: 'string', maxLength: 64 }, description: 'materialKind dictionary code (reagent, consumable…)' },
  { name: 'material', schema: ref('material') }, { name: 'store', schema: ref('materialStore') }, { name: 'lab', schema: int },
  { name: 'culture', schema: ref('cultureRecord') }, { name: 'batch', schema: ref('cellBatch'), description: 'consumption of the batch and of the culture record it was frozen from' },
  { name: 'purpose', schema: { enum: ['consumption', 'receipt', 'transfer', 'issue', 'usage', 'return', 'adjust', 'scrap', 'all'] }, description: 'default: consumption (usage + direct issue)' },
];

export default [
  {
    method: 'get', path: '/api/v1/materials/stock', id: 'materialStock', tag: 'materials', scope: 'record', permission: 'read materialStore, materialLot, material',
    summary: 'Stock per lot × store with expiry, low-stock, expiring-soon and in-use flags (R-3.5.6)',
    query: [
      { name: 'store', schema: ref('materialStore') }, { name: 'material', schema: ref('material') }, { name: 'lot', schema: ref('materialLot') },
      { name: 'kind', schema: { type: 'string', maxLength: 64 } }, { name: 'q', schema: { type: 'string', maxLength: 100 }, description: 'lot no., material name or code' },
      { name: 'flag', schema: { enum: ['lowStock', 'expiringSoon', 'expired', 'inUseExpired', 'notReleased'] } }, { name: 'includeEmpty', schema: { type: 'boolean' } },
      { name: 'sort', schema: { enum: ['expiry', 'material', 'lot', 'qty'] } },
      { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 1000 } }, { name: 'offset', schema: { type: 'integer', minimum: 0, maximum: 1000000 } },
    ],
    response: data(arr(obj({
      store: obj({ id: int, name: str, code: str, storeKind: str }), lot: obj({ id: int, lotNo: str, expiryDate: str, status: str }),
      material: obj({ id: int, code: str, name: str, specification: str, unit: str, kind: str, minStock: numb }), quantity: numb, materialTotal: numb,
      openedAt: { type: ['string', 'null'] }, inUseExpiry: { type: ['string', 'null'] }, flags: obj({ expired: { type: 'boolean' }, expiringSoon: { type: 'boolean' }, lowStock: { type: 'boolean' }, inUseExpired: { type: 'boolean' }, notReleased: { type: 'boolean' } }),
    })), { total: int, expiringDays: int }),
  },
  {
    method: 'get', path: '/api/v1/materials/fefo', id: 'materialFefo', tag: 'materials', scope: 'record', permission: 'read materialStore, materialLot, material',
    summary: 'Usable lots of a material in a store, first expiry first out, with a suggested split',
    query: [{ name: 'store', schema: ref('materialStore'), required: true }, { name: 'material', schema: ref('material'), required: true }, { name: 'quantity', schema: { type: 'number', exclusiveMinimum: 0 } }],
    response: data(arr(obj({ lot: obj({ id: int, lotNo: str, expiryDate: str }), available: numb, unit: str, inUseExpiry: { type: ['string', 'null'] }, suggested: numb })), { shortfall: numb }),
  },
  {
    method: 'get', path: '/api/v1/materials/culture-template', id: 'cultureMaterialTemplate', tag: 'materials', scope: 'record', permission: 'read cultureMaterialTemplate, material (lots: read materialStore, materialLot)',
    summary: 'The material template of a cell kind / type with a FEFO lot per material from a store (R-3.2.3)',
    query: [{ name: 'cellKind', schema: { enum: ['stem', 'immune'] }, required: true }, { name: 'cellType', schema: { type: 'string', maxLength: 64 } }, { name: 'store', schema: ref('materialStore') }],
    response: data({ type: ['object', 'null'] }),
  },
  {
    method: 'get', path: '/api/v1/materials/ledger', id: 'consumptionLedger', tag: 'materials', scope: 'record', permission: 'read materialStore (names: read material, cultureRecord)',
    summary: 'The production consumption ledger grouped by up to three of day/week/month, kind, material, store, lab, purpose, culture (R-3.5.7); format=xlsx exports it',
    query: [{ name: 'groupBy', schema: { type: 'string', examples: ['month,kind'], description: `comma-separated: ${groups.join(', ')}` } }, ...ledgerFilters, { name: 'format', schema: { enum: ['json', 'xlsx'] } }],
    response: data(arr(obj({ quantity: numb, unit: { type: ['string', 'null'] }, movements: int })), { totals: obj({ quantity: numb, unit: { type: ['string', 'null'] }, movements: int }), groupBy: arr(str) }),
  },
  {
    method: 'get', path: '/api/v1/materials/movements', id: 'materialMovements', tag: 'materials', scope: 'record', permission: 'read materialStore, materialLot, material',
    summary: 'Ledger lines (movements), newest first; a lot\'s where-used is lot=<id>&purpose=all',
    query: [...ledgerFilters, { name: 'lot', schema: ref('materialLot') }, { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 1000 } }, { name: 'offset', schema: { type: 'integer', minimum: 0, maximum: 1000000 } }],
    response: data(arr(obj({
      id: int, at: str, purpose: str, purposeLabel: str, quantity: numb, unit: str, reversal: { type: 'boolean' }, note: { type: ['string', 'null'] },
      document: obj({ entity: str, id: int, title: { type: ['string', 'null'] }, line: int }), lot: obj({ id: int, lotNo: str }), material: obj({ name: str }),
      store: obj({ id: int, name: str }), cultureRecord: { type: ['object', 'null'] }, actor: str,
    })), { total: int }),
  },
];
