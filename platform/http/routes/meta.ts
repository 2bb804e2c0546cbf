import type Router from '@koa/router';
import { AppError, forbidden } from '../../errors';
import type { Services } from '../../services';
import { metaKinds } from '../../metadata/registry';
import { callContext } from './auth';
import type { CallContext } from '../../context';
import type { EntityDef, Model } from '../../metadata/model';

/** Kinds only administrators may change: who may do what (roles) and who approves (flows). */
const ADMIN_ONLY_KINDS = new Set(['role', 'flow']);

/** May the caller read the entity at all? */
function readable(s: Services, c: CallContext, e: EntityDef): boolean {
  try {
    const r = s.authorizer.assert(c, e, 'read');
    return !(r instanceof Promise);
  } catch {
    return false;
  }
}

/**
 * The metadata a caller is shown, per role: an entity's schema without the fields hidden from the caller, and
 * forms and lists without them (a path `ref.field` is hidden when the field is hidden on the reference's target).
 * Metadata writers and administrators get the definitions as stored (they edit them).
 */
function viewFor(s: Services, c: CallContext, m: Model) {
  const hiddenOf = (e: EntityDef) => s.authorizer.fieldAccess(c, e).hidden;
  const visible = (e: EntityDef, name: string): boolean => {
    const [head, tail] = name.replace(/^-/, '').split('.');
    if (hiddenOf(e).has(head)) return false;
    if (tail === undefined) return true;
    const target = e.fields.get(head)?.ref ? m.entity(e.fields.get(head)!.ref!) : undefined;
    return !target || (readable(s, c, target) && !hiddenOf(target).has(tail));
  };
  const names = (e: EntityDef, list: unknown) => (Array.isArray(list) ? list.filter((n) => typeof n !== 'string' || visible(e, n)) : list);
  const omitKeys = (e: EntityDef, o: unknown) => (o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).filter(([k]) => visible(e, k))) : o);
  return {
    entity(e: EntityDef, def: any) {
      const out = JSON.parse(JSON.stringify(def));
      for (const h of hiddenOf(e)) delete out.properties?.[h];
      if (Array.isArray(out.required)) out.required = out.required.filter((n: string) => !hiddenOf(e).has(n));
      return out;
    },
    form(e: EntityDef, def: any) {
      const out = JSON.parse(JSON.stringify(def));
      const sections = (list: any[] | undefined) => list?.forEach((sec) => (sec.fields = names(e, sec.fields)));
      sections(out.sections);
      for (const v of out.variants ?? []) sections(v.sections);
      if (out.widgets) out.widgets = omitKeys(e, out.widgets);
      if (out.defaults) out.defaults = omitKeys(e, out.defaults);
      return out;
    },
    list(e: EntityDef, def: any) {
      const out = JSON.parse(JSON.stringify(def));
      for (const k of ['columns', 'quickSearch', 'defaultSort']) if (out[k]) out[k] = names(e, out[k]);
      if (out.indexes) out.indexes = out.indexes.filter((ix: unknown) => Array.isArray(ix) && ix.every((n) => visible(e, String(n))));
      return out;
    },
  };
}

