/**
 * The plugin SDK: the ONLY platform module a plugin may import (eslint `no-restricted-imports` enforces it).
 *
 * A plugin reads and writes business data through `PluginApi.records` (the record pipeline: permissions, row
 * scope, field rules, validation, numbering, audit, hooks, events), joins entities for its own reports through
 * `scopedQuery` (that entity's row scope and field rules applied), and keeps its own state in its own tables
 * (declared in `tables`, created by its own migrations, reached through `db`). It never writes an entity table
 * directly. See docs/plugins.md for the contract and a worked example.
 */
import type { Knex } from 'knex';
import type Router from '@koa/router';
import type Koa from 'koa';
import type { CallContext } from '../../context';
import type { EntityDef, FieldDef, Model } from '../../metadata/model';
import type { MetaKind, MetaSet } from '../../metadata/registry';
import type { Messages, Lang } from '../../i18n';
import type { ListOptions, ListResult, WriteOptions } from '../../records/service';
import type { ActionDef, ActionArgs as PlatformActionArgs, HookArgs as PlatformHookArgs, HookName } from '../../records/hooks';
import type { RecordEvent } from '../../records/events';
import type { AuditEntry } from '../../audit/audit';
import type { Notification } from '../../workflow/notify';
import type { UserRef } from '../../auth/directory';
import type { EnqueueOptions, HandlerOptions, JobInfo, ScheduleOptions } from '../../jobs';
import type { FigureDef, FigureValue } from '../../dashboards/figures';

export { VetoError } from '../../records/hooks';
export { IMPORTERS } from '../../import';
/** An uploaded workbook's first visible sheet (400 on a file that is not one), and a cell's value as text. */
export { readSheet, cellText } from '../../import/sheet';
/** An AppError's message and details in a language, as the HTTP layer answers it (for per-row import errors). */
export { describeError } from '../../http/errors';
export type { Importer, ParsedImport, RowError } from '../../import';
export { readQuery, readBody } from '../query';
export { AppError, ValidationError, notFound, forbidden, badRequest } from '../../errors';
export { t, label, LANGS } from '../../i18n';
export { labelSchema, requirementsSchema } from '../../metadata/meta-schemas';
export { systemContext, SYSTEM_ACTOR } from '../../context';
export type { CallContext, Actor } from '../../context';
export type { FigureDef, FigureValue };
export type { EntityDef, FieldDef, Model, MetaKind, MetaSet, Messages, Lang, ListOptions, ListResult, ActionDef, HookName, RecordEvent, Notification, UserRef, JobInfo };

/** A write's options as a plugin passes them: `set` for plugin-maintained fields, `reason`, `trx` (usually implicit). */
export type PluginWriteOptions = Pick<WriteOptions, 'reason' | 'set' | 'system' | 'owner'>;

/**
 * The record pipeline as a plugin sees it. Bound to a transaction when it comes from a hook, an action, a job's
 * `transaction()` or `withTrx()`: every call joins that transaction. `ctx` is the caller (from a route or hook) or an
 * explicit system actor (`api.system()`); the caller's permissions, row scope and field rules apply.
 */
export interface Records {
  model: Model;
  entity(name: string): EntityDef;
  get(ctx: CallContext, entity: string, id: number, opts?: { fields?: string[]; expand?: string[] }): Promise<Record<string, any>>;
  list(ctx: CallContext, entity: string, opts?: ListOptions, action?: string): Promise<ListResult>;
  create(ctx: CallContext, entity: string, input: Record<string, unknown>, opts?: PluginWriteOptions): Promise<Record<string, any>>;
  /** Many records of one entity through the same steps, in as few statements as possible; `set` may depend on the index. */
  createMany(
    ctx: CallContext, entity: string, inputs: Record<string, unknown>[],
    opts?: Pick<WriteOptions, 'reason' | 'owner'> & { set?: Record<string, unknown> | ((index: number) => Record<string, unknown>) },
  ): Promise<Record<string, any>[]>;
  update(ctx: CallContext, entity: string, id: number, input: Record<string, unknown>, opts?: PluginWriteOptions): Promise<Record<string, any>>;
  delete(ctx: CallContext, entity: string, id: number, version?: number, opts?: Pick<WriteOptions, 'reason'>): Promise<Record<string, any>>;
  action(ctx: CallContext, entity: string, id: number, action: string, input?: Record<string, unknown>, opts?: Pick<WriteOptions, 'reason'>): Promise<Record<string, any>>;
  /** Throws 403 unless the caller may do `action` on the entity (a check that touches no data). */
  assertAllowed(ctx: CallContext, entity: string, action: string): Promise<EntityDef>;
  /** Field names the caller may see. */
  readable(ctx: CallContext, entity: string): string[];
}

