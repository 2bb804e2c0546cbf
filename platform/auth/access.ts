import type { Knex } from 'knex';
import { forbidden } from '../errors';
import type { Actor, CallContext } from '../context';
import type { EntityDef, Model } from '../metadata/model';
import type { MetadataStore } from '../metadata/store';
import type { Authorizer, RecordAction } from '../records/access';
import { compileFilter, SYSTEM_FILTER_ACCESS } from '../records/filter';
import { jsonLogicToFilter, type Permission, type RoleDef, type RowScope } from './roles';

/** What a set of roles may do on one entity, compiled once per metadata version and role set. */
export interface EntityAcl {
  /** action → scopes of the grants giving it ('all' anywhere = no predicate). */
  actions: Map<string, RowScope[]>;
  wildcard: RowScope[];
  hidden: Set<string>;
  readOnly: Set<string>;
  unmask: Set<string>;
}

const intersect = (sets: Set<string>[]): Set<string> => {
  if (!sets.length) return new Set();
  const [first, ...rest] = sets;
  return new Set([...first].filter((x) => rest.every((s) => s.has(x))));
};

export function rolesOf(model: Model): Record<string, RoleDef> {
  return (model.set.role ?? {}) as Record<string, RoleDef>;
}

/** A role's permissions for one entity: its entries naming the entity, else those of its module, else its '*' entries. */
function permsFor(role: RoleDef, e: EntityDef): Permission[] {
  const all = role.permissions ?? [];
  const own = all.filter((p) => p.entity === e.name);
  if (own.length) return own;
  const mod = e.schema['x-module'] ? all.filter((p) => p.module === e.schema['x-module']) : [];
  return mod.length ? mod : all.filter((p) => p.entity === '*');
}

export function compileAcl(model: Model, roles: string[], e: EntityDef): EntityAcl {
  const defs = rolesOf(model);
  return compileAclOf(roles.map((name) => defs[name]).filter(Boolean), e);
}

/** The ACL of role definitions (also of one not saved yet: a role being granted). */
export function compileAclOf(roles: RoleDef[], e: EntityDef): EntityAcl {
  const defaultScope: RowScope = e.scope === 'global' ? 'all' : e.scope === 'org' ? 'orgSubtree' : 'lab';
  const actions = new Map<string, RowScope[]>();
  const wildcard: RowScope[] = [];
  const hiddenPerRole: Set<string>[] = [];
  const lockedPerRole: Set<string>[] = [];
  const unmask = new Set<string>();
  for (const role of roles) {
    const perms = permsFor(role, e);
    if (!perms.length) continue;
    const hidden = new Set<string>();
    const locked = new Set<string>();
    let reads = false;
    let writes = false;
    for (const p of perms) {
      const scope = p.scope ?? defaultScope;
      // A global entity holds shared definitions (container types): whoever may read it reads all of it; a lab or
      // org scope of the grant still bounds its writes.
      const readScope: RowScope = e.scope === 'global' && (scope === 'lab' || scope === 'orgSubtree') ? 'all' : scope;
      for (const a of p.actions) {
        if (a === '*') {
          wildcard.push(scope);
          if (readScope !== scope) actions.set('read', [...(actions.get('read') ?? []), readScope]);
        } else actions.set(a, [...(actions.get(a) ?? []), a === 'read' ? readScope : scope]);
      }
      const r = p.actions.includes('read') || p.actions.includes('*');
      const w = p.actions.some((a) => a === 'create' || a === 'update' || a === '*');
      reads ||= r;
      writes ||= w;
      for (const [f, rule] of Object.entries(p.fields ?? {})) {
        if (rule === 'hidden') hidden.add(f);
        locked.add(f);
      }
      for (const f of p.unmask ?? []) {
        if (f !== '*') unmask.add(f);
        else for (const fd of e.fields.values()) if (fd.encrypted) unmask.add(fd.name);
      }
    }
    if (reads) hiddenPerRole.push(hidden);
    if (writes) lockedPerRole.push(locked);
  }
  // A field is hidden only if every role that can read the entity hides it; same for read-only and writing roles.
  return { actions, wildcard, hidden: intersect(hiddenPerRole), readOnly: intersect(lockedPerRole), unmask };
}

