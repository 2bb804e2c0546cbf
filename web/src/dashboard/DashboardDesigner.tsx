// The dashboard designer (no code): tiles added, removed, reordered; per tile the entity, measure, group-by, chart,
// size and filter, or a plugin figure. Saved like every designer: PUT /api/v1/meta/dashboard/{id} with a reason,
// validated by the server (pointers shown under the controls), versioned and rolled back in the frame.
import { useEffect, useState } from 'react';
import { Button, Card, Col, Empty, Input, InputNumber, Radio, Row, Select, Space, Tag, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { currentLang, pick } from '../i18n';
import { fieldLabel, useMeta, type Meta } from '../meta';
import { DesignerFrame, LabelInput, SortableList, useDefinition, type Label } from '../admin/common';
import { ErrorText, JsonInput, type PathError } from '../admin/designerKit';
import type { TileDef } from './Tile';
import './messages';

interface DashboardDraft { $id: string; label: Label; roles?: string[]; order?: number; tiles: TileDef[] }

const CHARTS = ['number', 'bar', 'line', 'pie', 'table'] as const;
const SIZES = ['small', 'medium', 'large', 'full'] as const;
const BUCKETS = ['day', 'week', 'month', 'quarter', 'year'];
const SYSTEM = ['createdAt', 'createdBy', 'labId', 'orgId'];

function groupOptions(meta: Meta, entity: string, lang: 'zh-CN' | 'en', t: (k: string, o?: Record<string, unknown>) => string) {
  const props = meta.entities[entity]?.properties ?? {};
  const out: { value: string; label: string }[] = [];
  for (const f of [...Object.keys(props), ...SYSTEM]) {
    const p = props[f];
    if (p && (p.type === 'array' || p.type === 'object' || p['x-type'] === 'text' || p['x-type'] === 'json' || p['x-type'] === 'attachment' || p['x-encrypted'])) continue;
    if (p && (p.type === 'number' || (p.type === 'integer' && !p['x-ref'] && !p['x-user'])) && !p.enum) continue;
    const name = fieldLabel(meta, entity, f, lang);
    const isDate = p?.format === 'date' || p?.format === 'date-time' || f === 'createdAt';
    if (!isDate || p?.format === 'date') out.push({ value: f, label: name });
    if (isDate) for (const b of BUCKETS) out.push({ value: `${f}:${b}`, label: t('dash.designer.bucket', { field: name, bucket: t(`dash.designer.buckets.${b}`) }) });
  }
  return out;
}

function measureOptions(meta: Meta, entity: string, lang: 'zh-CN' | 'en', t: (k: string, o?: Record<string, unknown>) => string) {
  const props = meta.entities[entity]?.properties ?? {};
  const nums = Object.keys(props).filter((f) => (props[f].type === 'number' || props[f].type === 'integer') && !props[f]['x-ref'] && !props[f]['x-user'] && !props[f]['x-encrypted']);
  return [
    { value: 'count', label: t('dash.designer.count') },
    ...nums.flatMap((f) => (['sum', 'avg', 'min', 'max'] as const).map((op) => ({ value: `${op}:${f}`, label: t(`dash.designer.${op}Of`, { field: fieldLabel(meta, entity, f, lang) }) }))),
  ];
}

function TileEditor({ tile, index, onChange, errors, figures }: { tile: TileDef; index: number; onChange(t: TileDef): void; errors: PathError[]; figures: { key: string; entity: string; label: unknown }[] }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const base = `/tiles/${index}`;
  const q = tile.query;
  const setQuery = (patch: Partial<NonNullable<TileDef['query']>>) => {
    const next = { ...(q ?? { entity: '' }), ...patch };
    for (const k of Object.keys(next) as (keyof typeof next)[]) if (next[k] === undefined || (Array.isArray(next[k]) && !(next[k] as unknown[]).length)) delete next[k];
    onChange({ ...tile, query: next as TileDef['query'] });
  };
  const groups = q?.entity ? groupOptions(meta, q.entity, lang, t) : [];
  const row = (labelText: string, control: React.ReactNode, path: string) => (
    <div style={{ marginBottom: 10 }}>
      <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>{labelText}</Typography.Text>
      {control}
      <ErrorText errors={errors} path={`${base}${path}`} />
    </div>
  );
  return (
    <Card size="small" title={t('dash.designer.tileTitle')} className="ct-tile-editor" data-tile={tile.key}>
      {row(t('dash.designer.tileTitle'), <LabelInput id="ct-tile-title" value={tile.title} onChange={(title) => onChange({ ...tile, title })} />, '/title')}
      <Space wrap>
        {row(t('dash.designer.key'), <Input aria-label={t('dash.designer.key')} style={{ width: 160 }} value={tile.key} onChange={(e) => onChange({ ...tile, key: e.target.value })} />, '/key')}
        {row(t('dash.designer.chart'), <Select aria-label={t('dash.designer.chart')} style={{ width: 130 }} value={tile.chart} options={CHARTS.map((c) => ({ value: c, label: t(`dash.designer.charts.${c}`) }))} onChange={(chart) => onChange({ ...tile, chart })} />, '/chart')}
        {row(t('dash.designer.size'), <Select aria-label={t('dash.designer.size')} style={{ width: 110 }} value={tile.size ?? 'small'} options={SIZES.map((c) => ({ value: c, label: t(`dash.designer.sizes.${c}`) }))} onChange={(size) => onChange({ ...tile, size })} />, '/size')}
      </Space>
      {row(
        t('dash.designer.source'),
        <Radio.Group
          value={tile.source ? 'figure' : 'query'}
          onChange={(e) => {
            const { query: _q, source: _s, ...rest } = tile;
            onChange(e.target.value === 'figure' ? { ...rest, source: { figure: figures[0]?.key ?? '' } } : { ...rest, query: { entity: '' } });
          }}
          options={[{ value: 'query', label: t('dash.designer.sourceQuery') }, { value: 'figure', label: t('dash.designer.sourceFigure') }]}
        />,
        '',
      )}
      {tile.source ? (
        row(t('dash.designer.figure'), <Select aria-label={t('dash.designer.figure')} style={{ width: '100%' }} value={tile.source.figure || undefined} options={figures.map((f) => ({ value: f.key, label: pick(f.label, lang, f.key) }))} onChange={(figure: string) => onChange({ ...tile, source: { figure } })} />, '/source/figure')
      ) : (
        <>
          {row(
            t('dash.designer.entity'),
            <Select
              aria-label={t('dash.designer.entity')} showSearch optionFilterProp="label" style={{ width: '100%' }} value={q?.entity || undefined}
              options={Object.keys(meta.entities).map((e) => ({ value: e, label: pick(meta.entities[e]['x-label'], lang, e) }))}
              onChange={(entity: string) => onChange({ ...tile, list: undefined, query: { entity } })}
            />,
            '/query/entity',
          )}
          {q?.entity && (
            <>
              <Space wrap>
                {row(t('dash.designer.measure'), <Select aria-label={t('dash.designer.measure')} style={{ width: 200 }} value={q.measure ?? 'count'} options={measureOptions(meta, q.entity, lang, t)} onChange={(m: string) => setQuery({ measure: m === 'count' ? undefined : m })} />, '/query/measure')}
                {row(t('dash.designer.groupBy'), <Select aria-label={t('dash.designer.groupBy')} allowClear showSearch optionFilterProp="label" style={{ width: 200 }} value={q.groupBy?.[0]} options={groups} onChange={(g?: string) => setQuery({ groupBy: g ? [g, ...(q.groupBy?.slice(1) ?? [])] : undefined })} />, '/query/groupBy')}
                {q.groupBy?.[0] && row(t('dash.designer.groupBy2'), <Select aria-label={t('dash.designer.groupBy2')} allowClear showSearch optionFilterProp="label" style={{ width: 200 }} value={q.groupBy?.[1]} options={groups.filter((g) => g.value !== q.groupBy?.[0])} onChange={(g?: string) => setQuery({ groupBy: g ? [q.groupBy![0], g] : [q.groupBy![0]] })} />, '/query/groupBy/1')}
                {q.groupBy?.[0] && row(t('dash.designer.sort'), <Select aria-label={t('dash.designer.sort')} style={{ width: 160 }} value={q.sort ?? 'group'} options={['group', 'valueDesc'].map((v) => ({ value: v, label: t(`dash.designer.sorts.${v}`) }))} onChange={(v: string) => setQuery({ sort: v === 'group' ? undefined : v })} />, '/query/sort')}
              </Space>
              {row(t('dash.designer.filter'), <JsonInput ariaLabel={t('dash.designer.filter')} value={q.filter} onChange={(filter) => setQuery({ filter })} placeholder={t('dash.designer.filterHint')} />, '/query/filter')}
              {row(t('dash.designer.ratioOf'), <JsonInput ariaLabel={t('dash.designer.ratioOf')} value={q.ratioOf} onChange={(ratioOf) => setQuery({ ratioOf })} placeholder='{"result": "pass"}' />, '/query/ratioOf')}
              {row(
                t('dash.designer.list'),
                <Select aria-label={t('dash.designer.list')} allowClear style={{ width: '100%' }} value={tile.list}
                  options={Object.values(meta.lists).filter((l) => l.entity === q.entity).map((l) => ({ value: l.$id, label: pick(l.label, lang, l.$id) }))}
                  onChange={(list?: string) => onChange({ ...tile, list })} />,
                '/list',
              )}
            </>
          )}
        </>
      )}
    </Card>
  );
}

export default function DashboardDesigner({ id }: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const state = useDefinition<DashboardDraft>('dashboard', id, () => ({ $id: id, label: { 'zh-CN': id }, roles: [], tiles: [] }));
  const { draft, setDraft } = state;
  const [selected, setSelected] = useState(0);
  const [errors, setErrors] = useState<PathError[]>([]);
  const [figures, setFigures] = useState<{ key: string; entity: string; label: unknown }[]>([]);
  useEffect(() => {
    api<{ figures?: { key: string; entity: string; label: unknown }[] }>('/api/v1/dashboards').then((b) => setFigures(b.figures ?? [])).catch(() => undefined);
  }, []);
  const frame = (body: React.ReactNode) => <DesignerFrame kind="dashboard" id={id} title={t('dash.designer.title')} state={state} onErrors={setErrors}>{body}</DesignerFrame>;
  if (!draft) return frame(null);
  const tiles = draft.tiles ?? [];
  const setTiles = (next: TileDef[]) => setDraft({ ...draft, tiles: next });
  const addTile = () => {
    let n = tiles.length + 1;
    while (tiles.some((x) => x.key === `tile${n}`)) n++;
    setTiles([...tiles, { key: `tile${n}`, title: { 'zh-CN': `${t('dash.designer.tileTitle')} ${n}` }, chart: 'number', size: 'small', query: { entity: '' } }]);
    setSelected(tiles.length);
  };
  const roles = Object.entries(meta.kinds.role ?? {}).map(([k, r]) => ({ value: k, label: pick((r as { label?: unknown }).label, lang, k) }));
  const cur = tiles[selected];
  return frame(
    <Row gutter={16}>
      <Col xs={24} lg={10}>
        <Card size="small" className="ct-section" title={t('dash.designer.label')}>
          <LabelInput value={draft.label} onChange={(l) => setDraft({ ...draft, label: l })} />
          <ErrorText errors={errors} path="/label" />
          <Space style={{ marginTop: 8 }} wrap>
            <Select aria-label={t('dash.designer.roles')} placeholder={t('dash.designer.roles')} mode="multiple" style={{ minWidth: 260 }} value={draft.roles ?? []} options={roles} onChange={(v: string[]) => setDraft({ ...draft, roles: v })} />
            <InputNumber aria-label={t('dash.designer.order')} placeholder={t('dash.designer.order')} min={0} max={10000} value={draft.order} onChange={(v) => setDraft({ ...draft, order: v ?? undefined })} />
          </Space>
          <ErrorText errors={errors} path="/roles" />
        </Card>
        <Card size="small" className="ct-section" title={t('dash.designer.tiles')} extra={<Button size="small" icon={<PlusOutlined />} onClick={addTile}>{t('dash.designer.addTile')}</Button>}>
          {!tiles.length && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />}
          <SortableList
            items={tiles}
            idOf={(x) => x.key}
            onChange={(next) => {
              const key = cur?.key;
              setTiles(next);
              setSelected(Math.max(0, next.findIndex((x) => x.key === key)));
            }}
            render={(x, i) => (
              <Space style={{ width: '100%', justifyContent: 'space-between' }}>
                <span>
                  {pick(x.title, lang, x.key)} <Tag>{t(`dash.designer.charts.${x.chart}`)}</Tag>
                  {errors.some((e) => e.path.startsWith(`/tiles/${i}/`) || e.path === `/tiles/${i}`) && <Tag color="red">!</Tag>}
                </span>
                <span>
                  <Button size="small" type={i === selected ? 'primary' : 'text'} icon={<EditOutlined />} aria-label={`${t('common.edit')} ${pick(x.title, lang, x.key)}`} onClick={() => setSelected(i)} />
                  <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('dash.designer.removeTile', { tile: pick(x.title, lang, x.key) })} onClick={() => { setTiles(tiles.filter((_y, j) => j !== i)); setSelected(0); }} />
                </span>
              </Space>
            )}
          />
        </Card>
      </Col>
      <Col xs={24} lg={14}>
        {cur && <TileEditor key={`${selected}`} tile={cur} index={selected} errors={errors} figures={figures} onChange={(next) => setTiles(tiles.map((x, j) => (j === selected ? next : x)))} />}
      </Col>
    </Row>,
  );
}
