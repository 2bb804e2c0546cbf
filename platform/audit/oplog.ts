import type { Knex } from 'knex';
import { AppError } from '../errors';
import type { CallContext } from '../context';
import { label, t, type Lang } from '../i18n';
import type { EntityDef, FieldDef } from '../metadata/model';
import type { Services } from '../services';
import { queryInt } from '../http/input';
import { revealChanges } from '../auth/crypto';
import { rolesOf } from '../auth/access';
import { orgTree } from '../auth/org';
import { MAX_LIMIT } from '../records/service';

/**
 * The operation log and the login log as people read them: filters checked (a bad one is a 400
 * naming the parameter), and every entry presented with names: the entity's label, the record's title, the action's
 * label, each change as "field: old → new" with references, dictionaries, roles and org units by name. The screens
 * and the XLSX/CSV exports show the same presentation.
 */

const bad = (param: string, key = 'oplog.badParam', params: Record<string, unknown> = {}) =>
  new AppError(400, 'BAD_REQUEST', key, { param, ...params }, [{ path: `/${param}`, messageKey: key, params: { param, ...params } }]);

function text(q: Record<string, unknown>, name: string, pattern: RegExp): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !pattern.test(v)) throw bad(name);
  return v;
}

function time(q: Record<string, unknown>, name: string): Date | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  // A date (2026-03-01) or an ISO date-time; anything else is refused, not ignored.
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) || Number.isNaN(Date.parse(v))) throw bad(name, 'oplog.badTime');
  return new Date(v);
}

export function exportFormat(q: Record<string, unknown>): 'xlsx' | 'csv' {
  const f = q.format ?? 'xlsx';
  if (f !== 'xlsx' && f !== 'csv') throw bad('format', 'oplog.badFormat');
  return f;
}

export interface AuditQuery {
  actorId?: number;
  entity?: string;
  recordId?: number;
  action?: string;
  from?: Date;
  to?: Date;
  before?: number;
  limit: number;
}

