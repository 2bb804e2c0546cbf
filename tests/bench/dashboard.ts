// `npx tsx tests/bench/dashboard.ts`: figures, not a test (issue 15). Seeds BENCH_DASH_ROWS culture records (default
// 1,000,000) plus 100,000 orders, lab tasks and QC records, 20,000 material lots, 40 tanks with 4,000 boxes and the
// material totals, over two labs, with set-based SQL; then measures the lab director's dashboard, every tile, over
// HTTP as the director of lab 1 (row scope lab_id = 1), against the same figures by hand-written SQL in this process.
// Target: < 500 ms on the server. Env: BENCH_DASH_ROWS, BENCH_ITER (default 20), BENCH_KEEP_DB=1.
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../platform/config';
import { createServer } from '../../platform/server';
import { createDatabase, dropDatabase } from '../support/pg';
import { pct, timed } from './timing';

const ROOT = path.resolve(__dirname, '../..');
const ROWS = Number(process.env.BENCH_DASH_ROWS ?? 1_000_000);
const SIDE = Math.max(1000, Math.round(ROWS / 10));
const ITER = Number(process.env.BENCH_ITER ?? 20);
const PASSWORD = 'Bench#12345';


async function main() {
  const db = await createDatabase('celltrace_bench_dash');
  const config = { ...loadConfig({ CELLTRACE_DATA_KEY: '62656e63682d64617368626f6172642d6b65792d6e6f742d612d736563726574', ...process.env, DATABASE_URL: db.url, ADMIN_PASSWORD: PASSWORD, DEMO_DATA: 'false', DB_POOL_MAX: '20' }, ROOT), runJobs: false };
  const server = await createServer(config, { logger: pino({ level: 'silent' }), print: () => {} });
  const url = await server.listen(0, '127.0.0.1');
  const knex = server.services.knex;
  const sql = (q: string, b: unknown[] = []) => knex.raw(q, b as any);
  try {
    const call = async (token: string, method: string, p: string, body?: unknown) => {
      const r = await fetch(url + p, { method, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    const login = async (username: string) => {
      const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
      return (await r.json()).token as string;
    };
    const admin = await login('admin');
    const org = async (kind: string, code: string, parentId: number | null) => (await call(admin, 'POST', '/api/v1/admin/orgs', { kind, code, name: code, parentId })).data.id as number;
    const company = await org('company', 'B-CO', null);
    const centre = await org('centre', 'B-CX', company);
    const labs = [await org('lab', 'B-L1', centre), await org('lab', 'B-L2', centre)];
    const techs: number[] = [];
    for (let i = 0; i < 20; i++)
      techs.push((await call(admin, 'POST', '/api/v1/admin/users', { username: `tech${i}`, displayName: `实验员 ${i}`, password: PASSWORD, mustChangePassword: false, orgId: labs[i % 2], roles: ['technician'] })).data.id);
    await call(admin, 'POST', '/api/v1/admin/users', { username: 'director', displayName: '主任', password: PASSWORD, mustChangePassword: false, orgId: labs[0], roles: ['labDirector'] });
    const director = await login('director');

    let t0 = Date.now();
    const lab = (g: string) => `(array[${labs.join(',')}])[1 + (${g} % 2)]`;
    const tech = (g: string) => `(array[${techs.join(',')}])[1 + (${g} % 20)]`;
    await sql(`insert into customer (name, customer_code, lab_id) select '客户' || g, 'B' || g, ${lab('g')} from generate_series(1, 1000) g`);
    await sql(`insert into service_order (order_code, chain_id, customer, service_item, order_category, progress, lab_id, created_at)
      select 'OD' || g, 'COI' || g, 1 + (g % 1000), 'umbilicalMsc', 'storage', (array['booked','sampleReceived','inCulture','qc','stored','prepared','handedOver'])[1 + (g % 7)], ${lab('g')}, now() - ((g % 700) || ' days')::interval
      from generate_series(1, ${SIDE}) g`);
    await sql(`insert into culture_record (batch_code, customer, "order", cell_kind, culture_date, total_cells, viability, passage, operator, lab_id)
      select 'BENCH' || g, 1 + (g % 1000), 1 + (g % ${SIDE}), case when g % 2 = 0 then 'stem' else 'immune' end, current_date - (g % 400), 100 + (g % 900), 70 + (g % 30), g % 12, ${tech('g')}, ${lab('g')}
      from generate_series(1, ${ROWS}) g`);
    await sql(`insert into lab_task (task_no, "order", task_type, assignee, due_date, state, lab_id)
      select 'T' || g, 1 + (g % ${SIDE}), (array['sampleReceipt','culture','qc','stockIn','preparation','handover'])[1 + (g % 6)], ${tech('g')}, current_date - 200 + (g % 400), case when g % 10 = 0 then 'open' else 'done' end, ${lab('g')}
      from generate_series(1, ${SIDE}) g`);
    await sql(`insert into qc_record (qc_no, qc_type, result, review_status, lab_id, created_at)
      select 'QC' || g, (array['stockInQc','releaseQc','processQc','spotCheck','materialQc'])[1 + (g % 5)], case when g % 13 = 0 then 'fail' when g % 17 = 0 then 'pending' else 'pass' end, 'approved', ${lab('g')}, now() - ((g % 400) || ' days')::interval
      from generate_series(1, ${SIDE}) g`);
    await sql(`insert into material (code, name, unit, min_stock) select 'M' || g, '物料' || g, 'piece', 100 from generate_series(1, 200) g`);
    await sql(`insert into material_lot (lot_no, material, expiry_date, status, lab_id) select 'L' || g, 1 + (g % 200), current_date - 100 + (g % 800), 'released', ${lab('g')} from generate_series(1, ${Math.round(SIDE / 5)}) g`);
    await sql(`insert into material_store (code, name, lab_id) select 'S' || g, '库 ' || g, ${lab('g')} from generate_series(1, 4) g`);
    await sql(`insert into cl_material_total (lab_id, material_id, qty) select l, m, (m * 7) % 300 from generate_series(1, 200) m, unnest(array[${labs.join(',')}]) l`);
    await sql(`insert into storage_device (code, name, device_type, vacancy_threshold, lab_id) select 'LN2-' || g, '液氮罐 ' || g, 'ln2Tank', 50, ${lab('g')} from generate_series(1, 40) g`);
    await sql(`insert into storage_box (container_id, device_id, path, rows, cols, capacity, free_count, occupied_count)
      select g, 1 + (g % 40), 'B' || g, 10, 10, 100, g % 100, 100 - (g % 100) from generate_series(1, 4000) g`);
    await sql('vacuum (analyze)');
    console.log(`  seeded ${ROWS.toLocaleString('en')} culture records, ${SIDE.toLocaleString('en')} orders / lab tasks / QC records and the rest in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const probe = await call(director, 'GET', '/api/v1/dashboards/labDirector/data');
    const tiles = probe.data.tiles as any[];
    const notOk = tiles.filter((x) => x.status !== 'ok');
    if (notOk.length) throw new Error(`tiles not evaluated: ${JSON.stringify(notOk)}`);
    const open = tiles.find((x) => x.key === 'openTasks').value;
    console.log(`  ${tiles.length} tiles, lab 1 only (open tasks ${open}, ${tiles.find((x) => x.key === 'workloadByTechnician').rows.length} technicians this month)`);

    // The baseline: the same figures for lab 1 by hand-written SQL on the same pool, side by side like the tiles.
    const L1 = labs[0];
    const month = new Date(new Date().getFullYear(), new Date().getMonth(), 1).toISOString().slice(0, 10);
    const hand = () =>
      Promise.all([
        sql(`select count(*) from lab_task where deleted_at is null and lab_id = ? and state = 'open'`, [L1]),
        sql(`select count(*) from lab_task where deleted_at is null and lab_id = ? and state = 'open' and due_date < current_date`, [L1]),
        sql(`select sum(b.capacity), sum(b.occupied_count + b.reserved_count + b.blocked_count) from storage_box b join storage_device d on d.id = b.device_id where d.deleted_at is null and d.lab_id = ? group by d.id`, [L1]),
        sql(`select d.id from storage_box b join storage_device d on d.id = b.device_id where d.deleted_at is null and d.lab_id = ? group by d.id, d.vacancy_threshold having sum(b.free_count) < d.vacancy_threshold`, [L1]),
        sql(`select m.id from cl_material_total t join material m on m.id = t.material_id where m.deleted_at is null and t.lab_id = ? and t.qty < m.min_stock`, [L1]),
        sql(`select count(*) from material_lot where deleted_at is null and lab_id = ? and status in ('released','quarantined') and expiry_date between current_date and current_date + 30`, [L1]),
        sql(`select count(*), count(*) filter (where result = 'pass') from qc_record where deleted_at is null and lab_id = ? and result in ('pass','fail') and created_at >= current_date - 90`, [L1]),
        sql(`select progress, count(*) from service_order where deleted_at is null and lab_id = ? group by 1`, [L1]),
        sql(`select c.operator, u.display_name, count(*) from culture_record c left join ct_user u on u.id = c.operator where c.deleted_at is null and c.lab_id = ? and c.culture_date >= ? group by 1, 2`, [L1, month]),
        sql(`select t.assignee, u.display_name, count(*) from lab_task t left join ct_user u on u.id = t.assignee where t.deleted_at is null and t.lab_id = ? and t.state = 'open' group by 1, 2`, [L1]),
        sql(`select qc_type, count(*), count(*) filter (where result = 'pass') from qc_record where deleted_at is null and lab_id = ? and result in ('pass','fail') and created_at >= current_date - 90 group by 1`, [L1]),
        sql(`select to_char(culture_date, 'YYYY-MM'), count(*) from culture_record where deleted_at is null and lab_id = ? and culture_date >= (date_trunc('month', current_date) - interval '11 months') group by 1 order by 1`, [L1]),
      ]);
    const g = await timed(ITER, () => call(director, 'GET', '/api/v1/dashboards/labDirector/data'));
    const h = await timed(ITER, hand);
    console.log(`  director dashboard, ${tiles.length} tiles (GET /api/v1/dashboards/labDirector/data): p50 ${pct(g, 50).toFixed(1)} ms · p99 ${pct(g, 99).toFixed(1)} ms (target < 500 ms)`);
    console.log(`  the same figures by hand-written SQL, in parallel on the same pool:          p50 ${pct(h, 50).toFixed(1)} ms · p99 ${pct(h, 99).toFixed(1)} ms`);
    console.log(`  ratio dashboard / hand-written (p50): ${(pct(g, 50) / pct(h, 50)).toFixed(2)}`);
    t0 = Date.now();
    const rep = await timed(Math.min(ITER, 10), () => call(director, 'GET', '/api/v1/reports/workloadByTechnician?period=last12Months'));
    console.log(`  report: workload per technician and month, 12 months (GET /api/v1/reports/workloadByTechnician): p50 ${pct(rep, 50).toFixed(1)} ms`);
  } finally {
    await server.stop();
    if (!process.env.BENCH_KEEP_DB) await dropDatabase(db.name);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
