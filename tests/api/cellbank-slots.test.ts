import { startTestServer, type TestServer } from '../support/app';
import { approvedQc, reviewQc, reviewerAdmin, type Reviewer } from '../support/qc';
import { createDatabase, dropDatabase } from '../support/pg';
import { createPluginApi } from '../../platform/plugins/host';
import slotsPlugin, { checkVacancy } from '../../plugins/storage-slots';
import { sweepExpired } from '../../plugins/storage-slots/slots';
import { waitFor } from '../support/wait';
import { ordinalOf, positionOf, positionLabel, type BoxLayout } from '../../plugins/storage-slots/layout';

/** Storage slots and QC gating end to end, on a database of its own (plugin tables + 200 parallel writers). */
let ts: TestServer;
let db: { name: string; url: string };
let token: string;
const api = (m: string, p: string, body?: unknown, lang = 'zh-CN') => ts.api(m, p, { token, body, lang });
const knex = () => ts.server.services.knex;
/** The plugin's SDK in this app instance, for calling what its jobs run. */
const slotsApi = () => createPluginApi(ts.server.services, slotsPlugin);

async function create(entity: string, body: Record<string, unknown>) {
  const r = await api('POST', `/api/v1/data/${entity}`, body);
  if (r.status !== 201) throw new Error(`${entity}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
}
/** A second person who reviews QC (the gates read only approved results; nobody approves their own). */
let reviewer: Reviewer;
const qcBody = (batch: number, qcType: string, extra: Record<string, unknown> = {}) =>
  ({ qcType, batch, testedAt: new Date().toISOString(), viability: 92, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1, ...extra });
const passQc = (batch: number, qcType = 'stockInQc', extra: Record<string, unknown> = {}) => approvedQc(ts, token, reviewer, qcBody(batch, qcType, extra));
const review = (id: number) => reviewQc(ts, token, reviewer, id);

beforeAll(async () => {
  db = await createDatabase('celltrace_cellbank');
  ts = await startTestServer({ databaseUrl: db.url, plugins: ['qc-gating', 'storage-slots'], env: { DB_POOL_MAX: '20' } });
  token = await ts.login();
  reviewer = await reviewerAdmin(ts, token);
}, 120_000);

afterAll(async () => {
  await ts?.stop();
  await dropDatabase(db.name);
});

describe('box geometry', () => {
  it('numbers every position of non-square boxes once, in every order and corner', () => {
    for (const [rows, cols] of [[8, 12], [12, 8], [1, 10], [5, 1], [9, 9], [13, 7]]) {
      for (const fillOrder of ['rowMajor', 'columnMajor'] as const) {
        for (const origin of ['topLeft', 'topRight', 'bottomLeft', 'bottomRight'] as const) {
          const l: BoxLayout = { rows, cols, fillOrder, origin };
          const seen = new Set<number>();
          for (let r = 1; r <= rows; r++)
            for (let c = 1; c <= cols; c++) {
              const o = ordinalOf(r, c, l);
              expect(o).toBeGreaterThanOrEqual(1);
              expect(o).toBeLessThanOrEqual(rows * cols);
              expect(positionOf(o, l)).toEqual({ row: r, col: c });
              seen.add(o);
            }
          expect(seen.size).toBe(rows * cols);
        }
      }
    }
    const l: BoxLayout = { rows: 8, cols: 12, fillOrder: 'columnMajor', origin: 'bottomLeft', rowLabels: 'letters', colLabels: 'numbers' };
    expect(ordinalOf(8, 1, l)).toBe(1); // bottom-left is 1
    expect(ordinalOf(7, 1, l)).toBe(2); // then up the first column
    expect(ordinalOf(8, 2, l)).toBe(9); // next column starts after 8 rows, not 12
    expect(positionLabel(8, 1, l)).toBe('A1');
  });

  it('the database numbers a column-major 8×12 box the same way, every position exactly once', async () => {
    const dev = await create('storageDevice', { code: 'T-FRZ', name: 'Test freezer', deviceType: 'freezer', site: 'SH', setTemperature: -80 });
    const type = await create('containerType', { code: 'cm8x12', name: '8×12 column-major', level: 'box', rows: 8, cols: 12, holdsVials: true, fillOrder: 'columnMajor', origin: 'bottomLeft', rowLabels: 'letters', colLabels: 'numbers' });
    const box = await create('container', { code: 'T-FRZ-B1', name: 'B1', containerType: type.id, device: dev.id });
    const rows = await knex()('storage_position').where({ container_id: box.id }).select('row', 'col', 'ordinal');
    expect(rows).toHaveLength(96);
    expect(new Set(rows.map((r: any) => r.ordinal)).size).toBe(96);
    for (const r of rows) expect(r.ordinal).toBe(ordinalOf(r.row, r.col, { rows: 8, cols: 12, fillOrder: 'columnMajor', origin: 'bottomLeft' }));
    const map = await api('GET', `/api/v1/storage/containers/${box.id}/map`);
    expect(map.status).toBe(200);
    expect(map.body.data.positions).toHaveLength(96);
    expect(map.body.data.rowHeaders[7]).toBe('A');
    const dev2 = await api('GET', `/api/v1/data/storageDevice/${dev.id}`);
    expect(dev2.body.data.capacity).toBe(96);
  });
});

describe('R-3.4.2 tank from a template', () => {
  it('builds 6 canisters × 10 layers × 10×10 boxes = 6,000 positions in one write', async () => {
    const t0 = Date.now();
    const dev = await create('storageDevice', { code: 'T-LN2-A', name: 'Tank A', deviceType: 'ln2Tank', site: 'SH', setTemperature: -190, template: 'ln2Tank6x10' });
    const ms = Date.now() - t0;
    const n = await knex()('storage_position').where({ device_id: dev.id }).count({ n: '*' }).first();
    expect(Number(n!.n)).toBe(6000);
    const containers = await knex()('container').where({ device: dev.id }).count({ n: '*' }).first();
    expect(Number(containers!.n)).toBe(6 + 60 + 60);
    const got = await api('GET', `/api/v1/data/storageDevice/${dev.id}`);
    expect(got.body.data.capacity).toBe(6000);
    const top = await api('GET', `/api/v1/storage/containers?device=${dev.id}`);
    expect(top.body.data).toHaveLength(6);
    expect(top.body.data[0]).toMatchObject({ code: 'T-LN2-A-C1', capacity: 1000, free: 1000 });
    const audits = await knex()('ct_audit').where({ entity: 'container', action: 'create' }).count({ n: '*' }).first();
    expect(Number(audits!.n)).toBeGreaterThanOrEqual(126);
    console.log(`template build of 6,000 positions: ${ms} ms`);
  });
});

describe('R-3.3.4 R-3.3.5 QC-gated stock-in and stock-out', () => {
  let tank: any;
  let batch: any;
  beforeAll(async () => {
    tank = await create('storageDevice', { code: 'T-LN2-Q', name: 'Tank Q', deviceType: 'ln2Tank', site: 'BJ', setTemperature: -190, template: 'ln2Tank6x10' });
    batch = await create('cellBatch', { cellType: 'UC-MSC', customerName: 'Test', vialCount: 6, freezeDate: '2026-11-01' });
  });

  it('refuses stock-in without QC, with failed QC; accepts after a passed one', async () => {
    const none = await api('POST', '/api/v1/data/stockIn', { batch: batch.id, vialCount: 3, device: tank.id });
    expect(none.status).toBe(422);
    expect(none.body.error.message).toContain('入库质检');
    expect(none.body.error.message).toContain(batch.batchCode);
    const en = await api('POST', '/api/v1/data/stockIn', { batch: batch.id, vialCount: 3, device: tank.id }, 'en');
    expect(en.body.error.message).toMatch(/has no approved \(reviewed\) Stock-in QC record/);

    const failed = await create('qcRecord', { qcType: 'stockInQc', batch: batch.id, testedAt: new Date().toISOString(), viability: 55, sterility: 'negative', mycoplasma: 'negative' });
    expect(failed.result).toBe('fail');
    expect(failed.deviations[0]).toMatchObject({ field: 'viability', band: 'spec' });
    // Entered but not reviewed: the gate reads only approved results, and says which record waits.
    const waiting = await api('POST', '/api/v1/data/stockIn', { batch: batch.id, vialCount: 3, device: tank.id });
    expect(waiting.status).toBe(422);
    expect(waiting.body.error.message).toContain(failed.qcNo);
    expect(waiting.body.error.message).toContain('尚未复核批准');
    await review(failed.id);
    const bad = await api('POST', '/api/v1/data/stockIn', { batch: batch.id, vialCount: 3, device: tank.id });
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toContain('不合格');
    expect(bad.body.error.message).toContain('活率');

    const ok = await create('qcRecord', qcBody(batch.id, 'stockInQc'));
    expect(ok.result).toBe('pass');
    const noPw = await api('POST', `/api/v1/data/qcRecord/${ok.id}/actions/sign`, {});
    expect(noPw.status).toBeGreaterThanOrEqual(400);
    const signed = await api('POST', `/api/v1/data/qcRecord/${ok.id}/actions/sign`, { signature: { password: 'Admin#12345' } });
    expect(signed.status).toBe(200);
    expect(signed.body.data.signedByName).toBeTruthy();
    const edited = await api('PATCH', `/api/v1/data/qcRecord/${ok.id}`, { version: signed.body.data.version, viability: 93 });
    expect(edited.body.data.signedAt).toBeNull(); // an edited result needs a new signature
    expect(edited.body.data.result).toBe('pass');
    await review(ok.id);
    const si = await create('stockIn', { batch: batch.id, vialCount: 3, device: tank.id, strategy: 'keep-together' });
    expect(si.stockInNo).toMatch(/^SI\d{9}$/);
    const vials = await knex()('cryovial').where({ stock_in: si.id }).orderBy('id');
    expect(vials).toHaveLength(3);
    const pos = await knex()('storage_position').whereIn('vial_id', vials.map((v: any) => v.id)).orderBy('ordinal');
    expect(pos.map((p: any) => p.state)).toEqual(['occupied', 'occupied', 'occupied']);
    expect(new Set(pos.map((p: any) => p.container_id)).size).toBe(1);
    expect(pos[2].ordinal - pos[0].ordinal).toBe(2); // contiguous
    const cur = await api('GET', `/api/v1/data/stockIn/${si.id}`);
    expect(cur.body.data.positionSummary).toContain('T-LN2-Q/C1/L1/B1 A1,A2,A3');
  });

  it('stock-out needs a valid release QC, then approval; executing frees the positions', async () => {
    const vials = (await api('GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: batch.id }))}&sort=id`)).body.data;
    const two = vials.slice(0, 2).map((v: any) => v.id);
    const refused = await api('POST', '/api/v1/data/stockOut', { batch: batch.id, vials: two, purpose: 'clinicalUse' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('出库检');
    const old = new Date(Date.now() - 40 * 86400_000).toISOString();
    await passQc(batch.id, 'releaseQc', { testedAt: old, viability: 95 });
    const stale = await api('POST', '/api/v1/data/stockOut', { batch: batch.id, vials: two, purpose: 'clinicalUse' });
    expect(stale.status).toBe(422);
    expect(stale.body.error.message).toContain('30');
    await passQc(batch.id, 'releaseQc');
    // Segregation of duties: the initiator may not approve its own stock-out; a second administrator does.
    const second = await api('POST', '/api/v1/admin/users', { username: 'approver2', displayName: 'Approver', password: 'Approver#12345', mustChangePassword: false, isAdmin: true });
    expect(second.status).toBe(201);
    const approver = await ts.login('approver2', 'Approver#12345');
    const so = await create('stockOut', { batch: batch.id, vials: two, purpose: 'clinicalUse' });
    expect(so.state).toBe('requested');
    // The approval flow started with the record, in its transaction (R-3.4.5 through the flow engine).
    const inst = await knex()('ct_wf_instance').where({ entity: 'stockOut', record_id: so.id }).first();
    expect(inst).toMatchObject({ flow_id: 'stockOutApproval' });
    const early = await api('POST', `/api/v1/data/stockOut/${so.id}/actions/execute`, {});
    expect(early.status).toBe(422);
    const self = await api('POST', `/api/v1/data/stockOut/${so.id}/actions/approve`, { comment: 'ok', signature: { password: 'Admin#12345' } });
    expect(self.status).toBe(403);
    const ap = await ts.api('POST', `/api/v1/data/stockOut/${so.id}/actions/approve`, { token: approver, body: { comment: 'ok', signature: { password: 'Approver#12345' } } });
    if (ap.status !== 200) throw new Error(JSON.stringify(ap.body));
    expect(ap.body.data.state).toBe('approved');
    const before = await knex()('storage_position').whereIn('vial_id', two);
    const ex = await api('POST', `/api/v1/data/stockOut/${so.id}/actions/execute`, {});
    expect(ex.status).toBe(200);
    expect(ex.body.data.state).toBe('executed');
    expect(ex.body.data.positionSummary).toContain('A1,A2');
    const after = await knex()('storage_position').whereIn('id', before.map((p: any) => p.id));
    expect(after.every((p: any) => p.state === 'empty' && p.vial_id === null)).toBe(true);
    const v0 = (await api('GET', `/api/v1/data/cryovial/${two[0]}`)).body.data;
    expect(v0).toMatchObject({ status: 'out', container: null });
    const custody = await api('GET', `/api/v1/cellbank/vials/${two[0]}/custody`);
    expect(custody.body.data.events.map((e: any) => e.kind)).toEqual(['stockIn', 'stockOut']);
    expect(custody.body.data.events[1].from).toContain('A1');
    const again = await api('POST', '/api/v1/data/stockOut', { batch: batch.id, vials: [two[0]], purpose: 'clinicalUse' });
    expect(again.status).toBe(422); // vial no longer in storage
  });

  it('moves, thaws and blocks with chain of custody; box counters stay exact', async () => {
    const vial = (await api('GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: batch.id, status: 'stored' }))}&limit=1`)).body.data[0];
    const box = vial.container;
    const mv = await create('vialMove', { vial: vial.id, toContainer: box, toRow: 5, toCol: 5, reason: 'reorganise' });
    expect(mv.moveNo).toMatch(/^MV/);
    const mvNow = (await api('GET', `/api/v1/data/vialMove/${mv.id}`)).body.data;
    expect(mvNow.toLabel).toContain('E5');
    const taken = await api('POST', '/api/v1/data/vialMove', { vial: vial.id, toContainer: box, toRow: 5, toCol: 5, reason: 'again' });
    expect(taken.status).toBe(409);
    const blk = await api('POST', `/api/v1/data/container/${box}/actions/block`, { positions: [{ row: 10, col: 10 }], blocked: true, note: 'cracked' });
    expect(blk.status).toBe(200);
    const thaw = await api('POST', `/api/v1/data/cryovial/${vial.id}/actions/thaw`, { returnToStorage: true });
    expect(thaw.body.data.freezeThawCount).toBe(1);
    const custody = (await api('GET', `/api/v1/cellbank/vials/${vial.id}/custody`)).body.data;
    expect(custody.events.map((e: any) => e.kind)).toEqual(['stockIn', 'move', 'return']);
    const b = await knex()('storage_box').where({ container_id: box }).first();
    const counts = await knex()('storage_position').where({ container_id: box }).groupBy('state').select('state', knex().raw('count(*)::int as n'));
    const c = Object.fromEntries(counts.map((x: any) => [x.state, x.n]));
    expect([b.free_count, b.occupied_count, b.blocked_count, b.reserved_count]).toEqual([c.empty ?? 0, c.occupied ?? 0, c.blocked ?? 0, c.reserved ?? 0]);
    expect(b.blocked_count).toBe(1);
  });
});

