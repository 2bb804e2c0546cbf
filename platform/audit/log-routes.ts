import fs from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Knex } from 'knex';
import ExcelJS from 'exceljs';
import { forbidden, notFound } from '../errors';
import type { Services } from '../services';
import { t, type Lang } from '../i18n';
import { callContext } from '../http/routes/auth';
import { headerText } from '../http/input';
import { neutralise } from '../records/io';
import type { RoleAuthorizer } from '../auth/access';
import { writeAudit } from './audit';
import { verifyAuditChain } from './trail';
import { auditOptions, auditRows, exportFormat, loginRows, parseAuditQuery, parseLoginQuery, presentAudit, presentLogins, sizeText } from './oplog';
import { backupPath, listBackups, takeBackup, verifyBackup } from './backups';

const EXPORT_PAGE = 1000;
const EXPORT_MAX = 200_000;

const csvCell = (v: unknown) => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Streams a sheet (XLSX or CSV with BOM) from pages of rows; every text cell neutralised against formula injection. */
function sendSheet(ctx: Koa.Context, name: string, sheet: string, headers: string[], pages: AsyncGenerator<unknown[][]>, format: 'xlsx' | 'csv') {
  const stamp = new Date().toISOString().slice(0, 10);
  ctx.set('Content-Disposition', `attachment; filename="${name}-${stamp}.${format}"`);
  if (format === 'csv') {
    ctx.type = 'text/csv; charset=utf-8';
    ctx.body = Readable.from(
      (async function* () {
        yield '\uFEFF' + headers.map((h) => csvCell(neutralise(h))).join(',') + '\r\n';
        for await (const rows of pages) yield rows.map((r) => r.map((v) => csvCell(neutralise(v))).join(',') + '\r\n').join('');
      })(),
    );
    return;
  }
  ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  const out = new PassThrough();
  ctx.body = out;
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const ws = wb.addWorksheet(sheet.slice(0, 31));
  ws.columns = headers.map((h) => ({ header: String(neutralise(h)), width: 20 }));
  (async () => {
    for await (const rows of pages) for (const r of rows) ws.addRow(r.map((v) => neutralise(v))).commit();
    ws.commit();
    await wb.commit();
  })().catch((err) => out.destroy(err));
}

/** Pages of a newest-first log by id, up to EXPORT_MAX rows. */
async function* byIdPages<R>(first: Knex.QueryBuilder, next: (before: number) => Knex.QueryBuilder, present: (rows: any[]) => Promise<R[]> | R[], row: (r: R) => unknown[]) {
  let rows: any[] = await first;
  let total = 0;
  while (rows.length) {
    yield (await present(rows)).map(row);
    total += rows.length;
    if (rows.length < EXPORT_PAGE || total >= EXPORT_MAX) return;
    rows = await next(Number(rows[rows.length - 1].id));
  }
}

