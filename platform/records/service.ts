import type { Knex } from 'knex';
import { AppError, ValidationError, notFound } from '../errors';
import type { CallContext } from '../context';
import type { EntityDef, FieldDef, Model } from '../metadata/model';
import { SYSTEM_COLUMNS } from '../metadata/model';
import type { MetadataStore } from '../metadata/store';
import { auditIsPlainInsert, auditRow, diffRecords, writeAudit, type AuditEntry } from '../audit/audit';
import { requireSignature, signatureFor } from '../auth/signature';
import { dropMaskedEcho, presentRecord, rawContext, revealChanges, revealRows, sealChanges, sealColumns } from '../auth/crypto';
import { allocateNumbers } from '../numbering';
import { assertReadablePath, compileFilter, filterAccess, resolveOwn, badFilter } from './filter';
import { validateRecord, validateUpdate } from './validate';
import { GroupCommit, insertWithAudit, takeIds } from './create-batch';
import type { Authorizer } from './access';
import type { HookRegistry } from './hooks';
import type { RecordEvents } from './events';
import { createAjv, localizeErrors } from '../metadata/ajv';
import { checkUsers, fillCurrentUsers, ownerLab, ownerLabField, userFields, userNames } from './people';
import jsonLogic from 'json-logic-js';
import { applyAggregate, parseGroups, parseMeasures } from './aggregate';
import { t as translate, type Lang } from '../i18n';
import { orgTree } from '../auth/org';

export interface ListOptions {
  filter?: unknown;
  sort?: string[];
  limit?: number;
  offset?: number;
  after?: string;
  fields?: string[];
  expand?: string[];
  count?: boolean;
}

export interface ListResult {
  data: Record<string, any>[];
  page: { limit: number; offset: number; nextCursor: string | null; total?: number; totalCapped?: boolean };
}

export interface WriteOptions {
  /** Run inside the caller's transaction (plugins, actions, imports). */
  trx?: Knex.Transaction;
  reason?: string;
  /**
   * The caller authorized this write itself (the workflow engine: a task's candidate acting): update and action skip
   * the role check and row scope, and update may write readOnly fields (a flow's state). Audited as the real actor.
   */
  system?: boolean;
  /**
   * Plugin-maintained values (a vial's status and position, a QC record's signature): written even where the field is
   * read-only for clients, and validated, written and audited like any other value. Only plugin and engine code can
   * pass it (no HTTP route does).
   */
  set?: Record<string, unknown>;
  /**
   * The lab and org unit a new record belongs to, when not the caller's (a tank's containers belong to the tank's
   * lab, also when the system builds them). Plugin and engine code only.
   */
  owner?: { labId: number | null; orgId?: number | null };
}

/** An action offered on a record page (see RecordService.availableActions). */
export interface AvailableAction {
  action: string;
  label: string;
  /** JSON Schema of the action's input (the form the button opens), or null. */
  input: object | null;
  /** The e-signature it requires (password again, with this meaning shown), or null. */
  signature: { meaning: string } | null;
}

const actionLabel = (def: { label?: { 'zh-CN': string; en?: string } }, name: string, lang: string) => (lang === 'en' ? def.label?.en || def.label?.['zh-CN'] : def.label?.['zh-CN']) || name;

/** One record to create, with its own caller (a group-committed batch mixes requests) and error path prefix. */
interface NewRecord {
  ctx: CallContext;
  record: Record<string, any>;
  reason?: string;
  path?: string;
  owner?: WriteOptions['owner'];
}

/** Runs `fn` for item `i` of a batch; a validation error's paths are prefixed with `/i`. */
function atItem<T>(i: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AppError) for (const d of err.details ?? []) d.path = `/${i}${d.path ?? ''}`;
    if (err instanceof ValidationError) for (const list of Object.values(err.localized)) for (const d of list) d.path = `/${i}${d.path ?? ''}`;
    throw err;
  }
}

export const MAX_LIMIT = 1000;
const COUNT_CAP = 100000;
const SYSTEM_NAMES = Object.keys(SYSTEM_COLUMNS);

const encodeCursor = (v: unknown[]) => Buffer.from(JSON.stringify(v)).toString('base64url');
function decodeCursor(s: string, n: number): unknown[] {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === n) return v;
  } catch {
    /* fall through */
  }
  throw new AppError(400, 'BAD_REQUEST', 'error.badCursor', {}, [{ path: '/after', messageKey: 'error.badCursor' }]);
}

/** Columns to select as API names: `t.batch_code as batchCode`. */
function selectList(e: EntityDef, alias: string, names: string[]): string[] {
  return names.map((n) => `${alias}.${columnOf(e, n)} as ${n}`);
}

/** An INSERT's RETURNING list: the given fields under their API names. */
function returningList(e: EntityDef, names: string[]): string[] {
  return names.map((n) => `${columnOf(e, n)} as ${n}`);
}

const columnOf = (e: EntityDef, name: string): string => SYSTEM_COLUMNS[name]?.column ?? e.fields.get(name)!.column;

/**
 * The one way every read and write of business data goes (architecture.md, "One way in").
 * HTTP routes, imports, jobs and plugins all call this service; it is never bypassed.
 */
export class RecordService {
  constructor(
    readonly knex: Knex,
    private meta: MetadataStore,
    private auth: () => Authorizer,
    private hooks: HookRegistry,
    private events: RecordEvents,
    private trx?: Knex.Transaction,
  ) {}

  /** The same service bound to a transaction: everything called on it joins that transaction. */
  withTrx(trx: Knex.Transaction): RecordService {
    if (this.isReader) throw new Error('the read-replica record service cannot open a transaction');
    const svc = new RecordService(this.knex, this.meta, this.auth, this.hooks, this.events, trx);
    svc.replica = this.replica;
    return svc;
  }

  private replica?: RecordService;
  private isReader = false;

  /** Routes heavy read-only queries (`reader()`) to a second pool (DATABASE_READ_URL); the server sets it once. */
  useReplica(readKnex: Knex): void {
    const r = new RecordService(readKnex, this.meta, this.auth, this.hooks, this.events);
    r.isReader = true;
    this.replica = r;
  }

  /**
   * The service for heavy read-only queries that may lag the primary by the replica's delay: exports and aggregates
   * (reports, dashboards). Inside a transaction, and without a replica, it is this service (the primary): reads that
   * must see the caller's own writes never go through it. It refuses every write.
   */
  reader(): RecordService {
    return this.trx || !this.replica ? this : this.replica;
  }

  get model(): Model {
    return this.meta.model;
  }

  entity(name: string): EntityDef {
    const e = this.model.entity(name);
    if (!e) throw new AppError(404, 'NOT_FOUND', 'error.unknownEntity', { entity: name });
    return e;
  }

  private db(): Knex | Knex.Transaction {
    return this.trx ?? this.knex;
  }

  /** A permission check that touches no data (import, custom routes): the entity, or 403/404. */
  async assertAllowed(ctx: CallContext, entityName: string, action: string): Promise<EntityDef> {
    const e = this.entity(entityName);
    await this.auth().assert(ctx, e, action);
    return e;
  }

  /** The table column of a field or system field (`batchCode` → `batch_code`). */
  columnOf(e: EntityDef, name: string): string {
    return columnOf(e, name);
  }