function scopesFor(acl: EntityAcl, action: string): RowScope[] {
  return [...(acl.actions.get(action) ?? []), ...acl.wildcard];
}

const NONE = { hidden: new Set<string>(), readOnly: new Set<string>() };

/** One scope as a knex predicate on `alias`; unknown actor facts deny (never widen). */
function scopePredicate(model: Model, e: EntityDef, alias: string, scope: RowScope, actor: Actor): (qb: Knex.QueryBuilder) => void {
  const ids = (v: unknown) => (Array.isArray(v) ? v.map(Number).filter(Number.isSafeInteger) : []);
  switch (scope) {
    case 'all':
      return (qb) => qb.whereRaw('true');
    case 'own':
      return actor.id == null ? (qb) => qb.whereRaw('false') : (qb) => qb.where(`${alias}.created_by`, actor.id as number);
    case 'lab': {
      const labs = ids(actor.labIds);
      return labs.length ? (qb) => qb.whereIn(`${alias}.lab_id`, labs) : (qb) => qb.whereRaw('false');
    }
    case 'orgSubtree': {
      const orgs = ids(actor.orgSubtree);
      return orgs.length ? (qb) => qb.where((w) => w.whereIn(`${alias}.org_id`, orgs).orWhereIn(`${alias}.lab_id`, orgs)) : (qb) => qb.whereRaw('false');
    }
    default: {
      try {
        const filter = jsonLogicToFilter(scope.jsonLogic, actor);
        return compileFilter(model, e, alias, filter, SYSTEM_FILTER_ACCESS);
      } catch {
        return (qb) => qb.whereRaw('false');
      }
    }
  }
}

export function combinedScope(model: Model, e: EntityDef, alias: string, scopes: RowScope[], actor: Actor): ((qb: Knex.QueryBuilder) => void) | null {
  if (!scopes.length) return (qb) => qb.whereRaw('false');
  if (scopes.includes('all')) return null;
  const preds = [...new Map(scopes.map((s) => [JSON.stringify(s), s])).values()].map((s) => scopePredicate(model, e, alias, s, actor));
  // One scope needs no OR group around it (each predicate is one clause or groups itself).
  if (preds.length === 1) return preds[0];
  return (qb) =>
    qb.where((w) => {
      for (const p of preds) w.orWhere((x) => p(x));
    });
}

/**
 * The role-based Authorizer: permissions from role metadata (plus admin overlays), compiled per metadata version
 * and role set and memoised on the Model, so a role overlay (a new Model via MetadataStore.onChange) invalidates
 * every cached lookup at once. Everything here is synchronous: the actor already carries its roles and org facts.
 */
export class RoleAuthorizer implements Authorizer {
  private scopes = new WeakMap<Actor, { version: number; fns: Map<string, ((qb: Knex.QueryBuilder) => void) | null> }>();
  constructor(private meta: MetadataStore) {}

  acl(actor: Actor, e: EntityDef): EntityAcl {
    const model = this.meta.model;
    const roles = (actor.roles ?? []) as string[];
    return model.memo(`acl:${roles.join(',')}:${e.name}`, () => compileAcl(model, roles, e));
  }

  can(ctx: CallContext, e: EntityDef, action: RecordAction): boolean {
    if (ctx.actor.isAdmin) return true;
    return scopesFor(this.acl(ctx.actor, e), action).length > 0;
  }

  assert(ctx: CallContext, e: EntityDef, action: RecordAction): void {
    if (!this.can(ctx, e, action)) throw forbidden('error.forbiddenAction', { entity: e.name, action });
  }

  scope(ctx: CallContext, e: EntityDef, alias: string): ((qb: Knex.QueryBuilder) => void) | null {
    return this.scopeFor(ctx, e, alias, 'read');
  }

