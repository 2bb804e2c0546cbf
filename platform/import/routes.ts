import crypto from 'node:crypto';
import type Router from '@koa/router';
import type Koa from 'koa';
import { AppError, badRequest } from '../errors';
import type { Services } from '../services';
import type { CallContext } from '../context';
import { callContext } from '../http/routes/auth';
import { label, type Lang } from '../i18n';
import { loadActor } from '../auth/users';
import { buildTemplate, checkRows, importableFields, parseWorkbook, writeRows, type RowError } from '.';
import { STAFF, mayImportStaff, parseStaff, staffColumns, staffTemplate, writeStaff } from './staff';
import { t } from '../i18n';

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
});

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
  const run = async (id: number, commit: boolean) => {
    const row = await s.knex('ct_import').where({ id }).first();
    if (!row || !row.file) return;
    const ctx = await contextOf(row);
    const owner = row.lab_id || row.org_id ? { labId: row.lab_id ?? null, orgId: row.org_id ?? row.lab_id ?? null } : undefined;
    try {
      await update(id, { phase: 'reading' });
      const staff = row.entity === STAFF;
      const parsed = staff ? await parseStaff(s, ctx, row.file) : await parseWorkbook(s.records, ctx, row.entity, row.file);
      await update(id, { phase: 'checking', total: parsed.rows.length, done: 0 });
      let errors: RowError[] = staff ? [] : await checkRows(s.records, ctx, parsed);
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
      } else if (!errors.length) {
        await update(id, { phase: commit ? 'writing' : 'trial' });
        const r = await writeRows(s.records, ctx, parsed, { dryRun: !commit, owner, reason: `import ${row.file_name ?? ''}`.trim(), progress });
        errors = r.errors;
        written = r.written;
      }
      const failedRows = new Set(errors.map((e) => e.row));
      const preview = parsed.rows.filter((r, i) => i < PREVIEW_ROWS || failedRows.has(r.n)).slice(0, PREVIEW_ROWS + KEEP_ERRORS).map((r) => ({ row: r.n, cells: r.cells }));
      const columns = staff ? staffColumns(ctx.lang) : parsed.columns.map((f) => ({ field: f, label: label(s.records.entity(row.entity).fields.get(f)!.schema['x-label'], ctx.lang) || f }));
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

  s.jobs?.register('import.check', (p: { id: number }) => run(Number(p.id), false), { maxAttempts: 1 });
  s.jobs?.register('import.commit', (p: { id: number }) => run(Number(p.id), true), { maxAttempts: 1 });
  (s as any).importRun = run;

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
    ctx.body = { data: out.sort((a, b) => a.label.localeCompare(b.label, 'zh-CN')) };
  });
  api.get('/import/:entity/template', async (ctx) => {
    const c = callContext(ctx);
    const staff = ctx.params.entity === STAFF;
    const buf = staff ? await staffTemplate(s, c) : await buildTemplate(s.records, c, ctx.params.entity);
    const e = staff ? { name: STAFF, schema: { 'x-label': { 'zh-CN': t('zh-CN', 'import.staff'), en: t('en', 'import.staff') } } } : s.records.entity(ctx.params.entity);
    const name = `${label(e.schema['x-label'], c.lang) || e.name}-${c.lang === 'zh-CN' ? '导入模板' : 'import-template'}.xlsx`;
    ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    ctx.set('Content-Disposition', `attachment; filename="${e.name}-import-template.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`);
    ctx.body = buf;
  });
  api.post('/import/:entity', async (ctx) => {
    const c = callContext(ctx);
    if (ctx.params.entity === STAFF && !mayImportStaff(c)) throw new AppError(403, 'FORBIDDEN', 'error.forbidden');
    const e = ctx.params.entity === STAFF ? { name: STAFF } : await s.records.assertAllowed(c, ctx.params.entity, 'import');
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
      await s.jobs.enqueue('import.check', { id: Number(row.id) }, { key: crypto.randomUUID() }, trx);
      return Number(row.id);
    });
    ctx.status = 202;
    ctx.body = { data: present(await s.knex('ct_import').where({ id }).first()) };
  });
  api.get('/imports/:id', async (ctx) => {
    ctx.body = { data: present(await mine(ctx)) };
  });
  api.post('/imports/:id/commit', async (ctx) => {
    const row = await mine(ctx);
    if (row.status !== 'checked' || row.error_count > 0 || !row.file) throw new AppError(409, 'CONFLICT', 'import.notReady', { status: row.status }, [{ path: '/status', messageKey: 'import.notReady', params: { status: row.status } }]);
    await s.knex.transaction(async (trx) => {
      await trx('ct_import').where({ id: row.id }).update({ status: 'committing', phase: 'queued', done: 0, updated_at: trx.fn.now() });
      await s.jobs.enqueue('import.commit', { id: Number(row.id) }, {}, trx);
    });
    ctx.status = 202;
    ctx.body = { data: present(await s.knex('ct_import').where({ id: row.id }).first()) };
  });
}
