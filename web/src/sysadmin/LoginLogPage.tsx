// The login log: by user, result and time range; newest first, more on demand; export.
import { useCallback, useEffect, useState } from 'react';
import { App, AutoComplete, Button, Card, DatePicker, Select, Space, Table, Tag } from 'antd';
import { DownloadOutlined, SearchOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, errorText, type Query } from '../api';
import { formatDateTime } from '../lib/format';
import { download } from './common';

interface LoginRow {
  id: number;
  at: string;
  username: string;
  displayName: string | null;
  success: boolean;
  reasonLabel: string | null;
  ip: string | null;
  userAgent: string | null;
}
const PAGE = 100;

export const dayRange = (r: [Dayjs | null, Dayjs | null] | null): Query => ({ from: r?.[0]?.format('YYYY-MM-DD'), to: r?.[1]?.format('YYYY-MM-DD') });

export default function LoginLogPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [username, setUsername] = useState('');
  const [result, setResult] = useState<'' | 'true' | 'false'>('');
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [users, setUsers] = useState<{ value: string; label: string }[]>([]);
  const [rows, setRows] = useState<LoginRow[] | null>(null);
  const [more, setMore] = useState(false);
  const filters = (): Query => ({ username: username.trim() || undefined, success: result || undefined, ...dayRange(range) });
  const load = useCallback(
    (q: Query, before?: number) => {
      api<{ data: LoginRow[] }>('/api/v1/admin/login-log', { query: { ...q, before, limit: PAGE } })
        .then((b) => {
          setRows((old) => (before ? [...(old ?? []), ...b.data] : b.data));
          setMore(b.data.length === PAGE);
        })
        .catch((e: unknown) => void message.error(errorText(e)));
    },
    [message],
  );
  useEffect(() => {
    load({});
    // Usernames to choose from (when the caller may list users; typing one works anyway).
    api<{ data: { username: string; displayName: string }[] }>('/api/v1/admin/users', { query: { limit: 500 } })
      .then((b) => setUsers(b.data.map((u) => ({ value: u.username, label: `${u.displayName} (${u.username})` }))))
      .catch(() => setUsers([]));
  }, [load]);
  const exportAs = (format: 'xlsx' | 'csv') => download('/api/v1/admin/login-log/export', { ...filters(), format }).catch((e: unknown) => void message.error(errorText(e)));
  return (
    <div className="ct-page">
      <div className="ct-toolbar" style={{ flexWrap: 'wrap', gap: 8 }}>
        <AutoComplete
          aria-label={t('sys.loginLog.user')}
          placeholder={t('sys.loginLog.user')}
          style={{ width: 220 }}
          value={username}
          options={users}
          onChange={setUsername}
          filterOption={(input, o) => String(o?.label ?? '').toLowerCase().includes(input.toLowerCase())}
          allowClear
        />
        <Select
          aria-label={t('sys.loginLog.result')}
          style={{ width: 140 }}
          value={result}
          onChange={setResult}
          options={[{ value: '', label: `${t('sys.loginLog.result')}: ${t('sys.common.all')}` }, { value: 'true', label: t('sys.loginLog.success') }, { value: 'false', label: t('sys.loginLog.failure') }]}
        />
        <DatePicker.RangePicker aria-label={t('sys.common.timeRange')} value={range} onChange={(v) => setRange(v as never)} allowEmpty={[true, true]} />
        <Button type="primary" icon={<SearchOutlined />} onClick={() => load(filters())}>{t('sys.common.search')}</Button>
        <span className="ct-spacer" />
        <Space>
          <Button icon={<DownloadOutlined />} onClick={() => void exportAs('xlsx')}>{t('sys.common.exportXlsx')}</Button>
          <Button icon={<DownloadOutlined />} onClick={() => void exportAs('csv')}>{t('sys.common.exportCsv')}</Button>
        </Space>
      </div>
      <Card size="small">
        <Table<LoginRow>
          size="small"
          rowKey="id"
          loading={rows === null}
          dataSource={rows ?? []}
          pagination={false}
          columns={[
            { title: t('sys.loginLog.at'), dataIndex: 'at', render: formatDateTime, width: 150 },
            { title: t('sys.loginLog.username'), dataIndex: 'username' },
            { title: t('sys.loginLog.displayName'), dataIndex: 'displayName' },
            { title: t('sys.loginLog.result'), dataIndex: 'success', render: (ok: boolean) => (ok ? <Tag color="green">{t('sys.loginLog.success')}</Tag> : <Tag color="red">{t('sys.loginLog.failure')}</Tag>) },
            { title: t('sys.loginLog.reason'), dataIndex: 'reasonLabel' },
            { title: t('sys.loginLog.ip'), dataIndex: 'ip' },
            { title: t('sys.loginLog.client'), dataIndex: 'userAgent', ellipsis: true },
          ]}
        />
        {more && rows && (
          <div style={{ textAlign: 'center', marginTop: 12 }}>
            <Button onClick={() => load(filters(), rows[rows.length - 1].id)}>{t('sys.common.loadMore')}</Button>
          </div>
        )}
      </Card>
    </div>
  );
}
