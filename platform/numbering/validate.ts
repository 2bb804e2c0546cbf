import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { AppError } from '../errors';
import type { RuleIssue } from './registry';
import { buildNumberingRuleSchema, segmentSchema } from './rule-schema';
import { segmentRegistry } from './segments';
import type { NumberingRule } from './types';

interface Compiled {
  keys: string;
  rule: ValidateFunction;
  segments: Map<string, ValidateFunction>;
}
let compiled: Compiled | undefined;

/** Recompiled only when segment types were registered since the last call. */
function validators(): Compiled {
  const keys = segmentRegistry.keys().join(',');
  if (compiled?.keys !== keys) {
    const ajv = new Ajv({ allErrors: true });
    const segments = new Map(segmentRegistry.entries().map(([type, p]) => [type, ajv.compile(segmentSchema(type, p))]));
    compiled = { keys, rule: ajv.compile(buildNumberingRuleSchema(segmentRegistry)), segments };
  }
  return compiled;
}

function schemaIssue(e: ErrorObject, pathPrefix = ''): RuleIssue {
  return {
    path: pathPrefix + e.instancePath || '/',
    messageKey: 'numbering.schema',
    params: { keyword: e.keyword, reason: e.message ?? e.keyword, ...e.params },
  };
}

/**
 * oneOf reports every branch; a segment of a known type is judged by its own schema only, so the admin reads
 * "missing value" instead of one complaint per segment type.
 */
function schemaIssues(rule: unknown, errors: ErrorObject[], v: Compiled): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const segments = new Set<number>();
  for (const e of errors) {
    const m = /^\/segments\/(\d+)/.exec(e.instancePath);
    if (m) segments.add(Number(m[1]));
    else if (e.keyword === 'contains') issues.push({ path: '/segments', messageKey: 'numbering.sequenceCount', params: { count: 0 } });
    else issues.push(schemaIssue(e));
  }
  const list = (rule as { segments: unknown[] }).segments;
  for (const i of [...segments].sort((a, b) => a - b)) {
    const seg = list[i] as { type?: unknown } | null;
    const type = seg && typeof seg === 'object' && typeof seg.type === 'string' ? seg.type : undefined;
    const validate = type === undefined ? undefined : v.segments.get(type);
    if (!validate) {
      issues.push({ path: `/segments/${i}/type`, messageKey: 'numbering.unknownSegment', params: { type: String(type) } });
    } else if (!validate(seg)) {
      issues.push(...(validate.errors ?? []).map((e) => schemaIssue(e, `/segments/${i}`)));
    }
  }
  return issues;
}

/** Rules already checked (metadata objects are replaced, not mutated, when an admin edits them). */
const checked = new WeakSet<object>();

/** Problems in a rule: JSON Schema errors first, then what only the segment types can judge. */
export function numberingRuleIssues(rule: unknown): RuleIssue[] {
  const v = validators();
  if (!v.rule(rule)) return schemaIssues(rule, v.rule.errors ?? [], v);
  const r = rule as NumberingRule;
  const issues: RuleIssue[] = [];
  const sequences = r.segments.filter((s) => s.type === 'sequence').length;
  if (sequences !== 1) issues.push({ path: '/segments', messageKey: 'numbering.sequenceCount', params: { count: sequences } });
  r.segments.forEach((s, i) => issues.push(...(segmentRegistry.get(s.type)?.validate?.(s, r, i) ?? [])));
  return issues;
}

/** Throws AppError 400 naming every problem of the rule. */
export function assertValidNumberingRule(rule: NumberingRule): void {
  if (checked.has(rule)) return;
  const issues = numberingRuleIssues(rule);
  if (issues.length) {
    const id = rule && typeof rule === 'object' ? rule.$id : undefined;
    throw new AppError(400, 'VALIDATION_FAILED', 'numbering.invalidRule', { rule: id }, issues);
  }
  checked.add(rule);
}
