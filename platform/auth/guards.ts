import { AppError } from '../errors';
import type { HookRegistry } from '../records/hooks';
import type { RecordService } from '../records/service';
import type { RoleAuthorizer } from './access';
import { attachmentIds, mayReadFile } from './file-access';

/**
 * Pipeline guards the Authorizer interface cannot express alone:
 * - a write may not point a reference at a record the writer cannot read (no probing other labs' ids);
 * - a write may not attach a file the writer cannot read (else attaching a guessed id would open it);
 * - update/delete need the row inside that action's own scope when it is narrower than the read scope.
 */
export function installGuards(hooks: HookRegistry, authz: RoleAuthorizer): void {
  const db = (records: RecordService) => (records as any).trx ?? records.knex;

  const hasRefs = (e: any) => [...e.fields.values()].some((f: any) => f.kind === 'reference' || f.kind === 'multiReference' || f.kind === 'attachment');
  hooks.on(
    '*', 'beforeCreate',
    async ({ ctx, entity, record, records }) => {
      if (ctx.actor.isAdmin) return;
      await checkReferences(records, ctx, entity, record, null);
      await checkAttachments(records, ctx, entity, record, null);
    },
    { appliesTo: hasRefs, pure: true },
  );
  hooks.on('*', 'beforeUpdate', async ({ ctx, entity, record, previous, records }) => {
    if (ctx.actor.isAdmin) return;
    await checkReferences(records, ctx, entity, record, previous ?? null);
    await checkAttachments(records, ctx, entity, record, previous ?? null);
    await checkActionScope(db(records), ctx, entity, Number(previous?.id), 'update');
  });
  hooks.on('*', 'beforeDelete', async ({ ctx, entity, previous, records }) => {
    if (ctx.actor.isAdmin) return;
    await checkActionScope(db(records), ctx, entity, Number(previous?.id), 'delete');
  });

  async function checkActionScope(knex: any, ctx: any, entity: any, id: number, action: string) {
    if (authz.sameScopeAsRead(ctx, entity, action)) return;
    const scope = authz.scopeFor(ctx, entity, entity.table, action);
    const q = knex(entity.table).where({ id }).whereNull('deleted_at').first('id');
    if (scope) q.andWhere((w: any) => scope(w));
    if (!(await q)) throw new AppError(403, 'FORBIDDEN', 'error.forbiddenAction', { entity: entity.name, action });
  }

  async function checkAttachments(records: RecordService, ctx: any, entity: any, record: Record<string, any>, previous: Record<string, any> | null) {
    for (const f of entity.fields.values()) {
      if (f.kind !== 'attachment' || record[f.name] == null) continue;
      const before = new Set(attachmentIds(previous?.[f.name]));
      const items = Array.isArray(record[f.name]) ? record[f.name] : [record[f.name]];
      for (const [i, item] of items.entries()) {
        const [id] = attachmentIds([item]);
        if (id === undefined || before.has(id)) continue;
        const file = await db(records)('ct_file').where({ id }).first('id', 'created_by');
        const ok = file && (await mayReadFile({ knex: db(records), model: records.model, auth: authz }, ctx, file));
        if (!ok) {
          const path = Array.isArray(record[f.name]) ? `/${f.name}/${i}` : `/${f.name}`;
          throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path, messageKey: 'error.fileNotFound' }]);
        }
      }
    }
  }

  async function checkReferences(records: RecordService, ctx: any, entity: any, record: Record<string, any>, previous: Record<string, any> | null) {
    for (const f of entity.fields.values()) {
      if (f.kind !== 'reference' && f.kind !== 'multiReference') continue;
      const v = record[f.name];
      if (v === undefined || v === null) continue;
      const before = new Set<number>(previous ? (Array.isArray(previous[f.name]) ? previous[f.name] : [previous[f.name]]) : []);
      const ids = [...new Set<number>((Array.isArray(v) ? v : [v]).filter((x: unknown) => Number.isSafeInteger(x) && !before.has(x as number)))];
      if (!ids.length) continue;
      let found = new Set<number>();
      try {
        const r = await records.list(ctx, f.ref, { filter: { id: { in: ids } }, fields: ['id'], limit: 1000 });
        found = new Set(r.data.map((x) => Number(x.id)));
      } catch (err) {
        if (!(err instanceof AppError && err.status === 403)) throw err;
      }
      const missing = ids.find((id) => !found.has(id));
      if (missing !== undefined)
        throw new AppError(400, 'VALIDATION_FAILED', 'error.validation', {}, [{ path: `/${f.name}`, messageKey: 'error.refNotFound', params: { entity: records.model.entity(f.ref)?.schema['x-label'] ?? f.ref, id: missing } }]);
    }
  }
}

