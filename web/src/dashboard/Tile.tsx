// One dashboard tile: a number, an ECharts bar/line/pie or a small table, every figure opening the list it counts.
import { useEffect, useRef } from 'react';
import { Card, Empty, Table, Tooltip, Typography } from 'antd';
import { LockOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { currentLang, pick } from '../i18n';
import { navigate } from '../router';
import './messages';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export interface TileDef {
  key: string;
  title: { 'zh-CN': string; en?: string };
  chart: 'number' | 'bar' | 'line' | 'pie' | 'table';
  size?: 'small' | 'medium' | 'large' | 'full';
  query?: { entity: string; filter?: Record<string, unknown>; groupBy?: string[]; measure?: string; ratioOf?: Record<string, unknown>; limit?: number; sort?: string };
  source?: { figure: string };
  list?: string;
  unit?: { 'zh-CN': string; en?: string };
}
export interface TileRow { groups: { value: unknown; label: string | null }[]; value: number | null; total?: number; filter?: Record<string, unknown> }
export interface TileData {
  key: string;
  status: 'ok' | 'unavailable' | 'error';
  message?: string;
  value?: number | null;
  unit?: string;
  rows?: TileRow[];
  drill?: { entity: string; list: string | null; filter?: Record<string, unknown> };
}

export const SPAN: Record<string, number> = { small: 6, medium: 12, large: 18, full: 24 };

/** The list behind a figure, filtered; the caption says what the filter is, in words. */
export function drillHref(data: TileData, filter: Record<string, unknown> | undefined, caption: string): string | null {
  if (!data.drill?.list) return null;
  const qs = new URLSearchParams();
  if (filter && Object.keys(filter).length) qs.set('filter', JSON.stringify(filter));
  qs.set('caption', caption);
  return `/list/${encodeURIComponent(data.drill.list)}?${qs.toString()}`;
}

const fmt = (v: number | null | undefined, unit?: string) => (v == null ? '–' : `${v.toLocaleString()}${unit === '%' ? ' %' : unit ? ` ${unit}` : ''}`);

function Chart({ def, data, title, empty }: { def: TileDef; data: TileData; title: string; empty: string }) {
  const el = useRef<HTMLDivElement>(null);
  const rows = data.rows ?? [];
  useEffect(() => {
    if (!el.current) return;
    const chart = echarts.getInstanceByDom(el.current) ?? echarts.init(el.current);
    const name = (r: TileRow, i: number) => r.groups[i]?.label ?? empty;
    const two = rows.some((r) => r.groups.length > 1);
    const cats = [...new Set(rows.map((r) => name(r, 0)))];
    let option: echarts.EChartsCoreOption;
    if (def.chart === 'pie') {
      option = {
        tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
        legend: { type: 'scroll', bottom: 0 },
        series: [{ type: 'pie', radius: ['35%', '65%'], top: -10, data: rows.map((r, i) => ({ name: name(r, 0), value: r.value, rowIndex: i })) }],
      };
    } else {
      const series = two
        ? [...new Set(rows.map((r) => name(r, 1)))].map((s) => ({
            type: def.chart === 'line' ? 'line' : 'bar', name: s, stack: def.chart === 'bar' && data.unit !== '%' ? 'all' : undefined,
            data: cats.map((c) => {
              const i = rows.findIndex((r) => name(r, 0) === c && name(r, 1) === s);
              return { value: i >= 0 ? rows[i].value : null, rowIndex: i };
            }),
          }))
        : [{ type: def.chart === 'line' ? 'line' : 'bar', name: title, smooth: true, data: rows.map((r, i) => ({ value: r.value, rowIndex: i })) }];
      option = {
        tooltip: { trigger: 'axis' },
        legend: two ? { type: 'scroll', top: 0 } : undefined,
        grid: { left: 48, right: 16, top: two ? 30 : 16, bottom: 48 },
        xAxis: { type: 'category', data: cats, axisLabel: { interval: 0, rotate: cats.length > 6 ? 30 : 0, width: 90, overflow: 'truncate' } },
        yAxis: { type: 'value', max: data.unit === '%' ? 100 : undefined, minInterval: 1 },
        series,
      };
    }
    el.current.dataset.rendered = '0';
    chart.off('finished');
    // Marks the chart drawn (animations done): screenshots and tests wait for it, not for a fixed time.
    chart.on('finished', () => {
      if (el.current) el.current.dataset.rendered = '1';
    });
    chart.setOption(option, true);
    chart.off('click');
    chart.on('click', (p: any) => {
      const i = p?.data?.rowIndex;
      if (typeof i !== 'number' || i < 0) return;
      const r = rows[i];
      const href = drillHref(data, r.filter, `${title}: ${r.groups.map((g) => g.label ?? empty).join(' · ')}`);
      if (href) void navigate(href);
    });
    const onResize = () => chart.resize();
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, [def.chart, data, rows, title, empty]);
  useEffect(() => () => { if (el.current) echarts.getInstanceByDom(el.current)?.dispose(); }, []);
  return <div ref={el} className="ct-tile-chart" style={{ height: 240 }} role="img" aria-label={title} />;
}

export default function Tile({ def, data }: { def: TileDef; data?: TileData }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const title = pick(def.title, lang, def.key);
  const empty = t('dash.empty');
  const open = (filter: Record<string, unknown> | undefined, caption: string) => {
    const href = data && drillHref(data, filter, caption);
    if (href) void navigate(href);
  };
  let body: React.ReactNode = null;
  if (!data) body = <div style={{ height: def.chart === 'number' ? 56 : 240 }} />;
  else if (data.status !== 'ok')
    body = (
      <Typography.Text type="secondary" className="ct-tile-unavailable">
        <LockOutlined /> {data.message ?? t('dash.unavailable')}
      </Typography.Text>
    );
  else if (def.chart === 'number' || (data.rows === undefined && data.value !== undefined && def.chart !== 'table'))
    body = (
      <button type="button" className="ct-tile-number" aria-label={`${title}: ${fmt(data.value, data.unit)}`} onClick={() => open(data.drill?.filter, title)} disabled={!data.drill?.list}>
        {fmt(data.value, data.unit)}
      </button>
    );
  else if (!data.rows?.length) body = <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('common.empty')} />;
  else if (def.chart === 'table')
    body = (
      <Table
        size="small"
        pagination={data.rows.length > 8 ? { pageSize: 8, size: 'small' } : false}
        rowKey={(_r, i) => String(i)}
        dataSource={data.rows}
        onRow={(r) => ({ onClick: () => open(r.filter, `${title}: ${r.groups.map((g) => g.label ?? empty).join(' · ')}`), style: { cursor: 'pointer' } })}
        columns={[
          ...(data.rows[0]?.groups ?? []).map((_g, i) => ({ key: `g${i}`, title: '', render: (_: unknown, r: TileRow) => r.groups[i]?.label ?? empty })),
          { key: 'v', title: '', align: 'right' as const, render: (_: unknown, r: TileRow) => fmt(r.value, data.unit) },
        ]}
        showHeader={false}
      />
    );
  else body = <Chart def={def} data={data} title={title} empty={empty} />;
  return (
    <Card
      size="small"
      className="ct-tile"
      data-tile={def.key}
      data-status={data?.status ?? 'loading'}
      title={<Tooltip title={title}><span>{title}</span></Tooltip>}
      loading={!data}
    >
      {body}
    </Card>
  );
}
