import { useCallback, useEffect, useState } from 'react';
import { Badge, Button, Card, Empty, Result, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText } from '../api';
import { formatDateTime } from '../lib/format';
import { Link } from '../router';
import { useCrumbs } from '../shell/crumbs';
import ActDialog, { type Task, type TaskAction } from '../flow/ActDialog';
import { refreshInboxCount } from '../flow/inboxCount';

type Box = 'pending' | 'done' | 'initiated';

interface Instance {
  id: number;
  flow: { label: string };
  entity: string;
  entityLabel: string;
  recordId: number;
  title: string;
  stateLabel: string;
  status: string;
  startedAt: string;
}

/** The to-do inbox: my pending tasks (with their actions), what I handled, what I started. */
export default function InboxPage() {
  const { t } = useTranslation();
  useCrumbs([{ title: t('flow.inbox') }]);
  const [box, setBox] = useState<Box>('pending');
  const [rows, setRows] = useState<(Task | Instance)[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [acting, setActing] = useState<{ task: Task; action: TaskAction } | null>(null);

  const load = useCallback(() => {
    setRows(null);
    setError(null);
    const url = box === 'initiated' ? '/api/v1/inbox/initiated' : '/api/v1/inbox/tasks';
    api<{ data: (Task | Instance)[] }>(url, { query: box === 'initiated' ? { limit: 100 } : { box, limit: 100 } })
      .then((b) => setRows(b.data))
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) setMissing(true);
        else setError(errorText(e));
      });
    api<{ data: Record<string, number> }>('/api/v1/inbox/counts')
      .then((b) => setCounts(b.data))
      .catch(() => undefined);
  }, [box]);
  useEffect(load, [load]);

  if (missing) return <Empty style={{ marginTop: 80 }} description={t('shell.inboxSoon')} />;
  const recordLink = (r: { entity: string; recordId: number; title: string }) => <Link to={`/record/${r.entity}/${r.recordId}`}>{r.title || `#${r.recordId}`}</Link>;
  const taskColumns = [
    { title: t('flow.record'), render: (_: unknown, r: Task) => recordLink(r) },
    { title: t('flow.entity'), dataIndex: 'entityLabel' },
    { title: t('flow.flow'), render: (_: unknown, r: Task) => (r.flow ? `${r.flow.label} · ${r.stateLabel ?? ''}` : t('flow.assignment')) },
    { title: t('flow.from'), render: (_: unknown, r: Task) => r.initiator?.name ?? '' },
    { title: t('flow.received'), dataIndex: 'createdAt', render: (v: string) => formatDateTime(v) },
    { title: t('flow.due'), render: (_: unknown, r: Task) => (r.dueAt ? <Tag color={r.overdue ? 'red' : undefined}>{formatDateTime(r.dueAt)}</Tag> : '') },
    box === 'pending'
      ? {
          title: t('common.actions'),
          render: (_: unknown, r: Task) => (
            <Space wrap>
              {r.actions.map((a) => (
                <Button key={a.action} type={a.type === 'reject' ? 'default' : 'primary'} danger={a.type === 'reject'} onClick={() => setActing({ task: r, action: a })}>
                  {a.label}
                </Button>
              ))}
            </Space>
          ),
        }
      : { title: t('flow.result'), render: (_: unknown, r: Task) => <span>{r.action} <Typography.Text type="secondary">{r.comment}</Typography.Text></span> },
  ];
  const instanceColumns = [
    { title: t('flow.record'), render: (_: unknown, r: Instance) => recordLink(r) },
    { title: t('flow.entity'), dataIndex: 'entityLabel' },
    { title: t('flow.flow'), render: (_: unknown, r: Instance) => `${r.flow.label} · ${r.stateLabel}` },
    { title: t('flow.status'), dataIndex: 'status', render: (v: string) => <Tag>{t(`flow.st.${v}`, { defaultValue: v })}</Tag> },
    { title: t('flow.started'), dataIndex: 'startedAt', render: (v: string) => formatDateTime(v) },
  ];
  return (
    <div className="ct-page">
      <Typography.Title level={4} style={{ marginTop: 0 }}>{t('flow.inbox')}</Typography.Title>
      <Card size="small">
        <Tabs
          activeKey={box}
          onChange={(k) => setBox(k as Box)}
          items={[
            { key: 'pending', label: <Badge count={counts.pending ?? 0} size="small" offset={[8, 0]}>{t('flow.pending')}</Badge> },
            { key: 'done', label: t('flow.handled') },
            { key: 'initiated', label: t('flow.initiated') },
          ]}
        />
        {error ? (
          <Result status="error" title={t('error.loadFailed')} subTitle={error} extra={<Button onClick={load}>{t('common.retry')}</Button>} />
        ) : (
          <Table
            size="small"
            rowKey="id"
            loading={rows == null}
            dataSource={rows ?? []}
            columns={(box === 'initiated' ? instanceColumns : taskColumns) as never}
            locale={{ emptyText: <Empty description={t('flow.nothing')} image={Empty.PRESENTED_IMAGE_SIMPLE} /> }}
            pagination={false}
            scroll={{ x: 800 }}
          />
        )}
      </Card>
      {acting && (
        <ActDialog
          task={acting.task}
          action={acting.action}
          onClose={(done) => {
            setActing(null);
            if (done) {
              load();
              refreshInboxCount();
            }
          }}
        />
      )}
    </div>
  );
}
