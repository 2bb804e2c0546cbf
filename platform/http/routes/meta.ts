import type Router from '@koa/router';
import { AppError, forbidden } from '../../errors';
import type { Services } from '../../services';
import { metaKinds } from '../../metadata/registry';
import { callContext } from './auth';

/** Metadata kinds by URL name: `/meta/entity/customer`. */
export function metaRoutes(api: Router, s: Services): void {
  api.get('/meta', (ctx) => {
    const m = s.meta.model;
    // Entities the caller cannot read are left out (with their forms and lists).
    const readable = new Set(
      [...m.entities.values()]
        .filter((e) => {
          try {
            const r = s.authorizer.assert(callContext(ctx), e, 'read');
            return !(r instanceof Promise);
          } catch {
            return false;
          }
        })
        .map((e) => e.name),
    );
    const byEntity = (defs: Record<string, any> = {}) => Object.fromEntries(Object.entries(defs).filter(([, d]) => readable.has(d.entity)));
    const entities: Record<string, any> = {};
    for (const name of readable) {
      const e = m.entity(name)!;
      const hidden = s.authorizer.fieldAccess(callContext(ctx), e).hidden;
      const schema = JSON.parse(JSON.stringify(e.schema));
      for (const h of hidden) delete schema.properties[h];
      schema['x-actions'] = s.hooks.actionsOf(name);
      entities[name] = schema;
    }
    const extra = Object.fromEntries(
      metaKinds()
        .filter((k) => !['entity', 'form', 'list', 'dictionary', 'numbering', 'menu'].includes(k.kind))
        .map((k) => [k.kind, m.set[k.kind] ?? {}]),
    );
    ctx.body = {
      version: m.version,
      entities,
      forms: byEntity(m.set.form),
      lists: byEntity(m.set.list),
      dictionaries: m.set.dictionary ?? {},
      numbering: m.set.numbering ?? {},
      menus: m.set.menu ?? {},
      plugins: s.webEntries,
      ...extra,
    };
  });

  const requireAdmin = (ctx: any) => {
    if (!ctx.state.actor?.isAdmin && !(ctx.state.actor?.permissions?.has?.('meta:write'))) throw forbidden();
  };
  const kindOf = (k: string) => {
    if (!metaKinds().some((x) => x.kind === k)) throw new AppError(404, 'NOT_FOUND', 'error.metaKind', { kind: k });
    return k;
  };

  api.get('/meta/:kind/:id', (ctx) => {
    const def = s.meta.definition(kindOf(ctx.params.kind), ctx.params.id);
    if (!def) throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: ctx.params.kind, id: ctx.params.id });
    ctx.body = { data: def, file: s.meta.fileDefinition(ctx.params.kind, ctx.params.id) ?? null };
  });
  api.put('/meta/:kind/:id', async (ctx) => {
    requireAdmin(ctx);
    const body = ctx.request.body as any;
    if (!body || typeof body !== 'object' || !body.definition || typeof body.definition !== 'object')
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/definition', messageKey: 'auth.required' }]);
    const v = await s.meta.save(kindOf(ctx.params.kind), ctx.params.id, body.definition, callContext(ctx), { reason: body.reason, migration: body.migration });
    ctx.body = { data: v };
  });
  api.delete('/meta/:kind/:id', async (ctx) => {
    requireAdmin(ctx);
    const body = (ctx.request.body ?? {}) as any;
    ctx.body = { data: await s.meta.save(kindOf(ctx.params.kind), ctx.params.id, null, callContext(ctx), { reason: body.reason, migration: body.migration }) };
  });
  api.get('/meta/:kind/:id/versions', async (ctx) => {
    requireAdmin(ctx);
    ctx.body = { data: await s.meta.versions(kindOf(ctx.params.kind), ctx.params.id) };
  });
  api.post('/meta/:kind/:id/rollback', async (ctx) => {
    requireAdmin(ctx);
    const body = (ctx.request.body ?? {}) as any;
    if (!Number.isInteger(body.version) || body.version < 0)
      throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: '/version', messageKey: 'auth.required' }]);
    ctx.body = { data: await s.meta.rollback(kindOf(ctx.params.kind), ctx.params.id, body.version, callContext(ctx), body.reason) };
  });
}
