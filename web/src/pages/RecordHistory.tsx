// A record's history in words: who (display names), what (field labels, reference titles, enum and dictionary
// labels, flow and state labels), why; and "restore this version" for who holds records:restore.
import { useState } from 'react';
import { App, Button, Empty, Input, Modal, Skeleton, Timeline, Typography } from 'antd';
import { RollbackOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { currentLang, pick, type Lang } from '../i18n';
import { fieldLabel, useMeta, type Label, type Meta } from '../meta';
import { formatDateTime, formatValue } from '../lib/format';
import { useAuth } from '../auth';
import { isLines, LinesView } from '../form/LineItems';

export interface HistoryChange {
  field: string;
  from: unknown;
  to: unknown;
  /** Names the server resolved (reference titles, people); null when the caller may not see the record. */
  fromText?: string | null;
  toText?: string | null;
}

export interface HistoryEntry {
  id: number;
  at: string;
  by?: unknown;
  byName?: string;
  action: string;
  /** Field diffs for writes; other audit entries (flow steps, signatures) carry an object of details. */
  changes?: HistoryChange[] | Record<string, unknown> | null;
  reason?: string;
}

/** Technical keys of audit details not worth a technician's attention. */
const HIDDEN_DETAILS = new Set(['contentHash', 'hash', 'signatureId', 'task', 'version', 'people', 'round']);

interface FlowDef {
  label?: Label;
  states?: Record<string, { label?: Label }>;
  transitions?: { action: string; label?: Label }[];
}

/** Flow details (`{flow, state, from, to, action, comment}`) as label: value pairs of names. */
function detailText(meta: Meta, entity: string, d: Record<string, unknown>, t: (k: string) => string, lang: Lang): string {
  const flows = (meta.kinds.flow ?? {}) as Record<string, FlowDef>;
  const flow = typeof d.flow === 'string' ? flows[d.flow] : undefined;
  const people = (d.people ?? {}) as Record<string, string>;
  const stateLabel = (s: unknown) => (typeof s === 'string' ? pick(flow?.states?.[s]?.label, lang, s) : '');
  const value = (k: string, v: unknown): string => {
    if (typeof v === 'number' && (k === 'from' || k === 'to')) return people[String(v)] ?? t('record.noAccess');
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? people[String(x)] ?? t('record.noAccess') : String(x))).join('、');
    if (k === 'flow') return flow ? pick(flow.label, lang, String(v)) : String(v);
    if (k === 'state' || k === 'from' || k === 'to') return stateLabel(v);
    if (k === 'action') return pick(flow?.transitions?.find((x) => x.action === v)?.label, lang, String(v));
    if (k === 'field') return fieldLabel(meta, entity, String(v), lang);
    return String(v);
  };
  return Object.entries(d)
    .filter(([k, v]) => v != null && v !== '' && !HIDDEN_DETAILS.has(k) && (typeof v !== 'object' || Array.isArray(v)))
    .map(([k, v]) => `${t(`record.detail.${k}`)}: ${value(k, v)}`)
    .join(' · ');
}

