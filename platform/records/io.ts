import type Koa from 'koa';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { AppError } from '../errors';
import { describeError } from '../http/errors';
import type { CallContext } from '../context';
import { label } from '../i18n';
import type { EntityDef } from '../metadata/model';
import type { ListOptions, RecordService } from './service';

const PAGE = 1000;

interface Column {
  name: string;
  header: string;
  f?: ReturnType<EntityDef['fields']['get']>;
  /** A reference exported as names: the referenced record's code (`code`) or title (`title`), never its id. */
  show?: { part: 'code' | 'title'; field: string };
}

/** The code of an entity's records, when it has one besides the title: its first unique generated number. */
function codeField(e: EntityDef): string | undefined {
  const f = [...e.fields.values()].find((x) => x.unique && x.numbering && x.kind === 'string');
  return f && f.name !== e.titleField ? f.name : undefined;
}

function columnsOf(records: RecordService, e: EntityDef, ctx: CallContext, fields?: string[]): Column[] {
  const visible = new Set(records.readable(ctx, e));
  const names = fields?.length ? fields : ['id', ...e.columns.filter((f) => f.kind !== 'json' && f.kind !== 'attachment' && visible.has(f.name)).map((f) => f.name)];
  return names.flatMap((n): Column[] => {
    const f = e.fields.get(n);
    const header = n === 'id' ? 'ID' : label(f?.schema['x-label'], ctx.lang) || n;
    if ((f?.kind === 'reference' || f?.kind === 'multiReference') && records.model.entity(f.ref!)) {
      const target = records.model.entity(f.ref!)!;
      const code = codeField(target);
      const codeCol: Column[] = code ? [{ name: n, f, header: `${header} (${label(target.fields.get(code)!.schema['x-label'], ctx.lang) || code})`, show: { part: 'code', field: code } }] : [];
      return [...codeCol, { name: n, f, header, show: { part: 'title', field: target.titleField } }];
    }
    return [{ name: n, f, header }];
  });
}

/** Titles and codes of the records a page references, read as the caller (an unreadable record stays empty). */
async function referencedNames(records: RecordService, ctx: CallContext, cols: Column[], rows: Record<string, any>[]): Promise<Map<string, Map<number, Record<string, unknown>>>> {
  const out = new Map<string, Map<number, Record<string, unknown>>>();
  for (const c of cols) {
    if (!c.show || out.has(c.name)) continue;
    const target = records.entity(c.f!.ref!);
    const ids = [...new Set(rows.flatMap((r) => (Array.isArray(r[c.name]) ? r[c.name] : r[c.name] == null ? [] : [r[c.name]])))] as number[];
    const m = new Map<number, Record<string, unknown>>();
    out.set(c.name, m);
    const readable = new Set(records.readable(ctx, target));
    const want = ['id', ...new Set(cols.filter((x) => x.name === c.name).map((x) => x.show!.field))].filter((n) => readable.has(n));
    if (!ids.length || want.length < 2) continue;
    try {
      for (let i = 0; i < ids.length; i += PAGE) {
        const r = await records.list(ctx, target.name, { filter: { id: { in: ids.slice(i, i + PAGE) } }, fields: want, limit: PAGE });
        for (const x of r.data) m.set(Number(x.id), x);
      }
    } catch (err) {
      if (!(err instanceof AppError && err.status === 403)) throw err;
    }
  }
  return out;
}

/** A row's cells as exported: labels for codes, names for ids. */
function exportRow(records: RecordService, cols: Column[], r: Record<string, any>, names: Map<string, Map<number, Record<string, unknown>>>, lang: CallContext['lang']): unknown[] {
  return cols.map((c) => {
    const v = r[c.name];
    if (c.show) {
      const m = names.get(c.name);
      const one = (id: unknown) => m?.get(Number(id))?.[c.show!.field];
      const parts = (Array.isArray(v) ? v : v == null ? [] : [v]).map(one).filter((x) => x != null && x !== '');
      return neutralise(parts.length ? parts.join(', ') : null, c);
    }
    if (c.f?.kind === 'user') return neutralise((r[`${c.name}$expanded`] as { displayName?: string } | null)?.displayName ?? null, c);
    return exportValue(records, c, v, lang);
  });
}

