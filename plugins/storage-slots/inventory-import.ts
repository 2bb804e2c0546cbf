import ExcelJS from 'exceljs';
import type { Knex } from 'knex';
import { AppError, IMPORTERS, cellText, readSheet, describeError as describe, label, t, type CallContext, type Importer, type Lang, type ParsedImport, type PluginApi, type Records, type RowError } from '../../platform/plugins/sdk';
import { ensureContainerType } from './build';
import { positionLabel, positionOf } from './layout';
import { layoutOf, type BoxRow } from './slots';

/**
 * The cell-inventory import: a lab moving from paper or Excel brings one row per vial with its storage device,
 * container path, box and position. In ONE transaction, as the caller, through the record pipeline:
 *  1. storage devices matched by code (read as the caller: another lab's device is not found) or created;
 *  2. containers matched by their path under the device (`LN2-01/C1/R2/B3`) or created level by level (the
 *     container hooks give a vial-holding one its box and positions);
 *  3. cell batches matched by batch number or created with it (the number the customer already uses);
 *  4. one stock-in per batch naming the positions: the stock-in hook places the vials and refuses a position that
 *     does not exist in the lab's boxes or is not free.
 * Positions are checked first against the plugin's own position table, so a taken position or two rows naming the
 * same one are row errors naming the row and the column. Any error rolls everything back: all rows or none.
 */
export const CELL_INVENTORY = 'cellInventory';

type Field =
  | 'deviceCode' | 'deviceName' | 'deviceType' | 'site' | 'containerPath' | 'box' | 'boxType' | 'position'
  | 'batchNo' | 'customer' | 'cellType' | 'freezeDate' | 'passage' | 'cellsPerVial' | 'qcDate' | 'viability' | 'sterility' | 'mycoplasma' | 'remarks';

const COLUMNS: { field: Field; zh: string; en: string; required?: boolean; hint: { 'zh-CN': string; en: string } }[] = [
  { field: 'deviceCode', zh: '设备编号', en: 'Device code', required: true, hint: { 'zh-CN': '液氮罐/冰箱的编号；已有设备按编号匹配，没有则新建', en: 'code of the tank or freezer; an existing device is matched by code, else created' } },
  { field: 'deviceName', zh: '设备名称', en: 'Device name', hint: { 'zh-CN': '新建设备时必填', en: 'required for a new device' } },
  { field: 'deviceType', zh: '设备类型', en: 'Device type', hint: { 'zh-CN': '新建设备时必填：液氮罐、冰箱(冷冻)、冰箱(冷藏)', en: 'required for a new device: liquid-nitrogen tank, freezer, refrigerator' } },
  { field: 'site', zh: '存储中心', en: 'Storage site', hint: { 'zh-CN': '新建设备时必填（名称）', en: 'required for a new device (its name)' } },
  { field: 'containerPath', zh: '容器路径', en: 'Container path', hint: { 'zh-CN': '设备内盒子之上的容器，由外到内用“/”分隔，例如 C1/R2（提篮1/架2）；盒子直接放在设备中时留空', en: 'the containers above the box, outermost first, separated by "/", e.g. C1/R2; empty when the box sits in the device itself' } },
  { field: 'box', zh: '冻存盒', en: 'Box', required: true, hint: { 'zh-CN': '盒子名称，例如 B3；同一路径下同名即同一个盒子', en: 'the box name, e.g. B3; the same name under the same path is the same box' } },
  { field: 'boxType', zh: '盒规格', en: 'Box type', hint: { 'zh-CN': '新建盒子时必填：容器类型的编码或名称，例如 box9x9（冻存盒 9×9）', en: 'required for a new box: code or name of the container type, e.g. box9x9' } },
  { field: 'position', zh: '位置', en: 'Position', required: true, hint: { 'zh-CN': '盒上印的位置，例如 A3（行字母+列号）；或位置序号 1、2、3…', en: 'the position printed on the box, e.g. A3 (row letter + column number); or the position number 1, 2, 3…' } },
  { field: 'batchNo', zh: '批号', en: 'Batch number', required: true, hint: { 'zh-CN': '原有批号；批号相同的管属于同一批，系统中已有该批号时加入该批', en: 'the batch number in use; vials with the same number are one batch; an existing batch of that number gets the vials' } },
  { field: 'customer', zh: '客户', en: 'Customer', hint: { 'zh-CN': '客户编号或姓名', en: 'customer code or name' } },
  { field: 'cellType', zh: '细胞类型', en: 'Cell type', required: true, hint: { 'zh-CN': '名称，见“可选值”', en: 'name, see the lists' } },
  { field: 'freezeDate', zh: '冻存日期', en: 'Freeze date', required: true, hint: { 'zh-CN': '日期，例如 2025-03-01', en: 'date, e.g. 2025-03-01' } },
  { field: 'passage', zh: '代次', en: 'Passage', hint: { 'zh-CN': '整数', en: 'whole number' } },
  { field: 'cellsPerVial', zh: '每管细胞数(×10⁶)', en: 'Cells per vial (×10⁶)', hint: { 'zh-CN': '数字', en: 'number' } },
  { field: 'qcDate', zh: '入库质检日期', en: 'Intake QC date', hint: { 'zh-CN': '新批次的入库质检结果（入库前须有合格的入库质检）：检测日期，与下面三列一起填写；每批填一次即可', en: 'the new batch\'s intake QC (stock-in requires a passed one): test date, with the three columns below; once per batch is enough' } },
  { field: 'viability', zh: '活率(%)', en: 'Viability (%)', hint: { 'zh-CN': '入库质检的细胞活率，数字', en: 'intake QC viability, a number' } },
  { field: 'sterility', zh: '无菌', en: 'Sterility', hint: { 'zh-CN': '阴性或阳性', en: 'negative or positive' } },
  { field: 'mycoplasma', zh: '支原体', en: 'Mycoplasma', hint: { 'zh-CN': '阴性或阳性', en: 'negative or positive' } },
  { field: 'remarks', zh: '备注', en: 'Remarks', hint: { 'zh-CN': '文字（写入冻存管）', en: 'text (kept on the vial)' } },
];

