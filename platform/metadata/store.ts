import type { Knex } from 'knex';
import diff from 'microdiff';
import { AppError, ValidationError } from '../errors';
import { crossCheck, type LoadedFiles } from './loader';
import { metaKind, validateDefinition, type MetaSet } from './registry';
import { Model } from './model';
import { syncSchema, DestructiveChangeError } from '../db/schema-sync';
import { writeAudit } from '../audit/audit';
import type { CallContext } from '../context';

export interface OverlayVersion {
  id: number;
  kind: string;
  metaId: string;
  version: number;
  definition: any;
  diff: { path: string; type: string; from?: unknown; to?: unknown }[];
  reason: string;
  createdBy: number | null;
  createdByName: string | null;
  createdAt: string;
}

export interface SaveOptions {
  reason: string;
  /** Explicit migration for changes that would lose data: fields whose column may be dropped (data archived first). */
  migration?: { dropFields?: string[] };
  /** The merge base to record for this definition (a package's `.base` copy, or the new file after an upgrade); default: the shipped file, kept if one is recorded. */
  base?: any | null;
  baseSource?: string;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/**
 * Effective metadata = shipped files + the newest overlay version of each definition stored in the database.
 * Saving an overlay validates it, syncs the schema and records the version in one transaction; the new model is
 * live for the next request in this process, and other processes pick it up within `pollMs`.
 */
export class MetadataStore {
  private current!: Model;
  private lastPoll = 0;
  private listeners: ((m: Model) => void)[] = [];

  constructor(private knex: Knex, private files: LoadedFiles, private pollMs = 2000) {}

  get model(): Model {
    return this.current;
  }

  onChange(fn: (m: Model) => void): void {
    this.listeners.push(fn);
  }

  private async readOverlays(db: Knex | Knex.Transaction): Promise<{ set: MetaSet; version: number }> {
    const set = clone(this.files.set);
    const rows: any[] = (
      await db.raw(`select distinct on (kind, meta_id) kind, meta_id, definition, id from ct_meta_overlay order by kind, meta_id, version desc`)
    ).rows;
    let version = 0;
    for (const r of rows) {
      set[r.kind] ??= {};
      if (r.definition === null) delete set[r.kind][r.meta_id];
      else set[r.kind][r.meta_id] = r.definition;
    }
    const max = (await db.raw(`select coalesce(max(id), 0) as v from ct_meta_overlay`)).rows[0].v;
    version = Number(max);
    return { set, version };
  }

  /** Loads overlays and syncs the schema; called at start-up. */
  async load(): Promise<Model> {
    const { set, version } = await this.readOverlays(this.knex);
    const problems = crossCheck(set);
    if (problems.length) throw new Error(`Invalid effective metadata: ${problems.map((p) => `${p.kind}/${p.id}${p.path}: ${p.message}`).join('; ')}`);
    const model = new Model(version, set);
    await this.knex.transaction(async (trx) => {
      await trx.raw(`select pg_advisory_xact_lock(7301)`);
      await syncSchema(trx, model);
    });
    this.setModel(model);
    return model;
  }

  private setModel(m: Model) {
    this.current = m;
    this.lastPoll = Date.now();
    for (const l of this.listeners) l(m);
  }

  /** True when the next refreshIfStale() would ask the database (lets callers skip an await otherwise). */
  pollDue(): boolean {
    return Date.now() - this.lastPoll >= this.pollMs;
  }

  /** Picks up overlays saved by another process (cheap: at most one query per poll interval). */
  async refreshIfStale(): Promise<void> {
    if (!this.pollDue()) return;
    this.lastPoll = Date.now();
    const max = Number((await this.knex.raw(`select coalesce(max(id), 0) as v from ct_meta_overlay`)).rows[0].v);
    if (max !== this.current.version) {
      const { set, version } = await this.readOverlays(this.knex);
      this.setModel(new Model(version, set));
    }
  }

  definition(kind: string, id: string): any {
    return this.current.set[kind]?.[id];
  }

  fileDefinition(kind: string, id: string): any {
    return this.files.set[kind]?.[id];
  }

  /** The shipped files this process loaded (base + layered customer packages). */
  get loadedFiles(): LoadedFiles {
    return this.files;
  }

