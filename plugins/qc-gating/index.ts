import jsonLogic from 'json-logic-js';
import { definePlugin } from '../../platform/plugins/host';
import { VetoError, type HookArgs } from '../../platform/records/hooks';
import { AppError } from '../../platform/errors';
import { label, type Lang } from '../../platform/i18n';
import { systemContext, type CallContext } from '../../platform/context';
import type { RecordService } from '../../platform/records/service';
import type { Services } from '../../platform/services';
import { qcSpecSchema, qcGateSchema, checkSpec, checkGate } from './schemas';
import { evaluate, pickSpec, within, describeBand, type Band } from './evaluate';
import { qcMessages } from './messages';

/**
 * Plugin-maintained (read-only) fields travel on the call context under this symbol and are applied by
 * before-hooks, so they are validated, written and audited by the record pipeline like any other change.
 */
const SYSTEM_FIELDS = Symbol.for('celltrace.systemFields');
const SYS = systemContext();
const overlay = (ctx: CallContext): Record<string, unknown> => ((ctx as any)[SYSTEM_FIELDS] as Record<string, unknown>) ?? {};
const withFields = (ctx: CallContext, fields: Record<string, unknown>): CallContext => ({ ...ctx, [SYSTEM_FIELDS]: fields }) as CallContext;

export interface QcGate {
  $id: string;
  label: Record<Lang, string>;
  enabled?: boolean;
  entity: string;
  on: ('create' | 'update')[];
  when?: object;
  unless?: object;
  batchField: string;
  qcType: string;
  fields?: string[];
  limits?: Record<string, Band>;
  validityDays?: number;
  requireSignature?: boolean;
}

const RESULT_FIELDS = ['viability', 'cellCount', 'sterility', 'mycoplasma', 'endotoxin', 'cd73', 'cd90', 'cd105', 'cd45', 'cd34', 'hlaDr', 'cd3', 'cd56', 'qcType', 'spec', 'batch'];

function fieldLabel(s: Services, entity: string, field: string, lang: Lang): string {
  return label(s.meta.model.entity(entity)?.fields.get(field)?.schema['x-label'], lang) || field;
}

function dictLabel(s: Services, dict: string, code: string, lang: Lang): string {
  const item = s.meta.model.set.dictionary?.[dict]?.items?.find((i: any) => i.code === code);
  return item ? label(item.label, lang) : code;
}

/** Refuses the write unless the record's batch has a QC of the gate's type that passed, is complete, within limits and valid. */
export async function enforceGate(s: Services, g: QcGate, event: 'create' | 'update', a: HookArgs): Promise<void> {
  const record = { ...a.record, ...overlay(a.ctx) };
  const data = { event, record, previous: a.previous ?? null };
  if (g.when && !jsonLogic.apply(g.when as any, data)) return;
  if (g.unless && jsonLogic.apply(g.unless as any, data)) return;
  const lang = a.ctx.lang;
  const path = `/${g.batchField}`;
  const base: Record<string, unknown> = { gate: label(g.label, lang), qcType: dictLabel(s, 'qcType', g.qcType, lang), days: g.validityDays ?? '' };
  const batchId = record[g.batchField];
  if (!batchId) throw new VetoError('qcGate.noBatch', base, path);
  const records: RecordService = a.records;
  const batch = await records.get(SYS, 'cellBatch', Number(batchId), { fields: ['id', 'batchCode'] });
  base.batch = batch.batchCode ?? `#${batchId}`;
  const filter: Record<string, unknown> = { batch: Number(batchId), qcType: g.qcType };
  if (g.validityDays) filter.testedAt = { gte: new Date(Date.now() - g.validityDays * 86400_000).toISOString() };
  // The latest QC of the type decides: a later failure overrides an earlier pass.
  const qc = (await records.list(SYS, 'qcRecord', { filter, sort: ['-testedAt'], limit: 1 })).data[0];
  if (!qc) throw new VetoError(g.validityDays ? 'qcGate.missingWithin' : 'qcGate.missing', base, path);
  base.qcNo = qc.qcNo ?? `#${qc.id}`;
  if (qc.result === 'fail') {
    const items = (qc.deviations ?? []).map((d: any) => `${fieldLabel(s, 'qcRecord', d.field, lang)} ${d.value} (${describeBand(d.limit)})`);
    throw new VetoError('qcGate.failed', { ...base, result: dictLabelEnum(s, 'result', 'fail', lang), items: items.length ? `: ${items.join('; ')}` : '' }, path);
  }
  const missing = (g.fields ?? []).filter((f) => qc[f] === undefined || qc[f] === null || qc[f] === '');
  if (missing.length) throw new VetoError('qcGate.fieldsMissing', { ...base, fields: missing.map((f) => fieldLabel(s, 'qcRecord', f, lang)).join(lang === 'en' ? ', ' : '、') }, path);
  if (qc.result !== 'pass') throw new VetoError('qcGate.failed', { ...base, result: dictLabelEnum(s, 'result', qc.result ?? 'pending', lang), items: '' }, path);
  const out = Object.entries(g.limits ?? {}).filter(([f, b]) => !within(qc[f], b));
  if (out.length)
    throw new VetoError('qcGate.outOfLimits', { ...base, items: out.map(([f, b]) => `${fieldLabel(s, 'qcRecord', f, lang)} ${qc[f]} (${describeBand(b)})`).join('; ') }, path);
  if (g.requireSignature && !qc.signedAt) throw new VetoError('qcGate.unsigned', base, path);
}

