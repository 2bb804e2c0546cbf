import { arr, data, int, obj, str, type RouteDoc } from '../route-docs';

/** platform/http/routes/people.ts */
const docs: RouteDoc[] = [
  {
    method: 'get', path: '/api/v1/users', id: 'pickUsers', tag: 'people',
    summary: 'Users the caller may name in a user field (x-user): administrators any enabled user, others the enabled users of their own labs',
    scope: 'record', permission: 'authenticated',
    query: [
      { name: 'q', schema: { type: 'string', maxLength: 100 }, description: 'part of the display name or username' },
      { name: 'ids', schema: { type: 'string', pattern: '^\\d+(,\\d+)*$' }, description: 'comma-separated user ids (a picker\'s current value)' },
      { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 100 } },
    ],
    response: data(arr(obj({ id: int, displayName: str, orgName: { type: ['string', 'null'] } }, ['id', 'displayName']))),
  },
];
export default docs;
