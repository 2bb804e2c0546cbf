import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Card, Select, Space, Table, Tag, Typography } from 'antd';
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
  limits: { alert: Band | null; action: Band | null };
  alertSource: { kind: 'site' | 'grade'; emAlertLevel: number | null };
  occupancy: 'atRest' | 'inOperation';
  suggestion: { n: number; mean: number | null; sd: number | null; p5: number | null; p95: number | null; suggested: Band | null; enough: boolean };
}
type Band = { min?: number; max?: number };

/** The form of a new site alert level, filled with the suggestion (the person checks it and saves). */
function adoptHref(t: Trend, w: ReturnType<typeof words>): string {
  const s = t.suggestion;
  const dates = t.data.map((d) => d.sampledAt.slice(0, 10));
  const q = new URLSearchParams({ point: String(t.point.id), parameter: t.parameter, occupancy: t.occupancy, effectiveFrom: dayjs().format('YYYY-MM-DD') });
  if (s.suggested?.max !== undefined) q.set('alertMax', String(s.suggested.max));
  if (s.suggested?.min !== undefined) q.set('alertMin', String(s.suggested.min));
  q.set('basis', fill(w.suggestBasis, { n: s.n, occupancy: w[t.occupancy], from: dates[0] ?? '', to: dates.at(-1) ?? '', pct: s.suggested?.max !== undefined ? 'P95' : 'P5' }));
  return `/form/emAlertLevel/new?${q}`;
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
      animation: false, // a QC record: the points where they are, at once (and in screenshots)
      tooltip: { trigger: 'axis' },
      grid: { left: 60, right: 110, top: 30, bottom: 40 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', name: params[trend.parameter] ?? trend.parameter, nameTextStyle: { align: 'left' } },
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
          <Space className="ct-trend-limits" wrap>
            <Tag color="orange">{w.alertLimit} {bandText(trend.limits.alert)}</Tag>
            <Tag color="red">{w.actionLimit} {bandText(trend.limits.action)}</Tag>
            {trend.alertSource.kind === 'site'
              ? <a href={`/record/emAlertLevel/${trend.alertSource.emAlertLevel}`}>{w.siteAlert}</a>
              : <Typography.Text type="secondary">{w.gradeAlert}</Typography.Text>}
          </Space>
          <Card size="small" className="ct-trend-suggestion" title={w.suggestTitle}>
            {trend.suggestion.n > 0 && (
              <Typography.Paragraph>{fill(w.suggestText, { ...trend.suggestion, occupancy: w[trend.occupancy] })}</Typography.Paragraph>
            )}
            {trend.suggestion.suggested
              ? (
                <Space wrap>
                  <Typography.Text strong>{fill(w.suggested, { band: bandText(trend.suggestion.suggested) })}</Typography.Text>
                  <Button href={adoptHref(trend, w)}>{w.adopt}</Button>
                </Space>
              )
              : <Typography.Text type="secondary">{w.tooFew}</Typography.Text>}
          </Card>
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
