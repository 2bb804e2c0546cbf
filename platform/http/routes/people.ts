import type Router from '@koa/router';
import type { Services } from '../../services';
import { searchUsers } from '../../records/people';
import { AppError } from '../../errors';
import { queryInt } from '../input';
import { callContext } from './auth';

/**
 * `GET /users?q=…` for user pickers (fields with `x-user`): the enabled users the caller may name on a record —
 * everyone for an administrator, else the users of the caller's own labs and the caller — as id, display name and
 * org unit name. `ids=1,2` looks up given users the same way (a picker's current value).
 */
export function peopleRoutes(api: Router, s: Services): void {
  api.get('/users', async (ctx) => {
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, 100) : undefined;
    const raw = typeof ctx.query.ids === 'string' ? ctx.query.ids : undefined;
    let ids: number[] | undefined;
    if (raw !== undefined) {
      ids = raw.split(',').filter(Boolean).map((x) => (/^\d{1,15}$/.test(x.trim()) ? Number(x) : NaN));
      if (ids.some((n) => !Number.isSafeInteger(n)) || ids.length > 100)
        throw new AppError(400, 'BAD_REQUEST', 'error.badValue', { param: 'ids' }, [{ path: '/ids', messageKey: 'error.badValue', params: { param: 'ids' } }]);
    }
    const limit = queryInt(ctx.query as Record<string, unknown>, 'limit', { min: 1, max: 100 }) ?? 20;
    ctx.body = { data: await searchUsers(s.knex, callContext(ctx).actor, { q: q || undefined, ids, limit }) };
  });
}
