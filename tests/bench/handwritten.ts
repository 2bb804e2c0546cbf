// The baseline: a hand-written Koa + knex server running the same SQL as the generic endpoints, no metadata,
// no pipeline. Started as a child process by tests/bench/run.ts.
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { createKnex } from '../../platform/db/connection';

const knex = createKnex(process.env.DATABASE_URL!, { poolMax: Number(process.env.DB_POOL_MAX ?? 20) });
const COLS = ['id', 'version', 'batch_code as batchCode', 'customer', 'cell_kind as cellKind', 'culture_date as cultureDate', 'total_cells as totalCells', 'viability', 'passage', 'operator'];
const app = new Koa();
const router = new Router();
router.get('/list', async (ctx) => {
  const rows = await knex('culture_record')
    .select(COLS)
    .whereNull('deleted_at')
    .where('cell_kind', String(ctx.query.cellKind ?? 'stem'))
    .modify((q) => {
      if (ctx.query.labId) q.where('lab_id', Number(ctx.query.labId));
    })
    .orderBy([{ column: 'culture_date', order: 'desc' }, { column: 'id', order: 'desc' }])
    .limit(50);
  ctx.body = { data: rows };
});
// A get returns the whole record, as the generic endpoint does: every column under its API name.
let ALL: string[] = [];
const camel = (c: string) => c.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase());
knex
  .raw(`select column_name from information_schema.columns where table_name = 'culture_record' and column_name <> 'deleted_at' order by ordinal_position`)
  .then((r: any) => (ALL = r.rows.map((x: any) => `${x.column_name} as ${camel(x.column_name)}`)));
router.get('/get/:id', async (ctx) => {
  const row = await knex('culture_record').select(ALL).where({ id: Number(ctx.params.id) }).whereNull('deleted_at').first();
  ctx.body = { data: row };
});
router.post('/insert', bodyParser(), async (ctx) => {
  const b = ctx.request.body as any;
  const [row] = await knex('culture_record')
    .insert({ customer: b.customer, cell_kind: b.cellKind, culture_date: b.cultureDate, total_cells: b.totalCells, viability: b.viability, passage: b.passage })
    .returning('id');
  ctx.status = 201;
  ctx.body = { data: { id: row.id } };
});
router.post('/insert-note', bodyParser(), async (ctx) => {
  const b = ctx.request.body as any;
  const [row] = await knex('bench_note').insert({ customer: b.customer, cell_kind: b.cellKind, culture_date: b.cultureDate, total_cells: b.totalCells, viability: b.viability }).returning('id');
  ctx.status = 201;
  ctx.body = { data: { id: row.id } };
});
app.use(router.routes());
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => knex.destroy().then(() => process.exit(0))));
