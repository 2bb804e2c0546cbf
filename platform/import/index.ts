import ExcelJS from 'exceljs';
import type { Knex } from 'knex';
import { AppError } from '../errors';
import { describeError } from '../http/errors';
import { label, registerMessages, t, type Lang } from '../i18n';
import type { CallContext } from '../context';
import type { EntityDef, FieldDef } from '../metadata/model';
import type { RecordService } from '../records/service';
import { validateRecord } from '../records/validate';
import { cellText, readSheet } from './sheet';

registerMessages({
  'zh-CN': {
    'import.refNotFound': '找不到编号或名称为“{value}”的{entity}',
    'import.refAmbiguous': '名称“{value}”对应多条{entity}，请填写编号',
    'import.userNotFound': '找不到用户名或姓名为“{value}”的用户',
    'import.duplicateInFile': '与第 {row} 行重复（{field} 必须唯一）',
    'import.notNumber': '“{value}”不是数字',
    'import.notDate': '“{value}”不是日期（例如 2026-03-01）',
    'import.notBoolean': '请填写“是”或“否”',
    'import.notInList': '“{value}”不在可选值中：{allowed}',
    'import.noRows': '文件中没有数据行',
    'import.unknownColumns': '无法识别的列：{columns}',
    'import.badFile': '无法读取文件：请上传由模板填写的 .xlsx 文件',
    'import.yes': '是',
    'import.no': '否',
    'import.notReady': '只有检查通过、没有错误的导入才能提交',
  },
  en: {
    'import.refNotFound': 'No {entity} has the code or name "{value}"',
    'import.refAmbiguous': 'Several {entity} records are named "{value}": give the code',
    'import.userNotFound': 'No user has the username or name "{value}"',
    'import.duplicateInFile': 'Same as row {row} ({field} must be unique)',
    'import.notNumber': '"{value}" is not a number',
    'import.notDate': '"{value}" is not a date (e.g. 2026-03-01)',
    'import.notBoolean': 'Fill in "Yes" or "No"',
    'import.notInList': '"{value}" is not one of: {allowed}',
    'import.noRows': 'The file holds no data rows',
    'import.unknownColumns': 'Columns not recognised: {columns}',
    'import.badFile': 'The file cannot be read: upload the .xlsx template filled in',
    'import.yes': 'Yes',
    'import.no': 'No',
    'import.notReady': 'Only an import checked without errors can be committed',
  },
});

export interface RowError {
  /** The row number as the spreadsheet shows it (the header is row 1). */
  row: number;
  /** JSON pointer of the field in the record (`/cellType`). */
  path: string;
  column: string | null;
  message: string;
}

export interface ParsedImport {
  entity: string;
  /** The fields of the sheet's columns, in order. */
  columns: string[];
  rows: { n: number; record: Record<string, unknown>; cells: Record<string, string> }[];
  errors: RowError[];
}

/**
 * An import kind a plugin contributes (`api.registry<Importer>(IMPORTERS).set(key, …)`) for data that is not one
 * entity per row: the cell inventory (devices → containers → batches → vials in positions). The wizard, its jobs and
 * the CLI treat it like an entity: template, parse, then write with `dryRun` (check) or for real (commit), all rows or
 * none. Every write goes through the record pipeline as the caller.
 */
export interface Importer {
  label: { 'zh-CN': string; en: string };
  /** Whether the caller may use it (listed in the wizard, template, upload). */
  allowed(ctx: CallContext): Promise<boolean>;
  template(ctx: CallContext): Promise<Buffer>;
  /** The sheet's rows with their cells (for the preview grid); conversion problems as row errors. */
  parse(ctx: CallContext, file: Buffer): Promise<ParsedImport>;
  /** Column labels of the preview grid, in order. */
  columns(lang: Lang): { field: string; label: string }[];
  /** Everything in ONE transaction; rolled back on `dryRun` or when any row failed (then `written` is 0). */
  write(ctx: CallContext, parsed: ParsedImport, opts: { dryRun: boolean; owner?: { labId: number | null; orgId: number | null }; reason: string; progress?: (done: number) => Promise<void> | void }): Promise<{ written: number; errors: RowError[] }>;
}
/** The registry name importers are registered under. */
export const IMPORTERS = 'import.kinds';

const SKIP_KINDS = new Set(['json', 'attachment', 'multiReference']);

