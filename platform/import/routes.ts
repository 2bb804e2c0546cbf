import crypto from 'node:crypto';
import { hostname } from 'node:os';
import type Router from '@koa/router';
import type Koa from 'koa';
import { AppError, badRequest } from '../errors';
import type { Services } from '../services';
import type { CallContext } from '../context';
import { callContext } from '../http/routes/auth';
import { label, type Lang } from '../i18n';
import { loadActor } from '../auth/users';
import { IMPORTERS, buildTemplate, checkRows, importableFields, parseWorkbook, writeRows, type Importer, type RowError } from '.';
import { registryOf } from '../plugins/host';
import { STAFF, mayImportStaff, parseStaff, staffColumns, staffTemplate, writeStaff } from './staff';
import { registerMessages, t } from '../i18n';

registerMessages({
  'zh-CN': { 'import.interrupted': '导入被中断（服务器在处理时停止），没有写入任何数据；请重新检查', 'import.notRetryable': '只有失败且文件仍保留的导入可以重新检查' },
  en: { 'import.interrupted': 'The import was interrupted (the server stopped while working on it); nothing was written. Check it again', 'import.notRetryable': 'Only a failed import whose file is kept can be checked again' },
});

const MAX_BYTES = 60 * 1024 * 1024;
const PREVIEW_ROWS = 300;
const KEEP_ERRORS = 2000;

async function readBody(req: Koa.Context['req'], maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > maxBytes) throw new AppError(413, 'PAYLOAD_TOO_LARGE', 'error.bodyTooLarge');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

const present = (r: any) => ({
  id: Number(r.id), entity: r.entity, fileName: r.file_name, status: r.status, phase: r.phase, total: r.total, done: r.done, errorCount: r.error_count,
  errors: r.errors, preview: r.preview, imported: r.imported, failure: r.failure, createdAt: r.created_at, updatedAt: r.updated_at,
  // A failed import whose file is kept (nothing was written: a commit is one transaction) can be checked again.
  retryable: r.status === 'failed' && r.file_kept === true,
});
/** The columns `present` needs, without the uploaded file itself. */
const COLUMNS = ['id', 'entity', 'file_name', 'status', 'phase', 'total', 'done', 'error_count', 'errors', 'preview', 'imported', 'failure', 'created_at', 'updated_at', 'created_by', 'job_id'];
const selectImport = (q: any) => q.select(...COLUMNS, q.client.raw('file is not null as file_kept'));

/**
 * Imports left "checking"/"committing" by a process that stopped (crash, kill, power loss) while their job ran: the job
 * ended without the import recording an outcome, its lease expired, or its worker was a process of this host that no
 * longer exists. They are marked failed with the reason "interrupted" (a commit is one transaction, so nothing of it
 * was written) and keep their file, so the wizard offers to check them again. A job still queued, or running on a
 * live worker (another process), is left alone.
 */
