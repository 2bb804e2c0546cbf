import type { Knex } from 'knex';
import type { CallContext } from '../context';
import { AppError } from '../errors';
import { label } from '../i18n';
import type { EntityDef, FieldDef, Model } from '../metadata/model';
import type { Authorizer } from '../records/access';
import type { RecordService } from '../records/service';

/**
 * The trace engine: a graph over the records of every entity, walked along the reference fields metadata marks
 * with `x-trace`. `x-trace: true` on `cellBatch.cultureRecord` says the culture record is upstream of the batch (the
 * batch was made from it); `x-trace: "down"` on `materialUsage.cultureRecord` says the usage feeds the culture record.
 * Three kinds of link are walked: a reference column, a multi-reference (join table) and a reference inside the items
 * of an array field (`cultureRecord.materials[].lot`, stored as jsonb, GIN-indexed by schema sync). A new module joins
 * the trace by declaring `x-trace` on its links; no code here names an entity.
 *
 * Access: the walk runs set-wise in SQL, level by level, and only ever steps onto records within the caller's reach:
 * the records they may read (role permission, row scope) and — counted, never shown — records of their own labs they may
 * not read. A record of another lab is neither returned, nor counted, nor walked through (docs/decisions.md).
 */

export type Direction = 'up' | 'down';

export interface TraceLink {
  holder: EntityDef;
  field: FieldDef;
  /** For a reference inside array items: the item property (`lot`). */
  item?: string;
  target: EntityDef;
  kind: 'column' | 'join' | 'embedded';
  /** True: the holder feeds the target (`x-trace: "down"`); false: the target is upstream of the holder. */
  feeds: boolean;
}

/** Every trace link of a metadata version (memoised on the Model). */
export function traceLinks(model: Model): TraceLink[] {
  return model.memo('trace:links', () => {
    const out: TraceLink[] = [];
    for (const e of model.entities.values()) {
      for (const f of e.fields.values()) {
        const s = f.schema;
        if ((f.kind === 'reference' || f.kind === 'multiReference') && s['x-trace'] && model.entity(f.ref!)) {
          out.push({ holder: e, field: f, target: model.entity(f.ref!)!, kind: f.kind === 'reference' ? 'column' : 'join', feeds: s['x-trace'] === 'down' });
        } else if (f.kind === 'json' && s.type === 'array' && s.items?.properties) {
          for (const [k, p] of Object.entries<any>(s.items.properties)) {
            if (p?.['x-ref'] && p['x-trace'] && model.entity(p['x-ref'])) out.push({ holder: e, field: f, item: k, target: model.entity(p['x-ref'])!, kind: 'embedded', feeds: p['x-trace'] === 'down' });
          }
        }
      }
    }
    return out;
  });
}

/** Array fields holding traced references in their items: schema sync gives them a GIN index. */
export function embeddedTraceColumns(model: Model): { table: string; column: string }[] {
  const seen = new Set<string>();
  return traceLinks(model)
    .filter((l) => l.kind === 'embedded')
    .map((l) => ({ table: l.holder.table, column: l.field.column }))
    .filter((c) => !seen.has(`${c.table}.${c.column}`) && !!seen.add(`${c.table}.${c.column}`));
}

/** The field that says when a record happened (`x-trace-at`, else createdAt). */
export function timeField(e: EntityDef): string {
  const f = e.schema['x-trace-at'];
  return typeof f === 'string' && e.fields.has(f) ? f : 'createdAt';
}

export interface TraceNode {
  key: string;
  entity: string;
  id: number;
  /** The entity's label in the caller's language. */
  kind: string;
  /** The record's code / title (null when the caller may not see the title field). */
  title: string | null;
  at: string | null;
  /** 0 the record traced from, -n n links upstream, +n n links downstream. */
  level: number;
  /** Linked records within the caller's labs they may not read. */
  hidden: number;
}

export interface TraceEdge { from: string; to: string; field: string }

export interface TraceResult {
  root: string;
  nodes: TraceNode[];
  /** Upstream → downstream. */
  edges: TraceEdge[];
  hidden: { count: number; entities: { entity: string; kind: string; count: number }[] };
  truncated: boolean;
}

type Raw = { entity: EntityDef; id: number };
/** A bigint[] literal: one bound parameter whatever the number of ids (knex would expand a JS array). */
const arr = (ids: number[]) => `{${ids.map((i) => Math.trunc(i)).join(',')}}`;
const keyOf = (e: string, id: number) => `${e}:${id}`;

export interface TraceDeps {
  knex: Knex;
  records: RecordService;
  auth: () => Authorizer;
  model: () => Model;
}

