import { arr, data, int, obj, str, type RouteDoc } from '../route-docs';

const kind = { type: 'string', examples: ['entity'], description: 'Metadata kind: entity, form, list, dictionary, numbering, menu, role, flow…' };
const defId = { type: 'string', examples: ['customer'], description: 'Definition id ($id)' };
const saveBody = obj({ definition: { type: 'object' }, reason: str, migration: { type: 'object' } }, ['definition']);
const version = obj({ version: int, kind: str, id: str });

/** platform/http/routes/meta.ts */
const docs: RouteDoc[] = [
  {
    method: 'get', path: '/api/v1/meta', id: 'meta', tag: 'meta', summary: 'The effective metadata the caller may see', scope: 'self', permission: 'authenticated',
    response: obj({ version: str, entities: { type: 'object' }, forms: { type: 'object' }, lists: { type: 'object' }, dictionaries: { type: 'object' }, numbering: { type: 'object' }, menus: { type: 'object' }, plugins: arr() }, ['version', 'entities']),
  },
  {
    method: 'get', path: '/api/v1/meta-schema/:kind', id: 'metaSchema', tag: 'meta', summary: 'The JSON Schema of a metadata kind (what its designer form is generated from)', scope: 'admin', permission: 'meta:write',
    params: { kind }, response: data({ type: 'object' }),
  },
  {
    method: 'get', path: '/api/v1/meta/:kind/:id', id: 'metaDefinition', tag: 'meta', summary: 'One metadata definition (effective and as shipped)', scope: 'record', permission: 'read <entity> (for entities and their forms/lists)',
    params: { kind, id: defId }, response: data({ type: 'object' }, { file: { type: ['object', 'null'] } }),
  },
  {
    method: 'put', path: '/api/v1/meta/:kind/:id', id: 'saveMetaDefinition', tag: 'meta', summary: 'Save a metadata definition as a new version', scope: 'admin', permission: 'meta:write',
    params: { kind, id: defId }, body: saveBody, response: data(version),
  },
  {
    method: 'delete', path: '/api/v1/meta/:kind/:id', id: 'deleteMetaDefinition', tag: 'meta', summary: 'Remove a metadata overlay', scope: 'admin', permission: 'meta:write',
    params: { kind, id: defId }, body: obj({ reason: str, migration: { type: 'object' } }), response: data(version),
  },
  {
    method: 'get', path: '/api/v1/meta/:kind/:id/versions', id: 'metaVersions', tag: 'meta', summary: 'Versions of a metadata definition', scope: 'admin', permission: 'meta:write',
    params: { kind, id: defId }, response: data(arr(version)),
  },
  {
    method: 'post', path: '/api/v1/meta/:kind/:id/rollback', id: 'rollbackMetaDefinition', tag: 'meta', summary: 'Roll a definition back to an earlier version', scope: 'admin', permission: 'meta:write',
    params: { kind, id: defId }, body: obj({ version: { type: 'integer', minimum: 0 }, reason: str }, ['version']), response: data(version),
  },
];
export default docs;