  /** Field names the caller may see (hidden fields removed). */
  readable(ctx: CallContext, e: EntityDef): string[] {
    const { hidden } = this.auth().fieldAccess(ctx, e);
    return [...SYSTEM_NAMES, ...e.columns.map((f) => f.name)].filter((n) => !hidden.has(n));
  }

  /** Base query: live rows of the entity within the caller's row scope. */
  private base(ctx: CallContext, e: EntityDef, alias = 't'): Knex.QueryBuilder {
    const qb = this.db()({ [alias]: e.table }).whereNull(`${alias}.deleted_at`);
    // The scope adds AND-ed, self-grouped clauses: applied directly, without another nested group.
    this.auth().scope(ctx, e, alias)?.(qb);
    return qb;
  }

  /**
   * Grouped figures (dashboards, statistics): `groupBy` up to three fields or date buckets (`cultureDate:month`),
   * `measures` count / sum|avg|min|max:<number field>, within the caller's row scope, filter and field rules. Group
   * values are labelled: dictionary and enum labels, referenced records' titles (as far as the caller may read them),
   * people's names.
   */
  async aggregate(ctx: CallContext, entityName: string, opts: { groupBy?: string[]; measures?: string[]; filter?: unknown; limit?: number }): Promise<{ data: Record<string, any>[]; groupBy: string[]; measures: string[] }> {
    const e = this.entity(entityName);
    await this.auth().assert(ctx, e, 'read');
    const hidden = this.auth().fieldAccess(ctx, e).hidden;
    const groups = parseGroups(e, hidden, opts.groupBy ?? []);
    const measures = parseMeasures(e, hidden, opts.measures ?? []);
    const limit = opts.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new AppError(400, 'BAD_REQUEST', 'error.badLimit', { max: 10000 }, [{ path: '/limit', messageKey: 'error.badLimit', params: { max: 10000 } }]);
    const where = compileFilter(this.model, e, 't', opts.filter, filterAccess(this.auth(), ctx));
    const qb = applyAggregate(this.knex, this.base(ctx, e).modify(where), groups, measures, limit);
    const rows: Record<string, any>[] = await qb.catch((err: any) => {
      if (!/^22/.test(err?.code ?? '')) throw err;
      throw badFilter('error.badFilterValue', { field: '', op: '' }, '/filter');
    });
    // Labels for the group values, never ids: titles of referenced records the caller may read, people's names.
    const labels = await Promise.all(groups.map(async (g, i) => {
      const f = (e.fields.get(g.field.name) ?? g.field) as FieldDef; // the full definition (ref, dictionary, labels)
      const ids = [...new Set(rows.map((r) => r[`g${i}`]).filter((v) => v != null))];
      if (!ids.length || g.bucket) return null;
      if (f.kind === 'reference' && f.ref) {
        const target = this.entity(f.ref);
        try {
          const found = await this.list(ctx, target.name, { filter: { id: { in: ids.map(Number) } }, fields: ['id', target.titleField], limit: Math.min(MAX_LIMIT, ids.length) });
          return new Map(found.data.map((r) => [String(r.id), String(r[target.titleField] ?? '')]));
        } catch (err) {
          if (err instanceof AppError && err.status === 403) return new Map<string, string>();
          throw err;
        }
      }
      if (g.name === 'labId' || g.name === 'orgId') {
        // The unit's name (a lab, a centre): what a dashboard comparing centres shows, never the id.
        const units = await this.db()('ct_org').whereIn('id', ids.map(Number)).select('id', 'name');
        return new Map(units.map((u: any) => [String(u.id), String(u.name)]));
      }
      if (f.kind === 'user' || g.name === 'createdBy' || g.name === 'updatedBy') {
        const people = await this.db()('ct_user').whereIn('id', ids.map(Number)).select('id', 'display_name');
        return new Map(people.map((u: any) => [String(u.id), String(u.display_name)]));
      }
      return null;
    }));
    const lang = ctx.lang;
    const data = rows.map((r) => {
      const out: Record<string, any> = {};
      groups.forEach((g, i) => {
        const v = r[`g${i}`];
        const f = (e.fields.get(g.field.name) ?? g.field) as FieldDef; // the full definition (ref, dictionary, labels)
        let label: string | null = v == null ? null : String(v);
        if (v != null && !g.bucket) {
          if (labels[i]) label = labels[i]!.get(String(v)) ?? null;
          else if (f.kind === 'dictionary' && f.dictionary) {
            const it = (this.model.set.dictionary?.[f.dictionary] as any)?.items?.find((x: any) => x.code === v);
            label = it?.label?.[lang] ?? it?.label?.['zh-CN'] ?? String(v);
          } else if (f.kind === 'enum') {
            const l = f.schema?.['x-enum-labels']?.[v];
            label = l?.[lang] ?? l?.['zh-CN'] ?? String(v);
          } else if (f.kind === 'boolean') label = v ? (lang === 'en' ? 'Yes' : '是') : (lang === 'en' ? 'No' : '否');
          else if (f.kind === 'date' || f.kind === 'datetime') label = v instanceof Date ? v.toISOString().slice(0, f.kind === 'date' ? 10 : 16) : String(v);
        }
        out[g.name] = { value: v instanceof Date ? v.toISOString() : v, label };
      });
      for (const m of measures) out[m.key] = r[m.key] == null ? null : Number(r[m.key]);
      return out;
    });
    return { data, groupBy: groups.map((g) => g.name), measures: measures.map((m) => m.key) };
  }

  async list(ctx: CallContext, entityName: string, opts: ListOptions = {}, action = 'read'): Promise<ListResult> {
    const e = this.entity(entityName);
    await this.auth().assert(ctx, e, action);
    const model = this.model;
    const readable = this.readable(ctx, e);
    const hidden = this.auth().fieldAccess(ctx, e).hidden;
    const limit = opts.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw new AppError(400, 'BAD_REQUEST', 'error.badLimit', { max: MAX_LIMIT }, [{ path: '/limit', messageKey: 'error.badLimit', params: { max: MAX_LIMIT } }]);
    const offset = opts.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0) throw badFilter('error.badFilterShape', {}, '/offset');

    const where = compileFilter(model, e, 't', opts.filter, filterAccess(this.auth(), ctx));

    let fields = opts.fields?.length ? opts.fields : readable;
    fields.forEach((f, i) => {
      if (!readable.includes(f) && !(e.fields.get(f)?.kind === 'multiReference' && !hidden.has(f)))
        throw badFilter('error.unknownField', { field: f }, `/fields/${i}`);
    });
    const multi = fields.filter((f) => e.fields.get(f)?.kind === 'multiReference');
    fields = fields.filter((f) => !multi.includes(f));

