import type Router from '@koa/router';
import type Koa from 'koa';
import { AppError, forbidden, readBody, readQuery, type CallContext, type PluginApi } from '../../platform/plugins/sdk';
import { checkTemplate, printTemplateSchema } from './schema';
import { compiled, entityLabel, environment, gather, page, pick, run, type PrintTemplate } from './render';
import { htmlToPdf } from './pdf';
import { defaultZpl, labelPdf, zplDeep, type LabelItem } from './labels';

const notFoundTpl = (template: string) => new AppError(404, 'NOT_FOUND', 'print.unknownTemplate', { template }, [{ path: '/template', messageKey: 'print.unknownTemplate', params: { template } }]);
const int = { type: 'integer', minimum: 1 };
const mayWriteMeta = (c: CallContext) => !!c.actor.isAdmin || !!(c.actor.permissions as Set<string> | undefined)?.has?.('meta:write');

/** A template and the version in force (0 = as shipped, never changed), or an older saved version when asked for. */
export async function templateOf(api: PluginApi, id: string, version?: number): Promise<{ tpl: PrintTemplate; version: number }> {
  const defs = api.defs<PrintTemplate>('printTemplate');
  const tpl = Object.hasOwn(defs, id) ? defs[id] : undefined;
  if (!tpl) throw notFoundTpl(id);
  const versions = await api.metaVersions<PrintTemplate>('printTemplate', id);
  const current = versions[0]?.version ?? 0;
  if (version === undefined || version === current) return { tpl, version: current };
  const old = versions.find((v) => v.version === version && v.definition);
  if (!old) throw new AppError(404, 'NOT_FOUND', 'print.noVersion', { template: id, version }, [{ path: '/version', messageKey: 'print.noVersion', params: { template: id, version } }]);
  return { tpl: old.definition!, version };
}

const filename = (name: string, ext: string) => {
  const safe = name.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'print';
  return `attachment; filename="${safe}.${ext}"; filename*=UTF-8''${encodeURIComponent(`${name}.${ext}`)}`;
};

/** Renders a document template for one record: HTML body, title and the page. */
async function renderDocument(api: PluginApi, c: CallContext, tpl: PrintTemplate, version: number, id: number) {
  const data = await gather(api, c, tpl, id);
  const code = String(data.record[api.records.entity(tpl.entity).titleField] ?? '');
  const title = `${pick(tpl.label, c.lang, tpl.$id)} ${code}`.trim();
  const print = { at: new Date().toISOString(), by: c.actor.displayName, template: pick(tpl.label, c.lang, tpl.$id), templateId: tpl.$id, version, lang: c.lang };
  const body = run(environment(api, c.lang), tpl.source, { ...data, print }, '/source');
  const footer = `<p class="ct-meta">${c.lang === 'en' ? 'Printed by' : '打印人'}: ${esc(c.actor.displayName)} · ${esc(print.at.slice(0, 16).replace('T', ' '))} UTC · ${esc(print.template)} v${version}</p>`;
  return { data, title, html: page(title, body + footer, c.lang, tpl.css, tpl.paper), record: data.record };
}
const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** One print recorded with its audit entry, in one transaction. */
async function recordJob(api: PluginApi, c: CallContext, j: { template: string; version: number; entity: string; recordId: number; format: string; labId?: number | null }, audit: { action: string; reason?: string; extra?: Record<string, unknown> }) {
  return api.transaction(async (trx) => {
    const [row] = await api.db(trx).table('print_job').insert({
      template: j.template, template_version: j.version, entity: j.entity, record_id: j.recordId, format: j.format, lab_id: j.labId ?? null,
      printed_by: c.actor.id, printed_by_name: c.actor.displayName,
    }).returning('*');
    await api.audit(trx, c, { entity: j.entity, recordId: j.recordId, action: audit.action, changes: auditChanges(api, c, j.template, j.version, j.format, audit.extra), reason: audit.reason ?? null });
    return { row, trx };
  });
}

/** A definition as the editor has it (its id and label may still be missing): the kind's schema, minus those. */
const previewBody = {
  type: 'object', additionalProperties: false, required: ['definition', 'record'],
  properties: { definition: { ...printTemplateSchema, required: ['entity', 'flavour', 'source'] }, record: int },
};

interface LabelBody { template: string; records?: number[]; batch?: number; format: 'pdf' | 'zpl'; reason?: string }
const labelBody = {
  type: 'object',
  additionalProperties: false,
  required: ['template', 'format'],
  properties: {
    template: { type: 'string', maxLength: 64 },
    records: { type: 'array', items: int, minItems: 1, maxItems: 500 },
    batch: int,
    format: { enum: ['pdf', 'zpl'] },
    reason: { type: 'string', maxLength: 500 },
  },
};