  /** Saves a new overlay version (or deletes the definition when `definition` is null). */
  async save(kind: string, id: string, definition: any | null, ctx: CallContext, opts: SaveOptions): Promise<OverlayVersion> {
    if (!metaKind(kind)) throw new AppError(404, 'NOT_FOUND', 'error.metaKind', { kind });
    if (!opts.reason || !opts.reason.trim()) throw new AppError(400, 'VALIDATION_FAILED', 'error.reasonRequired', {}, [{ path: '/reason', messageKey: 'error.reasonRequired' }]);
    if (definition !== null) {
      const errs = validateDefinition(kind, definition);
      if (errs.en.length) throw new ValidationError(prefix(errs, '/definition'));
      if (definition.$id !== id) throw new AppError(400, 'VALIDATION_FAILED', 'error.metaIdMismatch', {}, [{ path: '/definition/$id', messageKey: 'error.metaIdMismatch' }]);
    }
    const saved = await this.knex.transaction(async (trx) => {
      // One metadata writer at a time, across processes: versions and schema changes stay in order.
      await trx.raw(`select pg_advisory_xact_lock(7301)`);
      const { set } = await this.readOverlays(trx);
      const before = set[kind]?.[id] ?? null;
      set[kind] ??= {};
      if (definition === null) delete set[kind][id];
      else set[kind][id] = definition;
      const problems = crossCheck(set);
      if (problems.length) {
        const details = problems.map((p) => ({ path: p.kind === kind && p.id === id ? `/definition${p.path}` : `/${p.kind}/${p.id}${p.path}`, message: p.message }));
        throw new ValidationError({ 'zh-CN': details, en: details });
      }
      const next = new Model(0, set);
      if (kind === 'entity') await this.checkEntityChange(trx, before, definition, opts);
      try {
        await syncSchema(trx, next);
      } catch (e) {
        if (e instanceof DestructiveChangeError) throw new AppError(409, 'DESTRUCTIVE_CHANGE', 'error.destructiveChange', { change: e.changes.map((c) => `${c.entity}.${c.field} ${c.change}`).join('; ') });
        throw e;
      }
      const prevVersion = Number((await trx('ct_meta_overlay').where({ kind, meta_id: id }).max('version as v').first())?.v ?? 0);
      const changes = diff(before ?? {}, definition ?? {}).map((d: any) => ({ path: '/' + d.path.join('/'), type: d.type, from: d.oldValue, to: d.value }));
      // The merge base of this customization: the shipped definition it was first made against (kept until an upgrade).
      const baseRow = trx('ct_meta_base')
        .insert({ kind, meta_id: id, definition: JSON.stringify(opts.base !== undefined ? opts.base : (this.files.set[kind]?.[id] ?? null)), source: opts.baseSource ?? 'files' })
        .onConflict(['kind', 'meta_id']);
      await (opts.base !== undefined ? baseRow.merge() : baseRow.ignore());
      const [row] = await trx('ct_meta_overlay')
        .insert({
          kind,
          meta_id: id,
          version: prevVersion + 1,
          definition: definition === null ? null : JSON.stringify(definition),
          diff: JSON.stringify(changes),
          reason: opts.reason,
          created_by: ctx.actor.id,
          created_by_name: ctx.actor.displayName,
        })
        .returning('*');
      await writeAudit(trx, {
        actorId: ctx.actor.id, actorName: ctx.actor.displayName, entity: `meta:${kind}`, recordId: null,
        action: definition === null ? 'meta.delete' : 'meta.save', changes: { id, version: prevVersion + 1, diff: changes },
        reason: opts.reason, ip: ctx.ip, requestId: ctx.requestId,
      });
      return { row, set };
    });
    this.setModel(new Model(Number(saved.row.id), saved.set));
    return toVersion(saved.row);
  }

  /** Removing a field or a whole entity would orphan data: refused unless an explicit migration names it. */
  private async checkEntityChange(trx: Knex.Transaction, before: any, after: any, opts: SaveOptions) {
    if (!before) return;
    const removed = Object.keys(before.properties ?? {}).filter((f) => !after || !(f in after.properties));
    const allowed = new Set(opts.migration?.dropFields ?? []);
    const refused = removed.filter((f) => !allowed.has(f));
    if (refused.length || (!after && !allowed.size))
      throw new AppError(409, 'DESTRUCTIVE_CHANGE', 'error.destructiveChange', { change: after ? `removed fields ${refused.join(', ')}` : `delete entity ${before.$id}` });
    if (!after) return; // the table stays; the entity is no longer served
    const table = new Model(0, { entity: { [before.$id]: before }, list: {} }).entity(before.$id)!;
    for (const f of removed) {
      const fd = table.fields.get(f)!;
      if (fd.kind === 'multiReference') continue;
      // Archive then drop, so an explicit drop never loses data silently.
      await trx.raw(
        `insert into ct_meta_archive (entity, field, record_id, value) select ?, ?, id, to_jsonb(??) from ?? where ?? is not null`,
        [before.$id, f, fd.column, table.table, fd.column],
      );
      await trx.raw(`alter table ?? drop column ??`, [table.table, fd.column]);
    }
  }

  async versions(kind: string, id: string): Promise<OverlayVersion[]> {
    const rows = await this.knex('ct_meta_overlay').where({ kind, meta_id: id }).orderBy('version', 'desc');
    return rows.map(toVersion);
  }

  /** Rolls back to an earlier version (0 = the shipped file) by saving it as a new version: history only grows. */
  async rollback(kind: string, id: string, version: number, ctx: CallContext, reason: string): Promise<OverlayVersion> {
    let def: any;
    if (version === 0) def = this.fileDefinition(kind, id) ?? null;
    else {
      const row = await this.knex('ct_meta_overlay').where({ kind, meta_id: id, version }).first();
      if (!row) throw new AppError(404, 'NOT_FOUND', 'error.metaNoVersion', { version });
      def = row.definition;
    }
    return this.save(kind, id, def, ctx, { reason });
  }
}

function prefix(errs: Record<string, { path: string; message: string }[]>, p: string) {
  const out: Record<string, any[]> = {};
  for (const [k, v] of Object.entries(errs)) out[k] = v.map((d) => ({ ...d, path: p + d.path }));
  return out as any;
}

function toVersion(r: any): OverlayVersion {
  return {
    id: Number(r.id), kind: r.kind, metaId: r.meta_id, version: r.version, definition: r.definition, diff: r.diff,
    reason: r.reason, createdBy: r.created_by, createdByName: r.created_by_name, createdAt: r.created_at,
  };
}
