import type Router from '@koa/router';
import { AppError, readBody, readQuery, notFound, type CallContext, type PluginApi } from '../../platform/plugins/sdk';
import { drawSample, drawSize } from './spotcheck';
import { bandOf, limitsFor, siteAlertLevel, suggestAlert, withSiteAlert, type EmLimitSet } from './em';

const id = { type: 'integer', minimum: 1, maximum: 9007199254740991 };
const dt = { type: 'string', format: 'date-time' };
const TREND_Q = { point: id, parameter: { type: 'string', maxLength: 64 }, from: dt, to: dt };
const MAP_Q = { days: { type: 'integer', minimum: 1, maximum: 366, default: 30 } };
const OVERVIEW_Q = { days: { type: 'integer', minimum: 1, maximum: 366, default: 90 } };
const RANK: Record<string, number> = { noLimit: 0, ok: 1, alert: 2, action: 3 };

/** The body of an EM round: one occupancy and time for a round of points, each with its readings. */
const ROUND_BODY = {
  type: 'object', additionalProperties: false, required: ['readings'],
  properties: {
    sampling: id,
    occupancy: { enum: ['atRest', 'inOperation'] },
    sampledAt: dt,
    readings: {
      type: 'array', minItems: 1, maxItems: 500,
      items: {
        type: 'object', additionalProperties: false, required: ['point', 'parameter', 'value'],
        properties: { point: id, parameter: { type: 'string', maxLength: 64 }, value: { type: 'number', minimum: -1000000, maximum: 1000000000 }, remarks: { type: 'string', maxLength: 500 } },
      },
    },
  },
};

const iso = (v: unknown) => (v == null ? null : new Date(String(v)).toISOString());

/**
 * QC routes: the EM round (a screen of readings in one transaction), trend series with their limit lines, the room
 * map, the spot-check draw re-check and the QC lead's overview. Every read goes through the record pipeline as the
 * caller (row scope, field rules), so another lab's rooms, readings and records never appear.
 */
