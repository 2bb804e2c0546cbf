import type { MetaSet } from '../metadata/registry';
import { requirementsSchema } from '../metadata/meta-schemas';

/** Bilingual label; en is optional (shown in zh-CN where missing). */
export interface Label {
  'zh-CN': string;
  en?: string;
}

/** Who may act on a step; resolved to user ids by the resolver registry (resolvers.ts). */
export interface AssigneeSpec {
  type: 'role' | 'user' | 'field' | 'initiator' | 'orgRelation' | string;
  /** role, orgRelation: the role name. */
  role?: string;
  /** user: user names or ids. */
  users?: (string | number)[];
  /** field: a field of the record holding a user id or user name. */
  field?: string;
  /** orgRelation: which unit of the record's lab carries the relation (default the lab itself). */
  unit?: 'lab' | 'centre' | 'company' | 'department';
}

export interface DueDef {
  /** ISO 8601 durations, from the moment the task is created. */
  after: string;
  remindBefore?: string;
  escalateAfter?: string;
  escalateTo?: AssigneeSpec[];
  /** notify (default): tell the escalation users; reassign: move the task to the first of them. */
  escalation?: 'notify' | 'reassign';
}

export interface StateDef {
  label: Label;
  final?: boolean;
  assignees?: AssigneeSpec[];
  /** Who else may take a task of this step by delegation or reassignment (deputies); assignees may too. */
  delegates?: AssigneeSpec[];
  mode?: 'any' | 'all' | 'sequential';
  due?: DueDef;
}

export interface EffectDef {
  /** A pipeline action of the bound entity (plugins register them with hooks.action). */
  action?: string;
  /** A named effect from the workflow effect registry. */
  effect?: string;
  input?: Record<string, unknown>;
}

export interface TransitionDef {
  from: string | string[];
  action: string;
  to: string;
  /** approve: counts toward the step's mode; reject / return / other: decided by one actor at once. */
  type?: 'approve' | 'reject' | 'return' | 'other';
  label: Label;
  guard?: Record<string, unknown>;
  refusal?: Label;
  comment?: 'required' | 'optional';
  signature?: { meaning: Label };
  effects?: EffectDef[];
}

export interface FlowDef {
  $id: string;
  kind?: 'flow';
  label: Label;
  description?: Label;
  entity: string;
  /** Field of the record that follows the flow's state (default the entity's x-state). */
  stateField?: string;
  /** JSON Logic over the record: the flow applies only when true. */
  when?: Record<string, unknown>;
  priority?: number;
  start: { on: 'create' } | { on: 'action'; action: string; label?: Label };
  initial: string;
  states: Record<string, StateDef>;
  transitions: TransitionDef[];
  /** Withdrawal by the initiator: allowed unless false; `to` sets the record's state. */
  withdraw?: false | { to?: string };
  /** No candidate found for a step: hand it to the administrators (default) or refuse. */
  onNoCandidates?: 'admins' | 'fail';
  /** Record fields copied into each task as its summary. */
  summary?: string[];
}

const label = {
  type: 'object',
  required: ['zh-CN'],
  additionalProperties: false,
  properties: { 'zh-CN': { type: 'string', minLength: 1 }, en: { type: 'string', minLength: 1 } },
};
const name = { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_]{0,63}$' };
const duration = { type: 'string', pattern: '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$' };
const assignee = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: name,
    role: { type: 'string', minLength: 1, maxLength: 100 },
    users: { type: 'array', minItems: 1, items: { type: ['string', 'integer'] } },
    field: name,
    unit: { enum: ['lab', 'centre', 'company', 'department'] },
  },
  allOf: [
    { if: { properties: { type: { enum: ['role', 'orgRelation'] } } }, then: { required: ['role'] } },
    { if: { properties: { type: { const: 'user' } } }, then: { required: ['users'] } },
    { if: { properties: { type: { const: 'field' } } }, then: { required: ['field'] } },
  ],
};
const assignees = { type: 'array', minItems: 1, items: assignee };