const head = (c: (typeof COLUMNS)[number], lang: Lang) => `${lang === 'zh-CN' ? c.zh : c.en}${c.required ? ' *' : ''}`;
const colName = (f: Field, lang: Lang) => {
  const c = COLUMNS.find((x) => x.field === f)!;
  return lang === 'zh-CN' ? c.zh : c.en;
};

const MESSAGES = {
  'zh-CN': {
    'inventory.label': '细胞库存（设备、冻存盒、位置）',
    'inventory.required': '必填',
    'inventory.deviceNotFound': '找不到编号为“{code}”的设备；新建设备请填写设备名称、设备类型和存储中心',
    'inventory.deviceOtherLab': '设备“{code}”不属于导入的实验室',
    'inventory.deviceMismatch': '与第 {row} 行对同一设备“{code}”的{column}不同',
    'inventory.notInList': '“{value}”不在可选值中：{allowed}',
    'inventory.boxTypeNeeded': '新建冻存盒“{box}”需要填写盒规格',
    'inventory.boxTypeNotFound': '找不到编码或名称为“{value}”的容器类型',
    'inventory.notABox': '“{value}”不是直接存放冻存管的容器类型',
    'inventory.notABoxHere': '“{path}”已存在，但不是冻存盒',
    'inventory.noSuchPosition': '冻存盒“{box}”（{rows}×{cols}）中没有位置“{value}”',
    'inventory.sameAsRow': '与第 {row} 行是同一位置（{where}）',
    'inventory.positionTaken': '位置 {where} 已有冻存管或不可用（第 {row} 行）',
    'inventory.batchMismatch': '与第 {row} 行同一批号“{batch}”的{column}不同',
    'inventory.qcMigrated': '历史数据迁移：原系统已放行，随库存导入',
    'inventory.customerNotFound': '找不到编号或姓名为“{value}”的客户',
    'inventory.customerAmbiguous': '姓名“{value}”对应多位客户，请填写客户编号',
    'inventory.notNumber': '“{value}”不是数字',
    'inventory.notDate': '“{value}”不是日期（例如 2025-03-01）',
    'inventory.segment': '容器路径的每一级最多 40 个字符，且不含空格以外的特殊符号',
  },
  en: {
    'inventory.label': 'Cell inventory (devices, boxes, positions)',
    'inventory.required': 'Required',
    'inventory.deviceNotFound': 'No device has the code "{code}"; for a new device fill in its name, type and storage site',
    'inventory.deviceOtherLab': 'Device "{code}" does not belong to the lab imported into',
    'inventory.deviceMismatch': 'Differs from row {row} in the {column} of the same device "{code}"',
    'inventory.notInList': '"{value}" is not one of: {allowed}',
    'inventory.boxTypeNeeded': 'The new box "{box}" needs its box type',
    'inventory.boxTypeNotFound': 'No container type has the code or name "{value}"',
    'inventory.notABox': '"{value}" is not a container type that holds vials',
    'inventory.notABoxHere': '"{path}" exists but is not a box',
    'inventory.noSuchPosition': 'Box "{box}" ({rows}×{cols}) has no position "{value}"',
    'inventory.sameAsRow': 'Same position as row {row} ({where})',
    'inventory.positionTaken': 'Position {where} already holds a vial or is not available (row {row})',
    'inventory.batchMismatch': 'Differs from row {row} in the {column} of the same batch "{batch}"',
    'inventory.qcMigrated': 'Migrated: released in the legacy system, imported with the inventory',
    'inventory.customerNotFound': 'No customer has the code or name "{value}"',
    'inventory.customerAmbiguous': 'Several customers are named "{value}": give the customer code',
    'inventory.notNumber': '"{value}" is not a number',
    'inventory.notDate': '"{value}" is not a date (e.g. 2025-03-01)',
    'inventory.segment': 'Each level of the container path has at most 40 characters',
  },
};
export const inventoryMessages = MESSAGES;