    const sort = (opts.sort?.length ? opts.sort : (e.schema['x-default-sort'] as string[] | undefined) ?? ['-id']).slice(0, 6);
    const keys: { name: string; desc: boolean; column: string; ref?: { table: string; column: string; fk: string; entity: EntityDef } }[] = [];
    sort.forEach((s, i) => {
      const desc = s.startsWith('-');
      const name = desc ? s.slice(1) : s;
      if (hidden.has(name.split('.')[0])) throw badFilter('error.badSort', { field: name }, `/sort/${i}`);
      if (name.includes('.')) {
        // The referenced entity's field rules apply: a field hidden there is no sort key here either.
        const { field: tf, ref } = assertReadablePath(filterAccess(this.auth(), ctx), model, e, name, `/sort/${i}`, 'error.badSort');
        if (!ref || ref.field.kind !== 'reference' || tf.kind === 'multiReference' || tf.kind === 'json' || tf.kind === 'attachment' || tf.encrypted)
          throw badFilter('error.badSort', { field: name }, `/sort/${i}`);
        keys.push({ name, desc, column: tf.column, ref: { table: ref.target.table, column: tf.column, fk: ref.field.column, entity: ref.target } });
        return;
      }
      const f = resolveOwn(e, name);
      if (!f || f.kind === 'multiReference' || f.kind === 'json' || f.kind === 'attachment' || f.encrypted) throw badFilter('error.badSort', { field: name }, `/sort/${i}`);
      keys.push({ name, desc, column: f.column });
    });
    if (!keys.some((k) => k.name === 'id')) keys.push({ name: 'id', desc: keys[0]?.desc ?? true, column: 'id' });

    const qb = this.base(ctx, e).modify(where);
    const cols = selectList(e, 't', fields.includes('id') ? fields : ['id', ...fields]);
    // Sort values travel in the cursor; select the sort columns under internal names.
    keys.forEach((k, i) => {
      if (k.ref) {
        // The referenced row's value only when the caller may read that row (no ordering by other labs' data).
        const ref = k.ref;
        const sub = this.db()({ r: ref.table }).select(`r.${ref.column}`).whereRaw('r.id = t.??', [ref.fk]).whereNull('r.deleted_at');
        const sc = this.auth().scope(ctx, ref.entity, 'r');
        if (sc) sub.andWhere((w) => sc(w));
        cols.push(sub.as(`$s${i}`) as any);
      }
      else if (!fields.includes(k.name)) cols.push(`t.${k.column} as $s${i}`);
    });
    // User references carry the person's name, from the same statement (the creator/editor when asked for:
    // `expand=updatedBy`). Any user's display name: it is what every reader of the record sees.
    const people = userFields(e).map((f) => f.name).filter((n) => fields.includes(n));
    for (const n of opts.expand ?? []) if ((n === 'createdBy' || n === 'updatedBy') && fields.includes(n) && !people.includes(n)) people.push(n);
    for (const n of people) cols.push(this.knex.raw('(select u.display_name from ct_user u where u.id = ??) as ??', [`t.${columnOf(e, n)}`, `$u_${n}`]) as any);
    qb.select(cols);
    for (const [i, k] of keys.entries()) {
      if (k.ref) qb.orderByRaw(`?? ${k.desc ? 'desc' : 'asc'}`, [`$s${i}`]);
      else qb.orderBy(`t.${k.column}`, k.desc ? 'desc' : 'asc');
    }
    if (opts.after) {
      if (keys.some((k) => k.ref)) throw new AppError(400, 'BAD_REQUEST', 'error.badCursor', {}, [{ path: '/after', messageKey: 'error.badCursor' }]);
      const values = decodeCursor(opts.after, keys.length);
      qb.andWhere((w) => keysetAfter(w, keys.map((k) => `t.${k.column}`), keys.map((k) => k.desc), values));
    } else if (offset) qb.offset(offset);
    qb.limit(limit);

    // A data exception (class 22: a forged cursor value, an impossible date) is the request's fault, not a 500.
    const rows: Record<string, any>[] = await qb.catch((err: any) => {
      if (!/^22/.test(err?.code ?? '')) throw err;
      throw opts.after ? new AppError(400, 'BAD_REQUEST', 'error.badCursor', {}, [{ path: '/after', messageKey: 'error.badCursor' }]) : badFilter('error.badFilterValue', { field: '', op: '' }, '/filter');
    });
    const last = rows[rows.length - 1];
    const nextCursor =
      rows.length === limit && last && !keys.some((k) => k.ref)
        ? encodeCursor(keys.map((k, i) => (fields.includes(k.name) || k.name === 'id' ? last[k.name] : last[`$s${i}`])))
        : null;
    const internal = keys.map((k, i) => (k.ref || !fields.includes(k.name) ? `$s${i}` : '')).filter(Boolean);
    if (internal.length) for (const r of rows) for (const n of internal) delete r[n];
    revealRows(this.auth(), ctx, e, rows);
    if (multi.length) await this.loadMulti(e, rows, multi);
    for (const n of people)
      for (const r of rows) {
        const name = r[`$u_${n}`];
        delete r[`$u_${n}`];
        if (r[n] != null) r[`${n}$expanded`] = name == null ? null : { id: Number(r[n]), displayName: name };
      }
    const lab = this.ownerLabOf(e);
    if (lab && fields.includes(lab) && rows.length) {
      // The owning lab by its name, as a person is named (never the org id).
      const tree = await orgTree((this.trx ?? this.knex) as Knex); // inside the caller's transaction (one connection on PGlite)
      for (const r of rows) {
        const u = r[lab] == null ? undefined : tree.byId.get(Number(r[lab]));
        if (r[lab] != null) r[`${lab}$expanded`] = u ? { id: u.id, displayName: ctx.lang === 'en' && u.nameEn ? u.nameEn : u.name } : null;
      }
    }
    const refs = (opts.expand ?? []).filter((n) => n !== 'createdBy' && n !== 'updatedBy' && e.fields.get(n)?.kind !== 'user');
    if (refs.length) await this.expand(ctx, e, rows, refs);

