import { arr, bool, data, idParam, int, obj, page, paging, str, type RouteDoc } from '../http/route-docs';

const nullableInt = { type: ['integer', 'null'] };
const person = { type: ['object', 'null'], properties: { id: int, name: { type: ['string', 'null'] } } };
const task = obj(
  {
    id: int, kind: { enum: ['approval', 'assign'] }, status: str, entity: str, entityLabel: str, recordId: int, title: { type: ['string', 'null'] }, instanceId: nullableInt,
    state: { type: ['string', 'null'] }, stateLabel: { type: ['string', 'null'] }, assignee: person, initiator: person, action: { type: ['string', 'null'] }, comment: { type: ['string', 'null'] },
    dueAt: { type: ['string', 'null'] }, overdue: bool, createdAt: str, actions: arr(obj({ action: str, label: str, comment: str, signature: { type: ['object', 'null'] } })),
  },
  ['id', 'kind', 'status', 'entity', 'recordId'],
);
const instance = obj(
  { id: int, flow: obj({ id: str, label: str, version: int }), entity: str, entityLabel: str, recordId: int, title: { type: ['string', 'null'] }, state: str, stateLabel: str, status: str, initiator: person, startedAt: str, endedAt: { type: ['string', 'null'] }, canWithdraw: bool },
  ['id', 'flow', 'entity', 'recordId', 'state', 'status'],
);
const withTrail = (s: Record<string, any>) => ({ ...s, properties: { ...s.properties, trail: arr(task) } });
const taskId = { id: idParam('task') };
const instanceId = { id: idParam('workflowInstance') };
const comment = obj({ comment: str });
const move = (how: string, summary: string): RouteDoc => ({
  method: 'post', path: `/api/v1/inbox/tasks/:id/${how}`, id: `${how}Task`, tag: 'inbox', summary, scope: 'record', permission: 'assignee (target: a candidate of the step)',
  params: taskId, body: obj({ to: { type: ['integer', 'string'], 'x-ref': 'user' }, comment: str }, ['to']), response: data(task),
});

/** platform/workflow/routes.ts: the to-do inbox. */
const docs: RouteDoc[] = [
  {
    method: 'get', path: '/api/v1/inbox/counts', id: 'inboxCounts', tag: 'inbox', summary: 'Counts of my pending, done, initiated, unread and overdue items', scope: 'self', permission: 'authenticated',
    response: data(obj({ pending: int, done: int, initiated: int, unread: int, overdue: int })),
  },
  {
    method: 'get', path: '/api/v1/inbox/tasks', id: 'inboxTasks', tag: 'inbox', summary: 'My tasks (pending, or done by me)', scope: 'self', permission: 'authenticated',
    query: [...paging, { name: 'box', schema: { enum: ['pending', 'done'] } }, { name: 'entity', schema: str }, { name: 'kind', schema: { enum: ['approval', 'assign'] } }, { name: 'flow', schema: str }, { name: 'q', schema: str }, { name: 'overdue', schema: { enum: ['true', 'false'] } }],
    response: data(arr(task), { page }),
  },
  { method: 'get', path: '/api/v1/inbox/tasks/:id', id: 'inboxTask', tag: 'inbox', summary: 'One task with the trail of its flow', scope: 'record', permission: 'involved', params: taskId, response: data(withTrail(task)) },
  {
    method: 'post', path: '/api/v1/inbox/tasks/:id/act', id: 'actOnTask', tag: 'inbox', summary: 'Approve, reject or return a task (signature when the step asks for one)', scope: 'record', permission: 'assignee',
    params: taskId, body: obj({ action: { type: 'string', examples: ['countersign'] }, comment: str, signature: obj({ password: str }) }, ['action']), response: data(obj({ task, record: { type: 'object' } })),
  },
  move('delegate', 'Delegate a task to another candidate (stays mine to answer for)'),
  move('reassign', 'Hand a task over to another candidate'),
  { method: 'post', path: '/api/v1/inbox/tasks/:id/complete', id: 'completeTask', tag: 'inbox', summary: 'Complete an assignment task', scope: 'record', permission: 'assignee', params: taskId, body: comment, response: data(task) },
  {
    method: 'get', path: '/api/v1/inbox/initiated', id: 'inboxInitiated', tag: 'inbox', summary: 'Flow instances I started', scope: 'self', permission: 'authenticated',
    query: [...paging, { name: 'entity', schema: str }, { name: 'status', schema: str }], response: data(arr(instance), { page }),
  },
  { method: 'get', path: '/api/v1/inbox/instances/:id', id: 'flowInstance', tag: 'inbox', summary: 'One flow instance with its trail', scope: 'record', permission: 'involved', params: instanceId, response: data(withTrail(instance)) },
  { method: 'post', path: '/api/v1/inbox/instances/:id/withdraw', id: 'withdrawInstance', tag: 'inbox', summary: 'Withdraw a flow I started', scope: 'record', permission: 'initiator', params: instanceId, body: comment, response: data(instance) },
  {
    method: 'get', path: '/api/v1/inbox/records/:entity/:id', id: 'recordFlows', tag: '$entity', summary: 'Flow instances and assignments of one record', scope: 'record', permission: 'read <entity>',
    params: { id: { type: 'integer', minimum: 1, 'x-ref': '$entity' } }, response: data(obj({ instances: arr(withTrail(instance)), assignments: arr(task) })),
  },
  {
    method: 'get', path: '/api/v1/inbox/notifications', id: 'notifications', tag: 'inbox', summary: 'My notifications', scope: 'self', permission: 'authenticated',
    query: [...paging, { name: 'unread', schema: { enum: ['true', 'false'] } }],
    response: data(arr(obj({ id: int, kind: str, taskId: nullableInt, instanceId: nullableInt, entity: { type: ['string', 'null'] }, recordId: nullableInt, title: { type: ['string', 'null'] }, createdAt: str, readAt: { type: ['string', 'null'] } })), { page }),
  },
  { method: 'post', path: '/api/v1/inbox/notifications/read-all', id: 'readAllNotifications', tag: 'inbox', summary: 'Mark all my notifications read', scope: 'self', permission: 'authenticated', response: data(obj({ updated: int })) },
  {
    method: 'post', path: '/api/v1/inbox/notifications/:id/read', id: 'readNotification', tag: 'inbox', summary: 'Mark one of my notifications read', scope: 'record', permission: 'recipient',
    params: { id: idParam('notification') }, response: data(obj({ updated: int })),
  },
];
export default docs;
