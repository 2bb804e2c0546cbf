import { AppError } from '../errors';
import { DATE_TOKEN, type DateParts, datePartsIn, formatDate, isValidTimeZone } from './date-parts';
import { iso7064Mod37_2 } from './iso7064';
import { Registry, type RuleIssue, type SegmentPattern } from './registry';
import type {
  CheckSegment,
  ContextCodeSegment,
  DateSegment,
  DictionarySegment,
  FieldSegment,
  LiteralSegment,
  ResetPeriod,
  SequenceSegment,
} from './types';

/** Every segment type a numbering rule may use; plugins add theirs with `segmentRegistry.register()`. */
export const segmentRegistry = new Registry<SegmentPattern>();

const FIELD_NAME = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$' };

function pointer(field: string): string {
  return `/${field.split('.').join('/')}`;
}

function badValue(messageKey: string, field: string, params: Record<string, unknown> = {}): AppError {
  const p = { field, ...params };
  return new AppError(400, 'VALIDATION_FAILED', messageKey, p, [{ path: pointer(field), messageKey, params: p }]);
}

/** A record value by field name (dots reach into expanded references). */
function fieldValue(record: Record<string, unknown>, field: string): unknown {
  let v: unknown = record;
  for (const key of field.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** A required scalar as text: a number cannot be made from a missing or composite value. */
function scalarText(record: Record<string, unknown>, field: string): string {
  const v = fieldValue(record, field);
  if (v === undefined || v === null || v === '') throw badValue('numbering.fieldMissing', field);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  throw badValue('numbering.fieldNotScalar', field);
}

function timeZoneIssue(timeZone: string | undefined, path: string): RuleIssue[] {
  return timeZone === undefined || isValidTimeZone(timeZone) ? [] : [{ path, messageKey: 'numbering.badTimeZone', params: { timeZone } }];
}

function assertTimeZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone)) throw new AppError(400, 'VALIDATION_FAILED', 'numbering.badTimeZone', { timeZone });
}

segmentRegistry.register('literal', {
  label: { 'zh-CN': '固定文字', en: 'Literal text' },
  options: { properties: { value: { type: 'string', minLength: 1, maxLength: 20 } }, required: ['value'] },
  generate: (s: LiteralSegment) => s.value,
} satisfies SegmentPattern<LiteralSegment>);

/** Date tokens the counter key keeps for a reset period: coarser periods drop finer tokens. */
const TOKENS_FOR_RESET: Record<ResetPeriod, string[]> = {
  never: [],
  yearly: ['YYYY', 'YY'],
  monthly: ['YYYY', 'YY', 'MM'],
  daily: ['YYYY', 'YY', 'MM', 'DD'],
};

function dateOf(s: DateSegment, env: { ctx: { record: Record<string, unknown> }; now: Date; timeZone: string }): DateParts {
  const timeZone = s.timeZone ?? env.timeZone;
  assertTimeZone(timeZone);
  if (!s.field) return datePartsIn(env.now, timeZone);
  const v = fieldValue(env.ctx.record, s.field);
  if (v === undefined || v === null || v === '') throw badValue('numbering.fieldMissing', s.field);
  // A date-only value is a calendar day already: shifting it through a time zone could change the day.
  if (typeof v === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    if (m) return { year: m[1], month: m[2], day: m[3] };
  }
  const d = v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw badValue('numbering.badDate', s.field);
  return datePartsIn(d, timeZone);
}

segmentRegistry.register('date', {
  label: { 'zh-CN': '日期', en: 'Date' },
  options: {
    properties: {
      format: { type: 'string', pattern: '^(YYYY|YY|MM|DD|[-_./ ])+$' },
      field: FIELD_NAME,
      timeZone: { type: 'string', minLength: 1 },
    },
    required: ['format'],
  },
  validate: (s: DateSegment, _rule, index) => timeZoneIssue(s.timeZone, `/segments/${index}/timeZone`),
  generate: (s: DateSegment, env) => formatDate(dateOf(s, env), s.format),
  // The key holds only the date tokens the reset period needs, so e.g. a YYMMDD code that never resets keeps counting.
  counterKey: (s: DateSegment, env, text) => {
    const keep = TOKENS_FOR_RESET[env.reset];
    const tokens = (s.format.match(DATE_TOKEN) ?? []).filter((t) => /[A-Z]/.test(t));
    if (tokens.every((t) => keep.includes(t))) return text;
    return formatDate(dateOf(s, env), s.format, (t) => keep.includes(t));
  },
} satisfies SegmentPattern<DateSegment>);

