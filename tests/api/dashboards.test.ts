import ExcelJS from 'exceljs';
import { create, orderFor, startLabs, type Labs, type User } from '../support/labs';
import { groupFilter, resolveFilter } from '../../platform/dashboards/evaluate';
import dayjs from 'dayjs';

// Dashboards and reports as metadata (issue 15 items 3 and 4): meta-schema and cross-checks, every shipped dashboard
// evaluates, tiles count only the caller's lab, a tile over an entity the role may not read is unavailable (no data),
// reports as grouped tables and as XLSX with labels.
let L: Labs;
let dirA: User;
let dirB: User;
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  L = await startLabs();
  const { t, org } = L;
  dirA = await L.user('dirA', org.labA, ['labDirector']);
  dirB = await L.user('dirB', org.labB, ['labDirector']);
  const custA = await create(t, org.techA.token, 'customer', { name: '王芳' });
  const custB = await create(t, org.techB.token, 'customer', { name: '李娜' });
  const culture = async (tech: User, cust: any, n: number) => {
    for (let i = 0; i < n; i++)
      await create(t, tech.token, 'cultureRecord', { customer: cust.id, order: await orderFor(t, cust.id), cellKind: 'stem', cultureDate: today, totalCells: 10, viability: 90, passage: 1 });
  };
  await culture(org.techA, custA, 3);
  await culture(org.techB, custB, 1);
}, 90_000);
afterAll(async () => {
  await L?.stop();
});

const data = (token: string, id: string, lang?: string) => L.t.api('GET', `/api/v1/dashboards/${id}/data`, { token, lang });
const tile = (body: any, key: string) => body.data.tiles.find((x: any) => x.key === key);
const sum = (rows: any[]) => rows.reduce((a, r) => a + (r.value ?? 0), 0);

test('the meta-schema and the cross-checks refuse a bad tile with a pointer', async () => {
  const put = (definition: unknown) => L.t.api('PUT', `/api/v1/meta/dashboard/bad${L.org.sfx}`, { token: L.admin, body: { reason: 'test', definition } });
  const base = { $id: `bad${L.org.sfx}`, label: { 'zh-CN': '坏看板' } };
  const chart = await put({ ...base, tiles: [{ key: 'a', title: { 'zh-CN': 'A' }, chart: 'donut', query: { entity: 'labTask' } }] });
  expect(chart.status).toBe(400);
  expect(chart.body.error.details.map((d: any) => d.path)).toContain('/definition/tiles/0/chart');
  const entity = await put({ ...base, tiles: [{ key: 'a', title: { 'zh-CN': 'A' }, chart: 'number', query: { entity: 'nothingHere' } }] });
  expect(entity.status).toBe(400);
  expect(entity.body.error.details[0].path).toBe('/definition/tiles/0/query/entity');
  const field = await put({ ...base, tiles: [{ key: 'a', title: { 'zh-CN': 'A' }, chart: 'bar', query: { entity: 'labTask', groupBy: ['nope'], filter: { statez: 'open' } } }] });
  expect(field.status).toBe(400);
  expect(field.body.error.details.map((d: any) => d.path).sort()).toEqual(['/definition/tiles/0/query/filter/statez', '/definition/tiles/0/query/groupBy/0']);
  const measure = await put({ ...base, tiles: [{ key: 'a', title: { 'zh-CN': 'A' }, chart: 'number', query: { entity: 'labTask', measure: 'sum:taskType' } }] });
  expect(measure.body.error.details[0].path).toBe('/definition/tiles/0/query/measure');
  const report = await L.t.api('PUT', `/api/v1/meta/report/bad${L.org.sfx}`, {
    token: L.admin,
    body: { reason: 'test', definition: { $id: `bad${L.org.sfx}`, label: { 'zh-CN': '坏报表' }, entity: 'cultureRecord', rows: ['operator'], measures: [{ key: 'r', label: { 'zh-CN': '率' }, ratio: ['x', 'y'] }], period: { field: 'viability' } } },
  });
  expect(report.status).toBe(400);
  expect(report.body.error.details.map((d: any) => d.path)).toEqual(expect.arrayContaining(['/definition/measures/0/ratio/0', '/definition/period/field']));
});

