import { useEffect, useState } from 'react';
import { Alert, Button, Checkbox, Space, Table, Typography } from 'antd';
import type { Api } from './PositionMap';

/** Inventory at a glance: vials in storage grouped by the chosen dimensions, with an export link. */
const GROUPS = ['cellType', 'customer', 'batch', 'device', 'site', 'freezeMonth', 'bankTier'] as const;
const L: Record<string, Record<string, string>> = {
  'zh-CN': { cellType: '细胞类型', customer: '客户', batch: '批号', device: '设备', site: '中心', freezeMonth: '冻存月份', bankTier: '级别', vials: '管数', batches: '批次数', total: '合计', export: '导出冻存管明细' },
  en: { cellType: 'Cell type', customer: 'Customer', batch: 'Batch', device: 'Device', site: 'Site', freezeMonth: 'Freeze month', bankTier: 'Tier', vials: 'Vials', batches: 'Batches', total: 'Total', export: 'Export vial list' },
};

export default function Inventory({ api, lang = 'zh-CN' }: { api: Api; lang?: 'zh-CN' | 'en' }) {
  const t = L[lang] ?? L['zh-CN'];
  const [groups, setGroups] = useState<string[]>(['cellType', 'device']);
  const [rows, setRows] = useState<any[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!groups.length) return;
    api('/api/v1/cellbank/inventory', { query: { groupBy: groups.join(',') } })
      .then((r) => {
        setRows(r.data);
        setTotal(r.total.vials);
      })
      .catch((e) => setError((e as Error).message));
  }, [api, groups]);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {error && <Alert type="error" message={error} />}
      <Checkbox.Group value={groups} onChange={(v) => setGroups(v as string[])} options={GROUPS.map((g) => ({ value: g, label: t[g] }))} />
      <Table
        size="middle" rowKey={(r) => groups.map((g) => r[g]).join('|')} dataSource={rows} pagination={{ pageSize: 50 }}
        columns={[...groups.map((g) => ({ title: t[g], dataIndex: g })), { title: t.vials, dataIndex: 'vials' }, { title: t.batches, dataIndex: 'batches' }]}
        footer={() => <Typography.Text strong>{t.total}: {total}</Typography.Text>}
      />
      <Button href={`/api/v1/data/cryovial/export?format=xlsx&filter=${encodeURIComponent(JSON.stringify({ status: 'stored' }))}`}>{t.export}</Button>
    </Space>
  );
}
