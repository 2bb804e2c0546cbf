import { useEffect, useState } from 'react';
import { Alert, Button, Select, Space, Table, Tag, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import { errText, STATUSES, words, type Api, type Lang } from './shared';

const COLORS: Record<string, string> = { inUse: 'green', underRepair: 'orange', outOfService: 'red', scrapped: 'default' };

/** The equipment ledger (设备台账, R-3.6.3): per category the number of assets, their value and status; the register below; XLSX export. */
export default function Ledger({ api, lang = 'zh-CN' }: { api: Api; lang?: Lang }) {
  const w = words(lang);
  const [status, setStatus] = useState<string | undefined>();
  const [rows, setRows] = useState<any[]>([]);
  const [totals, setTotals] = useState<any>(null);
  const [assets, setAssets] = useState<any[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [meta, setMeta] = useState<any>(null);

  useEffect(() => {
    api('/api/v1/meta').then((b) => setMeta(b.data ?? b)).catch(() => undefined);
  }, [api]);
  useEffect(() => {
    setLoading(true);
    api('/api/v1/equipment/ledger', { query: { status } })
      .then((b) => {
        setRows(b.data);
        setTotals(b.totals);
        setAssets(b.assets);
        setError(null);
      })
      .catch((e) => setError(errText(e)))
      .finally(() => setLoading(false));
  }, [api, status]);
  const stateLabel = (v: string) => meta?.entities?.equipment?.properties?.serviceState?.['x-enum-labels']?.[v]?.[lang] ?? (v ? w.none : '');
  const exportHref = `/api/v1/equipment/ledger?${new URLSearchParams({ format: 'xlsx', ...(status ? { status } : {}) })}`;
  const statusCols = STATUSES.map((s) => ({ title: w[s], key: s, align: 'right' as const, render: (_v: unknown, r: any) => r.byStatus[s] }));

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Title level={4} style={{ margin: 0 }}>{w.ledgerTitle}</Typography.Title>
      {error && <Alert type="error" showIcon message={error} />}
      <Space wrap>
        <Select id="ct-equipment-status" allowClear aria-label={w.status} placeholder={w.allStatuses} style={{ minWidth: 160 }} value={status} onChange={setStatus}
          options={STATUSES.map((s) => ({ value: s, label: w[s] }))} />
        <Button icon={<DownloadOutlined />} href={exportHref}>{w.export}</Button>
      </Space>
      <Table
        size="middle" loading={loading} dataSource={rows} rowKey={(r) => String(r.category?.id ?? 0)} pagination={false}
        columns={[
          { title: w.category, key: 'c', render: (_v, r: any) => r.category?.path ?? w.uncategorised },
          { title: w.count, key: 'n', align: 'right', render: (_v, r: any) => r.count },
          { title: w.value, key: 'v', align: 'right', render: (_v, r: any) => r.value.toFixed(2) },
          ...statusCols,
        ]}
        summary={() => totals && (
          <Table.Summary.Row>
            <Table.Summary.Cell index={0}><Typography.Text strong>{w.totals}</Typography.Text></Table.Summary.Cell>
            <Table.Summary.Cell index={1} align="right"><Typography.Text strong>{totals.count}</Typography.Text></Table.Summary.Cell>
            <Table.Summary.Cell index={2} align="right"><Typography.Text strong>{Number(totals.value).toFixed(2)}</Typography.Text></Table.Summary.Cell>
            {STATUSES.map((s, i) => <Table.Summary.Cell key={s} index={3 + i} align="right">{totals.byStatus[s]}</Table.Summary.Cell>)}
          </Table.Summary.Row>
        )}
      />
      <Table
        size="small" title={() => w.assets} dataSource={assets} rowKey="id" pagination={{ pageSize: 20 }}
        columns={[
          { title: w.code, key: 'code', render: (_v, r: any) => <a href={`/record/equipment/${r.id}`}>{r.code}</a> },
          { title: w.name, key: 'name', render: (_v, r: any) => r.name },
          { title: w.category, key: 'cat', render: (_v, r: any) => r.categoryPath ?? '' },
          { title: w.model, key: 'model', render: (_v, r: any) => r.model ?? '' },
          { title: w.location, key: 'loc', render: (_v, r: any) => r.locationName ?? '' },
          { title: w.responsible, key: 'resp', render: (_v, r: any) => <span translate="no">{r.responsibleName ?? ''}</span> },
          { title: w.price, key: 'price', align: 'right', render: (_v, r: any) => (r.purchasePrice == null ? '' : Number(r.purchasePrice).toFixed(2)) },
          { title: w.status, key: 'status', render: (_v, r: any) => (r.status ? <Tag color={COLORS[r.status]}>{w[r.status as (typeof STATUSES)[number]]}</Tag> : '') },
          { title: w.serviceState, key: 'state', render: (_v, r: any) => stateLabel(r.serviceState) },
          { title: w.nextDue, key: 'due', render: (_v, r: any) => r.nextDueDate ?? '' },
        ]}
      />
    </Space>
  );
}
