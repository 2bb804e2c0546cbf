import ExcelJS from 'exceljs';
import type Koa from 'koa';
import { AppError, forbidden } from '../errors';
import { describeError } from '../http/errors';
import { label, registerMessages, t, type Lang } from '../i18n';
import type { CallContext } from '../context';
import type { Services } from '../services';
import { userCreator } from '../auth/admin-routes';
import { rolesOf } from '../auth/access';
import type { ParsedImport, RowError } from '.';
import { cellText, readSheet } from './sheet';

/** The staff import: users with their org unit and roles, created by the admin API's own user service. */
export const STAFF = 'staff';

registerMessages({
  'zh-CN': { 'import.staff': '人员', 'import.orgNotFound': '找不到代码或名称为“{value}”的组织机构', 'import.roleNotFound': '没有名为“{value}”的角色' },
  en: { 'import.staff': 'Staff', 'import.orgNotFound': 'No org unit has the code or name "{value}"', 'import.roleNotFound': 'There is no role named "{value}"' },
});

const COLUMNS = [
  { field: 'username', zh: '用户名', en: 'Username', required: true, hint: { 'zh-CN': '2–64 位字母、数字或 _ . @ -', en: '2–64 letters, digits or _ . @ -' } },
  { field: 'displayName', zh: '姓名', en: 'Full name', required: true, hint: { 'zh-CN': '文字', en: 'text' } },
  { field: 'org', zh: '所属机构', en: 'Org unit', required: true, hint: { 'zh-CN': '实验室或部门的代码或名称', en: 'code or name of the lab or department' } },
  { field: 'roles', zh: '角色', en: 'Roles', required: false, hint: { 'zh-CN': '角色名称，多个用“、”分隔', en: 'role names, several separated by ","' } },
  { field: 'email', zh: '邮箱', en: 'Email', required: false, hint: { 'zh-CN': '电子邮箱', en: 'email address' } },
  { field: 'password', zh: '初始密码', en: 'Initial password', required: true, hint: { 'zh-CN': '首次登录时必须修改', en: 'must be changed at first sign-in' } },
] as const;

const head = (c: (typeof COLUMNS)[number], lang: Lang) => `${lang === 'zh-CN' ? c.zh : c.en}${c.required ? ' *' : ''}`;

export function mayImportStaff(ctx: CallContext): boolean {
  const a: any = ctx.actor;
  return !!a.isAdmin || !!a.permissions?.has?.('users:admin');
}

