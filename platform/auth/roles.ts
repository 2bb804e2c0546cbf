import type { MetaSet } from '../metadata/registry';
import { requirementsSchema } from '../metadata/meta-schemas';

/** Row scope of a grant: own records, own labs, own org subtree, everything, or a JSON Logic condition. */
export type RowScope = 'own' | 'lab' | 'orgSubtree' | 'all' | { jsonLogic: Record<string, unknown> };

export interface Permission {
  /** Entity name or '*' (every entity without a permission of its own in this role). */
  entity?: string;
  /** Every entity of a module (`x-module`), unless the role names the entity itself. */
  module?: string;
  /** read, create, update, delete, export, import, any flow/plugin action name, or '*'. */
  actions: string[];
  scope?: RowScope;
  /** Field restrictions while this grant applies. */
  fields?: Record<string, 'hidden' | 'readOnly'>;
  /** Encrypted fields this role sees in clear ('*' = all). */
  unmask?: string[];
}

export interface RoleDef {
  $id: string;
  label: { 'zh-CN': string; en?: string };
  description?: { 'zh-CN': string; en: string };
  /** Full access (system administrator). */
  admin?: boolean;
  /** Platform permissions: users:admin, org:admin, meta:write, audit:read, tokens:admin, backup. */
  system?: string[];
  permissions?: Permission[];
}

export const SYSTEM_PERMISSIONS = ['users:admin', 'org:admin', 'meta:write', 'audit:read', 'tokens:admin', 'backup', 'loginlog:read', 'records:restore'];

const bilingual = {
  type: 'object',
  required: ['zh-CN'],
  additionalProperties: false,
  properties: { 'zh-CN': { type: 'string', minLength: 1 }, en: { type: 'string', minLength: 1 } },
};

export const roleMetaSchema = {
  type: 'object',
  required: ['$id', 'label'],
  additionalProperties: false,
  properties: {
    $id: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_]{0,63}$' },
    label: bilingual,
    description: bilingual,
    'x-requirements': requirementsSchema,
    admin: { type: 'boolean' },
    system: { type: 'array', items: { enum: SYSTEM_PERMISSIONS }, uniqueItems: true },
    permissions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['actions'],
        oneOf: [{ required: ['entity'] }, { required: ['module'] }],
        additionalProperties: false,
        properties: {
          entity: { type: 'string', minLength: 1 },
          module: { type: 'string', minLength: 1 },
          actions: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(\\*|[a-zA-Z][a-zA-Z0-9_.-]{0,63})$' } },
          scope: {
            oneOf: [
              { enum: ['own', 'lab', 'orgSubtree', 'all'] },
              { type: 'object', required: ['jsonLogic'], additionalProperties: false, properties: { jsonLogic: { type: 'object' } } },
            ],
          },
          fields: { type: 'object', additionalProperties: { enum: ['hidden', 'readOnly'] } },
          unmask: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

/** Cross-checks against the effective entities: unknown entities or fields in a role are errors. */
export function roleIssues(def: RoleDef, all: MetaSet): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  (def.permissions ?? []).forEach((p, i) => {
    if (p.entity === '*' || p.module) {
      if (p.fields && Object.keys(p.fields).length) out.push({ path: `/permissions/${i}/fields`, message: 'field rules need a named entity' });
      return;
    }
    const e = all.entity?.[p.entity!];
    if (!e) {
      out.push({ path: `/permissions/${i}/entity`, message: `unknown entity ${p.entity}` });
      return;
    }
    for (const f of [...Object.keys(p.fields ?? {}), ...(p.unmask ?? []).filter((x) => x !== '*')])
      if (!(f in (e.properties ?? {}))) out.push({ path: `/permissions/${i}/fields/${f}`, message: `unknown field ${f} of ${p.entity}` });
    if (p.scope && typeof p.scope === 'object') {
      const problem = jsonLogicProblem(p.scope.jsonLogic);
      if (problem) out.push({ path: `/permissions/${i}/scope/jsonLogic`, message: problem });
    }
  });
  return out;
}

const LOGIC_OPS: Record<string, string> = { '==': 'eq', '===': 'eq', '!=': 'ne', '!==': 'ne', '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte', in: 'in' };

/**
 * JSON Logic → the record filter language (docs/api.md), which compiles to parameterised SQL. Only the
 * operators that map onto SQL are accepted: and, or, !, ==, !=, <, <=, >, >=, in, with `{"var": "field"}` on
 * the left and a literal or `{"var": "$actor.<fact>"}` (id, orgId, labId, labIds, orgSubtree) on the right.
 */
export function jsonLogicToFilter(logic: unknown, actor: Record<string, unknown>): Record<string, unknown> {
  if (!logic || typeof logic !== 'object' || Array.isArray(logic)) throw new Error('JSON Logic rule must be an object');
  const entries = Object.entries(logic as Record<string, unknown>);
  if (entries.length !== 1) throw new Error('one operator per JSON Logic object');
  const [op, args] = entries[0];
  if (op === 'and' || op === 'or') {
    if (!Array.isArray(args) || !args.length) throw new Error(`${op} needs a non-empty list`);
    return { [op]: args.map((a) => jsonLogicToFilter(a, actor)) };
  }
  if (op === '!') return { not: jsonLogicToFilter(Array.isArray(args) ? args[0] : args, actor) };
  const sqlOp = LOGIC_OPS[op];
  if (!sqlOp || !Array.isArray(args) || args.length !== 2) throw new Error(`unsupported JSON Logic operator ${op}`);
  const [left, right] = args as [any, any];
  if (!left || typeof left !== 'object' || typeof left.var !== 'string' || left.var.startsWith('$')) throw new Error(`${op}: the left side must be {"var": "<field>"}`);
  let value = right;
  if (right && typeof right === 'object' && !Array.isArray(right)) {
    if (typeof right.var !== 'string' || !right.var.startsWith('$actor.')) throw new Error(`${op}: the right side must be a literal or {"var": "$actor.<fact>"}`);
    value = actor[right.var.slice(7)] ?? null;
  }
  if (value === null) return op === '!=' || op === '!==' ? { [left.var]: { isNull: false } } : { [left.var]: { isNull: true } };
  if (sqlOp === 'in' && (!Array.isArray(value) || !value.length)) return { id: { in: [-1] } };
  return { [left.var]: { [sqlOp]: value } };
}

function jsonLogicProblem(logic: unknown): string | null {
  try {
    jsonLogicToFilter(logic, { id: 1, orgId: 1, labId: 1, labIds: [1], orgSubtree: [1] });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