test('every shipped dashboard evaluates: all tiles answer for an administrator', async () => {
  const list = await L.t.api('GET', '/api/v1/dashboards', { token: L.admin });
  const ids = list.body.data.map((d: any) => d.id);
  expect(ids).toEqual(expect.arrayContaining(['labDirector', 'management', 'technician', 'qcLead', 'inventoryKeeper']));
  for (const id of ['labDirector', 'management', 'technician', 'qcLead', 'inventoryKeeper']) {
    const r = await data(L.admin, id);
    expect(r.status).toBe(200);
    const bad = r.body.data.tiles.filter((x: any) => x.status !== 'ok');
    expect(bad).toEqual([]);
    for (const x of r.body.data.tiles) expect(x.drill.entity).toBeTruthy();
  }
});

test('the home page dashboard follows the role; a role not named may not open another\'s dashboard', async () => {
  expect((await L.t.api('GET', '/api/v1/dashboards', { token: dirA.token })).body.home).toBe('labDirector');
  const tech = await L.t.api('GET', '/api/v1/dashboards', { token: L.org.techA.token });
  expect(tech.body.home).toBe('technician');
  expect(tech.body.data.map((d: any) => d.id)).not.toContain('management');
  expect((await data(L.org.techA.token, 'management')).status).toBe(403);
  expect((await data(L.org.techA.token, 'nothingHere')).status).toBe(404);
});

test('tiles count only the caller\'s lab: lab B\'s director and technician never see lab A\'s work', async () => {
  const a = await data(dirA.token, 'labDirector');
  const wa = tile(a.body, 'workloadByTechnician');
  expect(wa.status).toBe('ok');
  expect(wa.rows).toEqual([expect.objectContaining({ groups: [{ value: L.org.techA.id, label: 'techA' }], value: 3 })]);
  // The drill-down is the tile's filter plus the clicked group: the list it opens shows exactly these records.
  const list = await L.t.api('GET', `/api/v1/data/cultureRecord?count=true&filter=${encodeURIComponent(JSON.stringify(wa.rows[0].filter))}`, { token: dirA.token });
  expect(list.body.page.total).toBe(3);
  expect(wa.drill).toMatchObject({ entity: 'cultureRecord', list: 'cultureRecord' });

  const b = await data(dirB.token, 'labDirector');
  expect(tile(b.body, 'workloadByTechnician').rows).toEqual([expect.objectContaining({ groups: [{ value: L.org.techB.id, label: 'techB' }], value: 1 })]);
  const tb = await data(L.org.techB.token, 'technician');
  expect(sum(tile(tb.body, 'labRecentCultures').rows)).toBe(1);
  expect(tile(tb.body, 'myCulturesThisMonth').value).toBe(1);
  const ta = await data(L.org.techA.token, 'technician', 'en');
  expect(sum(tile(ta.body, 'labRecentCultures').rows)).toBe(3);
  // Management sees every lab side by side, named.
  const m = await data(L.org.mgmt.token, 'management');
  const byLab = tile(m.body, 'workloadByLab').rows.filter((r: any) => [L.org.labA, L.org.labB].includes(r.groups[0].value));
  expect(byLab.map((r: any) => [r.groups[0].label, r.value]).sort()).toEqual([[`LA ${L.org.sfx}`, 3], [`LB ${L.org.sfx}`, 1]]);
});