describe('concurrency and reservations', () => {
  let batch: any;
  let box: any;
  beforeAll(async () => {
    const dev = await create('storageDevice', { code: 'T-PAR', name: 'Parallel', deviceType: 'ln2Tank', site: 'SH', setTemperature: -190 });
    const type = await create('containerType', { code: 'p14x14', name: '14×14', level: 'box', rows: 14, cols: 14, holdsVials: true });
    box = await create('container', { code: 'T-PAR-B1', name: 'B1', containerType: type.id, device: dev.id });
    batch = await create('cellBatch', { cellType: 'NK', customerName: 'Parallel', vialCount: 200, freezeDate: '2026-11-01' });
    await passQc(batch.id);
  });

  it('200 parallel stock-ins into one 196-position box: 196 placed, 4 refused, nothing double-booked', async () => {
    const t0 = Date.now();
    const res = await Promise.all(
      Array.from({ length: 200 }, () => api('POST', '/api/v1/data/stockIn', { batch: batch.id, vialCount: 1, container: box.id, strategy: 'compact' })),
    );
    const ms = Date.now() - t0;
    const codes = res.map((r) => r.status).sort();
    const ok = res.filter((r) => r.status === 201).length;
    expect(ok).toBe(196);
    expect(res.filter((r) => r.status === 409).length).toBe(4);
    expect(codes.every((c) => c === 201 || c === 409)).toBe(true);
    const pos = await knex()('storage_position').where({ container_id: box.id, state: 'occupied' });
    expect(pos).toHaveLength(196);
    expect(new Set(pos.map((p: any) => p.vial_id)).size).toBe(196);
    const b = await knex()('storage_box').where({ container_id: box.id }).first();
    expect([b.free_count, b.occupied_count]).toEqual([0, 196]);
    console.log(`200 parallel stock-ins into one box: ${ms} ms`);
  });

  it('200 parallel map-clicks on the same 20 positions: each position goes to exactly one technician', async () => {
    const type = await create('containerType', { code: 'p10x10', name: '10×10', level: 'box', rows: 10, cols: 10, holdsVials: true });
    const dev = await api('GET', `/api/v1/data/storageDevice?filter=${encodeURIComponent(JSON.stringify({ code: 'T-PAR' }))}`);
    const box2 = await create('container', { code: 'T-PAR-B2', name: 'B2', containerType: type.id, device: dev.body.data[0].id });
    const res = await Promise.all(
      Array.from({ length: 200 }, (_, i) => api('POST', '/api/v1/data/stockIn', { batch: batch.id, vialCount: 1, positions: [{ container: box2.id, row: 1 + (Math.floor(i / 10) % 2), col: 1 + (i % 10) }] })),
    );
    expect(res.filter((r) => r.status === 201)).toHaveLength(20);
    expect(res.filter((r) => r.status !== 201).every((r) => r.status === 409)).toBe(true);
  });

  it('a reservation keeps a position from others until it expires', async () => {
    const type = await create('containerType', { code: 'p9x9', name: '9×9', level: 'box', rows: 9, cols: 9, holdsVials: true });
    const dev = (await api('GET', `/api/v1/data/storageDevice?filter=${encodeURIComponent(JSON.stringify({ code: 'T-PAR' }))}`)).body.data[0];
    const b3 = await create('container', { code: 'T-PAR-B3', name: 'B3', containerType: type.id, device: dev.id });
    const rec = await api('POST', '/api/v1/storage/recommend', { n: 3, container: b3.id, strategy: 'keep-together', minutes: 0.05 });
    expect(rec.status).toBe(200);
    expect(rec.body.data.positions.map((p: any) => p.label)).toEqual(['T-PAR/B3 A1', 'T-PAR/B3 A2', 'T-PAR/B3 A3']);
    const cell = { container: b3.id, row: 1, col: 1 };
    const clash = await api('POST', '/api/v1/storage/reservations', { positions: [cell] });
    expect(clash.status).toBe(409);
    const next = await api('POST', '/api/v1/storage/recommend', { n: 3, container: b3.id, reserve: false });
    expect(next.body.data.positions[0].label).toBe('T-PAR/B3 A4'); // reserved ones are skipped
    // Refused (409, nothing written) until the short reservation expires, then granted.
    const after = await waitFor(async () => {
      const r = await api('POST', '/api/v1/storage/reservations', { positions: [cell] });
      return r.status === 201 && r;
    }, { timeout: 10_000, interval: 200, message: 'reservation expired' });
    const late = await api('POST', '/api/v1/data/stockIn', { batch: batch.id, vialCount: 3, reservationToken: rec.body.data.token });
    expect(late.status).toBe(409); // the first reservation expired
    const si = await api('POST', '/api/v1/data/stockIn', { batch: batch.id, vialCount: 1, reservationToken: after.body.data.token });
    expect(si.status).toBe(201);
    // Expired reservations are swept by the minute job (and before every recommendation).
    await slotsApi().transaction((trx) => sweepExpired(slotsApi().db(trx)));
    const b = await knex()('storage_box').where({ container_id: b3.id }).first();
    expect([b.reserved_count, b.occupied_count]).toEqual([0, 1]);
  });
});

