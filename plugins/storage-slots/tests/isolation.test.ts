import { startTestServer, type TestServer } from '../../../tests/support/app';
import { approvedQc, reviewerAdmin, type Reviewer } from '../../../tests/support/qc';
import { createDatabase, dropDatabase } from '../../../tests/support/pg';
import { orgFixture } from '../../../tests/api/auth-fixtures';

// Lab isolation of the storage-slots plugin (issue 10): a technician of lab B against lab A's tanks, boxes and vials,
// and a tank built from a template by a lab's own technician.
let t: TestServer;
let db: { name: string; url: string };
let admin: string;
let fx: Awaited<ReturnType<typeof orgFixture>>;
let tankA: any;
let tankB: any;
let boxA: number;
let batchA: any;
let batchB: any;
let looseBox: any;

const knex = () => t.server.services.knex;
async function mk(token: string, entity: string, body: Record<string, unknown>) {
  const r = await t.api('POST', `/api/v1/data/${entity}`, { token, body });
  if (r.status !== 201) throw new Error(`${entity}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
}
let reviewer: Reviewer;
const passQc = (batch: number) =>
  approvedQc(t, admin, reviewer, { qcType: 'stockInQc', batch, testedAt: new Date().toISOString(), viability: 92, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1 });
const vialsOf = async (stockIn: number) => knex()('cryovial').where({ stock_in: stockIn }).select('id', 'device', 'container', 'lab_id');

beforeAll(async () => {
  db = await createDatabase('celltrace_slots_isolation');
  t = await startTestServer({ databaseUrl: db.url, plugins: ['qc-gating', 'storage-slots'] });
  admin = await t.login();
  reviewer = await reviewerAdmin(t, admin);
  fx = await orgFixture(t, admin);
  tankA = await mk(fx.techA.token, 'storageDevice', { code: `A-LN2-${fx.sfx}`, name: 'Tank A', deviceType: 'ln2Tank', site: 'SH', setTemperature: -190, template: 'ln2Tank6x10' });
  tankB = await mk(fx.techB.token, 'storageDevice', { code: `B-LN2-${fx.sfx}`, name: 'Tank B', deviceType: 'ln2Tank', site: 'SH', setTemperature: -190, template: 'ln2Tank6x10' });
  batchA = await mk(fx.techA.token, 'cellBatch', { cellType: 'NK', customerName: `Alice-${fx.sfx}`, vialCount: 20, freezeDate: '2026-11-01' });
  batchB = await mk(fx.techB.token, 'cellBatch', { cellType: 'NK', customerName: `Bob-secret-${fx.sfx}`, vialCount: 20, freezeDate: '2026-11-01' });
  await passQc(batchA.id);
  await passQc(batchB.id);
  // Lab A's first box gets 3 vials, so it is fuller (a better candidate) than any box of lab B.
  const si = await mk(fx.techA.token, 'stockIn', { batch: batchA.id, vialCount: 3, strategy: 'compact' });
  boxA = (await vialsOf(si.id))[0].container;
  // A box of no lab (the administrator's), fuller still: 81 positions.
  const freezer = await mk(admin, 'storageDevice', { code: `X-FRZ-${fx.sfx}`, name: 'No-lab freezer', deviceType: 'ln2Tank', site: 'SH', setTemperature: -190 });
  const type = await mk(admin, 'containerType', { code: `t9-${fx.sfx}`, name: '9×9', level: 'box', rows: 9, cols: 9, holdsVials: true });
  looseBox = await mk(admin, 'container', { code: `X-FRZ-${fx.sfx}-B1`, name: 'B1', containerType: type.id, device: freezer.id });
}, 120_000);

afterAll(async () => {
  await t?.stop();
  if (db) await dropDatabase(db.name);
});

describe('R-3.4.2 a lab technician builds a tank from a template', () => {
  it('creates the shared container types once and every container in the tank\'s lab, audited', async () => {
    const cap = async (token: string, id: number) => (await t.api('GET', `/api/v1/data/storageDevice/${id}`, { token })).body.data.capacity;
    expect(await cap(fx.techA.token, tankA.id)).toBe(6000);
    expect(await cap(fx.techB.token, tankB.id)).toBe(6000); // the second build reuses the types the first one created (no 409)
    const rows = await knex()('container').where({ device: tankA.id }).select('lab_id', 'org_id', 'created_by');
    expect(rows).toHaveLength(126);
    expect(rows.every((r: any) => Number(r.lab_id) === fx.labA && Number(r.created_by) === fx.techA.id)).toBe(true);
    const types = await knex()('container_type').whereIn('code', ['canister', 'layer', 'box10x10']).select('code', 'lab_id');
    expect(types.map((x: any) => [x.code, x.lab_id]).sort()).toEqual([['box10x10', null], ['canister', null], ['layer', null]]);
    const audits = await knex()('ct_audit').where({ entity: 'container', action: 'create' }).whereIn('record_id', knex()('container').where({ device: tankA.id }).select('id')).count({ n: '*' }).first();
    expect(Number(audits!.n)).toBe(126);
    // Lab A sees its tree; lab B does not.
    const top = await t.api('GET', `/api/v1/storage/containers?device=${tankA.id}`, { token: fx.techA.token });
    expect(top.body.data).toHaveLength(6);
    expect(top.body.data[0]).toMatchObject({ level: 'canister', typeCode: 'canister', capacity: 1000 });
    const other = await t.api('GET', `/api/v1/storage/containers?device=${tankA.id}`, { token: fx.techB.token });
    expect(other.body.data).toEqual([]);
  });
});

describe('lab B cannot reserve, recommend or stock into lab A\'s boxes', () => {
  it('reserving a cell of lab A answers like a cell that does not exist', async () => {
    const foreign = await t.api('POST', '/api/v1/storage/reservations', { token: fx.techB.token, body: { positions: [{ container: boxA, row: 9, col: 9 }] } });
    const missing = await t.api('POST', '/api/v1/storage/reservations', { token: fx.techB.token, body: { positions: [{ container: 999999999, row: 9, col: 9 }] } });
    expect(foreign.status).toBe(400);
    const same = (r: any) => ({ status: r.status, error: { ...r.body.error, requestId: undefined } });
    expect(same(foreign)).toEqual(same(missing));
    expect(foreign.body.error.details[0].path).toBe('/positions');
    const own = await t.api('POST', '/api/v1/storage/reservations', { token: fx.techA.token, body: { positions: [{ container: boxA, row: 9, col: 9 }], minutes: 0.05 } });
    expect(own.status).toBe(201);
    await t.api('DELETE', `/api/v1/storage/reservations/${own.body.data.token}`, { token: fx.techA.token });
  });

  it('recommendations never offer lab A\'s or no lab\'s boxes', async () => {
    for (const body of [{ container: boxA }, { device: tankA.id }, { container: looseBox.id }]) {
      const r = await t.api('POST', '/api/v1/storage/recommend', { token: fx.techB.token, body: { n: 1, strategy: 'compact', reserve: false, ...body } });
      expect([JSON.stringify(body), r.status, r.body.error.code]).toEqual([JSON.stringify(body), 409, 'NO_SPACE']);
    }
    const free = await t.api('POST', '/api/v1/storage/recommend', { token: fx.techB.token, body: { n: 2, strategy: 'compact', reserve: false } });
    expect(free.status).toBe(200);
    expect(free.body.data.positions.every((p: any) => p.device === tankB.id)).toBe(true);
  });

  it('a stock-in naming lab A\'s cells or box is refused and writes nothing', async () => {
    const before = await knex()('storage_position').where({ container_id: boxA }).where('state', '!=', 'empty').count({ n: '*' }).first();
    const cells = await t.api('POST', '/api/v1/data/stockIn', { token: fx.techB.token, body: { batch: batchB.id, vialCount: 1, positions: [{ container: boxA, row: 9, col: 9 }] } });
    expect(cells.status).toBe(400);
    expect(cells.body.error.details[0].path).toBe('/positions');
    const box = await t.api('POST', '/api/v1/data/stockIn', { token: fx.techB.token, body: { batch: batchB.id, vialCount: 1, container: boxA } });
    expect([box.status, box.body.error.details[0].path]).toEqual([400, '/container']);
    const after = await knex()('storage_position').where({ container_id: boxA }).where('state', '!=', 'empty').count({ n: '*' }).first();
    expect(after).toEqual(before);
    expect(await knex()('cryovial').where({ batch: batchB.id }).first('id')).toBeUndefined();
  });

  it('a stock-in without a device lands in a box of its own lab, also when the system or an administrator stocks in', async () => {
    const si = await mk(fx.techB.token, 'stockIn', { batch: batchB.id, vialCount: 2, strategy: 'compact' });
    const vials = await vialsOf(si.id);
    expect(vials.map((v: any) => [v.device, Number(v.lab_id)])).toEqual([[tankB.id, fx.labB], [tankB.id, fx.labB]]);
    // The administrator has no lab: the batch's lab decides (not the fuller no-lab box, not lab A).
    const byAdmin = await mk(admin, 'stockIn', { batch: batchB.id, vialCount: 1, strategy: 'compact' });
    expect((await vialsOf(byAdmin.id)).map((v: any) => [v.device, Number(v.lab_id)])).toEqual([[tankB.id, fx.labB]]);
    expect(Number((await knex()('storage_box').where({ container_id: looseBox.id }).first('free_count')).free_count)).toBe(81);
  });
});

describe('reports and maps show only what the caller may read', () => {
  it('the empty-slot list and the defragmentation plan leave out lab A\'s boxes and vials', async () => {
    const aBoxes = new Set((await knex()('storage_box').where({ device_id: tankA.id }).select('container_id')).map((b: any) => Number(b.container_id)));
    const empty = await t.api('GET', '/api/v1/storage/empty?n=1&limit=500', { token: fx.techB.token });
    expect(empty.status).toBe(200);
    expect(empty.body.data.length).toBeGreaterThan(0);
    expect(empty.body.data.every((b: any) => b.device === tankB.id)).toBe(true);
    const plan = await t.api('GET', '/api/v1/storage/defrag-plan', { token: fx.techB.token });
    expect(plan.status).toBe(200);
    const named = [...plan.body.data.moves.flatMap((m: any) => [m.from.container, m.to.container]), ...plan.body.data.emptiedBoxes];
    expect(named.filter((c: number) => aBoxes.has(c))).toEqual([]);
    expect(JSON.stringify(plan.body)).not.toContain(tankA.code);
    // Lab A's own plan does see its box (the test would pass vacuously otherwise).
    const ownEmpty = await t.api('GET', '/api/v1/storage/empty?n=1&limit=500', { token: fx.techA.token });
    expect(ownEmpty.body.data.some((b: any) => b.container === boxA)).toBe(true);
    const util = await t.api('GET', '/api/v1/storage/utilisation', { token: fx.techB.token });
    expect(util.body.data.map((d: any) => d.code)).toEqual([tankB.code]);
  });

  it('a box map shows a vial of another lab as occupied, without its code, batch or customer', async () => {
    // A lab B vial that (through a data fix) sits in lab A's box.
    const vial = await knex()('cryovial').where({ batch: batchB.id }).first('id');
    const [pos] = await knex()('storage_position').where({ vial_id: vial.id }).update({ state: 'empty', vial_id: null, batch_id: null }).returning('id');
    await knex()('storage_position').where({ container_id: boxA, row: 10, col: 10 }).update({ state: 'occupied', vial_id: vial.id, batch_id: batchB.id });
    try {
      const map = await t.api('GET', `/api/v1/storage/containers/${boxA}/map`, { token: fx.techA.token });
      expect(map.status).toBe(200);
      const cell = map.body.data.positions.find((p: any) => p.row === 10 && p.col === 10);
      expect(cell.state).toBe('occupied');
      expect(cell.vial).toBeUndefined();
      expect(JSON.stringify(map.body)).not.toContain('Bob-secret');
      expect(JSON.stringify(map.body)).not.toContain(batchB.batchCode);
      // The own vials keep their details; the administrator sees the foreign one.
      expect(map.body.data.positions.find((p: any) => p.row === 1 && p.col === 1).vial).toMatchObject({ batchCode: batchA.batchCode, customerName: `Alice-${fx.sfx}` });
      const adm = await t.api('GET', `/api/v1/storage/containers/${boxA}/map`, { token: admin });
      expect(adm.body.data.positions.find((p: any) => p.row === 10 && p.col === 10).vial).toMatchObject({ customerName: `Bob-secret-${fx.sfx}` });
      // Lab B cannot open lab A's box at all.
      expect((await t.api('GET', `/api/v1/storage/containers/${boxA}/map`, { token: fx.techB.token })).status).toBe(404);
      const inv = await t.api('GET', '/api/v1/cellbank/inventory?groupBy=customer,device', { token: fx.techA.token });
      expect(inv.status).toBe(200);
      expect(JSON.stringify(inv.body)).not.toContain('Bob-secret');
      expect(inv.body.data).toEqual([{ customer: `Alice-${fx.sfx}`, device: tankA.code, vials: 3, batches: 1 }]);
    } finally {
      await knex()('storage_position').where({ container_id: boxA, row: 10, col: 10 }).update({ state: 'empty', vial_id: null, batch_id: null });
      await knex()('storage_position').where({ id: pos.id }).update({ state: 'occupied', vial_id: vial.id, batch_id: batchB.id });
    }
  });

  it('R-3.4.2 the empty-slot warning belongs to the lab of the device and reaches only the keepers of that lab', async () => {
    const keeperA = await fx.user('keeperA', fx.labA, ['cryostorageKeeper']);
    const keeperB = await fx.user('keeperB', fx.labB, ['cryostorageKeeper']);
    const dev = (await t.api('GET', `/api/v1/data/storageDevice/${tankA.id}`, { token: fx.techA.token })).body.data;
    const upd = await t.api('PATCH', `/api/v1/data/storageDevice/${tankA.id}`, { token: fx.techA.token, body: { version: dev.version, vacancyThreshold: 10000 } });
    expect(upd.status).toBe(200);
    // The hourly job, run now.
    const jobs = t.server.services.jobs;
    await jobs.enqueue('storage-slots.vacancy', {});
    expect(await jobs.runDueOnce()).toBeGreaterThanOrEqual(1);
    const notes = await knex()('ct_wf_notification').where({ kind: 'storageAlert' }).select('user_id');
    expect(notes.map((n: any) => Number(n.user_id))).toContain(keeperA.id);
    expect(notes.map((n: any) => Number(n.user_id))).not.toContain(keeperB.id);
    const filter = encodeURIComponent(JSON.stringify({ device: tankA.id }));
    expect((await t.api('GET', `/api/v1/data/storageAlert?filter=${filter}`, { token: fx.techA.token })).body.data).toHaveLength(1);
    expect((await t.api('GET', `/api/v1/data/storageAlert?filter=${filter}`, { token: fx.techB.token })).body.data).toHaveLength(0);
  });
});
