import type Router from '@koa/router';
import { AppError, forbidden } from '../../errors';
import type { Services } from '../../services';
import { labBoundCounter, numberingRuleIssues, previewNumber, type NumberingRule } from '../../numbering';
import { callContext } from './auth';

/**
 * `POST /numbering/preview` {rule? | ruleId?, record?} → {data: {number}}: the number the next allocation
 * would give now, without taking it. The rule designer sends its unsaved draft; forms may send a rule id.
 * Nothing in a preview derives from another lab's counter.
 */
export function numberingRoutes(api: Router, s: Services): void {
  api.post('/numbering/preview', async (ctx) => {
    const c = callContext(ctx);
    const body = (ctx.request.body ?? {}) as { rule?: NumberingRule; ruleId?: string; record?: Record<string, unknown> };
    let rule: NumberingRule | undefined;
    if (body.rule && typeof body.rule === 'object') {
      // A draft rule is metadata: only those who may write metadata preview it.
      if (!c.actor.isAdmin && !(ctx.state.actor?.permissions?.has?.('meta:write'))) throw forbidden();
      rule = body.rule;
      const issues = numberingRuleIssues(rule);
      if (issues.length)
        throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, issues.map((i) => ({ path: `/rule${i.path}`, messageKey: i.messageKey, params: i.params })));
    } else if (typeof body.ruleId === 'string') {
      rule = s.meta.model.set.numbering?.[body.ruleId];
      if (!rule) throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: 'numbering', id: body.ruleId });
    } else {
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/rule', messageKey: 'auth.required' }]);
    }
    const record = body.record && typeof body.record === 'object' ? body.record : {};
    // A preview reads the stored counter only when it is the caller's own lab's (the lab code, taken from the
    // caller, keys it). A shared counter counts every lab's records, and a draft rule or a record value (a field
    // segment) could name another lab's counter key: those previews show the sequence's start.
    const stored = !body.rule && labBoundCounter(rule);
    const number = await previewNumber(s.knex, rule, {
      record,
      orgCode: (c.actor.orgCode as string) ?? undefined,
      labCode: (c.actor.labCode as string) ?? undefined,
      dictionaries: (name) => s.meta.model.set.dictionary?.[name]?.items,
    }, { stored });
    ctx.body = { data: { number } };
  });
}
