import crypto from 'node:crypto';
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Knex } from 'knex';
import { AppError, ValidationError, badRequest, forbidden, notFound } from '../errors';
import type { Services } from '../services';
import type { RecordEvent } from '../records/events';
import { createAjv, localizeErrors } from '../metadata/ajv';
import { writeAudit } from '../audit/audit';
import { headerText } from '../http/input';
import { registerMessages } from '../i18n';
import { decryptValue, encryptValue, encryptedFields } from '../auth/crypto';

registerMessages({
  'zh-CN': {
    'webhook.unknownEntity': '没有名为 {entity} 的业务对象',
    'webhook.badUrl': '地址必须是 http:// 或 https:// 开头的完整网址',
  },
  en: {
    'webhook.unknownEntity': 'There is no entity named {entity}',
    'webhook.badUrl': 'The URL must be a full http:// or https:// address',
  },
});

export const WEBHOOK_EVENTS = ['created', 'updated', 'deleted', 'action'] as const;
const SECRET_DOMAIN = 'ct_webhook.secret';
const JOB = 'webhook.deliver';

/** The signature a receiver recomputes: HMAC-SHA256 over `<timestamp>.<raw body>` with the subscription's secret. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

const ajv = createAjv();
const createSchema = {
  type: 'object',
  required: ['url', 'entity', 'events'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', minLength: 8, maxLength: 2000 },
    entity: { type: 'string', minLength: 1, maxLength: 64 },
    events: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...WEBHOOK_EVENTS] } },
    description: { type: 'string', maxLength: 200 },
    enabled: { type: 'boolean' },
  },
};
const updateSchema = { ...createSchema, required: [] as string[], minProperties: 1 };
const checkCreate = ajv.compile(createSchema);
const checkUpdate = ajv.compile(updateSchema);

interface Hook {
  id: number;
  url: string;
  entity: string;
  events: string[];
  enabled: boolean;
}

const present = (r: any) => ({
  id: Number(r.id), url: r.url, entity: r.entity, events: r.events, description: r.description ?? null, enabled: r.enabled, createdAt: r.created_at, updatedAt: r.updated_at,
});
const presentDelivery = (r: any) => ({
  id: Number(r.id), webhookId: Number(r.webhook_id), event: r.event, entity: r.entity, recordId: r.record_id === null ? null : Number(r.record_id), status: r.status,
  attempts: r.attempts, responseStatus: r.response_status, lastError: r.last_error, durationMs: r.duration_ms, createdAt: r.created_at, deliveredAt: r.delivered_at,
});

/**
 * Webhooks: record events of subscribed entities become delivery rows and `webhook.deliver` jobs (the job
 * queue retries with backoff and runs each once across processes); every delivery and its outcome is logged.
 */
