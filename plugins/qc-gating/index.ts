import jsonLogic from 'json-logic-js';
import { definePlugin, VetoError, AppError, label, type HookArgs, type Lang, type PluginApi, type CallContext } from '../../platform/plugins/sdk';
import { qcSpecSchema, qcGateSchema, emLimitSchema, checkSpec, checkGate, checkEmLimit } from './schemas';
import { evaluate, pickSpec, within, describeBand, type Band } from './evaluate';
import { qcMessages } from './messages';
import { registerReview, LOCKED } from './review';
import { registerSpotChecks } from './spotcheck';
import { registerEm } from './em';
import { qcRoutes } from './routes';

export interface QcGate {
  $id: string;
  label: Record<Lang, string>;
  enabled?: boolean;
  entity: string;
  on: ('create' | 'update' | 'delete')[];
  when?: object;
  unless?: object;
  subject: { field: string; entity: string; qcField?: string; display?: string };
  qcEntity?: string;
  qcType: string;
  spec?: string;
  fields?: string[];
  limits?: Record<string, Band>;
  validityDays?: number;
  requireSignature?: boolean;
  requireApproved?: boolean;
}

const RESULT_FIELDS = ['viability', 'cellCount', 'sterility', 'mycoplasma', 'endotoxin', 'cd73', 'cd90', 'cd105', 'cd45', 'cd34', 'hlaDr', 'cd3', 'cd56', 'confluence', 'morphologyOk', 'appearance', 'qcType', 'spec', 'batch', 'cultureStep', 'cultureRecord', 'materialLot'];

function fieldLabel(p: PluginApi, entity: string, field: string, lang: Lang): string {
  return label(p.model.entity(entity)?.fields.get(field)?.schema['x-label'], lang) || field;
}

function dictLabel(p: PluginApi, dict: string, code: string, lang: Lang): string {
  const item = p.defs('dictionary')[dict]?.items?.find((i: any) => i.code === code);
  return item ? label(item.label, lang) : code;
}

/**
 * Refuses the write unless the record's subject (a cell batch, a material lot…) has a QC of the gate's type that
 * passed, is complete, within the gate's limits and valid. The gate reads QC records as the system: the question is
 * whether the subject was released, whoever may read its QC.
 */
export async function enforceGate(p: PluginApi, g: QcGate, event: 'create' | 'update' | 'delete', a: HookArgs): Promise<void> {
  const record = a.record;
  const data = { event, record, previous: a.previous ?? null };
  if (g.when && !jsonLogic.apply(g.when as any, data)) return;
  if (g.unless && jsonLogic.apply(g.unless as any, data)) return;
  const lang = a.ctx.lang;
  const path = `/${g.subject.field}`;
  const sys = p.system(lang);
  const subjectEntity = p.model.entity(g.subject.entity);
  const kind = label(subjectEntity?.schema['x-label'], lang) || g.subject.entity;
  const base: Record<string, unknown> = {
    gate: label(g.label, lang), qcType: dictLabel(p, 'qcType', g.qcType, lang), days: g.validityDays ?? '', subjectKind: kind, subjectKindLower: lang === 'en' ? kind.toLowerCase() : kind,
  };
  const subjectId = Number(record[g.subject.field]);
  if (!record[g.subject.field]) throw new VetoError('qcGate.noBatch', base, path);
  const display = g.subject.display ?? (subjectEntity?.schema['x-title'] as string | undefined) ?? 'id';
  const subject = await a.records.get(sys, g.subject.entity, subjectId, { fields: ['id', display] });
  base.batch = subject[display] ?? '';
  const filter: Record<string, unknown> = { [g.subject.qcField ?? g.subject.field]: subjectId, qcType: g.qcType };
  if (g.spec) filter.spec = g.spec;
  if (g.requireApproved) filter.reviewStatus = 'approved';
  if (g.validityDays) filter.testedAt = { gte: new Date(Date.now() - g.validityDays * 86400_000).toISOString() };
  const qcEntity = g.qcEntity ?? 'qcRecord';
  // The latest QC of the type decides: a later failure overrides an earlier pass.
  const qc = (await a.records.list(sys, qcEntity, { filter, sort: ['-testedAt'], limit: 1 })).data[0];
  if (!qc && g.requireApproved) {
    // Say why: a result exists but is still in review (or was rejected), or there is none at all.
    const { reviewStatus: _approved, ...any } = filter;
    const pending = (await a.records.list(sys, qcEntity, { filter: any, sort: ['-testedAt'], limit: 1, fields: ['id', 'qcNo', 'reviewStatus'] })).data[0];
    if (pending) throw new VetoError('qcGate.awaitingReview', { ...base, qcNo: pending.qcNo ?? '', status: dictLabelEnum(p, qcEntity, 'reviewStatus', pending.reviewStatus ?? 'draft', lang) }, path);
  }
  if (!qc) throw new VetoError(`qcGate.${g.requireApproved ? 'notApproved' : 'missing'}${g.validityDays ? 'Within' : ''}`, base, path);
  base.qcNo = qc.qcNo ?? '';
  if (qc.result === 'fail') {
    const items = (qc.deviations ?? []).map((d: any) => `${fieldLabel(p, qcEntity, d.field, lang)} ${d.value} (${describeBand(d.limit)})`);
    throw new VetoError('qcGate.failed', { ...base, result: dictLabelEnum(p, qcEntity, 'result', 'fail', lang), items: items.length ? `: ${items.join('; ')}` : '' }, path);
  }
  const missing = (g.fields ?? []).filter((f) => qc[f] === undefined || qc[f] === null || qc[f] === '');
  if (missing.length) throw new VetoError('qcGate.fieldsMissing', { ...base, fields: missing.map((f) => fieldLabel(p, qcEntity, f, lang)).join(lang === 'en' ? ', ' : '、') }, path);
  if (qc.result !== 'pass') throw new VetoError('qcGate.failed', { ...base, result: dictLabelEnum(p, qcEntity, 'result', qc.result ?? 'pending', lang), items: '' }, path);
  const out = Object.entries(g.limits ?? {}).filter(([f, b]) => !within(qc[f], b));
  if (out.length)
    throw new VetoError('qcGate.outOfLimits', { ...base, items: out.map(([f, b]) => `${fieldLabel(p, qcEntity, f, lang)} ${qc[f]} (${describeBand(b)})`).join('; ') }, path);
  if (g.requireSignature && !qc.signedAt) throw new VetoError('qcGate.unsigned', base, path);
}