/** The fields a template offers: what a person fills in (no generated, read-only, file or JSON fields). */
export function importableFields(e: EntityDef): FieldDef[] {
  return e.columns.filter((f) => !f.readOnly && !SKIP_KINDS.has(f.kind));
}

/** The code of an entity's records besides its title: its first unique string field (a generated number usually). */
export function codeFieldOf(e: EntityDef): string | undefined {
  return [...e.fields.values()].find((f) => f.unique && f.kind === 'string' && f.name !== e.titleField)?.name;
}

const required = (e: EntityDef) => new Set<string>(e.schema.required ?? []);
const header = (e: EntityDef, f: FieldDef, lang: Lang) => `${label(f.schema['x-label'], lang) || f.name}${required(e).has(f.name) ? ' *' : ''}`;

function choices(records: RecordService, f: FieldDef, lang: Lang): string[] | undefined {
  if (f.kind === 'dictionary') return (records.model.set.dictionary?.[f.dictionary!]?.items ?? []).filter((i: any) => !i.disabled).map((i: any) => label(i.label, lang) || i.code);
  if (f.kind === 'enum') return (f.enumValues ?? []).map((v) => label(f.schema['x-enum-labels']?.[v], lang) || v);
  if (f.kind === 'boolean') return [t(lang, 'import.yes'), t(lang, 'import.no')];
  return undefined;
}

function hint(records: RecordService, e: EntityDef, f: FieldDef, lang: Lang): string {
  const zh = lang === 'zh-CN';
  switch (f.kind) {
    case 'reference': {
      const target = records.model.entity(f.ref!);
      const code = target && codeFieldOf(target);
      const tl = target ? label(target.schema['x-label'], lang) : f.ref;
      return zh ? `填写${tl}的${code ? `${label(target!.fields.get(code)!.schema['x-label'], lang)}或` : ''}名称` : `the ${tl}'s ${code ? `${label(target!.fields.get(code)!.schema['x-label'], lang)} or ` : ''}name`;
    }
    case 'user':
      return zh ? '填写用户名或姓名' : 'username or full name';
    case 'date':
      return zh ? '日期，例如 2026-03-01' : 'date, e.g. 2026-03-01';
    case 'datetime':
      return zh ? '日期时间，例如 2026-03-01 09:30' : 'date and time, e.g. 2026-03-01 09:30';
    case 'integer':
      return zh ? '整数' : 'whole number';
    case 'number':
    case 'decimal':
      return zh ? '数字' : 'number';
    default: {
      const c = choices(records, f, lang);
      if (c) return (zh ? '可选：' : 'one of: ') + c.join(zh ? '、' : ', ');
      return f.maxLength ? (zh ? `文字，最多 ${f.maxLength} 字` : `text, at most ${f.maxLength} characters`) : zh ? '文字' : 'text';
    }
  }
}