export function printRoutes(router: Router, api: PluginApi): void {
  const ctxOf = (ctx: Koa.Context) => api.context(ctx);

  /** Templates the caller may use: those of entities they may read (optionally of one entity and flavour). */
  router.get('/print/templates', async (ctx) => {
    const c = ctxOf(ctx);
    const q = readQuery<{ entity?: string; flavour?: string }>(ctx.query, { entity: { type: 'string', maxLength: 64 }, flavour: { enum: ['document', 'label'] } });
    const out = [];
    for (const t of Object.values(api.defs<PrintTemplate>('printTemplate'))) {
      if ((q.entity && t.entity !== q.entity) || (q.flavour && t.flavour !== q.flavour) || !api.model.entity(t.entity)) continue;
      try {
        await api.records.assertAllowed(c, t.entity, 'read');
      } catch {
        continue;
      }
      const versions = await api.metaVersions('printTemplate', t.$id);
      out.push({
        id: t.$id, label: t.label, description: t.description ?? null, entity: t.entity, entityLabel: entityLabel(api, t.entity, c.lang), flavour: t.flavour,
        version: versions[0]?.version ?? 0, labelSpec: t.labelSpec ? { container: t.labelSpec.container, widthMm: t.labelSpec.widthMm, heightMm: t.labelSpec.heightMm } : null,
      });
    }
    out.sort((a, b) => a.entity.localeCompare(b.entity) || a.id.localeCompare(b.id));
    ctx.body = { data: out };
  });

  /** A template's saved versions (who changed it, when, why): the version a print recorded can be looked up. */
  router.get('/print/templates/:template/versions', async (ctx) => {
    const { tpl, version } = await templateOf(api, ctx.params.template);
    const versions = await api.metaVersions('printTemplate', tpl.$id);
    ctx.body = {
      data: {
        id: tpl.$id, label: tpl.label, current: version,
        versions: [...versions.map((v) => ({ version: v.version, reason: v.reason, by: v.createdByName, at: v.createdAt })), { version: 0, reason: null, by: null, at: null }],
      },
    };
  });

  /** A document for one record: print-ready HTML (`?print=1` records it as printed) or an archivable PDF (always recorded). */
  router.get('/print/documents/:template/:id.:fmt', async (ctx) => {
    const c = ctxOf(ctx);
    const fmt = ctx.params.fmt;
    if (fmt !== 'html' && fmt !== 'pdf') throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/fmt', messageKey: 'error.validation' }]);
    const q = readQuery<{ version?: number; print?: string }>(ctx.query, { version: { type: 'integer', minimum: 0 }, print: { enum: ['0', '1'] } });
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: '', id: ctx.params.id });
    const { tpl, version } = await templateOf(api, ctx.params.template, q.version);
    if (tpl.flavour !== 'document') throw new AppError(400, 'VALIDATION_FAILED', 'print.notDocument', { template: tpl.$id }, [{ path: '/template', messageKey: 'print.notDocument', params: { template: tpl.$id } }]);
    const doc = await renderDocument(api, c, tpl, version, id);
    const job = { template: tpl.$id, version, entity: tpl.entity, recordId: id, format: fmt, labId: doc.record.labId };
    if (fmt === 'pdf') {
      const pdf = await htmlToPdf(doc.html, { title: doc.title, author: c.actor.displayName, size: tpl.paper?.size, landscape: tpl.paper?.landscape });
      await recordJob(api, c, job, { action: 'print' });
      ctx.type = 'application/pdf';
      ctx.set('Content-Disposition', filename(doc.title, 'pdf'));
      ctx.body = pdf;
      return;
    }
    if (q.print === '1') await recordJob(api, c, job, { action: 'print' });
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    ctx.body = doc.html;
  });

  /** The template editor's live preview: an unsaved definition on a chosen record (metadata writers only; not recorded). */
  router.post('/print/preview', async (ctx) => {
    const c = ctxOf(ctx);
    if (!mayWriteMeta(c)) throw forbidden();
    const b = readBody<{ definition: PrintTemplate; record: number }>(ctx.request.body, previewBody);
    const problems = checkTemplate(b.definition, { entity: Object.fromEntries([...api.model.entities.values()].map((e) => [e.name, e.schema])) });
    if (problems.length) {
      const details = problems.map((p) => ({ path: `/definition${p.path}`, message: p.message }));
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, details.map((d) => ({ path: d.path, messageKey: 'print.renderFailed', params: { message: d.message } })));
    }
    const tpl = { ...b.definition, $id: b.definition.$id ?? 'preview', label: b.definition.label ?? { 'zh-CN': '预览', en: 'Preview' } };
    if (tpl.flavour === 'label') {
      const items = await labelItems(api, c, tpl, [b.record]);
      ctx.type = 'html';
      ctx.body = page(pick(tpl.label, c.lang), items.map((i) => `<div style="border:1px dashed #999;display:inline-block;padding:2mm;margin:2mm">${esc(i.content)}<br>${i.lines.map(esc).join('<br>')}</div>`).join(''), c.lang);
      return;
    }
    const doc = await renderDocument(api, c, tpl, 0, b.record);
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    ctx.body = doc.html;
  });

  /** What was printed of one record: documents (template, version, who, when) and labels. */
  router.get('/print/history', async (ctx) => {
    const c = ctxOf(ctx);
    const q = readQuery<{ entity: string; id: number }>(ctx.query, { entity: { type: 'string', maxLength: 64 }, id: int }, ['entity', 'id']);
    if (!api.model.entity(q.entity)) throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: q.entity, id: q.id });
    await api.records.get(c, q.entity, q.id, { fields: ['id'] });
    const defs = api.defs<PrintTemplate>('printTemplate');
    const jobs: any[] = await api.db().table('print_job').where({ entity: q.entity, record_id: q.id }).orderBy('id', 'desc').limit(200);
    const labels: any[] = await api.db().table('print_label').where({ entity: q.entity, record_id: q.id }).orderBy('id', 'desc').limit(200);
    const name = (t: string) => pick(Object.hasOwn(defs, t) ? defs[t].label : undefined, c.lang, t);
    ctx.body = {
      data: {
        jobs: jobs.map((j) => ({ id: Number(j.id), template: j.template, templateLabel: name(j.template), version: j.template_version, format: j.format, by: j.printed_by_name, at: j.printed_at })),
        labels: labels.map((l) => labelOut(l, name)),
      },
    };
  });

  /** Labels of some records or a whole batch, as PDF (exact label size) or ZPL; a reprint needs a reason and is audited. */
  router.post('/print/labels', async (ctx) => {
    const c = ctxOf(ctx);
    const b = readBody<LabelBody>(ctx.request.body, labelBody);
    const { tpl, version } = await templateOf(api, b.template);
    if (tpl.flavour !== 'label' || !tpl.labelSpec) throw new AppError(400, 'VALIDATION_FAILED', 'print.notLabel', { template: tpl.$id }, [{ path: '/template', messageKey: 'print.notLabel', params: { template: tpl.$id } }]);
    let ids = b.records ?? [];
    let batch: number | null = null;
    if (!ids.length && b.batch) {
      const bt = await api.records.get(c, 'cellBatch', b.batch, { fields: ['id'] });
      batch = bt.id;
      if (tpl.entity === 'cellBatch') ids = [bt.id];
      else if (tpl.entity === 'cryovial') {
        const vials = await api.records.list(c, 'cryovial', { filter: { batch: bt.id, status: { in: ['stored', 'out', 'thawed'] } }, sort: ['id'], limit: 500, fields: ['id'] });
        ids = vials.data.map((v) => v.id);
      } else throw new AppError(400, 'VALIDATION_FAILED', 'print.notForEntity', { template: tpl.$id }, [{ path: '/batch', messageKey: 'print.notForEntity', params: { template: tpl.$id } }]);
    }
    if (!ids.length) throw new AppError(400, 'VALIDATION_FAILED', 'print.nothingToPrint', {}, [{ path: b.batch ? '/batch' : '/records', messageKey: 'print.nothingToPrint' }]);
    const items = await labelItems(api, c, tpl, ids);
    const before: any[] = await api.db().table('print_label').where({ entity: tpl.entity }).whereIn('record_id', ids).whereNull('voided_at').select('id', 'record_id');
    const reason = b.reason?.trim();
    if (before.length && !reason) {
      const codes = [...new Set(before.map((r) => items.find((i) => i.id === Number(r.record_id))?.code))].slice(0, 10).join(', ');
      throw new AppError(400, 'VALIDATION_FAILED', 'print.reprintReason', { codes }, [{ path: '/reason', messageKey: 'print.reprintReason', params: { codes } }]);
    }
    const out = b.format === 'pdf'
      ? await labelPdf(items, { widthMm: tpl.labelSpec.widthMm, heightMm: tpl.labelSpec.heightMm, symbology: tpl.labelSpec.symbology }, pick(tpl.label, c.lang))
      : Buffer.from(items.map((i) => i.zpl).join('\n'), 'utf8');
    const reprinted = new Map(before.map((r) => [Number(r.record_id), Number(r.id)]));
    await api.transaction(async (trx) => {
      const db = api.db(trx);
      const first = items[0];
      const [job] = await db.table('print_job').insert({
        template: tpl.$id, template_version: version, entity: batch ? 'cellBatch' : tpl.entity, record_id: batch ?? first.id, format: b.format,
        lab_id: first.record.labId ?? null, printed_by: c.actor.id, printed_by_name: c.actor.displayName,
      }).returning('*');
      if (before.length)
        await db.table('print_label').whereIn('id', before.map((r) => r.id)).update({ voided_at: db.fragment('now()'), voided_by_name: c.actor.displayName, void_reason: `reprint: ${reason}`.slice(0, 500) });
      await db.table('print_label').insert(items.map((i) => ({
        job_id: job.id, template: tpl.$id, template_version: version, entity: tpl.entity, record_id: i.id,
        batch_id: tpl.entity === 'cryovial' ? (i.record.batch ?? null) : tpl.entity === 'cellBatch' ? i.id : null,
        content: i.content.slice(0, 500), format: b.format, reprint_of: reprinted.get(i.id) ?? null, reason: reprinted.has(i.id) ? reason : null,
        printed_by: c.actor.id, printed_by_name: c.actor.displayName,
      })));
      await api.audit(trx, c, {
        entity: batch ? 'cellBatch' : tpl.entity, recordId: batch ?? (items.length === 1 ? first.id : null), action: before.length ? 'print.reprint' : 'print.labels',
        changes: auditChanges(api, c, tpl.$id, version, b.format, { count: items.length, codes: items.slice(0, 50).map((i) => i.code), ...(before.length ? { reprinted: before.length } : {}) }),
        reason: reason ?? null,
      });
    });
    const name = `${pick(tpl.label, c.lang)} ${items.length === 1 ? items[0].code : `${items[0].code}…(${items.length})`}`;
    ctx.set('Content-Disposition', filename(name, b.format === 'pdf' ? 'pdf' : 'zpl'));
    ctx.type = b.format === 'pdf' ? 'application/pdf' : 'text/plain; charset=utf-8';
    ctx.body = out;
  });

  /** Label reconciliation of a batch: printed vs used (on a vial in the bank or issued) vs destroyed (voided, or the vial discarded). */
  router.get('/print/labels/reconciliation', async (ctx) => {
    const c = ctxOf(ctx);
    const q = readQuery<{ batch: number }>(ctx.query, { batch: int }, ['batch']);
    const bt = await api.records.get(c, 'cellBatch', q.batch, { fields: ['id', 'batchCode'] });
    const vials = (await api.records.list(c, 'cryovial', { filter: { batch: bt.id }, sort: ['id'], limit: 500, fields: ['id', 'vialCode', 'status'] })).data;
    const byId = new Map(vials.map((v) => [v.id, v]));
    const rows: any[] = await api.db().table('print_label').where({ batch_id: bt.id, entity: 'cryovial' }).orderBy('id');
    const defs = api.defs<PrintTemplate>('printTemplate');
    const status = (l: any) => byId.get(Number(l.record_id))?.status;
    const voided = rows.filter((l) => l.voided_at);
    const active = rows.filter((l) => !l.voided_at);
    const used = active.filter((l) => ['stored', 'out', 'thawed'].includes(status(l)));
    const destroyed = voided.length + active.filter((l) => status(l) === 'discarded').length;
    const labelled = new Set(active.map((l) => Number(l.record_id)));
    ctx.body = {
      data: {
        batch: { id: bt.id, batchCode: bt.batchCode },
        printed: rows.length, used: used.length, destroyed, voided: voided.length, reprints: rows.filter((l) => l.reprint_of).length,
        unaccounted: rows.length - used.length - destroyed,
        unlabelled: vials.filter((v) => v.status !== 'discarded' && !labelled.has(v.id)).map((v) => v.vialCode),
        labels: rows.map((l) => ({ ...labelOut(l, (t) => pick(defs[t]?.label, c.lang, t)), code: byId.get(Number(l.record_id))?.vialCode ?? null, vialStatus: status(l) ?? null })),
      },
    };
  });

  /** Voids a printed label (damaged, spoilt, left over): it counts as destroyed; audited with the reason. */
  router.post('/print/labels/:id/void', async (ctx) => {
    const c = ctxOf(ctx);
    const b = readBody<{ reason: string }>(ctx.request.body, { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } } });
    const id = Number(ctx.params.id);
    const missing = new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: '', id: ctx.params.id });
    if (!Number.isSafeInteger(id) || id < 1) throw missing;
    const row = await api.db().table('print_label').where({ id }).first();
    if (!row) throw missing;
    try {
      await api.records.get(c, row.entity, Number(row.record_id), { fields: ['id'] });
    } catch (err) {
      if (err instanceof AppError && (err.status === 404 || err.status === 403)) throw err.status === 403 ? err : missing;
      throw err;
    }
    if (!b.reason.trim()) throw new AppError(400, 'VALIDATION_FAILED', 'print.reasonRequired', {}, [{ path: '/reason', messageKey: 'print.reasonRequired' }]);
    if (row.voided_at) throw new AppError(409, 'CONFLICT', 'print.labelVoided', {}, [{ path: '', messageKey: 'print.labelVoided' }]);
    await api.transaction(async (trx) => {
      await api.db(trx).table('print_label').where({ id }).update({ voided_at: api.db(trx).fragment('now()'), voided_by_name: c.actor.displayName, void_reason: b.reason.trim() });
      await api.audit(trx, c, { entity: row.entity, recordId: Number(row.record_id), action: 'print.voidLabel', changes: auditChanges(api, c, row.template, row.template_version, row.format, { codes: [String(row.content).split('|')[0]] }), reason: b.reason.trim() });
    });
    ctx.body = { data: { id, voided: true } };
  });
}

