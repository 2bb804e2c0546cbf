import type { Knex } from 'knex';
import { AppError } from '../errors';
import { SYSTEM_COLUMNS, type EntityDef, type FieldDef, type FieldKind, type Model } from '../metadata/model';
import { biColumn, blindIndexes, domainOf, isEncrypted } from '../auth/crypto';
import type { CallContext } from '../context';
import type { Authorizer } from './access';

export const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'contains', 'startsWith', 'between', 'isNull'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface ResolvedField {
  name: string;
  column: string;
  kind: FieldKind;
  joinTable?: string;
  /** Set on an encrypted field: the domain of its ciphertext and blind index (only exact matches can be compiled). */
  encrypted?: string;
}

export const badFilter = (key: string, params: Record<string, unknown>, path: string) =>
  new AppError(400, 'BAD_FILTER', key, params, [{ path, messageKey: key, params }]);

export function resolveOwn(e: EntityDef, name: string): ResolvedField | undefined {
  const sys = SYSTEM_COLUMNS[name];
  if (sys) return { name, column: sys.column, kind: sys.kind };
  const f = e.fields.get(name);
  return f && { name, column: f.column, kind: f.kind, joinTable: f.joinTable, encrypted: isEncrypted(f) ? domainOf(e, f) : undefined };
}

const ORDERED: FieldKind[] = ['string', 'text', 'integer', 'decimal', 'number', 'date', 'datetime', 'enum', 'dictionary', 'reference', 'user'];
const TEXTUAL: FieldKind[] = ['string', 'text', 'enum', 'dictionary'];
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks one scalar against the field's kind, so a wrong type is a 400 and never reaches PostgreSQL as an error. */
function scalarOk(kind: FieldKind, v: unknown): boolean {
  switch (kind) {
    case 'integer':
    case 'reference':
    case 'multiReference':
    case 'user':
      return Number.isSafeInteger(v);
    case 'decimal':
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'date':
      return typeof v === 'string' && DATE_RE.test(v) && !Number.isNaN(Date.parse(v));
    case 'datetime':
      return typeof v === 'string' && v.length <= 40 && /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v));
    case 'string':
    case 'text':
    case 'enum':
    case 'dictionary':
      return typeof v === 'string' && v.length <= 1000 && !v.includes('\u0000');
    default:
      return false;
  }
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export type ScopeFn = (e: EntityDef, alias: string) => ((qb: Knex.QueryBuilder) => void) | null;

/**
 * What the caller may see, as a filter needs it: the row scope of a joined entity, its hidden fields, and which
 * encrypted fields it may match (only those it may unmask). Every entity a filter touches (the own one and each
 * target of a reference path) is checked with the same rules.
 */
export interface FilterAccess {
  scope: ScopeFn;
  hidden(e: EntityDef): Set<string>;
  mayUnmask(e: EntityDef, field: string): boolean;
}

/** The caller's access through the pipeline's Authorizer. */
export function filterAccess(auth: Authorizer, ctx: CallContext): FilterAccess {
  return {
    scope: (e, alias) => auth.scope(ctx, e, alias),
    hidden: (e) => auth.fieldAccess(ctx, e).hidden,
    mayUnmask: (e, f) => (auth.mayUnmask ? auth.mayUnmask(ctx, e, f) : !!ctx.actor.isAdmin),
  };
}

const NOTHING_HIDDEN = new Set<string>();
/** Metadata-defined predicates (role scopes in JSON Logic): trusted, no scope or field rules of their own. */
export const SYSTEM_FILTER_ACCESS: FilterAccess = { scope: () => null, hidden: () => NOTHING_HIDDEN, mayUnmask: () => true };

/**
 * Resolves a field name or one-level reference path (`customer.name`) for a filter or sort, refusing what the
 * caller may not see: a hidden field of the entity, a hidden reference, or a field hidden on the reference's
 * target entity (400 `key`, default error.unknownField, at `pointer`). Returns the field and, for a path, the
 * reference and its target; `encrypted` fields come back with `unmask` telling whether the caller may match them.
 */
