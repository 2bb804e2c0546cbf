import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { AppError, ValidationError } from '../errors';
import { systemContext, type CallContext } from '../context';
import { callContext } from '../http/routes/auth';
import type { EntityDef } from '../metadata/model';
import type { RecordService } from '../records/service';
import type { Services } from '../services';
import { writeAudit } from '../audit/audit';
import { notify } from '../workflow/notify';
import { usersWithRole } from '../auth/directory';
import { enqueueJob } from '../jobs';
import { figureRegistry } from '../dashboards/figures';
import { createAjv, localizeErrors } from '../metadata/ajv';
import type { PluginApi, PluginDb, PluginDefinition, Records } from './sdk';

export type Plugin = PluginDefinition;

export interface LoadedPlugin extends PluginDefinition {
  dir: string;
}

/** Finds `plugins/<name>/index.ts` at run time; the engine never imports a plugin statically. */
export function discoverPlugins(pluginsDir: string, only?: string[]): LoadedPlugin[] {
  if (!fs.existsSync(pluginsDir)) return [];
  const out: LoadedPlugin[] = [];
  for (const name of fs.readdirSync(pluginsDir).sort()) {
    if (only && !only.includes(name)) continue;
    const dir = path.join(pluginsDir, name);
    const entry = ['index.ts', 'index.js'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    if (!entry) continue;
    const mod = require(entry);
    const p: PluginDefinition = mod.default ?? mod.plugin ?? mod;
    if (!p || typeof p.name !== 'string') throw new Error(`${entry} does not export a plugin (definePlugin({...}))`);
    out.push({ ...p, dir });
  }
  return out;
}

const views = new WeakMap<RecordService, Records>();

/** The record service as the SDK's `Records` (same calls; `delete` for `remove`, entity names for `readable`); one per service. */
export function recordsApi(r: RecordService): Records {
  let v = views.get(r);
  if (!v) views.set(r, (v = makeRecordsApi(r)));
  return v;
}

function makeRecordsApi(r: RecordService): Records {
  return {
    get model() {
      return r.model;
    },
    entity: (n) => r.entity(n),
    get: (ctx, n, id, o) => r.get(ctx, n, id, o),
    list: (ctx, n, o, a) => r.list(ctx, n, o, a),
    create: (ctx, n, input, o) => r.create(ctx, n, input, o),
    createMany: (ctx, n, inputs, o) => r.createMany(ctx, n, inputs, o),
    update: (ctx, n, id, input, o) => r.update(ctx, n, id, input, o),
    delete: (ctx, n, id, version, o) => r.remove(ctx, n, id, version, o),
    action: (ctx, n, id, action, input, o) => r.action(ctx, n, id, action, input ?? {}, o),
    assertAllowed: (ctx, n, a) => r.assertAllowed(ctx, n, a),
    readable: (ctx, n) => r.readable(ctx, r.entity(n)),
  };
}

/** Identifiers raw plugin SQL may not name: entity tables and the platform's own (ct_*). Scoped subqueries are exempt. */
function forbiddenTable(sql: string, entityTables: Set<string>): string | undefined {
  // A scoped subquery's own table and its columns (`"__scoped_v"."container" as "container"`) are not the plugin naming a table.
  const cleaned = sql.replace(/"[a-z0-9_]+" as "__scoped_[A-Za-z0-9_]*"/g, ' ').replace(/"__scoped_[A-Za-z0-9_]*"\."[a-z0-9_]+" as "[A-Za-z0-9_]+"/g, ' ');
  return cleaned.match(/[A-Za-z_][A-Za-z0-9_]*/g)?.find((t) => entityTables.has(t) || t.startsWith('ct_'));
}

/** Per-app-instance registries shared by name (strategies, gates, resolvers): never module-global. */
const registries = new WeakMap<Services, Map<string, Map<string, unknown>>>();

/** The platform's view of a registry plugins fill (`api.registry(name)`), e.g. the importers of `IMPORTERS`. */
export function registryOf<T>(s: Services, name: string): Map<string, T> {
  let all = registries.get(s);
  if (!all) registries.set(s, (all = new Map()));
  if (!all.has(name)) all.set(name, new Map());
  return all.get(name) as Map<string, T>;
}

/** The SDK handed to one plugin in one app instance. */
export function createPluginApi(s: Services, p: PluginDefinition): PluginApi {
  const own = new Set(p.tables ?? []);
  const entityTables = () => s.meta.model.memo('entityTables', () => new Set([...s.meta.model.entities.values()].map((e: EntityDef) => e.table)));
  const guard = (sql: string) => {
    const bad = forbiddenTable(sql, entityTables());
    if (bad) throw new Error(`plugin ${p.name}: SQL names table "${bad}"; entity data goes through records/scopedQuery, platform tables through the SDK`);
  };
  const watch = <T extends { on(ev: 'query', fn: (q: { sql: string }) => void): unknown }>(b: T): T => {
    b.on('query', (q) => guard(q.sql));
    return b;
  };
  const db = (trx?: Knex.Transaction): PluginDb => {
    const k: Knex | Knex.Transaction = trx ?? s.knex;
    return {
      table(name) {
        const base = name.split(/\s+as\s+|\s+/i)[0];
        if (!own.has(base)) throw new Error(`plugin ${p.name}: table "${base}" is not one of its own (declare it in tables)`);
        return watch(k(name));
      },
      async raw(sql, bindings = []) {
        guard(sql);
        const r = await k.raw(sql, bindings as any);
        return { rows: r.rows, rowCount: r.rowCount ?? null };
      },
      fragment(sql, bindings = []) {
        guard(sql);
        return watch(s.knex.raw(sql, bindings as any));
      },
      trx,
    };
  };
  /** Readable plain columns: hidden fields do not exist in a scoped query, encrypted ones stay sealed in their table. */
  const selectable = (ctx: CallContext, e: EntityDef) => s.records.readable(ctx, e).filter((n) => !e.fields.get(n)?.encrypted);
  const settingsSchema = p.settings ? createAjv({ useDefaults: true }).compile(p.settings.schema) : undefined;
  const api: PluginApi = {
    name: p.name,
    log: s.log.child({ plugin: p.name }),
    get model() {
      return s.meta.model;
    },
    defs: (kind) => (s.meta.model.set[kind] ?? {}) as any,
    metaVersions: async (kind, id) =>
      (await s.meta.versions(kind, id)).map((v) => ({ version: v.version, definition: v.definition, reason: v.reason, createdByName: v.createdByName, createdAt: v.createdAt })),
    records: recordsApi(s.records),
    withTrx: (trx) => recordsApi(s.records.withTrx(trx)),
    transaction: (fn) => s.knex.transaction((trx) => fn(trx, recordsApi(s.records.withTrx(trx)))),
    system: (lang = 'zh-CN') => systemContext(lang),
    context: callContext,
    scopedQuery(ctx, entity, alias, opts = {}) {
      const e = s.records.entity(entity);
      const allowed = s.authorizer.assert(ctx, e, 'read');
      if (allowed instanceof Promise) throw new Error('scopedQuery needs a synchronous authorizer');
      const usable = selectable(ctx, e);
      const names = opts.fields ?? usable;
      names.forEach((n, i) => {
        if (!usable.includes(n))
          throw new AppError(400, 'VALIDATION_FAILED', 'error.unknownField', { field: n }, [{ path: `/fields/${i}`, messageKey: 'error.unknownField', params: { field: n } }]);
      });
      const inner = `__scoped_${alias}`;
      const cols = names.map((n) => `${inner}.${s.records.columnOf(e, n)} as ${n}`);
      const q = (opts.trx ?? s.knex)({ [inner]: e.table }).whereNull(`${inner}.deleted_at`).select(cols);
      s.authorizer.scope(ctx, e, inner)?.(q);
      return q.as(alias);
    },
    async visibleFields(ctx, entity, wanted) {
      const e = s.records.entity(entity);
      try {
        await s.authorizer.assert(ctx, e, 'read');
      } catch (err) {
        if (err instanceof AppError && err.status === 403) return null;
        throw err;
      }
      const usable = selectable(ctx, e);
      return wanted ? wanted.filter((f) => usable.includes(f)) : usable;
    },
    db,
    hooks: {
      on: (entity, name, fn, o) => s.hooks.on(entity, name, (a) => fn({ ...a, trx: a.trx!, records: recordsApi(a.records) }), o),
      action: (entity, name, def) => s.hooks.action(entity, name, { ...def, handler: (a) => def.handler({ ...a, records: recordsApi(a.records) }) }),
      hasAction: (entity, name) => !!s.hooks.getAction(entity, name),
    },
    onRecord: (fn) => void s.events.on('record', fn),
    audit: (trx, ctx, entry) => writeAudit(trx, { ...entry, actorId: ctx.actor.id, actorName: ctx.actor.displayName, ip: ctx.ip ?? null, requestId: ctx.requestId ?? null }),
    notify: (trx, items) => notify(trx, items),
    usersWithRole: (role, o = {}) => usersWithRole(o.trx ?? s.knex, role, o),
    completeAssignments: async (trx, ctx, entity, recordId, comment) => {
      const engine = (s as any).workflow as { completeAssignments(ctx: CallContext, entity: string, recordId: number, comment: string | undefined, trx: Knex.Transaction): Promise<number> } | undefined;
      if (!engine) throw new Error('completeAssignments: the workflow engine is not set up');
      return engine.completeAssignments(ctx, entity, recordId, comment, trx);
    },
    job(name, handler, opts) {
      const full = `${p.name}.${name}`;
      s.jobs?.register(full, handler as any, opts);
      return {
        enqueue: (payload, o = {}) => enqueueJob(o.trx ?? s.knex, full, payload, o),
        schedule: async (cron, payload, o) => {
          await s.jobs?.schedule(full, cron, payload ?? {}, o);
        },
      };
    },
    figure(name, def) {
      figureRegistry(s).set(`${p.name}:${name}`, def);
    },
    registry<T>(name: string) {
      let all = registries.get(s);
      if (!all) registries.set(s, (all = new Map()));
      if (!all.has(name)) all.set(name, new Map());
      return all.get(name) as Map<string, T>;
    },
    settings<S extends Record<string, unknown>>() {
      const read = async (k: Knex | Knex.Transaction): Promise<S> => {
        const row = await k('ct_plugin_setting').where({ plugin: p.name }).first('value');
        const v = { ...(p.settings?.defaults ?? {}), ...((row?.value as object) ?? {}) };
        return v as S;
      };
      return {
        get: () => read(s.knex),
        async set(ctx, values, reason) {
          if (!settingsSchema) throw new Error(`plugin ${p.name} declares no settings`);
          return s.knex.transaction(async (trx) => {
            const before = await read(trx);
            const next = { ...before, ...values };
            if (!settingsSchema(next)) throw new ValidationError(localizeErrors(settingsSchema.errors));
            await trx('ct_plugin_setting').insert({ plugin: p.name, value: JSON.stringify(next), updated_at: trx.fn.now() }).onConflict('plugin').merge();
            await writeAudit(trx, {
              actorId: ctx.actor.id, actorName: ctx.actor.displayName, entity: `plugin:${p.name}`, recordId: null, action: 'settings',
              changes: Object.keys(values).map((f) => ({ field: f, from: (before as any)[f], to: (next as any)[f] })), reason: reason ?? null, ip: ctx.ip ?? null, requestId: ctx.requestId ?? null,
            });
            return next as S;
          });
        },
      };
    },
    onStop: (fn) => void s.onStop.push(fn),
  };
  return api;
}
