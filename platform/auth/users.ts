import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../context';
import { hashPassword } from './passwords';

export function actorFromUser(u: any): Actor {
  return {
    id: Number(u.id), username: u.username, displayName: u.display_name, isAdmin: !!u.is_admin,
    orgId: u.org_id == null ? null : Number(u.org_id), labId: u.lab_id == null ? null : Number(u.lab_id),
    mustChangePassword: !!u.must_change_password, locale: u.locale,
  };
}

export async function loadActor(knex: Knex, userId: number): Promise<Actor | null> {
  const u = await knex('ct_user').where({ id: userId, disabled: false }).first();
  return u ? actorFromUser(u) : null;
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