    const result: ListResult = { data: rows, page: { limit, offset, nextCursor } };
    if (opts.count) {
      const c = await this.db()
        .count({ n: '*' })
        .from(this.base(ctx, e).modify(where).select(this.knex.raw('1')).limit(COUNT_CAP + 1).as('c'))
        .first();
      const n = Number((c as any)?.n ?? 0);
      result.page.total = Math.min(n, COUNT_CAP);
      if (n > COUNT_CAP) result.page.totalCapped = true;
    }
    return result;
  }

  private async loadMulti(e: EntityDef, rows: Record<string, any>[], names: string[]) {
    const ids = rows.map((r) => r.id);
    for (const n of names) {
      const f = e.fields.get(n)!;
      const links: any[] = ids.length ? await this.db()(f.joinTable!).whereIn('owner_id', ids).orderBy(['owner_id', 'position']) : [];
      const by = new Map<number, number[]>();
      for (const l of links) by.set(l.owner_id, [...(by.get(l.owner_id) ?? []), l.target_id]);
      for (const r of rows) r[n] = by.get(r.id) ?? [];
    }
  }

  /** Adds `{field}$expanded` for reference fields, read through the target's own permissions and scope. */
  private async expand(ctx: CallContext, e: EntityDef, rows: Record<string, any>[], names: string[]) {
    for (const [i, n] of names.entries()) {
      const f = e.fields.get(n);
      if (!f || (f.kind !== 'reference' && f.kind !== 'multiReference') || this.auth().fieldAccess(ctx, e).hidden.has(n))
        throw badFilter('error.unknownField', { field: n }, `/expand/${i}`);
      if (f.kind === 'multiReference' && !(n in (rows[0] ?? {}))) await this.loadMulti(e, rows, [n]);
      const ids = [...new Set(rows.flatMap((r) => (Array.isArray(r[n]) ? r[n] : r[n] != null ? [r[n]] : [])))];
      if (!ids.length) continue;
      let found: Record<string, any>[] = [];
      try {
        found = (await this.list(ctx, f.ref!, { filter: { id: { in: ids } }, limit: MAX_LIMIT })).data;
      } catch (err) {
        if (!(err instanceof AppError && err.status === 403)) throw err;
      }
      const by = new Map(found.map((r) => [r.id, r]));
      for (const r of rows) {
        if (Array.isArray(r[n])) r[`${n}$expanded`] = r[n].map((id: number) => by.get(id) ?? null);
        else if (r[n] != null) r[`${n}$expanded`] = by.get(r[n]) ?? null;
      }
    }
  }

  async get(ctx: CallContext, entityName: string, id: number, opts: { fields?: string[]; expand?: string[] } = {}): Promise<Record<string, any>> {
    const e = this.entity(entityName);
    if (!Number.isSafeInteger(id) || id < 1) throw notFound(e.schema['x-label'] ?? entityName, id);
    const all = opts.fields ?? [...this.readable(ctx, e), ...[...e.fields.values()].filter((f) => f.kind === 'multiReference').map((f) => f.name)];
    const r = await this.list(ctx, entityName, { filter: { id }, limit: 1, fields: all, expand: opts.expand, sort: ['id'] });
    if (!r.data.length) throw notFound(e.schema['x-label'] ?? entityName, id);
    return r.data[0];
  }

  /** The entity's owning-lab field name (`x-owner-lab`), memoised per metadata version; null when it has none. */
  private ownerLabOf(e: EntityDef): string | null {
    return this.model.memo(`ownerLab:${e.name}`, () => ownerLabField(e)?.name ?? null);
  }

  /** Input checks shared by create and update: read-only and hidden fields, unknown system fields. */
  private cleanInput(ctx: CallContext, e: EntityDef, input: unknown, previous?: Record<string, any>, system = false): Record<string, any> {
    if (!input || typeof input !== 'object' || Array.isArray(input)) throw new ValidationError(bilingual([{ path: '', message: 'object' }]));
    const { readOnly, hidden } = this.auth().fieldAccess(ctx, e);
    const out: Record<string, any> = {};
    const problems: { path: string; key: string }[] = [];
    for (const [k, v] of Object.entries(input as Record<string, any>)) {
      if (SYSTEM_NAMES.includes(k)) continue; // id/version/audit columns are the engine's, never the client's
      const f = e.fields.get(k);
      if (f && !system && (f.readOnly || readOnly.has(k) || hidden.has(k))) {
        if (previous && JSON.stringify(previous[k] ?? null) === JSON.stringify(v ?? null)) continue;
        problems.push({ path: `/${k}`, key: 'error.readOnlyField' });
        continue;
      }
      if (f && previous && f.schema['x-owner-lab'] && JSON.stringify(previous[k] ?? null) !== JSON.stringify(v ?? null)) {
        problems.push({ path: `/${k}`, key: 'error.ownerLabFixed' });
        continue;
      }
      out[k] = v;
    }
    if (problems.length) throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, problems.map((p) => ({ path: p.path, messageKey: p.key })));
    return out;
  }

  /** Plugin-maintained values (`WriteOptions.set`): any field of the entity, read-only ones included; validated like the rest. */
  private pluginFields(e: EntityDef, set: Record<string, unknown> | undefined): Record<string, unknown> {
    if (!set) return {};
    for (const k of Object.keys(set))
      if (!e.fields.has(k)) throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: `/${k}`, messageKey: 'error.unknownField', params: { field: k } }]);
    return set;
  }

  async create(ctx: CallContext, entityName: string, input: unknown, opts: WriteOptions = {}): Promise<Record<string, any>> {
    if (this.isReader) throw new Error('the read-replica record service cannot write');
    const e = this.entity(entityName);
    await this.auth().assert(ctx, e, 'create');
    const record = stripNulls({ ...this.cleanInput(ctx, e, input), ...this.pluginFields(e, opts.set) });
    fillCurrentUsers(ctx, e, record);
    const model = this.model;
    if (this.ownerLabOf(e)) opts = { ...opts, owner: await ownerLab(this.trx ?? this.knex, ctx, e, record, opts.owner) };
    const shape = model.memo(`createShape:${e.name}`, () => ({
      multi: [...e.fields.values()].some((f) => f.kind === 'multiReference'),
      numbered: [...e.fields.values()].some((f) => f.numbering),
    }));
    const hooked = this.hooks.has(e, 'beforeCreate');
    if (!opts.trx && !this.trx && !shape.multi && auditIsPlainInsert() && !this.hooks.has(e, 'beforeCreate', { exceptPure: true }) && !this.hooks.has(e, 'afterCreate')) {
      // Only pure before-hooks (reads and vetoes, no writes): they need no transaction around the one statement.
      if (hooked) {
        validateRecord(model, e, record, { early: true });
        await this.hooks.run('beforeCreate', { ctx, entity: e, record, records: this });
        dropNulls(record);
      }
      validateRecord(model, e, record);
      await this.checkFinal(ctx, e, record);
      const item: NewRecord = { ctx, record, reason: opts.reason, owner: opts.owner };
      if (!shape.numbered) return this.createInOneStatement(e, item);
      // Numbered: concurrent creates share one transaction and one counter update (GroupCommit).
      const gc = model.memo(`createNumbered:${e.name}`, () =>
        new GroupCommit<NewRecord, Record<string, any>>(
          async (it) => (await this.knex.transaction((trx) => this.withTrx(trx).writeNew(trx, e, [it])))[0],
          (items) => this.knex.transaction((trx) => this.withTrx(trx).writeNew(trx, e, items)),
          2,
        ),
      );
      return gc.submit(item);
    }
    return this.inTrx(opts, async (trx, svc) => (await svc.writeNew(trx, e, [{ ctx, record, reason: opts.reason, owner: opts.owner }]))[0]);
  }

  /**
   * Several records of one entity through the same steps as create (authorize, before-hooks, validation of the final
   * record, numbering, write, audit, after-hooks, events after commit) in one transaction and as few statements as
   * possible: one multi-row INSERT, one counter update per numbering prefix, one multi-row audit INSERT. Errors name
   * the item: `/3/code`. `opts.set` may be a function of the item's index (per-item plugin-maintained values).
   */
  async createMany(
    ctx: CallContext, entityName: string, inputs: unknown[], opts: Omit<WriteOptions, 'set' | 'system'> & { set?: Record<string, unknown> | ((index: number) => Record<string, unknown>) } = {},
  ): Promise<Record<string, any>[]> {
    const e = this.entity(entityName);
    await this.auth().assert(ctx, e, 'create');
    if (!Array.isArray(inputs)) throw new ValidationError(bilingual([{ path: '', message: 'array' }]));
    if (!inputs.length) return [];
    const items: NewRecord[] = inputs.map((input, i) =>
      atItem(i, () => {
        const set = typeof opts.set === 'function' ? opts.set(i) : opts.set;
        const record = stripNulls({ ...this.cleanInput(ctx, e, input), ...this.pluginFields(e, set) });
        fillCurrentUsers(ctx, e, record);
        return { ctx, record, reason: opts.reason, path: `/${i}`, owner: opts.owner };
      }),
    );
    return this.inTrx({ trx: opts.trx }, (trx, svc) => svc.writeNew(trx, e, items));
  }

  /** A new row's columns, system columns included. */
  private insertRow(ctx: CallContext, e: EntityDef, record: Record<string, any>, owner?: WriteOptions['owner']): Record<string, any> {
    const row = toColumns(e, record);
    const org = owner ? (owner.orgId ?? owner.labId) : ctx.actor.orgId;
    return Object.assign(row, { created_by: ctx.actor.id, updated_by: ctx.actor.id, org_id: org ?? null, lab_id: (owner ? owner.labId : ctx.actor.labId) ?? null });
  }

  /**
   * The transactional create of one or more records (each with its own caller: a group-committed batch mixes
   * requests): before-hooks, validation of the record as it will be written, numbers (one counter update per
   * prefix), one multi-row INSERT, join rows, audit rows, after-hooks; events once the transaction commits.
   */
  private async writeNew(trx: Knex.Transaction, e: EntityDef, items: NewRecord[]): Promise<Record<string, any>[]> {
    const model = this.model;
    const before = this.hooks.has(e, 'beforeCreate');
    for (const [i, it] of items.entries()) {
      if (before) {
        validateRecord(model, e, it.record, { early: true, basePath: it.path });
        await this.hooks.run('beforeCreate', { ctx: it.ctx, entity: e, record: it.record, trx, records: this });
        dropNulls(it.record);
      }
      validateRecord(model, e, it.record, { basePath: it.path ?? (items.length > 1 ? `/${i}` : '') });
      await this.checkFinal(it.ctx, e, it.record, undefined, it.path ?? (items.length > 1 ? `/${i}` : ''));
    }
    for (const f of e.fields.values()) {
      if (!f.numbering) continue;
      const todo = items.filter((it) => it.record[f.name] === undefined);
      if (!todo.length) continue;
      const numbers = await allocateNumbers(
        trx,
        model.set.numbering?.[f.numbering],
        todo.map((it) => ({
          record: it.record,
          orgCode: (it.ctx.actor.orgCode as string) ?? undefined,
          labCode: (it.ctx.actor.labCode as string) ?? undefined,
          dictionaries: (name) => model.set.dictionary?.[name]?.items,
        })),
      );
      todo.forEach((it, i) => (it.record[f.name] = numbers[i]));
    }
    const all = model.memo(`allNames:${e.name}`, () => [...SYSTEM_NAMES, ...e.columns.map((f) => f.name)]);
    const returning = model.memo(`allReturning:${e.name}`, () => returningList(e, all));
    const multi = model.memo(`multiFields:${e.name}`, () => [...e.fields.values()].filter((f) => f.kind === 'multiReference'));
    const rows = items.map((it) => this.insertRow(it.ctx, e, it.record, it.owner));
    const audit = (it: NewRecord, id: number, r: Record<string, any>): AuditEntry => ({
      actorId: it.ctx.actor.id, actorName: it.ctx.actor.displayName, entity: e.name, recordId: id, action: 'create',
      changes: sealChanges(e, diffRecords(null, r, auditFields(e))), reason: it.reason, ip: it.ctx.ip, requestId: it.ctx.requestId,
    });
    // Ids first, so that rows and their audit rows go in one statement (plain audit) and each audit row names its record.
    const ids = await takeIds(trx, e.table, rows.length);
    rows.forEach((r, i) => (r.id = ids[i]));
    const fused = auditIsPlainInsert() && !multi.length;
    let saved: Record<string, any>[] = [];
    const per = Math.max(1, Math.floor(30000 / (Object.keys(rows[0]).length + 10)));
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      saved.push(
        ...(await mapDbErrors(e, () =>
          fused
            ? insertWithAudit(trx, e.table, chunk, items.slice(i, i + per).map((it, j) => auditRow(audit(it, ids[i + j], it.record))), returning)
            : trx(e.table).insert(chunk).returning(returning),
        )),
      );
    }
    if (saved.length > 1) {
      const byId = new Map(saved.map((r) => [Number(r.id), r]));
      saved = ids.map((id) => byId.get(id)!);
    }
    for (const [i, it] of items.entries()) {
      const r = saved[i];
      r.id = Number(r.id);
      revealRows(this.auth(), rawContext(it.ctx), e, [r]);
      if (multi.length) {
        await this.writeMulti(trx, e, r.id, it.record);
        for (const f of multi) r[f.name] = it.record[f.name] ?? [];
      }
      if (!fused) await writeAudit(trx, audit(it, r.id, r));
    }
    const out: Record<string, any>[] = [];
    for (const [i, it] of items.entries()) {
      await this.hooks.run('afterCreate', { ctx: it.ctx, entity: e, record: saved[i], trx, records: this });
      const shown = presentRecord(this.auth(), it.ctx, e, this.visible(it.ctx, e, saved[i]));
      this.afterCommit(trx, { type: 'created', entity: e.name, id: saved[i].id, record: shown, actorId: it.ctx.actor.id });
      out.push(shown);
    }
    return out;
  }

  /** The record without the fields the caller may not see. */
  private visible(ctx: CallContext, e: EntityDef, r: Record<string, any>): Record<string, any> {
    const { hidden } = this.auth().fieldAccess(ctx, e);
    if (!hidden.size) return r;
    const o: Record<string, any> = {};
    for (const [k, v] of Object.entries(r)) if (!hidden.has(k)) o[k] = v;
    return o;
  }

  /**
   * The common case (no hooks, numbering or join rows) as ONE statement: the row and its audit entry are written by a
   * single INSERT … RETURNING with a data-modifying CTE, which PostgreSQL runs atomically; concurrent creates of the
   * entity are group-committed into one multi-row statement.
   */
  private async createInOneStatement(e: EntityDef, item: NewRecord): Promise<Record<string, any>> {
    const { ctx, record } = item;
    const row = this.insertRow(ctx, e, record, item.owner);
    const audit = auditRow({
      actorId: ctx.actor.id, actorName: ctx.actor.displayName, entity: e.name, recordId: null, action: 'create',
      changes: sealChanges(e, diffRecords(null, record, auditFields(e))), reason: item.reason, ip: ctx.ip, requestId: ctx.requestId,
    });
    const readable = this.readable(ctx, e);
    const returning = returningList(e, readable);
    const gc = this.model.memo(
      `createBatch:${e.name}:${readable.join(',')}`,
      () =>
        new GroupCommit<{ row: Record<string, any>; audit: Record<string, any> }, Record<string, any>>(
          (p) => this.createStatement(e, readable, p.row, p.audit),
          async (batch) => {
            const ids = await takeIds(this.knex, e.table, batch.length);
            const rows = await insertWithAudit(this.knex, e.table, batch.map((p, i) => ({ ...p.row, id: ids[i] })), batch.map((p, i) => ({ ...p.audit, record_id: ids[i] })), returning);
            const byId = new Map(rows.map((r) => [Number(r.id), r]));
            return ids.map((id) => byId.get(id)!);
          },
        ),
    );
    const saved = await mapDbErrors(e, () => gc.submit({ row, audit }));
    revealRows(this.auth(), ctx, e, [saved]);
    this.events.emitAfterCommit({ type: 'created', entity: e.name, id: saved.id, record: saved, actorId: ctx.actor.id });
    return saved;
  }

  /** One record and its audit row as one INSERT … RETURNING with a data-modifying CTE (PostgreSQL runs it atomically). */
  private async createStatement(e: EntityDef, readable: string[], row: Record<string, any>, a: Record<string, any>): Promise<Record<string, any>> {
    const names = Object.keys(row).filter((k) => row[k] !== undefined).sort();
    const cols = Object.keys(a).filter((k) => k !== 'record_id');
    // The text depends only on the entity, the columns written and the readable fields: built once per metadata
    // version (knex sorts insert columns; the bindings follow that order).
    const sql = this.model.memo(`create1:${e.name}:${names.join(',')}:${readable.join(',')}`, () => {
      const ins = this.knex(e.table)
        .insert(Object.fromEntries(names.map((n) => [n, 0])))
        .returning(returningList(e, readable))
        .toSQL();
      return (
        `with ins as (${ins.sql}), aud as (insert into ct_audit (record_id, ${cols.map((c) => `"${c}"`).join(', ')}) ` +
        `select ins.id, ${cols.map((c) => (c === 'changes' ? '?::jsonb' : '?')).join(', ')} from ins) select * from ins`
      );
    });
    return (await this.knex.raw(sql, [...names.map((n) => row[n]), ...cols.map((c) => a[c])] as any)).rows[0];
  }

  async update(ctx: CallContext, entityName: string, id: number, input: unknown, opts: WriteOptions = {}): Promise<Record<string, any>> {
    const e = this.entity(entityName);
    if (!opts.system) await this.auth().assert(ctx, e, 'update');
    const rctx = opts.system ? asSystem(ctx) : ctx;
    const version = (input as any)?.version;
    if (!Number.isInteger(version)) throw new AppError(400, 'VALIDATION_FAILED', 'error.versionRequired', {}, [{ path: '/version', messageKey: 'error.versionRequired' }]);
    if (e.schema['x-reason-required'] && !opts.reason?.trim()) throw new AppError(400, 'VALIDATION_FAILED', 'error.reasonRequired', {}, [{ path: '/reason', messageKey: 'error.reasonRequired' }]);
    const hooked = this.hooks.has(e, 'beforeUpdate');
    return this.inTrx(opts, async (trx, svc) => {
      // The pipeline works on clear values; the caller sees them masked (and a masked value sent back means "unchanged").
      const previous = await svc.get(rawContext(rctx), e.name, id);
      if (previous.version !== version) throw conflict(previous.version);
      const patch = { ...this.cleanInput(ctx, e, dropMaskedEcho(e, input, previous), previous, opts.system), ...this.pluginFields(e, opts.set) };
      const merged = stripNulls({ ...pickFields(e, previous), ...patch });
      if (hooked) {
        validateUpdate(this.model, e, merged, previous, { early: true });
        // A system write's before-hooks see the elevated actor too: the access guards must not re-check the engine's decision.
        await this.hooks.run('beforeUpdate', { ctx: rctx, entity: e, record: merged, previous, trx, records: svc });
        dropNulls(merged); // a hook clears a field with null, like a client
      }
      validateUpdate(this.model, e, merged, previous);
      await svc.checkFinal(ctx, e, merged, previous);
      // Fields a before-hook computed (e.g. a QC result) are written too, not only the client's patch.
      const written = new Set(Object.keys(patch));
      for (const f of e.columns) if (JSON.stringify(merged[f.name] ?? null) !== JSON.stringify(previous[f.name] ?? null)) written.add(f.name);
      const row = toColumns(e, Object.fromEntries([...written].map((k) => [k, merged[k] ?? null])));
      Object.assign(row, { updated_by: ctx.actor.id, updated_at: trx.fn.now(), version: version + 1 });
      const scope = opts.system ? null : this.auth().scope(ctx, e, e.table);
      const q = trx(e.table).where({ id, version }).whereNull('deleted_at');
      if (scope) q.andWhere((w) => scope(w));
      const n = await mapDbErrors(e, () => q.update(row));
      if (n === 0) {
        const cur = await trx(e.table).where({ id }).first('version', 'deleted_at');
        if (!cur || cur.deleted_at) throw notFound(e.schema['x-label'] ?? e.name, id);
        throw conflict(cur.version);
      }
      await this.writeMulti(trx, e, id, Object.fromEntries([...written].map((k) => [k, merged[k]])));
      const saved = await svc.get(rawContext(rctx), e.name, id);
      await writeAudit(trx, {
        actorId: ctx.actor.id, actorName: ctx.actor.displayName, entity: e.name, recordId: id, action: 'update',
        changes: sealChanges(e, diffRecords(previous, saved, auditFields(e))), reason: opts.reason, ip: ctx.ip, requestId: ctx.requestId,
      });
      await this.hooks.run('afterUpdate', { ctx, entity: e, record: saved, previous, trx, records: svc });
      const shown = presentRecord(this.auth(), ctx, e, this.visible(ctx, e, saved));
      this.afterCommit(trx, { type: 'updated', entity: e.name, id, record: shown, actorId: ctx.actor.id });
      return shown;
    });
  }

  async remove(ctx: CallContext, entityName: string, id: number, version: number | undefined, opts: WriteOptions = {}): Promise<Record<string, any>> {
    const e = this.entity(entityName);
    await this.auth().assert(ctx, e, 'delete');
    if (e.schema['x-reason-required'] && !opts.reason?.trim()) throw new AppError(400, 'VALIDATION_FAILED', 'error.reasonRequired', {}, [{ path: '/reason', messageKey: 'error.reasonRequired' }]);
    return this.inTrx(opts, async (trx, svc) => {
      const previous = await svc.get(ctx, e.name, id);
      if (version !== undefined && previous.version !== version) throw conflict(previous.version);
      await this.hooks.run('beforeDelete', { ctx, entity: e, record: previous, previous, trx, records: svc });
      const n = await trx(e.table)
        .where({ id, version: previous.version })
        .whereNull('deleted_at')
        .update({ deleted_at: trx.fn.now(), updated_at: trx.fn.now(), updated_by: ctx.actor.id, version: previous.version + 1 });
      if (n === 0) throw conflict((await trx(e.table).where({ id }).first('version'))?.version);
      await writeAudit(trx, {
        actorId: ctx.actor.id, actorName: ctx.actor.displayName, entity: e.name, recordId: id, action: 'delete',
        changes: [{ field: 'deletedAt', from: null, to: new Date().toISOString() }], reason: opts.reason, ip: ctx.ip, requestId: ctx.requestId,
      });
      await this.hooks.run('afterDelete', { ctx, entity: e, record: previous, previous, trx, records: svc });
      this.afterCommit(trx, { type: 'deleted', entity: e.name, id, record: previous, actorId: ctx.actor.id });
      return { ...previous, version: previous.version + 1 };
    });
  }
  /** A named action (flow transition, plugin action) on one record, in one transaction with its audit row. */
  async action(ctx: CallContext, entityName: string, id: number, action: string, input: unknown, opts: WriteOptions = {}): Promise<Record<string, any>> {
    const e = this.entity(entityName);
    const def = this.hooks.getAction(e.name, action);
    if (!def) throw new AppError(404, 'NOT_FOUND', 'error.unknownAction', { action });
    if (!opts.system) await this.auth().assert(ctx, e, action);
    const rctx = opts.system ? asSystem(ctx) : ctx;
    // An e-signature travels beside the action's input, never inside it (nor into its audit row).
    const { signature, ...body } = (input ?? {}) as Record<string, any>;
    const sign = signatureFor(e, action, def);
    if (def.input) {
      const v = this.model.memo(`action:${e.name}:${action}`, () => createAjv().compile(def.input!));
      if (!v(body)) throw new ValidationError(localizeErrors(v.errors));
    }
    const before = await this.get(rctx, e.name, id);
    if (def.when && !jsonLogic.truthy(jsonLogic.apply(def.when as any, before)))
      throw new AppError(422, 'ACTION_NOT_AVAILABLE', 'error.actionNotAvailable', { action: actionLabel(def, action, ctx.lang) });
    return this.inTrx(opts, async (trx, svc) => {
      const out = await def.handler({ ctx, entity: e, record: before, input: body, signature, trx, records: svc });
      const after = out ?? (await svc.get(rctx, e.name, id));
      if (sign) await requireSignature(trx, ctx, { entity: e.name, recordId: id, meaning: sign.meaning ?? signature?.meaning, password: signature?.password, content: after, action });
      await writeAudit(trx, {
        actorId: ctx.actor.id, actorName: ctx.actor.displayName, entity: e.name, recordId: id, action: `action:${action}`,
        changes: sealChanges(e, diffRecords(before, after, auditFields(e))), reason: opts.reason ?? body.comment ?? null, ip: ctx.ip, requestId: ctx.requestId,
      });
      this.afterCommit(trx, { type: 'action', action, entity: e.name, id, record: after, actorId: ctx.actor.id });
      return after;
    });
  }

  /**
   * Checks of the record as it will be written that need the database: user references name users the writer may
   * name, and a reference with `x-ref-filter` points at records matching this record (a crafted request cannot bypass
   * the form's picker filter). 422 naming the field.
   */
  private async checkFinal(ctx: CallContext, e: EntityDef, record: Record<string, any>, previous?: Record<string, any>, basePath = ''): Promise<void> {
    const shape = this.model.memo(`finalChecks:${e.name}`, () => ({
      users: userFields(e).length > 0,
      filtered: [...e.fields.values()].filter((f) => (f.kind === 'reference' || f.kind === 'multiReference') && f.schema['x-ref-filter']),
    }));
    if (shape.users) await checkUsers(this.db(), ctx, e, record, previous, basePath);
    const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    for (const f of shape.filtered) {
      const v = record[f.name];
      if (v == null || (Array.isArray(v) && !v.length)) continue;
      // A rule is a field of this record ({"$field": "batch"}) or a constant ("stored").
      const rules = Object.entries<{ $field: string } | string | number | boolean>(f.schema['x-ref-filter']);
      const fieldOf = (r: unknown) => (r && typeof r === 'object' ? (r as { $field: string }).$field : null);
      if (previous && same(previous[f.name], v) && rules.every(([, r]) => !fieldOf(r) || same(previous[fieldOf(r)!], record[fieldOf(r)!]))) continue;
      const ids = [...new Set(Array.isArray(v) ? v : [v])];
      const filter: Record<string, unknown> = { id: { in: ids } };
      for (const [tf, r] of rules) {
        const own = fieldOf(r);
        const want = own ? record[own] : r;
        filter[tf] = want == null ? { isNull: true } : { eq: want };
      }
      // Whether the caller may read the referenced records is the reference guard's business: here only the match.
      const found = await this.list(asSystem(ctx), f.ref!, { filter, fields: ['id'], limit: MAX_LIMIT });
      if (found.data.length < ids.length) {
        const own = rules.filter(([, r]) => fieldOf(r)).map(([, r]) => e.fields.get(fieldOf(r)!)?.schema['x-label'] ?? fieldOf(r));
        throw new AppError(422, 'VALIDATION_FAILED', 'error.validation', {}, [
          { path: `${basePath}/${f.name}`, messageKey: 'error.refFilterMismatch', params: { field: own[0] ?? this.entity(f.ref!).schema['x-label'] ?? f.ref, target: this.entity(f.ref!).schema['x-label'] ?? f.ref } },
        ]);
      }
    }
  }

  /**
   * The actions the caller may run on the record now, as buttons for the record page: declared for the entity (plugin
   * actions, a flow's start action), listed, allowed to the caller's role, and whose `when` / `available` holds.
   * A flow's transitions are not here: their tasks carry them (the inbox).
   */
  async availableActions(ctx: CallContext, entityName: string, id: number): Promise<AvailableAction[]> {
    const e = this.entity(entityName);
    const record = await this.get(ctx, e.name, id);
    const out: AvailableAction[] = [];
    for (const name of this.hooks.actionsOf(e.name)) {
      const def = this.hooks.getAction(e.name, name)!;
      if (def.listed === false) continue;
      try {
        await this.auth().assert(ctx, e, name);
      } catch {
        continue;
      }
      if (def.when && !jsonLogic.truthy(jsonLogic.apply(def.when as any, record))) continue;
      if (def.available && !(await def.available({ ctx, entity: e, record }))) continue;
      const sign = signatureFor(e, name, def);
      out.push({ action: name, label: actionLabel(def, name, ctx.lang), input: def.input ?? null, signature: sign ? { meaning: sign.meaning ?? actionLabel(def, name, ctx.lang) } : null });
    }
    return out;
  }

  async history(ctx: CallContext, entityName: string, id: number): Promise<any[]> {
    const e = this.entity(entityName);
    await this.get(ctx, e.name, id); // permission and scope of the record itself
    const hidden = this.auth().fieldAccess(ctx, e).hidden;
    const rows = await this.db()('ct_audit').where({ entity: e.name, record_id: id }).orderBy('id');
    const entries = rows.map((r: any) => ({
      id: Number(r.id), at: r.at, by: r.actor_id == null ? null : Number(r.actor_id), // What the system did (demo data, jobs) is signed "System": in the caller's language, as the operation log does.
      byName: r.actor_id == null && r.actor_name === 'System' ? translate(ctx.lang as Lang, 'oplog.system') : r.actor_name, action: r.action, reason: r.reason, ip: r.ip ?? null, requestId: r.request_id ?? null,
      changes: revealChanges(this.auth(), ctx, e, Array.isArray(r.changes) ? r.changes.filter((c: any) => !hidden.has(c.field)) : r.changes),
    }));
    await this.nameHistory(ctx, e, entries);
    return entries;
  }

  /**
   * Names instead of ids in a history: a change of a reference or user field gets `fromText`/`toText` (the referenced
   * records' titles, as far as the caller may read them, else null; the people's display names), and details of flow
   * steps naming users (`from`, `to`, `notified`) get `people: {id: displayName}`.
   */
  private async nameHistory(ctx: CallContext, e: EntityDef, entries: { changes: any }[]): Promise<void> {
    const refIds = new Map<string, Set<number>>();
    const userIds = new Set<number>();
    const idsOf = (v: unknown): number[] => (Array.isArray(v) ? v : [v]).filter((x) => Number.isSafeInteger(x)) as number[];
    for (const h of entries) {
      if (Array.isArray(h.changes)) {
        for (const c of h.changes) {
          const f = e.fields.get(c.field);
          if (f?.kind === 'user') [...idsOf(c.from), ...idsOf(c.to)].forEach((i) => userIds.add(i));
          else if (f?.ref) {
            const set = refIds.get(f.ref) ?? new Set<number>();
            [...idsOf(c.from), ...idsOf(c.to)].forEach((i) => set.add(i));
            refIds.set(f.ref, set);
          }
        }
      } else if (h.changes && typeof h.changes === 'object') {
        for (const k of ['from', 'to', 'notified']) idsOf(h.changes[k]).forEach((i) => userIds.add(i));
      }
    }
    const people = await userNames(this.db(), [...userIds]);
    const titles = new Map<string, Map<number, string>>();
    for (const [ref, ids] of refIds) {
      const target = this.entity(ref);
      const tf = target.titleField;
      const m = new Map<number, string>();
      titles.set(ref, m);
      if (!ids.size || !this.readable(ctx, target).includes(tf)) continue;
      try {
        const r = await this.list(ctx, ref, { filter: { id: { in: [...ids].slice(0, MAX_LIMIT) } }, fields: ['id', tf], limit: MAX_LIMIT });
        for (const x of r.data) m.set(Number(x.id), x[tf] == null ? '' : String(x[tf]));
      } catch (err) {
        if (!(err instanceof AppError && err.status === 403)) throw err;
      }
    }
    const text = (names: Map<number, string> | undefined, v: unknown): string | null => {
      if (v == null) return null;
      const parts = idsOf(v).map((i) => names?.get(i));
      return parts.length && parts.every((x) => x !== undefined) ? parts.join('、') : null;
    };
    for (const h of entries) {
      if (Array.isArray(h.changes)) {
        for (const c of h.changes) {
          const f = e.fields.get(c.field);
          const names = f?.kind === 'user' ? people : f?.ref ? titles.get(f.ref) : undefined;
          if (!names) continue;
          c.fromText = text(names, c.from);
          c.toText = text(names, c.to);
        }
      } else if (h.changes && typeof h.changes === 'object') {
        const ids = ['from', 'to', 'notified'].flatMap((k) => idsOf(h.changes[k]));
        if (ids.length) h.changes.people = Object.fromEntries(ids.filter((i) => people.has(i)).map((i) => [i, people.get(i)]));
      }
    }
  }

  private async writeMulti(trx: Knex.Transaction, e: EntityDef, id: number, record: Record<string, any>) {
    for (const f of e.fields.values()) {
      if (f.kind !== 'multiReference' || !(f.name in record)) continue;
      await trx(f.joinTable!).where({ owner_id: id }).delete();
      const ids: number[] = record[f.name] ?? [];
      if (ids.length) await mapDbErrors(e, () => trx(f.joinTable!).insert(ids.map((t, i) => ({ owner_id: id, target_id: t, position: i }))), f.name);
    }
  }

  private async inTrx<T>(opts: WriteOptions, fn: (trx: Knex.Transaction, svc: RecordService) => Promise<T>): Promise<T> {
    if (this.isReader) throw new Error('the read-replica record service cannot write');
    const outer = opts.trx ?? this.trx;
    if (outer) return fn(outer, this.trx === outer ? this : this.withTrx(outer));
    return this.knex.transaction((trx) => fn(trx, this.withTrx(trx)));
  }

  private afterCommit(trx: Knex.Transaction, ev: Parameters<RecordEvents['emitAfterCommit']>[0]) {
    const p = (trx as any).executionPromise as Promise<unknown> | undefined;
    if (p) p.then(() => this.events.emitAfterCommit(ev), () => {});
    else this.events.emitAfterCommit(ev);
  }
}

