import { arr, data, obj, str, type RouteDoc } from '../http/route-docs';

/** platform/dashboards/routes.ts */
const label = { type: 'object', properties: { 'zh-CN': str, en: str } };
const group = obj({ value: {}, label: { type: ['string', 'null'] } });
const tile = obj({
  key: str, status: { enum: ['ok', 'unavailable', 'error'] }, message: str, value: { type: ['number', 'null'] }, unit: str,
  rows: arr(obj({ groups: arr(group), value: { type: ['number', 'null'] }, total: { type: 'number' }, filter: { type: 'object' } })),
  drill: obj({ entity: str, list: { type: ['string', 'null'] }, filter: { type: 'object' } }),
});
const docs: RouteDoc[] = [
  {
    method: 'get', path: '/api/v1/dashboards', id: 'dashboards', tag: 'dashboards', summary: 'The dashboards the caller may open, and the one of their role (home page)', scope: 'self',
    permission: 'authenticated (a dashboard naming roles: one of them, or an administrator)', response: data(arr(obj({ id: str, label, roles: arr(str) })), { home: { type: ['string', 'null'] }, figures: arr(obj({ key: str, entity: str, label: {} })) }),
  },
  {
    method: 'get', path: '/api/v1/dashboards/:id/data', id: 'dashboardData', tag: 'dashboards', summary: 'Every tile of a dashboard evaluated within the caller\'s row scope and field rules; a tile over an entity the caller may not read is marked unavailable', scope: 'record',
    permission: 'a role of the dashboard (tiles: read on their entity)', params: { id: { type: 'string', examples: ['labDirector'] } }, response: data(obj({ id: str, label, tiles: arr(tile) })),
  },
  {
    method: 'get', path: '/api/v1/reports', id: 'reports', tag: 'dashboards', summary: 'The reports the caller may open', scope: 'self', permission: 'authenticated',
    response: data(arr(obj({ id: str, label, description: {}, entity: str, period: {} }))),
  },
  {
    method: 'get', path: '/api/v1/reports/:id', id: 'report', tag: 'dashboards', summary: 'A report as a grouped table (rows, pivot columns, totals) for a period, or as XLSX with labels', scope: 'record',
    permission: 'a role of the report, read on its entity', params: { id: { type: 'string', examples: ['workloadByTechnician'] } },
    query: [
      { name: 'period', schema: { enum: ['thisMonth', 'lastMonth', 'thisQuarter', 'thisYear', 'last30Days', 'last12Months', 'all'] } },
      { name: 'from', schema: { type: 'string', format: 'date' } },
      { name: 'to', schema: { type: 'string', format: 'date' } },
      { name: 'format', schema: { enum: ['json', 'xlsx'] } },
    ],
    response: data(obj({
      id: str, label, period: obj({ from: { type: ['string', 'null'] }, to: { type: ['string', 'null'] }, field: { type: ['string', 'null'] } }),
      rowHeaders: arr(obj({ key: str, label: str })), columns: arr(obj({ key: str, label: str, measure: str })),
      rows: arr(obj({ groups: arr(group), cells: { type: 'object' } })), totals: { type: ['object', 'null'] },
    })),
  },
];
export default docs;
