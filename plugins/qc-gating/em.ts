import { AppError, VetoError, label, t, type CallContext, type HookArgs, type PluginApi, type Records } from '../../platform/plugins/sdk';

export interface Limit { min?: number; max?: number }
export interface EmLimitItem { parameter: string; occupancy?: 'atRest' | 'inOperation'; alert?: Limit; action: Limit }
export interface EmLimitSet { $id: string; grade: string; items: EmLimitItem[] }

/** A reading's copied alert or action level as a band ({min, max}); null when it has none. */
export function bandOf(r: Record<string, any>, which: 'alert' | 'action'): Limit | null {
  const min = r[`${which}Min`];
  const max = r[`${which}Max`];
  if (min == null && max == null) return null;
  return { ...(min != null ? { min: Number(min) } : {}), ...(max != null ? { max: Number(max) } : {}) };
}

const inside = (v: number, b?: Limit | null) => !b || ((b.min === undefined || v >= b.min) && (b.max === undefined || v <= b.max));

/** The limits of a parameter in a room of `grade` at `occupancy`: the item naming the occupancy wins over one for both. */
export function limitsFor(sets: Record<string, EmLimitSet>, grade: string | null | undefined, parameter: string, occupancy: string): EmLimitItem | undefined {
  const items = Object.values(sets).filter((s) => s.grade === grade).flatMap((s) => s.items.filter((i) => i.parameter === parameter));
  return items.find((i) => i.occupancy === occupancy) ?? items.find((i) => !i.occupancy);
}

/** ok / alert / action for a value against its limits (pure). */
export function judgeReading(value: number, item: EmLimitItem | undefined): 'ok' | 'alert' | 'action' | 'noLimit' {
  if (!item) return 'noLimit';
  if (!inside(value, item.action)) return 'action';
  if (!inside(value, item.alert)) return 'alert';
  return 'ok';
}

const DAY = 86400_000;

/** The lab's calendar day of a moment: China time (UTC+8, no daylight saving), the day a person writes on the form. */
const labDay = (at: string) => new Date(Date.parse(at) + 8 * 3600_000).toISOString().slice(0, 10);

/**
 * The site's own alert level of a point and parameter in force on the day of `at` (EU GMP Annex 1: alert levels from
 * the site's trend): the latest effective one for that occupancy or for both; on the same day the one naming the
 * occupancy wins. Null when the site set none (the grade's default applies).
 */
export async function siteAlertLevel(p: PluginApi, records: Records, point: number, parameter: string, occupancy: string, at: string): Promise<{ id: number; limit: Limit } | null> {
  const rows = (await records.list(p.system(), 'emAlertLevel', {
    filter: { point, parameter, effectiveFrom: { lte: labDay(at) } }, sort: ['-effectiveFrom', '-id'], limit: 50, fields: ['id', 'occupancy', 'alertMin', 'alertMax', 'effectiveFrom'],
  })).data.filter((r) => !r.occupancy || r.occupancy === occupancy);
  const top = rows[0];
  if (!top) return null;
  const r = rows.find((x) => String(x.effectiveFrom) === String(top.effectiveFrom) && x.occupancy === occupancy) ?? top;
  return { id: Number(r.id), limit: bandOf(r, 'alert') ?? {} };
}