/** An XLSX template for one entity: headers in the caller's language, lists for dictionaries, a sheet explaining each column. */
export async function buildTemplate(records: RecordService, ctx: CallContext, entity: string): Promise<Buffer> {
  const e = await records.assertAllowed(ctx, entity, 'import');
  const lang = ctx.lang;
  const fields = importableFields(e);
  const wb = new ExcelJS.Workbook();
  wb.creator = 'CellTrace';
  // A sheet name holds no : \ / ? * [ ] and at most 31 characters (Excel's rule; ExcelJS throws otherwise).
  const sheetName = (label(e.schema['x-label'], lang) || e.name).replace(/[:\\/?*[\]]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 31) || e.name.slice(0, 31);
  const ws = wb.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  const lists = wb.addWorksheet(lang === 'zh-CN' ? '可选值' : 'Lists', { state: 'hidden' });
  const help = wb.addWorksheet(lang === 'zh-CN' ? '填写说明' : 'How to fill in');
  ws.columns = fields.map((f) => ({ header: header(e, f, lang), key: f.name, width: Math.max(12, header(e, f, lang).length * 2 + 4) }));
  ws.getRow(1).font = { bold: true };
  help.columns = [
    { header: lang === 'zh-CN' ? '列' : 'Column', width: 24 },
    { header: lang === 'zh-CN' ? '必填' : 'Required', width: 8 },
    { header: lang === 'zh-CN' ? '填写方式' : 'What to fill in', width: 70 },
  ];
  help.getRow(1).font = { bold: true };
  let listCol = 0;
  fields.forEach((f, i) => {
    const col = ws.getColumn(i + 1);
    if (f.kind === 'date') col.numFmt = 'yyyy-mm-dd';
    help.addRow([header(e, f, lang), required(e).has(f.name) ? (lang === 'zh-CN' ? '是' : 'yes') : '', hint(records, e, f, lang)]);
    const c = choices(records, f, lang);
    if (!c?.length) return;
    listCol++;
    const letter = lists.getColumn(listCol).letter;
    c.forEach((v, j) => (lists.getCell(j + 1, listCol).value = v));
    // A drop-down of the names on the first 5,000 rows (more rows still import; the list is only a help).
    for (let r = 2; r <= 5001; r++)
      ws.getCell(r, i + 1).dataValidation = { type: 'list', allowBlank: true, formulae: [`'${lists.name}'!$${letter}$1:$${letter}$${c.length}`], showErrorMessage: true };
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}


const pad = (n: number) => String(n).padStart(2, '0');
/** An Excel date cell is a UTC instant of the local wall time written: its UTC parts are the date the person typed. */
const dateOf = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/**
 * Reads an uploaded workbook (first sheet; headers as the template writes them, in either language, or field names)
 * into records with names resolved: dictionary and enum names → codes, references by code or title → ids (read as
 * the caller: another lab's records are not found), users by username or name. Every problem is a row error.
 */
export async function parseWorkbook(records: RecordService, ctx: CallContext, entity: string, buf: Buffer): Promise<ParsedImport> {
  const e = await records.assertAllowed(ctx, entity, 'import');
  const lang = ctx.lang;
  const ws = await readSheet(buf);
  const fields = importableFields(e);
  const byHeader = new Map<string, FieldDef>();
  for (const f of fields) {
    byHeader.set(f.name.toLowerCase(), f);
    for (const l of Object.values<string>(f.schema['x-label'] ?? {})) byHeader.set(l.toLowerCase(), f);
  }
  const colField: (FieldDef | undefined)[] = [];
  const colHeader: string[] = [];
  const unknown: string[] = [];
  ws.getRow(1).eachCell((cell, col) => {
    const h = cellText(cell.value).replace(/\s*\*$/, '');
    colHeader[col] = h;
    colField[col] = byHeader.get(h.toLowerCase());
    if (h && !colField[col]) unknown.push(h);
  });
  if (unknown.length) throw new AppError(400, 'VALIDATION_FAILED', 'import.unknownColumns', { columns: unknown.join(', ') }, [{ path: '', messageKey: 'import.unknownColumns', params: { columns: unknown.join(', ') } }]);

  const errors: RowError[] = [];
  const err = (row: number, f: FieldDef, key: string, params: Record<string, unknown> = {}) =>
    errors.push({ row, path: `/${f.name}`, column: header(e, f, lang).replace(/ \*$/, ''), message: t(lang, key, params) });
  const nameToCode = new Map<string, Map<string, string>>();
  const codes = (f: FieldDef): Map<string, string> => {
    let m = nameToCode.get(f.name);
    if (m) return m;
    m = new Map();
    if (f.kind === 'dictionary')
      for (const i of records.model.set.dictionary?.[f.dictionary!]?.items ?? []) {
        m.set(String(i.code).toLowerCase(), i.code);
        for (const l of Object.values<string>(i.label ?? {})) m.set(l.toLowerCase(), i.code);
      }
    else if (f.kind === 'enum')
      for (const v of f.enumValues ?? []) {
        m.set(v.toLowerCase(), v);
        for (const l of Object.values<string>(f.schema['x-enum-labels']?.[v] ?? {})) m.set(l.toLowerCase(), v);
      }
    nameToCode.set(f.name, m);
    return m;
  };

  const rows: ParsedImport['rows'] = [];
  const refCells: { row: number; f: FieldDef; value: string; record: Record<string, unknown> }[] = [];
  ws.eachRow({ includeEmpty: false }, (row, n) => {
    if (n === 1) return;
    const rec: Record<string, unknown> = {};
    const cells: Record<string, string> = {};
    let any = false;
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      const f = colField[col];
      if (!f) return;
      const raw = cell.value;
      const s = cellText(raw);
      if (s === '') return;
      any = true;
      cells[f.name] = raw instanceof Date && f.kind === 'date' ? dateOf(raw) : s;
      switch (f.kind) {
        case 'integer':
        case 'number':
        case 'decimal': {
          const num = typeof raw === 'number' ? raw : Number(s.replace(/,/g, ''));
          if (!Number.isFinite(num)) err(n, f, 'import.notNumber', { value: s });
          else rec[f.name] = f.kind === 'decimal' ? String(num) : num;
          break;
        }
        case 'boolean': {
          if (typeof raw === 'boolean') rec[f.name] = raw;
          else if (/^(是|yes|y|true|1|√)$/i.test(s)) rec[f.name] = true;
          else if (/^(否|no|n|false|0)$/i.test(s)) rec[f.name] = false;
          else err(n, f, 'import.notBoolean');
          break;
        }
        case 'date': {
          if (raw instanceof Date) rec[f.name] = dateOf(raw);
          else {
            const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(s);
            if (m) rec[f.name] = `${m[1]}-${pad(Number(m[2]))}-${pad(Number(m[3]))}`;
            else err(n, f, 'import.notDate', { value: s });
          }
          break;
        }
        case 'datetime': {
          const d = raw instanceof Date ? raw : new Date(s.replace(' ', 'T'));
          if (Number.isNaN(d.getTime())) err(n, f, 'import.notDate', { value: s });
          else rec[f.name] = d.toISOString();
          break;
        }
        case 'dictionary':
        case 'enum': {
          const code = codes(f).get(s.toLowerCase());
          if (code === undefined) err(n, f, 'import.notInList', { value: s, allowed: choices(records, f, lang)!.join(lang === 'zh-CN' ? '、' : ', ') });
          else rec[f.name] = code;
          break;
        }
        case 'reference':
        case 'user':
          refCells.push({ row: n, f, value: s, record: rec });
          break;
        default:
          rec[f.name] = s;
      }
    });
    if (any) rows.push({ n, record: rec, cells });
  });
  await resolveReferences(records, ctx, refCells, errors, (row, f, key, params) => err(row, f, key, params));
  if (!rows.length) errors.push({ row: 2, path: '', column: null, message: t(lang, 'import.noRows') });
  return { entity: e.name, columns: colField.filter((f): f is FieldDef => !!f).map((f) => f.name), rows, errors };
}

