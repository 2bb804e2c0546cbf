import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { writeAudit } from '../audit/audit';
import { hashPassword } from './passwords';
import { invalidateOrgTree, orgTree, ORG_LEVEL, type OrgKind, type OrgTree } from './org';

/** The demo org tree and demo users (a demo file `{ "orgUnits": [...], "users": [...] }`, e.g. metadata/system/demo/00-org.json). */
export interface DemoDirectory {
  /** Parents before children; `parent` is the code of a unit above. */
  orgUnits?: { code: string; kind: OrgKind; name: string; nameEn?: string; parent?: string; sort?: number }[];
  /** `org`: code of the unit the user belongs to (a lab, a department, a centre…). */
  users?: { username: string; displayName: string; org: string; roles: string[] }[];
}

const AUDIT = { actorId: null, actorName: 'System', reason: 'demo data' };

/**
 * Creates the demo org units and users, audited like the admin API does. Demo users exist only because demo data is
 * loaded (DEMO_DATA on, empty database); they share one password, DEMO_PASSWORD or generated and printed once, and
 * must change it at first login like a generated admin password.
 */
export async function seedDemoDirectory(
  knex: Knex, doc: DemoDirectory, opts: { password?: string; roles: Set<string>; print: (msg: string) => void },
): Promise<OrgTree> {
  const users = doc.users ?? [];
  const password = opts.password ?? `${crypto.randomBytes(9).toString('base64url')}#7a`;
  opts.password = password; // demo actions sign with it (platform/metadata/demo.ts)
  const hash = users.length ? await hashPassword(password) : '';
  await knex.transaction(async (trx) => {
    const ids = new Map<string, { id: number; kind: OrgKind }>();
    const up = new Map<number, { kind: OrgKind; parentId: number | null }>();
    for (const r of await trx('ct_org').select('id', 'code', 'kind', 'parent_id')) {
      ids.set(r.code, { id: Number(r.id), kind: r.kind });
      up.set(Number(r.id), { kind: r.kind, parentId: r.parent_id == null ? null : Number(r.parent_id) });
    }
    /** The lab a unit belongs to (itself or the nearest lab above it), as OrgTree.labOf. */
    const labOf = (id: number | null): number | null => (id == null ? null : up.get(id)?.kind === 'lab' ? id : labOf(up.get(id)?.parentId ?? null));
    for (const u of doc.orgUnits ?? []) {
      if (ids.has(u.code)) continue;
      const parent = u.parent ? ids.get(u.parent) : undefined;
      if (u.parent && !parent) throw new Error(`demo data: org unit ${u.code} names unknown parent ${u.parent}`);
      if ((u.kind === 'company') !== !parent || (parent && ORG_LEVEL[u.kind] <= ORG_LEVEL[parent.kind])) throw new Error(`demo data: org unit ${u.code} (${u.kind}) at the wrong level`);
      const [row] = await trx('ct_org')
        .insert({ parent_id: parent?.id ?? null, kind: u.kind, code: u.code, name: u.name, name_en: u.nameEn ?? null, sort: u.sort ?? 0 })
        .returning('id');
      ids.set(u.code, { id: Number(row.id), kind: u.kind });
      up.set(Number(row.id), { kind: u.kind, parentId: parent?.id ?? null });
      await writeAudit(trx, { ...AUDIT, entity: 'ct_org', recordId: Number(row.id), action: 'org.create', changes: { parentId: parent?.id ?? null, kind: u.kind, code: u.code, name: u.name, nameEn: u.nameEn ?? null } });
    }
    for (const u of users) {
      const org = ids.get(u.org);
      if (!org) throw new Error(`demo data: user ${u.username} names unknown org unit ${u.org}`);
      for (const r of u.roles) if (!opts.roles.has(r)) throw new Error(`demo data: user ${u.username} names unknown role ${r}`);
      if (await trx('ct_user').where({ username: u.username }).first('id')) continue;
      const [row] = await trx('ct_user')
        .insert({
          username: u.username, display_name: u.displayName, password_hash: hash, is_admin: false, must_change_password: true,
          org_id: org.id, lab_id: labOf(org.id), locale: 'zh-CN',
        })
        .returning('id');
      const id = Number(row.id);
      if (u.roles.length) await trx('ct_user_role').insert(u.roles.map((role) => ({ user_id: id, role })));
      await trx('ct_user_org').insert({ user_id: id, org_id: org.id });
      await writeAudit(trx, {
        ...AUDIT, entity: 'ct_user', recordId: id, action: 'user.create',
        changes: [{ field: 'username', from: null, to: u.username }, { field: 'displayName', from: null, to: u.displayName }, { field: 'orgId', from: null, to: org.id }, { field: 'roles', from: null, to: u.roles }],
      });
    }
  });
  invalidateOrgTree();
  const tree = await orgTree(knex, true);
  if (users.length) {
    const unit = (code: string) => [...tree.byId.values()].find((o) => o.code === code);
    const width = Math.max(...users.map((u) => u.username.length));
    opts.print(
      [
        '',
        '================================================================',
        ' CellTrace: demo users created (DEMO_DATA is on)',
        `   password of every demo user: ${password}`,
        ...users.map((u) => `   ${u.username.padEnd(width)}  ${u.roles.join(', ')} · ${unit(u.org)?.nameEn ?? unit(u.org)?.name ?? u.org}`),
        ' Each demo user must change this password at first login.',
        ' Demo users exist only in a database started with DEMO_DATA=true; never use one in production.',
        '================================================================',
        '',
      ].join('\n'),
    );
  }
  return tree;
}
