// The home page: the dashboard of the user's role (administrators and holders of several may switch), tiles live.
import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Col, Result, Row, Select, Space, Tooltip, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import dayjs from 'dayjs';
import { api, errorText } from '../api';
import { currentLang, pick } from '../i18n';
import { useMeta } from '../meta';
import { navigate } from '../router';
import Tile, { SPAN, type TileData, type TileDef } from './Tile';
import './messages';

interface Listed { id: string; label: unknown; roles: string[] }

export default function DashboardView({ id }: { id?: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const [list, setList] = useState<{ data: Listed[]; home: string | null } | null>(null);
  const [tiles, setTiles] = useState<Record<string, TileData> | null>(null);
  const [at, setAt] = useState<Date | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ data: Listed[]; home: string | null }>('/api/v1/dashboards').then(setList).catch((e: unknown) => setError(errorText(e)));
  }, []);
  const current = id ?? list?.home ?? undefined;
  const def = current ? (meta.kinds.dashboard?.[current] as { label?: unknown; tiles: TileDef[] } | undefined) : undefined;
  const load = useCallback(() => {
    if (!current) return;
    setTiles(null);
    api<{ data: { tiles: TileData[] } }>(`/api/v1/dashboards/${encodeURIComponent(current)}/data`)
      .then((b) => {
        setTiles(Object.fromEntries(b.data.tiles.map((x) => [x.key, x])));
        setAt(new Date());
        setError(null);
      })
      .catch((e: unknown) => setError(errorText(e)));
  }, [current, meta.version]); // eslint-disable-line
  useEffect(load, [load]);
  // Live: the figures refresh every two minutes while the page is open.
  useEffect(() => {
    const h = window.setInterval(load, 120_000);
    return () => window.clearInterval(h);
  }, [load]);

  if (list && !current) return <Result status="info" title={t('dash.welcome')} subTitle={t('dash.none')} />;
  return (
    <div className="ct-page ct-dashboard" data-dashboard={current}>
      <div className="ct-toolbar">
        <Typography.Title level={4} style={{ margin: 0 }}>{def ? pick(def.label, lang, current) : t('dash.home')}</Typography.Title>
        <span className="ct-spacer" />
        <Space>
          {at && <Typography.Text type="secondary">{t('dash.updated', { time: dayjs(at).format('HH:mm') })}</Typography.Text>}
          {list && list.data.length > 1 && (
            <Select
              aria-label={t('dash.switch')}
              style={{ minWidth: 200 }}
              value={current}
              onChange={(v: string) => void navigate(v === list.home ? '/' : `/dashboard/${encodeURIComponent(v)}`)}
              options={list.data.map((d) => ({ value: d.id, label: pick(d.label, lang, d.id) }))}
            />
          )}
          <Tooltip title={t('dash.refresh')}>
            <Button aria-label={t('dash.refresh')} icon={<ReloadOutlined />} onClick={load} />
          </Tooltip>
        </Space>
      </div>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      <Row gutter={[12, 12]}>
        {(def?.tiles ?? []).map((d) => (
          <Col key={d.key} xs={24} md={Math.max(12, SPAN[d.size ?? 'small'])} xl={SPAN[d.size ?? 'small']}>
            <Tile def={d} data={tiles?.[d.key]} />
          </Col>
        ))}
      </Row>
    </div>
  );
}
