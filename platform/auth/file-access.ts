import type { Knex } from 'knex';
import type { CallContext } from '../context';
import type { EntityDef, Model } from '../metadata/model';
import type { Authorizer } from '../records/access';

export interface FileAccessDeps {
  knex: Knex | Knex.Transaction;
  model: Model;
  auth: Authorizer;
}

/** Can the caller read the entity at all? (an Authorizer may answer synchronously or not) */
async function mayRead(d: FileAccessDeps, ctx: CallContext, e: EntityDef): Promise<boolean> {
  try {
    await d.auth.assert(ctx, e, 'read');
    return true;
  } catch {
    return false;
  }
}

/** File ids in an attachment value: `[{id, name, size, mime}]` (or one such object). */
export function attachmentIds(v: unknown): number[] {
  const items = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : [];
  return items.map((x: any) => Number(x?.id)).filter((n) => Number.isSafeInteger(n) && n > 0);
}

/**
 * Does a live record hold the file in one of its attachment fields (jsonb)? With a caller: only records the caller
 * may read, through each entity's read scope, and only attachment fields not hidden from the caller. Without one:
 * any live record (is the file attached at all?). One statement of EXISTS probes, one per entity.
 */
export async function fileHeldBy(d: FileAccessDeps, fileId: number, ctx: CallContext | null): Promise<boolean> {
  const probes: Knex.QueryBuilder[] = [];
  for (const e of d.model.entities.values()) {
    const fields = e.columns.filter((f) => f.kind === 'attachment');
    if (!fields.length) continue;
    if (ctx && !(await mayRead(d, ctx, e))) continue;
    const hidden = ctx ? d.auth.fieldAccess(ctx, e).hidden : new Set<string>();
    const cols = fields.filter((f) => !hidden.has(f.name)).map((f) => f.column);
    if (!cols.length) continue;
    const q = d.knex({ t: e.table }).select(d.knex.raw('1')).whereNull('t.deleted_at');
    q.andWhere((w) => {
      for (const c of cols)
        for (const shape of [[{ id: fileId }], [{ id: String(fileId) }], { id: fileId }]) w.orWhereRaw('??.?? @> ?::jsonb', ['t', c, JSON.stringify(shape)]);
    });
    const scope = ctx ? d.auth.scope(ctx, e, 't') : null;
    if (scope) q.andWhere((w) => scope(w));
    probes.push(q.limit(1));
  }
  if (!probes.length) return false;
  const r = await d.knex.raw(`select ${probes.map(() => 'exists ?').join(' or ')} as held`, probes);
  return !!r.rows[0]?.held;
}

/**
 * A file is readable by who may read a record it is attached to; a file attached nowhere (just uploaded) by its
 * uploader; administrators read every file.
 */
export async function mayReadFile(d: FileAccessDeps, ctx: CallContext, f: { id: unknown; created_by: unknown }): Promise<boolean> {
  if (ctx.actor.isAdmin) return true;
  const id = Number(f.id);
  if (await fileHeldBy(d, id, ctx)) return true;
  return ctx.actor.id != null && Number(f.created_by) === ctx.actor.id && !(await fileHeldBy(d, id, null));
}
