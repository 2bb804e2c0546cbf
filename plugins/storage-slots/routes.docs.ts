/**
 * OpenAPI descriptions of the storage-slots routes (routes.ts), read by the platform at start-up
 * (see platform/http/route-docs.ts for the fields). Plain data: no platform import.
 */
const int = { type: 'integer' };
const str = { type: 'string' };
const obj = (properties: Record<string, unknown> = {}, required: string[] = []) => ({ type: 'object', properties, ...(required.length ? { required } : {}) });
const arr = (items: Record<string, unknown> = { type: 'object' }) => ({ type: 'array', items });
const data = (schema: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', required: ['data'], properties: { data: schema, ...extra } });
const ref = (entity: string) => ({ type: 'integer', minimum: 1, 'x-ref': entity });
const stats = { capacity: int, free: int, reserved: int, occupied: int, blocked: int };
const position = obj({ id: int, container: int, device: int, row: int, col: int, ordinal: int, label: str });
const filters = [
  { name: 'n', schema: { type: 'integer', minimum: 1 } },
  { name: 'device', schema: ref('storageDevice') },
  { name: 'site', schema: str },
  { name: 'deviceType', schema: str },
  { name: 'maxTemperature', schema: { type: 'number' } },
];
const recommendBody = obj({
  n: { type: 'integer', minimum: 1 }, batch: ref('cellBatch'), device: ref('storageDevice'), container: ref('container'), site: str, deviceType: str,
  maxTemperature: { type: 'number' }, strategy: { type: 'string', examples: ['keep-together'] }, reserve: { type: 'boolean' }, minutes: { type: 'number', minimum: 0.05, maximum: 60 },
});
const vialId = { id: ref('cryovial') };

export default [
  {
    method: 'get', path: '/api/v1/storage/strategies', id: 'storageStrategies', tag: 'storage', summary: 'Registered position strategies', scope: 'global', permission: 'authenticated',
    response: data(arr(obj({ name: str, label: { type: 'object' } }))),
  },
  {
    method: 'get', path: '/api/v1/storage/utilisation', id: 'storageUtilisation', tag: 'storage', summary: 'Utilisation per device (or per site)', scope: 'record', permission: 'read storageDevice',
    query: [{ name: 'groupBy', schema: { enum: ['site'] } }], response: data(arr(obj({ id: int, code: str, name: str, site: str, boxes: int, emptyBoxes: int, utilisation: { type: 'number' }, ...stats }))),
  },
  {
    method: 'get', path: '/api/v1/storage/containers', id: 'storageContainers', tag: 'storage', summary: 'Children of a device or container with position counts', scope: 'record', permission: 'read container',
    query: [{ name: 'device', schema: ref('storageDevice') }, { name: 'parent', schema: ref('container') }], response: data(arr(obj({ id: int, code: str, name: str, path: str, holdsVials: { type: 'boolean' }, ...stats }))),
  },
  {
    method: 'get', path: '/api/v1/storage/containers/:id/map', id: 'boxMap', tag: 'storage', summary: 'The grid of one box with every position and its occupant', scope: 'record', permission: 'read container (occupants: read cryovial)',
    params: { id: ref('container') },
    response: data(obj({ container: { type: 'object' }, layout: { type: 'object' }, rowHeaders: arr(str), colHeaders: arr(str), stats: obj(stats), positions: arr(obj({ id: int, row: int, col: int, ordinal: int, label: str, state: str, vial: { type: 'object' } })) })),
  },
  {
    method: 'get', path: '/api/v1/storage/empty', id: 'emptySlots', tag: 'storage', summary: 'Boxes with at least n empty positions, fullest first', scope: 'record', permission: 'read container',
    query: [...filters, { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 500 } }], response: data(arr(obj({ container: int, device: int, path: str, site: str, rows: int, cols: int, ...stats }))),
  },
  {
    method: 'post', path: '/api/v1/storage/recommend', id: 'recommendPositions', tag: 'storage', summary: 'Recommend positions with a strategy and (by default) reserve them', scope: 'record', permission: 'create stockIn',
    body: recommendBody, response: data(obj({ strategy: str, token: { type: ['string', 'null'] }, expiresAt: { type: ['string', 'null'] }, positions: arr(position) })),
  },
  {
    method: 'post', path: '/api/v1/storage/reservations', id: 'reservePositions', tag: 'storage', summary: 'Reserve positions chosen on the map, all or nothing', scope: 'record', permission: 'create stockIn', status: 201,
    body: obj({ positions: arr(obj({ container: ref('container'), row: { type: 'integer', minimum: 1, examples: [1] }, col: { type: 'integer', minimum: 1, examples: [1] } }, ['container', 'row', 'col'])), minutes: { type: 'number' } }, ['positions']),
    response: data(obj({ token: str, expiresAt: str, positions: arr(position) })),
  },
  {
    method: 'delete', path: '/api/v1/storage/reservations/:token', id: 'releaseReservation', tag: 'storage', summary: 'Release a reservation', scope: 'record', permission: 'create stockIn (own reservation)',
    params: { token: { type: 'string', 'x-ref': 'reservation' } }, response: data(obj({ released: int })),
  },
  {
    method: 'get', path: '/api/v1/storage/defrag-plan', id: 'defragPlan', tag: 'storage', summary: 'Moves that would empty the least-filled boxes', scope: 'record', permission: 'read container',
    query: [{ name: 'device', schema: ref('storageDevice') }, { name: 'site', schema: str }, { name: 'maxMoves', schema: { type: 'integer', minimum: 1, maximum: 5000 } }], response: data({ type: 'object' }),
  },
  {
    method: 'get', path: '/api/v1/cellbank/inventory', id: 'inventory', tag: 'cellbank', summary: 'Vial counts grouped by cell type, customer, batch, device, site, freeze month or bank tier', scope: 'record',
    permission: 'read cryovial and cellBatch',
    query: [
      { name: 'groupBy', schema: { type: 'string', examples: ['cellType'] } }, { name: 'status', schema: str }, { name: 'cellType', schema: str }, { name: 'customer', schema: ref('customer') },
      { name: 'batch', schema: ref('cellBatch') }, { name: 'device', schema: ref('storageDevice') }, { name: 'site', schema: str }, { name: 'from', schema: { type: 'string', format: 'date' } }, { name: 'to', schema: { type: 'string', format: 'date' } },
    ],
    response: data(arr(obj({ vials: int, batches: int })), { total: obj({ vials: int }) }),
  },
  {
    method: 'get', path: '/api/v1/cellbank/vials/:id/custody', id: 'vialCustody', tag: 'cellbank', summary: 'Chain of custody of a vial', scope: 'record', permission: 'read cryovial', params: vialId,
    response: data(obj({ vial: { type: 'object' }, freezeThawCount: int, events: arr(obj({ id: int, at: str, kind: str, from: { type: ['string', 'null'] }, to: { type: ['string', 'null'] } })) })),
  },
  {
    method: 'get', path: '/api/v1/cellbank/scan', id: 'scanCode', tag: 'cellbank', summary: 'The vial, batch or container a scanned code names', scope: 'record', permission: 'read the entity it names',
    query: [{ name: 'code', schema: { type: 'string', maxLength: 200, 'x-ref': 'code' }, required: true }], response: data(obj({ entity: str, id: int, record: { type: 'object' } })),
  },
  {
    method: 'get', path: '/api/v1/cellbank/vials/:id/label.:fmt', id: 'vialLabel', tag: 'cellbank', summary: 'A vial label barcode (svg or png)', scope: 'record', permission: 'read cryovial',
    params: { ...vialId, fmt: { enum: ['svg', 'png'], examples: ['svg'] } }, query: [{ name: 'symbology', schema: { enum: ['datamatrix', 'qrcode'] } }], responseType: 'image/svg+xml',
  },
  {
    method: 'get', path: '/api/v1/cellbank/labels', id: 'labelSheet', tag: 'cellbank', summary: 'A printable label sheet for some vials or a batch', scope: 'record', permission: 'read cryovial',
    query: [{ name: 'vials', schema: { type: 'string', 'x-ref': 'cryovial', description: 'comma list of vial ids' } }, { name: 'batch', schema: ref('cellBatch') }, { name: 'symbology', schema: { enum: ['datamatrix', 'qrcode'] } }],
    responseType: 'text/html',
  },
];