/** Reads inside a `system` write see the whole record, whatever the actor's own read scope. */
const asSystem = (ctx: CallContext): CallContext => ({ ...ctx, actor: { ...ctx.actor, isAdmin: true } });

function conflict(current: number | undefined) {
  return new AppError(409, 'VERSION_CONFLICT', 'error.versionConflict', { currentVersion: current }, [
    { path: '/version', messageKey: 'error.versionConflict', params: { currentVersion: current } },
  ]);
}

const bilingual = (d: { path: string; message: string }[]) => ({ 'zh-CN': d, en: d });

function stripNulls(r: Record<string, any>): Record<string, any> {
  const o: Record<string, any> = {};
  for (const [k, v] of Object.entries(r)) if (v !== null && v !== undefined) o[k] = v;
  return o;
}

function dropNulls(r: Record<string, any>): void {
  for (const k of Object.keys(r)) if (r[k] === null || r[k] === undefined) delete r[k];
}

function pickFields(e: EntityDef, r: Record<string, any>): Record<string, any> {
  const o: Record<string, any> = {};
  for (const f of e.fields.values()) if (r[f.name] !== undefined) o[f.name] = r[f.name];
  return o;
}

const auditFields = (e: EntityDef) => [...e.fields.keys()];

function toColumns(e: EntityDef, record: Record<string, any>): Record<string, any> {
  const row: Record<string, any> = {};
  for (const [k, v] of Object.entries(record)) {
    const f: FieldDef | undefined = e.fields.get(k);
    if (!f || f.kind === 'multiReference') continue;
    row[f.column] = (f.kind === 'json' || f.kind === 'attachment') && v !== null ? JSON.stringify(v) : v;
  }
  return sealColumns(e, row);
}

