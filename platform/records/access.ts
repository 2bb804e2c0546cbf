import type { Knex } from 'knex';
import { forbidden } from '../errors';
import type { CallContext } from '../context';
import type { EntityDef } from '../metadata/model';

export type RecordAction = 'read' | 'create' | 'update' | 'delete' | 'export' | 'import' | string;

/**
 * The access-control hook point of the pipeline. Until roles land, only administrators may do anything.
 * `scope` returns a predicate the query builder ANDs into every query that reaches the entity's table
 * (list, get, count, expand, reference-path filters, export), aliased as `alias`.
 */
export interface Authorizer {
  assert(ctx: CallContext, entity: EntityDef, action: RecordAction): Promise<void> | void;
  scope(ctx: CallContext, entity: EntityDef, alias: string): ((qb: Knex.QueryBuilder) => void) | null;
  /** Fields the caller may not see (never leave the server) and may not write. */
  fieldAccess(ctx: CallContext, entity: EntityDef): { hidden: Set<string>; readOnly: Set<string> };
  /** May the caller see an encrypted field in clear? (absent: administrators only) */
  mayUnmask?(ctx: CallContext, entity: EntityDef, field: string): boolean;
}

const none = { hidden: new Set<string>(), readOnly: new Set<string>() };

export const adminOnly: Authorizer = {
  assert(ctx) {
    if (!ctx.actor.isAdmin) throw forbidden();
  },
  scope: () => null,
  fieldAccess: () => none,
};