  /** Row scope of one action (update/delete/flow actions may be narrower than read). */
  scopeFor(ctx: CallContext, e: EntityDef, alias: string, action: string): ((qb: Knex.QueryBuilder) => void) | null {
    if (ctx.actor.isAdmin) return null;
    // Compiled once per actor object (sessions cache it) and metadata version, not on every request.
    const model = this.meta.model;
    let perActor = this.scopes.get(ctx.actor);
    if (!perActor || perActor.version !== model.version) this.scopes.set(ctx.actor, (perActor = { version: model.version, fns: new Map() }));
    const key = `${e.name}\u0000${alias}\u0000${action}`;
    if (!perActor.fns.has(key)) perActor.fns.set(key, combinedScope(model, e, alias, scopesFor(this.acl(ctx.actor, e), action), ctx.actor));
    return perActor.fns.get(key)!;
  }

  /** True when the action's scope is the read scope (then the pipeline's read check already covers it). */
  sameScopeAsRead(ctx: CallContext, e: EntityDef, action: string): boolean {
    if (ctx.actor.isAdmin) return true;
    const acl = this.acl(ctx.actor, e);
    const key = (a: string) => JSON.stringify([...new Set(scopesFor(acl, a).map((s) => JSON.stringify(s)))].sort());
    return key(action) === key('read') || scopesFor(acl, action).includes('all');
  }

  fieldAccess(ctx: CallContext, e: EntityDef): { hidden: Set<string>; readOnly: Set<string> } {
    if (ctx.actor.isAdmin) return NONE;
    return this.acl(ctx.actor, e);
  }

  mayUnmask(ctx: CallContext, e: EntityDef, field: string): boolean {
    return !!ctx.actor.isAdmin || this.acl(ctx.actor, e).unmask.has(field);
  }

  /** Platform permission (users:admin, meta:write…) from the actor's roles. */
  hasSystem(actor: Actor, perm: string): boolean {
    if (actor.isAdmin) return true;
    const defs = rolesOf(this.meta.model);
    return ((actor.roles ?? []) as string[]).some((r) => defs[r]?.system?.includes(perm));
  }
}

const SCOPE_RANK: Record<string, number> = { own: 1, lab: 2, orgSubtree: 3, all: 4 };

/** Does one of the holder's scopes cover `s`? A JSON Logic scope is covered only by itself or by 'all'. */
function covered(s: RowScope, held: RowScope[]): boolean {
  if (held.includes('all')) return true;
  if (typeof s === 'object') return held.some((h) => typeof h === 'object' && JSON.stringify(h) === JSON.stringify(s));
  return held.some((h) => typeof h === 'string' && SCOPE_RANK[h] >= SCOPE_RANK[s]);
}

/**
 * The first thing a role grants that `actor` does not hold itself, or null: administrator, a system permission,
 * an action on an entity (or a wider row scope for it), a field the actor may not see or write, an encrypted
 * field the actor may not unmask. Used wherever a role is given to someone: nobody grants more than they hold.
 */
export function grantExcess(authz: RoleAuthorizer, model: Model, actor: Actor, role: RoleDef): string | null {
  if (actor.isAdmin) return null;
  if (role.admin) return 'admin';
  for (const p of role.system ?? []) if (!authz.hasSystem(actor, p)) return p;
  for (const e of model.entities.values()) {
    const mine = authz.acl(actor, e);
    const given = compileAclOf([role], e);
    for (const s of given.wildcard) if (!covered(s, mine.wildcard)) return `${e.name}:*`;
    for (const [a, scopes] of given.actions) for (const s of scopes) if (!covered(s, scopesFor(mine, a))) return `${e.name}:${a}`;
    const reads = scopesFor(given, 'read').length > 0;
    const writes = ['create', 'update'].some((a) => scopesFor(given, a).length > 0);
    if (reads) for (const f of mine.hidden) if (!given.hidden.has(f)) return `${e.name}.${f}`;
    if (writes) for (const f of mine.readOnly) if (!given.readOnly.has(f)) return `${e.name}.${f}`;
    for (const f of given.unmask) if (!mine.unmask.has(f)) return `${e.name}.${f}`;
  }
  return null;
}

export function actorHasRole(actor: Actor, role: string): boolean {
  return ((actor.roles ?? []) as string[]).includes(role);
}
