import ExcelJS from 'exceljs';
import { createDatabase, dropDatabase } from '../support/pg';
import { create, startLabs, type Labs, type User } from '../support/labs';
import { traceChain } from '../support/trace-chain';

// The trace engine and the recall report (issue 15): a chain order → sample → culture record (two material lots, a
// room, a material usage) → culture step → batch → vials → stock-out → preparation → handover, walked up and down along
// the x-trace links of metadata; another lab's chain on the same (global) material never shows, not even counted; a
// role that may not read some entities is told how many linked records it does not see; the recall lists the products
// and patients of a lot, a batch and a room window, also as XLSX — through the real API on PostgreSQL.
jest.setTimeout(60_000);

let L: Labs;
let db: { name: string; url: string };
let dirA: User, dirB: User, techA: User, techB: User, prodA: User, noPerm: User;
const R: Record<string, any> = {};
const call = (token: string, path: string, lang?: string) => L.t.api('GET', path, { token, lang });
const now = (minutes = 0) => new Date(Date.now() + minutes * 60_000).toISOString();
const today = () => now().slice(0, 10);

beforeAll(async () => {
  db = await createDatabase('celltrace_trace');
  L = await startLabs({ databaseUrl: db.url, plugins: ['storage-slots', 'order-chain'] });
  const { org, admin, t } = L;
  techA = org.techA;
  techB = org.techB;
  dirA = await L.user('dirA', org.labA, ['labDirector']);
  dirB = await L.user('dirB', org.labB, ['labDirector']);
  const role = `productReader${org.sfx}`;
  const put = async (id: string, permissions: unknown[]) => {
    const r = await t.api('PUT', `/api/v1/meta/role/${id}`, { token: admin, body: { reason: 'test', definition: { $id: id, label: { 'zh-CN': '只读制剂', en: 'Product reader' }, permissions } } });
    if (r.status >= 300) throw new Error(JSON.stringify(r.body));
  };
  await put(role, [{ entity: 'handover', actions: ['read'] }, { entity: 'preparation', actions: ['read'] }, { entity: 'cellBatch', actions: ['read'] }, { entity: 'customer', actions: ['read'] }]);
  prodA = await L.user('prodA', org.labA, [role]);
  await put(`noAccess${org.sfx}`, []);
  noPerm = await L.user('noPerm', org.labA, [`noAccess${org.sfx}`]);
  const cat = await create(t, admin, 'materialCategory', { code: `C${org.sfx}`, name: `培养基 ${org.sfx}`, kind: 'reagent' });
  R.material = await create(t, admin, 'material', { name: `无血清培养基 ${org.sfx}`, category: cat.id, unit: 'bottle' });
  R.A = await traceChain(t, dirA.token, `A${org.sfx}`, R.material.id, dirA.id);
  R.B = await traceChain(t, dirB.token, `B${org.sfx}`, R.material.id, dirB.id);
  // A forged cross-lab link (lab B's culture names lab A's lot): the walk must still never step into lab B for lab A.
  await t.server.services.knex('culture_record').where({ id: R.B.culture.id }).update({ materials: JSON.stringify([{ lot: R.B.lot1.id, quantity: 1 }, { lot: R.A.lot1.id, quantity: 1 }]) });
}, 60_000);
afterAll(async () => {
  await L?.stop();
  if (db) await dropDatabase(db.name);
});

const keys = (r: any) => r.body.data.nodes.map((n: any) => n.key);

test('backward from a handover: every upstream record up to both material lots, room and customer, with labels and codes', async () => {
  const A = R.A;
  const r = await call(techA.token, `/api/v1/trace/handover/${A.handover.id}?direction=up`);
  expect(r.status).toBe(200);
  const k = keys(r);
  for (const [e, rec] of [['preparation', A.prep], ['stockOut', A.stockOut], ['cryovial', A.vial1], ['cellBatch', A.batch], ['cultureRecord', A.culture], ['materialUsage', A.usage],
    ['materialLot', A.lot1], ['materialLot', A.lot2], ['sample', A.sample], ['serviceOrder', A.order], ['customer', A.customer], ['room', A.room], ['material', R.material]] as [string, any][])
    expect(k).toContain(`${e}:${rec.id}`);
  // Upstream only: the other vial and the culture step are not upstream of this handover.
  expect(k).not.toContain(`cryovial:${A.vial2.id}`);
  expect(k).not.toContain(`cultureStep:${A.step.id}`);
  const lot = r.body.data.nodes.find((n: any) => n.key === `materialLot:${A.lot1.id}`);
  expect(lot).toMatchObject({ kind: '物料批次', title: A.lot1.lotNo });
  expect(lot.level).toBeLessThan(0);
  expect(r.body.data.edges).toContainEqual(expect.objectContaining({ from: `materialLot:${A.lot1.id}`, to: `cultureRecord:${A.culture.id}` }));
  expect(r.body.data.edges).toContainEqual(expect.objectContaining({ from: `materialUsage:${A.usage.id}`, to: `cultureRecord:${A.culture.id}` }));
  // Nothing of lab B, though lab B's culture names lab A's lot and both labs share the material.
  expect(JSON.stringify(r.body)).not.toContain(`B${L.org.sfx}`);
  expect(r.body.data.hidden.count).toBe(0);
  const en = await call(techA.token, `/api/v1/trace/handover/${A.handover.id}?direction=up&depth=1`, 'en');
  expect(keys(en).sort()).toEqual([`handover:${A.handover.id}`, `preparation:${A.prep.id}`].sort());
  expect(en.body.data.truncated).toBe(true);
  expect(en.body.data.nodes[0].kind).toMatch(/[A-Za-z]/);
});