/** The grade's limits with the site's alert level in place of the default alert band. */
export function withSiteAlert(item: EmLimitItem | undefined, parameter: string, site: { limit: Limit } | null): EmLimitItem | undefined {
  if (!site) return item;
  return item ? { ...item, alert: site.limit } : { parameter, alert: site.limit, action: {} };
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const round3 = (v: number) => Math.round(v * 1000) / 1000;

/**
 * An alert level suggested from a point's own readings: the 95th percentile for an upper limit (the 5th for a lower
 * one), never beyond the action level, from at least 20 readings. Percentiles rather than mean + 2σ: microbial
 * counts are mostly zero and far from normal.
 */
export function suggestAlert(values: number[], action: Limit | null | undefined): { n: number; mean: number | null; sd: number | null; p5: number | null; p95: number | null; suggested: Limit | null; enough: boolean } {
  const n = values.length;
  if (!n) return { n, mean: null, sd: null, p5: null, p95: null, suggested: null, enough: false };
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const p5 = percentile(sorted, 0.05);
  const p95 = percentile(sorted, 0.95);
  const enough = n >= 20;
  const suggested: Limit = {};
  if (action?.max !== undefined || action?.min === undefined) suggested.max = round3(action?.max !== undefined ? Math.min(p95, action.max) : p95);
  if (action?.min !== undefined) suggested.min = round3(Math.max(p5, action.min));
  return { n, mean: round3(mean), sd: round3(sd), p5: round3(p5), p95: round3(p95), suggested: enough ? suggested : null, enough };
}
const dict = (p: PluginApi, d: string, code: string, lang: CallContext['lang']) => {
  const it = p.defs('dictionary')[d]?.items?.find((i: any) => i.code === code);
  return it ? label(it.label, lang) : code;
};

/**
 * The batches worked in a room during a window (the trace for an environment excursion): culture steps performed
 * there, and culture records whose culture date falls in it, one line per culture record (the latest step shown).
 */
export async function affectedBatches(p: PluginApi, records: Records, room: number, from: string, to: string) {
  const sys = p.system();
  const steps = (await records.list(sys, 'cultureStep', { filter: { room, performedAt: { between: [from, to] } }, sort: ['-performedAt'], limit: 1000, fields: ['id', 'cultureRecord', 'performedAt'] })).data;
  const cultures = (await records.list(sys, 'cultureRecord', { filter: { room, cultureDate: { between: [from.slice(0, 10), to.slice(0, 10)] } }, sort: ['id'], limit: 1000, fields: ['id', 'cultureDate'] })).data;
  const out = new Map<number, { cultureRecord: number; cultureStep: number | null; at: string }>();
  for (const s of steps) if (!out.has(Number(s.cultureRecord))) out.set(Number(s.cultureRecord), { cultureRecord: Number(s.cultureRecord), cultureStep: Number(s.id), at: new Date(s.performedAt).toISOString() });
  for (const c of cultures) if (!out.has(Number(c.id))) out.set(Number(c.id), { cultureRecord: Number(c.id), cultureStep: null, at: new Date(`${String(c.cultureDate).slice(0, 10)}T00:00:00Z`).toISOString() });
  return [...out.values()].sort((a, b) => a.cultureRecord - b.cultureRecord);
}

/** Environment monitoring and deviations: limit checks on entry, excursions, the sampling schedule. */
export function registerEm(p: PluginApi) {
  const closing = new WeakSet<CallContext>();

  /**
   * The sampling point a reading or alert level names, refused when it does not monitor the parameter, and its room
   * (for the grade). Null when the point does not exist: the write's own reference check names it.
   */
  const pointOf = async (a: HookArgs, pointId: unknown, parameter: string) => {
    const sys = p.system(a.ctx.lang);
    let point: Record<string, any>;
    try {
      point = await a.records.get(sys, 'samplingPoint', Number(pointId), { fields: ['id', 'room', 'parameters', 'name'] });
    } catch {
      return null;
    }
    if (Array.isArray(point.parameters) && !point.parameters.includes(parameter))
      throw new VetoError('em.parameterNotAtPoint', { point: point.name, parameter: dict(p, 'emParameter', parameter, a.ctx.lang) }, '/parameter');
    const room = await a.records.get(sys, 'room', Number(point.room), { fields: ['id', 'grade'] });
    return { point, room };
  };

  // Limit check on entry: the point gives the room and its grade; the limits are copied onto the reading.
  const check = async (a: HookArgs) => {
    const r = a.record;
    const at = await pointOf(a, r.point, r.parameter);
    if (!at) return;
    const { point, room } = at;
    const occupancy = r.occupancy ?? 'inOperation';
    const site = await siteAlertLevel(p, a.records, Number(point.id), r.parameter, occupancy, new Date(r.sampledAt ?? Date.now()).toISOString());
    const item = withSiteAlert(limitsFor(p.defs<EmLimitSet>('emLimit'), room.grade, r.parameter, occupancy), r.parameter, site);
    Object.assign(r, {
      room: room.id, grade: room.grade, status: judgeReading(Number(r.value), item),
      alertMin: item?.alert?.min ?? null, alertMax: item?.alert?.max ?? null, actionMin: item?.action?.min ?? null, actionMax: item?.action?.max ?? null,
      title: `${point.name} · ${dict(p, 'emParameter', r.parameter, 'zh-CN')} · ${new Date(r.sampledAt).toISOString().slice(0, 10)}`.slice(0, 200),
    });
  };
  p.hooks.on('emReading', 'beforeCreate', check);
  p.hooks.on('emReading', 'beforeUpdate', check);

  // A site alert level: on a parameter the point monitors, a band, and inside the grade's action level (an alert
  // level beyond the action level would never warn).
  const checkAlertLevel = async (a: HookArgs) => {
    const r = a.record;
    const lang = a.ctx.lang;
    if (r.alertMin == null && r.alertMax == null) throw new VetoError('em.alertEmpty', {}, '/alertMax');
    if (r.alertMin != null && r.alertMax != null && Number(r.alertMin) > Number(r.alertMax)) throw new VetoError('em.alertInverted', {}, '/alertMin');
    const at = await pointOf(a, r.point, r.parameter);
    if (!at) return;
    const { point, room } = at;
    const param = dict(p, 'emParameter', r.parameter, lang);
    for (const occ of r.occupancy ? [r.occupancy] : ['atRest', 'inOperation']) {
      const action = limitsFor(p.defs<EmLimitSet>('emLimit'), room.grade, r.parameter, occ)?.action;
      if (action?.max !== undefined && r.alertMax != null && Number(r.alertMax) > action.max) throw new VetoError('em.alertBeyondAction', { parameter: param, limit: `≤ ${action.max}` }, '/alertMax');
      if (action?.min !== undefined && r.alertMin != null && Number(r.alertMin) < action.min) throw new VetoError('em.alertBeyondAction', { parameter: param, limit: `≥ ${action.min}` }, '/alertMin');
    }
    const occLabel = r.occupancy ? label(p.model.entity('emAlertLevel')?.fields.get('occupancy')?.schema['x-enum-labels']?.[r.occupancy], 'zh-CN') : '';
    r.title = [point.name, dict(p, 'emParameter', r.parameter, 'zh-CN'), occLabel, String(r.effectiveFrom).slice(0, 10)].filter(Boolean).join(' · ').slice(0, 200);
  };
  p.hooks.on('emAlertLevel', 'beforeCreate', checkAlertLevel);
  p.hooks.on('emAlertLevel', 'beforeUpdate', checkAlertLevel);

  // An action-level excursion opens a deviation; its window starts at the point's last reading within limits.
  p.hooks.on('emReading', 'afterCreate', async (a) => {
    const r = a.record;
    if (r.status !== 'action' || r.deviation) return;
    const sys = p.system(a.ctx.lang);
    const prevOk = (await a.records.list(sys, 'emReading', {
      filter: { point: r.point, parameter: r.parameter, status: 'ok', sampledAt: { lt: r.sampledAt } }, sort: ['-sampledAt'], limit: 1, fields: ['id', 'sampledAt'],
    })).data[0];
    const to = new Date(r.sampledAt);
    const from = prevOk ? new Date(prevOk.sampledAt) : new Date(to.getTime() - 7 * DAY);
    const point = await a.records.get(sys, 'samplingPoint', Number(r.point), { fields: ['id', 'name'] });
    const room = await a.records.get(sys, 'room', Number(r.room), { fields: ['id', 'name'] });
    const lim = bandOf(r, 'action') ?? {};
    const limitText = [lim.min !== undefined ? `≥ ${lim.min}` : '', lim.max !== undefined ? `≤ ${lim.max}` : ''].filter(Boolean).join(', ');
    const words = (lang: 'zh-CN' | 'en') => t(lang, 'em.excursionTitle', { room: room.name, point: point.name, parameter: dict(p, 'emParameter', r.parameter, lang), value: Number(r.value), limit: limitText });
    const dev = await a.records.create(sys, 'deviation', {
      title: words('zh-CN').slice(0, 200), source: 'emExcursion', classification: 'major', occurredAt: to.toISOString(),
      description: `${words('zh-CN')}\n${words('en')}`, room: room.id, windowFrom: from.toISOString(), windowTo: to.toISOString(), emReading: r.id,
    }, { owner: { labId: r.labId == null ? null : Number(r.labId), orgId: r.orgId == null ? null : Number(r.orgId) } });
    const fresh = await a.records.get(sys, 'emReading', r.id, { fields: ['id', 'version'] });
    await a.records.update(sys, 'emReading', r.id, { version: fresh.version }, { set: { deviation: dev.id } });
  });

  // Affected records follow the room and window; a closed deviation is frozen.
  const affected = async (a: HookArgs) => {
    const r = a.record;
    const prev = a.previous;
    if (prev?.status === 'closed' && !closing.has(a.ctx)) throw new VetoError('deviation.closed', { devNo: prev.devNo ?? '' });
    const same = prev && prev.room === r.room && String(prev.windowFrom) === String(r.windowFrom) && String(prev.windowTo) === String(r.windowTo);
    if (same && Array.isArray(prev.affected)) return;
    if (r.windowFrom && r.windowTo && new Date(r.windowFrom) > new Date(r.windowTo)) throw new VetoError('deviation.window', {}, '/windowTo');
    r.affected = r.room && r.windowFrom && r.windowTo ? await affectedBatches(p, a.records, Number(r.room), new Date(r.windowFrom).toISOString(), new Date(r.windowTo).toISOString()) : [];
  };
  p.hooks.on('deviation', 'beforeCreate', affected);
  p.hooks.on('deviation', 'beforeUpdate', affected);

  p.hooks.action('deviation', 'close', {
    label: { 'zh-CN': 'QA关闭偏差', en: 'Close (QA)' },
    when: { '==': [{ var: 'status' }, 'open'] },
    input: { type: 'object', additionalProperties: false, properties: { comment: { type: 'string', maxLength: 500, 'x-label': { 'zh-CN': '结论', en: 'Conclusion' } } } },
    handler: async ({ ctx, record, records }) => {
      if (!ctx.actor.id) throw new AppError(403, 'FORBIDDEN', 'qc.signSystem');
      if (!String(record.investigation ?? '').trim()) throw new VetoError('deviation.noInvestigation', {}, '/investigation');
      const capa: any[] = Array.isArray(record.capa) ? record.capa : [];
      if (!capa.length) throw new VetoError('deviation.noCapa', {}, '/capa');
      const open = capa.findIndex((c) => !c.done);
      if (open >= 0) throw new VetoError('deviation.capaOpen', { action: capa[open].action }, `/capa/${open}/done`);
      const c = { ...ctx };
      closing.add(c);
      return records.update(c, 'deviation', record.id, { version: record.version }, { set: { status: 'closed', closedBy: ctx.actor.id, closedAt: new Date().toISOString() } });
    },
  });

  // Due samplings from the plans, hourly; a run missed while the server was down runs once after the restart and
  // creates every sampling that fell due meanwhile (catch-up). Each overdue sampling is announced once.
  const schedule = p.job('emSchedule', async () => {
    await generateSamplings(p);
    await markOverdue(p);
  });
  void schedule.schedule('5 * * * *');
}

const MAX_CATCH_UP = 400;

export async function generateSamplings(p: PluginApi, now = new Date()): Promise<number> {
  const sys = p.system();
  // `active` unset means active (a default the client may leave out).
  const plans = (await p.records.list(sys, 'emPlan', { sort: ['id'], limit: 1000 })).data.filter((x) => x.active !== false);
  let made = 0;
  for (const plan of plans) {
    await p.transaction(async (_trx, records) => {
      const step = Number(plan.everyDays) * DAY;
      let next = plan.lastDueAt ? new Date(new Date(plan.lastDueAt).getTime() + step) : new Date(plan.startsAt);
      // Generated one day ahead, so tomorrow's sampling is in the inbox today.
      const horizon = now.getTime() + DAY;
      let last: Date | null = null;
      const owner = { labId: plan.labId == null ? null : Number(plan.labId), orgId: plan.orgId == null ? null : Number(plan.orgId) };
      const room = await records.get(sys, 'room', Number(plan.room), { fields: ['id', 'name'] });
      for (let i = 0; next.getTime() <= horizon && i < MAX_CATCH_UP; i++) {
        await records.create(sys, 'emSampling', { plan: plan.id, room: plan.room, occupancy: plan.occupancy ?? 'inOperation', dueAt: next.toISOString(), assignee: plan.assignee ?? undefined }, {
          set: { title: `${room.name} · ${next.toISOString().slice(0, 10)}` }, owner,
        });
        made++;
        last = next;
        next = new Date(next.getTime() + step);
      }
      if (last) {
        const fresh = await records.get(sys, 'emPlan', plan.id, { fields: ['id', 'version'] });
        await records.update(sys, 'emPlan', plan.id, { version: fresh.version }, { set: { lastDueAt: last.toISOString() } });
      }
    });
  }
  return made;
}

export async function markOverdue(p: PluginApi, now = new Date()): Promise<number> {
  const sys = p.system();
  const open = (await p.records.list(sys, 'emSampling', { filter: { status: 'due', dueAt: { lt: now.toISOString() } }, sort: ['dueAt'], limit: 1000 })).data;
  let sent = 0;
  for (const s of open) {
    const plan = s.plan ? await p.records.get(sys, 'emPlan', Number(s.plan), { fields: ['id', 'graceHours'] }).catch(() => null) : null;
    const grace = Number(plan?.graceHours ?? 24) * 3600_000;
    if (new Date(s.dueAt).getTime() + grace > now.getTime()) continue;
    await p.transaction(async (trx, records) => {
      await records.update(sys, 'emSampling', s.id, { version: s.version }, { set: { status: 'overdue', overdueNotifiedAt: now.toISOString() } });
      const labId = s.labId == null ? null : Number(s.labId);
      const users = new Set<number>();
      if (s.assignee) users.add(Number(s.assignee));
      for (const u of await p.usersWithRole('labDirector', { labId, trx })) users.add(u.id);
      const title = t('zh-CN', 'em.overdue', { title: s.title ?? '', due: new Date(s.dueAt).toISOString().slice(0, 16).replace('T', ' ') });
      await p.notify(trx, [...users].map((userId) => ({ userId, kind: 'emOverdue', entity: 'emSampling', recordId: s.id, recordTitle: title.slice(0, 200), data: { dueAt: s.dueAt } })));
    });
    sent++;
  }
  return sent;
}