function dictLabelEnum(p: PluginApi, entity: string, field: string, value: string, lang: Lang): string {
  const labels = p.model.entity(entity)?.fields.get(field)?.schema['x-enum-labels'];
  return labels?.[value] ? label(labels[value], lang) : value;
}

/** The cell type a QC's subject names (a batch's, or a culture's), for picking a cell-type specific spec. */
async function subjectCellType(p: PluginApi, a: HookArgs): Promise<string | undefined> {
  const r = a.record;
  const sys = p.system();
  try {
    // An in-process QC names the culture step; its culture record follows from it.
    if (r.cultureStep) r.cultureRecord = (await a.records.get(sys, 'cultureStep', Number(r.cultureStep), { fields: ['id', 'cultureRecord'] })).cultureRecord;
    if (r.batch) return (await a.records.get(sys, 'cellBatch', Number(r.batch), { fields: ['id', 'cellType'] })).cellType;
    if (r.cultureRecord) return (await a.records.get(sys, 'cultureRecord', Number(r.cultureRecord), { fields: ['id', 'cellType'] })).cellType;
  } catch {
    /* the reference check of the write reports a missing subject */
  }
  return undefined;
}

/**
 * Computes result, deviations, alerts and the limits snapshot of a QC record. The specification is copied onto the
 * record when it is created (or when its type or named specification changes); later results are judged against
 * that frozen copy, so editing the specification never changes a recorded QC (SENAITE's spec-on-sample).
 */
async function judge(p: PluginApi, a: HookArgs, signing: boolean): Promise<void> {
  const r = a.record;
  const prev = a.previous;
  const cellType = await subjectCellType(p, a);
  const frozen = prev && prev.appliedSpec && Array.isArray(prev.limits) && prev.limits.length && prev.qcType === r.qcType && (prev.spec ?? null) === (r.spec ?? null);
  if (frozen) {
    const e = evaluate(r, prev.limits);
    Object.assign(r, { result: e.result, deviations: e.deviations, alerts: e.alerts, limits: prev.limits, appliedSpec: prev.appliedSpec, specVersion: prev.specVersion ?? null });
  } else {
    const spec = pickSpec(p.defs('qcSpec'), r.qcType, cellType, r.spec);
    if (r.spec && !spec) throw new VetoError('qc.unknownSpec', { spec: r.spec }, '/spec');
    if (!spec) {
      Object.assign(r, { result: 'pending', deviations: [], alerts: [], limits: [], appliedSpec: null, specVersion: null });
    } else {
      const e = evaluate(r, spec.items);
      // The snapshot: the specification applied (by id, shown by its label), its version and its items as they were.
      Object.assign(r, { result: e.result, deviations: e.deviations, alerts: e.alerts, limits: spec.items, appliedSpec: spec.$id, specVersion: spec.version ?? 1 });
    }
  }
  // An edited result invalidates an earlier signature.
  if (!signing && prev && prev.signedAt && RESULT_FIELDS.some((f) => JSON.stringify(prev[f] ?? null) !== JSON.stringify(r[f] ?? null))) {
    delete r.signedAt;
    delete r.signedBy;
    delete r.signedByName;
  }
}