test('a tile over an entity the role may not read is marked unavailable, with no figure', async () => {
  const role = `tasksOnly${L.org.sfx}`;
  const pr = await L.t.api('PUT', `/api/v1/meta/role/${role}`, {
    token: L.admin,
    body: { reason: 'test', definition: { $id: role, label: { 'zh-CN': '只看任务', en: 'Tasks only' }, permissions: [{ entity: 'labTask', actions: ['read'], scope: 'lab' }] } },
  });
  expect(pr.status).toBe(200);
  const id = `mixed${L.org.sfx}`;
  const put = await L.t.api('PUT', `/api/v1/meta/dashboard/${id}`, {
    token: L.admin,
    body: {
      reason: 'test',
      definition: {
        $id: id, label: { 'zh-CN': '混合' }, roles: [role],
        tiles: [
          { key: 'tasks', title: { 'zh-CN': '任务' }, chart: 'number', query: { entity: 'labTask', filter: { state: 'open' } } },
          { key: 'cultures', title: { 'zh-CN': '培养' }, chart: 'bar', query: { entity: 'cultureRecord', groupBy: ['operator'] } },
          { key: 'tanks', title: { 'zh-CN': '液氮罐' }, chart: 'number', source: { figure: 'storage-slots:utilisation' } },
        ],
      },
    },
  });
  expect(put.status).toBe(200);
  const u = await L.user('tasksOnly', L.org.labA, [role]);
  const r = await data(u.token, id);
  expect(r.status).toBe(200);
  expect(tile(r.body, 'tasks')).toMatchObject({ status: 'ok', value: expect.any(Number) });
  for (const k of ['cultures', 'tanks']) {
    const x = tile(r.body, k);
    expect(x.status).toBe('unavailable');
    expect(x.message).toBe('您的角色无权查看此数据');
    expect(x.rows).toBeUndefined();
    expect(x.value).toBeUndefined();
  }
  // Someone without the dashboard's role may not open it at all.
  expect((await data(L.org.techA.token, id)).status).toBe(403);
});

test('a report is a grouped table with a pivot and totals, exported as XLSX with labels, not keys', async () => {
  const r = await L.t.api('GET', '/api/v1/reports/workloadByTechnician?period=thisMonth', { token: dirA.token });
  expect(r.status).toBe(200);
  const month = today.slice(0, 7);
  expect(r.body.data.rowHeaders.map((h: any) => h.label)).toEqual(['实验室', '操作人']);
  expect(r.body.data.columns.map((c: any) => c.label)).toEqual([month, '合计']);
  expect(r.body.data.rows).toEqual([{ groups: [{ value: L.org.labA, label: `LA ${L.org.sfx}` }, { value: L.org.techA.id, label: 'techA' }], cells: { [`"${month}"|count`]: 3, 'total|count': 3 } }]);
  expect(r.body.data.totals['total|count']).toBe(3);

  const x = await fetch(`${L.t.url}/api/v1/reports/workloadByTechnician?period=thisMonth&format=xlsx`, { headers: { Authorization: `Bearer ${dirA.token}`, 'Accept-Language': 'en' } });
  expect(x.status).toBe(200);
  expect(x.headers.get('content-type')).toContain('spreadsheetml');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await x.arrayBuffer()) as any);
  const ws = wb.worksheets[0];
  const rows: unknown[][] = [];
  ws.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  expect(rows[0][0]).toMatch(/^Period: /);
  expect(rows).toContainEqual(['Lab', 'Operator', month, 'Total']);
  expect(rows).toContainEqual([`LA ${L.org.sfx}`, 'techA', 3, 3]);
  expect(rows[rows.length - 1]).toEqual(['Total', '', 3, 3]);

  // Lab B's director gets lab B's table; a bad period is a 400 naming the parameter.
  const b = await L.t.api('GET', '/api/v1/reports/workloadByTechnician?period=thisMonth', { token: dirB.token });
  expect(b.body.data.rows.map((x: any) => x.groups[1].label)).toEqual(['techB']);
  const bad = await L.t.api('GET', '/api/v1/reports/workloadByTechnician?from=2026-13-01', { token: dirA.token });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details[0].path).toBe('/from');
  expect((await L.t.api('GET', '/api/v1/reports/workloadByTechnician', { token: L.org.techA.token })).status).toBe(403);
  const qc = await L.t.api('GET', '/api/v1/reports/qcPassRate?period=all', { token: dirA.token, lang: 'en' });
  expect(qc.status).toBe(200);
  expect(qc.body.data.columns.map((c: any) => c.label)).toEqual(['Decided', 'Passed', 'Pass rate (%)']);
  expect((await L.t.api('GET', '/api/v1/reports/ordersByCentre?period=thisYear', { token: L.org.mgmt.token })).status).toBe(200);
});