export async function recoverInterruptedImports(s: Services, leaseMs = 5 * 60_000): Promise<number[]> {
  const open = await s.knex('ct_import as i')
    .leftJoin('ct_job as j', 'j.id', 'i.job_id')
    .whereIn('i.status', ['checking', 'committing'])
    .select('i.id', 'i.lang', 'i.job_id', 'j.state as job_state', 'j.locked_by', s.knex.raw('j.locked_at < now() - (?::double precision * interval \'1 millisecond\') as lease_expired', [leaseMs]));
  const host = hostname();
  const dead = (worker: string | null) => {
    if (!worker) return true;
    const [h, pid, tag] = worker.split(':');
    if (h !== host || !/^\d+$/.test(pid ?? '')) return false;
    if (Number(pid) === process.pid) return !s.jobs || worker !== s.jobs.workerId || !tag;
    try {
      process.kill(Number(pid), 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  };
  const ids: number[] = [];
  for (const r of open) {
    const interrupted = r.job_id == null ? false
      : r.job_state == null || r.job_state === 'done' || r.job_state === 'failed' || (r.job_state === 'running' && (r.lease_expired || dead(r.locked_by)));
    if (!interrupted) continue;
    const n = await s.knex('ct_import').where({ id: r.id }).whereIn('status', ['checking', 'committing']).where('job_id', r.job_id)
      .update({ status: 'failed', phase: null, failure: t((r.lang as Lang) ?? 'zh-CN', 'import.interrupted'), updated_at: s.knex.fn.now() });
    if (!n) continue;
    // The orphaned job is failed too, so no runner picks it up again.
    await s.knex('ct_job').where({ id: r.job_id, state: 'running' }).update({ state: 'failed', finished_at: s.knex.fn.now(), last_error: 'import interrupted (worker gone)', locked_at: null });
    ids.push(Number(r.id));
  }
  if (ids.length) s.log.warn({ imports: ids }, 'interrupted imports marked failed');
  return ids;
}

/**
 * The import service: upload → check (a dry run through the pipeline, rolled back) → commit (all or nothing), each a
 * job on the queue so long imports show progress and survive a browser closing; also run in-process by the CLI.
 */
export function setupImport(s: Services): void {
  const update = (id: number, patch: Record<string, unknown>) => s.knex('ct_import').where({ id }).update({ ...patch, updated_at: s.knex.fn.now() });

  const contextOf = async (row: any): Promise<CallContext> => {
    const actor = await loadActor(s.knex, row.created_by);
    if (!actor) throw new Error(`import ${row.id}: user ${row.created_by} no longer exists`);
    return { actor, lang: row.lang as Lang, ip: null, requestId: `import-${row.id}` };
  };

  /** Check (and, with `commit`, write) one stored import; the row tells the wizard where it is. */
  const run = async (id: number, commit: boolean, jobId?: number) => {
    const row = await s.knex('ct_import').where({ id }).first();
    if (!row || !row.file) return;
    // A job superseded by a retry (or an import already marked interrupted) leaves the import alone.
    if (jobId !== undefined && row.job_id != null && Number(row.job_id) !== jobId) return;
    if (row.status !== (commit ? 'committing' : 'checking')) return;
    const ctx = await contextOf(row);
    const owner = row.lab_id || row.org_id ? { labId: row.lab_id ?? null, orgId: row.org_id ?? row.lab_id ?? null } : undefined;
    try {
      await update(id, { phase: 'reading' });
      const staff = row.entity === STAFF;
      const kind = registryOf<Importer>(s, IMPORTERS).get(row.entity);
      if (kind && !(await kind.allowed(ctx))) throw new AppError(403, 'FORBIDDEN', 'error.forbidden');
      const parsed = staff ? await parseStaff(s, ctx, row.file) : kind ? await kind.parse(ctx, row.file) : await parseWorkbook(s.records, ctx, row.entity, row.file);
      await update(id, { phase: 'checking', total: parsed.rows.length, done: 0 });
      let errors: RowError[] = staff || kind ? [] : await checkRows(s.records, ctx, parsed);
      let last = 0;
      const progress = async (done: number) => {
        if (done - last < 2000 && done !== parsed.rows.length) return;
        last = done;
        await update(id, { done });
      };
      let written = 0;
      if (staff) {
        await update(id, { phase: commit ? 'writing' : 'trial' });
        const r = await writeStaff(s, ctx, parsed, { dryRun: !commit, progress });
        errors = r.errors;
        written = r.written;
      } else if (kind) {
        // The importer checks what only a trial write knows (positions taken, references) also when parsing found
        // problems, so one check lists them all; it never writes while any row failed.
        await update(id, { phase: commit ? 'writing' : 'trial' });
        const r = await kind.write(ctx, parsed, { dryRun: !commit || parsed.errors.length > 0, owner, reason: `import ${row.file_name ?? ''}`.trim(), progress });
        errors = [...parsed.errors, ...r.errors].sort((a, b) => a.row - b.row || a.path.localeCompare(b.path));
        written = errors.length ? 0 : r.written;
      } else if (!errors.length) {
        await update(id, { phase: commit ? 'writing' : 'trial' });
        const r = await writeRows(s.records, ctx, parsed, { dryRun: !commit, owner, reason: `import ${row.file_name ?? ''}`.trim(), progress });
        errors = r.errors;
        written = r.written;
      }
      const failedRows = new Set(errors.map((e) => e.row));
      const preview = parsed.rows.filter((r, i) => i < PREVIEW_ROWS || failedRows.has(r.n)).slice(0, PREVIEW_ROWS + KEEP_ERRORS).map((r) => ({ row: r.n, cells: r.cells }));
      const columns = staff ? staffColumns(ctx.lang) : kind ? kind.columns(ctx.lang) : parsed.columns.map((f) => ({ field: f, label: label(s.records.entity(row.entity).fields.get(f)!.schema['x-label'], ctx.lang) || f }));
      const status = commit ? (errors.length ? 'checked' : 'committed') : 'checked';
      await update(id, {
        status, phase: null, done: commit && !errors.length ? written : parsed.rows.length, error_count: errors.length, errors: JSON.stringify(errors.slice(0, KEEP_ERRORS)),
        preview: JSON.stringify({ columns, rows: preview }), imported: commit && !errors.length ? written : null, ...(status === 'committed' ? { file: null } : {}),
      });
    } catch (x) {
      const msg = x instanceof AppError ? (await import('../http/errors')).describeError(x, ctx.lang).message : (x as Error).message;
      s.log.error({ err: (x as Error).message, importId: id }, 'import failed');
      await update(id, { status: 'failed', phase: null, failure: msg });
    }
  };

  s.jobs?.register('import.check', (p: { id: number }, job: { id: number }) => run(Number(p.id), false, job?.id), { maxAttempts: 1 });
  s.jobs?.register('import.commit', (p: { id: number }, job: { id: number }) => run(Number(p.id), true, job?.id), { maxAttempts: 1 });
  (s as any).importRun = run;
  (s as any).recoverImports = () => recoverInterruptedImports(s);
  // At start-up (server.ts) and every 5 minutes: a process that survives another's crash also recovers its imports.
  s.jobs?.register('import.recover', async () => void (await recoverInterruptedImports(s)), { maxAttempts: 1 });
  if (s.config.runJobs) s.jobs?.schedule('import.recover', '*/5 * * * *').catch((err: Error) => s.log.error({ err: err.message }, 'import recovery schedule failed'));

  s.routeExtensions.push((api) => importRoutes(api, s));
}

function importRoutes(api: Router, s: Services): void {
  const mine = async (ctx: Koa.Context) => {
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw badRequest('VALIDATION_FAILED', 'error.validation', {}, '/id');
    const row = await s.knex('ct_import').where({ id }).first();
    // Somebody else's import does not exist for the caller (administrators see all).
    if (!row || (row.created_by !== ctx.state.actor.id && !ctx.state.actor.isAdmin)) throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: 'import', id });
    return row;
  };

  api.get('/import/entities', async (ctx) => {
    const c = callContext(ctx);
    const out: { entity: string; label: string; fields: number }[] = [];
    for (const e of s.meta.model.entities.values()) {
      if (!importableFields(e).length) continue;
      try {
        await s.records.assertAllowed(c, e.name, 'import');
      } catch {
        continue;
      }
      out.push({ entity: e.name, label: label(e.schema['x-label'], c.lang) || e.name, fields: importableFields(e).length });
    }
    if (mayImportStaff(c)) out.push({ entity: STAFF, label: t(c.lang, 'import.staff'), fields: staffColumns(c.lang).length });
    for (const [key, kind] of registryOf<Importer>(s, IMPORTERS)) if (await kind.allowed(c)) out.push({ entity: key, label: label(kind.label, c.lang), fields: kind.columns(c.lang).length });
    ctx.body = { data: out.sort((a, b) => a.label.localeCompare(b.label, 'zh-CN')) };
  });
  api.get('/import/:entity/template', async (ctx) => {
    const c = callContext(ctx);
    const staff = ctx.params.entity === STAFF;
    const kind = registryOf<Importer>(s, IMPORTERS).get(ctx.params.entity);
    if (kind && !(await kind.allowed(c))) throw new AppError(403, 'FORBIDDEN', 'error.forbidden');
    const buf = staff ? await staffTemplate(s, c) : kind ? await kind.template(c) : await buildTemplate(s.records, c, ctx.params.entity);
    const e = staff ? { name: STAFF, schema: { 'x-label': { 'zh-CN': t('zh-CN', 'import.staff'), en: t('en', 'import.staff') } } } : kind ? { name: ctx.params.entity, schema: { 'x-label': kind.label } } : s.records.entity(ctx.params.entity);
    const name = `${label(e.schema['x-label'], c.lang) || e.name}-${c.lang === 'zh-CN' ? '导入模板' : 'import-template'}.xlsx`;
    ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    ctx.set('Content-Disposition', `attachment; filename="${e.name}-import-template.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`);
    ctx.body = buf;
  });
  api.post('/import/:entity', async (ctx) => {
    const c = callContext(ctx);
    if (ctx.params.entity === STAFF && !mayImportStaff(c)) throw new AppError(403, 'FORBIDDEN', 'error.forbidden');
    const kind = registryOf<Importer>(s, IMPORTERS).get(ctx.params.entity);
    if (kind && !(await kind.allowed(c))) throw new AppError(403, 'FORBIDDEN', 'error.forbidden');
    const e = ctx.params.entity === STAFF || kind ? { name: ctx.params.entity } : await s.records.assertAllowed(c, ctx.params.entity, 'import');
    let labId: number | null = null;
    if (ctx.query.labId !== undefined) {
      // Administrators import for a lab they name; everybody else imports into their own lab.
      if (!c.actor.isAdmin) throw new AppError(403, 'FORBIDDEN', 'error.forbidden');
      labId = Number(ctx.query.labId);
      if (!Number.isSafeInteger(labId) || labId < 1 || !(await s.knex('ct_org').where({ id: labId }).first('id'))) throw badRequest('VALIDATION_FAILED', 'error.validation', {}, '/labId');
    }
    const file = await readBody(ctx.req, MAX_BYTES);
    if (!file.length || file.subarray(0, 2).toString('latin1') !== 'PK') throw new AppError(400, 'BAD_REQUEST', 'import.badFile', {}, [{ path: '', messageKey: 'import.badFile' }]);
    const fileName = String(ctx.get('X-File-Name') ? decodeURIComponent(ctx.get('X-File-Name')) : `${e.name}.xlsx`).slice(0, 200);
    const id = await s.knex.transaction(async (trx) => {
      const [row] = await trx('ct_import')
        .insert({ entity: e.name, file_name: fileName, file, lab_id: labId, org_id: labId, status: 'checking', phase: 'queued', lang: c.lang, created_by: c.actor.id })
        .returning('id');
      const jobId = await s.jobs.enqueue('import.check', { id: Number(row.id) }, { key: crypto.randomUUID() }, trx);
      await trx('ct_import').where({ id: row.id }).update({ job_id: jobId });
      return Number(row.id);
    });
    ctx.status = 202;
    ctx.body = { data: present(await selectImport(s.knex('ct_import').where({ id })).first()) };
  });
  api.get('/imports', async (ctx) => {
    // The caller's own recent imports (an interrupted one is retried from here after a restart).
    const c = callContext(ctx);
    const rows = await selectImport(s.knex('ct_import').where({ created_by: c.actor.id })).orderBy('id', 'desc').limit(10);
    ctx.body = { data: rows.map((r: any) => ({ ...present(r), errors: [], preview: null })) };
  });
  api.get('/imports/:id', async (ctx) => {
    const row = await mine(ctx);
    ctx.body = { data: present(await selectImport(s.knex('ct_import').where({ id: row.id })).first()) };
  });
  api.post('/imports/:id/retry', async (ctx) => {
    const row = await mine(ctx);
    if (row.status !== 'failed' || !row.file) throw new AppError(409, 'CONFLICT', 'import.notRetryable', { status: row.status }, [{ path: '/status', messageKey: 'import.notRetryable' }]);
    await s.knex.transaction(async (trx) => {
      const jobId = await s.jobs.enqueue('import.check', { id: Number(row.id) }, { key: crypto.randomUUID() }, trx);
      await trx('ct_import').where({ id: row.id }).update({ status: 'checking', phase: 'queued', done: 0, failure: null, error_count: 0, errors: '[]', job_id: jobId, updated_at: trx.fn.now() });
    });
    ctx.status = 202;
    ctx.body = { data: present(await selectImport(s.knex('ct_import').where({ id: row.id })).first()) };
  });
  api.post('/imports/:id/commit', async (ctx) => {
    const row = await mine(ctx);
    if (row.status !== 'checked' || row.error_count > 0 || !row.file) throw new AppError(409, 'CONFLICT', 'import.notReady', { status: row.status }, [{ path: '/status', messageKey: 'import.notReady', params: { status: row.status } }]);
    await s.knex.transaction(async (trx) => {
      const jobId = await s.jobs.enqueue('import.commit', { id: Number(row.id) }, { key: crypto.randomUUID() }, trx);
      await trx('ct_import').where({ id: row.id }).update({ status: 'committing', phase: 'queued', done: 0, job_id: jobId, updated_at: trx.fn.now() });
    });
    ctx.status = 202;
    ctx.body = { data: present(await selectImport(s.knex('ct_import').where({ id: row.id })).first()) };
  });
}
