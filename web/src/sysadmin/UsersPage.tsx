// Users: search, create (org unit, lab memberships, roles by label), edit, disable/enable, unlock, reset password.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText } from '../api';
import { useAuth } from '../auth';
import { useLocation } from '../router';
import { OrgPicker, RoleTags, orgName, showOnce, useOrgs, useRoles } from './common';

export interface AdminUser {
  id: number;
  username: string;
  displayName: string;
  email: string | null;
  isAdmin: boolean;
  disabled: boolean;
  locked: boolean;
  mustChangePassword: boolean;
  orgId: number | null;
  orgIds: number[];
  roles: string[];
  locale: 'zh-CN' | 'en';
}

interface UserForm {
  username?: string;
  displayName: string;
  email?: string;
  orgId?: number | null;
  orgIds?: number[];
  roles?: string[];
  locale?: 'zh-CN' | 'en';
  isAdmin?: boolean;
}

/** Puts the server's field errors (JSON pointers) on the form's fields. */
function fieldErrors(form: ReturnType<typeof Form.useForm<UserForm>>[0], e: unknown): boolean {
  if (!(e instanceof ApiError) || !e.details.length) return false;
  const known = new Set(['username', 'displayName', 'email', 'orgId', 'orgIds', 'roles', 'password']);
  const fields = e.details.map((d) => ({ name: d.path.split('/')[1], errors: [d.message] })).filter((f) => known.has(f.name));
  form.setFields(fields as never);
  return fields.length > 0;
}

