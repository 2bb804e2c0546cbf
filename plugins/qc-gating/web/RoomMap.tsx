import { useEffect, useState } from 'react';
import { Alert, Card, Col, Row, Space, Tag, Tooltip, Typography } from 'antd';
import { STATUS_COLOR, STATUS_HEX, dictLabels, errText, words, type Api, type Lang } from './shared';

interface MapPoint { id: number; code: string; name: string; mapX: number | null; mapY: number | null; parameters: string[]; status: string | null; latest: { parameter: string; value: number; status: string }[] }
interface MapRoom { id: number; code: string; name: string; grade: string; parent: number | null; status: string | null; points: MapPoint[] }

const trendHref = (p: number, par?: string) => `/plugin/${encodeURIComponent('qc-gating/EmTrend')}?point=${p}${par ? `&parameter=${par}` : ''}`;

/** The room map (R-3.3.6): every room and its sampling points coloured by their latest status; a point opens its trend. */
export default function RoomMap({ api, lang = 'zh-CN' }: { api: Api; lang?: Lang }) {
  const w = words(lang);
  const [rooms, setRooms] = useState<MapRoom[]>([]);
  const [grades, setGrades] = useState<Record<string, string>>({});
  const [params, setParams] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    dictLabels(api, lang, 'cleanGrade').then(setGrades).catch(() => undefined);
    dictLabels(api, lang, 'emParameter').then(setParams).catch(() => undefined);
    api('/api/v1/qc/em/room-map').then((b) => setRooms(b.data)).catch((e) => setError(errText(e)));
  }, [api, lang]);
  const statusTag = (s: string | null) => <Tag color={s ? STATUS_COLOR[s] : 'default'}>{s ? (w[s as 'ok'] ?? s) : w.none}</Tag>;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Text type="secondary">{w.legend}</Typography.Text>
      {error && <Alert type="error" showIcon message={error} />}
      <Row gutter={[12, 12]}>
        {rooms.map((r) => (
          <Col key={r.id} xs={24} md={12} xl={8}>
            <Card size="small" data-room={r.code} title={<Space><span translate="no">{r.code} {r.name}</span><Tag>{grades[r.grade] ?? r.grade}</Tag></Space>} extra={statusTag(r.status)}
              style={{ borderColor: r.status ? STATUS_HEX[r.status] : undefined, borderWidth: r.status && r.status !== 'ok' ? 2 : 1 }}>
              <div style={{ position: 'relative', height: 140, background: '#fafafa', border: '1px dashed #d9d9d9', marginBottom: 8 }}>
                {r.points.map((p, i) => (
                  <Tooltip key={p.id} title={`${p.code} ${p.name}: ${p.latest.map((l) => `${params[l.parameter] ?? l.parameter} ${l.value}`).join('; ') || w.none}`}>
                    <a href={trendHref(p.id)} aria-label={`${p.code} ${p.name}`}
                      style={{ position: 'absolute', left: `${p.mapX ?? 10 + ((i * 17) % 80)}%`, top: `${p.mapY ?? 20 + ((i * 23) % 60)}%`, width: 16, height: 16, borderRadius: 8, background: p.status ? STATUS_HEX[p.status] : '#bfbfbf', transform: 'translate(-50%, -50%)' }} />
                  </Tooltip>
                ))}
              </div>
              {r.points.map((p) => (
                <div key={p.id}><a href={trendHref(p.id)} translate="no">{p.code} {p.name}</a> {statusTag(p.status)}</div>
              ))}
            </Card>
          </Col>
        ))}
      </Row>
    </Space>
  );
}
