import { useEffect, useRef, useState } from 'react';
import { Alert, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { STATUS_COLOR, STATUS_HEX, bandText, dictLabels, errText, fill, words, type Api, type Lang } from './shared';

echarts.use([LineChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

interface Trend {
  data: { id: number; sampledAt: string; value: number; status: string; deviation: number | null }[];
  point: { id: number; name: string }; room: { name: string; grade: string }; parameter: string;
  limits: { alert: { min?: number; max?: number } | null; action: { min?: number; max?: number } | null };
}

const lines = (b: { min?: number; max?: number } | null, name: string, color: string) =>
  (b ? [b.min, b.max] : []).filter((v): v is number => v !== undefined).map((v) => ({ yAxis: v, name, lineStyle: { color, type: 'dashed' as const }, label: { formatter: `${name} ${v}`, color } }));

/** Trend per sampling point and parameter with the alert and action levels as lines. */
export default function EmTrend({ api, lang = 'zh-CN' }: { api: Api; lang?: Lang }) {
  const w = words(lang);
  const qs = new URLSearchParams(window.location.search);
  const [points, setPoints] = useState<{ value: number; label: string; parameters: string[] }[]>([]);
  const [point, setPoint] = useState<number | undefined>(Number(qs.get('point')) || undefined);
  const [parameter, setParameter] = useState<string | undefined>(qs.get('parameter') ?? undefined);
  const [params, setParams] = useState<Record<string, string>>({});
  const [trend, setTrend] = useState<Trend | null>(null);
  const [error, setError] = useState<string | null>(null);
  const el = useRef<HTMLDivElement>(null);

  useEffect(() => {
    dictLabels(api, lang, 'emParameter').then(setParams).catch(() => undefined);
    api('/api/v1/data/samplingPoint', { query: { limit: 1000, sort: 'code', fields: 'id,code,name,parameters' } })
      .then((b) => setPoints(b.data.map((p: any) => ({ value: p.id, label: `${p.code} ${p.name}`, parameters: p.parameters ?? [] }))))
      .catch((e) => setError(errText(e)));
  }, [api, lang]);
  const current = points.find((p) => p.value === point);
  useEffect(() => {
    if (current && (!parameter || !current.parameters.includes(parameter))) setParameter(current.parameters[0]);
  }, [current, parameter]);
  useEffect(() => {
    if (!point || !parameter) return;
    api('/api/v1/qc/em/trend', { query: { point, parameter } }).then((b) => { setTrend(b); setError(null); }).catch((e) => setError(errText(e)));
  }, [api, point, parameter]);

  useEffect(() => {
    if (!el.current || !trend) return;
    const chart = echarts.getInstanceByDom(el.current) ?? echarts.init(el.current);
    chart.setOption({
      tooltip: { trigger: 'axis' },
      grid: { left: 60, right: 110, top: 30, bottom: 40 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', name: params[trend.parameter] ?? trend.parameter },
      series: [{
        type: 'line', name: params[trend.parameter] ?? trend.parameter, symbolSize: 9,
        data: trend.data.map((d) => ({ value: [d.sampledAt, d.value], itemStyle: { color: STATUS_HEX[d.status] ?? '#1677ff' } })),
        markLine: { symbol: 'none', data: [...lines(trend.limits.alert, w.alertLimit, STATUS_HEX.alert), ...lines(trend.limits.action, w.actionLimit, STATUS_HEX.action)] },
      }],
    }, true);
    const onResize = () => chart.resize();
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, [trend, params, w.alertLimit, w.actionLimit]);
  useEffect(() => () => { if (el.current) echarts.getInstanceByDom(el.current)?.dispose(); }, []);

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <Select id="ct-trend-point" style={{ minWidth: 260 }} placeholder={w.point} options={points} value={point} onChange={setPoint} showSearch optionFilterProp="label" />
        <Select id="ct-trend-parameter" style={{ minWidth: 220 }} placeholder={w.parameter} value={parameter} onChange={setParameter}
          options={(current?.parameters ?? []).map((p) => ({ value: p, label: params[p] ?? p }))} />
      </Space>
      {error && <Alert type="error" showIcon message={error} />}
      {trend && (
        <>
          <Typography.Title level={5} translate="no">{fill(w.trendTitle, { point: trend.point.name, parameter: params[trend.parameter] ?? trend.parameter })}</Typography.Title>
          <Space className="ct-trend-limits">
            <Tag color="orange">{w.alertLimit} {bandText(trend.limits.alert)}</Tag>
            <Tag color="red">{w.actionLimit} {bandText(trend.limits.action)}</Tag>
          </Space>
        </>
      )}
      {/* The plotted values and limit lines, readable without the canvas (tests, assistive tools). */}
      <div ref={el} className="ct-trend-chart" style={{ width: '100%', height: 360, display: trend ? 'block' : 'none' }}
        data-values={JSON.stringify(trend?.data.map((d) => d.value) ?? [])}
        data-lines={JSON.stringify(trend ? [...lines(trend.limits.alert, '', ''), ...lines(trend.limits.action, '', '')].map((l) => l.yAxis) : [])} />
      {trend && (
        <Table size="small" rowKey="id" pagination={{ pageSize: 20 }} dataSource={[...trend.data].reverse()} locale={{ emptyText: w.none }}
          columns={[
            { title: w.sampledAt, key: 't', render: (_v, r) => dayjs(r.sampledAt).format('YYYY-MM-DD HH:mm') },
            { title: w.value, dataIndex: 'value', key: 'v' },
            { title: w.status, key: 's', render: (_v, r) => <Tag color={STATUS_COLOR[r.status]}>{w[r.status as 'ok'] ?? r.status}</Tag> },
            { title: w.deviation, key: 'd', render: (_v, r) => (r.deviation ? <a href={`/record/deviation/${r.deviation}`}>{w.deviation}</a> : '—') },
          ]} />
      )}
    </Space>
  );
}
