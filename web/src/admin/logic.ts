// Conditions as an admin builds them (field, operator, value; 全部满足 / 任一满足, nested groups) and as the
// engine stores them (JSON Logic). Only what the builder writes is read back into rows; anything else is kept
// as it is and reported as not representable (null), never rewritten.

export type Op = '==' | '!=' | '>' | '>=' | '<' | '<=' | 'empty' | 'notEmpty' | 'in';
export const OPS: Op[] = ['==', '!=', '>', '>=', '<', '<=', 'empty', 'notEmpty', 'in'];
/** Operators that take no value. */
export const UNARY: Op[] = ['empty', 'notEmpty'];

/** A value: a literal, a list of literals (for `in`), or a fact of the acting user / the moment ({"var": "$actor.id"}). */
export type Value = string | number | boolean | null | (string | number)[] | { var: string };

export interface Rule {
  field: string;
  op: Op;
  value?: Value;
}
export interface Group {
  all: boolean;
  rules: (Rule | Group)[];
}

export const isGroup = (r: Rule | Group): r is Group => Array.isArray((r as Group).rules);

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const one = (o: Record<string, unknown>): [string, unknown] | null => {
  const e = Object.entries(o);
  return e.length === 1 ? e[0] : null;
};
/** `{"var": "f"}` or `{"var": ["f"]}` → "f". */
function varName(v: unknown): string | null {
  if (!isObj(v) || !('var' in v) || Object.keys(v).length !== 1) return null;
  const n = Array.isArray(v.var) ? v.var[0] : v.var;
  return typeof n === 'string' && n && !n.startsWith('$') ? n : null;
}
function literal(v: unknown): Value | undefined {
  if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return v as Value;
  if (isObj(v) && typeof v.var === 'string' && v.var.startsWith('$') && Object.keys(v).length === 1) return { var: v.var };
  return undefined;
}

function ruleOf(logic: Record<string, unknown>): Rule | null {
  const e = one(logic);
  if (!e) return null;
  const [op, args] = e;
  if (op === 'missing') {
    const a = Array.isArray(args) ? args : [args];
    return a.length === 1 && typeof a[0] === 'string' ? { field: a[0], op: 'empty' } : null;
  }
  if (op === '!' || op === '!!') {
    const inner = Array.isArray(args) ? (args.length === 1 ? args[0] : undefined) : args;
    const f = varName(inner);
    if (f) return { field: f, op: op === '!' ? 'empty' : 'notEmpty' };
    if (op === '!' && isObj(inner)) {
      const r = ruleOf(inner);
      if (r?.op === 'empty') return { field: r.field, op: 'notEmpty' };
    }
    return null;
  }
  if (!Array.isArray(args) || args.length !== 2) return null;
  const f = varName(args[0]);
  if (!f) return null;
  const norm = op === '===' ? '==' : op === '!==' ? '!=' : op;
  if (norm === 'in' && Array.isArray(args[1]) && args[1].length === 2 && args[1][0] === null && args[1][1] === '') return { field: f, op: 'empty' };
  if (norm === 'in') {
    if (!Array.isArray(args[1]) || !args[1].every((x) => typeof x === 'string' || typeof x === 'number')) return null;
    return { field: f, op: 'in', value: args[1] as (string | number)[] };
  }
  if (!(OPS as string[]).includes(norm) || UNARY.includes(norm as Op)) return null;
  const v = literal(args[1]);
  if (v === undefined) return null;
  return { field: f, op: norm as Op, value: v };
}

/** JSON Logic → builder rows; null when the logic says more than the builder can show. */
export function logicToGroup(logic: unknown): Group | null {
  if (logic === undefined || logic === null) return { all: true, rules: [] };
  if (!isObj(logic)) return null;
  const e = one(logic);
  if (!e) return null;
  const [op, args] = e;
  if (op === 'and' || op === 'or') {
    if (!Array.isArray(args)) return null;
    const rules: (Rule | Group)[] = [];
    for (const a of args) {
      if (!isObj(a)) return null;
      const inner = one(a);
      const sub = inner && (inner[0] === 'and' || inner[0] === 'or') ? logicToGroup(a) : ruleOf(a);
      if (!sub) return null;
      rules.push(sub);
    }
    return { all: op === 'and', rules };
  }
  const r = ruleOf(logic);
  return r ? { all: true, rules: [r] } : null;
}

function ruleLogic(r: Rule): Record<string, unknown> {
  const v = { var: r.field };
  switch (r.op) {
    // Booleans wherever the logic is read (a bare `missing` gives a list, which plain JS reads as true).
    case 'empty': return { in: [v, [null, '']] };
    case 'notEmpty': return { '!': { in: [v, [null, '']] } };
    case 'in': return { in: [v, Array.isArray(r.value) ? r.value : r.value === undefined || r.value === null ? [] : [r.value as string]] };
    default: return { [r.op]: [v, r.value === undefined ? null : r.value] };
  }
}

/** Builder rows → JSON Logic; undefined for no condition. A group of one row is that row. */
export function groupToLogic(g: Group): Record<string, unknown> | undefined {
  const items = g.rules.map((r) => (isGroup(r) ? groupToLogic(r) : ruleLogic(r))).filter((x): x is Record<string, unknown> => !!x);
  if (!items.length) return undefined;
  if (items.length === 1 && g.rules.length === 1 && !isGroup(g.rules[0])) return items[0];
  return { [g.all ? 'and' : 'or']: items };
}

export interface SentenceWords {
  when: string;
  and: string;
  or: string;
  op: Record<Op, string>;
  list: string;
  empty: string;
}
export const ZH_WORDS: SentenceWords = {
  when: '当', and: '且', or: '或', list: '、', empty: '（无条件）',
  op: { '==': '等于', '!=': '不等于', '>': '大于', '>=': '大于或等于', '<': '小于', '<=': '小于或等于', empty: '为空', notEmpty: '不为空', in: '属于' },
};
export const EN_WORDS: SentenceWords = {
  when: 'When', and: 'and', or: 'or', list: ', ', empty: '(no condition)',
  op: { '==': 'is', '!=': 'is not', '>': 'is greater than', '>=': 'is at least', '<': 'is less than', '<=': 'is at most', empty: 'is empty', notEmpty: 'is not empty', in: 'is one of' },
};

/** "当 无菌 不等于 阳性 且 支原体 不等于 阳性": field and value labels come from the caller (names, never codes). */
export function sentence(g: Group, words: SentenceWords, fieldLabel: (f: string) => string, valueLabel: (f: string, v: Value) => string): string {
  const part = (x: Group): string => {
    const s = x.rules
      .map((r) => {
        if (isGroup(r)) return `（${part(r)}）`;
        const f = fieldLabel(r.field);
        if (UNARY.includes(r.op)) return `${f} ${words.op[r.op]}`;
        const v = Array.isArray(r.value) ? r.value.map((x) => valueLabel(r.field, x)).join(words.list) : valueLabel(r.field, r.value ?? null);
        return `${f} ${words.op[r.op]} ${v}`;
      })
      .join(` ${x.all ? words.and : words.or} `);
    return s;
  };
  if (!g.rules.length) return words.empty;
  return `${words.when} ${part(g)}`;
}
