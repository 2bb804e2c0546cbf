import { arr, bool, data, int, obj, str, type ParamDoc, type RouteDoc } from '../http/route-docs';

const nullableStr = { type: ['string', 'null'] };
const nullableInt = { type: ['integer', 'null'] };
const time = (name: string): ParamDoc => ({ name, schema: { type: 'string', examples: ['2026-03-01'] }, description: 'a date (2026-03-01) or an ISO date-time; a bare date as `to` means through that day' });
const auditQuery: ParamDoc[] = [
  { name: 'actorId', schema: { type: 'integer', minimum: 1, 'x-ref': 'user' }, description: 'who acted' },
  { name: 'entity', schema: str, description: 'an entity name or a platform object (ct_user, ct_org, ct_token, ct_state, ct_backup, auth, meta:<kind>)' },
  { name: 'recordId', schema: { type: 'integer', minimum: 1 } },
  { name: 'action', schema: str, description: 'an action (create, update, user.disable…) or a family with a trailing * (flow:*, user.*)' },
  time('from'),
  time('to'),
];
const loginQuery: ParamDoc[] = [{ name: 'username', schema: str }, { name: 'success', schema: { enum: ['true', 'false'] } }, time('from'), time('to')];
const paging: ParamDoc[] = [{ name: 'before', schema: { type: 'integer', minimum: 1 }, description: 'entries older than this entry id (next page)' }, { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 1000 } }];
const format: ParamDoc = { name: 'format', schema: { enum: ['xlsx', 'csv'] } };
const change = obj({ label: str, from: nullableStr, to: nullableStr }, ['label']);
const entry = obj(
  {
    id: int, at: str, by: nullableInt, byName: nullableStr, entity: str, entityLabel: str, recordId: nullableInt, recordTitle: nullableStr, openable: bool,
    action: str, actionLabel: str, changes: arr(change), summary: str, reason: nullableStr, ip: nullableStr,
  },
  ['id', 'at', 'entity', 'entityLabel', 'action', 'actionLabel', 'changes'],
);
const login = obj({ id: int, at: str, username: str, userId: nullableInt, displayName: nullableStr, success: bool, reason: nullableStr, reasonLabel: nullableStr, ip: nullableStr, userAgent: nullableStr });
const option = obj({ value: {}, label: str }, ['value', 'label']);
const backup = obj({ name: str, at: str, size: int, format: { enum: ['pgDump', 'logical'] } }, ['name', 'at', 'size', 'format']);
const backupName = { name: { type: 'string', pattern: '^celltrace-\\d{8}T\\d{6}Z\\.(dump|jsonl\\.gz)$', examples: ['celltrace-20260301T020000Z.dump'] } };
const sheet = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** platform/audit/log-routes.ts */
const docs: RouteDoc[] = [
  {
    method: 'get', path: '/api/v1/admin/audit', id: 'auditLog', tag: 'admin', summary: 'The operation log, newest first, with names (entity label, record title, action label, readable changes)',
    scope: 'admin', permission: 'audit:read', query: [...auditQuery, ...paging], response: data(arr(entry)),
  },
  {
    method: 'get', path: '/api/v1/admin/audit/options', id: 'auditLogOptions', tag: 'admin', summary: 'Choices of the operation-log filters: entities and action families by label, users by name',
    scope: 'admin', permission: 'audit:read', response: data(obj({ entities: arr(option), actions: arr(option), users: arr(obj({ value: int, username: str, label: str })) })),
  },
  {
    method: 'get', path: '/api/v1/admin/audit/export', id: 'exportAuditLog', tag: 'admin', summary: 'The filtered operation log as XLSX or CSV (names, not ids)', scope: 'admin', permission: 'audit:read',
    query: [...auditQuery, format], responseType: sheet,
  },
  { method: 'get', path: '/api/v1/admin/audit/verify', id: 'verifyAudit', tag: 'admin', summary: 'Verify the audit hash chain', scope: 'admin', permission: 'audit:read', response: data(obj({ ok: bool })) },
  {
    method: 'get', path: '/api/v1/admin/login-log', id: 'loginLog', tag: 'admin', summary: 'Login attempts, newest first', scope: 'admin', permission: 'loginlog:read',
    query: [...loginQuery, ...paging], response: data(arr(login)),
  },
  {
    method: 'get', path: '/api/v1/admin/login-log/export', id: 'exportLoginLog', tag: 'admin', summary: 'The filtered login log as XLSX or CSV', scope: 'admin', permission: 'loginlog:read',
    query: [...loginQuery, format], responseType: sheet,
  },
  { method: 'get', path: '/api/v1/admin/backups', id: 'listBackups', tag: 'admin', summary: 'Backups in BACKUP_DIR, newest first', scope: 'admin', permission: 'backup', response: data(arr(backup)) },
  {
    method: 'post', path: '/api/v1/admin/backups', id: 'runBackup', tag: 'admin', summary: 'Take a backup now (pg_dump in server mode, a logical dump in embedded mode); audited', scope: 'admin', permission: 'backup',
    status: 201, body: obj({ reason: str }), response: data(backup),
  },
  {
    method: 'get', path: '/api/v1/admin/backups/:name', id: 'downloadBackup', tag: 'admin', summary: 'Download one backup file; audited', scope: 'admin', permission: 'backup',
    params: backupName, responseType: 'application/octet-stream',
  },
  {
    method: 'post', path: '/api/v1/admin/backups/:name/verify', id: 'verifyBackup', tag: 'admin', summary: 'Check a backup without restoring it (row counts and checksums, or the archive listing)', scope: 'admin',
    permission: 'backup', params: backupName, body: obj({ reason: str }),
    response: data(obj({ ok: bool, name: str, format: str, tables: int, rows: int, problem: str, message: str }, ['ok', 'name', 'message'])),
  },
];
export default docs;