function UserDialog({ user, open, onClose, onSaved }: { user: AdminUser | null; open: boolean; onClose: () => void; onSaved: (u: AdminUser, tempPassword?: string) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { user: me } = useAuth();
  const [form] = Form.useForm<UserForm>();
  const { orgs } = useOrgs();
  const roles = useRoles();
  const [busy, setBusy] = useState(false);
  const initial: UserForm = user
    ? { displayName: user.displayName, email: user.email ?? undefined, orgId: user.orgId, orgIds: user.orgIds, roles: user.roles, locale: user.locale, isAdmin: user.isAdmin }
    : { displayName: '', locale: 'zh-CN', roles: [], orgIds: [] };
  const save = async () => {
    const v = await form.validateFields();
    // The unit the user belongs to is always one of their memberships.
    const orgIds = [...new Set([...(v.orgIds ?? []), ...(v.orgId ? [v.orgId] : [])])];
    const body: Record<string, unknown> = { displayName: v.displayName, email: v.email || null, orgId: v.orgId ?? null, orgIds, roles: v.roles ?? [], locale: v.locale };
    if (me?.isAdmin) body.isAdmin = !!v.isAdmin;
    setBusy(true);
    try {
      if (user) {
        const r = await api<{ data: AdminUser }>(`/api/v1/admin/users/${user.id}`, { method: 'PATCH', body });
        void message.success(t('sys.common.saved'));
        onSaved(r.data);
      } else {
        const r = await api<{ data: AdminUser; temporaryPassword?: string }>('/api/v1/admin/users', { body: { ...body, username: v.username } });
        void message.success(t('sys.users.created'));
        onSaved(r.data, r.temporaryPassword);
      }
    } catch (e) {
      if (!fieldErrors(form, e)) void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const required = [{ required: true, message: t('sys.users.required') }];
  return (
    <Modal open={open} title={user ? `${t('sys.users.edit')} · ${user.displayName}` : t('sys.users.create')} onCancel={onClose} onOk={() => void save()} confirmLoading={busy} okText={t('common.save')} width={600} destroyOnHidden>
      <Form form={form} layout="vertical" name="user" preserve={false} initialValues={initial}>
        {!user && (
          <Form.Item name="username" label={t('sys.users.username')} rules={[...required, { pattern: /^[A-Za-z0-9_.@-]{2,64}$/, message: t('sys.users.usernameRule') }]}>
            <Input autoComplete="off" />
          </Form.Item>
        )}
        <Form.Item name="displayName" label={t('sys.users.displayName')} rules={required}>
          <Input />
        </Form.Item>
        <Form.Item name="email" label={t('sys.users.email')}>
          <Input type="email" />
        </Form.Item>
        <Form.Item name="orgId" label={t('sys.users.org')}>
          <OrgPicker orgs={orgs} aria-label={t('sys.users.org')} />
        </Form.Item>
        <Form.Item name="orgIds" label={t('sys.users.orgIds')} extra={t('sys.users.orgIdsHint')}>
          <OrgPicker orgs={orgs} multiple aria-label={t('sys.users.orgIds')} />
        </Form.Item>
        <Form.Item name="roles" label={t('sys.users.roles')}>
          <Select mode="multiple" aria-label={t('sys.users.roles')} options={roles.map((r) => ({ value: r.id, label: r.label }))} optionFilterProp="label" placeholder={t('form.selectPlaceholder')} />
        </Form.Item>
        <Form.Item name="locale" label={t('sys.users.locale')}>
          <Select aria-label={t('sys.users.locale')} options={[{ value: 'zh-CN', label: '简体中文' }, { value: 'en', label: 'English' }]} />
        </Form.Item>
        {!!me?.isAdmin && (
          <Form.Item name="isAdmin" label={t('sys.users.isAdmin')} valuePropName="checked">
            <Switch aria-label={t('sys.users.isAdmin')} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

export default function UsersPage() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const { user: me } = useAuth();
  const { byId } = useOrgs();
  const [q, setQ] = useState('');
  const [rows, setRows] = useState<AdminUser[] | null>(null);
  const [editing, setEditing] = useState<AdminUser | null>(null);
  const [open, setOpen] = useState(false);
  const load = useCallback((text: string) => {
    api<{ data: AdminUser[] }>('/api/v1/admin/users', { query: { q: text || undefined, limit: 500 } })
      .then((b) => setRows(b.data))
      .catch((e: unknown) => void message.error(errorText(e)));
  }, [message]);
  useEffect(() => load(''), [load]);
  // /system/users?id=… (from the operation log) opens that user.
  const { search } = useLocation();
  const wanted = search.get('id');
  useEffect(() => {
    if (!wanted || !/^\d+$/.test(wanted)) return;
    api<{ data: AdminUser }>(`/api/v1/admin/users/${wanted}`)
      .then((b) => {
        setEditing(b.data);
        setOpen(true);
      })
      .catch((e: unknown) => void message.error(errorText(e)));
  }, [wanted, message]);
  const command = async (u: AdminUser, name: 'disable' | 'enable' | 'unlock' | 'reset-password', done: string) => {
    try {
      const r = await api<{ data: AdminUser; temporaryPassword?: string }>(`/api/v1/admin/users/${u.id}/${name}`, { body: {} });
      if (r.temporaryPassword) showOnce(modal, t('sys.users.tempPasswordFor', { user: `${u.displayName} (${u.username})` }), r.temporaryPassword, t);
      else void message.success(done);
      setRows((list) => list?.map((x) => (x.id === u.id ? r.data : x)) ?? null);
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const status = (u: AdminUser) => {
    if (u.disabled) return <Tag color="red">{t('sys.users.statusDisabled')}</Tag>;
    if (u.locked) return <Tag color="orange">{t('sys.users.statusLocked')}</Tag>;
    if (u.mustChangePassword) return <Tag color="gold">{t('sys.users.statusMustChange')}</Tag>;
    return <Tag color="green">{t('sys.users.statusNormal')}</Tag>;
  };
  return (
    <div className="ct-page">
      <div className="ct-toolbar">
        <Input.Search aria-label={t('sys.users.searchHint')} placeholder={t('sys.users.searchHint')} allowClear style={{ maxWidth: 320 }} value={q} onChange={(e) => setQ(e.target.value)} onSearch={(v) => load(v)} />
        <span className="ct-spacer" />
        <Button type="primary" icon={<PlusOutlined />} onClick={() => { setEditing(null); setOpen(true); }}>
          {t('sys.users.create')}
        </Button>
      </div>
      <Card size="small">
        <Table<AdminUser>
          size="small"
          rowKey="id"
          loading={rows === null}
          dataSource={rows ?? []}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          columns={[
            { title: t('sys.users.username'), dataIndex: 'username' },
            { title: t('sys.users.displayName'), dataIndex: 'displayName' },
            { title: t('sys.users.org'), dataIndex: 'orgId', render: (id: number | null) => (id ? orgName(byId.get(id)) : t('sys.users.noOrg')) },
            { title: t('sys.users.orgIds'), dataIndex: 'orgIds', render: (ids: number[]) => ids.map((id) => orgName(byId.get(id))).filter(Boolean).join('、') },
            { title: t('sys.users.roles'), dataIndex: 'roles', render: (r: string[], u) => <>{u.isAdmin && <Tag color="purple">{t('sys.users.isAdmin')}</Tag>}<RoleTags roles={r} /></> },
            { title: t('sys.common.status'), key: 'status', render: (_: unknown, u) => status(u) },
            {
              title: t('sys.common.actions'),
              key: 'actions',
              render: (_: unknown, u) => (
                <Space size={4} wrap>
                  <Button size="small" onClick={() => { setEditing(u); setOpen(true); }} aria-label={`${t('common.edit')} ${u.username}`}>{t('common.edit')}</Button>
                  {u.disabled ? (
                    <Button size="small" onClick={() => void command(u, 'enable', t('sys.users.enabled'))} aria-label={`${t('sys.users.enable')} ${u.username}`}>{t('sys.users.enable')}</Button>
                  ) : (
                    <Popconfirm title={t('sys.users.confirmDisable')} onConfirm={() => void command(u, 'disable', t('sys.users.disabled'))} okButtonProps={{ danger: true }} disabled={u.id === me?.id}>
                      <Button size="small" danger disabled={u.id === me?.id} aria-label={`${t('sys.users.disable')} ${u.username}`}>{t('sys.users.disable')}</Button>
                    </Popconfirm>
                  )}
                  {u.locked && <Button size="small" onClick={() => void command(u, 'unlock', t('sys.users.unlocked'))} aria-label={`${t('sys.users.unlock')} ${u.username}`}>{t('sys.users.unlock')}</Button>}
                  <Popconfirm title={t('sys.users.confirmReset')} onConfirm={() => void command(u, 'reset-password', '')}>
                    <Button size="small" aria-label={`${t('sys.users.resetPassword')} ${u.username}`}>{t('sys.users.resetPassword')}</Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <UserDialog
        open={open}
        user={editing}
        onClose={() => setOpen(false)}
        onSaved={(u, pw) => {
          setOpen(false);
          setRows((list) => (list?.some((x) => x.id === u.id) ? list.map((x) => (x.id === u.id ? u : x)) : [u, ...(list ?? [])]));
          if (pw) showOnce(modal, t('sys.users.tempPasswordFor', { user: `${u.displayName} (${u.username})` }), pw, t);
        }}
      />
    </div>
  );
}
