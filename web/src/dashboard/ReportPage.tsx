// A report: a grouped table for a period (rows, pivot columns, totals), exported to XLSX by the server with labels.
import { useEffect, useState } from 'react';
import { Alert, Button, Card, DatePicker, List, Select, Space, Table, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { Dayjs } from 'dayjs';
import { api, apiUrl, errorText } from '../api';
import { currentLang, pick } from '../i18n';
import { useMeta } from '../meta';
import { Link } from '../router';
import { useCrumbs } from '../shell/crumbs';
import './messages';

interface Table {
  label: unknown;
  period: { from: string | null; to: string | null; field: string | null };
  rowHeaders: { key: string; label: string }[];
  columns: { key: string; label: string; measure: string }[];
  rows: { groups: { value: unknown; label: string }[]; cells: Record<string, number | null> }[];
  totals: Record<string, number | null> | null;
}
const PERIODS = ['thisMonth', 'lastMonth', 'thisQuarter', 'thisYear', 'last30Days', 'last12Months', 'all'];

export function ReportIndex() {
  const { t } = useTranslation();
  const lang = currentLang();
  const [rows, setRows] = useState<{ id: string; label: unknown; description: unknown }[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useCrumbs([{ title: t('dash.reports') }]);
  useEffect(() => {
    api<{ data: { id: string; label: unknown; description: unknown }[] }>('/api/v1/reports').then((b) => setRows(b.data)).catch((e: unknown) => setError(errorText(e)));
  }, []);
  return (
    <div className="ct-page">
      <Typography.Title level={4}>{t('dash.reports')}</Typography.Title>
      {error && <Alert type="error" showIcon message={error} />}
      <Card size="small">
        <List
          loading={!rows && !error}
          dataSource={rows ?? []}
          renderItem={(r) => (
            <List.Item>
              <List.Item.Meta title={<Link to={`/report/${encodeURIComponent(r.id)}`}>{pick(r.label, lang, r.id)}</Link>} description={pick(r.description, lang, '')} />
            </List.Item>
          )}
        />
      </Card>
    </div>
  );
}

export default function ReportPage({ id }: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const def = meta.kinds.report?.[id] as { label?: unknown; period?: { default?: string } } | undefined;
  const [period, setPeriod] = useState<string>(def?.period?.default ?? 'thisMonth');
  const [range, setRange] = useState<[Dayjs, Dayjs] | null>(null);
  const [table, setTable] = useState<Table | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const title = pick(def?.label, lang, id);
  useCrumbs([{ title: t('dash.reports'), href: '/reports' }, { title }]);
  const query = () => (range ? { from: range[0].format('YYYY-MM-DD'), to: range[1].format('YYYY-MM-DD') } : { period });
  const run = () => {
    setLoading(true);
    api<{ data: Table }>(`/api/v1/reports/${encodeURIComponent(id)}`, { query: query() })
      .then((b) => {
        setTable(b.data);
        setError(null);
      })
      .catch((e: unknown) => setError(errorText(e)))
      .finally(() => setLoading(false));
  };
  useEffect(run, [id, period, range, lang]); // eslint-disable-line
  const num = (v: number | null | undefined) => (v == null ? '' : v.toLocaleString());
  const columns = [
    ...(table?.rowHeaders ?? []).map((h, i) => ({ key: `g${i}`, title: h.label, render: (_: unknown, r: Table['rows'][number]) => r.groups[i]?.label })),
    ...(table?.columns ?? []).map((c) => ({ key: c.key, title: c.label, align: 'right' as const, render: (_: unknown, r: Table['rows'][number]) => num(r.cells[c.key]) })),
  ];
  return (
    <div className="ct-page ct-report" data-report={id}>
      <div className="ct-toolbar">
        <Typography.Title level={4} style={{ margin: 0 }}>{title}</Typography.Title>
        <span className="ct-spacer" />
        {def?.period && (
          <Space>
            <Select aria-label={t('dash.period')} style={{ width: 140 }} value={range ? undefined : period} placeholder={t('dash.period')} onChange={(v: string) => { setRange(null); setPeriod(v); }}
              options={PERIODS.map((p) => ({ value: p, label: t(`dash.periods.${p}`) }))} />
            <DatePicker.RangePicker aria-label={t('dash.period')} value={range} onChange={(v) => setRange(v && v[0] && v[1] ? [v[0], v[1]] : null)} />
          </Space>
        )}
        <Button icon={<DownloadOutlined />} onClick={() => (window.location.href = apiUrl(`/api/v1/reports/${encodeURIComponent(id)}`, { ...query(), format: 'xlsx' }))}>{t('dash.exportXlsx')}</Button>
      </div>
      {table?.period.from || table?.period.to ? (
        <Typography.Paragraph type="secondary">{t('dash.period')}: {table.period.from ?? '…'} – {table.period.to ?? '…'}</Typography.Paragraph>
      ) : null}
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      <Card size="small">
        <Table
          size="small"
          loading={loading}
          rowKey={(r) => JSON.stringify(r.groups.map((g) => g.value))}
          dataSource={table?.rows ?? []}
          columns={columns}
          pagination={(table?.rows.length ?? 0) > 50 ? { pageSize: 50 } : false}
          scroll={{ x: true }}
          summary={() =>
            table?.totals ? (
              <Table.Summary.Row className="ct-report-total">
                {table.rowHeaders.map((_h, i) => <Table.Summary.Cell key={`g${i}`} index={i}>{i === 0 ? <b>{t('dash.total')}</b> : ''}</Table.Summary.Cell>)}
                {table.columns.map((c, i) => <Table.Summary.Cell key={c.key} index={table.rowHeaders.length + i} align="right"><b>{num(table.totals![c.key])}</b></Table.Summary.Cell>)}
              </Table.Summary.Row>
            ) : null
          }
        />
      </Card>
    </div>
  );
}