const pad = (n: number) => String(n).padStart(2, '0');

function enumChoices(api: PluginApi, entity: string, field: string, lang: Lang): { code: string; name: string; all: string[] }[] {
  const f = api.model.entity(entity)?.fields.get(field);
  return (f?.enumValues ?? []).map((v) => {
    const l = f!.schema['x-enum-labels']?.[v] ?? {};
    return { code: v, name: label(l, lang) || v, all: [v, ...Object.values<string>(l)] };
  });
}
function dictChoices(api: PluginApi, entity: string, field: string, lang: Lang): { code: string; name: string; all: string[] }[] {
  const f = api.model.entity(entity)?.fields.get(field);
  const items = ((api.model as any).set.dictionary?.[f?.dictionary ?? '']?.items ?? []) as any[];
  return items.filter((i) => !i.disabled).map((i) => ({ code: i.code, name: label(i.label, lang) || i.code, all: [i.code, ...Object.values<string>(i.label ?? {})] }));
}
const pick = (choices: { code: string; all: string[] }[], v: string) => choices.find((c) => c.all.some((x) => x.toLowerCase() === v.toLowerCase()))?.code;

/** An empty workbook of the inventory layout (also written as docs/examples/cell-inventory-example.xlsx with sample rows). */
export async function inventoryWorkbook(lists: Partial<Record<Field, string[]>>, lang: Lang, rows: Partial<Record<Field, string | number | Date>>[] = []): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'CellTrace';
  const ws = wb.addWorksheet(lang === 'zh-CN' ? '细胞库存' : 'Cell inventory', { views: [{ state: 'frozen', ySplit: 1 }] });
  const listSheet = wb.addWorksheet(lang === 'zh-CN' ? '可选值' : 'Lists', { state: 'hidden' });
  const help = wb.addWorksheet(lang === 'zh-CN' ? '填写说明' : 'How to fill in');
  ws.columns = COLUMNS.map((c) => ({ header: head(c, lang), key: c.field, width: Math.max(12, head(c, lang).length * 2 + 2) }));
  ws.getRow(1).font = { bold: true };
  for (const f of ['freezeDate', 'qcDate']) ws.getColumn(COLUMNS.findIndex((c) => c.field === f) + 1).numFmt = 'yyyy-mm-dd';
  help.columns = [{ header: lang === 'zh-CN' ? '列' : 'Column', width: 22 }, { header: lang === 'zh-CN' ? '必填' : 'Required', width: 8 }, { header: lang === 'zh-CN' ? '填写方式' : 'What to fill in', width: 90 }];
  help.getRow(1).font = { bold: true };
  for (const c of COLUMNS) help.addRow([head(c, lang), c.required ? (lang === 'zh-CN' ? '是' : 'yes') : '', c.hint[lang]]);
  help.addRow([]);
  help.addRow([lang === 'zh-CN' ? '说明' : 'Note', '', lang === 'zh-CN'
    ? '每行一支冻存管。检查时逐行核对：位置必须存在且为空，同一位置不能出现两次；有任何问题时整个文件都不导入。'
    : 'One row per vial. The check verifies every row: the position must exist and be free, and no position may appear twice; with any problem nothing of the file is imported.']);
  let listCol = 0;
  for (const [field, values] of Object.entries(lists) as [Field, string[]][]) {
    if (!values.length) continue;
    listCol++;
    const letter = listSheet.getColumn(listCol).letter;
    values.forEach((v, j) => (listSheet.getCell(j + 1, listCol).value = v));
    const col = COLUMNS.findIndex((c) => c.field === field) + 1;
    for (let r = 2; r <= 2001; r++) ws.getCell(r, col).dataValidation = { type: 'list', allowBlank: true, formulae: [`'${listSheet.name}'!$${letter}$1:$${letter}$${values.length}`], showErrorMessage: field !== 'boxType' };
  }
  rows.forEach((r, i) => COLUMNS.forEach((c, k) => r[c.field] !== undefined && (ws.getCell(i + 2, k + 1).value = r[c.field] as ExcelJS.CellValue)));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

interface Row {
  n: number;
  cells: Partial<Record<Field, string>>;
  deviceType?: string;
  site?: string;
  cellType?: string;
  freezeDate?: string;
  qcDate?: string;
  viability?: number;
  sterility?: string;
  mycoplasma?: string;
  passage?: number;
  cellsPerVial?: number;
  segments: string[];
}

