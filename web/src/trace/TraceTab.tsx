import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Empty, InputNumber, Segmented, Skeleton, Space, Tag, Timeline, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import * as echarts from 'echarts/core';
import { GraphChart } from 'echarts/charts';
import { TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { api, errorText } from '../api';
import { formatDateTime } from '../lib/format';
import { Link, navigate } from '../router';
import './messages';

echarts.use([GraphChart, TooltipComponent, SVGRenderer]);

export interface TraceNode { key: string; entity: string; id: number; kind: string; title: string | null; at: string | null; level: number; hidden: number }
export interface TraceData {
  root: string;
  nodes: TraceNode[];
  edges: { from: string; to: string; field: string }[];
  hidden: { count: number; entities: { entity: string; kind: string; count: number }[] };
  truncated: boolean;
}

const PALETTE = ['#1677ff', '#52c41a', '#fa8c16', '#722ed1', '#eb2f96', '#13c2c2', '#faad14', '#2f54eb', '#a0d911', '#f5222d', '#08979c', '#9254de'];

/** A color per entity, stable for a page (the same entity the same color in graph and timeline). */
function colors(nodes: TraceNode[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of nodes) if (!m.has(n.entity)) m.set(n.entity, PALETTE[m.size % PALETTE.length]);
  return m;
}

/**
 * The trace graph: upstream records to the left of the open record, downstream to the right, one column per link;
 * each node names its entity and code and opens its record on click (SVG, so the labels are text in the page).
 */
function Graph({ data, color }: { data: TraceData; color: Map<string, string> }) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  const columns = useMemo(() => {
    const m = new Map<number, TraceNode[]>();
    for (const n of data.nodes) (m.get(n.level) ?? m.set(n.level, []).get(n.level)!).push(n);
    return m;
  }, [data]);
  const tallest = Math.max(1, ...[...columns.values()].map((c) => c.length));
  const height = Math.min(2400, Math.max(320, tallest * 56 + 40));
  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current, undefined, { renderer: 'svg' });
    const levels = [...columns.keys()].sort((a, b) => a - b);
    const nodes = levels.flatMap((lv, xi) =>
      columns.get(lv)!.map((n, yi) => ({
        id: n.key,
        name: `${n.kind}\n${n.title ?? t('trace.noTitle')}${n.hidden ? `\n${t('trace.hiddenNode', { count: n.hidden })}` : ''}`,
        x: xi * 220,
        y: (yi - (columns.get(lv)!.length - 1) / 2) * 56,
        symbolSize: n.key === data.root ? 22 : 14,
        itemStyle: { color: color.get(n.entity), borderColor: n.key === data.root ? '#000' : undefined, borderWidth: n.key === data.root ? 2 : 0 },
        value: n.entity,
        record: n,
      })),
    );
    chart.setOption({
      tooltip: { formatter: (p: { dataType: string; data: { record?: TraceNode; name?: string; field?: string } }) => (p.dataType === 'node' ? `${p.data.name?.replace(/\n/g, '<br/>')}${p.data.record?.at ? `<br/>${formatDateTime(p.data.record.at)}` : ''}` : p.data.field ?? '') },
      series: [{
        type: 'graph', layout: 'none', roam: true, draggable: false,
        label: { show: true, position: 'right', fontSize: 11, lineHeight: 14 },
        edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 6,
        lineStyle: { color: '#aaa', curveness: 0.1 },
        data: nodes,
        links: data.edges.map((e) => ({ source: e.from, target: e.to, field: e.field })),
      }],
    });
    chart.on('click', (p: { dataType?: string; data?: unknown }) => {
      const r = (p.data as { record?: TraceNode } | undefined)?.record;
      if (p.dataType === 'node' && r) void navigate(`/record/${r.entity}/${r.id}`);
    });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [data, columns, color, t]);
  return <div ref={ref} className="ct-trace-graph" style={{ width: '100%', height }} />;
}

/** The records by time, oldest first; records without a time last. */
function TimelineView({ data, color }: { data: TraceData; color: Map<string, string> }) {
  const { t } = useTranslation();
  const rows = [...data.nodes].sort((a, b) => (a.at ? 0 : 1) - (b.at ? 0 : 1) || String(a.at ?? '').localeCompare(String(b.at ?? '')));
  return (
    <Timeline
      className="ct-trace-timeline"
      items={rows.map((n) => ({
        key: n.key,
        color: color.get(n.entity),
        children: (
          <Space wrap size={4}>
            <Typography.Text type="secondary">{n.at ? formatDateTime(n.at) : t('trace.noTime')}</Typography.Text>
            <Tag color={color.get(n.entity)}>{n.kind}</Tag>
            {n.key === data.root ? <b translate="no">{n.title ?? t('trace.noTitle')}</b> : <Link to={`/record/${n.entity}/${n.id}`} translate="no">{n.title ?? t('trace.noTitle')}</Link>}
          </Space>
        ),
      }))}
    />
  );
}

/** The "追溯 / Trace" tab of every record page: its upstream and downstream records as a graph and a timeline. */
export default function TraceTab({ entity, id }: { entity: string; id: string }) {
  const { t } = useTranslation();
  const [direction, setDirection] = useState<'both' | 'up' | 'down'>('both');
  const [depth, setDepth] = useState(8);
  const [view, setView] = useState<'graph' | 'timeline'>('graph');
  const [data, setData] = useState<TraceData | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setData(null);
    setError(null);
    api<{ data: TraceData }>(`/api/v1/trace/${entity}/${id}`, { query: { direction, depth } })
      .then((b) => live && setData(b.data))
      .catch((e: unknown) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [entity, id, direction, depth]);
  const color = useMemo(() => colors(data?.nodes ?? []), [data]);
  return (
    <Space direction="vertical" style={{ width: '100%' }} className="ct-trace">
      <Space wrap>
        <Segmented value={view} onChange={(v) => setView(v as 'graph' | 'timeline')} options={[{ value: 'graph', label: t('trace.graph') }, { value: 'timeline', label: t('trace.timeline') }]} />
        <Segmented value={direction} onChange={(v) => setDirection(v as 'both' | 'up' | 'down')} options={(['both', 'up', 'down'] as const).map((d) => ({ value: d, label: t(`trace.${d}`) }))} />
        <span>{t('trace.depth')}</span>
        <InputNumber min={1} max={30} value={depth} onChange={(v) => v && setDepth(v)} style={{ width: 72 }} aria-label={t('trace.depth')} />
      </Space>
      {error && <Alert type="error" message={error} />}
      {!error && !data && <Skeleton active />}
      {data && data.hidden.count > 0 && <Alert type="info" showIcon message={t('trace.hidden', { count: data.hidden.count })} description={data.hidden.entities.map((h) => `${h.kind} ${h.count}`).join(' · ')} />}
      {data?.truncated && <Alert type="warning" showIcon message={t('trace.truncated')} />}
      {data && data.nodes.length <= 1 && !data.hidden.count && <Empty description={t('trace.none')} />}
      {data && data.nodes.length > 1 && (view === 'graph' ? <Graph data={data} color={color} /> : <TimelineView data={data} color={color} />)}
    </Space>
  );
}