function dictLabelEnum(s: Services, field: string, value: string, lang: Lang): string {
  const labels = s.meta.model.entity('qcRecord')?.fields.get(field)?.schema['x-enum-labels'];
  return labels?.[value] ? label(labels[value], lang) : value;
}

/** Computes result, deviations, alerts and the limits snapshot of a QC record from its specification. */
async function judge(s: Services, a: HookArgs): Promise<void> {
  Object.assign(a.record, overlay(a.ctx));
  const r = a.record;
  let cellType: string | undefined;
  if (r.batch) {
    try {
      cellType = (await a.records.get(SYS, 'cellBatch', Number(r.batch), { fields: ['id', 'cellType'] })).cellType;
    } catch {
      /* the reference check of the write reports a missing batch */
    }
  }
  const spec = pickSpec(s.meta.model.set.qcSpec ?? {}, r.qcType, cellType, r.spec);
  if (r.spec && !spec) throw new VetoError('qc.unknownSpec', { spec: r.spec }, '/spec');
  if (!spec) {
    Object.assign(r, { result: 'pending', deviations: [], alerts: [], limits: [] });
  } else {
    const e = evaluate(r, spec.items);
    Object.assign(r, { result: e.result, deviations: e.deviations, alerts: e.alerts, limits: [{ spec: spec.$id }, ...spec.items] });
  }
  // An edited result invalidates an earlier signature.
  const p = a.previous;
  if (p && p.signedAt && !overlay(a.ctx).signedAt && RESULT_FIELDS.some((f) => JSON.stringify(p[f] ?? null) !== JSON.stringify(r[f] ?? null))) {
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
  ],
  messages: qcMessages,
  setup(s) {
    s.hooks.on('qcRecord', 'beforeCreate', (a) => judge(s, a));
    s.hooks.on('qcRecord', 'beforeUpdate', (a) => judge(s, a));
    // Gates are read from the live metadata on every write, so an admin's overlay takes effect at once.
    for (const [event, hook] of [['create', 'beforeCreate'], ['update', 'beforeUpdate']] as const) {
      s.hooks.on('*', hook, async (a) => {
        const gates = Object.values<QcGate>((s.meta.model.set.qcGate ?? {}) as Record<string, QcGate>).filter(
          (g) => g.entity === a.entity.name && g.enabled !== false && g.on.includes(event),
        );
        for (const g of gates) await enforceGate(s, g, event, a);
      });
    }
    // The password check and the signature record are the platform's (x-sign on qcRecord); this stamps who signed.
    s.hooks.action('qcRecord', 'sign', {
      label: { 'zh-CN': '质检员电子签名', en: 'Sign as QC inspector' },
      input: { type: 'object', properties: { comment: { type: 'string', maxLength: 200 } }, additionalProperties: false },
      handler: async ({ ctx, record, records, trx }) => {
        if (!ctx.actor.id) throw new AppError(403, 'FORBIDDEN', 'qc.signSystem');
        if (record.result !== 'pass' && record.result !== 'fail') throw new VetoError('qc.signPending');
        const fields = { signedBy: ctx.actor.id, signedByName: ctx.actor.displayName, signedAt: new Date().toISOString() };
        return records.update(withFields(ctx, fields), 'qcRecord', record.id, { version: record.version }, { trx });
      },
    });
  },
});