/** Every page of a pipeline list (the caller's scope applies). */
async function listAll(records: Records, ctx: CallContext, entity: string, filter: unknown, fields: string[]): Promise<Record<string, any>[]> {
  const out: Record<string, any>[] = [];
  let after: string | undefined;
  for (;;) {
    const r = await records.list(ctx, entity, { filter, fields, limit: 1000, after, sort: ['id'] });
    out.push(...r.data);
    if (!r.page.nextCursor || r.data.length < 1000) return out;
    after = r.page.nextCursor;
  }
}

export function registerInventoryImport(api: PluginApi): void {
  const lists = (lang: Lang) => ({
    deviceType: enumChoices(api, 'storageDevice', 'deviceType', lang).map((c) => c.name),
    site: dictChoices(api, 'storageDevice', 'site', lang).map((c) => c.name),
    cellType: dictChoices(api, 'cellBatch', 'cellType', lang).map((c) => c.name),
    sterility: enumChoices(api, 'qcRecord', 'sterility', lang).map((c) => c.name),
    mycoplasma: enumChoices(api, 'qcRecord', 'mycoplasma', lang).map((c) => c.name),
  });
  const allowed = async (ctx: CallContext) => {
    try {
      for (const e of ['stockIn', 'cellBatch']) await api.records.assertAllowed(ctx, e, 'create');
      return true;
    } catch {
      return false;
    }
  };

  const parse = async (ctx: CallContext, buf: Buffer): Promise<ParsedImport> => {
    const lang = ctx.lang;
    const ws = await readSheet(buf);
    const colOf: Record<number, (typeof COLUMNS)[number]> = {};
    const unknown: string[] = [];
    ws.getRow(1).eachCell((cell, col) => {
      const h = cellText(cell.value).replace(/\s*\*$/, '');
      const c = COLUMNS.find((x) => [x.zh, x.en, x.field].some((y) => y.toLowerCase() === h.toLowerCase()));
      if (c) colOf[col] = c;
      else if (h) unknown.push(h);
    });
    if (unknown.length) throw new AppError(400, 'VALIDATION_FAILED', 'import.unknownColumns', { columns: unknown.join(', ') }, [{ path: '', messageKey: 'import.unknownColumns', params: { columns: unknown.join(', ') } }]);
    const errors: RowError[] = [];
    const err = (n: number, f: Field, key: string, params: Record<string, unknown> = {}) => errors.push({ row: n, path: `/${f}`, column: colName(f, lang), message: t(lang, key, params) });
    const types = enumChoices(api, 'storageDevice', 'deviceType', lang);
    const sites = dictChoices(api, 'storageDevice', 'site', lang);
    const cellTypes = dictChoices(api, 'cellBatch', 'cellType', lang);
    const qcResults = { sterility: enumChoices(api, 'qcRecord', 'sterility', lang), mycoplasma: enumChoices(api, 'qcRecord', 'mycoplasma', lang) };
    const sep = lang === 'zh-CN' ? '、' : ', ';
    const rows: Row[] = [];
    ws.eachRow({ includeEmpty: false }, (row, n) => {
      if (n === 1) return;
      const cells: Row['cells'] = {};
      const raw: Partial<Record<Field, unknown>> = {};
      row.eachCell({ includeEmpty: false }, (cell, col) => {
        const c = colOf[col];
        if (!c) return;
        const v = cellText(cell.value);
        if (!v) return;
        raw[c.field] = cell.value;
        cells[c.field] = cell.value instanceof Date && c.field === 'freezeDate' ? `${cell.value.getUTCFullYear()}-${pad(cell.value.getUTCMonth() + 1)}-${pad(cell.value.getUTCDate())}` : v;
      });
      if (!Object.keys(cells).length) return;
      const r: Row = { n, cells, segments: [] };
      for (const c of COLUMNS) if (c.required && !cells[c.field]) err(n, c.field, 'inventory.required');
      if (cells.deviceType && !(r.deviceType = pick(types, cells.deviceType))) err(n, 'deviceType', 'inventory.notInList', { value: cells.deviceType, allowed: types.map((x) => x.name).join(sep) });
      if (cells.site && !(r.site = pick(sites, cells.site))) err(n, 'site', 'inventory.notInList', { value: cells.site, allowed: sites.map((x) => x.name).join(sep) });
      if (cells.cellType && !(r.cellType = pick(cellTypes, cells.cellType))) err(n, 'cellType', 'inventory.notInList', { value: cells.cellType, allowed: cellTypes.map((x) => x.name).join(sep) });
      for (const f of ['freezeDate', 'qcDate'] as const) {
        if (!cells[f]) continue;
        const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(cells[f]!);
        if (m) r[f] = `${m[1]}-${pad(Number(m[2]))}-${pad(Number(m[3]))}`;
        else err(n, f, 'inventory.notDate', { value: cells[f] });
      }
      for (const f of ['sterility', 'mycoplasma'] as const)
        if (cells[f] && !(r[f] = pick(qcResults[f], cells[f]!))) err(n, f, 'inventory.notInList', { value: cells[f], allowed: qcResults[f].map((x) => x.name).join(sep) });
      for (const f of ['passage', 'cellsPerVial', 'viability'] as const) {
        if (!cells[f]) continue;
        const num = typeof raw[f] === 'number' ? (raw[f] as number) : Number(cells[f]!.replace(/,/g, ''));
        if (!Number.isFinite(num)) err(n, f, 'inventory.notNumber', { value: cells[f] });
        else r[f] = num;
      }
      r.segments = (cells.containerPath ?? '').split(/[/／\\]/).map((x) => x.trim()).filter(Boolean);
      if ([...r.segments, cells.box ?? ''].some((x) => x.length > 40)) err(n, 'containerPath', 'inventory.segment');
      rows.push(r);
    });
    if (!rows.length) errors.push({ row: 2, path: '', column: null, message: t(lang, 'import.noRows') });
    return { entity: CELL_INVENTORY, columns: COLUMNS.map((c) => c.field), rows: rows.map((r) => ({ n: r.n, record: r as unknown as Record<string, unknown>, cells: r.cells as Record<string, string> })), errors };
  };

  const write: Importer['write'] = async (ctx, parsed, opts) => {
    const lang = ctx.lang;
    const failedAtParse = new Set(parsed.errors.map((e) => e.row));
    const rows = parsed.rows.map((r) => r.record as unknown as Row).filter((r) => !failedAtParse.has(r.n));
    const errors: RowError[] = [];
    const bad = new Set<number>();
    const err = (n: number, f: Field, key: string, params: Record<string, unknown> = {}) => {
      bad.add(n);
      errors.push({ row: n, path: `/${f}`, column: colName(f, lang), message: t(lang, key, params) });
    };
    const lab: number | null = opts.owner ? opts.owner.labId : ((ctx.actor as any).labId ?? null);
    const owner = opts.owner ?? (lab !== null ? { labId: lab, orgId: lab } : undefined);
    const rollback = new Error('rollback');
    const reported = new Error('reported');
    let written = 0;
    try {
      await api.transaction(async (trx: Knex.Transaction, records: Records) => {
        const db = api.db(trx);
        // 1. devices
        const byCode = new Map<string, Row[]>();
        for (const r of rows) byCode.set(r.cells.deviceCode!, [...(byCode.get(r.cells.deviceCode!) ?? []), r]);
        const found = new Map<string, Record<string, any>>();
        const codes = [...byCode.keys()];
        for (let i = 0; i < codes.length; i += 500)
          for (const d of await listAll(records, ctx, 'storageDevice', { code: { in: codes.slice(i, i + 500) } }, ['id', 'code', 'labId', 'orgId', 'name', 'site', 'deviceType']))
            found.set(d.code, d);
        const devices = new Map<string, Record<string, any>>();
        for (const [code, rs] of byCode) {
          const d = found.get(code);
          if (d) {
            if ((d.labId ?? null) !== lab) for (const r of rs) err(r.n, 'deviceCode', 'inventory.deviceOtherLab', { code });
            else devices.set(code, d);
            continue;
          }
          const first = rs.find((r) => r.cells.deviceName && r.deviceType && r.site);
          if (!first) {
            for (const r of rs) err(r.n, 'deviceCode', 'inventory.deviceNotFound', { code });
            continue;
          }
          for (const r of rs)
            for (const f of ['deviceName', 'deviceType', 'site'] as const)
              if (r.cells[f] && r.cells[f] !== first.cells[f]) err(r.n, f, 'inventory.deviceMismatch', { row: first.n, code, column: colName(f, lang) });
          try {
            devices.set(code, await trx.transaction((sp) => api.withTrx(sp).create(ctx, 'storageDevice', { code, name: first.cells.deviceName, deviceType: first.deviceType, site: first.site }, { reason: opts.reason, owner })));
          } catch (x) {
            if (!(x instanceof AppError)) throw x;
            for (const r of rs) pipelineError(r.n, 'deviceCode', x);
          }
        }
        // 2. containers, by path under the device
        const containers = new Map<string, Record<string, any>>(); // path → container
        for (const d of devices.values())
          for (const c of await listAll(records, ctx, 'container', { device: d.id }, ['id', 'code', 'path', 'holdsVials', 'rows', 'cols', 'device']))
            containers.set(c.path ?? c.code, c);
        const types = await listAll(records, api.system(), 'containerType', {}, ['id', 'code', 'name', 'holdsVials', 'level']);
        const typeOf = async (v: string) => {
          const t1 = types.find((x) => x.code === v) ?? types.find((x) => x.name === v);
          if (t1) return t1;
          try {
            const t2 = await ensureContainerType(api, records, v);
            types.push(t2);
            return t2;
          } catch {
            return undefined;
          }
        };
        const boxOf = new Map<number, Record<string, any>>(); // row → box container
        for (const r of rows) {
          const d = devices.get(r.cells.deviceCode!);
          if (!d || bad.has(r.n)) continue;
          let parent: Record<string, any> | null = null;
          let path = d.code as string;
          const levels = [...r.segments, r.cells.box!];
          for (const [i, seg] of levels.entries()) {
            path = `${path}/${seg}`;
            let c = containers.get(path);
            const leaf = i === levels.length - 1;
            if (!c) {
              // Intermediate levels: canisters in a tank, shelves in a freezer, racks below (the shipped presets).
              let type: Record<string, any> | undefined;
              if (leaf) {
                if (!r.cells.boxType) {
                  err(r.n, 'boxType', 'inventory.boxTypeNeeded', { box: path });
                  break;
                }
                type = await typeOf(r.cells.boxType);
                if (!type) {
                  err(r.n, 'boxType', 'inventory.boxTypeNotFound', { value: r.cells.boxType });
                  break;
                }
                if (!type.holdsVials) {
                  err(r.n, 'boxType', 'inventory.notABox', { value: r.cells.boxType });
                  break;
                }
              } else type = await typeOf(i > 0 ? 'rack' : d.deviceType === 'ln2Tank' ? 'canister' : 'shelf');
              try {
                c = await trx.transaction((sp) =>
                  api.withTrx(sp).create(ctx, 'container', { code: path.replace(/\//g, '-'), name: seg, containerType: type!.id, device: d.id, ...(parent ? { parent: parent.id } : {}), path, depth: i + 1 }, { reason: opts.reason, owner: { labId: d.labId ?? null, orgId: d.orgId ?? d.labId ?? null } }),
                );
              } catch (x) {
                if (!(x instanceof AppError)) throw x;
                pipelineError(r.n, leaf ? 'box' : 'containerPath', x);
                break;
              }
              containers.set(path, c!);
            }
            if (leaf) {
              if (!c!.holdsVials) err(r.n, 'box', 'inventory.notABoxHere', { path });
              else boxOf.set(r.n, c!);
            }
            parent = c!;
          }
        }
        // 3. positions: exist in the box, free, and named once in the file
        const boxIds = [...new Set([...boxOf.values()].map((c) => Number(c.id)))];
        const boxRows = new Map<number, BoxRow>(((await db.table('storage_box').whereIn('container_id', boxIds)) as BoxRow[]).map((b) => [Number(b.container_id), b]));
        const cell = new Map<number, { container: number; row: number; col: number; where: string }>();
        for (const r of rows) {
          const c = boxOf.get(r.n);
          if (!c || bad.has(r.n)) continue;
          const b = boxRows.get(Number(c.id));
          if (!b) continue;
          const l = layoutOf(b);
          const v = r.cells.position!.toUpperCase().replace(/\s+/g, '');
          let p: { row: number; col: number } | undefined;
          if (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= b.rows * b.cols && !(b.cols === 1 || b.rows === 1)) p = positionOf(Number(v), l);
          for (let i = 1; !p && i <= b.rows; i++) for (let j = 1; !p && j <= b.cols; j++) if (positionLabel(i, j, l).toUpperCase() === v) p = { row: i, col: j };
          if (!p) err(r.n, 'position', 'inventory.noSuchPosition', { box: b.path, rows: b.rows, cols: b.cols, value: r.cells.position });
          else cell.set(r.n, { container: Number(c.id), row: p.row, col: p.col, where: `${b.path} ${positionLabel(p.row, p.col, l)}` });
        }
        const seen = new Map<string, number>();
        for (const [n, p] of cell) {
          const k = `${p.container}:${p.row}:${p.col}`;
          if (seen.has(k)) err(n, 'position', 'inventory.sameAsRow', { row: seen.get(k), where: p.where });
          else seen.set(k, n);
        }
        const placed = [...cell.entries()].filter(([n]) => !bad.has(n));
        if (placed.length) {
          const taken = await db.raw(
            `select p.container_id, p.row, p.col from storage_position p join unnest(?::bigint[], ?::int[], ?::int[]) as x(c, r, k) on p.container_id = x.c and p.row = x.r and p.col = x.k
              where p.state <> 'empty' and not (p.state = 'reserved' and p.reserved_until < now())`,
            [placed.map(([, p]) => p.container), placed.map(([, p]) => p.row), placed.map(([, p]) => p.col)],
          );
          const takenSet = new Set(taken.rows.map((x: any) => `${x.container_id}:${x.row}:${x.col}`));
          for (const [n, p] of placed) if (takenSet.has(`${p.container}:${p.row}:${p.col}`)) err(n, 'position', 'inventory.positionTaken', { where: p.where, row: n });
        }
        // 4. batches by number, then one stock-in per batch naming its positions
        const byBatch = new Map<string, Row[]>();
        for (const r of rows) if (!bad.has(r.n) && cell.has(r.n)) byBatch.set(r.cells.batchNo!, [...(byBatch.get(r.cells.batchNo!) ?? []), r]);
        const customerIds = new Map<string, number>();
        const customerNames = [...new Set(rows.map((r) => r.cells.customer).filter((x): x is string => !!x))];
        if (customerNames.length) {
          const hits = new Map<string, Set<number>>();
          for (const k of ['customerCode', 'name']) {
            if (!api.model.entity('customer')?.fields.has(k)) continue;
            for (let i = 0; i < customerNames.length; i += 500)
              for (const c of await listAll(records, ctx, 'customer', { [k]: { in: customerNames.slice(i, i + 500) } }, ['id', k])) hits.set(c[k], new Set([...(hits.get(c[k]) ?? []), Number(c.id)]));
          }
          for (const v of customerNames) {
            const ids = hits.get(v);
            if (ids?.size === 1) customerIds.set(v, [...ids][0]);
          }
          for (const r of rows)
            if (r.cells.customer && !customerIds.has(r.cells.customer)) err(r.n, 'customer', (hits.get(r.cells.customer)?.size ?? 0) > 1 ? 'inventory.customerAmbiguous' : 'inventory.customerNotFound', { value: r.cells.customer });
        }
        const existing = new Map<string, Record<string, any>>();
        const numbers = [...byBatch.keys()];
        for (let i = 0; i < numbers.length; i += 500)
          for (const b of await listAll(records, ctx, 'cellBatch', { batchCode: { in: numbers.slice(i, i + 500) } }, ['id', 'batchCode', 'labId'])) existing.set(b.batchCode, b);
        let done = 0;
        for (const [batchNo, all] of byBatch) {
          const rs = all.filter((r) => !bad.has(r.n));
          if (!rs.length) continue;
          const first = rs[0];
          for (const r of rs.slice(1))
            for (const f of ['cellType', 'freezeDate', 'customer', 'passage', 'qcDate', 'viability', 'sterility', 'mycoplasma'] as const)
              if (r.cells[f] && first.cells[f] ? r.cells[f] !== first.cells[f] : ['qcDate', 'viability', 'sterility', 'mycoplasma'].includes(f) ? false : (r.cells[f] ?? '') !== (first.cells[f] ?? '')) err(r.n, f, 'inventory.batchMismatch', { row: first.n, batch: batchNo, column: colName(f, lang) });
          if (rs.some((r) => bad.has(r.n))) continue;
          try {
            await trx.transaction(async (sp) => {
              const rec = api.withTrx(sp);
              let batch = existing.get(batchNo);
              if (!batch)
                batch = await rec.create(ctx, 'cellBatch', {
                  cellType: first.cellType, freezeDate: first.freezeDate, vialCount: rs.length,
                  ...(first.cells.customer ? { customer: customerIds.get(first.cells.customer) } : {}),
                  ...(first.passage !== undefined ? { passage: first.passage } : {}), ...(first.cellsPerVial !== undefined ? { cellsPerVial: first.cellsPerVial } : {}),
                }, { reason: opts.reason, owner, set: { batchCode: batchNo } });
              // The intake QC the lab recorded and released on paper, as a QC record through the pipeline; the QC gate of
              // the stock-in then judges it like any other (a batch without one is refused). The gate reads approved
              // results only: the record is marked released in the legacy system, by the importing user, who must hold
              // the right to approve QC (a keeper without it cannot let stock past QC release by importing it).
              const qc = rs.find((r) => r.qcDate || r.viability !== undefined || r.sterility || r.mycoplasma);
              if (!existing.has(batchNo) && qc && api.model.entity('qcRecord')) {
                try {
                  await rec.assertAllowed(ctx, 'qcRecord', 'approve');
                  const made = await rec.create(ctx, 'qcRecord', {
                    qcType: 'stockInQc', batch: batch.id, testedAt: `${qc.qcDate ?? first.freezeDate}T00:00:00.000Z`,
                    ...(qc.viability !== undefined ? { viability: qc.viability } : {}), ...(qc.sterility ? { sterility: qc.sterility } : {}), ...(qc.mycoplasma ? { mycoplasma: qc.mycoplasma } : {}),
                    remarks: opts.reason,
                  }, { reason: opts.reason, owner });
                  await rec.update(ctx, 'qcRecord', made.id, { version: made.version }, {
                    reason: opts.reason,
                    set: { reviewStatus: 'approved', reviewedBy: ctx.actor.id, reviewedAt: new Date().toISOString(), reviewComment: t(lang, 'inventory.qcMigrated', {}) },
                  });
                } catch (x) {
                  if (!(x instanceof AppError)) throw x;
                  for (const r of rs) pipelineError(r.n, 'qcDate', x);
                  throw reported;
                }
              }
              const si = await rec.create(ctx, 'stockIn', { batch: batch.id, vialCount: rs.length, positions: rs.map((r) => ({ container: cell.get(r.n)!.container, row: cell.get(r.n)!.row, col: cell.get(r.n)!.col })), remarks: opts.reason }, { reason: opts.reason, owner });
              const withRemarks = rs.filter((r) => r.cells.remarks);
              if (withRemarks.length) {
                const vials = await listAll(rec, ctx, 'cryovial', { stockIn: si.id }, ['id', 'version', 'container', 'row', 'col']);
                for (const r of withRemarks) {
                  const p = cell.get(r.n)!;
                  const v = vials.find((x) => x.container === p.container && x.row === p.row && x.col === p.col);
                  if (v) await rec.update(ctx, 'cryovial', v.id, { version: v.version, remarks: r.cells.remarks });
                }
              }
            });
            written += rs.length;
          } catch (x) {
            if (x === reported) continue;
            if (!(x instanceof AppError)) throw x;
            for (const r of rs) pipelineError(r.n, 'batchNo', x);
          }
          done += rs.length;
          await opts.progress?.(done);
        }
        if (opts.dryRun || errors.length) throw rollback;
      });
    } catch (x) {
      if (x !== rollback) throw x;
      return { written: opts.dryRun && !errors.length ? written : 0, errors };
    }
    return { written, errors };

    function pipelineError(n: number, f: Field, x: AppError) {
      bad.add(n);
      const d = describe(x, lang);
      for (const det of d.details.length ? d.details : [{ path: '', message: d.message }])
        errors.push({ row: n, path: `/${f}`, column: colName(f, lang), message: det.path && det.message !== d.message ? `${d.message}: ${det.message}` : det.message });
    }
  };

  api.registry<Importer>(IMPORTERS).set(CELL_INVENTORY, {
    label: { 'zh-CN': MESSAGES['zh-CN']['inventory.label'], en: MESSAGES.en['inventory.label'] },
    allowed,
    async template(ctx) {
      if (!(await allowed(ctx))) throw new AppError(403, 'FORBIDDEN', 'error.forbidden');
      return inventoryWorkbook(lists(ctx.lang), ctx.lang);
    },
    parse,
    columns: (lang) => COLUMNS.map((c) => ({ field: c.field, label: lang === 'zh-CN' ? c.zh : c.en })),
    write,
  });
}

/** The sample rows of docs/examples/cell-inventory-example.xlsx: one tank, two canisters, three boxes, two batches. */
export const EXAMPLE_ROWS: Partial<Record<Field, string | number | Date>>[] = [
  { deviceCode: 'LN2-EX-01', deviceName: '液氮罐 1 号', deviceType: '液氮罐', site: '上海中心', containerPath: 'C1', box: 'B1', boxType: 'box9x9', position: 'A1', batchNo: 'UC2024-0001', cellType: '脐带间充质干细胞', freezeDate: '2024-05-06', passage: 3, cellsPerVial: 10, qcDate: '2024-05-08', viability: 95.2, sterility: '阴性', mycoplasma: '阴性' },
  { deviceCode: 'LN2-EX-01', containerPath: 'C1', box: 'B1', position: 'A2', batchNo: 'UC2024-0001', cellType: '脐带间充质干细胞', freezeDate: '2024-05-06', passage: 3, cellsPerVial: 10 },
  { deviceCode: 'LN2-EX-01', containerPath: 'C1', box: 'B1', position: 'A3', batchNo: 'UC2024-0001', cellType: '脐带间充质干细胞', freezeDate: '2024-05-06', passage: 3, cellsPerVial: 10, remarks: '标签轻微磨损' },
  { deviceCode: 'LN2-EX-01', containerPath: 'C1', box: 'B2', boxType: 'box10x10', position: 'J10', batchNo: 'NK2024-0107', cellType: 'NK细胞', freezeDate: '2024-11-20', passage: 1, qcDate: '2024-11-22', viability: 91, sterility: '阴性', mycoplasma: '阴性' },
  { deviceCode: 'LN2-EX-01', containerPath: 'C2', box: 'B1', boxType: 'box9x9', position: '81', batchNo: 'NK2024-0107', cellType: 'NK细胞', freezeDate: '2024-11-20', passage: 1 },
];