test('forward from a material lot reaches the product and handover; another lab stays invisible and uncounted', async () => {
  const A = R.A;
  const r = await call(techA.token, `/api/v1/trace/materialLot/${A.lot1.id}?direction=down`);
  expect(r.status).toBe(200);
  const k = keys(r);
  for (const key of [`cultureRecord:${A.culture.id}`, `cultureStep:${A.step.id}`, `cellBatch:${A.batch.id}`, `cryovial:${A.vial2.id}`, `preparation:${A.prep.id}`, `handover:${A.handover.id}`]) expect(k).toContain(key);
  expect(k).not.toContain(`cultureRecord:${R.B.culture.id}`);
  expect(r.body.data.hidden.count).toBe(0);
  expect(r.body.data.nodes.find((n: any) => n.key === `cultureStep:${A.step.id}`)).toMatchObject({ kind: '培养步骤', title: A.step.stepNo });
  // The administrator sees the forged link into lab B.
  const adm = await call(L.admin, `/api/v1/trace/materialLot/${A.lot1.id}?direction=down`);
  expect(keys(adm)).toContain(`handover:${R.B.handover.id}`);
  // From the shared material, each lab sees its own lots only.
  const m = await call(techB.token, `/api/v1/trace/material/${R.material.id}?direction=down&depth=2`);
  expect(keys(m)).toContain(`materialLot:${R.B.lot1.id}`);
  expect(keys(m)).not.toContain(`materialLot:${A.lot1.id}`);
  expect(m.body.data.hidden.count).toBe(0);
});

test('a role that reads products only is told how many linked records of its lab it does not see, never which', async () => {
  const A = R.A;
  const r = await call(prodA.token, `/api/v1/trace/handover/${A.handover.id}?direction=up`);
  expect(r.status).toBe(200);
  const entities = new Set(r.body.data.nodes.map((n: any) => n.entity));
  expect([...entities].sort()).toEqual(['cellBatch', 'customer', 'handover', 'preparation']);
  expect(r.body.data.hidden.count).toBeGreaterThan(3);
  const text = JSON.stringify(r.body);
  for (const s of [A.lot1.lotNo, A.order.orderCode, A.culture.batchCode, A.room.name]) expect(text).not.toContain(s);
  expect(r.body.data.hidden.entities.map((x: any) => x.entity)).toContain('materialLot');
  for (const x of r.body.data.hidden.entities) expect(Object.keys(x).sort()).toEqual(['count', 'entity', 'kind']);
});