interface Walk {
  /** visible nodes by key */
  nodes: Map<string, TraceNode>;
  /** every in-reach key visited (visible or hidden) */
  seen: Set<string>;
  hiddenKeys: Map<string, string>; // key → entity
  edges: Map<string, TraceEdge>;
  /** key → the key that reached it first (recall: a handover's product) */
  parent: Map<string, string>;
  truncated: boolean;
}

export class TraceEngine {
  constructor(private d: TraceDeps) {}

  private get model() {
    return this.d.model();
  }

  /**
   * Records linked to a set of records of one entity, one step in a direction: [from id, entity, to id, link].
   * Reads ids only (no data): what the caller may see is decided when the ids are resolved.
   */
  private async step(e: EntityDef, ids: number[], dir: Direction, limit: number): Promise<{ src: number; target: EntityDef; dst: number; link: TraceLink }[]> {
    const k = this.d.knex;
    const out: { src: number; target: EntityDef; dst: number; link: TraceLink }[] = [];
    const tasks: Promise<void>[] = [];
    for (const l of traceLinks(this.model)) {
      // Outgoing: the record holds the reference. The target is upstream unless the link feeds it.
      if (l.holder.name === e.name && (dir === 'up') === !l.feeds) {
        tasks.push((async () => {
          let rows: any[];
          if (l.kind === 'column') rows = (await k.raw(`select id as src, ?? as dst from ?? where id = any(?::bigint[]) and ?? is not null and deleted_at is null limit ?`, [l.field.column, e.table, arr(ids), l.field.column, limit])).rows;
          else if (l.kind === 'join') rows = (await k.raw(`select owner_id as src, target_id as dst from ?? where owner_id = any(?::bigint[]) limit ?`, [l.field.joinTable!, arr(ids), limit])).rows;
          else {
            rows = (await k.raw(
              `select t.id as src, (x.v ->> ?)::bigint as dst from ?? t cross join lateral jsonb_array_elements(case when jsonb_typeof(t.??) = 'array' then t.?? else '[]'::jsonb end) as x(v)
                where t.id = any(?::bigint[]) and t.deleted_at is null and jsonb_typeof(x.v -> ?) = 'number' limit ?`,
              [l.item!, e.table, l.field.column, l.field.column, arr(ids), l.item!, limit],
            )).rows;
          }
          for (const r of rows) out.push({ src: Number(r.src), target: l.target, dst: Number(r.dst), link: l });
        })());
      }
      // Incoming: another record holds a reference to this one. The holder is downstream unless it feeds this one.
      if (l.target.name === e.name && (dir === 'down') === !l.feeds) {
        tasks.push((async () => {
          let rows: any[];
          if (l.kind === 'column') rows = (await k.raw(`select ?? as src, id as dst from ?? where ?? = any(?::bigint[]) and deleted_at is null limit ?`, [l.field.column, l.holder.table, l.field.column, arr(ids), limit])).rows;
          else if (l.kind === 'join') rows = (await k.raw(`select target_id as src, owner_id as dst from ?? where target_id = any(?::bigint[]) limit ?`, [l.field.joinTable!, arr(ids), limit])).rows;
          else {
            // One containment probe per id (GIN jsonb_path_ops answers `@>`; it does not answer `@> any(…)`).
            rows = (await k.raw(
              `select s.id as src, t.id as dst from unnest(?::bigint[]) as s(id)
                 cross join lateral (select h.id from ?? h where h.?? @> jsonb_build_array(jsonb_build_object(?::text, s.id)) and h.deleted_at is null limit ?) as t`,
              [arr(ids), l.holder.table, l.field.column, l.item!, limit],
            )).rows;
          }
          for (const r of rows) out.push({ src: Number(r.src), target: l.holder, dst: Number(r.dst), link: l });
        })());
      }
    }
    await Promise.all(tasks);
    return out;
  }

  /** Ids of records of the caller's labs (and global records) among `ids`: what may be counted and walked through. */
  private async inReach(ctx: CallContext, e: EntityDef, ids: number[]): Promise<number[]> {
    if (!ids.length) return [];
    const q = this.d.knex(e.table).whereIn('id', ids).whereNull('deleted_at').select('id');
    if (!ctx.actor.isAdmin && e.scope !== 'global') {
      const num = (v: unknown) => (Array.isArray(v) ? v.map(Number).filter(Number.isSafeInteger) : []);
      const labs = num(ctx.actor.labIds);
      const orgs = num(ctx.actor.orgSubtree);
      if (!labs.length && !orgs.length) return [];
      q.where((w) => {
        if (labs.length) w.orWhereIn('lab_id', labs);
        if (orgs.length) w.orWhereIn('org_id', orgs);
      });
    }
    return (await q).map((r: any) => Number(r.id));
  }

