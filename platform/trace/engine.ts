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

/** A record the caller may read, as the trace shows it. */
export interface Resolved { title: string | null; at: string | null; patient: number | null }

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
  /** key → the patient (customer id) of a product record */
  patient: Map<string, number | null>;
  truncated: boolean;
}

export class TraceEngine {
  constructor(private d: TraceDeps) {}

  private get model() {
    return this.d.model();
  }

  /**
   * One step from every record of a level along every link in a direction, as ONE statement (a union of one probe per
   * link and entity): [link index, from id, to id]. Ids only, no data: what the caller may see is decided when the ids
   * are resolved.
   */
  private async step(frontier: Map<string, { e: EntityDef; ids: number[] }>, dir: Direction, limit: number): Promise<{ srcEntity: EntityDef; src: number; target: EntityDef; dst: number; link: TraceLink }[]> {
    const k = this.d.knex;
    const links = traceLinks(this.model);
    const parts: Knex.Raw[] = [];
    const meta: { link: TraceLink; out: boolean }[] = [];
    links.forEach((l) => {
      const from = frontier.get(l.holder.name);
      // Outgoing: the record holds the reference. The target is upstream unless the link feeds it.
      if (from && (dir === 'up') === !l.feeds) {
        const li = meta.push({ link: l, out: true }) - 1;
        const ids = arr(from.ids);
        if (l.kind === 'column') parts.push(k.raw(`select ?::int as li, id as src, ?? as dst from ?? where id = any(?::bigint[]) and ?? is not null and deleted_at is null limit ?`, [li, l.field.column, l.holder.table, ids, l.field.column, limit]));
        else if (l.kind === 'join') parts.push(k.raw(`select ?::int as li, owner_id as src, target_id as dst from ?? where owner_id = any(?::bigint[]) limit ?`, [li, l.field.joinTable!, ids, limit]));
        else {
          parts.push(k.raw(
            `select ?::int as li, t.id as src, (x.v ->> ?)::bigint as dst from ?? t cross join lateral jsonb_array_elements(case when jsonb_typeof(t.??) = 'array' then t.?? else '[]'::jsonb end) as x(v)
              where t.id = any(?::bigint[]) and t.deleted_at is null and jsonb_typeof(x.v -> ?) = 'number' limit ?`,
            [li, l.item!, l.holder.table, l.field.column, l.field.column, ids, l.item!, limit],
          ));
        }
      }
      const to = frontier.get(l.target.name);
      // Incoming: another record holds a reference to this one. The holder is downstream unless it feeds this one.
      if (to && (dir === 'down') === !l.feeds) {
        const li = meta.push({ link: l, out: false }) - 1;
        const ids = arr(to.ids);
        if (l.kind === 'column') parts.push(k.raw(`select ?::int as li, ?? as src, id as dst from ?? where ?? = any(?::bigint[]) and deleted_at is null limit ?`, [li, l.field.column, l.holder.table, l.field.column, ids, limit]));
        else if (l.kind === 'join') parts.push(k.raw(`select ?::int as li, target_id as src, owner_id as dst from ?? where target_id = any(?::bigint[]) limit ?`, [li, l.field.joinTable!, ids, limit]));
        else {
          // One containment probe per id (GIN jsonb_path_ops answers `@>`; it does not answer `@> any(…)`).
          parts.push(k.raw(
            `select ?::int as li, s.id as src, t.id as dst from unnest(?::bigint[]) as s(id)
               cross join lateral (select h.id from ?? h where h.?? @> jsonb_build_array(jsonb_build_object(?::text, s.id)) and h.deleted_at is null limit ?) as t`,
            [li, ids, l.holder.table, l.field.column, l.item!, limit],
          ));
        }
      }
    });
    if (!parts.length) return [];
    const rows: any[] = (await k.raw(parts.map(() => '(?)').join(' union all '), parts)).rows;
    return rows.map((r) => {
      const m = meta[Number(r.li)];
      return { srcEntity: m.out ? m.link.holder : m.link.target, src: Number(r.src), target: m.out ? m.link.target : m.link.holder, dst: Number(r.dst), link: m.link };
    });
  }