/** PostgreSQL constraint errors become 400s naming the field, never 500s. */
async function mapDbErrors<T>(e: EntityDef, fn: () => Promise<T>, fieldHint?: string): Promise<T> {
  try {
    return await fn();
  } catch (err: any) {
    const fieldOf = (col?: string) => [...e.fields.values()].find((f) => f.column === col)?.name ?? fieldHint ?? '';
    if (err?.code === '23503') {
      const m = /Key \((\w+)\)=\((\d+)\)/.exec(err.detail ?? '');
      const field = fieldHint ?? fieldOf(m?.[1]);
      const target = e.fields.get(field)?.ref ?? '';
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: `/${field}`, messageKey: 'error.refNotFound', params: { entity: target, id: m?.[2] ?? '' } }]);
    }
    if (err?.code === '23505') {
      const m = /Key \((\w+)\)=/.exec(err.detail ?? '');
      const field = fieldOf(m?.[1]);
      throw new AppError(409, 'UNIQUE_VIOLATION', 'error.uniqueViolation', { field }, [{ path: `/${field}`, messageKey: 'error.uniqueViolation', params: { field } }]);
    }
    // 22021 / 22P05: a NUL character in text or JSON, which PostgreSQL cannot store.
    if (['22003', '22001', '22P02', '22007', '22008', '22021', '22P05'].includes(err?.code)) {
      const field = fieldOf(/column "(\w+)"/.exec(err.message ?? '')?.[1]) || fieldHint || '';
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: `/${field}`, messageKey: 'error.badFilterValue', params: { field, op: '' } }]);
    }
    throw err;
  }
}

/** Keyset condition "row comes after values" for mixed directions with PostgreSQL's default null ordering. */
function keysetAfter(qb: Knex.QueryBuilder, cols: string[], desc: boolean[], values: unknown[]) {
  qb.where((outer) => {
    for (let i = 0; i < cols.length; i++) {
      outer.orWhere((w) => {
        for (let j = 0; j < i; j++) {
          if (values[j] === null) w.whereNull(cols[j]);
          else w.where(cols[j], values[j] as any);
        }
        const v = values[i];
        if (!desc[i]) {
          // ASC: nulls last
          if (v === null) w.whereRaw('false');
          else w.where((x) => x.where(cols[i], '>', v as any).orWhereNull(cols[i]));
        } else {
          // DESC: nulls first
          if (v === null) w.whereNotNull(cols[i]);
          else w.where(cols[i], '<', v as any);
        }
      });
    }
  });
}