  /**
   * The records the caller may read among `ids`, through the record pipeline (row scope, field rules, masking):
   * id → [title, at]. An entity the caller may not read gives nothing.
   */
  async resolve(ctx: CallContext, e: EntityDef, ids: number[]): Promise<Map<number, { title: string | null; at: string | null; row: Record<string, any> }>> {
    const out = new Map<number, { title: string | null; at: string | null; row: Record<string, any> }>();
    if (!ids.length) return out;
    const readable = new Set(this.d.records.readable(ctx, e));
    try {
      await this.d.auth().assert(ctx, e, 'read');
    } catch (err) {
      if (err instanceof AppError && err.status === 403) return out;
      throw err;
    }
    const tf = e.titleField;
    const at = timeField(e);
    const extra = (e.schema['x-trace-product']?.patient as string | undefined) ?? null;
    const fields = ['id', ...[tf, at, extra].filter((f): f is string => !!f && f !== 'id' && readable.has(f))];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const r = await this.d.records.list(ctx, e.name, { filter: { id: { in: chunk } }, fields: [...new Set(fields)], limit: chunk.length, sort: ['id'] });
      for (const row of r.data) {
        const t = readable.has(tf) ? row[tf] : null;
        const a = readable.has(at) ? row[at] : null;
        out.set(Number(row.id), { title: t == null ? null : String(t), at: a == null ? null : a instanceof Date ? a.toISOString() : String(a), row });
      }
    }
    return out;
  }

  private fieldLabel(l: TraceLink, lang: CallContext['lang']): string {
    const s = l.item ? l.field.schema.items?.properties?.[l.item] : l.field.schema;
    return label(s?.['x-label'] ?? l.field.schema['x-label'], lang) || l.field.name;
  }

  /** Breadth-first walk in one direction from the seeds (already resolved and in `w`). */
  private async walk(ctx: CallContext, w: Walk, seeds: Raw[], dir: Direction, depth: number, cap: number): Promise<void> {
    let frontier = seeds;
    for (let level = 1; level <= depth && frontier.length; level++) {
      const byEntity = new Map<string, { e: EntityDef; ids: number[] }>();
      for (const n of frontier) {
        if (!byEntity.has(n.entity.name)) byEntity.set(n.entity.name, { e: n.entity, ids: [] });
        byEntity.get(n.entity.name)!.ids.push(n.id);
      }
      const found: { src: string; target: EntityDef; dst: number; link: TraceLink }[] = [];
      await Promise.all([...byEntity.values()].map(async ({ e, ids }) => {
        for (const s of await this.step(e, ids, dir, cap + 1)) found.push({ src: keyOf(e.name, s.src), target: s.target, dst: s.dst, link: s.link });
      }));
      // New candidates per entity.
      const cand = new Map<string, { e: EntityDef; ids: Set<number> }>();
      for (const f of found) {
        const k = keyOf(f.target.name, f.dst);
        if (w.seen.has(k)) continue;
        if (!cand.has(f.target.name)) cand.set(f.target.name, { e: f.target, ids: new Set() });
        cand.get(f.target.name)!.ids.add(f.dst);
      }
      const next: Raw[] = [];
      await Promise.all([...cand.values()].map(async ({ e, ids }) => {
        const all = [...ids];
        const visible = await this.resolve(ctx, e, all);
        const rest = all.filter((id) => !visible.has(id));
        const reach = new Set(await this.inReach(ctx, e, rest));
        const kind = label(e.schema['x-label'], ctx.lang) || e.name;
        for (const id of all) {
          const k = keyOf(e.name, id);
          const v = visible.get(id);
          if (v) {
            w.nodes.set(k, { key: k, entity: e.name, id, kind, title: v.title, at: v.at, level: dir === 'up' ? -level : level, hidden: 0 });
          } else if (reach.has(id)) w.hiddenKeys.set(k, e.name);
          else continue; // out of the caller's reach: not shown, not counted, not walked through
          w.seen.add(k);
          next.push({ entity: e, id });
        }
      }));
      for (const f of found) {
        const k = keyOf(f.target.name, f.dst);
        if (!w.seen.has(k)) continue;
        if (!w.parent.has(k) && k !== f.src) w.parent.set(k, f.src);
        const [from, to] = dir === 'up' ? [k, f.src] : [f.src, k];
        if (w.nodes.has(from) && w.nodes.has(to)) w.edges.set(`${from}>${to}`, { from, to, field: this.fieldLabel(f.link, ctx.lang) });
        else if (w.hiddenKeys.has(k) && w.nodes.has(f.src)) w.nodes.get(f.src)!.hidden++;
      }
      if (w.seen.size > cap) {
        w.truncated = true;
        return;
      }
      frontier = next;
    }
    if (frontier.length && depth > 0) {
      // More may lie beyond the depth asked for: say so when there is at least one more link.
      const byEntity = new Map<string, { e: EntityDef; ids: number[] }>();
      for (const n of frontier) (byEntity.get(n.entity.name) ?? byEntity.set(n.entity.name, { e: n.entity, ids: [] }).get(n.entity.name)!).ids.push(n.id);
      for (const { e, ids } of byEntity.values()) {
        if ((await this.step(e, ids, dir, 1)).some((s) => !w.seen.has(keyOf(s.target.name, s.dst)))) {
          w.truncated = true;
          break;
        }
      }
    }
  }

  private newWalk(): Walk {
    return { nodes: new Map(), seen: new Set(), hiddenKeys: new Map(), edges: new Map(), parent: new Map(), truncated: false };
  }

  private summary(ctx: CallContext, w: Walk, root: string): TraceResult {
    const per = new Map<string, number>();
    for (const e of w.hiddenKeys.values()) per.set(e, (per.get(e) ?? 0) + 1);
    return {
      root,
      nodes: [...w.nodes.values()].sort((a, b) => a.level - b.level || String(a.at ?? '').localeCompare(String(b.at ?? '')) || a.id - b.id),
      edges: [...w.edges.values()],
      hidden: {
        count: w.hiddenKeys.size,
        entities: [...per].map(([entity, count]) => ({ entity, kind: label(this.model.entity(entity)?.schema['x-label'], ctx.lang) || entity, count })),
      },
      truncated: w.truncated,
    };
  }

  /**
   * The trace of one record the caller may read (else 404/403 as from the record API): upstream, downstream or both,
   * up to `depth` links, at most `cap` records.
   */
  async trace(ctx: CallContext, entity: string, id: number, opts: { direction: 'up' | 'down' | 'both'; depth: number; cap?: number }): Promise<TraceResult> {
    const e = this.d.records.entity(entity);
    await this.d.auth().assert(ctx, e, 'read');
    const root = await this.resolve(ctx, e, [id]);
    if (!root.has(id)) await this.d.records.get(ctx, entity, id); // the pipeline's 404 (never says whose it is)
    const w = this.newWalk();
    const key = keyOf(e.name, id);
    const r = root.get(id)!;
    w.nodes.set(key, { key, entity: e.name, id, kind: label(e.schema['x-label'], ctx.lang) || e.name, title: r.title, at: r.at, level: 0, hidden: 0 });
    w.seen.add(key);
    const cap = opts.cap ?? 2000;
    const seeds = [{ entity: e, id }];
    if (opts.direction !== 'down') await this.walk(ctx, w, seeds, 'up', opts.depth, cap);
    if (opts.direction !== 'up') await this.walk(ctx, w, seeds, 'down', opts.depth, cap);
    return this.summary(ctx, w, key);
  }

  /** Downstream walk from several seeds (recall), with the walk kept for the caller to read products from. */
  async downstream(ctx: CallContext, seeds: { entity: EntityDef; id: number }[], depth: number, cap: number): Promise<{ walk: Walk; result: TraceResult }> {
    const w = this.newWalk();
    const byEntity = new Map<string, { e: EntityDef; ids: number[] }>();
    for (const s of seeds) (byEntity.get(s.entity.name) ?? byEntity.set(s.entity.name, { e: s.entity, ids: [] }).get(s.entity.name)!).ids.push(s.id);
    const start: Raw[] = [];
    for (const { e, ids } of byEntity.values()) {
      const v = await this.resolve(ctx, e, ids);
      for (const [id, r] of v) {
        const key = keyOf(e.name, id);
        w.nodes.set(key, { key, entity: e.name, id, kind: label(e.schema['x-label'], ctx.lang) || e.name, title: r.title, at: r.at, level: 0, hidden: 0 });
        w.seen.add(key);
        start.push({ entity: e, id });
      }
    }
    await this.walk(ctx, w, start, 'down', depth, cap);
    return { walk: w, result: this.summary(ctx, w, start.length ? keyOf(start[0].entity.name, start[0].id) : '') };
  }
}