/**
 * What an audit entry of a print says, as the record history shows it: the template by its name (in the printer's
 * language) and version, the format; the template's id kept apart (`ref`) for queries.
 */
function auditChanges(api: PluginApi, c: CallContext, template: string, version: number, format: string, extra: Record<string, unknown> = {}) {
  const defs = api.defs<PrintTemplate>('printTemplate');
  return { template: pick(Object.hasOwn(defs, template) ? defs[template].label : undefined, c.lang, template), templateVersion: version, format: format.toUpperCase(), ...extra, ref: { template } };
}

function labelOut(l: any, name: (t: string) => string) {
  return {
    id: Number(l.id), template: l.template, templateLabel: name(l.template), version: l.template_version, format: l.format, by: l.printed_by_name, at: l.printed_at,
    reprint: !!l.reprint_of, reason: l.reason, voidedAt: l.voided_at, voidReason: l.void_reason,
  };
}

/** Labels of records (read as the caller, one statement): the 2-D code's content, the text lines and the ZPL. */
export async function labelItems(api: PluginApi, c: CallContext, tpl: PrintTemplate, ids: number[]) {
  const e = api.records.entity(tpl.entity);
  const readable = new Set(api.records.readable(c, e.name));
  const refs = [...e.fields.values()].filter((f) => f.kind === 'reference' && readable.has(f.name)).map((f) => f.name);
  const rows = (await api.records.list(c, tpl.entity, { filter: { id: { in: ids } }, limit: 500, sort: ['id'], expand: refs })).data;
  if (rows.length < new Set(ids).size) {
    const missing = ids.find((i) => !rows.some((r) => r.id === i));
    throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: tpl.entity, id: missing });
  }
  const hb = environment(api, c.lang);
  const spec = tpl.labelSpec!;
  const content = spec.content ? compiled(hb, spec.content, '/labelSpec/content', { noEscape: true }) : null;
  const text = compiled(hb, tpl.source, '/source', { noEscape: true });
  const zplOf = spec.zpl ? compiled(hb, spec.zpl, '/labelSpec/zpl', { noEscape: true }) : null;
  return rows.map((r) => {
    Object.defineProperty(r, '_entity', { value: tpl.entity, enumerable: false });
    for (const n of refs) if (r[`${n}$expanded`]) Object.defineProperty(r[`${n}$expanded`], '_entity', { value: e.fields.get(n)!.ref, enumerable: false });
    const code = String(r[e.titleField] ?? '');
    const context = { record: r, code, chainId: r.chainId ?? '', spec };
    const code2d = content ? content(context).trim() : [code, r.chainId].filter(Boolean).join('|');
    const lines = text(context).split('\n').map((l) => l.trim()).filter(Boolean);
    const item: LabelItem = { content: code2d, lines };
    const zpl = zplOf ? zplOf(zplDeep({ ...context, content: code2d, lines })).trim() : defaultZpl(item, spec);
    return { ...item, id: r.id as number, code, record: r, zpl };
  });
}