export function qcRoutes(router: Router, api: PluginApi): void {
  const must = async (c: CallContext, entity: string, action = 'read') => api.records.assertAllowed(c, entity, action);

  router.post('/qc/em/round', async (ctx) => {
    const c = api.context(ctx);
    await must(c, 'emReading', 'create');
    const body = readBody<any>(ctx.request.body, ROUND_BODY);
    const sampledAt = body.sampledAt ?? new Date().toISOString();
    const out = await api.transaction(async (trx, records) => {
      let sampling: Record<string, any> | null = null;
      if (body.sampling) {
        sampling = await records.get(c, 'emSampling', body.sampling);
        if (sampling.status === 'done') throw new AppError(409, 'CONFLICT', 'em.samplingDone', { title: sampling.title ?? '' });
      }
      const occupancy = body.occupancy ?? sampling?.occupancy ?? 'inOperation';
      const made: Record<string, any>[] = [];
      for (const [i, r] of (body.readings as any[]).entries()) {
        try {
          const made1 = await records.create(c, 'emReading', { point: r.point, parameter: r.parameter, value: r.value, occupancy, sampledAt, remarks: r.remarks, ...(sampling ? { sampling: sampling.id } : {}) });
          // Read back: an excursion's deviation is linked by the reading's after-hook.
          made.push(await records.get(c, 'emReading', made1.id));
        } catch (e) {
          // Errors name the reading they come from: /readings/3/value.
          if (e instanceof AppError && Array.isArray((e as any).details))
            (e as any).details = (e as any).details.map((d: any) => ({ ...d, path: `/readings/${i}${d.path ?? ''}` }));
          throw e;
        }
      }
      if (sampling) {
        await records.update(api.system(c.lang), 'emSampling', sampling.id, { version: sampling.version }, { set: { status: 'done', completedAt: new Date().toISOString() } });
        await api.completeAssignments(trx, c, 'emSampling', sampling.id);
      }
      return made;
    });
    ctx.status = 201;
    ctx.body = { data: out.map((r) => ({ id: r.id, point: r.point, parameter: r.parameter, value: Number(r.value), status: r.status, alertLimit: bandOf(r, 'alert'), actionLimit: bandOf(r, 'action'), deviation: r.deviation ?? null })) };
  });

  router.get('/qc/em/trend', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<any>(ctx.query, TREND_Q, ['point', 'parameter']);
    const point = await api.records.get(c, 'samplingPoint', q.point, { fields: ['id', 'name', 'room'] });
    const room = await api.records.get(c, 'room', Number(point.room), { fields: ['id', 'name', 'grade'] });
    const filter: Record<string, unknown> = { point: point.id, parameter: q.parameter };
    if (q.from || q.to) filter.sampledAt = { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lte: q.to } : {}) };
    const rows = (await api.records.list(c, 'emReading', { filter, sort: ['sampledAt'], limit: 1000, fields: ['id', 'sampledAt', 'value', 'status', 'occupancy', 'alertMin', 'alertMax', 'actionMin', 'actionMax', 'deviation'] })).data;
    const occupancy = rows.at(-1)?.occupancy ?? 'inOperation';
    const grade = limitsFor(api.defs<EmLimitSet>('emLimit'), room.grade, q.parameter, occupancy);
    const site = await siteAlertLevel(api, api.records, Number(point.id), q.parameter, occupancy, new Date().toISOString());
    const current = withSiteAlert(grade, q.parameter, site);
    ctx.body = {
      data: rows.map((r) => ({ id: r.id, sampledAt: iso(r.sampledAt), value: Number(r.value), status: r.status, occupancy: r.occupancy, alertLimit: bandOf(r, 'alert'), actionLimit: bandOf(r, 'action'), deviation: r.deviation ?? null })),
      point: { id: point.id, name: point.name }, room: { id: room.id, name: room.name, grade: room.grade }, parameter: q.parameter,
      limits: { alert: current?.alert ?? null, action: current?.action ?? null },
      // Where today's alert level comes from, and one suggested from these readings (same occupancy as the latest).
      alertSource: site ? { kind: 'site', emAlertLevel: site.id } : { kind: 'grade', emAlertLevel: null }, occupancy,
      suggestion: suggestAlert(rows.filter((r) => (r.occupancy ?? 'inOperation') === occupancy).map((r) => Number(r.value)), grade?.action),
    };
  });

  router.get('/qc/em/room-map', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<any>(ctx.query, MAP_Q);
    const rooms = (await api.records.list(c, 'room', { sort: ['code'], limit: 500, fields: ['id', 'code', 'name', 'grade', 'parent', 'active'] })).data.filter((r) => r.active !== false);
    const points = (await api.records.list(c, 'samplingPoint', { sort: ['code'], limit: 1000, fields: ['id', 'code', 'name', 'room', 'parameters', 'mapX', 'mapY', 'active'] })).data.filter((r) => r.active !== false);
    const since = new Date(Date.now() - q.days * 86400_000).toISOString();
    // The latest reading per point and parameter: one index walk (point, parameter, sampledAt), within the caller's scope.
    await must(c, 'emReading');
    const scoped = api.scopedQuery(c, 'emReading', 'r', { fields: ['id', 'point', 'parameter', 'status', 'value', 'sampledAt'] });
    const readings = (await api.db().raw(
      `select distinct on (r.point, r.parameter) r.point, r.parameter, r.status, r.value, r."sampledAt" from ? where r."sampledAt" >= ? order by r.point, r.parameter, r."sampledAt" desc`,
      [scoped, since],
    )).rows;
    const latest = new Map<string, Record<string, any>>();
    for (const r of readings) latest.set(`${r.point}|${r.parameter}`, r);
    const worst = (xs: (string | null)[]) => xs.reduce<string | null>((w, s) => (s && (w == null || RANK[s] > RANK[w]) ? s : w), null);
    const pointOut = points.map((p) => {
      const last = (p.parameters ?? []).map((par: string) => latest.get(`${p.id}|${par}`)).filter(Boolean) as Record<string, any>[];
      return {
        id: p.id, code: p.code, name: p.name, room: Number(p.room), mapX: p.mapX == null ? null : Number(p.mapX), mapY: p.mapY == null ? null : Number(p.mapY),
        parameters: p.parameters ?? [], status: worst(last.map((r) => r.status)),
        latest: last.map((r) => ({ parameter: r.parameter, value: Number(r.value), status: r.status, sampledAt: iso(r.sampledAt) })),
      };
    });
    ctx.body = {
      data: rooms.map((r) => {
        const mine = pointOut.filter((p) => p.room === r.id);
        return { id: r.id, code: r.code, name: r.name, grade: r.grade, parent: r.parent ?? null, status: worst(mine.map((p) => p.status)), points: mine };
      }),
    };
  });

  router.get('/qc/spot-checks/draws/:id/verify', async (ctx) => {
    const c = api.context(ctx);
    const drawId = Number(ctx.params.id);
    if (!Number.isSafeInteger(drawId) || drawId < 1) throw notFound('spotCheckDraw', ctx.params.id);
    const d = await api.records.get(c, 'spotCheckDraw', drawId);
    const plan = await api.records.get(c, 'spotCheckPlan', Number(d.plan), { fields: ['id', 'percent', 'minCount'] });
    const candidates = (d.candidates ?? []).map(Number);
    const again = drawSample(candidates, drawSize(plan, candidates.length), d.seed);
    const drawn = (d.drawn ?? []).map(Number).sort((a: number, b: number) => a - b);
    ctx.body = { data: { seed: d.seed, candidates: [...candidates].sort((a, b) => a - b), drawn, recomputed: again, matches: JSON.stringify(again) === JSON.stringify(drawn) } };
  });

  router.get('/qc/overview', async (ctx) => {
    const c = api.context(ctx);
    const q = readQuery<any>(ctx.query, OVERVIEW_Q);
    const since = new Date(Date.now() - q.days * 86400_000).toISOString();
    // Each figure carries the entity and filter of its list, so the page opens exactly the records counted.
    const count = async (entity: string, filter: Record<string, unknown>) => {
      if (!(await api.visibleFields(c, entity, ['id']))) return null;
      const r = await api.records.list(c, entity, { filter, limit: 1, count: true, fields: ['id'] });
      return { entity, filter, count: r.page.total ?? r.data.length };
    };
    const kinds = (api.defs('dictionary').qcType?.items ?? []).map((i: any) => i.code as string);
    const passRates = [];
    for (const kind of kinds) {
      const judged = await count('qcRecord', { qcType: kind, result: { in: ['pass', 'fail'] }, testedAt: { gte: since } });
      const passed = await count('qcRecord', { qcType: kind, result: 'pass', testedAt: { gte: since } });
      if (!judged || !passed) continue;
      passRates.push({ qcType: kind, judged, passed, rate: judged.count ? Math.round((passed.count / judged.count) * 1000) / 10 : null });
    }
    const now = new Date().toISOString();
    ctx.body = {
      data: {
        days: q.days, passRates,
        openReviews: await count('qcRecord', { reviewStatus: 'submitted' }),
        openDeviations: await count('deviation', { status: 'open' }),
        dueSamplings: await count('emSampling', { status: 'due', dueAt: { lte: now } }),
        overdueSamplings: await count('emSampling', { status: 'overdue' }),
        openSpotChecks: await count('spotCheckTask', { status: 'open' }),
        emAlerts: await count('emReading', { status: 'alert', sampledAt: { gte: since } }),
        emActions: await count('emReading', { status: 'action', sampledAt: { gte: since } }),
      },
    };
  });
}

