import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Card, DatePicker, Empty, Form, Select, Space, Table, Typography } from 'antd';
import { DownloadOutlined, SearchOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import dayjs, { type Dayjs } from 'dayjs';
import { api, apiUrl, errorText } from '../api';
import { formatDateTime } from '../lib/format';
import { titleField, useMeta } from '../meta';
import { Link } from '../router';
import { useCrumbs } from '../shell/crumbs';
import './messages';

type Kind = 'materialLot' | 'cultureRecord' | 'cellBatch' | 'deviation' | 'room';
interface Row { entity: string; kind: string; id: number; code: string | null; at: string | null; product: string | null; patient: { id: number; name: string | null } | null }
interface Result { source: string; products: Row[]; patients: { id: number; name: string | null; products: number }[]; hidden: { count: number }; truncated: boolean; reached: number }

/** A record of one entity, searched by its title (code) as the user types; shows titles, never ids. */
function RecordPicker({ entity, value, onChange }: { entity: string; value?: number; onChange: (v: number | undefined) => void }) {
  const { t } = useTranslation();
  const meta = useMeta();
  const tf = titleField(meta, entity);
  const [opts, setOpts] = useState<{ value: number; label: string }[]>([]);
  const seq = useRef(0);
  const search = (text: string) => {
    const my = ++seq.current;
    api<{ data: Record<string, unknown>[] }>(`/api/v1/data/${entity}`, {
      query: { fields: `id,${tf}`, limit: 20, sort: '-id', filter: text ? JSON.stringify({ [tf]: { contains: text } }) : undefined },
    })
      .then((b) => my === seq.current && setOpts((b.data ?? []).map((r) => ({ value: Number(r.id), label: String(r[tf] ?? '') }))))
      .catch(() => my === seq.current && setOpts([]));
  };
  useEffect(() => {
    setOpts([]);
    search('');
    // eslint-disable-next-line
  }, [entity]);
  return (
    <Select
      showSearch allowClear filterOption={false} style={{ minWidth: 280 }} placeholder={t('trace.recall.pick')}
      value={value} onChange={(v) => onChange(v ?? undefined)} onSearch={search} options={opts}
      data-testid={`recall-pick-${entity}`}
    />
  );
}

/** The recall screen: a QA person picks a lot / batch / deviation or a room and window; products and patients, XLSX. */
export default function RecallPage() {
  const { t } = useTranslation();
  useCrumbs([{ title: t('trace.recall.title') }]);
  const [kind, setKind] = useState<Kind>('materialLot');
  const [id, setId] = useState<number | undefined>();
  const [window, setWindow] = useState<[Dayjs | null, Dayjs | null]>([dayjs().subtract(7, 'day').startOf('day'), dayjs()]);
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const query = () => (kind === 'room'
    ? { room: id, from: window[0]?.toISOString(), to: window[1]?.toISOString() }
    : { entity: kind, id });
  const run = () => {
    setLoading(true);
    setError(null);
    api<{ data: Result }>('/api/v1/trace/recall', { query: query() })
      .then((b) => setResult(b.data))
      .catch((e: unknown) => {
        setResult(null);
        setError(errorText(e));
      })
      .finally(() => setLoading(false));
  };
  const kinds: Kind[] = ['materialLot', 'cultureRecord', 'cellBatch', 'deviation', 'room'];
  return (
    <div className="ct-page ct-recall" style={{ maxWidth: 1200 }}>
      <Typography.Title level={4}>{t('trace.recall.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('trace.recall.hint')}</Typography.Paragraph>
      <Card size="small" className="ct-section">
        <Form layout="inline" onFinish={run}>
          <Form.Item label={t('trace.recall.source')}>
            <Select value={kind} style={{ width: 180 }} onChange={(v) => { setKind(v); setId(undefined); setResult(null); }} options={kinds.map((k) => ({ value: k, label: t(`trace.recall.${k}`) }))} data-testid="recall-kind" />
          </Form.Item>
          <Form.Item>
            <RecordPicker key={kind} entity={kind} value={id} onChange={setId} />
          </Form.Item>
          {kind === 'room' && (
            <Form.Item>
              <DatePicker.RangePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" value={window} onChange={(v) => setWindow((v ?? [null, null]) as [Dayjs | null, Dayjs | null])} placeholder={[t('trace.recall.from'), t('trace.recall.to')]} />
            </Form.Item>
          )}
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" icon={<SearchOutlined />} disabled={!id} loading={loading}>{t('trace.recall.run')}</Button>
              <Button icon={<DownloadOutlined />} disabled={!id || !result} href={id ? apiUrl('/api/v1/trace/recall', { ...query(), format: 'xlsx' }) : undefined}>{t('trace.recall.download')}</Button>
            </Space>
          </Form.Item>
        </Form>
      </Card>
      {error && <Alert type="error" message={error} style={{ marginTop: 12 }} />}
      {result && (
        <Space direction="vertical" style={{ width: '100%', marginTop: 12 }}>
          <Typography.Text strong translate="no">{result.source}</Typography.Text>
          <Typography.Text type="secondary">{t('trace.recall.reached', { count: result.reached })}</Typography.Text>
          {result.hidden.count > 0 && <Alert type="info" showIcon message={t('trace.hidden', { count: result.hidden.count })} />}
          {result.truncated && <Alert type="warning" showIcon message={t('trace.truncated')} />}
          <Card size="small" title={t('trace.recall.products')}>
            {result.products.length ? (
              <Table<Row>
                size="small" rowKey={(r) => `${r.entity}:${r.id}`} pagination={{ pageSize: 50, hideOnSinglePage: true }} dataSource={result.products} className="ct-recall-products"
                columns={[
                  { title: t('trace.recall.kind'), dataIndex: 'kind' },
                  { title: t('trace.recall.code'), render: (_, r) => <Link to={`/record/${r.entity}/${r.id}`} translate="no">{r.code ?? t('trace.noTitle')}</Link> },
                  { title: t('trace.recall.at'), render: (_, r) => formatDateTime(r.at) },
                  { title: t('trace.recall.product'), render: (_, r) => r.product ?? '' },
                  { title: t('trace.recall.patient'), render: (_, r) => (r.patient ? <Link to={`/record/customer/${r.patient.id}`} translate="no">{r.patient.name ?? ''}</Link> : '') },
                ]}
              />
            ) : <Empty description={t('trace.recall.empty')} />}
          </Card>
          {result.patients.length > 0 && (
            <Card size="small" title={t('trace.recall.patients')}>
              <Table
                size="small" rowKey="id" pagination={false} dataSource={result.patients}
                columns={[
                  { title: t('trace.recall.patient'), render: (_, r) => <Link to={`/record/customer/${r.id}`} translate="no">{r.name ?? ''}</Link> },
                  { title: t('trace.recall.count'), dataIndex: 'products' },
                ]}
              />
            </Card>
          )}
        </Space>
      )}
    </div>
  );
}