  private reachPredicate(ctx: CallContext, e: EntityDef, alias: string): ((qb: Knex.QueryBuilder) => void) | null {
    if (ctx.actor.isAdmin || e.scope === 'global') return null;
    const num = (v: unknown) => (Array.isArray(v) ? v.map(Number).filter(Number.isSafeInteger) : []);
    const labs = num(ctx.actor.labIds);
    const orgs = num(ctx.actor.orgSubtree);
    if (!labs.length && !orgs.length) return (qb) => qb.whereRaw('false');
    return (qb) => qb.where((w) => {
      if (labs.length) w.orWhereIn(`${alias}.lab_id`, labs);
      if (orgs.length) w.orWhereIn(`${alias}.org_id`, orgs);
    });
  }

  private mayRead(ctx: CallContext, e: EntityDef): boolean {
    try {
      const r = this.d.auth().assert(ctx, e, 'read');
      if (r instanceof Promise) throw new Error('the trace engine needs a synchronous authorizer');
      return true;
    } catch (err) {
      if (err instanceof AppError && err.status === 403) return false;
      throw err;
    }
  }

  /** A title as a person reads it: a dictionary or enum code by its label; references and JSON never as raw values. */
  private titleText(ctx: CallContext, e: EntityDef, v: string | null): string | null {
    if (v == null) return null;
    const f = e.fields.get(e.titleField);
    if (!f) return v;
    if (f.kind === 'dictionary' && f.dictionary) {
      const it = (this.model.set.dictionary?.[f.dictionary] as any)?.items?.find((x: any) => x.code === v);
      return it ? label(it.label, ctx.lang) || v : v;
    }
    if (f.kind === 'enum') return label(f.schema['x-enum-labels']?.[v], ctx.lang) || v;
    if (f.kind === 'boolean') return v === 'true' ? (ctx.lang === 'en' ? 'Yes' : '是') : ctx.lang === 'en' ? 'No' : '否';
    if (['reference', 'multiReference', 'user', 'json', 'attachment'].includes(f.kind)) return null;
    return v;
  }

  /** A column as ISO text (dates YYYY-MM-DD, times UTC with Z), or null. */
  private textOf(e: EntityDef, name: string, alias: string): string {
    const sys = name === 'createdAt' || name === 'updatedAt';
    const f = sys ? null : e.fields.get(name);
    const col = `${alias}.${sys ? (name === 'createdAt' ? 'created_at' : 'updated_at') : f!.column}`;
    const kind = sys ? 'datetime' : f!.kind;
    if (kind === 'datetime') return this.d.knex.raw(`to_char(?? at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`, [col]).toQuery();
    if (kind === 'date') return this.d.knex.raw(`to_char(??, 'YYYY-MM-DD')`, [col]).toQuery();
    return this.d.knex.raw('??::text', [col]).toQuery();
  }

