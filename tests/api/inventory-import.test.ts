import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { createDatabase, dropDatabase } from '../support/pg';
import { create, startLabs, type Labs, type User } from '../support/labs';
import { waitFor } from '../support/wait';

// The cell-inventory import: devices → containers → batches → vials in the named positions, through the record
// pipeline and the storage plugin's rules; a taken or repeated position is a row error naming the row and column.
let db: { name: string; url: string };
let L: Labs;
let keeperA: User;
let sales: User;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

beforeAll(async () => {
  db = await createDatabase('ct_invimp');
  L = await startLabs({ databaseUrl: db.url });
  // The lab's keeper also records QC here: the intake QC of migrated batches is imported with them (the QC gate holds).
  keeperA = await L.user('keeperA', L.org.labA, ['cryostorageKeeper', 'qcInspector']);
  sales = L.org.salesX;
}, 60_000);
afterAll(async () => {
  await L?.stop();
  if (db) await dropDatabase(db.name);
});

const t = () => L.t;

async function template(token: string, lang = 'zh-CN') {
  const r = await fetch(`${t().url}/api/v1/import/cellInventory/template`, { headers: { Authorization: `Bearer ${token}`, 'Accept-Language': lang } });
  expect(r.status).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await r.arrayBuffer()) as any);
  return wb;
}

