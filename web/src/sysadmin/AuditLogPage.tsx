// The operation log: by user, object, action and time; readable changes; a record's entry opens it; export.
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, DatePicker, Select, Space, Table, Typography } from 'antd';
import { DownloadOutlined, SafetyCertificateOutlined, SearchOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, errorText, type Query } from '../api';
import { formatDateTime } from '../lib/format';
import { Link, navigate, useLocation } from '../router';
import { download } from './common';
import { dayRange } from './LoginLogPage';

interface Change {
  label: string;
  from: string | null;
  to: string | null;
}
interface AuditRow {
  id: number;
  at: string;
  byName: string | null;
  entity: string;
  entityLabel: string;
  recordId: number | null;
  recordTitle: string | null;
  openable: boolean;
  actionLabel: string;
  changes: Change[];
  reason: string | null;
}
interface Options {
  entities: { value: string; label: string }[];
  actions: { value: string; label: string }[];
  users: { value: number; label: string }[];
}
const PAGE = 100;

export function Changes({ changes }: { changes: Change[] }) {
  return (
    <div style={{ fontSize: 13 }}>
      {changes.map((c, i) => (
        <div key={i}>
          <Typography.Text type="secondary">{c.label}:</Typography.Text>{' '}
          {c.from !== null && (
            <>
              <Typography.Text delete type="secondary">{c.from}</Typography.Text>
              {' → '}
            </>
          )}
          <Typography.Text>{c.to ?? '—'}</Typography.Text>
        </div>
      ))}
    </div>
  );
}

export default function AuditLogPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { search } = useLocation();
  const [options, setOptions] = useState<Options>({ entities: [], actions: [], users: [] });
  const [actorId, setActorId] = useState<number | undefined>();
  const [entity, setEntity] = useState<string | undefined>(search.get('entity') ?? undefined);
  const [action, setAction] = useState<string | undefined>();
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [rows, setRows] = useState<AuditRow[] | null>(null);
  const [more, setMore] = useState(false);
  const [chain, setChain] = useState<{ ok: boolean; text: string } | null>(null);
  const filters = (): Query => ({ actorId, entity, action, ...dayRange(range) });
  const load = useCallback(
    (q: Query, before?: number) => {
      api<{ data: AuditRow[] }>('/api/v1/admin/audit', { query: { ...q, before, limit: PAGE } })
        .then((b) => {
          setRows((old) => (before ? [...(old ?? []), ...b.data] : b.data));
          setMore(b.data.length === PAGE);
        })
        .catch((e: unknown) => void message.error(errorText(e)));
    },
    [message],
  );
  useEffect(() => {
    load({ entity: search.get('entity') ?? undefined });
    api<{ data: Options }>('/api/v1/admin/audit/options').then((b) => setOptions(b.data)).catch(() => {});
    // Filters come from the URL only on the first visit.
  }, [load]);
  const verify = async () => {
    try {
      const r = await api<{ data: { ok: boolean; checked: number; problem?: { message: string } } }>('/api/v1/admin/audit/verify');
      setChain({ ok: r.data.ok, text: r.data.ok ? t('sys.audit.chainOk', { count: r.data.checked }) : t('sys.audit.chainBroken', { message: r.data.problem?.message ?? '' }) });
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const exportAs = (format: 'xlsx' | 'csv') => download('/api/v1/admin/audit/export', { ...filters(), format }).catch((e: unknown) => void message.error(errorText(e)));
  // A data record opens its record page; a user entry opens that user on the users screen.
  const recordLink = (r: AuditRow) => (r.openable ? `/record/${encodeURIComponent(r.entity)}/${r.recordId}` : r.entity === 'ct_user' && r.recordId && r.recordTitle ? `/system/users?id=${r.recordId}` : null);
  return (
    <div className="ct-page">
      <div className="ct-toolbar" style={{ flexWrap: 'wrap', gap: 8 }}>
        <Select aria-label={t('sys.audit.user')} placeholder={t('sys.audit.user')} style={{ width: 200 }} allowClear showSearch optionFilterProp="label" value={actorId} onChange={setActorId} options={options.users} />
        <Select aria-label={t('sys.audit.entity')} placeholder={t('sys.audit.entity')} style={{ width: 200 }} allowClear showSearch optionFilterProp="label" value={entity} onChange={setEntity} options={options.entities} />
        <Select aria-label={t('sys.audit.action')} placeholder={t('sys.audit.action')} style={{ width: 180 }} allowClear showSearch optionFilterProp="label" value={action} onChange={setAction} options={options.actions} />
        <DatePicker.RangePicker aria-label={t('sys.common.timeRange')} value={range} onChange={(v) => setRange(v as never)} allowEmpty={[true, true]} />
        <Button type="primary" icon={<SearchOutlined />} onClick={() => load(filters())}>{t('sys.common.search')}</Button>
        <span className="ct-spacer" />
        <Space wrap>
          <Button icon={<DownloadOutlined />} onClick={() => void exportAs('xlsx')}>{t('sys.common.exportXlsx')}</Button>
          <Button icon={<DownloadOutlined />} onClick={() => void exportAs('csv')}>{t('sys.common.exportCsv')}</Button>
          <Button icon={<SafetyCertificateOutlined />} onClick={() => void verify()}>{t('sys.audit.verify')}</Button>
        </Space>
      </div>
      {chain && <Alert type={chain.ok ? 'success' : 'error'} showIcon message={chain.text} closable onClose={() => setChain(null)} style={{ marginBottom: 12 }} />}
      <Card size="small">
        <Table<AuditRow>
          size="small"
          rowKey="id"
          loading={rows === null}
          dataSource={rows ?? []}
          pagination={false}
          onRow={(r) => {
            const to = recordLink(r);
            return { onClick: () => to && void navigate(to), style: to ? { cursor: 'pointer' } : undefined };
          }}
          columns={[
            { title: t('sys.audit.at'), dataIndex: 'at', render: formatDateTime, width: 150 },
            { title: t('sys.audit.user'), dataIndex: 'byName', width: 180 },
            { title: t('sys.audit.entity'), dataIndex: 'entityLabel', width: 140 },
            {
              title: t('sys.audit.record'),
              key: 'record',
              width: 200,
              render: (_: unknown, r) => {
                const to = recordLink(r);
                return to ? <Link to={to} onClick={(e) => e.stopPropagation()}>{r.recordTitle}</Link> : r.recordTitle;
              },
            },
            { title: t('sys.audit.action'), dataIndex: 'actionLabel', width: 130 },
            { title: t('sys.audit.changes'), dataIndex: 'changes', render: (c: Change[]) => <Changes changes={c} /> },
            { title: t('sys.audit.reason'), dataIndex: 'reason', width: 160 },
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