test('another lab\'s technician and a role without permission are refused without a name; bad parameters name the parameter', async () => {
  const A = R.A;
  const b = await call(techB.token, `/api/v1/trace/handover/${A.handover.id}`);
  expect(b.status).toBe(404);
  expect(JSON.stringify(b.body)).not.toContain(A.handover.handoverNo);
  const rb = await call(techB.token, `/api/v1/trace/recall?entity=materialLot&id=${A.lot1.id}`);
  expect(rb.status).toBe(404);
  expect(JSON.stringify(rb.body)).not.toContain(A.lot1.lotNo);
  const roomB = await call(techB.token, `/api/v1/trace/recall?room=${A.room.id}&from=${today()}&to=${today()}`);
  expect(roomB.status).toBe(404);
  expect((await call(noPerm.token, `/api/v1/trace/handover/${A.handover.id}`)).status).toBe(403);
  expect((await call(noPerm.token, `/api/v1/trace/recall?entity=materialLot&id=${A.lot1.id}`)).status).toBe(403);
  const bad: [string, string][] = [
    [`/api/v1/trace/handover/${A.handover.id}?direction=sideways`, '/direction'],
    [`/api/v1/trace/handover/${A.handover.id}?depth=0`, '/depth'],
    [`/api/v1/trace/handover/abc`, '/id'],
    [`/api/v1/trace/noSuchThing/1`, '/entity'],
    [`/api/v1/trace/recall`, '/entity'],
    [`/api/v1/trace/recall?entity=materialLot`, '/id'],
    [`/api/v1/trace/recall?room=${A.room.id}&from=${today()}`, '/to'],
    [`/api/v1/trace/recall?room=${A.room.id}&from=2026-13-01&to=${today()}`, '/from'],
    [`/api/v1/trace/recall?entity=materialLot&id=${A.lot1.id}&format=pdf`, '/format'],
    [`/api/v1/trace/recall?room=${A.room.id}&from=0000-01-01&to=0000-01-02`, '/from'],
    [`/api/v1/trace/recall?room=${A.room.id}&from=${today()}&to=2020-01-01`, '/to'],
  ];
  for (const [path, pointer] of bad) {
    const r = await call(techA.token, path, 'en');
    expect([path, r.status]).toEqual([path, 400]);
    expect(r.body.error.details.map((d: any) => d.path)).toContain(pointer);
    expect(r.body.error.details[0].message).toMatch(/[a-z]/);
  }
});

test('recall: from a lot, a batch and a room window, the products and patients by name; the XLSX reads back', async () => {
  const A = R.A;
  const lot = await call(techA.token, `/api/v1/trace/recall?entity=materialLot&id=${A.lot2.id}`);
  expect(lot.status).toBe(200);
  expect(lot.body.data.source).toBe(`物料批次 ${A.lot2.lotNo}`);
  expect(lot.body.data.products.map((p: any) => [p.entity, p.code, p.patient?.name ?? null, p.product])).toEqual(expect.arrayContaining([
    ['preparation', A.prep.productCode, A.customer.name, null],
    ['handover', A.handover.handoverNo, A.customer.name, A.prep.productCode],
  ]));
  expect(lot.body.data.patients).toEqual([{ id: A.customer.id, name: A.customer.name, products: 1 }]);
  const batch = await call(techA.token, `/api/v1/trace/recall?entity=cellBatch&id=${A.batch.id}`);
  expect(batch.body.data.products.map((p: any) => p.code)).toEqual(expect.arrayContaining([A.prep.productCode, A.handover.handoverNo]));
  const room = await call(techA.token, `/api/v1/trace/recall?room=${A.room.id}&from=${now(-24 * 60)}&to=${now(1)}`);
  expect(room.status).toBe(200);
  expect(room.body.data.products.map((p: any) => p.code)).toContain(A.prep.productCode);
  const past = await call(techA.token, `/api/v1/trace/recall?room=${A.room.id}&from=2020-01-01&to=2020-01-02`);
  expect(past.body.data.products).toEqual([]);
  // The administrator's recall of lab A's first lot reaches lab B's product through the forged link; lab A's does not.
  const adm = await call(L.admin, `/api/v1/trace/recall?entity=materialLot&id=${A.lot1.id}`);
  expect(adm.body.data.products.map((p: any) => p.code)).toContain(R.B.prep.productCode);
  const mine = await call(techA.token, `/api/v1/trace/recall?entity=materialLot&id=${A.lot1.id}`);
  expect(mine.body.data.products.map((p: any) => p.code)).not.toContain(R.B.prep.productCode);

  const res = await fetch(`${L.t.url}/api/v1/trace/recall?entity=materialLot&id=${A.lot1.id}&format=xlsx`, { headers: { Authorization: `Bearer ${techA.token}`, 'Accept-Language': 'en' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="recall-.*\.xlsx"/);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as any);
  const ws = wb.getWorksheet('Recalled products')!;
  const rows = ws.getSheetValues().filter(Boolean).map((r: any) => (r as any[]).slice(1).map((v) => (v == null ? '' : String(v))));
  expect(rows[0]).toEqual(['Recall of', `Material lot ${A.lot1.lotNo}`]);
  const head = rows.findIndex((r) => r[0] === 'Kind');
  expect(rows[head]).toEqual(['Kind', 'Code', 'Time', 'Product', 'Patient']);
  const body = rows.slice(head + 1);
  expect(body).toContainEqual(['Product preparation', A.prep.productCode, expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/), '', A.customer.name]);
  expect(body).toContainEqual(['Product handover', A.handover.handoverNo, expect.any(String), A.prep.productCode, A.customer.name]);
  expect(JSON.stringify(rows)).not.toContain(R.B.customer.name);
  const ps = wb.getWorksheet('Patients')!;
  expect(ps.getRow(2).values).toEqual([undefined, A.customer.name, 1]);
});