async function resolveReferences(
  records: RecordService, ctx: CallContext, cells: { row: number; f: FieldDef; value: string; record: Record<string, unknown> }[], _errors: RowError[],
  err: (row: number, f: FieldDef, key: string, params?: Record<string, unknown>) => void,
): Promise<void> {
  const byField = new Map<FieldDef, typeof cells>();
  for (const c of cells) byField.set(c.f, [...(byField.get(c.f) ?? []), c]);
  for (const [f, list] of byField) {
    const values = [...new Set(list.map((c) => c.value))];
    const found = new Map<string, number[]>();
    const add = (k: string, id: number) => found.set(k, [...new Set([...(found.get(k) ?? []), id])]);
    if (f.kind === 'user') {
      const knex = records.knex;
      for (let i = 0; i < values.length; i += 1000) {
        const chunk = values.slice(i, i + 1000);
        const us = await knex('ct_user').whereIn('username', chunk).orWhereIn('display_name', chunk).select('id', 'username', 'display_name');
        for (const u of us) {
          if (chunk.includes(u.username)) add(u.username, Number(u.id));
          if (chunk.includes(u.display_name)) add(u.display_name, Number(u.id));
        }
      }
    } else {
      const target = records.entity(f.ref!);
      const code = codeFieldOf(target);
      const readable = new Set(records.readable(ctx, target));
      const keys = [code, target.titleField].filter((k): k is string => !!k && k !== 'id' && readable.has(k));
      for (const k of keys)
        for (let i = 0; i < values.length; i += 1000) {
          const r = await records.list(ctx, target.name, { filter: { [k]: { in: values.slice(i, i + 1000) } }, fields: ['id', k], limit: 1000 });
          for (const x of r.data) add(String(x[k]), Number(x.id));
        }
    }
    const entityLabel = f.kind === 'user' ? '' : label(records.entity(f.ref!).schema['x-label'], ctx.lang);
    for (const c of list) {
      const ids = found.get(c.value) ?? [];
      if (ids.length === 1) c.record[f.name] = ids[0];
      else if (!ids.length) err(c.row, f, f.kind === 'user' ? 'import.userNotFound' : 'import.refNotFound', { value: c.value, entity: entityLabel });
      else err(c.row, f, 'import.refAmbiguous', { value: c.value, entity: entityLabel });
    }
  }
}