export default function RecordHistory({ entity, id, history, error, reload }: { entity: string; id: string; history: HistoryEntry[] | null; error: string | null; reload(): void }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const { user } = useAuth();
  const { message } = App.useApp();
  const [restoring, setRestoring] = useState<HistoryEntry | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const schema = meta.entities[entity];
  const mayRestore = !!user?.isAdmin || (Array.isArray(user?.permissions) && (user.permissions as string[]).includes('records:restore'));

  const changeText = (c: HistoryChange, side: 'from' | 'to') => {
    const v = c[side];
    if (v == null || v === '') return '—';
    const named = side === 'from' ? c.fromText : c.toText;
    const f = schema?.properties[c.field];
    if (f?.['x-ref'] || f?.['x-user']) return named ?? t('record.noAccess');
    return formatValue(meta, f, c.field, v, lang) || '—';
  };
  const actionLabel = (a: string) => {
    if (a === 'create') return t('record.created');
    if (a === 'update') return t('record.updated');
    if (a === 'delete') return t('record.deleted');
    // Flow steps, signatures and actions: a translated name where one exists, else the action's own label.
    // A flow transition's own label where the audit code has no translation (`action:approve` → 批准出库).
    const name = a.replace(/^(action|flow):/, '');
    const flows = Object.values((meta.kinds.flow ?? {}) as Record<string, FlowDef & { entity?: string }>).filter((f) => f.entity === entity);
    const transition = flows.flatMap((f) => f.transitions ?? []).find((x) => x.action === name);
    const fallback = transition ? pick(transition.label, lang, name) : a.startsWith('action:') ? `${t('record.audit.action')} ${name}` : a;
    return t(`record.audit.${a.replace(/[:.]/g, '_')}`, { defaultValue: fallback });
  };

  const restore = async () => {
    if (!restoring || !reason.trim()) return;
    setBusy(true);
    try {
      const b = await api<{ restored: string[] }>(`/api/v1/data/${entity}/${id}/restore`, { method: 'POST', body: { auditId: restoring.id, reason: reason.trim() } });
      void message.success(b.restored.length ? t('record.restoreOk', { fields: b.restored.map((f) => fieldLabel(meta, entity, f, lang)).join('、') }) : t('record.restoreNothing'));
      setRestoring(null);
      setReason('');
      reload();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  if (error) return <Typography.Text type="secondary">{error}</Typography.Text>;
  if (history == null) return <Skeleton active />;
  if (history.length === 0) return <Empty description={t('record.noHistory')} image={Empty.PRESENTED_IMAGE_SIMPLE} />;
  return (
    <>
      <Timeline
        items={history.map((h, i) => ({
          key: h.id ?? i,
          color: h.action === 'create' ? 'green' : h.action === 'delete' ? 'red' : 'blue',
          children: (
            <div className="ct-history-entry">
              <Typography.Text strong>{actionLabel(h.action)}</Typography.Text>{' '}
              <Typography.Text type="secondary">
                {formatDateTime(h.at)} · {h.byName ?? ''}
              </Typography.Text>
              {mayRestore && Array.isArray(h.changes) && h.changes.length > 0 && h.action !== 'delete' && i < history.length - 1 && (
                <Button size="small" type="link" icon={<RollbackOutlined />} onClick={() => setRestoring(h)} aria-label={t('record.restore')}>
                  {t('record.restore')}
                </Button>
              )}
              {h.reason && <div>{h.reason}</div>}
              {!Array.isArray(h.changes) && h.changes && typeof h.changes === 'object' && (
                <div style={{ fontSize: 13 }}>
                  <Typography.Text type="secondary">{detailText(meta, entity, h.changes, t, lang)}</Typography.Text>
                </div>
              )}
              {(Array.isArray(h.changes) ? h.changes : []).map((c) => {
                const fs = meta.entities[entity]?.properties[c.field];
                // Line items: how many lines before and after, and the new lines as a table with names.
                if (fs && isLines(fs)) {
                  const n = (v: unknown) => (Array.isArray(v) ? v.length : 0);
                  return (
                    <div key={c.field} style={{ fontSize: 13 }}>
                      {fieldLabel(meta, entity, c.field, lang)}: <Typography.Text type="secondary">{t('record.linesChange', { from: n(c.from), to: n(c.to) })}</Typography.Text>
                      {Array.isArray(c.to) && c.to.length > 0 && <LinesView schema={fs} value={c.to as Record<string, unknown>[]} entity={entity} />}
                    </div>
                  );
                }
                return (
                <div key={c.field} style={{ fontSize: 13 }}>
                  {fieldLabel(meta, entity, c.field, lang)}: <Typography.Text delete type="secondary">{changeText(c, 'from')}</Typography.Text>
                  {' → '}
                  <Typography.Text>{changeText(c, 'to')}</Typography.Text>
                </div>
                );
              })}
            </div>
          ),
        }))}
      />
      <Modal
        open={!!restoring}
        title={restoring ? t('record.restoreTitle', { at: formatDateTime(restoring.at) }) : ''}
        okText={t('record.restore')}
        cancelText={t('common.cancel')}
        okButtonProps={{ disabled: !reason.trim(), loading: busy }}
        onOk={() => void restore()}
        onCancel={() => setRestoring(null)}
        destroyOnHidden
      >
        <Input.TextArea aria-label={t('record.restoreReason')} placeholder={t('record.restoreReason')} rows={3} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
      </Modal>
    </>
  );
}
