import type { Services } from '../services';
import { registerMetaKind, metaKinds, type MetaSet } from '../metadata/registry';
import { registerMessages } from '../i18n';
import { installAuditTrail } from '../audit/trail';
import { setSystemPermissions } from '../http/routes/auth';
import { RoleAuthorizer, rolesOf } from './access';
import { roleMetaSchema, roleIssues, type RoleDef } from './roles';
import { setAdminRoles } from './users';
import { setSignatureKnex } from './signature';
import { adminRoutes } from './admin-routes';
import { installGuards } from './guards';
import authMessages from './messages';

export { requireSignature, signaturesOf, signedContentHash, type Signature, type SignatureInput } from './signature';
export { usersWithRole, type UserRef } from './directory';
export { actorHasRole, RoleAuthorizer } from './access';
export { verifyAuditChain } from '../audit/trail';

/** The 'role' metadata kind (metadata/<module>/roles/*.json + admin overlays) and the module's messages. */
export function registerSecurityKinds(): void {
  registerMessages(authMessages);
  if (!metaKinds().some((k) => k.kind === 'role'))
    registerMetaKind({ kind: 'role', folder: 'roles', schema: roleMetaSchema, check: (def: RoleDef, all: MetaSet) => roleIssues(def, all) });
}

/**
 * Wires identity, access control and the audit trail into a running composition: the hash-chained audit writer,
 * the role-based Authorizer, system permissions on the actor, and the admin API.
 */
export function installSecurity(s: Services): RoleAuthorizer {
  installAuditTrail();
  const authz = new RoleAuthorizer(s.meta);
  s.setAuthorizer(authz);
  installGuards(s.hooks, authz);
  setSignatureKnex(s.knex);
  const adminRoleSet = () => new Set(Object.values(rolesOf(s.meta.model)).filter((r) => r.admin).map((r) => r.$id));
  setAdminRoles(adminRoleSet);
  setSystemPermissions((roles) => {
    const defs = rolesOf(s.meta.model);
    return new Set(roles.flatMap((r) => defs[r]?.system ?? []));
  });
  // Role overlays change who may do what: cached actors (sessions) are rebuilt; ACLs are memoised per Model.
  s.meta.onChange(() => s.sessions.clearCache());
  s.routeExtensions.push((api) => adminRoutes(api, s, authz));
  return authz;
}