function displayValue(records: RecordService, c: Column, v: unknown, lang: CallContext['lang']): unknown {
  if (v === null || v === undefined) return null;
  const f = c.f;
  if (f?.kind === 'dictionary') {
    const item = records.model.set.dictionary?.[f.dictionary!]?.items?.find((i: any) => i.code === v);
    return item ? label(item.label, lang) : v;
  }
  if (f?.kind === 'enum') return label(f.schema['x-enum-labels']?.[v as string], lang) || v;
  if (Array.isArray(v) || typeof v === 'object') return JSON.stringify(v);
  return v;
}

/**
 * A text cell that a spreadsheet would read as a formula (`=HYPERLINK(…)`, `+`, `-`, `@`, tab, CR) gets a leading
 * `'` (OWASP CSV injection); numbers, and numeric fields' values, stay as they are.
 */
const NUMERIC = new Set(['integer', 'number', 'decimal']);
export function neutralise(v: unknown, c?: Column): unknown {
  if (typeof v !== 'string' || !/^[=+\-@\t\r]/.test(v)) return v;
  if (c?.f && NUMERIC.has(c.f.kind) && v.trim() !== '' && Number.isFinite(Number(v))) return v;
  return `'${v}`;
}

const csvCell = (v: unknown) => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const exportValue = (records: RecordService, c: Column, v: unknown, lang: CallContext['lang']) => neutralise(displayValue(records, c, v, lang), c);

/** Pages through the list with keyset cursors, so memory stays flat whatever the row count. */
async function* pages(records: RecordService, ctx: CallContext, entity: string, opts: ListOptions) {
  let after: string | undefined;
  for (;;) {
    const r = await records.list(ctx, entity, { ...opts, limit: PAGE, offset: undefined, after, count: false, expand: undefined }, 'export');
    yield r.data;
    if (!r.page.nextCursor) return;
    after = r.page.nextCursor;
  }
}

export async function exportRecords(records: RecordService, ctx: CallContext, entity: string, opts: ListOptions, format: 'csv' | 'xlsx', kctx: Koa.Context): Promise<void> {
  const e = records.entity(entity);
  const cols = columnsOf(records, e, ctx, opts.fields);
  // Validate the query (permission, filter) before the response starts, so errors are still proper JSON.
  const it = pages(records, ctx, entity, { ...opts, fields: [...new Set(cols.map((c) => c.name))] });
  const first = await it.next();
  const stamp = new Date().toISOString().slice(0, 10);
  kctx.set('Content-Disposition', `attachment; filename="${e.name}-${stamp}.${format}"`);
  if (format === 'csv') {
    kctx.type = 'text/csv; charset=utf-8';
    kctx.body = Readable.from(
      (async function* () {
        yield '\uFEFF' + cols.map((c) => csvCell(neutralise(c.header))).join(',') + '\r\n';
        let rows = first.done ? [] : first.value;
        for (;;) {
          const names = await referencedNames(records, ctx, cols, rows);
          yield rows.map((r) => exportRow(records, cols, r, names, ctx.lang).map(csvCell).join(',') + '\r\n').join('');
          const n = await it.next();
          if (n.done) break;
          rows = n.value;
        }
      })(),
    );
    return;
  }
  kctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  const out = new PassThrough();
  kctx.body = out;
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const ws = wb.addWorksheet(label(e.schema['x-label'], ctx.lang).slice(0, 31) || e.name);
  ws.columns = cols.map((c, i) => ({ header: neutralise(c.header) as string, key: `${c.name}#${i}`, width: 18 }));
  (async () => {
    let rows = first.done ? [] : first.value;
    for (;;) {
      const names = await referencedNames(records, ctx, cols, rows);
      for (const r of rows) ws.addRow(exportRow(records, cols, r, names, ctx.lang)).commit();
      const n = await it.next();
      if (n.done) break;
      rows = n.value;
    }
    ws.commit();
    await wb.commit();
  })().catch((err) => out.destroy(err));
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > maxBytes) throw new AppError(413, 'PAYLOAD_TOO_LARGE', 'error.bodyTooLarge');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface ImportResult {
  imported: number;
  errors: { row: number; path: string; message: string }[];
}