export const flowMetaSchema = {
  type: 'object',
  required: ['$id', 'label', 'entity', 'start', 'initial', 'states', 'transitions'],
  additionalProperties: false,
  properties: {
    $id: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,99}$' },
    kind: { const: 'flow' },
    label,
    description: label,
    'x-requirements': requirementsSchema,
    entity: name,
    stateField: name,
    when: { type: 'object' },
    priority: { type: 'integer' },
    start: {
      oneOf: [
        { type: 'object', required: ['on'], additionalProperties: false, properties: { on: { const: 'create' } } },
        { type: 'object', required: ['on', 'action'], additionalProperties: false, properties: { on: { const: 'action' }, action: name, label } },
      ],
    },
    initial: name,
    states: {
      type: 'object',
      minProperties: 2,
      propertyNames: name,
      additionalProperties: {
        type: 'object',
        required: ['label'],
        additionalProperties: false,
        properties: {
          label,
          final: { type: 'boolean' },
          assignees,
          delegates: assignees,
          mode: { enum: ['any', 'all', 'sequential'] },
          due: {
            type: 'object',
            required: ['after'],
            additionalProperties: false,
            properties: { after: duration, remindBefore: duration, escalateAfter: duration, escalateTo: assignees, escalation: { enum: ['notify', 'reassign'] } },
          },
        },
      },
    },
    transitions: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['from', 'action', 'to', 'label'],
        additionalProperties: false,
        properties: {
          from: { oneOf: [name, { type: 'array', minItems: 1, items: name }] },
          action: name,
          to: name,
          type: { enum: ['approve', 'reject', 'return', 'other'] },
          label,
          guard: { type: 'object' },
          refusal: label,
          comment: { enum: ['required', 'optional'] },
          signature: { type: 'object', required: ['meaning'], additionalProperties: false, properties: { meaning: label } },
          effects: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: { action: name, effect: { type: 'string', minLength: 1 }, input: { type: 'object' } },
              oneOf: [{ required: ['action'] }, { required: ['effect'] }],
            },
          },
        },
      },
    },
    withdraw: { oneOf: [{ const: false }, { type: 'object', additionalProperties: false, properties: { to: name } }] },
    onNoCandidates: { enum: ['admins', 'fail'] },
    summary: { type: 'array', items: name, uniqueItems: true },
  },
};

/** Built-in operations; a transition may not take their names. */
export const RESERVED_ACTIONS = ['withdraw', 'delegate', 'reassign', 'assign', 'complete'];

export const fromList = (t: TransitionDef): string[] => (Array.isArray(t.from) ? t.from : [t.from]);

export function stateFieldOf(def: FlowDef, entitySchema: Record<string, any> | undefined): string | undefined {
  return def.stateField ?? (entitySchema?.['x-state'] as string | undefined);
}

/** Cross-checks against the other metadata: entity, state field and its enum, states named by transitions. */
export function flowIssues(def: FlowDef, all: MetaSet): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const ent = all.entity?.[def.entity];
  if (!ent) return [{ path: '/entity', message: `unknown entity ${def.entity}` }];
  const states = def.states ?? {};
  const sf = stateFieldOf(def, ent);
  if (def.stateField && !ent.properties?.[def.stateField]) out.push({ path: '/stateField', message: `unknown field ${def.stateField} of ${def.entity}` });
  const allowed: string[] | undefined = sf ? ent.properties?.[sf]?.enum : undefined;
  for (const s of Object.keys(states)) if (allowed && !allowed.includes(s)) out.push({ path: `/states/${s}`, message: `state ${s} is not a value of ${def.entity}.${sf}` });
  if (!states[def.initial]) out.push({ path: '/initial', message: `unknown state ${def.initial}` });
  else if (states[def.initial].final) out.push({ path: '/initial', message: 'the initial state is final' });
  for (const [k, s] of Object.entries(states)) {
    if (!s.final && !s.assignees) out.push({ path: `/states/${k}/assignees`, message: 'a state that is not final needs assignees' });
    for (const key of ['assignees', 'delegates'] as const)
      for (const [i, a] of (s[key] ?? []).entries())
        if (a.type === 'field' && !ent.properties?.[a.field!]) out.push({ path: `/states/${k}/${key}/${i}/field`, message: `unknown field ${a.field}` });
  }
  const seen = new Set<string>();
  def.transitions.forEach((t, i) => {
    for (const f of fromList(t)) {
      if (!states[f]) out.push({ path: `/transitions/${i}/from`, message: `unknown state ${f}` });
      else if (states[f].final) out.push({ path: `/transitions/${i}/from`, message: `state ${f} is final` });
      const key = `${f}:${t.action}`;
      if (seen.has(key)) out.push({ path: `/transitions/${i}/action`, message: `action ${t.action} appears twice from ${f}` });
      seen.add(key);
    }
    if (!states[t.to]) out.push({ path: `/transitions/${i}/to`, message: `unknown state ${t.to}` });
    if (RESERVED_ACTIONS.includes(t.action)) out.push({ path: `/transitions/${i}/action`, message: `${t.action} is a built-in operation` });
    if (t.guard && !t.refusal) out.push({ path: `/transitions/${i}/refusal`, message: 'a guard needs a refusal message' });
  });
  if (def.withdraw && def.withdraw.to && !states[def.withdraw.to]) out.push({ path: '/withdraw/to', message: `unknown state ${def.withdraw.to}` });
  for (const [i, f] of (def.summary ?? []).entries()) if (!ent.properties?.[f]) out.push({ path: `/summary/${i}`, message: `unknown field ${f}` });
  return out;
}
