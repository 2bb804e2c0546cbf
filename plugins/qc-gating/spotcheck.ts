import { randomBytes } from 'node:crypto';
import { VetoError, type PluginApi } from '../../platform/plugins/sdk';

/** A 32-bit seed from any string (cyrb53's mixing, folded). */
function hashSeed(seed: string): number {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < seed.length; i++) {
    const c = seed.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  return h1 >>> 0;
}

/** mulberry32: small, fast, and the same sequence on every machine for the same seed. */
function rng(seed: string): () => number {
  let a = hashSeed(seed);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The draw: candidates in ascending id order, a Fisher–Yates shuffle driven by the seed, the first `n`
 * taken, returned in ascending order. Pure: the recorded seed and candidates give the same draw again.
 */
export function drawSample(candidates: number[], n: number, seed: string): number[] {
  const list = [...new Set(candidates)].sort((x, y) => x - y);
  const next = rng(seed);
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list.slice(0, Math.min(n, list.length)).sort((x, y) => x - y);
}

export const drawSize = (plan: Record<string, any>, candidates: number) =>
  Math.min(candidates, Math.max(Number(plan.minCount ?? 1), Math.ceil((Number(plan.percent) / 100) * candidates)));

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

/** The plan's `draw` action: picks running cultures of the plan's lab, records the draw, and gives each a task. */
export function registerSpotChecks(p: PluginApi) {
  p.hooks.action('spotCheckPlan', 'draw', {
    label: { 'zh-CN': '随机抽签', en: 'Draw at random' },
    when: { '!=': [{ var: 'active' }, false] },
    input: {
      type: 'object', additionalProperties: false,
      properties: { seed: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', 'x-label': { 'zh-CN': '随机种子（留空自动生成）', en: 'Random seed (empty: generated)' } } },
    },
    handler: async ({ ctx, record: plan, input, records, trx }) => {
      const sys = p.system(ctx.lang);
      const labId = plan.labId == null ? null : Number(plan.labId);
      const since = isoDate(new Date(Date.now() - Number(plan.windowDays ?? 30) * 86400_000));
      const filter: Record<string, unknown> = { labId: labId ?? { isNull: true }, cultureDate: { gte: since } };
      if (plan.cellKind) filter.cellKind = plan.cellKind;
      const candidates = (await records.list(sys, 'cultureRecord', { filter, sort: ['id'], limit: 1000, fields: ['id'] })).data.map((r) => Number(r.id));
      if (!candidates.length) throw new VetoError('qc.noCandidates', { days: plan.windowDays ?? 30 });
      const seed = String(input.seed ?? randomBytes(8).toString('hex'));
      const drawn = drawSample(candidates, drawSize(plan, candidates.length), seed);
      const owner = { labId, orgId: plan.orgId == null ? labId : Number(plan.orgId) };
      const draw = await records.create(ctx, 'spotCheckDraw', {}, {
        set: { plan: plan.id, seed, candidates, drawn, drawnAt: new Date().toISOString(), drawnBy: ctx.actor.id }, owner,
      });
      // Tasks go round the lab's QC inspectors (the drawer when the lab has none); each lands in the inbox.
      const inspectors = (await p.usersWithRole('qcInspector', { labId, trx })).map((u) => u.id).sort((a, b) => a - b);
      const due = isoDate(new Date(Date.now() + Number(plan.dueDays ?? 3) * 86400_000));
      const titles = new Map((await records.list(sys, 'cultureRecord', { filter: { id: { in: drawn } }, fields: ['id', 'batchCode'], limit: drawn.length })).data.map((r) => [Number(r.id), r.batchCode]));
      let i = 0;
      for (const culture of drawn) {
        const assignee = inspectors.length ? inspectors[i++ % inspectors.length] : ctx.actor.id;
        await records.create(ctx, 'spotCheckTask', { cultureRecord: culture, dueDate: due, assignee }, {
          set: { draw: draw.id, title: `${plan.name} · ${titles.get(culture) ?? culture}` }, owner,
        });
      }
    },
  });

  // A spot-check QC record of a drawn culture completes the open task (and its inbox entry).
  p.hooks.on('qcRecord', 'beforeCreate', async (a) => {
    if (a.record.qcType !== 'spotCheck' || !a.record.cultureRecord) return;
    const task = (await a.records.list(p.system(), 'spotCheckTask', { filter: { cultureRecord: Number(a.record.cultureRecord), status: 'open' }, sort: ['id'], limit: 1, fields: ['id'] })).data[0];
    if (task) a.record.spotCheckTask = task.id;
  });
  p.hooks.on('qcRecord', 'afterCreate', async (a) => {
    if (!a.record.spotCheckTask) return;
    const sys = p.system(a.ctx.lang);
    const task = await a.records.get(sys, 'spotCheckTask', Number(a.record.spotCheckTask));
    await a.records.update(sys, 'spotCheckTask', task.id, { version: task.version }, { set: { status: 'done', qcRecord: a.record.id } });
    await p.completeAssignments(a.trx, a.ctx, 'spotCheckTask', task.id, a.record.qcNo);
  });
}