/**
 * Every row checked without writing: the pipeline's validation of each record, uniqueness inside the file and against
 * the database. Errors name the sheet row, the field's pointer and the reason in the caller's language.
 */
export async function checkRows(records: RecordService, ctx: CallContext, parsed: ParsedImport): Promise<RowError[]> {
  const e = records.entity(parsed.entity);
  const errors = [...parsed.errors];
  const failed = new Set(errors.map((x) => x.row));
  const columnOf = (p: string) => {
    const f = e.fields.get(p.split('/')[1] ?? '');
    return f ? label(f.schema['x-label'], ctx.lang) || f.name : null;
  };
  for (const r of parsed.rows) {
    if (failed.has(r.n)) continue;
    try {
      validateRecord(records.model, e, { ...r.record });
    } catch (x) {
      if (!(x instanceof AppError)) throw x;
      const d = describeError(x, ctx.lang);
      // A field with a conversion error already reported is not reported twice.
      for (const det of d.details.length ? d.details : [{ path: '', message: d.message }]) errors.push({ row: r.n, path: det.path, column: columnOf(det.path), message: det.message });
    }
  }
  for (const f of e.columns.filter((x) => x.unique)) {
    const seen = new Map<string, number>();
    const vals: string[] = [];
    for (const r of parsed.rows) {
      const v = r.record[f.name];
      if (v === undefined || v === null) continue;
      const k = String(v);
      if (seen.has(k)) errors.push({ row: r.n, path: `/${f.name}`, column: columnOf(`/${f.name}`), message: t(ctx.lang, 'import.duplicateInFile', { row: seen.get(k), field: columnOf(`/${f.name}`) }) });
      else {
        seen.set(k, r.n);
        vals.push(k);
      }
    }
    if (f.encrypted) continue; // blind-indexed: the write reports a duplicate
    for (let i = 0; i < vals.length; i += 5000) {
      const taken: string[] = await records.knex(e.table).whereIn(f.column, vals.slice(i, i + 5000)).whereNull('deleted_at').pluck(f.column);
      for (const v of taken) {
        const n = seen.get(String(v))!;
        errors.push({ row: n, path: `/${f.name}`, column: columnOf(`/${f.name}`), message: t(ctx.lang, 'error.uniqueViolation', { field: columnOf(`/${f.name}`) }) });
      }
    }
  }
  return errors.sort((a, b) => a.row - b.row || a.path.localeCompare(b.path));
}

/**
 * Writes every row through the record pipeline (createMany: authorization, hooks, validation, numbering, audit) in ONE
 * transaction: all or nothing. `dryRun` rolls the transaction back (the trial write catches what only the database
 * knows). `progress` is told the rows written so far.
 */
export async function writeRows(
  records: RecordService, ctx: CallContext, parsed: ParsedImport, opts: { dryRun: boolean; owner?: { labId: number | null; orgId: number | null }; reason: string; progress?: (done: number) => Promise<void> | void; chunk?: number },
): Promise<{ written: number; errors: RowError[] }> {
  const chunk = opts.chunk ?? 2000;
  const rollback = new Error('dry run');
  let written = 0;
  try {
    await records.knex.transaction(async (trx: Knex.Transaction) => {
      const svc = records.withTrx(trx);
      for (let i = 0; i < parsed.rows.length; i += chunk) {
        const part = parsed.rows.slice(i, i + chunk);
        try {
          await svc.createMany(ctx, parsed.entity, part.map((r) => r.record), { trx, reason: opts.reason, owner: opts.owner as any });
        } catch (x) {
          if (!(x instanceof AppError)) throw x;
          const d = describeError(x, ctx.lang);
          const rowErrors = (d.details.length ? d.details : [{ path: '', message: d.message }]).map((det) => {
            const m = /^\/(\d+)(\/.*)?$/.exec(det.path);
            const idx = m ? Number(m[1]) : 0;
            return { row: part[Math.min(idx, part.length - 1)].n, path: m ? (m[2] ?? '') : det.path, column: null, message: det.message };
          });
          throw new RowsRefused(rowErrors);
        }
        written += part.length;
        await opts.progress?.(written);
      }
      if (opts.dryRun) throw rollback;
    });
  } catch (x) {
    if (x === rollback) return { written, errors: [] };
    if (x instanceof RowsRefused) return { written: 0, errors: x.errors };
    throw x;
  }
  return { written, errors: [] };
}

class RowsRefused extends Error {
  constructor(public errors: RowError[]) {
    super('rows refused');
  }
}
