import type { Knex } from 'knex';
import { AppError } from '../errors';
import { peekCounterValue, takeCounterValue, takeCounterValues } from './counters';
import { DEFAULT_TIME_ZONE } from './date-parts';
import type { SegmentEnv } from './registry';
import { segmentRegistry } from './segments';
import type { NumberingContext, NumberingRule, SequenceSegment } from './types';
import { assertValidNumberingRule } from './validate';

export { iso7064Mod37_2 } from './iso7064';
export { segmentRegistry } from './segments';
export { numberingRuleSchema, buildNumberingRuleSchema } from './rule-schema';
export { assertValidNumberingRule, numberingRuleIssues } from './validate';
export { COUNTER_TABLE } from './counters';
export { Registry } from './registry';
export type { SegmentPattern, SegmentEnv, RuleIssue } from './registry';
export type * from './types';

/** Gives the sequence value for a counter key (rule id + resolved prefix). */
export type TakeValue = (ruleId: string, prefix: string, start: number) => Promise<number>;

/**
 * Builds a number segment by segment; the counter key is the resolved text before the sequence. Exported for
 * callers with their own counter store; records use allocateNumber.
 */
export async function buildNumber(rule: NumberingRule, ctx: NumberingContext, take: TakeValue): Promise<string> {
  assertValidNumberingRule(rule);
  if (!ctx || typeof ctx.record !== 'object' || ctx.record === null) {
    throw new AppError(400, 'VALIDATION_FAILED', 'numbering.recordMissing', { rule: rule.$id });
  }
  const separator = rule.separator ?? '';
  const seqIndex = rule.segments.findIndex((s) => s.type === 'sequence');
  const reset = (rule.segments[seqIndex] as SequenceSegment).reset ?? 'never';
  const now = ctx.now ?? new Date();
  const timeZone = ctx.timeZone ?? DEFAULT_TIME_ZONE;
  const parts: string[] = [];
  const keyParts: string[] = [];

  for (const [index, segment] of rule.segments.entries()) {
    const pattern = segmentRegistry.get(segment.type);
    if (!pattern) throw new AppError(400, 'VALIDATION_FAILED', 'numbering.unknownSegment', { type: segment.type });
    const env: SegmentEnv = {
      rule,
      index,
      ctx,
      now,
      timeZone,
      text: parts.join(separator),
      reset,
      nextValue: (start) => take(rule.$id, keyParts.filter((p) => p !== '').join(separator), start),
    };
    const text = await pattern.generate(segment, env);
    parts.push(text);
    if (index < seqIndex) keyParts.push(pattern.counterKey ? pattern.counterKey(segment, env, text) : text);
  }
  return parts.join(separator);
}

/**
 * Allocates the next number of a rule. Call it inside the transaction that writes the record: the counter row
 * stays locked until that transaction ends, so a rolled-back record leaves no gap. With a plain Knex the
 * allocation commits at once.
 */
export async function allocateNumber(trx: Knex.Transaction | Knex, rule: NumberingRule, ctx: NumberingContext): Promise<string> {
  return buildNumber(rule, ctx, (ruleId, prefix, start) => takeCounterValue(trx, ruleId, prefix, start));
}

/**
 * Numbers for several records at once, with ONE counter update per counter key: the records of a batch that share
 * a prefix take n consecutive values (`value + n`), in the order given. Same locking and gapless guarantee as
 * allocateNumber: call it inside the transaction that writes the records.
 */
export async function allocateNumbers(trx: Knex.Transaction | Knex, rule: NumberingRule, ctxs: NumberingContext[]): Promise<string[]> {
  if (ctxs.length === 1) return [await allocateNumber(trx, rule, ctxs[0])];
  const now = new Date();
  const fixed = ctxs.map((c) => ({ ...c, now: c.now ?? now }));
  // Pass 1: which counter key each record draws from (the text is thrown away).
  const keys: (string | null)[] = [];
  for (const c of fixed) {
    let key: string | null = null;
    await buildNumber(rule, c, async (ruleId, prefix, start) => {
      key = JSON.stringify([ruleId, prefix, start]);
      return start;
    });
    keys.push(key);
  }
  const counts = new Map<string, number>();
  for (const k of keys) if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
  const next = new Map<string, number>();
  for (const [k, n] of counts) {
    const [ruleId, prefix, start] = JSON.parse(k) as [string, string, number];
    next.set(k, (await takeCounterValues(trx, ruleId, prefix, start, n)) - n + 1);
  }
  // Pass 2: the real numbers, each record taking the next value of its key.
  const out: string[] = [];
  for (const [i, c] of fixed.entries()) {
    out.push(
      await buildNumber(rule, c, async () => {
        const k = keys[i]!;
        const v = next.get(k)!;
        next.set(k, v + 1);
        return v;
      }),
    );
  }
  return out;
}

/**
 * The number the next allocation would produce now, without consuming it (for forms and the rule designer).
 * `stored: false` shows the sequence's start instead of reading the counter (a preview that must not reveal it).
 */
export async function previewNumber(knex: Knex | Knex.Transaction, rule: NumberingRule, ctx: NumberingContext, opts: { stored?: boolean } = {}): Promise<string> {
  if (opts.stored === false) return buildNumber(rule, ctx, async (_id, _prefix, start) => start);
  return buildNumber(rule, ctx, (ruleId, prefix, start) => peekCounterValue(knex, ruleId, prefix, start));
}

/** Is the rule's counter kept per lab (the caller's lab code is part of the counter key, before the sequence)? */
export function labBoundCounter(rule: NumberingRule): boolean {
  const seq = rule.segments.findIndex((s) => s.type === 'sequence');
  return rule.segments.slice(0, seq).some((s) => s.type === 'labCode');
}