export async function staffTemplate(s: Services, ctx: CallContext): Promise<Buffer> {
  if (!mayImportStaff(ctx)) throw forbidden();
  const lang = ctx.lang;
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(t(lang, 'import.staff'), { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = COLUMNS.map((c) => ({ header: head(c, lang), key: c.field, width: 22 }));
  ws.getRow(1).font = { bold: true };
  const help = wb.addWorksheet(lang === 'zh-CN' ? '填写说明' : 'How to fill in');
  help.addRow([lang === 'zh-CN' ? '列' : 'Column', lang === 'zh-CN' ? '必填' : 'Required', lang === 'zh-CN' ? '填写方式' : 'What to fill in']);
  for (const c of COLUMNS) help.addRow([head(c, lang), c.required ? (lang === 'zh-CN' ? '是' : 'yes') : '', c.hint[lang]]);
  const roles = Object.values(rolesOf(s.meta.model)).map((r: any) => label(r.label, lang) || r.$id);
  help.addRow([]);
  help.addRow([lang === 'zh-CN' ? '可用角色' : 'Roles', '', roles.join(lang === 'zh-CN' ? '、' : ', ')]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}


/** Rows of a filled-in staff template as admin-API bodies; unknown org units and roles are row errors. */
export async function parseStaff(s: Services, ctx: CallContext, buf: Buffer): Promise<ParsedImport> {
  if (!mayImportStaff(ctx)) throw forbidden();
  const lang = ctx.lang;
  const ws = await readSheet(buf);
  const colOf: Record<number, (typeof COLUMNS)[number]> = {};
  ws.getRow(1).eachCell((cell, col) => {
    const h = cellText(cell.value).replace(/\s*\*$/, '').toLowerCase();
    const c = COLUMNS.find((x) => x.zh.toLowerCase() === h || x.en.toLowerCase() === h || x.field.toLowerCase() === h);
    if (c) colOf[col] = c;
  });
  const orgs: any[] = await s.knex('ct_org').where({ disabled: false }).select('id', 'code', 'name', 'name_en');
  const roleDefs = Object.values(rolesOf(s.meta.model)) as any[];
  const roleOf = (name: string) => roleDefs.find((r) => r.$id === name || Object.values(r.label ?? {}).includes(name))?.$id as string | undefined;
  const errors: RowError[] = [];
  const rows: ParsedImport['rows'] = [];
  ws.eachRow((row, n) => {
    if (n === 1) return;
    const cells: Record<string, string> = {};
    row.eachCell((cell, col) => {
      const c = colOf[col];
      const v = cellText(cell.value);
      if (c && v) cells[c.field] = v;
    });
    if (!Object.keys(cells).length) return;
    const err = (field: string, key: string, params: Record<string, unknown>) => {
      const c = COLUMNS.find((x) => x.field === field)!;
      errors.push({ row: n, path: `/${field === 'org' ? 'orgId' : field}`, column: lang === 'zh-CN' ? c.zh : c.en, message: t(lang, key, params) });
    };
    const record: Record<string, unknown> = { username: cells.username, displayName: cells.displayName, mustChangePassword: true };
    if (cells.email) record.email = cells.email;
    if (cells.password) record.password = cells.password;
    if (cells.org) {
      const o = orgs.filter((x) => x.code === cells.org || x.name === cells.org || x.name_en === cells.org);
      if (o.length === 1) record.orgId = Number(o[0].id);
      else err('org', 'import.orgNotFound', { value: cells.org });
    }
    const roles: string[] = [];
    for (const r of (cells.roles ?? '').split(/[、,，;；]/).map((x) => x.trim()).filter(Boolean)) {
      const id = roleOf(r);
      if (id) roles.push(id);
      else err('roles', 'import.roleNotFound', { value: r });
    }
    record.roles = roles;
    rows.push({ n, record, cells });
  });
  if (!rows.length) errors.push({ row: 2, path: '', column: null, message: t(lang, 'import.noRows') });
  return { entity: STAFF, columns: COLUMNS.map((c) => c.field), rows, errors };
}

/**
 * Creates every user through the admin API's user service, each in a savepoint of ONE transaction (so every bad row
 * is reported), then commits only when no row failed and this is not a dry run: all users or none.
 */
export async function writeStaff(s: Services, ctx: CallContext, parsed: ParsedImport, opts: { dryRun: boolean; progress?: (n: number) => Promise<void> | void }): Promise<{ written: number; errors: RowError[] }> {
  const create = userCreator(s);
  const kctx = { state: { actor: ctx.actor, requestId: ctx.requestId ?? null, lang: ctx.lang }, ip: ctx.ip ?? null, get: () => '', request: {} } as unknown as Koa.Context;
  const errors: RowError[] = [...parsed.errors];
  const failed = new Set(errors.map((e) => e.row));
  const abort = new Error('rollback');
  let written = 0;
  try {
    await s.knex.transaction(async (trx) => {
      for (const r of parsed.rows) {
        if (failed.has(r.n)) continue;
        try {
          await trx.transaction((sp) => create(kctx, r.record, sp));
          written++;
        } catch (x) {
          if (!(x instanceof AppError)) throw x;
          const d = describeError(x, ctx.lang);
          for (const det of d.details.length ? d.details : [{ path: '', message: d.message }]) errors.push({ row: r.n, path: det.path, column: null, message: det.message });
        }
        if (written % 50 === 0) await opts.progress?.(written);
      }
      if (opts.dryRun || errors.length) throw abort;
    });
  } catch (x) {
    if (x !== abort) throw x;
    return { written: opts.dryRun && !errors.length ? written : 0, errors: errors.sort((a, b) => a.row - b.row) };
  }
  return { written, errors: [] };
}

export const staffColumns = (lang: Lang) => COLUMNS.map((c) => ({ field: c.field, label: lang === 'zh-CN' ? c.zh : c.en }));
