import { useEffect, useState } from 'react';
import { Alert, Segmented, Select, Space, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import { errText, fill, words, type Api, type Lang } from './shared';

/**
 * The usage log of one asset and, for an impact assessment, the batches that used it since its last passing
 * calibration (R-3.6.5; GMP 2010 Art. 86): one query, one screen.
 */
export default function Usage({ api, lang = 'zh-CN' }: { api: Api; lang?: Lang }) {
  const w = words(lang);
  const [asset, setAsset] = useState<number | undefined>(() => Number(new URLSearchParams(window.location.search).get('equipment')) || undefined);
  const [options, setOptions] = useState<{ value: number; label: string }[]>([]);
  const [since, setSince] = useState<'calibration' | 'all'>('calibration');
  const [data, setData] = useState<any>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const search = (s: string) =>
    api('/api/v1/data/equipment', { query: { filter: s ? JSON.stringify({ or: [{ name: { contains: s } }, { code: { contains: s } }] }) : undefined, limit: 30, fields: 'id,code,name', sort: 'code' } })
      .then((b) => setOptions(b.data.map((x: any) => ({ value: x.id, label: `${x.code} ${x.name}` }))))
      .catch(() => undefined);
  useEffect(() => {
    void search('');
  }, [api]);
  useEffect(() => {
    if (!asset) return;
    setLoading(true);
    api(`/api/v1/equipment/${asset}/usage`, { query: { since } })
      .then((b) => {
        setData(b.data);
        setError(null);
      })
      .catch((e) => setError(errText(e)))
      .finally(() => setLoading(false));
  }, [api, asset, since]);
  const at = (v: string) => dayjs(v).format('YYYY-MM-DD HH:mm');

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Title level={4} style={{ margin: 0 }}>{w.usageTitle}</Typography.Title>
      {error && <Alert type="error" showIcon message={error} />}
      <Space wrap>
        <Select id="ct-usage-equipment" showSearch filterOption={false} aria-label={w.chooseAsset} placeholder={w.chooseAsset} style={{ minWidth: 280 }} value={asset}
          onChange={setAsset} onSearch={search} options={options} />
        <Segmented value={since} onChange={(v) => setSince(v as 'calibration' | 'all')} options={[{ value: 'calibration', label: w.sinceCalibration }, { value: 'all', label: w.all }]} />
      </Space>
      {data && since === 'calibration' && (
        <Alert type={data.since ? 'info' : 'warning'} showIcon message={data.since ? fill(w.since, { date: data.since.date, no: data.since.record.recordNo }) : w.noCalibration} />
      )}
      {data && (
        <>
          <Table
            size="middle" loading={loading} title={() => w.batches} dataSource={data.batches} rowKey="code" pagination={false} locale={{ emptyText: w.none }}
            columns={[
              { title: w.batch, key: 'b', render: (_v, r: any) => (r.id && r.entity ? <a href={`/record/${r.entity}/${r.id}`}>{r.code}</a> : r.code) },
              { title: w.uses, key: 'n', align: 'right', render: (_v, r: any) => r.uses },
              { title: w.first, key: 'f', render: (_v, r: any) => at(r.firstUsedAt) },
              { title: w.last, key: 'l', render: (_v, r: any) => at(r.lastUsedAt) },
            ]}
          />
          <Table
            size="small" loading={loading} title={() => w.usages} dataSource={data.usages} rowKey={(r: any) => `${r.entity}:${r.recordId}:${r.field}`} pagination={{ pageSize: 20 }} locale={{ emptyText: w.none }}
            columns={[
              { title: w.usedAt, key: 'at', render: (_v, r: any) => at(r.usedAt) },
              { title: w.kind, key: 'k', render: (_v, r: any) => r.entityLabel },
              { title: w.record, key: 'r', render: (_v, r: any) => <a href={`/record/${r.entity}/${r.recordId}`}>{r.recordTitle ?? r.recordId}</a> },
              { title: w.batch, key: 'b', render: (_v, r: any) => r.batch?.code ?? '' },
            ]}
          />
        </>
      )}
    </Space>
  );
}
