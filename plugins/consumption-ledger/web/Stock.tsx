import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Drawer, Input, Segmented, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { errText, fill, words, type Api, type Lang } from './shared';

interface Row {
  store: { id: number; name: string };
  lot: { id: number; lotNo: string; expiryDate: string | null; status: string };
  material: { id: number; code: string; name: string; specification?: string; unit?: string; minStock: number | null };
  quantity: number;
  materialTotal: number;
  inUseExpiry: string | null;
  flags: Record<string, boolean>;
}

const FLAGS = ['lowStock', 'expiringSoon', 'expired', 'inUseExpired', 'notReleased'] as const;

/** Stock query (R-3.5.6): balances per lot and store of the caller's labs, with flags, filters and free search. */
export default function Stock({ api, lang = 'zh-CN' }: { api: Api; lang?: Lang }) {
  const w = words(lang);
  const [stores, setStores] = useState<{ value: number; label: string }[]>([]);
  const [units, setUnits] = useState<Record<string, string>>({});
  const [statusLabels, setStatusLabels] = useState<Record<string, string>>({});
  const [store, setStore] = useState<number | undefined>();
  const [flag, setFlag] = useState<string>('all');
  const [q, setQ] = useState('');
  const [page, setPage] = useState(1);
  const [rows, setRows] = useState<Row[]>([]);
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [whereUsed, setWhereUsed] = useState<{ lot: Row['lot']; material: string; rows: any[] } | null>(null);

  useEffect(() => {
    api('/api/v1/data/materialStore', { query: { limit: 200, sort: 'code', fields: 'id,name' } })
      .then((b) => setStores(b.data.map((s: any) => ({ value: s.id, label: s.name }))))
      .catch((e) => setError(errText(e)));
    api('/api/v1/meta')
      .then((b) => {
        const m = b.data ?? b;
        const items = m.dictionaries?.materialUnit?.items ?? [];
        setUnits(Object.fromEntries(items.map((i: any) => [i.code, i.label?.[lang] ?? i.label?.['zh-CN'] ?? i.code])));
        const st = m.entities?.materialLot?.properties?.status?.['x-enum-labels'] ?? {};
        setStatusLabels(Object.fromEntries(Object.entries(st).map(([k, v]: [string, any]) => [k, v?.[lang] ?? v?.['zh-CN'] ?? k])));
      })
      .catch(() => undefined);
  }, [api, lang]);

  const load = useCallback(() => {
    setLoading(true);
    api('/api/v1/materials/stock', { query: { store, flag: flag === 'all' ? undefined : flag, q: q || undefined, limit: 50, offset: (page - 1) * 50 } })
      .then((b) => {
        setRows(b.data);
        setTotal(b.total);
        setError(null);
      })
      .catch((e) => setError(errText(e)))
      .finally(() => setLoading(false));
  }, [api, store, flag, q, page]);
  useEffect(load, [load]);

  const unit = (u?: string) => (u ? units[u] ?? u : '');
  /** Where a lot went: every movement, to the documents and production records it touched. */
  const openWhereUsed = (r: Row) =>
    api('/api/v1/materials/movements', { query: { lot: r.lot.id, purpose: 'all', limit: 500 } })
      .then((b) => setWhereUsed({ lot: r.lot, material: r.material.name, rows: b.data }))
      .catch((e) => setError(errText(e)));
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Title level={4} style={{ margin: 0 }}>{lang === 'en' ? 'Material stock' : '物料库存查询'}</Typography.Title>
      {error && <Alert type="error" showIcon message={error} />}
      <Space wrap>
        <Select allowClear placeholder={w.allStores} aria-label={w.store} style={{ minWidth: 200 }} options={stores} value={store} onChange={(v) => { setStore(v); setPage(1); }} />
        <Input.Search allowClear placeholder={w.search} aria-label={w.search} style={{ width: 280 }} onSearch={(v) => { setQ(v.trim()); setPage(1); }} />
        <Segmented value={flag} onChange={(v) => { setFlag(String(v)); setPage(1); }} options={[{ value: 'all', label: w.all }, ...FLAGS.map((f) => ({ value: f, label: w[f] }))]} />
      </Space>
      <Table<Row>
        size="middle" loading={loading} dataSource={rows} rowKey={(r) => `${r.store.id}:${r.lot.id}`}
        pagination={{ current: page, pageSize: 50, total, showSizeChanger: false, onChange: setPage, showTotal: (n) => fill(w.total, { n }) }}
        columns={[
          { title: w.material, key: 'm', render: (_v, r) => <a href={`/record/material/${r.material.id}`}>{r.material.name}</a> },
          { title: lang === 'en' ? 'Code' : '编码', key: 'code', render: (_v, r) => r.material.code },
          { title: w.lot, key: 'lot', render: (_v, r) => <a href={`/record/materialLot/${r.lot.id}`}>{r.lot.lotNo}</a> },
          { title: w.store, key: 'store', render: (_v, r) => r.store.name },
          { title: w.quantity, key: 'q', align: 'right', render: (_v, r) => `${r.quantity} ${unit(r.material.unit)}` },
          { title: w.materialTotal, key: 't', align: 'right', render: (_v, r) => `${r.materialTotal}${r.material.minStock != null ? ` / ${r.material.minStock}` : ''}` },
          { title: w.expiry, key: 'e', render: (_v, r) => r.lot.expiryDate ?? '—' },
          { title: w.inUse, key: 'o', render: (_v, r) => (r.inUseExpiry ? r.inUseExpiry.slice(0, 10) : '—') },
          { title: w.status, key: 's', render: (_v, r) => <Tag color={r.lot.status === 'released' ? 'green' : r.lot.status === 'quarantined' ? 'gold' : 'red'}>{statusLabels[r.lot.status] ?? r.lot.status}</Tag> },
          {
            title: w.flags, key: 'f',
            render: (_v, r) => <Space size={4} wrap>{FLAGS.filter((f) => f !== 'notReleased' && r.flags[f]).map((f) => <Tag key={f} color={f === 'expiringSoon' ? 'orange' : 'red'}>{w[f]}</Tag>)}</Space>,
          },
          { title: w.whereUsed, key: 'w', render: (_v, r) => <Button size="small" style={{ minHeight: 32 }} onClick={() => void openWhereUsed(r)}>{w.whereUsed}</Button> },
        ]}
      />
      <Drawer open={!!whereUsed} width={960} onClose={() => setWhereUsed(null)} title={whereUsed ? `${w.whereUsed} · ${whereUsed.material} ${whereUsed.lot.lotNo}` : ''}>
        {whereUsed && (
          <Table
            size="small" rowKey="id" dataSource={whereUsed.rows} pagination={{ pageSize: 50 }}
            columns={[
              { title: w.at, key: 'at', render: (_v, m: any) => dayjs(m.at).format('YYYY-MM-DD HH:mm') },
              { title: w.purpose, key: 'p', render: (_v, m: any) => <Space size={4}>{m.purposeLabel}{m.reversal ? <Tag>{w.reversal}</Tag> : null}</Space> },
              { title: w.document, key: 'd', render: (_v, m: any) => (m.document.title ? <a href={`/record/${m.document.entity}/${m.document.id}`}>{m.document.title}</a> : '—') },
              { title: w.store, key: 's', render: (_v, m: any) => m.store.name },
              { title: w.quantity, key: 'q', align: 'right', render: (_v, m: any) => `${m.quantity > 0 ? '+' : ''}${m.quantity}` },
              { title: w.culture, key: 'c', render: (_v, m: any) => (m.cultureRecord?.title ? <a href={`/record/cultureRecord/${m.cultureRecord.id}`}>{m.cultureRecord.title}</a> : '—') },
              { title: w.actor, key: 'a', render: (_v, m: any) => m.actor },
            ]}
          />
        )}
      </Drawer>
    </Space>
  );
}