describe('reports', () => {
  it('utilisation, empty boxes, inventory, scan, labels, defragmentation plan, empty-slot warning', async () => {
    const util = await api('GET', '/api/v1/storage/utilisation');
    expect(util.status).toBe(200);
    expect(util.body.data.find((d: any) => d.code === 'T-LN2-A')).toMatchObject({ capacity: 6000, free: 6000, utilisation: 0 });
    const sites = await api('GET', '/api/v1/storage/utilisation?groupBy=site');
    expect(sites.body.data.map((s: any) => s.site).sort()).toEqual(['BJ', 'SH']);
    const empty = await api('GET', '/api/v1/storage/empty?n=50&deviceType=ln2Tank&limit=5');
    expect(empty.body.data.length).toBe(5);
    expect(empty.body.data.every((b: any) => b.free >= 50)).toBe(true);
    const inv = await api('GET', '/api/v1/cellbank/inventory?groupBy=cellType,device');
    expect(inv.status).toBe(200);
    expect(inv.body.data.find((r: any) => r.cellType === 'NK')?.vials).toBeGreaterThanOrEqual(196);
    const v = (await api('GET', '/api/v1/data/cryovial?limit=1&sort=id')).body.data[0];
    const scan = await api('GET', `/api/v1/cellbank/scan?code=${encodeURIComponent(v.vialCode)}`);
    expect(scan.body.data).toMatchObject({ entity: 'cryovial', id: v.id });
    const png = await fetch(`${ts.url}/api/v1/cellbank/vials/${v.id}/label.png`, { headers: { Authorization: `Bearer ${token}` } });
    expect(png.headers.get('content-type')).toBe('image/png');
    const svg = await ts.api('GET', `/api/v1/cellbank/vials/${v.id}/label.svg?symbology=qrcode`, { token });
    expect(String(svg.body)).toContain('<svg');
    const page = await ts.api('GET', `/api/v1/cellbank/labels?vials=${v.id}`, { token });
    expect(String(page.body)).toContain(v.vialCode);
    const plan = await api('GET', '/api/v1/storage/defrag-plan');
    expect(plan.status).toBe(200);
    expect(Array.isArray(plan.body.data.moves)).toBe(true);

    const dev = (await api('GET', `/api/v1/data/storageDevice?filter=${encodeURIComponent(JSON.stringify({ code: 'T-PAR' }))}`)).body.data[0];
    await api('PATCH', `/api/v1/data/storageDevice/${dev.id}`, { version: dev.version, vacancyThreshold: 1000 });
    const [keeper] = await knex()('ct_user').insert({ username: `keeper${Date.now()}`, display_name: '液氮库管员', password_hash: 'x', must_change_password: false }).returning('id');
    await knex()('ct_user_role').insert({ user_id: keeper.id, role: 'cryostorageKeeper' });
    expect(await checkVacancy(slotsApi())).toMatchObject({ raised: 1 });
    // the warning reaches the cryostorage keeper's inbox.
    const note = await knex()('ct_wf_notification').where({ user_id: keeper.id, kind: 'storageAlert' }).first();
    expect(note).toMatchObject({ entity: 'storageAlert' });
    expect(await checkVacancy(slotsApi())).toMatchObject({ raised: 0 });
    const alerts = await api('GET', `/api/v1/data/storageAlert?filter=${encodeURIComponent(JSON.stringify({ device: dev.id }))}`);
    expect(alerts.body.data[0]).toMatchObject({ status: 'open', threshold: 1000 });
  });
});