/** Metadata kinds by URL name: `/meta/entity/customer`. */
export function metaRoutes(api: Router, s: Services): void {
  const readableBy = (c: CallContext, e: EntityDef) => readable(s, c, e);
  api.get('/meta', (ctx) => {
    const m = s.meta.model;
    // Entities the caller cannot read are left out (with their forms and lists).
    const readable = new Set([...m.entities.values()].filter((e) => readableBy(callContext(ctx), e)).map((e) => e.name));
    const view = viewFor(s, callContext(ctx), m);
    const byEntity = (defs: Record<string, any> = {}, kind: 'form' | 'list') =>
      Object.fromEntries(Object.entries(defs).filter(([, d]) => readable.has(d.entity)).map(([k, d]) => [k, view[kind](m.entity(d.entity)!, d)]));
    const entities: Record<string, any> = {};
    for (const name of readable) {
      const e = m.entity(name)!;
      const schema = view.entity(e, e.schema);
      schema['x-actions'] = s.hooks.actionsOf(name);
      entities[name] = schema;
    }
    const extra = Object.fromEntries(
      metaKinds()
        .filter((k) => !['entity', 'form', 'list', 'dictionary', 'numbering', 'menu'].includes(k.kind))
        .map((k) => [k.kind, m.set[k.kind] ?? {}]),
    );
    // Who may do what is the editors' business: others get role names only (labels for pickers and profiles).
    if (!mayWriteMeta(ctx) && extra.role)
      extra.role = Object.fromEntries(Object.entries<any>(extra.role).map(([k, r]) => [k, { $id: r.$id, label: r.label, description: r.description }]));
    ctx.body = {
      version: m.version,
      entities,
      forms: byEntity(m.set.form, 'form'),
      lists: byEntity(m.set.list, 'list'),
      dictionaries: m.set.dictionary ?? {},
      numbering: m.set.numbering ?? {},
      menus: m.set.menu ?? {},
      plugins: s.webEntries,
      ...extra,
    };
  });

  const mayWriteMeta = (ctx: any) => !!ctx.state.actor?.isAdmin || !!ctx.state.actor?.permissions?.has?.('meta:write');
  const requireAdmin = (ctx: any) => {
    if (!mayWriteMeta(ctx)) throw forbidden();
  };
  /** Writing one definition: meta:write, and for roles and flows an administrator; security keys of an entity too. */
  const requireWrite = (ctx: any, kind: string, id: string, def: any) => {
    requireAdmin(ctx);
    if (ctx.state.actor?.isAdmin) return;
    if (ADMIN_ONLY_KINDS.has(kind)) throw forbidden('error.metaAdminOnly', { kind });
    if (kind !== 'entity') return;
    // Row scope and encryption decide who reads what: changing them is an administrator's decision.
    const before = s.meta.definition('entity', id) ?? {};
    const after = def ?? {};
    const pointers: string[] = [];
    if ((before['x-scope'] ?? 'lab') !== (after['x-scope'] ?? 'lab')) pointers.push('/definition/x-scope');
    for (const f of new Set([...Object.keys(before.properties ?? {}), ...Object.keys(after.properties ?? {})]))
      if (!!before.properties?.[f]?.['x-encrypted'] !== !!after.properties?.[f]?.['x-encrypted'] && before.properties?.[f]) pointers.push(`/definition/properties/${f}/x-encrypted`);
    if (pointers.length)
      throw new AppError(403, 'FORBIDDEN', 'error.metaAdminOnlyKey', { key: pointers[0] }, pointers.map((path) => ({ path, messageKey: 'error.metaAdminOnlyKey', params: { key: path } })));
  };
  const kindOf = (k: string) => {
    if (!metaKinds().some((x) => x.kind === k)) throw new AppError(404, 'NOT_FOUND', 'error.metaKind', { kind: k });
    return k;
  };

  // The JSON Schema a kind's definitions must satisfy: the designers generate their forms from it (web/src/admin/SchemaDesigner.tsx).
  api.get('/meta-schema/:kind', (ctx) => {
    requireAdmin(ctx);
    const k = metaKinds().find((x) => x.kind === ctx.params.kind);
    if (!k) throw new AppError(404, 'NOT_FOUND', 'error.metaKind', { kind: ctx.params.kind });
    ctx.body = { data: k.schema };
  });
  api.get('/meta/:kind/:id', (ctx) => {
    const kind = kindOf(ctx.params.kind);
    const missing = () => new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: kind, id: ctx.params.id });
    let def = s.meta.definition(kind, ctx.params.id);
    let file = s.meta.fileDefinition(kind, ctx.params.id) ?? null;
    if (!def) throw missing();
    if (!mayWriteMeta(ctx) && (kind === 'entity' || kind === 'form' || kind === 'list')) {
      // Per role: an entity the caller may not read does not exist for it; hidden fields are left out.
      const c = callContext(ctx);
      const e = s.meta.model.entity(kind === 'entity' ? ctx.params.id : def.entity);
      if (!e || !readableBy(c, e)) throw missing();
      const view = viewFor(s, c, s.meta.model);
      def = view[kind](e, def);
      file = file && view[kind](e, file);
    }
    ctx.body = { data: def, file };
  });
  api.put('/meta/:kind/:id', async (ctx) => {
    requireAdmin(ctx);
    const body = ctx.request.body as any;
    if (!body || typeof body !== 'object' || !body.definition || typeof body.definition !== 'object')
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/definition', messageKey: 'auth.required' }]);
    requireWrite(ctx, kindOf(ctx.params.kind), ctx.params.id, body.definition);
    const v = await s.meta.save(kindOf(ctx.params.kind), ctx.params.id, body.definition, callContext(ctx), { reason: body.reason, migration: body.migration });
    ctx.body = { data: v };
  });
  api.delete('/meta/:kind/:id', async (ctx) => {
    requireWrite(ctx, kindOf(ctx.params.kind), ctx.params.id, null);
    const body = (ctx.request.body ?? {}) as any;
    ctx.body = { data: await s.meta.save(kindOf(ctx.params.kind), ctx.params.id, null, callContext(ctx), { reason: body.reason, migration: body.migration }) };
  });
  api.get('/meta/:kind/:id/versions', async (ctx) => {
    requireAdmin(ctx);
    ctx.body = { data: await s.meta.versions(kindOf(ctx.params.kind), ctx.params.id) };
  });
  api.post('/meta/:kind/:id/rollback', async (ctx) => {
    requireAdmin(ctx);
    if (!ctx.state.actor?.isAdmin && (ADMIN_ONLY_KINDS.has(ctx.params.kind) || ctx.params.kind === 'entity')) throw forbidden('error.metaAdminOnly', { kind: ctx.params.kind });
    const body = (ctx.request.body ?? {}) as any;
    if (!Number.isInteger(body.version) || body.version < 0)
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/version', messageKey: 'auth.required' }]);
    ctx.body = { data: await s.meta.rollback(kindOf(ctx.params.kind), ctx.params.id, body.version, callContext(ctx), body.reason) };
  });
}
