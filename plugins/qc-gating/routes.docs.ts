/**
 * OpenAPI descriptions of the QC routes (routes.ts), read by the platform at start-up (platform/http/route-docs.ts).
 * Plain data: no platform import.
 */
const int = { type: 'integer' };
const str = { type: 'string' };
const nstr = { type: ['string', 'null'] };
const num = { type: 'number' };
const obj = (properties: Record<string, unknown> = {}) => ({ type: 'object', properties });
const arr = (items: Record<string, unknown> = { type: 'object' }) => ({ type: 'array', items });
const data = (schema: Record<string, unknown>) => ({ type: 'object', required: ['data'], properties: { data: schema } });
const ref = (entity: string) => ({ type: 'integer', minimum: 1, 'x-ref': entity });
const band = { type: ['object', 'null'], properties: { min: num, max: num } };
const figure = { type: ['object', 'null'], properties: { entity: str, filter: { type: 'object' }, count: int } };

export default [
  {
    method: 'post', path: '/api/v1/qc/em/round', id: 'emRound', tag: 'qc', scope: 'record', permission: 'create emReading (sampling: read emSampling)', status: 201,
    summary: 'An environment-monitoring round: the readings of several points in one transaction, each checked against its grade limits; an action-level value opens a deviation (R-3.3.6)',
    body: {
      type: 'object', required: ['readings'],
      properties: {
        sampling: ref('emSampling'), occupancy: { enum: ['atRest', 'inOperation'] }, sampledAt: { type: 'string', format: 'date-time' },
        readings: arr({ type: 'object', required: ['point', 'parameter', 'value'], properties: { point: ref('samplingPoint'), parameter: { type: 'string', examples: ['settlePlate'] }, value: { type: 'number', examples: [1] }, remarks: str } }),
      },
    },
    response: data(arr(obj({ id: int, point: int, parameter: str, value: num, status: str, alertLimit: band, actionLimit: band, deviation: { type: ['integer', 'null'] } }))),
  },
  {
    method: 'get', path: '/api/v1/qc/em/trend', id: 'emTrend', tag: 'qc', scope: 'record', permission: 'read samplingPoint, room, emReading',
    summary: 'Readings of one point and parameter over time with the alert and action levels (the trend chart)',
    query: [
      { name: 'point', schema: ref('samplingPoint'), required: true }, { name: 'parameter', schema: { type: 'string', examples: ['settlePlate'] }, required: true },
      { name: 'from', schema: { type: 'string', format: 'date-time' } }, { name: 'to', schema: { type: 'string', format: 'date-time' } },
    ],
    response: {
      type: 'object', required: ['data'],
      properties: {
        data: arr(obj({ id: int, sampledAt: str, value: num, status: str, occupancy: str, alertLimit: band, actionLimit: band, deviation: { type: ['integer', 'null'] } })),
        point: obj({ id: int, name: str }), room: obj({ id: int, name: str, grade: str }), parameter: str, limits: obj({ alert: band, action: band }),
        alertSource: obj({ kind: { type: 'string', enum: ['site', 'grade'] }, emAlertLevel: { type: ['integer', 'null'] } }), occupancy: str,
        suggestion: obj({
          n: int, mean: { type: ['number', 'null'] }, sd: { type: ['number', 'null'] }, p5: { type: ['number', 'null'] }, p95: { type: ['number', 'null'] },
          suggested: band, enough: { type: 'boolean' },
        }),
      },
    },
  },
  {
    method: 'get', path: '/api/v1/qc/em/room-map', id: 'emRoomMap', tag: 'qc', scope: 'record', permission: 'read room, samplingPoint, emReading',
    summary: 'Rooms with their sampling points and the latest status (worst of the latest reading per parameter) for the room map',
    query: [{ name: 'days', schema: { type: 'integer', minimum: 1, maximum: 366 }, description: 'readings considered (default 30 days)' }],
    response: data(arr(obj({
      id: int, code: str, name: str, grade: str, parent: { type: ['integer', 'null'] }, status: nstr,
      points: arr(obj({ id: int, code: str, name: str, room: int, mapX: { type: ['number', 'null'] }, mapY: { type: ['number', 'null'] }, parameters: arr(str), status: nstr, latest: arr(obj({ parameter: str, value: num, status: str, sampledAt: str })) })),
    }))),
  },
  {
    method: 'get', path: '/api/v1/qc/spot-checks/draws/:id/verify', id: 'spotCheckVerify', tag: 'qc', scope: 'record', permission: 'read spotCheckDraw, spotCheckPlan',
    params: { id: ref('spotCheckDraw') },
    summary: 'Re-runs a spot-check draw from its recorded seed and candidates and says whether it gives the same draw (R-3.3.3)',
    response: data(obj({ seed: str, candidates: arr(int), drawn: arr(int), recomputed: arr(int), matches: { type: 'boolean' } })),
  },
  {
    method: 'get', path: '/api/v1/qc/overview', id: 'qcOverview', tag: 'qc', scope: 'record', permission: 'read qcRecord, deviation, emSampling, emReading, spotCheckTask (figures of unreadable entities are null)',
    summary: "The QC lead's figures: pass rates by QC type, open reviews and deviations, due and overdue samplings, open spot checks, EM excursions; each with the entity and filter of its list",
    query: [{ name: 'days', schema: { type: 'integer', minimum: 1, maximum: 366 }, description: 'period of the rates and excursions (default 90 days)' }],
    response: data(obj({
      days: int, passRates: arr(obj({ qcType: str, judged: figure, passed: figure, rate: { type: ['number', 'null'] } })),
      openReviews: figure, openDeviations: figure, dueSamplings: figure, overdueSamplings: figure, openSpotChecks: figure, emAlerts: figure, emActions: figure,
    })),
  },
];
