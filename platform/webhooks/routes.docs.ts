import { arr, bool, data, int, obj, str, type RouteDoc } from '../http/route-docs';

const hook = obj({ id: int, url: str, entity: str, events: arr(str), description: { type: ['string', 'null'] }, enabled: bool, createdAt: str, updatedAt: str }, ['id', 'url', 'entity', 'events', 'enabled']);
const events = { type: 'array', minItems: 1, items: { enum: ['created', 'updated', 'deleted', 'action'] } };
const hookId = { id: { type: 'integer', minimum: 1 } };
const delivery = obj({ id: int, webhookId: int, event: str, entity: str, recordId: { type: ['integer', 'null'] }, status: { enum: ['pending', 'delivered', 'failed'] }, attempts: int, responseStatus: { type: ['integer', 'null'] }, lastError: { type: ['string', 'null'] }, durationMs: { type: ['integer', 'null'] }, createdAt: str, deliveredAt: { type: ['string', 'null'] } });

/** Webhook subscriptions and their delivery log (platform/webhooks). Administrators only. */
const docs: RouteDoc[] = [
  { method: 'get', path: '/api/v1/admin/webhooks', id: 'listWebhooks', tag: 'admin', summary: 'Webhook subscriptions', scope: 'admin', permission: 'administrator', response: data(arr(hook)) },
  {
    method: 'post', path: '/api/v1/admin/webhooks', id: 'createWebhook', tag: 'admin', summary: 'Subscribe a URL to record events of an entity; the signing secret is answered once', scope: 'admin', permission: 'administrator', status: 201,
    body: obj({ url: { type: 'string', examples: ['https://erp.example.com/hooks/celltrace'] }, entity: { type: 'string', examples: ['customer'] }, events, description: str, enabled: bool }, ['url', 'entity', 'events']),
    response: data({ ...hook, properties: { ...hook.properties, secret: str } }),
  },
  {
    method: 'patch', path: '/api/v1/admin/webhooks/:id', id: 'updateWebhook', tag: 'admin', summary: 'Change or pause a subscription', scope: 'admin', permission: 'administrator', params: hookId,
    body: obj({ url: str, entity: str, events, description: str, enabled: bool }), response: data(hook),
  },
  { method: 'delete', path: '/api/v1/admin/webhooks/:id', id: 'deleteWebhook', tag: 'admin', summary: 'Remove a subscription and its delivery log', scope: 'admin', permission: 'administrator', params: hookId, response: data(obj({ id: int })) },
  { method: 'get', path: '/api/v1/admin/webhooks/:id/deliveries', id: 'webhookDeliveries', tag: 'admin', summary: 'The newest 200 deliveries of a subscription', scope: 'admin', permission: 'administrator', params: hookId, response: data(arr(delivery)) },
  {
    method: 'post', path: '/api/v1/admin/webhooks/:id/deliveries/:deliveryId/redeliver', id: 'redeliverWebhook', tag: 'admin', summary: 'Queue a delivery again', scope: 'admin', permission: 'administrator', status: 202,
    params: { ...hookId, deliveryId: { type: 'integer', minimum: 1 } }, body: obj({}), response: data(obj({ id: int, status: str })),
  },
];
export default docs;
