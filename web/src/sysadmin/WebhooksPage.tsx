// Webhooks: subscribe a URL to record events of an entity; the signing secret is shown once; each
// subscription's delivery log with status, attempts and the receiver's answer, and redelivery.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Checkbox, Drawer, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { ApiOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { currentLang, pick } from '../i18n';
import { useMeta } from '../meta';
import { formatDateTime } from '../lib/format';
import { showOnce } from './common';

interface Hook {
  id: number;
  url: string;
  entity: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  createdAt: string;
}
interface Delivery {
  id: number;
  event: string;
  recordId: number | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  durationMs: number | null;
  createdAt: string;
}
const EVENTS = ['created', 'updated', 'deleted', 'action'];
const STATUS_COLOR = { pending: 'processing', delivered: 'success', failed: 'error' } as const;

export default function WebhooksPage() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const meta = useMeta();
  const lang = currentLang();
  const [rows, setRows] = useState<Hook[] | null>(null);
  const [open, setOpen] = useState(false);
  const [log, setLog] = useState<{ hook: Hook; rows: Delivery[] } | null>(null);
  const [form] = Form.useForm();
  const entityLabel = (e: string) => pick(meta.entities[e]?.['x-label'], lang, e);
  const load = useCallback(() => {
    api<{ data: Hook[] }>('/api/v1/admin/webhooks').then((b) => setRows(b.data)).catch((e: unknown) => void message.error(errorText(e)));
  }, [message]);
  useEffect(load, [load]);
  const openLog = async (hook: Hook) => {
    try {
      const b = await api<{ data: Delivery[] }>(`/api/v1/admin/webhooks/${hook.id}/deliveries`);
      setLog({ hook, rows: b.data });
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const create = async () => {
    const v = await form.validateFields();
    try {
      const b = await api<{ data: Hook & { secret: string } }>('/api/v1/admin/webhooks', { body: v });
      setOpen(false);
      form.resetFields();
      load();
      showOnce(modal, t('sys.webhooks.secret'), b.data.secret, t);
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const patch = async (h: Hook, body: Partial<Hook>) => {
    try {
      await api(`/api/v1/admin/webhooks/${h.id}`, { method: 'PATCH', body });
      load();
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const remove = async (h: Hook) => {
    try {
      await api(`/api/v1/admin/webhooks/${h.id}`, { method: 'DELETE' });
      load();
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const redeliver = async (d: Delivery) => {
    if (!log) return;
    try {
      await api(`/api/v1/admin/webhooks/${log.hook.id}/deliveries/${d.id}/redeliver`, { body: {} });
      void message.success(t('sys.webhooks.queued'));
      void openLog(log.hook);
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  return (
    <div className="ct-page">
      <div className="ct-toolbar">
        <Typography.Text type="secondary">{t('sys.webhooks.hint')}</Typography.Text>
        <span className="ct-spacer" />
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>{t('sys.webhooks.create')}</Button>
      </div>
      <Card size="small">
        <Table<Hook>
          size="small"
          rowKey="id"
          loading={rows === null}
          dataSource={rows ?? []}
          pagination={false}
          locale={{ emptyText: t('sys.webhooks.empty') }}
          columns={[
            { title: t('sys.webhooks.url'), dataIndex: 'url', render: (u: string, h) => <Space direction="vertical" size={0}><Typography.Text>{u}</Typography.Text>{h.description ? <Typography.Text type="secondary">{h.description}</Typography.Text> : null}</Space> },
            { title: t('sys.webhooks.entity'), dataIndex: 'entity', render: entityLabel, width: 160 },
            { title: t('sys.webhooks.events'), dataIndex: 'events', render: (ev: string[]) => ev.map((e) => <Tag key={e}>{t(`sys.webhooks.event.${e}`)}</Tag>), width: 220 },
            { title: t('sys.webhooks.enabled'), dataIndex: 'enabled', width: 90, render: (v: boolean, h) => <Switch size="small" checked={v} aria-label={t('sys.webhooks.enabled')} onChange={(x) => void patch(h, { enabled: x })} /> },
            {
              title: t('sys.common.actions'),
              key: 'a',
              width: 200,
              render: (_: unknown, h) => (
                <Space>
                  <Button size="small" icon={<ApiOutlined />} onClick={() => void openLog(h)}>{t('sys.webhooks.log')}</Button>
                  <Popconfirm title={t('sys.webhooks.confirmDelete')} onConfirm={() => void remove(h)}>
                    <Button size="small" danger>{t('sys.webhooks.delete')}</Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <Modal open={open} title={t('sys.webhooks.create')} onCancel={() => setOpen(false)} onOk={() => void create()} okText={t('sys.webhooks.save')} destroyOnHidden>
        <Form form={form} layout="vertical" initialValues={{ events: ['created', 'updated'] }}>
          <Form.Item name="url" label={t('sys.webhooks.url')} rules={[{ required: true, message: t('sys.users.required') }, { type: 'url', message: t('sys.webhooks.badUrl') }]}>
            <Input placeholder="https://erp.example.com/hooks/celltrace" />
          </Form.Item>
          <Form.Item name="entity" label={t('sys.webhooks.entity')} rules={[{ required: true, message: t('sys.users.required') }]}>
            <Select showSearch optionFilterProp="label" options={Object.keys(meta.entities).map((e) => ({ value: e, label: entityLabel(e) })).sort((a, b) => a.label.localeCompare(b.label, lang))} />
          </Form.Item>
          <Form.Item name="events" label={t('sys.webhooks.events')} rules={[{ required: true, message: t('sys.users.required') }]}>
            <Checkbox.Group options={EVENTS.map((e) => ({ value: e, label: t(`sys.webhooks.event.${e}`) }))} />
          </Form.Item>
          <Form.Item name="description" label={t('sys.webhooks.description')}>
            <Input maxLength={200} />
          </Form.Item>
        </Form>
      </Modal>
      <Drawer open={!!log} width={860} title={log ? `${t('sys.webhooks.log')} · ${log.hook.url}` : ''} onClose={() => setLog(null)} extra={log ? <Button icon={<ReloadOutlined />} onClick={() => void openLog(log.hook)}>{t('sys.webhooks.refresh')}</Button> : null}>
        <Table<Delivery>
          size="small"
          rowKey="id"
          dataSource={log?.rows ?? []}
          pagination={false}
          locale={{ emptyText: t('sys.webhooks.noDeliveries') }}
          columns={[
            { title: t('sys.webhooks.at'), dataIndex: 'createdAt', render: formatDateTime, width: 160 },
            { title: t('sys.webhooks.events'), dataIndex: 'event', render: (e: string) => t(`sys.webhooks.event.${e}`), width: 90 },
            { title: t('sys.webhooks.status'), dataIndex: 'status', width: 100, render: (s: Delivery['status']) => <Tag color={STATUS_COLOR[s]}>{t(`sys.webhooks.statuses.${s}`)}</Tag> },
            { title: t('sys.webhooks.attempts'), dataIndex: 'attempts', width: 70 },
            { title: t('sys.webhooks.response'), key: 'r', render: (_: unknown, d) => (d.lastError ? <Typography.Text type="danger">{d.lastError}</Typography.Text> : d.responseStatus ? `HTTP ${d.responseStatus} · ${d.durationMs ?? 0} ms` : '—') },
            { title: t('sys.common.actions'), key: 'a', width: 110, render: (_: unknown, d) => <Button size="small" onClick={() => void redeliver(d)}>{t('sys.webhooks.redeliver')}</Button> },
          ]}
        />
      </Drawer>
    </div>
  );
}