export function assertReadablePath(
  access: FilterAccess,
  model: Model,
  e: EntityDef,
  path: string,
  pointer: string,
  key = 'error.unknownField',
): { field: ResolvedField; unmask: boolean; ref?: { field: FieldDef; target: EntityDef } } {
  const refuse = () => badFilter(key, { field: path }, pointer);
  const dot = path.indexOf('.');
  if (dot < 0) {
    const f = resolveOwn(e, path);
    if (!f || access.hidden(e).has(path)) throw refuse();
    return { field: f, unmask: !f.encrypted || access.mayUnmask(e, path) };
  }
  const head = path.slice(0, dot);
  const tail = path.slice(dot + 1);
  const rf = e.fields.get(head);
  const target = rf?.kind === 'reference' || rf?.kind === 'multiReference' ? model.entity(rf.ref!) : undefined;
  const tf = target && !tail.includes('.') ? resolveOwn(target, tail) : undefined;
  if (!rf || !target || !tf || tf.kind === 'multiReference') throw refuse();
  // The target's own field rules apply: a field hidden there is unknown here too.
  if (access.hidden(e).has(head) || access.hidden(target).has(tail)) throw refuse();
  return { field: tf, unmask: !tf.encrypted || access.mayUnmask(target, tail), ref: { field: rf, target } };
}

/**
 * Compiles the JSON filter language (docs/api.md) into a knex where-callback. Every value is a bound parameter;
 * field names are resolved against metadata, so nothing from the request is ever spliced into SQL.
 */
