import type { Knex } from 'knex';

export interface Notification {
  id: number;
  userId: number;
  kind: 'task' | 'reminder' | 'escalation' | 'outcome' | 'delegated' | string;
  taskId?: number | null;
  instanceId?: number | null;
  entity?: string | null;
  recordId?: number | null;
  recordTitle?: string | null;
  data?: Record<string, unknown>;
}

/** Hook point for e-mail, webhooks, IM…: called after the notification's transaction commits. */
export type NotificationChannel = (n: Notification) => Promise<void> | void;

const channels: NotificationChannel[] = [];
let onError: (err: unknown) => void = () => {};

export function addNotificationChannel(fn: NotificationChannel): void {
  channels.push(fn);
}

export function setNotificationErrorHandler(fn: (err: unknown) => void): void {
  onError = fn;
}

/** Writes in-app notifications in the caller's transaction; channels hear of them once it commits. */
export async function notify(trx: Knex.Transaction, items: Omit<Notification, 'id'>[]): Promise<void> {
  if (!items.length) return;
  const rows = await trx('ct_wf_notification')
    .insert(
      items.map((n) => ({
        user_id: n.userId, kind: n.kind, task_id: n.taskId ?? null, instance_id: n.instanceId ?? null, entity: n.entity ?? null,
        record_id: n.recordId ?? null, record_title: n.recordTitle ?? null, data: JSON.stringify(n.data ?? {}),
      })),
    )
    .returning('id');
  if (!channels.length) return;
  const sent = items.map((n, i) => ({ ...n, id: Number(rows[i].id) }));
  const deliver = () => {
    for (const n of sent)
      for (const ch of channels) {
        try {
          Promise.resolve(ch(n)).catch(onError);
        } catch (e) {
          onError(e);
        }
      }
  };
  const p = (trx as any).executionPromise as Promise<unknown> | undefined;
  if (p) p.then(deliver, () => {});
  else deliver();
}
