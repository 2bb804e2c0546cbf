import type { LocalizedText, NumberingContext, NumberingRule, ResetPeriod } from './types';

/** A named set of extensions (NocoBase style): adding one is one `register()` call. */
export class Registry<T> {
  private readonly items = new Map<string, T>();

  register(name: string, item: T): void {
    // Silent replacement would let a plugin change how existing codes are built.
    if (this.items.has(name)) throw new Error(`"${name}" is already registered`);
    this.items.set(name, item);
  }

  get(name: string): T | undefined {
    return this.items.get(name);
  }

  has(name: string): boolean {
    return this.items.has(name);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  entries(): [string, T][] {
    return [...this.items.entries()];
  }
}

/** A problem found in a rule; `path` is a JSON pointer into the rule. */
export interface RuleIssue {
  path: string;
  messageKey: string;
  params?: Record<string, unknown>;
}

/** JSON Schema of a segment's own options (everything except `type`). */
export interface SegmentOptionsSchema {
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
}

export interface SegmentEnv {
  rule: NumberingRule;
  /** Index of the segment in `rule.segments`. */
  index: number;
  ctx: NumberingContext;
  /** One instant per allocation, so every segment sees the same time. */
  now: Date;
  /** ctx.timeZone or the platform default. */
  timeZone: string;
  /** The text generated so far, separators included. */
  text: string;
  /** Reset period of the rule's sequence. */
  reset: ResetPeriod;
  /** Takes (or, in preview, peeks) the next counter value for the resolved prefix. */
  nextValue(start: number): Promise<number>;
}

export interface SegmentPattern<S = any> {
  label: LocalizedText;
  options: SegmentOptionsSchema;
  /** Checks the JSON Schema cannot express (cross-segment rules, time zones). */
  validate?(segment: S, rule: NumberingRule, index: number): RuleIssue[];
  generate(segment: S, env: SegmentEnv): string | Promise<string>;
  /** How the segment appears in the counter key when it precedes the sequence; default: its text. */
  counterKey?(segment: S, env: SegmentEnv, text: string): string;
}