export function compileFilter(model: Model, e: EntityDef, alias: string, filter: unknown, access: FilterAccess, path = '/filter'): (qb: Knex.QueryBuilder) => void {
  if (filter === undefined || filter === null) return () => {};
  if (typeof filter !== 'object' || Array.isArray(filter)) throw badFilter('error.badFilterShape', {}, path);
  const parts: ((qb: Knex.QueryBuilder) => void)[] = [];
  let depth = 0;
  const walk = (f: any, p: string): ((qb: Knex.QueryBuilder) => void) => {
    if (++depth > 200) throw badFilter('error.badFilterShape', {}, p);
    if (typeof f !== 'object' || f === null || Array.isArray(f)) throw badFilter('error.badFilterShape', {}, p);
    const conds: ((qb: Knex.QueryBuilder) => void)[] = [];
    for (const [key, val] of Object.entries(f)) {
      const kp = `${p}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key === 'and' || key === 'or') {
        if (!Array.isArray(val) || val.length === 0 || val.length > 100) throw badFilter('error.badFilterShape', {}, kp);
        const subs = val.map((s, i) => walk(s, `${kp}/${i}`));
        conds.push((qb) =>
          qb.where((w) => {
            for (const s of subs) {
              if (key === 'and') w.andWhere((x) => s(x));
              else w.orWhere((x) => s(x));
            }
          }),
        );
      } else if (key === 'not') {
        const sub = walk(val, kp);
        conds.push((qb) => qb.whereNot((w) => sub(w)));
      } else {
        conds.push(condition(key, val, kp));
      }
    }
    // Every condition adds only AND-ed, self-grouped clauses (and/or/not groups, one group per predicate): no extra
    // parentheses needed around each (each nested group costs knex a sub-builder to compile).
    return (qb) => {
      for (const c of conds) c(qb);
    };
  };

  const condition = (key: string, val: unknown, p: string): ((qb: Knex.QueryBuilder) => void) => {
    const ops: Record<string, unknown> =
      val !== null && typeof val === 'object' && !Array.isArray(val) ? (val as Record<string, unknown>) : { eq: val };
    if (Object.keys(ops).length === 0) throw badFilter('error.badFilterShape', {}, p);
    const [head, tail] = key.split('.');
    const uf = tail === 'displayName' ? e.fields.get(head) : undefined;
    if (uf?.kind === 'user' && !access.hidden(e).has(head)) {
      // A user reference by the person's name: EXISTS over ct_user (display names are what every reader sees anyway).
      const name: ResolvedField = { name: key, column: 'display_name', kind: 'string' };
      const preds = Object.entries(ops).map(([op, v]) => predicate('u', name, true, op, v, `${p}/${op}`));
      return (qb) =>
        qb.whereExists(function (this: Knex.QueryBuilder) {
          const sub = this.select(this.client.raw('1')).from({ u: 'ct_user' }).whereRaw('u.id = ??.??', [alias, uf.column]);
          for (const pr of preds) sub.andWhere((w) => pr(w));
        });
    }
    const { field: tf, unmask, ref } = assertReadablePath(access, model, e, key, p);
    if (ref) {
      // One level through a reference: EXISTS over the target, with the target's own row scope applied.
      const { field: rf, target } = ref;
      const ra = `r_${rf.name}`.slice(0, 40);
      const preds = Object.entries(ops).map(([op, v]) => predicate(ra, tf, unmask, op, v, `${p}/${op}`));
      const targetScope = access.scope(target, ra);
      return (qb) =>
        qb.whereExists(function (this: Knex.QueryBuilder) {
          const sub = this.select(this.client.raw('1')).from({ [ra]: target.table }).whereNull(`${ra}.deleted_at`);
          if (rf.kind === 'reference') sub.whereRaw('??.id = ??.??', [ra, alias, rf.column]);
          else sub.whereRaw(`??.id in (select target_id from ?? j where j.owner_id = ??.id)`, [ra, rf.joinTable!, alias]);
          if (targetScope) targetScope(sub);
          for (const pr of preds) sub.andWhere((w) => pr(w));
        });
    }
    const preds = Object.entries(ops).map(([op, v]) => predicate(alias, tf, unmask, op, v, `${p}/${op}`));
    return (qb) => {
      for (const pr of preds) qb.andWhere((w) => pr(w));
    };
  };

  const predicate = (a: string, f: ResolvedField, unmask: boolean, op: string, v: unknown, p: string): ((qb: Knex.QueryBuilder) => void) => {
    if (!(OPERATORS as readonly string[]).includes(op)) throw badFilter('error.unknownOperator', { op }, p);
    const bad = () => badFilter('error.badFilterValue', { field: f.name, op }, p);
    const col = `${a}.${f.column}`;
    if (op === 'isNull') {
      if (typeof v !== 'boolean') throw bad();
      if (f.kind === 'multiReference') {
        const links = (s: Knex.QueryBuilder) => {
          s.select(s.client.raw('1')).from(f.joinTable!).whereRaw('owner_id = ??.id', [a]);
        };
        return (qb) => (v ? qb.whereNotExists(links) : qb.whereExists(links));
      }
      return (qb) => (v ? qb.whereNull(col) : qb.whereNotNull(col));
    }
    if (f.kind === 'json' || f.kind === 'attachment') throw bad();
    if (f.encrypted) {
      // Ciphertext only compares through its blind index: eq / in, exactly.
      const vals = op === 'eq' ? [v] : op === 'in' ? v : undefined;
      if (!vals) throw badFilter('error.encryptedFilter', { field: f.name, op }, p);
      // A match would reveal the clear value (a few `in` lists recover a masked phone): only for who may unmask it.
      if (!unmask) throw badFilter('error.encryptedFilterMasked', { field: f.name, op }, p);
      if (!Array.isArray(vals) || vals.length === 0 || vals.length > 1000 || !vals.every((x) => scalarOk(f.kind, x))) throw bad();
      const bis = vals.flatMap((x) => blindIndexes(f.encrypted!, x as string));
      return (qb) => qb.whereIn(`${a}.${biColumn(f.column)}`, bis);
    }
    if (f.kind === 'multiReference') {
      // "has this target" semantics: eq / in.
      const ids = op === 'eq' ? [v] : op === 'in' ? v : undefined;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 1000 || !ids.every((x) => scalarOk('integer', x))) throw bad();
      return (qb) => qb.whereExists((s) => s.select(s.client.raw('1')).from(f.joinTable!).whereRaw('owner_id = ??.id', [a]).whereIn('target_id', ids as number[]));
    }
    switch (op) {
      case 'eq':
      case 'ne': {
        if (!scalarOk(f.kind, v)) throw bad();
        return (qb) => qb.where(col, op === 'eq' ? '=' : '<>', v as any);
      }
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        if (!ORDERED.includes(f.kind) || !scalarOk(f.kind, v)) throw bad();
        const sql = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[op];
        return (qb) => qb.where(col, sql, v as any);
      }
      case 'in':
      case 'nin': {
        if (!Array.isArray(v) || v.length === 0 || v.length > 1000 || !v.every((x) => scalarOk(f.kind, x))) throw bad();
        return (qb) => (op === 'in' ? qb.whereIn(col, v as any[]) : qb.whereNotIn(col, v as any[]));
      }
      case 'contains':
      case 'startsWith': {
        if (!TEXTUAL.includes(f.kind) || typeof v !== 'string' || v.length > 200 || v.includes('\u0000')) throw bad();
        const pattern = op === 'contains' ? `%${likeEscape(v)}%` : `${likeEscape(v)}%`;
        return (qb) => qb.whereRaw(`?? ilike ?`, [col, pattern]);
      }
      case 'between': {
        if (!ORDERED.includes(f.kind) || !Array.isArray(v) || v.length !== 2 || !v.every((x) => scalarOk(f.kind, x))) throw bad();
        return (qb) => qb.whereBetween(col, v as [any, any]);
      }
    }
    throw bad();
  };

  parts.push(walk(filter, path));
  return (qb) => {
    for (const p of parts) p(qb);
  };
}
