/** Types of numbering rules: business codes built from configurable segments. */

export type ResetPeriod = 'never' | 'yearly' | 'monthly' | 'daily';

export interface LocalizedText {
  'zh-CN'?: string;
  en?: string;
}

export interface LiteralSegment {
  type: 'literal';
  value: string;
}

/** Tokens YYYY YY MM DD (plus - _ . / and space between them). */
export interface DateSegment {
  type: 'date';
  format: string;
  /** Record field holding the date; without it the allocation time is used. */
  field?: string;
  timeZone?: string;
}

export interface FieldSegment {
  type: 'field';
  field: string;
  map?: Record<string, string>;
  /** Minimum width; shorter values are left-padded with `pad` (default "0"). */
  width?: number;
  pad?: string;
}

export interface ContextCodeSegment {
  type: 'orgCode' | 'labCode';
}

export interface DictionarySegment {
  type: 'dictionary';
  field: string;
  dictionary: string;
}

export interface SequenceSegment {
  type: 'sequence';
  width?: number;
  start?: number;
  reset?: ResetPeriod;
}

export interface CheckSegment {
  type: 'check';
  algorithm: 'iso7064-mod37-2';
}

export type BuiltInSegment =
  | LiteralSegment
  | DateSegment
  | FieldSegment
  | ContextCodeSegment
  | DictionarySegment
  | SequenceSegment
  | CheckSegment;

/** Segment types registered later (plugins) have their own options. */
export interface CustomSegment {
  type: string;
  [option: string]: unknown;
}

export type NumberingSegment = BuiltInSegment | CustomSegment;

export interface NumberingRule {
  $id: string;
  kind: 'numbering';
  label?: LocalizedText;
  description?: LocalizedText;
  /** Put between segments; default "" (ISBT-style compact codes). */
  separator?: string;
  segments: NumberingSegment[];
  [annotation: `x-${string}`]: unknown;
}

export interface DictionaryItemRef {
  code: string;
  abbr?: string;
}

export interface NumberingContext {
  record: Record<string, unknown>;
  now?: Date;
  orgCode?: string;
  labCode?: string;
  dictionaries?: (name: string) => DictionaryItemRef[] | undefined;
  /** Default time zone for date segments without their own; default Asia/Shanghai. */
  timeZone?: string;
}