  /**
   * Candidates of one level resolved in ONE statement: per entity, the rows the caller may read (role permission, row
   * scope; title and time unless hidden by field rules) and the ids within the caller's labs they may not read.
   */
  async resolveLevel(ctx: CallContext, cand: Map<string, { e: EntityDef; ids: Set<number> }>): Promise<{ visible: Map<string, Resolved>; hidden: Set<string> }> {
    const k = this.d.knex;
    const visible = new Map<string, Resolved>();
    const hidden = new Set<string>();
    const parts: Knex.QueryBuilder[] = [];
    const names: EntityDef[] = [];
    const slow: EntityDef[] = [];
    for (const { e, ids } of cand.values()) {
      const ei = names.push(e) - 1;
      const list = arr([...ids]);
      const readable = this.mayRead(ctx, e);
      if (readable) {
        const hiddenFields = this.d.auth().fieldAccess(ctx, e).hidden;
        const tf = e.fields.get(e.titleField);
        if (tf?.encrypted && !hiddenFields.has(tf.name)) slow.push(e);
        else {
          const at = timeField(e);
          const title = e.titleField === 'id' || hiddenFields.has(e.titleField) || !tf ? 'null::text' : this.textOf(e, e.titleField, 't');
          const time = hiddenFields.has(at) ? 'null::text' : this.textOf(e, at, 't');
          // A product's patient (recall): the id of the referenced customer, named later as far as the caller may read it.
          const pf = e.fields.get(e.schema['x-trace-product']?.patient ?? '');
          const patient = pf && pf.kind === 'reference' && !hiddenFields.has(pf.name) ? k.raw('??', [`t.${pf.column}`]).toQuery() : 'null::bigint';
          const q = k({ t: e.table }).select(k.raw('?::int as ei, t.id, true as v, ' + title + ' as title, ' + time + ' as at, ' + patient + ' as patient', [ei]))
            .whereRaw('t.id = any(?::bigint[])', [list]).whereNull('t.deleted_at');
          this.d.auth().scope(ctx, e, 't')?.(q);
          parts.push(q);
        }
      }
      if (!ctx.actor.isAdmin) {
        // In the caller's reach but not readable: counted and walked through, never shown.
        const q = k({ h: e.table }).select(k.raw('?::int as ei, h.id, false as v, null::text as title, null::text as at, null::bigint as patient', [ei]))
          .whereRaw('h.id = any(?::bigint[])', [list]).whereNull('h.deleted_at');
        this.reachPredicate(ctx, e, 'h')?.(q);
        if (readable) {
          const inner = k({ t: e.table }).select('t.id').whereRaw('t.id = h.id');
          this.d.auth().scope(ctx, e, 't')?.(inner);
          q.whereNotExists(inner);
        }
        parts.push(q);
      }
    }
    if (parts.length) {
      const rows: any[] = (await k.raw(parts.map(() => '(?)').join(' union all '), parts)).rows;
      for (const r of rows) {
        const key = keyOf(names[Number(r.ei)].name, Number(r.id));
        if (r.v) visible.set(key, { title: this.titleText(ctx, names[Number(r.ei)], r.title), at: r.at ?? null, patient: r.patient == null ? null : Number(r.patient) });
        else hidden.add(key);
      }
    }
    for (const e of slow) {
      const pf = e.schema['x-trace-product']?.patient as string | undefined;
      for (const [id, v] of await this.resolve(ctx, e, [...cand.get(e.name)!.ids])) visible.set(keyOf(e.name, id), { title: v.title, at: v.at, patient: pf && v.row[pf] != null ? Number(v.row[pf]) : null });
    }
    return { visible, hidden };
  }

