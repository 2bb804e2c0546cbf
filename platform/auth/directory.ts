import type { Knex } from 'knex';
import type { Actor } from '../context';
import { orgTree } from './org';

export { actorHasRole } from './access';

export interface UserRef {
  id: number;
  username: string;
  displayName: string;
  orgId: number | null;
  labId: number | null;
}

/**
 * Enabled users holding `role`, optionally only those belonging to an org unit's subtree (`orgId`) or to a lab
 * (`labId`: members of the lab or of a department under it). For flow assignment and notifications.
 */
/**
 * Enabled users holding `role`; `orgId`: whose home unit or a membership lies in that subtree; `labId`: whose unit
 * belongs to that lab; with `covering`, also those whose unit is an ancestor of the lab (a centre's equipment manager
 * looks after the centre's labs).
 */
export async function usersWithRole(knex: Knex | Knex.Transaction, role: string, opts: { orgId?: number | null; labId?: number | null; covering?: boolean } = {}): Promise<UserRef[]> {
  const rows = await knex('ct_user as u')
    .join('ct_user_role as r', 'r.user_id', 'u.id')
    .where({ 'r.role': role, 'u.disabled': false })
    .select('u.id', 'u.username', 'u.display_name', 'u.org_id', 'u.lab_id')
    .orderBy('u.id');
  let users: UserRef[] = rows.map((u: any) => ({
    id: Number(u.id), username: u.username, displayName: u.display_name, orgId: u.org_id == null ? null : Number(u.org_id), labId: u.lab_id == null ? null : Number(u.lab_id),
  }));
  if (opts.orgId == null && opts.labId == null && opts.covering == null) return users;
  const tree = await orgTree(knex as Knex);
  const memberships = await knex('ct_user_org').whereIn('user_id', users.map((u) => u.id)).select('user_id', 'org_id');
  const unitsOf = new Map<number, number[]>();
  for (const u of users) unitsOf.set(u.id, u.orgId ? [u.orgId] : []);
  for (const m of memberships) unitsOf.get(Number(m.user_id))?.push(Number(m.org_id));
  if (opts.orgId != null) {
    const sub = new Set(tree.subtree(Number(opts.orgId)));
    users = users.filter((u) => unitsOf.get(u.id)!.some((o) => sub.has(o)));
  }
  if (opts.labId != null) {
    const above = new Set(opts.covering ? tree.ancestorsOrSelf(Number(opts.labId)).map((u) => u.id) : []);
    users = users.filter((u) => unitsOf.get(u.id)!.some((o) => tree.labOf(o)?.id === Number(opts.labId) || above.has(o)));
  }
  return users;
}

export type { Actor };