const local = (iso: string) => {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

/** Operation log, login log and backups of the system-management screens. */
export function logRoutes(api: Router, s: Services, authz: RoleAuthorizer): void {
  const need = (ctx: Koa.Context, perm: string) => {
    if (!authz.hasSystem(ctx.state.actor, perm)) throw forbidden();
  };
  const lang = (ctx: Koa.Context): Lang => ctx.state.lang;
  const audit = (trx: Knex.Transaction, ctx: Koa.Context, action: string, changes: Record<string, unknown>) =>
    writeAudit(trx, {
      actorId: ctx.state.actor.id, actorName: ctx.state.actor.displayName, entity: 'ct_backup', recordId: null, action, changes,
      reason: headerText(ctx, 'X-Change-Reason') ?? null, ip: ctx.ip, requestId: ctx.state.requestId,
    });

  // ---- operation log
  api.get('/admin/audit', async (ctx) => {
    need(ctx, 'audit:read');
    const q = parseAuditQuery(ctx.query);
    ctx.body = { data: await presentAudit(s, callContext(ctx), await auditRows(s.knex, q)) };
  });
  api.get('/admin/audit/options', async (ctx) => {
    need(ctx, 'audit:read');
    const users = await s.knex('ct_user').orderBy('username').limit(5000).select('id', 'username', 'display_name');
    ctx.body = {
      data: {
        ...auditOptions(s, lang(ctx)),
        users: users.map((u: any) => ({ value: Number(u.id), username: u.username, label: u.display_name ? `${u.display_name} (${u.username})` : u.username })),
      },
    };
  });
  api.get('/admin/audit/export', async (ctx) => {
    need(ctx, 'audit:read');
    const format = exportFormat(ctx.query);
    const q = { ...parseAuditQuery({ ...ctx.query, limit: undefined }), limit: EXPORT_PAGE };
    const L = lang(ctx);
    const cctx = callContext(ctx);
    const first = auditRows(s.knex, q);
    const pages = byIdPages(first, (before) => auditRows(s.knex, { ...q, before }), (rows) => presentAudit(s, cctx, rows), (a) => [
      local(a.at), a.byName, a.entityLabel, a.recordTitle, a.actionLabel, a.summary, a.reason, a.ip,
    ]);
    const headers = ['at', 'by', 'entity', 'record', 'action', 'changes', 'reason', 'ip'].map((h) => t(L, `oplog.col.${h}`));
    sendSheet(ctx, 'operation-log', t(L, 'oplog.sheet.audit'), headers, pages, format);
  });
  api.get('/admin/audit/verify', async (ctx) => {
    need(ctx, 'audit:read');
    ctx.body = { data: await verifyAuditChain(s.knex) };
  });

  // ---- login log
  api.get('/admin/login-log', async (ctx) => {
    need(ctx, 'loginlog:read');
    const q = parseLoginQuery(ctx.query);
    ctx.body = { data: presentLogins(await loginRows(s.knex, q), lang(ctx)) };
  });
  api.get('/admin/login-log/export', async (ctx) => {
    need(ctx, 'loginlog:read');
    const format = exportFormat(ctx.query);
    const q = { ...parseLoginQuery({ ...ctx.query, limit: undefined }), limit: EXPORT_PAGE };
    const L = lang(ctx);
    const pages = byIdPages(loginRows(s.knex, q), (before) => loginRows(s.knex, { ...q, before }), (rows) => presentLogins(rows, L), (l) => [
      local(l.at), l.username, l.displayName, t(L, l.success ? 'loginlog.success' : 'loginlog.failure'), l.reasonLabel, l.ip, l.userAgent,
    ]);
    const headers = ['at', 'username', 'displayName', 'result', 'reason', 'ip', 'userAgent'].map((h) => t(L, `loginlog.col.${h}`));
    sendSheet(ctx, 'login-log', t(L, 'oplog.sheet.login'), headers, pages, format);
  });

  // ---- backups
  const dir = () => s.config.backupDir;
  const keep = () => Number(process.env.BACKUP_KEEP ?? 14);
  let running: Promise<unknown> = Promise.resolve();
  const fileOf = (name: string) => {
    const file = backupPath(dir(), name);
    if (!file) throw notFound('backup', name);
    return file;
  };
  api.get('/admin/backups', (ctx) => {
    need(ctx, 'backup');
    ctx.body = { data: listBackups(dir()) };
  });
  api.post('/admin/backups', async (ctx) => {
    need(ctx, 'backup');
    // One at a time per process: two in the same second would share a file name.
    const job = running.then(() => takeBackup({ knex: s.knex, databaseUrl: s.config.databaseUrl, dir: dir(), keep: keep() }));
    running = job.catch(() => {});
    const b = await job;
    await s.knex.transaction((trx) => audit(trx, ctx, 'backup.run', { name: b.name, size: b.size }));
    ctx.status = 201;
    ctx.body = { data: b };
  });
  api.get('/admin/backups/:name', async (ctx) => {
    need(ctx, 'backup');
    const file = fileOf(ctx.params.name);
    // Taking the whole database away is worth a line in the audit trail.
    await s.knex.transaction((trx) => audit(trx, ctx, 'backup.download', { name: ctx.params.name, size: fs.statSync(file).size }));
    ctx.set('Content-Disposition', `attachment; filename="${ctx.params.name}"`);
    ctx.type = 'application/octet-stream';
    ctx.body = fs.createReadStream(file);
  });
  api.post('/admin/backups/:name/verify', async (ctx) => {
    need(ctx, 'backup');
    const file = fileOf(ctx.params.name);
    const r = await verifyBackup(file);
    const L = lang(ctx);
    const message = r.ok
      ? t(L, r.rows !== undefined ? 'backup.verifiedOk' : 'backup.verifiedOkArchive', { tables: r.tables, rows: r.rows, size: sizeText(fs.statSync(file).size) })
      : t(L, `backup.problem.${r.problem}`, r.params ?? {});
    await s.knex.transaction((trx) => audit(trx, ctx, 'backup.verify', { name: ctx.params.name, ok: r.ok }));
    ctx.body = { data: { ...r, name: ctx.params.name, message } };
  });
}
