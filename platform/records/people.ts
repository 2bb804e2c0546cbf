/**
 * User references (`"x-user": true | "current"`): a field naming the person who did something, stored as a ct_user id.
 * Who may be named: an administrator (or the system) any enabled user; everyone else the enabled users of their own
 * labs, and themselves. Read side (records/service.ts list): `<field>$expanded: {id, displayName}` for any user id the
 * record holds (a name only, never a username or an org, whoever it belongs to).
 */
import type { Knex } from 'knex';
import { AppError } from '../errors';
import type { Actor, CallContext } from '../context';
import type { EntityDef, FieldDef } from '../metadata/model';
import { orgTree } from '../auth/org';

export const userFields = (e: EntityDef): FieldDef[] => e.columns.filter((f) => f.kind === 'user');

/** `x-user: current` fields the client left out default to the signed-in user (not for the system actor). */
export function fillCurrentUsers(ctx: CallContext, e: EntityDef, record: Record<string, any>): void {
  if (ctx.actor.id == null) return;
  for (const f of userFields(e)) if (f.user === 'current' && record[f.name] === undefined) record[f.name] = ctx.actor.id;
}

/** May the actor name any user (administrators and the system actor)? */
const unrestricted = (a: Actor) => !!a.isAdmin || a.id == null;

/** Enabled users the actor may name, as a query condition on `ct_user as u`. */
async function pickable(db: Knex | Knex.Transaction, actor: Actor): Promise<(qb: Knex.QueryBuilder) => void> {
  if (unrestricted(actor)) return (qb) => qb.where('u.disabled', false);
  const labs = ((actor.labIds as number[] | undefined) ?? []).map(Number);
  const tree = await orgTree(db as Knex);
  const units = [...new Set(labs.flatMap((l) => tree.subtree(l)))];
  return (qb) =>
    qb.where('u.disabled', false).andWhere((w) => {
      w.where('u.id', actor.id as number);
      if (labs.length) w.orWhereIn('u.lab_id', labs);
      if (units.length) w.orWhereExists((s) => s.select(s.client.raw('1')).from('ct_user_org as m').whereRaw('m.user_id = u.id').whereIn('m.org_id', units));
    });
}

/** The users an actor may pick, by display name or username (`q`), for a user picker. */
export async function searchUsers(db: Knex, actor: Actor, opts: { q?: string; ids?: number[]; limit?: number }): Promise<{ id: number; displayName: string; orgName: string | null }[]> {
  const cond = await pickable(db, actor);
  const qb = db('ct_user as u').leftJoin('ct_org as o', 'o.id', 'u.org_id').modify(cond).select('u.id', 'u.display_name', 'o.name as org_name');
  if (opts.q) {
    const like = `%${opts.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    qb.andWhere((w) => w.whereRaw('u.display_name ilike ?', [like]).orWhereRaw('u.username ilike ?', [like]));
  }
  if (opts.ids) qb.whereIn('u.id', opts.ids);
  const rows = await qb.orderBy(['u.display_name', 'u.id']).limit(opts.limit ?? 20);
  return rows.map((r: any) => ({ id: Number(r.id), displayName: r.display_name, orgName: r.org_name ?? null }));
}

/**
 * The final record's user references name enabled users the actor may name (unchanged values on an update are not
 * checked again: a user disabled since keeps their name on old records). 422 naming the field.
 */
export async function checkUsers(db: Knex | Knex.Transaction, ctx: CallContext, e: EntityDef, record: Record<string, any>, previous?: Record<string, any>, basePath = ''): Promise<void> {
  const todo = userFields(e).filter((f) => record[f.name] != null && (!previous || previous[f.name] !== record[f.name]));
  if (!todo.length) return;
  const ids = [...new Set(todo.map((f) => record[f.name]).filter((v) => Number.isSafeInteger(v)))] as number[];
  const cond = await pickable(db as Knex, ctx.actor);
  const found = new Set((ids.length ? await db('ct_user as u').modify(cond).whereIn('u.id', ids).pluck('u.id') : []).map(Number));
  const bad = todo.filter((f) => !found.has(record[f.name]));
  if (bad.length)
    throw new AppError(422, 'VALIDATION_FAILED', 'error.validation', {}, bad.map((f) => ({ path: `${basePath}/${f.name}`, messageKey: 'error.userNotPickable' })));
}

/** Display names of users by id (any user: a name is what every reader of the record may see). */
export async function userNames(db: Knex | Knex.Transaction, ids: unknown[]): Promise<Map<number, string>> {
  const want = [...new Set(ids.filter((v) => Number.isSafeInteger(v) || (typeof v === 'string' && /^\d{1,15}$/.test(v))).map(Number))];
  if (!want.length) return new Map();
  const rows = await db('ct_user').whereIn('id', want).select('id', 'display_name');
  return new Map(rows.map((r: any) => [Number(r.id), String(r.display_name)]));
}

/** The entity's owning-lab field (`"x-owner-lab": true`), if it declares one. */
export const ownerLabField = (e: EntityDef): FieldDef | undefined => e.columns.find((f) => f.schema['x-owner-lab'] === true);

/**
 * The owner of a new record of an entity with an owning-lab field: the lab the caller chose, one of the caller's own
 * labs (a centre's sales clerk books an order for one of the centre's labs), or the caller's lab by default; a
 * plugin's explicit owner wins. The field holds the lab's org id and is written with the record.
 */
export async function ownerLab(
  db: Knex | Knex.Transaction, ctx: CallContext, e: EntityDef, record: Record<string, any>, owner: { labId: number | null; orgId?: number | null } | undefined,
): Promise<{ labId: number | null; orgId?: number | null } | undefined> {
  const f = ownerLabField(e);
  if (!f) return owner;
  if (owner) {
    record[f.name] = owner.labId ?? undefined;
    return owner;
  }
  const a = ctx.actor;
  const mine = ((a.labIds as number[] | undefined) ?? []).map(Number);
  let lab = record[f.name] == null ? undefined : Number(record[f.name]);
  if (lab === undefined) lab = a.labId ?? (mine.length === 1 ? mine[0] : undefined);
  const problem = (key: string) => new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: `/${f.name}`, messageKey: key }]);
  if (lab === undefined) {
    // An administrator without a lab keeps a record of no lab, as for every other entity.
    if (unrestricted(a)) return undefined;
    throw problem('error.ownerLabRequired');
  }
  if (!unrestricted(a) && !mine.includes(lab)) throw problem('error.ownerLabNotYours');
  if (unrestricted(a) && (await orgTree(db as Knex)).byId.get(lab)?.kind !== 'lab') throw problem('error.ownerLabNotYours');
  record[f.name] = lab;
  return { labId: lab, orgId: lab };
}