/** Import from XLSX/CSV: headers are field names or labels; all-or-nothing unless `partial`. Rows are numbered as in the sheet. */
export async function importRecords(
  records: RecordService, ctx: CallContext, entity: string, req: IncomingMessage, format: 'csv' | 'xlsx', opts: { partial: boolean; maxBytes: number },
): Promise<ImportResult> {
  // Importing is its own permission, checked before the upload is read; each row is then a create.
  const e = await records.assertAllowed(ctx, entity, 'import');
  const buf = await readBody(req, opts.maxBytes);
  const wb = new ExcelJS.Workbook();
  try {
    if (format === 'xlsx') await wb.xlsx.load(buf as any);
    else await wb.csv.read(Readable.from([buf.toString('utf8').replace(/^\uFEFF/, '')]));
  } catch {
    throw new AppError(400, 'BAD_REQUEST', 'error.import.format', { format });
  }
  const ws = wb.worksheets[0];
  if (!ws) return { imported: 0, errors: [] };
  const byHeader = new Map<string, string>();
  for (const f of e.fields.values()) {
    byHeader.set(f.name.toLowerCase(), f.name);
    for (const l of Object.values<string>(f.schema['x-label'] ?? {})) byHeader.set(l.toLowerCase(), f.name);
  }
  const headerRow = ws.getRow(1);
  const colField: (string | undefined)[] = [];
  headerRow.eachCell((cell, col) => {
    colField[col] = byHeader.get(String(cell.text ?? '').trim().toLowerCase());
  });
  const rows: { n: number; record: Record<string, unknown> }[] = [];
  ws.eachRow((row, n) => {
    if (n === 1) return;
    const rec: Record<string, unknown> = {};
    row.eachCell((cell, col) => {
      const name = colField[col];
      if (!name) return;
      const v = cellValue(e, name, cell.value, records);
      if (v !== undefined && v !== '') rec[name] = v;
    });
    if (Object.keys(rec).length) rows.push({ n, record: rec });
  });
  const errors: ImportResult['errors'] = [];
  let imported = 0;
  const run = async (trx: any) => {
    for (const r of rows) {
      try {
        // A savepoint per row: a failed row never poisons the others' transaction.
        await trx.transaction((sp: any) => records.create(ctx, entity, r.record, { trx: sp, reason: 'import' }));
        imported++;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const d = describeError(err, ctx.lang);
        for (const det of d.details.length ? d.details : [{ path: '', message: d.message }]) errors.push({ row: r.n, path: det.path, message: det.message });
      }
    }
    if (errors.length && !opts.partial) throw new ImportAborted();
  };
  try {
    await records.knex.transaction(run);
  } catch (err) {
    if (!(err instanceof ImportAborted)) throw err;
    imported = 0;
  }
  return { imported, errors };
}

class ImportAborted extends Error {}

function cellValue(e: EntityDef, name: string, v: any, records: RecordService): unknown {
  const f = e.fields.get(name)!;
  if (v && typeof v === 'object' && 'result' in v) v = v.result;
  if (v && typeof v === 'object' && 'richText' in v) v = v.richText.map((t: any) => t.text).join('');
  if (v && typeof v === 'object' && 'text' in v) v = v.text;
  if (v === null || v === undefined) return undefined;
  switch (f.kind) {
    case 'integer':
    case 'reference': {
      const n = typeof v === 'number' ? v : Number(String(v).trim());
      return Number.isFinite(n) ? n : v;
    }
    case 'decimal':
    case 'number': {
      const n = typeof v === 'number' ? v : Number(String(v).trim());
      return Number.isFinite(n) ? n : v;
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : /^(true|1|yes|是|y)$/i.test(String(v).trim()) ? true : /^(false|0|no|否|n)$/i.test(String(v).trim()) ? false : v;
    case 'date':
      return v instanceof Date ? v.toISOString().slice(0, 10) : String(v).trim();
    case 'datetime':
      return v instanceof Date ? v.toISOString() : String(v).trim();
    case 'dictionary': {
      const s = String(v).trim();
      const items: any[] = records.model.set.dictionary?.[f.dictionary!]?.items ?? [];
      return items.find((i) => i.code === s || Object.values(i.label).includes(s))?.code ?? s;
    }
    case 'enum': {
      const s = String(v).trim();
      const labels = f.schema['x-enum-labels'] ?? {};
      return Object.keys(labels).find((k) => Object.values<string>(labels[k]).includes(s)) ?? s;
    }
    default:
      return typeof v === 'string' ? v.trim() : String(v);
  }
}