export function parseAuditQuery(q: Record<string, unknown>, maxLimit = 1000): AuditQuery {
  const out: AuditQuery = {
    actorId: queryInt(q, 'actorId', { min: 1 }),
    entity: text(q, 'entity', /^[A-Za-z][A-Za-z0-9_:.-]{0,99}$/),
    recordId: queryInt(q, 'recordId', { min: 1 }),
    // An exact action, or a family with a trailing * (`flow:*`, `user.*`).
    action: text(q, 'action', /^[A-Za-z][A-Za-z0-9_:.-]{0,59}\*?$/),
    from: time(q, 'from'),
    to: time(q, 'to'),
    before: queryInt(q, 'before', { min: 1 }),
    limit: queryInt(q, 'limit', { min: 1, max: maxLimit }) ?? 100,
  };
  if (out.from && out.to && out.from > out.to) throw bad('to', 'oplog.badRange');
  return out;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function auditRows(knex: Knex, q: AuditQuery): Knex.QueryBuilder {
  const qb = knex('ct_audit').orderBy('id', 'desc').limit(q.limit);
  if (q.entity) qb.where({ entity: q.entity });
  if (q.recordId) qb.where({ record_id: q.recordId });
  if (q.actorId) qb.where({ actor_id: q.actorId });
  if (q.action?.endsWith('*')) qb.whereLike('action', `${likeEscape(q.action.slice(0, -1))}%`);
  else if (q.action) qb.where({ action: q.action });
  if (q.from) qb.where('at', '>=', q.from);
  if (q.to) qb.where('at', '<', dayEnd(q.to));
  if (q.before) qb.where('id', '<', q.before);
  return qb;
}

/** A plain date as the end of a range means "through that day". */
function dayEnd(d: Date): Date {
  return d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0 && d.getUTCMilliseconds() === 0 ? new Date(d.getTime() + 86400_000) : d;
}

export interface LoginQuery {
  username?: string;
  success?: boolean;
  from?: Date;
  to?: Date;
  before?: number;
  limit: number;
}

export function parseLoginQuery(q: Record<string, unknown>, maxLimit = 1000): LoginQuery {
  const s = q.success;
  if (s !== undefined && s !== '' && s !== 'true' && s !== 'false') throw bad('success');
  const out: LoginQuery = {
    username: text(q, 'username', /^[^\0]{1,64}$/),
    success: s === 'true' ? true : s === 'false' ? false : undefined,
    from: time(q, 'from'),
    to: time(q, 'to'),
    before: queryInt(q, 'before', { min: 1 }),
    limit: queryInt(q, 'limit', { min: 1, max: maxLimit }) ?? 100,
  };
  if (out.from && out.to && out.from > out.to) throw bad('to', 'oplog.badRange');
  return out;
}

export function loginRows(knex: Knex, q: LoginQuery): Knex.QueryBuilder {
  const qb = knex('ct_login_log as l').leftJoin('ct_user as u', 'u.id', 'l.user_id').orderBy('l.id', 'desc').limit(q.limit)
    .select('l.*', 'u.display_name');
  if (q.username) qb.where('l.username', q.username);
  if (q.success !== undefined) qb.where('l.success', q.success);
  if (q.from) qb.where('l.at', '>=', q.from);
  if (q.to) qb.where('l.at', '<', dayEnd(q.to));
  if (q.before) qb.where('l.id', '<', q.before);
  return qb;
}

export interface LoginEntry {
  id: number;
  at: string;
  username: string;
  userId: number | null;
  displayName: string | null;
  success: boolean;
  reason: string | null;
  reasonLabel: string | null;
  ip: string | null;
  userAgent: string | null;
}

export function presentLogins(rows: any[], lang: Lang): LoginEntry[] {
  return rows.map((r) => ({
    id: Number(r.id), at: new Date(r.at).toISOString(), username: r.username, userId: r.user_id == null ? null : Number(r.user_id), displayName: r.display_name ?? null,
    success: !!r.success, reason: r.reason ?? null, reasonLabel: r.reason ? t(lang, `loginlog.reason.${r.reason}`, {}) : null, ip: r.ip ?? null, userAgent: r.user_agent ?? null,
  }));
}

// ---- the operation log with names

/** Entities of the platform itself, by the name they have in the audit trail. */
const PLATFORM_ENTITIES = ['ct_user', 'ct_org', 'ct_token', 'ct_state', 'ct_backup', 'auth', 'security'];
/** Families of actions, for the filter (`*` = prefix). */
export const ACTION_FAMILIES = ['create', 'update', 'delete', 'action:*', 'flow:*', 'signature', 'user.*', 'org.*', 'token.*', 'policy.update', 'meta.*', 'backup.*', 'password.change', 'account.locked'];

export interface Change {
  label: string;
  from: string | null;
  to: string | null;
}

export interface AuditView {
  id: number;
  at: string;
  by: number | null;
  byName: string | null;
  entity: string;
  entityLabel: string;
  recordId: number | null;
  /** Title of the record (or user, org unit, token); null when it cannot be shown. */
  recordTitle: string | null;
  /** The record still exists and the caller may open it: the screen links `/record/<entity>/<id>`. */
  openable: boolean;
  action: string;
  actionLabel: string;
  changes: Change[];
  /** One line: "field: old → new; …", as exports write it. */
  summary: string;
  reason: string | null;
  ip: string | null;
}

const KNOWN_KEY = (lang: Lang, k: string) => {
  const v = t(lang, `oplog.key.${k}`);
  return v === `oplog.key.${k}` ? null : v;
};

/** Labels of the entities and action families the filters offer. */
export function auditOptions(s: Services, lang: Lang) {
  const m = s.meta.model;
  const entities = [
    ...[...m.entities.values()].map((e) => ({ value: e.name, label: label(e.schema['x-label'], lang) || e.name })),
    ...PLATFORM_ENTITIES.map((e) => ({ value: e, label: t(lang, `oplog.entity.${e}`) })),
  ];
  const actions = ACTION_FAMILIES.map((a) => ({ value: a, label: t(lang, `oplog.action.${a.replace(/[.:]?\*$/, '').replace(/[.:]/g, '_')}`) }));
  return { entities, actions };
}

function entityLabelOf(s: Services, name: string, lang: Lang): string {
  const e = s.meta.model.entity(name);
  if (e) return label(e.schema['x-label'], lang) || name;
  if (name.startsWith('meta:')) {
    const kind = t(lang, `oplog.metaKind.${name.slice(5)}`);
    return t(lang, 'oplog.entity.meta', { kind: kind.startsWith('oplog.') ? name.slice(5) : kind });
  }
  if (name.startsWith('plugin:')) return t(lang, 'oplog.entity.plugin', { name: name.slice(7) });
  const v = t(lang, `oplog.entity.${name}`);
  return v === `oplog.entity.${name}` ? name : v;
}

/** Lookups an entry page needs, fetched in a few queries: users, org units, record titles. */
class Names {
  users = new Map<number, string>();
  titles = new Map<string, string>();
  orgs = new Map<number, string>();
  private wantUsers = new Set<number>();
  private wantRecords = new Map<string, Set<number>>();
  constructor(private s: Services, private ctx: CallContext) {}
  user(id: unknown) {
    if (Number.isSafeInteger(Number(id)) && Number(id) > 0) this.wantUsers.add(Number(id));
  }
  record(entity: string, id: unknown) {
    if (!Number.isSafeInteger(Number(id)) || Number(id) < 1 || !this.s.meta.model.entity(entity)) return;
    if (!this.wantRecords.has(entity)) this.wantRecords.set(entity, new Set());
    this.wantRecords.get(entity)!.add(Number(id));
  }
  async load() {
    const knex = this.s.knex;
    if (this.wantUsers.size)
      for (const u of await knex('ct_user').whereIn('id', [...this.wantUsers]).select('id', 'username', 'display_name'))
        this.users.set(Number(u.id), u.display_name ? `${u.display_name} (${u.username})` : u.username);
    for (const o of (await orgTree(knex, true)).byId.values()) this.orgs.set(o.id, this.ctx.lang === 'en' && o.nameEn ? o.nameEn : o.name);
    for (const [entity, ids] of this.wantRecords) {
      const e = this.s.meta.model.entity(entity)!;
      const tf = e.titleField;
      const all = [...ids];
      try {
        for (let i = 0; i < all.length; i += MAX_LIMIT) {
          const chunk = all.slice(i, i + MAX_LIMIT);
          // Through the record pipeline, as the caller: what they may not read has no title here either.
          const r = await this.s.records.list(this.ctx, entity, { filter: { id: { in: chunk } }, fields: tf === 'id' ? ['id'] : ['id', tf], limit: chunk.length, count: false });
          for (const row of r.data) this.titles.set(`${entity}/${row.id}`, tf === 'id' ? label(e.schema['x-label'], this.ctx.lang) : String(row[tf] ?? ''));
        }
      } catch (err) {
        // No read permission on the entity: no titles; anything else is a real failure.
        if (!(err instanceof AppError) || err.status !== 403) throw err;
      }
    }
  }
  title(entity: string, id: unknown): string | null {
    return this.titles.get(`${entity}/${Number(id)}`) ?? null;
  }
}

function dateTime(v: unknown): string {
  const d = new Date(String(v));
  if (Number.isNaN(d.getTime())) return String(v);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A stored value of a field as a person reads it. */
function fieldValue(s: Services, names: Names, lang: Lang, f: FieldDef | undefined, v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (!f) return scalarOrSummary(lang, v);
  // A string naming a metadata definition (a QC specification) reads as that definition's label.
  const metaKind = f.schema['x-meta'];
  if (typeof metaKind === 'string') {
    const def = (s.meta.model.set[metaKind] as Record<string, any> | undefined)?.[String(v)];
    return def?.label ? label(def.label, lang) || String(v) : String(v);
  }
  const itemDict = f.schema.items?.['x-dictionary'];
  if (Array.isArray(v) && typeof itemDict === 'string') {
    const items = (s.meta.model.set.dictionary?.[itemDict]?.items as any[] | undefined) ?? [];
    return v.map((x) => { const it = items.find((i) => i.code === x); return it ? label(it.label, lang) : String(x); }).join('、');
  }
  switch (f.kind) {
    case 'reference':
      return names.title(f.ref!, v) ?? t(lang, 'oplog.unavailable');
    case 'multiReference':
      return Array.isArray(v) ? v.map((x) => names.title(f.ref!, x) ?? t(lang, 'oplog.unavailable')).join('、') : null;
    case 'dictionary': {
      const item = (s.meta.model.set.dictionary?.[f.dictionary!]?.items as any[] | undefined)?.find((i) => i.code === v);
      return item ? label(item.label, lang) : String(v);
    }
    case 'enum':
      return label(f.schema['x-enum-labels']?.[String(v)], lang) || String(v);
    case 'boolean':
      return t(lang, v ? 'oplog.yes' : 'oplog.no');
    case 'datetime':
      return dateTime(v);
    case 'attachment':
      return Array.isArray(v) ? v.map((a: any) => String(a?.name ?? '')).filter(Boolean).join('、') : null;
    default:
      return scalarOrSummary(lang, v);
  }
}

function scalarOrSummary(lang: Lang, v: unknown): string {
  if (typeof v === 'boolean') return t(lang, v ? 'oplog.yes' : 'oplog.no');
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return v.join('、');
  return t(lang, 'oplog.structured', { n: Array.isArray(v) ? v.length : Object.keys(v as object).length });
}

/** The user record's own fields (ct_user audit entries) and the org unit's, as labels and names. */
function platformValue(s: Services, names: Names, lang: Lang, field: string, v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  const roles = rolesOf(s.meta.model);
  switch (field) {
    case 'orgId':
    case 'parentId':
      return names.orgs.get(Number(v)) ?? t(lang, 'oplog.unavailable');
    case 'orgIds':
      return Array.isArray(v) ? v.map((x) => names.orgs.get(Number(x)) ?? t(lang, 'oplog.unavailable')).join('、') : null;
    case 'roles':
      return Array.isArray(v) ? v.map((r) => label(roles[String(r)]?.label, lang) || String(r)).join('、') : null;
    case 'role':
      return label(roles[String(v)]?.label, lang) || String(v);
    case 'userId':
      return names.users.get(Number(v)) ?? t(lang, 'oplog.unavailable');
    case 'kind':
      return t(lang, `org.kind.${String(v)}`);
    case 'locale':
      return v === 'en' ? 'English' : '简体中文';
    case 'expiresAt':
      return dateTime(v);
    case 'purpose':
      return t(lang, `oplog.purpose.${String(v)}`);
    default:
      return scalarOrSummary(lang, v);
  }
}

/** Keys of an entry's details not worth a reader's attention (hashes, internal task numbers, whole diffs). */
const HIDDEN_DETAILS = new Set(['contentHash', 'hash', 'signatureId', 'task', 'version', 'diff', 'id']);

export async function presentAudit(s: Services, ctx: CallContext, rows: any[]): Promise<AuditView[]> {
  const lang = ctx.lang;
  const model = s.meta.model;
  const names = new Names(s, ctx);
  // First pass: which users and records the entries name.
  for (const r of rows) {
    if (r.actor_id) names.user(r.actor_id);
    const e = model.entity(r.entity);
    if (e && r.record_id) names.record(e.name, r.record_id);
    if ((r.entity === 'ct_user' || r.entity === 'auth') && r.record_id) names.user(r.record_id);
    if (Array.isArray(r.changes) && e)
      for (const c of r.changes) {
        const f = e.fields.get(c?.field);
        if (f?.ref) for (const v of [c.from, c.to].flat()) names.record(f.ref, v);
      }
    if (r.changes && !Array.isArray(r.changes) && typeof r.changes === 'object') {
      for (const k of ['userId']) if (r.changes[k]) names.user(r.changes[k]);
      if (/^flow:(reassign|escalate)$/.test(r.action)) for (const k of ['from', 'to']) names.user(r.changes[k]);
    }
  }
  await names.load();
  const tokenNames = new Map<number, string>();
  const tokenIds = rows.filter((r) => r.entity === 'ct_token' && r.record_id).map((r) => Number(r.record_id));
  if (tokenIds.length) for (const tk of await s.knex('ct_session').whereIn('id', tokenIds).select('id', 'name')) tokenNames.set(Number(tk.id), tk.name);

  return rows.map((r) => {
    const e = model.entity(r.entity);
    const flowDef = r.changes?.flow ? (model.set.flow?.[r.changes.flow] as any) : undefined;
    const changes: Change[] = [];
    if (Array.isArray(r.changes)) {
      const list = e ? (revealChanges(s.authorizer as any, ctx, e, r.changes.filter((c: any) => !s.authorizer.fieldAccess(ctx, e).hidden.has(c?.field))) as any[]) : r.changes;
      for (const c of list) {
        if (!c || typeof c.field !== 'string') continue;
        const f = e?.fields.get(c.field);
        const value = (v: unknown) => (e ? fieldValue(s, names, lang, f, v) : platformValue(s, names, lang, c.field, v));
        changes.push({ label: e ? label(f?.schema['x-label'], lang) || c.field : (KNOWN_KEY(lang, c.field) ?? c.field), from: value(c.from), to: value(c.to) });
      }
    } else if (r.changes && typeof r.changes === 'object') {
      for (const [k, v] of Object.entries<any>(r.changes)) {
        if (HIDDEN_DETAILS.has(k) || v === null || v === undefined || v === '') continue;
        let shown: string | null;
        if (k === 'flow') shown = label(flowDef?.label, lang) || String(v);
        else if ((k === 'state' || ((k === 'from' || k === 'to') && !/^flow:(reassign|escalate|unassign|assign)$/.test(r.action))) && flowDef) shown = label(flowDef.states?.[v]?.label, lang) || String(v);
        else if (k === 'action') shown = transitionLabel(s, lang, r.entity, String(v), flowDef) ?? String(v);
        else if ((k === 'from' || k === 'to') && /^flow:(reassign|escalate)$/.test(r.action)) shown = names.users.get(Number(v)) ?? t(lang, 'oplog.unavailable');
        else if (k === 'notified' && Array.isArray(v)) shown = v.map((x) => names.users.get(Number(x)) ?? '').filter(Boolean).join('、');
        else if (k === 'size' && typeof v === 'number') shown = sizeText(v);
        else if (e && e.fields.has(k)) shown = fieldValue(s, names, lang, e.fields.get(k), v);
        else shown = platformValue(s, names, lang, k, v);
        const keyLabel = e?.fields.get(k) ? label(e.fields.get(k)!.schema['x-label'], lang) : KNOWN_KEY(lang, k);
        // A key without a label is an internal one: left out rather than shown raw.
        if (!keyLabel || shown === null) continue;
        changes.push({ label: keyLabel, from: null, to: shown });
      }
    }
    const id = r.record_id == null ? null : Number(r.record_id);
    let recordTitle: string | null = null;
    if (e && id) recordTitle = names.title(e.name, id);
    else if ((r.entity === 'ct_user' || r.entity === 'auth') && id) recordTitle = names.users.get(id) ?? null;
    else if (r.entity === 'ct_org' && id) recordTitle = names.orgs.get(id) ?? null;
    else if (r.entity === 'ct_token' && id) recordTitle = tokenNames.get(id) ?? null;
    else if (r.entity === 'ct_backup' && r.changes?.name) recordTitle = String(r.changes.name);
    else if (r.entity.startsWith('meta:') && r.changes?.id) {
      const def = model.set[r.entity.slice(5)]?.[r.changes.id] as any;
      recordTitle = label(def?.['x-label'] ?? def?.label, lang) || null;
    }
    const summary = changes.map((c) => (c.from !== null ? `${c.label}: ${c.from} → ${c.to ?? '—'}` : `${c.label}: ${c.to ?? '—'}`)).join('; ');
    return {
      id: Number(r.id), at: new Date(r.at).toISOString(), by: r.actor_id == null ? null : Number(r.actor_id),
      byName: (r.actor_id ? names.users.get(Number(r.actor_id)) : null) ?? (r.actor_id == null && r.actor_name === 'System' ? t(lang, 'oplog.system') : (r.actor_name ?? null)),
      entity: r.entity, entityLabel: entityLabelOf(s, r.entity, lang), recordId: id, recordTitle, openable: !!(e && id && recordTitle !== null),
      action: r.action, actionLabel: actionLabel(s, lang, r.entity, r.action, flowDef), changes, summary, reason: r.reason ?? null, ip: r.ip ?? null,
    };
  });
}

export function sizeText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** The label of a flow transition or plugin action by its name, on an entity (or in one flow). */
function transitionLabel(s: Services, lang: Lang, entity: string, name: string, flowDef?: any): string | null {
  const flows = flowDef ? [flowDef] : Object.values<any>(s.meta.model.set.flow ?? {}).filter((f) => f.entity === entity);
  return label(s.hooks.getAction(entity, name)?.label, lang) || flows.map((f) => label(f.transitions?.find((x: any) => x.action === name)?.label, lang)).find(Boolean) || null;
}

function actionLabel(s: Services, lang: Lang, entity: string, action: string, flowDef: any): string {
  const known = (k: string) => {
    const v = t(lang, k);
    return v === k ? null : v;
  };
  if (action.startsWith('action:')) {
    const name = action.slice(7);
    return transitionLabel(s, lang, entity, name) || known(`oplog.action.action_${name}`) || t(lang, 'oplog.action.action');
  }
  if (action.startsWith('flow:')) {
    const name = action.slice(5);
    const tr = label(flowDef?.transitions?.find((x: any) => x.action === name)?.label, lang);
    return known(`oplog.action.flow_${name}`) ?? (tr ? t(lang, 'oplog.action.flowStep', { step: tr }) : t(lang, 'oplog.action.flow'));
  }
  return known(`oplog.action.${action.replace(/[.:-]/g, '_')}`) ?? action;
}

export type { EntityDef };