export default definePlugin({
  name: 'qc-gating',
  metaKinds: [
    { kind: 'qcSpec', folder: 'qcSpecs', schema: qcSpecSchema, check: checkSpec },
    { kind: 'qcGate', folder: 'qcGates', schema: qcGateSchema, check: checkGate },
    { kind: 'emLimit', folder: 'emLimits', schema: emLimitSchema, check: checkEmLimit },
  ],
  web: 'web/index.tsx',
  messages: qcMessages,
  setup(p) {
    // The sign action stamps the signature through `set`; its own update must not count as an edited result.
    const signing = new WeakSet<CallContext>();
    const reviewing = new WeakSet<CallContext>();
    p.hooks.on('qcRecord', 'beforeCreate', (a) => {
      a.record.reviewStatus = 'draft';
      return judge(p, a, false);
    });
    p.hooks.on('qcRecord', 'beforeUpdate', async (a) => {
      // Submitted, approved or invalidated results are frozen; only the review actions move them on.
      const prev = a.previous;
      if (prev && LOCKED.includes(prev.reviewStatus) && !reviewing.has(a.ctx))
        throw new VetoError('qc.locked', { qcNo: prev.qcNo ?? '', status: dictLabelEnum(p, 'qcRecord', 'reviewStatus', prev.reviewStatus, a.ctx.lang) });
      await judge(p, a, signing.has(a.ctx) || reviewing.has(a.ctx));
    });
    // QC records start with their schema defaults (initial statuses only plugin code moves, `active`, occupancy…), so a
    // record created without them reads and edits like one created with them.
    p.hooks.on('*', 'beforeCreate', (a) => {
      for (const [name, f] of a.entity.fields) if (f.schema.default !== undefined && a.record[name] === undefined) a.record[name] = f.schema.default;
    }, { appliesTo: (e) => e.schema['x-module'] === 'qc' });
    registerReview(p, reviewing);
    registerSpotChecks(p);
    registerEm(p);
    // Gates are read from the live metadata (memoised per metadata version), so an admin's overlay takes effect at once.
    for (const [event, hook] of [['create', 'beforeCreate'], ['update', 'beforeUpdate'], ['delete', 'beforeDelete']] as const) {
      const gatesOf = (entity: string) =>
        p.model.memo(`qcGates:${event}:${entity}`, () =>
          Object.values(p.defs<QcGate>('qcGate')).filter((g) => g.entity === entity && g.enabled !== false && g.on.includes(event)),
        );
      // Only entities a gate guards get the hook (others keep the single-statement create).
      p.hooks.on('*', hook, async (a) => {
        for (const g of gatesOf(a.entity.name)) await enforceGate(p, g, event, a);
      }, { appliesTo: (e) => gatesOf(e.name).length > 0 });
    }
    // The password check and the signature record are the platform's (x-sign on qcRecord); this stamps who signed.
    p.hooks.action('qcRecord', 'sign', {
      label: { 'zh-CN': '质检员电子签名', en: 'Sign as QC inspector' },
      // A judged result not signed yet.
      when: { and: [{ in: [{ var: 'result' }, ['pass', 'fail']] }, { '!': { var: 'signedBy' } }] },
      input: { type: 'object', properties: { comment: { type: 'string', maxLength: 200, 'x-label': { 'zh-CN': '说明', en: 'Comment' } } }, additionalProperties: false },
      handler: async ({ ctx, record, records }) => {
        if (!ctx.actor.id) throw new AppError(403, 'FORBIDDEN', 'qc.signSystem');
        if (record.result !== 'pass' && record.result !== 'fail') throw new VetoError('qc.signPending');
        const c = { ...ctx };
        signing.add(c);
        reviewing.add(c);
        return records.update(c, 'qcRecord', record.id, { version: record.version }, { set: { signedBy: ctx.actor.id, signedByName: ctx.actor.displayName, signedAt: new Date().toISOString() } });
      },
    });
  },
  routes(router, api) {
    qcRoutes(router, api);
  },
});
