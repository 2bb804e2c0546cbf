import type Router from '@koa/router';
import { registerMessages } from '../i18n';
import { metaKinds, registerMetaKind, type MetaSet } from '../metadata/registry';
import { callContext } from '../http/routes/auth';
import { AppError } from '../errors';
import type { Services } from '../services';
import { dashboardIssues, dashboardMetaSchema, reportIssues, reportMetaSchema } from './schema';
import { dashboardsFor, evaluateDashboard, evaluateReport, mayOpen, reportWorkbook } from './evaluate';
import messages from './messages';
import { figureRegistry } from './figures';

/** The `dashboard` and `report` metadata kinds (metadata/<module>/dashboards, …/reports); process-wide, once. */
export function registerDashboardKinds(): void {
  registerMessages(messages);
  if (!metaKinds().some((k) => k.kind === 'dashboard'))
    registerMetaKind({ kind: 'dashboard', folder: 'dashboards', schema: dashboardMetaSchema, check: (def: any, all: MetaSet) => dashboardIssues(def, all) });
  if (!metaKinds().some((k) => k.kind === 'report'))
    registerMetaKind({ kind: 'report', folder: 'reports', schema: reportMetaSchema, check: (def: any, all: MetaSet) => reportIssues(def, all) });
}

const one = (v: unknown): string | undefined => (Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v));

/** Dashboards (tiles evaluated with the caller's scope) and reports (grouped tables, XLSX). */
export function setupDashboards(s: Services): void {
  s.routeExtensions.push((api: Router) => {
    api.get('/dashboards', (ctx) => {
      const r = dashboardsFor(s, callContext(ctx));
      const figures = [...figureRegistry(s).entries()].map(([key, f]) => ({ key, entity: f.entity, label: f.label ?? null }));
      ctx.body = { data: r.data, home: r.home, figures };
    });
    api.get('/dashboards/:id/data', async (ctx) => {
      ctx.body = { data: await evaluateDashboard(s, callContext(ctx), ctx.params.id) };
    });
    api.get('/reports', (ctx) => {
      const c = callContext(ctx);
      const all = Object.values<any>(s.meta.model.set.report ?? {}).filter((d) => mayOpen(c, d));
      ctx.body = { data: all.map((d) => ({ id: d.$id, label: d.label, description: d.description ?? null, entity: d.entity, period: d.period ?? null })) };
    });
    api.get('/reports/:id', async (ctx) => {
      const c = callContext(ctx);
      const format = one(ctx.query.format);
      if (format !== undefined && format !== 'json' && format !== 'xlsx')
        throw new AppError(400, 'BAD_REQUEST', 'report.badFormat', { format }, [{ path: '/format', messageKey: 'report.badFormat', params: { format } }]);
      const table = await evaluateReport(s, c, ctx.params.id, { from: one(ctx.query.from), to: one(ctx.query.to), period: one(ctx.query.period) });
      if (format === 'xlsx') {
        ctx.set('Content-Disposition', `attachment; filename="${ctx.params.id}-${new Date().toISOString().slice(0, 10)}.xlsx"`);
        ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
        ctx.body = await reportWorkbook(table, c.lang);
        return;
      }
      ctx.body = { data: table };
    });
  });
}
