// API tokens: issued for a user acting with one of their roles, shown once, revocable.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { App, Button, Card, Form, Input, InputNumber, Modal, Popconfirm, Select, Table, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { formatDateTime } from '../lib/format';
import { showOnce, useRoles } from './common';
import type { AdminUser } from './UsersPage';

interface TokenRow {
  id: number;
  name: string;
  role: string;
  userId: number;
  username: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastSeenAt: string | null;
}

export default function TokensPage() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const roles = useRoles();
  const roleLabel = (r: string) => roles.find((x) => x.id === r)?.label ?? r;
  const [rows, setRows] = useState<TokenRow[] | null>(null);
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<{ userId: number; role: string; name: string; expiresInDays: number }>();
  const userId = Form.useWatch('userId', form);
  const load = useCallback(() => {
    api<{ data: TokenRow[] }>('/api/v1/admin/tokens').then((b) => setRows(b.data)).catch((e: unknown) => void message.error(errorText(e)));
  }, [message]);
  useEffect(() => {
    load();
    api<{ data: AdminUser[] }>('/api/v1/admin/users', { query: { limit: 500 } }).then((b) => setUsers(b.data)).catch(() => setUsers([]));
  }, [load]);
  const userLabel = (id: number, fallback: string) => {
    const u = users.find((x) => x.id === id);
    return u ? `${u.displayName} (${u.username})` : fallback;
  };
  const chosen = users.find((u) => u.id === userId);
  const roleOptions = useMemo(() => (chosen ? (chosen.isAdmin ? roles : roles.filter((r) => chosen.roles.includes(r.id))) : []).map((r) => ({ value: r.id, label: r.label })), [chosen, roles]);
  const issue = async () => {
    const v = await form.validateFields();
    try {
      const r = await api<{ token: string; data: { name: string } }>('/api/v1/admin/tokens', { body: v });
      setOpen(false);
      showOnce(modal, `${t('sys.tokens.tokenShown')} · ${r.data.name}`, r.token, t);
      load();
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const revoke = async (row: TokenRow) => {
    try {
      await api(`/api/v1/admin/tokens/${row.id}`, { method: 'DELETE', body: {} });
      void message.success(t('sys.tokens.revoked'));
      load();
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const status = (r: TokenRow) =>
    r.revokedAt ? <Tag>{t('sys.tokens.revoked')}</Tag> : new Date(r.expiresAt) < new Date() ? <Tag color="orange">{t('sys.tokens.expired')}</Tag> : <Tag color="green">{t('sys.tokens.active')}</Tag>;
  return (
    <div className="ct-page">
      <div className="ct-toolbar">
        <span className="ct-spacer" />
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>{t('sys.tokens.issue')}</Button>
      </div>
      <Card size="small">
        <Table<TokenRow>
          size="small"
          rowKey="id"
          loading={rows === null}
          dataSource={rows ?? []}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          columns={[
            { title: t('sys.tokens.name'), dataIndex: 'name' },
            { title: t('sys.tokens.user'), dataIndex: 'userId', render: (id: number, r) => userLabel(id, r.username) },
            { title: t('sys.tokens.role'), dataIndex: 'role', render: (r: string) => <Tag>{roleLabel(r)}</Tag> },
            { title: t('sys.tokens.created'), dataIndex: 'createdAt', render: formatDateTime },
            { title: t('sys.tokens.expires'), dataIndex: 'expiresAt', render: formatDateTime },
            { title: t('sys.tokens.lastUsed'), dataIndex: 'lastSeenAt', render: (v: string | null) => (v ? formatDateTime(v) : t('sys.tokens.never')) },
            { title: t('sys.common.status'), key: 'status', render: (_: unknown, r) => status(r) },
            {
              title: t('sys.common.actions'),
              key: 'a',
              render: (_: unknown, r) =>
                !r.revokedAt && (
                  <Popconfirm title={t('sys.tokens.confirmRevoke')} onConfirm={() => void revoke(r)} okButtonProps={{ danger: true }}>
                    <Button size="small" danger aria-label={`${t('sys.tokens.revoke')} ${r.name}`}>{t('sys.tokens.revoke')}</Button>
                  </Popconfirm>
                ),
            },
          ]}
        />
      </Card>
      <Modal open={open} title={t('sys.tokens.issue')} onCancel={() => setOpen(false)} onOk={() => void issue()} okText={t('sys.tokens.issue')} destroyOnHidden>
        <Form form={form} layout="vertical" name="token" preserve={false} initialValues={{ expiresInDays: 365 }}>
          <Form.Item name="userId" label={t('sys.tokens.user')} rules={[{ required: true, message: t('sys.users.required') }]}>
            <Select
              aria-label={t('sys.tokens.user')}
              showSearch
              optionFilterProp="label"
              options={users.filter((u) => !u.disabled).map((u) => ({ value: u.id, label: `${u.displayName} (${u.username})` }))}
              onChange={() => form.setFieldValue('role', undefined)}
            />
          </Form.Item>
          <Form.Item name="role" label={t('sys.tokens.role')} extra={t('sys.tokens.roleHint')} rules={[{ required: true, message: t('sys.users.required') }]}>
            <Select aria-label={t('sys.tokens.role')} options={roleOptions} disabled={!chosen} />
          </Form.Item>
          <Form.Item name="name" label={t('sys.tokens.name')} rules={[{ required: true, message: t('sys.users.required') }]}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="expiresInDays" label={t('sys.tokens.expiresIn')}>
            <InputNumber min={1} max={3650} style={{ width: 160 }} />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