segmentRegistry.register('field', {
  label: { 'zh-CN': '字段值', en: 'Field value' },
  options: {
    properties: {
      field: FIELD_NAME,
      map: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, minProperties: 1 },
      width: { type: 'integer', minimum: 1, maximum: 40 },
      pad: { type: 'string', minLength: 1, maxLength: 1 },
    },
    required: ['field'],
  },
  generate: (s: FieldSegment, env) => {
    let text = scalarText(env.ctx.record, s.field);
    if (s.map) {
      if (!Object.prototype.hasOwnProperty.call(s.map, text)) throw badValue('numbering.fieldNotMapped', s.field, { value: text });
      text = s.map[text];
    }
    return s.width ? text.padStart(s.width, s.pad ?? '0') : text;
  },
} satisfies SegmentPattern<FieldSegment>);

for (const [type, label] of [
  ['orgCode', { 'zh-CN': '机构代码', en: 'Organization code' }],
  ['labCode', { 'zh-CN': '实验室代码', en: 'Laboratory code' }],
] as const) {
  segmentRegistry.register(type, {
    label,
    options: { properties: {} },
    generate: (_s: ContextCodeSegment, env) => {
      const code = env.ctx[type];
      if (!code) throw new AppError(400, 'VALIDATION_FAILED', 'numbering.contextMissing', { name: type });
      return code;
    },
  } satisfies SegmentPattern<ContextCodeSegment>);
}

segmentRegistry.register('dictionary', {
  label: { 'zh-CN': '字典缩写', en: 'Dictionary abbreviation' },
  options: {
    properties: { field: FIELD_NAME, dictionary: { type: 'string', minLength: 1 } },
    required: ['field', 'dictionary'],
  },
  generate: (s: DictionarySegment, env) => {
    const code = scalarText(env.ctx.record, s.field);
    const items = env.ctx.dictionaries?.(s.dictionary);
    if (!items) throw new AppError(400, 'VALIDATION_FAILED', 'numbering.dictionaryMissing', { dictionary: s.dictionary });
    const item = items.find((i) => i.code === code);
    if (!item) throw badValue('numbering.dictionaryCode', s.field, { dictionary: s.dictionary, value: code });
    return item.abbr || item.code;
  },
} satisfies SegmentPattern<DictionarySegment>);

segmentRegistry.register('sequence', {
  label: { 'zh-CN': '流水号', en: 'Sequence' },
  options: {
    properties: {
      width: { type: 'integer', minimum: 1, maximum: 18 },
      start: { type: 'integer', minimum: 0, maximum: 999999999999 },
      reset: { enum: ['never', 'yearly', 'monthly', 'daily'] },
    },
  },
  // A reset only happens when the prefix changes, so the date before the sequence must show the period.
  validate: (s: SequenceSegment, rule, index) => {
    const reset = s.reset ?? 'never';
    const shown = new Set<string>();
    rule.segments.slice(0, index).forEach((seg) => {
      if (seg.type === 'date' && typeof seg.format === 'string') (seg.format.match(DATE_TOKEN) ?? []).forEach((t) => shown.add(t));
    });
    const need: string[] = [];
    if (reset !== 'never' && !shown.has('YYYY') && !shown.has('YY')) need.push('YY');
    if ((reset === 'monthly' || reset === 'daily') && !shown.has('MM')) need.push('MM');
    if (reset === 'daily' && !shown.has('DD')) need.push('DD');
    return need.length
      ? [{ path: `/segments/${index}/reset`, messageKey: 'numbering.resetNeedsDate', params: { reset, tokens: need.join(' ') } }]
      : [];
  },
  // Numbers longer than `width` are kept whole: truncating would repeat codes.
  generate: async (s: SequenceSegment, env) => String(await env.nextValue(s.start ?? 1)).padStart(s.width ?? 1, '0'),
} satisfies SegmentPattern<SequenceSegment>);

segmentRegistry.register('check', {
  label: { 'zh-CN': '校验位', en: 'Check character' },
  options: { properties: { algorithm: { enum: ['iso7064-mod37-2'] } }, required: ['algorithm'] },
  generate: (_s: CheckSegment, env) => iso7064Mod37_2(env.text),
} satisfies SegmentPattern<CheckSegment>);