export function setupWebhooks(s: Services): void {
  // One query per 2 s whatever the event rate (an import of 100,000 rows emits 100,000 events at once): callers
  // share the pending read.
  let cache: { at: number; hooks: Promise<Hook[]> } | null = null;
  const hooks = (): Promise<Hook[]> => {
    if (!cache || Date.now() - cache.at > 2000) {
      const read = s.knex('ct_webhook').where({ enabled: true }).select('id', 'url', 'entity', 'events', 'enabled').then((rows) => rows.map((r) => ({ ...r, id: Number(r.id) }) as Hook));
      cache = { at: Date.now(), hooks: read };
      read.catch(() => (cache = null));
    }
    return cache.hooks;
  };
  const forget = () => {
    cache = null;
  };

  s.events.on('record', (e: RecordEvent) => {
    void (async () => {
      const matching = (await hooks()).filter((h) => h.entity === e.entity && h.events.includes(e.type));
      if (!matching.length) return;
      const ent = s.meta.model.entity(e.entity);
      // Encrypted fields never leave in a webhook: receivers get the record without them.
      const hidden = new Set(ent ? encryptedFields(ent).map((f) => f.name) : []);
      const data = Object.fromEntries(Object.entries(e.record ?? {}).filter(([k]) => !hidden.has(k) && !k.endsWith('__bi')));
      for (const h of matching) {
        await s.knex.transaction(async (trx) => {
          const [row] = await trx('ct_webhook_delivery')
            .insert({ webhook_id: h.id, event: e.type, entity: e.entity, record_id: e.id, payload: JSON.stringify({ event: `record.${e.type}`, entity: e.entity, recordId: e.id, action: e.action ?? null, actorId: e.actorId, occurredAt: new Date().toISOString(), data }) })
            .returning('id');
          await s.jobs.enqueue(JOB, { deliveryId: Number(row.id) }, {}, trx);
        });
      }
    })().catch((err: Error) => s.log.error({ err: err.message, entity: e.entity, id: e.id }, 'webhook enqueue failed'));
  });

  s.jobs?.register(
    JOB,
    async (p: { deliveryId: number }, job: { attempt: number; maxAttempts: number }) => {
      const d = await s.knex('ct_webhook_delivery').where({ id: p.deliveryId }).first();
      if (!d || d.status === 'delivered') return;
      const h = await s.knex('ct_webhook').where({ id: d.webhook_id }).first();
      if (!h) return;
      const body = JSON.stringify({ id: Number(d.id), ...d.payload });
      const ts = String(Math.floor(Date.now() / 1000));
      const t0 = Date.now();
      let status: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(h.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json', 'User-Agent': `CellTrace/${s.version}`, 'X-CellTrace-Event': d.payload.event, 'X-CellTrace-Delivery': String(d.id),
            'X-CellTrace-Timestamp': ts, 'X-CellTrace-Signature': signPayload(decryptValue(SECRET_DOMAIN, h.secret), ts, body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (status < 200 || status >= 300) error = `HTTP ${status}`;
      } catch (e) {
        error = (e as Error).message;
      }
      const delivered = !error;
      await s.knex('ct_webhook_delivery').where({ id: d.id }).update({
        status: delivered ? 'delivered' : job.attempt >= job.maxAttempts ? 'failed' : 'pending', attempts: job.attempt, response_status: status, last_error: error,
        duration_ms: Date.now() - t0, delivered_at: delivered ? s.knex.fn.now() : null,
      });
      if (!delivered) throw new Error(`webhook ${h.id} delivery ${d.id}: ${error}`);
    },
    { maxAttempts: Number(process.env.WEBHOOK_MAX_ATTEMPTS ?? 6), backoffMs: Number(process.env.WEBHOOK_BACKOFF_MS ?? 5000) },
  );

  s.routeExtensions.push((api) => webhookRoutes(api, s, forget));
}

function webhookRoutes(api: Router, s: Services, forget: () => void): void {
  const admin = (ctx: Koa.Context) => {
    if (!ctx.state.actor?.isAdmin) throw forbidden();
  };
  const audit = (trx: Knex.Transaction, ctx: Koa.Context, action: string, id: number, changes: Record<string, unknown>) =>
    writeAudit(trx, {
      actorId: ctx.state.actor.id, actorName: ctx.state.actor.displayName, entity: 'ct_webhook', recordId: id, action, changes,
      reason: headerText(ctx, 'X-Change-Reason') ?? null, ip: ctx.ip, requestId: ctx.state.requestId,
    });
  const checkBody = (ctx: Koa.Context, create: boolean) => {
    const raw: unknown = ctx.request.body;
    const v = create ? checkCreate : checkUpdate;
    if (!v(raw)) throw new ValidationError(localizeErrors(v.errors));
    const body = raw as { url?: string; entity?: string; events?: string[]; description?: string; enabled?: boolean };
    if (body.url !== undefined) {
      let u: URL | undefined;
      try {
        u = new URL(body.url);
      } catch {
        /* reported below */
      }
      if (!u || !/^https?:$/.test(u.protocol)) throw badRequest('VALIDATION_FAILED', 'webhook.badUrl', {}, '/url');
    }
    if (body.entity !== undefined && !s.meta.model.entity(body.entity)) throw badRequest('VALIDATION_FAILED', 'webhook.unknownEntity', { entity: body.entity }, '/entity');
    return body;
  };
  const idOf = (ctx: Koa.Context) => {
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw badRequest('VALIDATION_FAILED', 'error.validation', {}, '/id');
    return id;
  };

  api.get('/admin/webhooks', async (ctx) => {
    admin(ctx);
    ctx.body = { data: (await s.knex('ct_webhook').orderBy('id')).map(present) };
  });
  api.post('/admin/webhooks', async (ctx) => {
    admin(ctx);
    const b = checkBody(ctx, true);
    const secret = crypto.randomBytes(24).toString('base64url');
    const row = await s.knex.transaction(async (trx) => {
      const [r] = await trx('ct_webhook')
        .insert({ url: b.url, entity: b.entity, events: b.events, description: b.description ?? null, enabled: b.enabled ?? true, secret: encryptValue(SECRET_DOMAIN, secret), created_by: ctx.state.actor.id })
        .returning('*');
      await audit(trx, ctx, 'webhook.create', Number(r.id), { url: b.url, entity: b.entity, events: b.events });
      return r;
    });
    forget();
    ctx.status = 201;
    // The signing secret is shown once, at creation.
    ctx.body = { data: { ...present(row), secret } };
  });
  api.patch('/admin/webhooks/:id', async (ctx) => {
    admin(ctx);
    const id = idOf(ctx);
    const b = checkBody(ctx, false);
    const row = await s.knex.transaction(async (trx) => {
      const before = await trx('ct_webhook').where({ id }).forUpdate().first();
      if (!before) throw notFound('webhook', id);
      const [r] = await trx('ct_webhook').where({ id }).update({ ...b, updated_at: trx.fn.now() }).returning('*');
      await audit(trx, ctx, 'webhook.update', id, b);
      return r;
    });
    forget();
    ctx.body = { data: present(row) };
  });
  api.delete('/admin/webhooks/:id', async (ctx) => {
    admin(ctx);
    const id = idOf(ctx);
    await s.knex.transaction(async (trx) => {
      const n = await trx('ct_webhook').where({ id }).delete();
      if (!n) throw notFound('webhook', id);
      await audit(trx, ctx, 'webhook.delete', id, {});
    });
    forget();
    ctx.body = { data: { id } };
  });
  api.get('/admin/webhooks/:id/deliveries', async (ctx) => {
    admin(ctx);
    const id = idOf(ctx);
    if (!(await s.knex('ct_webhook').where({ id }).first('id'))) throw notFound('webhook', id);
    ctx.body = { data: (await s.knex('ct_webhook_delivery').where({ webhook_id: id }).orderBy('id', 'desc').limit(200)).map(presentDelivery) };
  });
  api.post('/admin/webhooks/:id/deliveries/:deliveryId/redeliver', async (ctx) => {
    admin(ctx);
    const id = idOf(ctx);
    const did = Number(ctx.params.deliveryId);
    if (!Number.isSafeInteger(did) || did < 1) throw badRequest('VALIDATION_FAILED', 'error.validation', {}, '/deliveryId');
    await s.knex.transaction(async (trx) => {
      const n = await trx('ct_webhook_delivery').where({ id: did, webhook_id: id }).update({ status: 'pending', attempts: 0, last_error: null });
      if (!n) throw new AppError(404, 'NOT_FOUND', 'error.notFound', { entity: 'delivery', id: did });
      await audit(trx, ctx, 'webhook.redeliver', id, { deliveryId: did });
      await s.jobs.enqueue(JOB, { deliveryId: did }, {}, trx);
    });
    ctx.status = 202;
    ctx.body = { data: { id: did, status: 'pending' } };
  });
}
