import { arr, data, int, obj, str, type RouteDoc } from '../http/route-docs';

const nstr = { type: ['string', 'null'] };
const node = obj({
  key: str, entity: str, id: int, kind: str, title: nstr, at: nstr,
  level: { type: 'integer', description: '0 the record traced from, -n upstream, +n downstream' },
  hidden: { type: 'integer', description: 'linked records of the caller\'s labs the caller may not read' },
}, ['key', 'entity', 'id', 'kind', 'level']);
const hidden = obj({ count: int, entities: arr(obj({ entity: str, kind: str, count: int })) }, ['count', 'entities']);
const trace = obj({ root: str, nodes: arr(node), edges: arr(obj({ from: str, to: str, field: str })), hidden, truncated: { type: 'boolean' } }, ['root', 'nodes', 'edges', 'hidden', 'truncated']);
const row = obj({
  entity: str, kind: str, id: int, code: nstr, at: nstr, product: { ...nstr, description: 'the product a delivery is of' },
  patient: { type: ['object', 'null'], properties: { id: int, name: nstr } },
});
const recall = obj({ source: str, products: arr(row), patients: arr(obj({ id: int, name: nstr, products: int })), hidden, truncated: { type: 'boolean' }, reached: int });

/** platform/trace: the trace engine over x-trace links and the recall report. */
const docs: RouteDoc[] = [
  {
    method: 'get', path: '/api/v1/trace/:entity/:id', id: 'trace', tag: '$entity', scope: 'record', permission: 'read <entity> (each linked record: read its entity)',
    summary: 'Upstream and downstream records of a record along the x-trace links of metadata, as a graph; linked records the caller may not read are counted, never shown; another lab\'s are neither',
    params: { id: { type: 'integer', minimum: 1, 'x-ref': '$entity' } },
    query: [
      { name: 'direction', schema: { enum: ['up', 'down', 'both'], default: 'both' } },
      { name: 'depth', schema: { type: 'integer', minimum: 1, maximum: 30, default: 12 }, description: 'links to follow in each direction' },
    ],
    response: data(trace),
  },
  {
    method: 'get', path: '/api/v1/trace/recall', id: 'traceRecall', tag: 'trace', scope: 'record', permission: 'read the entity recalled from (room: read room); products and patients: read their entities',
    summary: 'Every product and patient a record (material lot, culture record, batch, deviation…) or a room excursion (records in a room within a window) touched; format=xlsx for the workbook',
    query: [
      { name: 'entity', schema: { type: 'string', examples: ['materialLot'] }, description: 'with id: the record recalled from' },
      { name: 'id', schema: { type: 'integer', minimum: 1, 'x-ref': 'materialLot' } },
      { name: 'room', schema: { type: 'integer', minimum: 1, 'x-ref': 'room' }, description: 'with from and to: a room excursion' },
      { name: 'from', schema: { type: 'string', format: 'date-time' } },
      { name: 'to', schema: { type: 'string', format: 'date-time' } },
      { name: 'format', schema: { enum: ['json', 'xlsx'], default: 'json' } },
    ],
    response: data(recall),
  },
];
export default docs;
