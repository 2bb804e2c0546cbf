import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, DatePicker, Select, Space, Table, Tag, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import * as echarts from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { errText, words, type Api, type Lang } from './shared';

echarts.use([BarChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

type Group = 'month' | 'week' | 'day' | 'kind' | 'material' | 'store' | 'culture';
const GROUPINGS: Group[][] = [['month', 'kind'], ['month', 'material'], ['material'], ['kind', 'material'], ['store', 'material'], ['culture', 'material'], ['day', 'kind']];

const text = (v: any): string => (v == null ? '' : typeof v === 'object' ? String(v.label ?? v.name ?? v.title ?? '') : String(v));

/**
 * The production consumption ledger: consumption by period, kind (reagents and consumables apart),
 * material, store, culture batch; a chart, totals, the lines behind a row, and an XLSX export.
 */
export default function Ledger({ api, lang = 'zh-CN' }: { api: Api; lang?: Lang }) {
  const w = words(lang);
  const [range, setRange] = useState<[Dayjs, Dayjs]>([dayjs().subtract(11, 'month').startOf('month'), dayjs()]);
  const [groups, setGroups] = useState<Group[]>(['month', 'kind']);
  const [kind, setKind] = useState<string | undefined>();
  const [kinds, setKinds] = useState<{ value: string; label: string }[]>([]);
  const [batch, setBatch] = useState<number | undefined>();
  const [batches, setBatches] = useState<{ value: number; label: string }[]>([]);
  const [rows, setRows] = useState<any[]>([]);
  const [totals, setTotals] = useState<{ quantity: number | null; unit: string | null; movements: number }>({ quantity: 0, unit: null, movements: 0 });
  const [lines, setLines] = useState<any[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const chartEl = useRef<HTMLDivElement>(null);

  const query = useMemo(
    () => ({ from: range[0].format('YYYY-MM-DD'), to: range[1].format('YYYY-MM-DD'), groupBy: groups.join(','), kind, batch }),
    [range, groups, kind, batch],
  );
  useEffect(() => {
    api('/api/v1/meta').then((b) => {
      const m = b.data ?? b;
      setKinds((m.dictionaries?.materialKind?.items ?? []).map((i: any) => ({ value: i.code, label: i.label?.[lang] ?? i.label?.['zh-CN'] ?? i.code })));
    }).catch(() => undefined);
  }, [api, lang]);
  useEffect(() => {
    setLoading(true);
    setLines(null);
    api('/api/v1/materials/ledger', { query })
      .then((b) => {
        setRows(b.data);
        setTotals(b.totals);
        setError(null);
      })
      .catch((e) => setError(errText(e)))
      .finally(() => setLoading(false));
  }, [api, query]);

  // A stacked bar chart: the first group along the axis, the second as series.
  useEffect(() => {
    if (!chartEl.current) return;
    const chart = echarts.getInstanceByDom(chartEl.current) ?? echarts.init(chartEl.current);
    const [g1, g2] = groups;
    const xs = [...new Set(rows.map((r) => text(r[g1])))];
    // Quantities of different units do not add up: then the chart counts movements.
    const byQty = rows.length > 0 && rows.every((r) => r.quantity != null) && new Set(rows.map((r) => r.unit)).size === 1;
    const metric = (r: any) => Number(byQty ? r.quantity : r.movements);
    const series = g2 ? [...new Set(rows.map((r) => text(r[g2])))] : [byQty ? w.consumption : w.movements];
    chart.setOption(
      {
        animation: false, tooltip: { trigger: 'axis' }, legend: { top: 0 }, title: { text: byQty ? `${w.consumption}（${rows[0]?.unit ?? ''}）` : w.movements, left: 0, top: 0, textStyle: { fontSize: 12, fontWeight: 'normal' } }, grid: { left: 48, right: 16, top: 36, bottom: 48 },
        xAxis: { type: 'category', data: xs, axisLabel: { interval: 0, rotate: xs.length > 8 ? 30 : 0 } }, yAxis: { type: 'value' },
        series: series.map((s) => ({
          name: s, type: 'bar', stack: 'all',
          data: xs.map((x) => rows.filter((r) => text(r[g1]) === x && (!g2 || text(r[g2]) === s)).reduce((a, r) => a + metric(r), 0)),
        })),
      },
      true,
    );
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => window.removeEventListener('resize', resize);
  }, [rows, groups, w.consumption]);
  useEffect(() => () => { if (chartEl.current) echarts.getInstanceByDom(chartEl.current)?.dispose(); }, []);

  const searchBatches = (s: string) =>
    api('/api/v1/data/cellBatch', { query: { filter: s ? JSON.stringify({ batchCode: { contains: s } }) : undefined, limit: 20, fields: 'id,batchCode', sort: '-id' } })
      .then((b) => setBatches(b.data.map((x: any) => ({ value: x.id, label: x.batchCode }))))
      .catch(() => undefined);
  const showLines = (r: any) => {
    const q: Record<string, unknown> = { from: query.from, to: query.to, kind: query.kind, batch: query.batch, limit: 200 };
    for (const g of groups) {
      if (g === 'kind') q.kind = r.kind?.code;
      if (g === 'material') q.material = r.material?.id;
      if (g === 'store') q.store = r.store?.id;
      if (g === 'culture') q.culture = r.culture?.id;
    }
    api('/api/v1/materials/movements', { query: q }).then((b) => setLines(b.data)).catch((e) => setError(errText(e)));
  };
  const exportHref = `/api/v1/materials/ledger?${new URLSearchParams(Object.entries({ ...query, format: 'xlsx' }).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]))}`;
  const label: Record<Group, string> = { month: w.month, week: w.week, day: w.day, kind: w.kind, material: w.material, store: w.store, culture: w.culture };

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Title level={4} style={{ margin: 0 }}>{w.ledgerTitle}</Typography.Title>
      {error && <Alert type="error" showIcon message={error} />}
      <Space wrap>
        <DatePicker.RangePicker value={range} allowClear={false} onChange={(v) => v?.[0] && v[1] && setRange([v[0], v[1]])} aria-label={`${w.from} – ${w.to}`} />
        <Select id="ct-ledger-group" aria-label={w.groupBy} style={{ minWidth: 200 }} value={groups.join(',')} onChange={(v) => setGroups(v.split(',') as Group[])}
          options={GROUPINGS.map((g) => ({ value: g.join(','), label: g.map((x) => label[x]).join(' × ') }))} />
        <Select id="ct-ledger-kind" allowClear aria-label={w.kind} placeholder={w.allKinds} style={{ minWidth: 160 }} value={kind} onChange={setKind} options={kinds} />
        <Select id="ct-ledger-batch" allowClear showSearch filterOption={false} aria-label={w.batch} placeholder={w.batch} style={{ minWidth: 200 }} value={batch}
          onChange={setBatch} onSearch={searchBatches} onOpenChange={(o) => o && !batches.length && searchBatches('')} options={batches} />
        <Button icon={<DownloadOutlined />} href={exportHref}>{w.export}</Button>
      </Space>
      <div ref={chartEl} role="img" aria-label={w.ledgerTitle} style={{ width: '100%', height: 300 }} />
      <Table
        size="middle" loading={loading} dataSource={rows} rowKey={(r) => groups.map((g) => text(r[g])).join('|')} pagination={{ pageSize: 50 }}
        onRow={(r) => ({ onClick: () => showLines(r), style: { cursor: 'pointer' } })}
        columns={[
          ...groups.map((g) => ({ title: label[g], key: g, render: (_v: unknown, r: any) => text(r[g]) || '—' })),
          { title: w.consumption, key: 'q', align: 'right' as const, render: (_v: unknown, r: any) => (r.quantity == null ? w.mixedUnits : r.quantity) },
          { title: w.unit, key: 'u', render: (_v: unknown, r: any) => r.unit ?? '' },
          { title: w.movements, key: 'n', align: 'right' as const, render: (_v: unknown, r: any) => r.movements },
        ]}
        summary={() => (
          <Table.Summary.Row>
            <Table.Summary.Cell index={0} colSpan={groups.length}><Typography.Text strong>{w.totals}</Typography.Text></Table.Summary.Cell>
            <Table.Summary.Cell index={1} align="right"><Typography.Text strong>{totals.quantity ?? w.mixedUnits}</Typography.Text></Table.Summary.Cell>
            <Table.Summary.Cell index={2}>{totals.unit ?? ''}</Table.Summary.Cell>
            <Table.Summary.Cell index={3} align="right">{totals.movements}</Table.Summary.Cell>
          </Table.Summary.Row>
        )}
      />
      {lines && (
        <Table
          size="small" title={() => w.lines} dataSource={lines} rowKey="id" pagination={{ pageSize: 20 }}
          columns={[
            { title: w.at, key: 'at', render: (_v, r: any) => dayjs(r.at).format('YYYY-MM-DD HH:mm') },
            { title: w.purpose, key: 'p', render: (_v, r: any) => <Space size={4}>{r.purposeLabel}{r.reversal ? <Tag>{w.reversal}</Tag> : null}</Space> },
            { title: w.document, key: 'd', render: (_v, r: any) => (r.document.title ? <a href={`/record/${r.document.entity}/${r.document.id}`}>{r.document.title}</a> : '—') },
            { title: w.material, key: 'm', render: (_v, r: any) => r.material.name },
            { title: w.lot, key: 'l', render: (_v, r: any) => <a href={`/record/materialLot/${r.lot.id}`}>{r.lot.lotNo}</a> },
            { title: w.store, key: 's', render: (_v, r: any) => r.store.name },
            { title: w.consumption, key: 'q', align: 'right', render: (_v, r: any) => `${-r.quantity}` },
            { title: w.culture, key: 'c', render: (_v, r: any) => (r.cultureRecord?.title ? <a href={`/record/cultureRecord/${r.cultureRecord.id}`}>{r.cultureRecord.title}</a> : '—') },
            { title: w.actor, key: 'a', render: (_v, r: any) => r.actor },
          ]}
        />
      )}
    </Space>
  );
}