/** The template filled in by header (as a person would): each row an object of header → value. */
async function workbook(token: string, rows: Record<string, unknown>[], lang = 'zh-CN'): Promise<Buffer> {
  const wb = await template(token, lang);
  const ws = wb.worksheets[0];
  const heads = (ws.getRow(1).values as unknown[]).map((v) => String(v ?? '').replace(/ \*$/, ''));
  rows.forEach((r, i) => {
    for (const [h, v] of Object.entries(r)) {
      const c = heads.indexOf(h);
      if (c < 1) throw new Error(`no column ${h} in ${heads.join(',')}`);
      ws.getCell(i + 2, c).value = v as ExcelJS.CellValue;
    }
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function check(token: string, file: Buffer, lang = 'zh-CN') {
  const up = await t().api('POST', '/api/v1/import/cellInventory', { token, lang, raw: file as any, headers: { 'Content-Type': XLSX } });
  expect(up.status).toBe(202);
  return settle(token, up.body.data.id, 'checked');
}
async function settle(token: string, id: number, status: string) {
  await t().server.services.jobs.runDueOnce();
  return waitFor(async () => {
    const r = (await t().api('GET', `/api/v1/imports/${id}`, { token })).body.data;
    if (r.status === 'failed') throw new Error(`import failed: ${r.failure}`);
    return r.status === status && r;
  }, { timeout: 20_000, interval: 50, message: `import ${id} ${status}` });
}
async function commit(token: string, id: number) {
  expect((await t().api('POST', `/api/v1/imports/${id}/commit`, { token, body: {} })).status).toBe(202);
  return settle(token, id, 'committed');
}
const boxId = async (p: string) => Number((await t().server.services.knex('container').where({ path: p }).first('id')).id);
const occupied = async (token: string, id: number) => {
  const r = await t().api('GET', `/api/v1/storage/containers/${id}/map`, { token });
  expect(r.status).toBe(200);
  return Object.fromEntries(r.body.data.positions.filter((p: any) => p.state === 'occupied').map((p: any) => [p.label, p.vial?.batchCode ?? '?']));
};

it('imports a small inventory: devices, containers, batches and vials land in the named positions of the box map', async () => {
  const dev = `LN2-${L.org.sfx}`;
  const cust = await create(t(), L.org.techA.token, 'customer', { name: `库存客户${L.org.sfx}`, gender: 'F' });
  const common = { 设备编号: dev, 容器路径: 'C1/R1', 细胞类型: '脐带间充质干细胞', 冻存日期: '2024-05-06', 代次: 3 };
  const qc = { 入库质检日期: '2024-05-08', '活率(%)': 94, 无菌: '阴性', 支原体: '阴性' };
  const file = await workbook(keeperA.token, [
    { ...common, 设备名称: '导入液氮罐', 设备类型: '液氮罐', 存储中心: '上海中心', 冻存盒: 'B1', 盒规格: 'box9x9', 位置: 'A1', 批号: `LEG-${L.org.sfx}-1`, 客户: cust.customerCode, ...qc },
    { ...common, 冻存盒: 'B1', 位置: 'A2', 批号: `LEG-${L.org.sfx}-1`, 客户: cust.customerCode, 备注: '标签磨损' },
    { ...common, 冻存盒: 'B1', 位置: 'b5', 批号: `LEG-${L.org.sfx}-1`, 客户: cust.customerCode },
    { ...common, 细胞类型: 'NK细胞', 冻存盒: 'B2', 盒规格: 'box10x10', 位置: 'J10', 批号: `LEG-${L.org.sfx}-2`, ...qc },
    { ...common, 细胞类型: 'NK细胞', 冻存盒: 'B2', 位置: '1', 批号: `LEG-${L.org.sfx}-2` },
  ].map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))));
  const checked = await check(keeperA.token, file);
  expect(checked.errors).toEqual([]);
  expect(checked.total).toBe(5);
  // The check (a trial write, rolled back) left nothing behind.
  expect(await t().server.services.knex('storage_device').where({ code: dev }).first()).toBeUndefined();
  const done = await commit(keeperA.token, checked.id);
  expect(done.imported).toBe(5);

  const b1 = await boxId(`${dev}/C1/R1/B1`);
  const b2 = await boxId(`${dev}/C1/R1/B2`);
  expect(await occupied(keeperA.token, b1)).toEqual({ A1: `LEG-${L.org.sfx}-1`, A2: `LEG-${L.org.sfx}-1`, B5: `LEG-${L.org.sfx}-1` });
  expect(await occupied(keeperA.token, b2)).toEqual({ A1: `LEG-${L.org.sfx}-2`, J10: `LEG-${L.org.sfx}-2` });
  // Everything belongs to lab A, through the pipeline (numbered vials, the batch keeps the customer's number).
  const knex = t().server.services.knex;
  const batch = await knex('cell_batch').where({ batch_code: `LEG-${L.org.sfx}-1` }).first();
  expect([batch.lab_id, Number(batch.customer_id ?? batch.customer), batch.vial_count]).toEqual([L.org.labA, cust.id, 3]);
  const vials = (await t().api('GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: batch.id }))}&fields=vialCode,positionLabel,remarks,labId`, { token: keeperA.token })).body.data;
  expect(vials.map((v: any) => v.positionLabel).sort()).toEqual([`${dev}/C1/R1/B1 A1`, `${dev}/C1/R1/B1 A2`, `${dev}/C1/R1/B1 B5`]);
  expect(vials.every((v: any) => v.vialCode && v.labId === L.org.labA)).toBe(true);
  expect(vials.find((v: any) => v.positionLabel.endsWith('A2')).remarks).toBe('标签磨损');
  // The paper intake QC came in as released in the legacy system, approved by the importer (who holds the right).
  const qcs = (await t().api('GET', `/api/v1/data/qcRecord?filter=${encodeURIComponent(JSON.stringify({ batch: batch.id }))}`, { token: keeperA.token })).body.data;
  expect(qcs).toHaveLength(1);
  expect(qcs[0]).toMatchObject({ qcType: 'stockInQc', result: 'pass', reviewStatus: 'approved', reviewedBy: keeperA.id, reviewComment: '历史数据迁移：原系统已放行，随库存导入' });
  // Lab B sees none of it.
  expect((await t().api('GET', `/api/v1/storage/containers/${b1}/map`, { token: L.org.techB.token })).status).toBe(404);
}, 60_000);

it('a taken or repeated position is refused with the row and column named (zh-CN and en); nothing is written', async () => {
  const dev = `LN2-${L.org.sfx}`;
  const rows = [
    { 设备编号: dev, 容器路径: 'C1/R1', 冻存盒: 'B1', 位置: 'A1', 批号: `NEW-${L.org.sfx}`, 细胞类型: '脐带间充质干细胞', 冻存日期: '2025-01-02' },
    { 设备编号: dev, 容器路径: 'C1/R1', 冻存盒: 'B1', 位置: 'C3', 批号: `NEW-${L.org.sfx}`, 细胞类型: '脐带间充质干细胞', 冻存日期: '2025-01-02' },
    { 设备编号: dev, 容器路径: 'C1/R1', 冻存盒: 'B1', 位置: 'c3', 批号: `NEW-${L.org.sfx}`, 细胞类型: '脐带间充质干细胞', 冻存日期: '2025-01-02' },
    { 设备编号: dev, 容器路径: 'C1/R1', 冻存盒: 'B1', 位置: 'Z99', 批号: `NEW-${L.org.sfx}`, 细胞类型: '脐带间充质干细胞', 冻存日期: '2025-01-02' },
  ];
  const before = await occupied(keeperA.token, await boxId(`${dev}/C1/R1/B1`));
  const zh = await check(keeperA.token, await workbook(keeperA.token, rows));
  const msgs = zh.errors.map((e: any) => `${e.row} ${e.path} ${e.column}: ${e.message}`);
  expect(msgs).toEqual([
    `2 /position 位置: 位置 ${dev}/C1/R1/B1 A1 已有冻存管或不可用（第 2 行）`,
    // The row whose position is fine meets the stock-in's QC gate: a migrated batch needs its intake QC too.
    `3 /batchNo 批号: 入库前须有经复核批准的合格入库质检：冻存批次 NEW-${L.org.sfx} 没有经复核批准的入库质检记录`,
    `4 /position 位置: 与第 3 行是同一位置（${dev}/C1/R1/B1 C3）`,
    `5 /position 位置: 冻存盒“${dev}/C1/R1/B1”（9×9）中没有位置“Z99”`,
  ]);
  const c = await t().api('POST', `/api/v1/imports/${zh.id}/commit`, { token: keeperA.token, body: {} });
  expect(c.status).toBe(409);
  const en = await check(keeperA.token, await workbook(keeperA.token, rows.slice(0, 1).map((r) => ({ 'Device code': r.设备编号, 'Container path': r.容器路径, Box: r.冻存盒, Position: r.位置, 'Batch number': r.批号, 'Cell type': 'NK cells', 'Freeze date': r.冻存日期 })), 'en'), 'en');
  expect(en.errors.map((e: any) => `${e.row} ${e.column}: ${e.message}`)).toEqual(expect.arrayContaining([`2 Position: Position ${dev}/C1/R1/B1 A1 already holds a vial or is not available (row 2)`]));
  expect(await occupied(keeperA.token, await boxId(`${dev}/C1/R1/B1`))).toEqual(before);
  expect(await t().server.services.knex('cell_batch').where({ batch_code: `NEW-${L.org.sfx}` }).first()).toBeUndefined();
}, 60_000);

it('a keeper without the right to approve QC cannot bring stock past QC release by importing its intake QC', async () => {
  const keeperOnly = await L.user('keeperOnly', L.org.labA, ['cryostorageKeeper']);
  const dev = `LN2-${L.org.sfx}`;
  const row = { 设备编号: dev, 容器路径: 'C1/R1', 冻存盒: 'B1', 位置: 'H9', 批号: `NOQC-${L.org.sfx}`, 细胞类型: '脐带间充质干细胞', 冻存日期: '2025-01-02', 入库质检日期: '2025-01-03', '活率(%)': 95, 无菌: '阴性', 支原体: '阴性' };
  const r = await check(keeperOnly.token, await workbook(keeperOnly.token, [row]));
  expect(r.errorCount).toBe(1);
  expect(r.errors[0]).toMatchObject({ row: 2, path: '/qcDate' });
  expect((await t().api('POST', `/api/v1/imports/${r.id}/commit`, { token: keeperOnly.token, body: {} })).status).toBe(409);
  expect(await t().server.services.knex('cell_batch').where({ batch_code: `NOQC-${L.org.sfx}` }).first()).toBeUndefined();
}, 60_000);

it('another lab\'s technician cannot import into lab A\'s devices; a role without cell-bank rights cannot import at all', async () => {
  const dev = `LN2-${L.org.sfx}`;
  const b1 = await boxId(`${dev}/C1/R1/B1`);
  const before = await occupied(keeperA.token, b1);
  const techB = L.org.techB;
  const row = { 设备编号: dev, 容器路径: 'C1/R1', 冻存盒: 'B1', 位置: 'H8', 批号: `B-${L.org.sfx}`, 细胞类型: '脐带间充质干细胞', 冻存日期: '2025-01-02' };
  // Lab A's device is not found for lab B (no hint that it exists) …
  const r1 = await check(techB.token, await workbook(techB.token, [row]));
  expect(r1.errors.map((e: any) => `${e.row} ${e.path} ${e.message}`)).toEqual([`2 /deviceCode 找不到编号为“${dev}”的设备；新建设备请填写设备名称、设备类型和存储中心`]);
  // … and naming it as a new device does not reach lab A's boxes either: the code is taken, the row is refused.
  const r2 = await check(techB.token, await workbook(techB.token, [{ ...row, 设备名称: '冒用', 设备类型: '液氮罐', 存储中心: '上海中心', 盒规格: 'box9x9' }]));
  expect(r2.errorCount).toBeGreaterThan(0);
  expect(r2.errors.every((e: any) => e.row === 2)).toBe(true);
  expect((await t().api('POST', `/api/v1/imports/${r2.id}/commit`, { token: techB.token, body: {} })).status).toBe(409);
  expect(await occupied(keeperA.token, b1)).toEqual(before);
  // An administrator importing into lab B cannot use lab A's device either.
  const r3 = await t().api('POST', `/api/v1/import/cellInventory?labId=${L.org.labB}`, { token: L.admin, raw: (await workbook(L.admin, [row])) as any, headers: { 'Content-Type': XLSX } });
  const s3 = await settle(L.admin, r3.body.data.id, 'checked');
  expect(s3.errors.map((e: any) => e.message)).toEqual([`设备“${dev}”不属于导入的实验室`]);

  // Sales has no cell-bank rights: not offered, no template, no upload.
  const kinds = (await t().api('GET', '/api/v1/import/entities', { token: sales.token })).body.data.map((k: any) => k.entity);
  expect(kinds).not.toContain('cellInventory');
  expect((await t().api('GET', '/api/v1/import/entities', { token: keeperA.token })).body.data.map((k: any) => k.entity)).toContain('cellInventory');
  expect((await t().api('GET', '/api/v1/import/cellInventory/template', { token: sales.token })).status).toBe(403);
  const up = await t().api('POST', '/api/v1/import/cellInventory', { token: sales.token, raw: (await workbook(keeperA.token, [row])) as any, headers: { 'Content-Type': XLSX } });
  expect(up.status).toBe(403);
}, 60_000);

it('the example workbook shipped in docs/examples checks clean', async () => {
  const file = fs.readFileSync(path.resolve(__dirname, '../../docs/examples/cell-inventory-example.xlsx'));
  const r = await check(keeperA.token, file);
  expect([r.total, r.errors]).toEqual([5, []]);
}, 30_000);
