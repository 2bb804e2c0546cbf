import type { Services } from '../services';
import { registerMetaKind, metaKinds, type MetaSet } from '../metadata/registry';
import { registerMessages } from '../i18n';
import { installAuditTrail, sealAudit, startSealer } from '../audit/trail';
import { setSystemPermissions } from '../http/routes/auth';
import { RoleAuthorizer, rolesOf } from './access';
import { roleMetaSchema, roleIssues, type RoleDef } from './roles';
import { setAdminRoles } from './users';
import { setSignatureKnex } from './signature';
import { adminRoutes } from './admin-routes';
import { logRoutes } from '../audit/log-routes';
import logMessages from '../audit/messages';
import { installGuards } from './guards';
import authMessages from './messages';
import { encryptedFields, keyring, loadKeyring, reencryptAll, setKeyring } from './crypto';

export { requireSignature, signaturesOf, signedContentHash, type Signature, type SignatureInput } from './signature';
export { usersWithRole, type UserRef } from './directory';
export { actorHasRole, RoleAuthorizer } from './access';
export { verifyAuditChain } from '../audit/trail';

/** The 'role' metadata kind (metadata/<module>/roles/*.json + admin overlays) and the module's messages. */
export function registerSecurityKinds(): void {
  registerMessages(authMessages);
  registerMessages(logMessages);
  if (!metaKinds().some((k) => k.kind === 'role'))
    registerMetaKind({ kind: 'role', folder: 'roles', schema: roleMetaSchema, check: (def: RoleDef, all: MetaSet) => roleIssues(def, all) });
}

/**
 * Wires identity, access control and the audit trail into a running composition: the hash-chained audit writer,
 * the role-based Authorizer, system permissions on the actor, and the admin API.
 */
export function installSecurity(s: Services): RoleAuthorizer {
  // The data key first: without it (server mode) the server must not start.
  setKeyring(loadKeyring({ dataKey: s.config.dataKey, previousDataKeys: s.config.previousDataKeys, dataDir: s.config.dataDir, serverMode: !!s.config.databaseUrl }));
  let pending = encryptPending(s);
  s.meta.onChange(() => {
    pending = pending.then(() => encryptPending(s));
  });
  s.onStop.push(() => pending);
  installAuditTrail();
  // Committed audit rows are sealed into the hash chain about half a second after a write, and every minute.
  const sealer = startSealer(s.knex, s.log);
  s.events.on('record', () => sealer.poke());
  s.onStop.push(() => sealer.stop());
  if (s.jobs) {
    s.jobs.register('audit.seal', async () => {
      await sealAudit(s.knex);
    });
    if (s.config.runJobs) s.jobs.schedule('audit.seal', '* * * * *').catch((err: Error) => s.log.error({ err: err.message }, 'audit seal schedule failed'));
  }
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
  s.routeExtensions.push((api) => logRoutes(api, s, authz));
  scheduleBackups(s);
  return authz;
}

/** Values of encrypted fields still in clear (a field that just became x-encrypted) are encrypted in the background. */
function encryptPending(s: Services): Promise<void> {
  const model = s.meta.model;
  if (![...model.entities.values()].some((e) => encryptedFields(e).length)) return Promise.resolve();
  return reencryptAll(s.knex, model, { ring: keyring(), pendingOnly: true, log: (m) => s.log.info(m) }).then(
    () => {},
    (err: Error) => s.log.warn({ err: err.message }, 'encrypting pending values failed'),
  );
}

/**
 * Scheduled backups (R-3.7.7): BACKUP_CRON (default 02:00 daily), keeping BACKUP_KEEP files. Server mode: pg_dump;
 * embedded mode: a logical dump through the connection (PGlite runs one transaction at a time, so writes wait
 * for the dump's snapshot transaction: seconds for a lab-sized database).
 */
function scheduleBackups(s: Services): void {
  const url = s.config.databaseUrl;
  if (!s.jobs || process.env.BACKUP_CRON === 'off') return;
  const keep = Number(process.env.BACKUP_KEEP ?? 14);
  s.jobs.register('backup', async () => {
    const { takeBackup } = await import('../audit/backups');
    const b = await takeBackup({ knex: s.knex, databaseUrl: url, dir: s.config.backupDir, keep });
    s.log.info({ file: b.name, size: b.size }, 'backup written');
  });
  if (s.config.runJobs) s.jobs.schedule('backup', process.env.BACKUP_CRON ?? '0 2 * * *').catch((err: Error) => s.log.error({ err: err.message }, 'backup schedule failed'));
}