  /**
   * The records the caller may read among `ids`, through the record pipeline (row scope, field rules, masking):
   * id → [title, at, row]. An entity the caller may not read gives nothing.
   */
  async resolve(ctx: CallContext, e: EntityDef, ids: number[]): Promise<Map<number, { title: string | null; at: string | null; row: Record<string, any> }>> {
    const out = new Map<number, { title: string | null; at: string | null; row: Record<string, any> }>();
    if (!ids.length || !this.mayRead(ctx, e)) return out;
    const readable = new Set(this.d.records.readable(ctx, e));
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

  /** Breadth-first walk in one direction from the seeds (already resolved and in `w`): two statements per level. */
  private async walk(ctx: CallContext, w: Walk, seeds: Raw[], dir: Direction, depth: number, cap: number): Promise<void> {
    const group = (xs: Raw[]) => {
      const m = new Map<string, { e: EntityDef; ids: number[] }>();
      for (const n of xs) (m.get(n.entity.name) ?? m.set(n.entity.name, { e: n.entity, ids: [] }).get(n.entity.name)!).ids.push(n.id);
      return m;
    };
    let frontier = seeds;
    for (let level = 1; level <= depth && frontier.length; level++) {
      const found = await this.step(group(frontier), dir, cap + 1);
      const cand = new Map<string, { e: EntityDef; ids: Set<number> }>();
      for (const f of found) {
        if (w.seen.has(keyOf(f.target.name, f.dst))) continue;
        (cand.get(f.target.name) ?? cand.set(f.target.name, { e: f.target, ids: new Set() }).get(f.target.name)!).ids.add(f.dst);
      }
      const { visible, hidden } = cand.size ? await this.resolveLevel(ctx, cand) : { visible: new Map(), hidden: new Set<string>() };
      const next: Raw[] = [];
      for (const { e, ids } of cand.values()) {
        const kind = label(e.schema['x-label'], ctx.lang) || e.name;
        for (const id of ids) {
          const k = keyOf(e.name, id);
          const v = visible.get(k);
          if (v) {
            w.nodes.set(k, { key: k, entity: e.name, id, kind, title: v.title, at: v.at, level: dir === 'up' ? -level : level, hidden: 0 });
            if (e.schema['x-trace-product']?.patient) w.patient.set(k, v.patient);
          }
          else if (hidden.has(k)) w.hiddenKeys.set(k, e.name);
          else continue; // out of the caller's reach: not shown, not counted, not walked through
          w.seen.add(k);
          next.push({ entity: e, id });
        }
      }
      for (const f of found) {
        const k = keyOf(f.target.name, f.dst);
        const src = keyOf(f.srcEntity.name, f.src);
        if (!w.seen.has(k) || k === src) continue;
        if (!w.parent.has(k)) w.parent.set(k, src);
        const [from, to] = dir === 'up' ? [k, src] : [src, k];
        if (w.nodes.has(from) && w.nodes.has(to)) w.edges.set(`${from}>${to}`, { from, to, field: this.fieldLabel(f.link, ctx.lang) });
        else if (w.hiddenKeys.has(k) && w.nodes.has(src)) w.nodes.get(src)!.hidden++;
      }
      if (w.seen.size > cap) {
        w.truncated = true;
        return;
      }
      frontier = next;
    }
    // More may lie beyond the depth asked for: say so when there is at least one more link.
    if (frontier.length && depth > 0 && (await this.step(group(frontier), dir, 1)).some((x) => !w.seen.has(keyOf(x.target.name, x.dst)))) w.truncated = true;
  }

  private newWalk(): Walk {
    return { nodes: new Map(), seen: new Set(), hiddenKeys: new Map(), edges: new Map(), parent: new Map(), patient: new Map(), truncated: false };
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
    if (!this.mayRead(ctx, e)) await this.d.auth().assert(ctx, e, 'read'); // the pipeline's 403
    const key = keyOf(e.name, id);
    const r = Number.isSafeInteger(id) ? (await this.resolveLevel(ctx, new Map([[e.name, { e, ids: new Set([id]) }]]))).visible.get(key) : undefined;
    if (!r) {
      await this.d.records.get(ctx, entity, id); // the pipeline's 404 (never says whose it is)
      throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: e.schema['x-label'] ?? entity, id });
    }
    const w = this.newWalk();
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
    const cand = new Map([...byEntity.values()].map(({ e, ids }) => [e.name, { e, ids: new Set(ids) }]));
    const { visible } = cand.size ? await this.resolveLevel(ctx, cand) : { visible: new Map<string, Resolved>() };
    for (const { e, ids } of cand.values()) {
      for (const id of ids) {
        const key = keyOf(e.name, id);
        const r = visible.get(key);
        if (!r) continue;
        w.nodes.set(key, { key, entity: e.name, id, kind: label(e.schema['x-label'], ctx.lang) || e.name, title: r.title, at: r.at, level: 0, hidden: 0 });
        if (e.schema['x-trace-product']?.patient) w.patient.set(key, r.patient);
        w.seen.add(key);
        start.push({ entity: e, id });
      }
    }
    await this.walk(ctx, w, start, 'down', depth, cap);
    return { walk: w, result: this.summary(ctx, w, start.length ? keyOf(start[0].entity.name, start[0].id) : '') };
  }
}
