import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Card, Empty, Image, Input, Space, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { errText, fill, when, words, type TabProps } from './shared';

echarts.use([LineChart, GridComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

interface Log {
  range: { min: number | null; max: number | null };
  boxTemperature: number | null;
  readings: { at: string; celsius: number }[];
  signature: { signer: string; signedAt: string } | null;
}

/** The external receiver's signature drawn with a finger or stylus on the tablet. */
function SignaturePad({ onChange, clearLabel }: { onChange: (png: string | null) => void; clearLabel: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const point = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return [((e.clientX - r.left) * e.currentTarget.width) / r.width, ((e.clientY - r.top) * e.currentTarget.height) / r.height] as const;
  };
  const clear = () => {
    const c = ref.current!;
    c.getContext('2d')!.clearRect(0, 0, c.width, c.height);
    onChange(null);
  };
  return (
    <Space direction="vertical">
      <canvas
        ref={ref}
        width={560}
        height={180}
        aria-label="signature-pad"
        style={{ border: '1px dashed #999', borderRadius: 4, touchAction: 'none', maxWidth: '100%', background: '#fff' }}
        onPointerDown={(e) => {
          drawing.current = true;
          const g = e.currentTarget.getContext('2d')!;
          g.lineWidth = 2.5;
          g.lineCap = 'round';
          g.beginPath();
          g.moveTo(...point(e));
        }}
        onPointerMove={(e) => {
          if (!drawing.current) return;
          const g = e.currentTarget.getContext('2d')!;
          g.lineTo(...point(e));
          g.stroke();
        }}
        onPointerUp={(e) => {
          drawing.current = false;
          onChange(e.currentTarget.toDataURL('image/png'));
        }}
      />
      <Button onClick={clear}>{clearLabel}</Button>
    </Space>
  );
}

/**
 * A handover's transport temperature: the data logger's readings charted against the product's allowed
 * range, the CSV import, and the external receiver's signature on the tablet.
 */
export default function TemperatureLog({ api, lang, record, reload }: TabProps) {
  const w = words(lang);
  const { message } = App.useApp();
  const [log, setLog] = useState<Log | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [png, setPng] = useState<string | null>(null);
  const [name, setName] = useState<string>(String(record.receiverName ?? ''));
  const [busy, setBusy] = useState(false);
  const chartEl = useRef<HTMLDivElement>(null);
  const load = useCallback(() => {
    api(`/api/v1/order-chain/handovers/${String(record.id)}/temperature`)
      .then((b) => setLog(b.data))
      .catch((e) => setError(errText(e)));
  }, [api, record.id]);
  useEffect(load, [load, record.version]);
  useEffect(() => {
    if (!log?.readings.length || !chartEl.current) return;
    const chart = echarts.init(chartEl.current);
    const { min, max } = log.range;
    chart.setOption({
      tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 24, top: 24, bottom: 32 },
      xAxis: { type: 'time' },
      // The allowed band always in view, with the readings around it.
      yAxis: {
        type: 'value', name: '°C',
        min: (v: { min: number }) => Math.floor(Math.min(v.min, min ?? v.min) - 1),
        max: (v: { max: number }) => Math.ceil(Math.max(v.max, max ?? v.max) + 1),
      },
      series: [
        {
          name: w.reading, type: 'line', showSymbol: false, data: log.readings.map((r) => [r.at, r.celsius]),
          markArea: min != null && max != null ? { silent: true, itemStyle: { color: 'rgba(82,196,26,0.12)' }, data: [[{ yAxis: min }, { yAxis: max }]] } : undefined,
          markLine: { symbol: 'none', lineStyle: { color: '#cf1322', type: 'dashed' }, data: [min, max].filter((v) => v != null).map((v) => ({ yAxis: v, label: { formatter: `${String(v)} °C` } })) },
        },
      ],
    });
    const onResize = () => chart.resize();
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      chart.dispose();
    };
  }, [log, w.reading]);

  const upload = async (file: File) => {
    setBusy(true);
    try {
      const csv = await file.text();
      const r = await api(`/api/v1/data/handover/${String(record.id)}/actions/importTemperatureLog`, { method: 'POST', body: { csv } });
      void message.success(fill(w.uploaded, { n: r?.data?.readingCount ?? '' }));
      reload();
    } catch (e) {
      void message.error(errText(e));
    } finally {
      setBusy(false);
    }
    return false;
  };
  const sign = async () => {
    if (!name.trim()) return void message.error(w.needName);
    if (!png) return void message.error(w.needSign);
    setBusy(true);
    try {
      await api(`/api/v1/data/handover/${String(record.id)}/actions/confirmExternalReceipt`, { method: 'POST', body: { receiverName: name.trim(), drawing: png } });
      void message.success(w.signed);
      reload();
    } catch (e) {
      void message.error(errText(e));
    } finally {
      setBusy(false);
    }
  };

  if (error) return <Alert type="error" message={error} />;
  const range = log && (log.range.min != null || log.range.max != null) ? `${w.range}: ${log.range.min ?? '—'} – ${log.range.max ?? '—'} °C` : '';
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <Upload accept=".csv,.txt,text/csv" showUploadList={false} beforeUpload={(f) => void upload(f) as unknown as boolean}>
          <Button icon={<UploadOutlined />} loading={busy}>{w.upload}</Button>
        </Upload>
        <Typography.Text type="secondary">{range}</Typography.Text>
        {log?.boxTemperature != null && <Typography.Text type="secondary">{w.box}: {log.boxTemperature} °C</Typography.Text>}
      </Space>
      {log?.readings.length ? <div ref={chartEl} role="img" aria-label={w.reading} style={{ width: '100%', height: 280 }} /> : <Empty description={w.noReadings} />}
      {record.receiverKind === 'external' && record.state === 'dispatched' && (
        <Card size="small" title={w.sign}>
          <Space direction="vertical">
            <Typography.Text type="secondary">{w.signHint}</Typography.Text>
            <Input aria-label={w.receiverName} placeholder={w.receiverName} value={name} maxLength={50} onChange={(e) => setName(e.target.value)} style={{ maxWidth: 320 }} />
            <SignaturePad onChange={setPng} clearLabel={w.clear} />
            <Button type="primary" loading={busy} onClick={() => void sign()}>{w.confirm}</Button>
          </Space>
        </Card>
      )}
      {log?.signature && (
        <Card size="small" title={fill(w.signedBy, { name: log.signature.signer, at: when(log.signature.signedAt) })}>
          <Image src={`/api/v1/order-chain/handovers/${String(record.id)}/signature`} alt={log.signature.signer} width={280} />
        </Card>
      )}
    </Space>
  );
}
