import { useEffect, useState } from 'react';
import { Alert, Card, Col, Drawer, Row, Space, Statistic, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import { dictLabels, errText, fill, pickLabel, words, type Api, type Lang, type Words } from './shared';

interface Figure { entity: string; filter: Record<string, unknown>; count: number }
const FIGURES = ['openReviews', 'openDeviations', 'dueSamplings', 'overdueSamplings', 'openSpotChecks', 'emAlerts', 'emActions'] as const;

/** The QC lead's overview: each figure opens the records it counts. */
export default function Overview({ api, lang = 'zh-CN' }: { api: Api; lang?: Lang }) {
  const w = words(lang);
  const [o, setO] = useState<any>(null);
  const [types, setTypes] = useState<Record<string, string>>({});
  const [meta, setMeta] = useState<any>(null);
  const [open, setOpen] = useState<{ title: string; figure: Figure; rows: any[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    dictLabels(api, lang, 'qcType').then(setTypes).catch(() => undefined);
    api('/api/v1/meta').then((b) => setMeta(b.data ?? b)).catch(() => undefined);
    api('/api/v1/qc/overview').then((b) => setO(b.data)).catch((e) => setError(errText(e)));
  }, [api, lang]);
  const show = async (title: string, f: Figure | null) => {
    if (!f) return;
    try {
      const b = await api(`/api/v1/data/${f.entity}`, { query: { filter: JSON.stringify(f.filter), limit: 200 } });
      setOpen({ title, figure: f, rows: b.data });
    } catch (e) {
      setError(errText(e));
    }
  };
  const card = (title: string, f: Figure | null) => (
    <Card size="small" hoverable={!!f} onClick={() => show(title, f)} data-figure={title}>
      <Statistic title={title} value={f ? f.count : w.noAccess} />
    </Card>
  );
  const columns = (f: Figure) => {
    const e = meta?.entities?.[f.entity];
    const titleField = e?.['x-title'] ?? 'id';
    const props = e?.properties ?? {};
    const enumField = ['status', 'reviewStatus', 'result'].find((k) => props[k]?.['x-enum-labels']);
    const dateField = ['testedAt', 'occurredAt', 'dueAt', 'sampledAt', 'dueDate'].find((k) => props[k]);
    return [
      { title: w.title, key: 't', render: (_v: unknown, r: any) => <a href={`/record/${f.entity}/${r.id}`}>{String(r[titleField] ?? r.id)}</a> },
      ...(dateField ? [{ title: pickLabel(props[dateField]['x-label'], lang, w.date), key: 'd', render: (_v: unknown, r: any) => (r[dateField] ? dayjs(r[dateField]).format('YYYY-MM-DD HH:mm') : '—') }] : []),
      ...(enumField ? [{ title: pickLabel(props[enumField]['x-label'], lang, w.status), key: 'e', render: (_v: unknown, r: any) => pickLabel(props[enumField]['x-enum-labels'][r[enumField]], lang, '—') }] : []),
    ];
  };
  return (
    <div>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {o && (
        <>
          <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
            <Typography.Title level={5}>{fill(w.overviewTitle, { days: o.days })}</Typography.Title>
            {/* Pass rates by kind and lab side by side: the shipped report, with its period and Excel export. */}
            <a href="/report/qcPassRate" className="qc-by-lab">{w.byLab}</a>
          </Space>
          <Row gutter={[12, 12]}>
            {o.passRates.map((r: any) => (
              <Col key={r.qcType} xs={12} md={8} xl={4}>
                <Card size="small" hoverable onClick={() => show(`${types[r.qcType] ?? r.qcType} · ${w.passed}`, r.passed)} data-figure={`${r.qcType}-rate`}>
                  <Statistic title={`${types[r.qcType] ?? r.qcType} · ${w.passRate}`} value={r.rate ?? '—'} suffix={r.rate == null ? undefined : `% (${r.passed.count}/${r.judged.count})`} />
                </Card>
              </Col>
            ))}
          </Row>
          <Row gutter={[12, 12]} style={{ marginTop: 12 }}>
            {FIGURES.map((k) => <Col key={k} xs={12} md={8} xl={6}>{card(w[k as keyof Words], o[k])}</Col>)}
          </Row>
        </>
      )}
      <Drawer open={!!open} width={640} title={open?.title} onClose={() => setOpen(null)}>
        {open && <Table size="small" rowKey="id" dataSource={open.rows} columns={columns(open.figure)} pagination={{ pageSize: 20 }} />}
      </Drawer>
    </div>
  );
}
