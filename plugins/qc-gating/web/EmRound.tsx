import { useEffect, useState } from 'react';
import { Alert, Button, Card, Col, DatePicker, InputNumber, Row, Segmented, Select, Space, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { STATUS_COLOR, bandText, dictLabels, errText, fill, words, type Api, type Lang } from './shared';

interface Point { id: number; code: string; name: string; parameters: string[] }
interface Saved { id: number; point: number; parameter: string; value: number; status: string; actionLimit: any; alertLimit: any; deviation: number | null }

/**
 * The EM round: every sampling point of a room with its parameters on one screen, large inputs for a
 * tablet, one submit for the round; each result comes back judged against its grade limits, an excursion with its
 * deviation.
 */
export default function EmRound({ api, lang = 'zh-CN' }: { api: Api; lang?: Lang }) {
  const w = words(lang);
  const [rooms, setRooms] = useState<{ value: number; label: string }[]>([]);
  const [room, setRoom] = useState<number | undefined>();
  const [points, setPoints] = useState<Point[]>([]);
  const [samplings, setSamplings] = useState<{ value: number; label: string }[]>([]);
  const [sampling, setSampling] = useState<number | undefined>();
  const [occupancy, setOccupancy] = useState<'atRest' | 'inOperation'>('inOperation');
  const [at, setAt] = useState<Dayjs>(dayjs());
  const [values, setValues] = useState<Record<string, number | null>>({});
  const [params, setParams] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<Saved[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    dictLabels(api, lang, 'emParameter').then(setParams).catch(() => undefined);
    api('/api/v1/data/room', { query: { limit: 500, sort: 'code', fields: 'id,code,name,grade' } })
      .then((b) => setRooms(b.data.map((r: any) => ({ value: r.id, label: `${r.code} ${r.name}` }))))
      .catch((e) => setError(errText(e)));
    // A sampling opened from the inbox: /plugin/qc-gating%2FEmRound?sampling=12
    const s = Number(new URLSearchParams(window.location.search).get('sampling'));
    if (s > 0)
      api(`/api/v1/data/emSampling/${s}`).then((b) => {
        setRoom(b.data.room);
        setSampling(s);
        if (b.data.occupancy) setOccupancy(b.data.occupancy);
      }).catch(() => undefined);
  }, [api, lang]);

  useEffect(() => {
    if (!room) return;
    setSaved(null);
    setValues({});
    api('/api/v1/data/samplingPoint', { query: { limit: 500, sort: 'code', filter: JSON.stringify({ room }), fields: 'id,code,name,parameters,active' } })
      .then((b) => setPoints(b.data.filter((p: any) => p.active !== false)))
      .catch((e) => setError(errText(e)));
    api('/api/v1/data/emSampling', { query: { limit: 50, sort: 'dueAt', filter: JSON.stringify({ room, status: { in: ['due', 'overdue'] } }), fields: 'id,title,dueAt,status' } })
      .then((b) => setSamplings(b.data.map((s: any) => ({ value: s.id, label: s.title ?? String(s.id) }))))
      .catch(() => setSamplings([]));
  }, [api, room]);

  const key = (p: number, par: string) => `${p}|${par}`;
  const submit = async () => {
    const readings = points.flatMap((p) => p.parameters.filter((par) => values[key(p.id, par)] != null).map((par) => ({ point: p.id, parameter: par, value: values[key(p.id, par)] })));
    if (!readings.length) return setError(w.fillOne);
    setBusy(true);
    setError(null);
    try {
      const b = await api('/api/v1/qc/em/round', { method: 'POST', body: { readings, occupancy, sampledAt: at.toISOString(), ...(sampling ? { sampling } : {}) } });
      setSaved(b.data);
      setSamplings((xs) => xs.filter((s) => s.value !== sampling));
      setSampling(undefined);
    } catch (e) {
      setError(errText(e));
    } finally {
      setBusy(false);
    }
  };
  const result = (p: number, par: string) => saved?.find((s) => s.point === p && s.parameter === par);

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} className="ct-em-round">
      <Space wrap>
        <Select id="ct-em-room" style={{ minWidth: 240 }} size="large" placeholder={w.chooseRoom} options={rooms} value={room} onChange={setRoom} showSearch optionFilterProp="label" />
        <Select id="ct-em-sampling" style={{ minWidth: 240 }} size="large" allowClear placeholder={w.noSampling} options={samplings} value={sampling} onChange={setSampling} />
        <Segmented size="large" value={occupancy} onChange={(v) => setOccupancy(v as 'atRest' | 'inOperation')} options={[{ value: 'atRest', label: w.atRest }, { value: 'inOperation', label: w.inOperation }]} />
        <DatePicker size="large" showTime value={at} onChange={(d) => d && setAt(d)} disabledDate={(d) => d.isAfter(dayjs())} aria-label={w.sampledAt} />
      </Space>
      {error && <Alert type="error" showIcon message={error} />}
      {saved && <Alert type="success" showIcon message={fill(w.saved, { n: saved.length })} />}
      {room && !points.length && <Typography.Text type="secondary">{w.noPoints}</Typography.Text>}
      <Row gutter={[12, 12]}>
        {points.map((p) => (
          <Col key={p.id} xs={24} md={12} xl={8}>
            <Card size="small" title={<span translate="no">{p.code} {p.name}</span>} data-point={p.code}>
              {p.parameters.map((par) => {
                const r = result(p.id, par);
                return (
                  <div key={par} style={{ display: 'flex', alignItems: 'center', gap: 8, marginBottom: 8, flexWrap: 'wrap' }}>
                    <label htmlFor={`ct-em-${p.id}-${par}`} style={{ flex: '1 1 140px' }}>{params[par] ?? par}</label>
                    <InputNumber id={`ct-em-${p.id}-${par}`} size="large" style={{ width: 140 }} value={values[key(p.id, par)] ?? null} onChange={(v) => setValues((x) => ({ ...x, [key(p.id, par)]: v == null ? null : Number(v) }))} />
                    {r && <Tag color={STATUS_COLOR[r.status]}>{w[r.status as 'ok'] ?? r.status}</Tag>}
                    {r && r.status !== 'ok' && <Typography.Text type="secondary">{w.actionLimit} {bandText(r.actionLimit)}</Typography.Text>}
                    {r?.deviation && <a href={`/record/deviation/${r.deviation}`}>{w.deviationOpened}</a>}
                  </div>
                );
              })}
            </Card>
          </Col>
        ))}
      </Row>
      {points.length > 0 && <Button type="primary" size="large" block loading={busy} onClick={submit}>{w.submitRound}</Button>}
    </Space>
  );
}