test('a date bucket drills down to its range; relative values resolve for the caller', async () => {
  expect(groupFilter('cultureDate:month', '2026-02')).toEqual({ cultureDate: { gte: '2026-02-01', lt: '2026-03-01' } });
  expect(groupFilter('cultureDate:week', '2026-W01')).toEqual({ cultureDate: { gte: '2025-12-29', lt: '2026-01-05' } });
  expect(groupFilter('createdAt:quarter', '2026-Q4')).toEqual({ createdAt: { gte: '2026-10-01', lt: '2027-01-01' } });
  expect(groupFilter('assignee', null)).toEqual({ assignee: { isNull: true } });
  const ctx = { actor: { id: 42, username: 'x', displayName: 'x', isAdmin: false }, lang: 'zh-CN' as const };
  expect(resolveFilter({ and: [{ dueDate: { lt: { $date: 'today', days: -1 } } }, { assignee: { $user: 'me' } }] }, ctx, dayjs('2026-03-01')))
    .toEqual({ and: [{ dueDate: { lt: '2026-02-28' } }, { assignee: 42 }] });
  // A day bucket's drill-down lists exactly the records it counted.
  const r = await data(L.org.techA.token, 'technician');
  const day = tile(r.body, 'labRecentCultures').rows.find((x: any) => x.groups[0].value === today);
  const list = await L.t.api('GET', `/api/v1/data/cultureRecord?count=true&filter=${encodeURIComponent(JSON.stringify(day.filter))}`, { token: L.org.techA.token });
  expect(list.body.page.total).toBe(day.value);
});

test('plugin figures read through the caller\'s scope: lab B\'s director sees none of lab A\'s tanks', async () => {
  const boxType = await create(L.t, dirA.token, 'containerType', { code: `BX${L.org.sfx}`, name: '5×5 冻存盒', level: 'box', rows: 5, cols: 5, holdsVials: true });
  const tank = await create(L.t, dirA.token, 'storageDevice', { code: `LN2-${L.org.sfx}`, name: `液氮罐 A ${L.org.sfx}`, deviceType: 'ln2Tank', site: 'SH', setTemperature: -196, vacancyThreshold: 30 });
  await create(L.t, dirA.token, 'container', { code: `B1-${L.org.sfx}`, name: 'B1', containerType: boxType.id, device: tank.id });
  const inv = await L.user('invA', L.org.labA, ['inventoryKeeper']);
  const a = await data(dirA.token, 'inventoryKeeper');
  expect(a.status).toBe(403);
  const mine = await data(inv.token, 'inventoryKeeper');
  const util = tile(mine.body, 'tankUtilisation');
  expect(util.rows).toEqual([expect.objectContaining({ groups: [{ value: `液氮罐 A ${L.org.sfx}`, label: `液氮罐 A ${L.org.sfx}` }], value: 0, filter: { id: tank.id } })]);
  const low = tile((await data(dirA.token, 'labDirector')).body, 'emptySlotAlerts');
  expect(low).toMatchObject({ status: 'ok', value: 1, drill: { entity: 'storageDevice', filter: { id: { in: [tank.id] } } } });
  const b = await data(dirB.token, 'labDirector');
  expect(tile(b.body, 'emptySlotAlerts').value).toBe(0);
  expect(JSON.stringify(b.body)).not.toContain(`液氮罐 A ${L.org.sfx}`);
});