/**
 * The platform's hook and action arguments as a plugin gets them: always inside the write's transaction, with the
 * pipeline (`records`) bound to it. Before-hooks may change `record`; the final record is validated after them.
 */
export type HookArgs = Omit<PlatformHookArgs, 'trx' | 'records'> & { trx: Knex.Transaction; records: Records };
export type Hook = (a: HookArgs) => Promise<void> | void;
export type ActionArgs = Omit<PlatformActionArgs, 'records'> & { records: Records };
export type PluginActionDef = Omit<ActionDef, 'handler' | 'available'> & { handler: (a: ActionArgs) => Promise<Record<string, any> | void> };

/** A plugin's own tables (declared in `tables`); entity tables and platform tables are refused. */
export interface PluginDb {
  /** A query builder on one of the plugin's tables (`'storage_box as b'` allowed). */
  table(name: string): Knex.QueryBuilder;
  /** Raw SQL over the plugin's own tables (`scopedQuery` subqueries may be passed as bindings); naming an entity or platform table throws. */
  raw(sql: string, bindings?: readonly unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
  /** A SQL fragment for select lists and conditions (`sum(b.free_count)::int as free`); never executed on its own. */
  fragment(sql: string, bindings?: readonly unknown[]): Knex.Raw;
  trx?: Knex.Transaction;
}

export interface JobHandle<P> {
  /** Queues a run (deduplicated by `opts.key` while queued or running). Inside `trx` it is queued only if that commits. */
  enqueue(payload: P, opts?: EnqueueOptions & { trx?: Knex.Transaction }): Promise<number>;
  /** Runs on a cron schedule; a run missed while down runs once after restart. */
  schedule(cron: string, payload?: P, opts?: ScheduleOptions): Promise<void>;
}

export interface PluginSettings<S> {
  get(): Promise<S>;
  /** Validated against the plugin's settings schema; audited. */
  set(ctx: CallContext, values: Partial<S>, reason?: string): Promise<S>;
}

export interface PluginApi {
  readonly name: string;
  readonly log: { info(o: unknown, m?: string): void; warn(o: unknown, m?: string): void; error(o: unknown, m?: string): void };
  /** The live metadata (admin overlays included); a new Model after every change. */
  readonly model: Model;
  /** All definitions of a metadata kind (entities, a plugin's own kinds like `storageTemplate`). */
  defs<T = any>(kind: string): Record<string, T>;
  /**
   * The saved versions of one definition, newest first (an admin's every save is one; the shipped file is version 0
   * and not listed). Old versions are kept: a reprint can show the version it used.
   */
  metaVersions<T = any>(kind: string, id: string): Promise<{ version: number; definition: T | null; reason: string; createdByName: string | null; createdAt: string }[]>;
  readonly records: Records;
  withTrx(trx: Knex.Transaction): Records;
  /** One transaction for several pipeline calls (and the plugin's own tables): all or nothing. */
  transaction<T>(fn: (trx: Knex.Transaction, records: Records) => Promise<T>): Promise<T>;
  /** An explicit system actor: no row scope, every permission. Use it only where the plugin itself decides. */
  system(lang?: Lang): CallContext;
  /** The call context of an HTTP request (signed-in user, language, ip), for plugin routes. */
  context(ctx: Koa.Context): CallContext;
  /**
   * An entity as a subquery aliased `alias`: live rows within the caller's row scope, only the columns the caller may
   * see, under their API names (`"d"."vacancyThreshold"`); encrypted fields are left out. Join it, select from it.
   */
  scopedQuery(ctx: CallContext, entity: string, alias: string, opts?: { trx?: Knex.Transaction; fields?: string[] }): Knex.QueryBuilder;
  /**
   * Of `wanted` (default: all), the fields the caller may see and a scoped query can select (not hidden, not
   * encrypted); null when the caller may not read the entity at all. For reports that show what they may.
   */
  visibleFields(ctx: CallContext, entity: string, wanted?: string[]): Promise<string[] | null>;
  db(trx?: Knex.Transaction): PluginDb;
  hooks: {
    on(entity: string, name: HookName, fn: Hook, opts?: { appliesTo?: (e: EntityDef) => boolean }): void;
    action(entity: string, name: string, def: PluginActionDef): void;
    /** Whether an action of this name exists already (a flow's transition), so a plugin can offer a fallback only. */
    hasAction(entity: string, name: string): boolean;
  };
  onRecord(fn: (e: RecordEvent) => void): void;
  /** An audit entry of the plugin's own (a template build's summary); the record pipeline audits records itself. */
  audit(trx: Knex.Transaction, ctx: CallContext, entry: Omit<AuditEntry, 'actorId' | 'actorName' | 'ip' | 'requestId'>): Promise<void>;
  /** In-app notifications (and channels: e-mail, webhooks) in the caller's transaction. */
  notify(trx: Knex.Transaction, items: Omit<Notification, 'id'>[]): Promise<void>;
  /** `labId` + `covering: true`: also the holders at a unit above the lab (a centre's manager looks after its labs). */
  usersWithRole(role: string, opts?: { orgId?: number | null; labId?: number | null; covering?: boolean; trx?: Knex.Transaction }): Promise<UserRef[]>;
  /**
   * Marks the open plain assignments (inbox tasks of an `x-assignee` field) of a record done, in the caller's
   * transaction, audited as `flow:complete`: the work they asked for was recorded elsewhere (a maintenance record
   * closes its due task). Returns how many were closed.
   */
  completeAssignments(trx: Knex.Transaction, ctx: CallContext, entity: string, recordId: number, comment?: string): Promise<number>;
  /** A typed job named `<plugin>.<name>`. */
  job<P = Record<string, unknown>>(name: string, handler: (payload: P, job: JobInfo) => Promise<void>, opts?: HandlerOptions): JobHandle<P>;
  /** A registry of this app instance (strategies, resolvers, gates…), shared by name between plugins. */
  registry<T>(name: string): Map<string, T>;
  /**
   * A figure for dashboard tiles (`source: {figure: "<plugin>:<name>"}`): what the aggregation API cannot say (tank
   * utilisation, stock below minimum). The platform checks `read` on `def.entity` first; `compute` reads through the
   * caller's scope (scopedQuery) and returns the headline value, an optional breakdown and the list filter behind it.
   */
  figure(name: string, def: FigureDef): void;
  settings<S extends Record<string, unknown>>(): PluginSettings<S>;
  /** Runs when the server stops (after HTTP, before the database closes). */
  onStop(fn: () => Promise<void> | void): void;
}

/** What a plugin (`plugins/<name>/index.ts`, default export) may contribute. */
export interface PluginDefinition {
  name: string;
  /** Metadata folder (module folders inside, like `metadata/`), relative to the plugin folder. */
  metadata?: string;
  /** Knex migrations of the plugin's own tables, relative to the plugin folder; tracked in the plugin's own table. */
  migrations?: string;
  /** The plugin's own tables: the only ones `db()` reaches by name. */
  tables?: string[];
  /** Extra metadata kinds (container templates, QC gates…). */
  metaKinds?: MetaKind[];
  messages?: Partial<Messages>;
  /** JSON Schema of the plugin's settings (with defaults); edited by administrators. */
  settings?: { schema: Record<string, any>; defaults: Record<string, unknown> };
  /** Hooks, actions, jobs and listeners; runs after metadata is loaded. */
  setup?(api: PluginApi): void | Promise<void>;
  /** API routes under /api/v1. */
  routes?(router: Router, api: PluginApi): void;
  /** Web entry (a module exporting widgets/pages), relative to the plugin folder. */
  web?: string;
}

export const definePlugin = (p: PluginDefinition): PluginDefinition => p;
