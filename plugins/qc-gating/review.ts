import { AppError, VetoError, t, type CallContext, type PluginApi } from '../../platform/plugins/sdk';

/** Review states in which the entered results are frozen: only the review actions below may change the record. */
export const LOCKED = ['submitted', 'approved', 'invalidated'];

const comment = (required: boolean) => ({
  type: 'object', additionalProperties: false, ...(required ? { required: ['comment'] } : {}),
  properties: { comment: { type: 'string', ...(required ? { minLength: 1 } : {}), maxLength: 500, 'x-label': { 'zh-CN': required ? '原因' : '意见', en: required ? 'Reason' : 'Comment' } } },
});

/**
 * The QC record's review (R-1.3, SENAITE's submit → verify): the inspector submits a judged result, a DIFFERENT
 * person approves it with an e-signature (x-sign `approve`) or rejects it with a reason (back to editing); an approved
 * result that proves wrong is invalidated with a reason and a linked retest is opened. `reviewing` marks the
 * contexts of these actions so the edit lock in the update hook lets their own writes through.
 */
export function registerReview(p: PluginApi, reviewing: WeakSet<CallContext>) {
  const as = (ctx: CallContext) => {
    const c = { ...ctx };
    reviewing.add(c);
    return c;
  };
  const notSelf = (ctx: CallContext, record: Record<string, any>) => {
    if (!ctx.actor.id) throw new AppError(403, 'FORBIDDEN', 'qc.signSystem');
    if ([record.submittedBy, record.inspector].some((u) => u != null && Number(u) === ctx.actor.id)) throw new AppError(403, 'FORBIDDEN', 'qc.selfVerification');
  };

  p.hooks.action('qcRecord', 'submit', {
    label: { 'zh-CN': '提交复核', en: 'Submit for review' },
    when: { and: [{ in: [{ var: 'reviewStatus' }, [null, 'draft', 'rejected']] }, { in: [{ var: 'result' }, ['pass', 'fail']] }] },
    input: comment(false),
    handler: async ({ ctx, record, records }) => {
      if (record.result !== 'pass' && record.result !== 'fail') throw new VetoError('qc.signPending');
      return records.update(as(ctx), 'qcRecord', record.id, { version: record.version }, {
        set: { reviewStatus: 'submitted', submittedBy: ctx.actor.id, submittedAt: new Date().toISOString(), reviewedBy: null, reviewedAt: null, reviewComment: null },
      });
    },
  });

  p.hooks.action('qcRecord', 'approve', {
    label: { 'zh-CN': '复核批准', en: 'Approve' },
    when: { '==': [{ var: 'reviewStatus' }, 'submitted'] },
    input: comment(false),
    handler: async ({ ctx, record, input, signature, records }) => {
      notSelf(ctx, record);
      const out = await records.update(as(ctx), 'qcRecord', record.id, { version: record.version }, {
        set: { reviewStatus: 'approved', reviewedBy: ctx.actor.id, reviewedAt: new Date().toISOString(), reviewComment: input.comment ?? null },
      });
      // An approved failure is investigated as a deviation, opened for the QA of the record's lab.
      if (record.result === 'fail') {
        const items = (record.deviations ?? []).map((d: any) => `${d.field} ${d.value ?? ''}`).join('; ');
        await records.create(p.system(ctx.lang), 'deviation', {
          title: t('zh-CN', 'qc.failureDeviation', { qcNo: record.qcNo ?? record.id }).slice(0, 200), source: 'qcFailure', classification: 'major',
          occurredAt: new Date(record.testedAt ?? Date.now()).toISOString(), qcRecord: record.id,
          description: `${t('zh-CN', 'qc.failureDeviation', { qcNo: record.qcNo ?? record.id })}\n${t('en', 'qc.failureDeviation', { qcNo: record.qcNo ?? record.id })}\n${items}`,
        }, { owner: { labId: record.labId == null ? null : Number(record.labId), orgId: record.orgId == null ? null : Number(record.orgId) } });
      }
      // Material QC: the approved conclusion releases or rejects the quarantined lot through the
      // consumption ledger's own action, signed with the same password (a second signature, on the lot).
      if (record.qcType === 'materialQc' && record.materialLot) {
        const lot = await records.get(p.system(ctx.lang), 'materialLot', Number(record.materialLot), { fields: ['id', 'status'] });
        const action = record.result === 'pass' ? 'release' : 'reject';
        if (lot.status === 'quarantined' && p.hooks.hasAction('materialLot', action)) {
          const meaning = action === 'release' ? '物料质检放行 / Material QC release' : '物料质检不合格 / Material QC reject';
          await records.action(ctx, 'materialLot', lot.id, action, { conclusion: `${record.qcNo}: ${record.result === 'pass' ? '合格 / pass' : '不合格 / fail'}`, signature: { meaning, password: signature?.password } } as Record<string, unknown>);
        }
      }
      return out;
    },
  });

  p.hooks.action('qcRecord', 'reject', {
    label: { 'zh-CN': '驳回', en: 'Reject' },
    when: { '==': [{ var: 'reviewStatus' }, 'submitted'] },
    input: comment(true),
    handler: async ({ ctx, record, input, records }) => {
      notSelf(ctx, record);
      return records.update(as(ctx), 'qcRecord', record.id, { version: record.version }, {
        set: { reviewStatus: 'rejected', reviewedBy: ctx.actor.id, reviewedAt: new Date().toISOString(), reviewComment: input.comment },
        reason: String(input.comment),
      });
    },
  });

  p.hooks.action('qcRecord', 'invalidate', {
    label: { 'zh-CN': '作废并复检', en: 'Invalidate and retest' },
    when: { '==': [{ var: 'reviewStatus' }, 'approved'] },
    input: comment(true),
    handler: async ({ ctx, record, input, records }) => {
      const out = await records.update(as(ctx), 'qcRecord', record.id, { version: record.version }, {
        set: { reviewStatus: 'invalidated', reviewComment: input.comment }, reason: String(input.comment),
      });
      // The retest: same type, subject and specification, no results yet; it names the record it replaces.
      const keep = ['qcType', 'batch', 'cultureStep', 'cultureRecord', 'materialLot', 'spec', 'sampledAt'];
      const retest = Object.fromEntries(keep.filter((k) => record[k] != null).map((k) => [k, record[k]]));
      await records.create(ctx, 'qcRecord', { ...retest, spec: record.spec ?? record.appliedSpec ?? undefined, testedAt: new Date().toISOString() }, { set: { retestOf: record.id }, reason: String(input.comment) });
      return out;
    },
  });
}
