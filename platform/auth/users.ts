import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../context';
import { hashPassword } from './passwords';
import { orgTree } from './org';

export function actorFromUser(u: any): Actor {
  return {
    id: Number(u.id), username: u.username, displayName: u.display_name, isAdmin: !!u.is_admin,
    orgId: u.org_id == null ? null : Number(u.org_id), labId: u.lab_id == null ? null : Number(u.lab_id),
    mustChangePassword: !!u.must_change_password, locale: u.locale,
  };
}

/** Roles whose definition says `admin: true` make the actor an administrator (set by the access module). */
let adminRoles: () => Set<string> = () => new Set(['systemAdmin']);
export function setAdminRoles(fn: () => Set<string>): void {
  adminRoles = fn;
}

/**
 * The actor behind a session or API token, with the facts row scopes need: roles, member labs (`labIds`), the org
 * units at or below the memberships (`orgSubtree`), and the org/lab codes numbering rules use. An API token acts
 * with its one role only (never the user's admin flag).
 */
export async function loadActor(knex: Knex, userId: number, session?: { kind?: string; role?: string | null }): Promise<Actor | null> {
  const u = await knex('ct_user').where({ id: userId, disabled: false }).first();
  if (!u) return null;
  const a = actorFromUser(u);
  const [roleRows, orgRows, tree] = await Promise.all([
    knex('ct_user_role').where({ user_id: userId }).select('role'),
    knex('ct_user_org').where({ user_id: userId }).select('org_id'),
    orgTree(knex),
  ]);
  let roles = roleRows.map((r: any) => String(r.role)).sort();
  if (session?.kind === 'api') {
    roles = session.role && (roles.includes(session.role) || a.isAdmin) ? [session.role] : [];
    a.isAdmin = false;
  }
  a.roles = roles;
  if (roles.some((r) => adminRoles().has(r))) a.isAdmin = true;
  const units = new Set<number>(orgRows.map((r: any) => Number(r.org_id)));
  if (a.orgId) units.add(a.orgId);
  const labIds = new Set<number>();
  const subtree = new Set<number>();
  for (const id of units) {
    const lab = tree.labOf(id);
    if (lab) labIds.add(lab.id);
    else for (const s of tree.subtree(id)) if (tree.byId.get(s)?.kind === 'lab') labIds.add(s);
    for (const s of tree.subtree(id)) subtree.add(s);
  }
  a.labIds = [...labIds];
  a.orgSubtree = [...subtree];
  a.orgIds = [...units];
  if (a.orgId) {
    a.orgCode = (tree.ofKind(a.orgId, 'centre') ?? tree.ofKind(a.orgId, 'company'))?.code;
    a.labCode = tree.labOf(a.orgId)?.code;
    if (a.labId == null) a.labId = tree.labOf(a.orgId)?.id ?? null;
  }
  return a;
}

/**
 * The first administrator. Its password comes from ADMIN_PASSWORD or is generated and printed once; there is no
 * default password, and a generated one must be changed at first login.
 */
export async function bootstrapAdmin(knex: Knex, adminPassword: string | undefined, print: (msg: string) => void): Promise<void> {
  const any = await knex('ct_user').first('id');
  if (any) return;
  const generated = !adminPassword;
  const password = adminPassword ?? crypto.randomBytes(12).toString('base64url');
  await knex('ct_user').insert({
    username: 'admin', display_name: '系统管理员', password_hash: await hashPassword(password), is_admin: true,
    must_change_password: generated,
  });
  if (generated) {
    print(
      [
        '',
        '================================================================',
        ' CellTrace: first administrator created',
        `   username: admin`,
        `   password: ${password}`,
        ' This password is shown only once; you must change it at first login.',
        '================================================================',
        '',
      ].join('\n'),
    );
  }
}
