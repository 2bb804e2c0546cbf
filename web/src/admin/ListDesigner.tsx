import { Button, Card, Col, InputNumber, Row, Select, Space, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { currentLang, pick } from '../i18n';
import { useMeta, type ListDef } from '../meta';
import { DesignerFrame, LabelInput, SortableList, useDefinition, type Label } from './common';

type ListDraft = ListDef & { indexes?: string[][]; pageSize?: number };

export default function ListDesigner({ id }: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const state = useDefinition<ListDraft>('list', id, () => ({ $id: id, entity: meta.entities[id] ? id : Object.keys(meta.entities)[0], columns: [] }));
  const { draft, setDraft } = state;
  const frame = (body: React.ReactNode) => <DesignerFrame kind="list" id={id} title={t('admin.listDesigner')} state={state}>{body}</DesignerFrame>;
  if (!draft) return frame(null);
  const props = meta.entities[draft.entity]?.properties ?? {};
  const label = (f: string) => pick(props[f]?.['x-label'], lang, f);
  const opts = (exclude: string[] = []) => Object.keys(props).filter((f) => !exclude.includes(f)).map((f) => ({ value: f, label: `${label(f)} (${f})` }));
  const sort = (draft.defaultSort ?? []).map((s) => ({ field: s.replace(/^-/, ''), desc: s.startsWith('-') }));
  const setSort = (items: { field: string; desc: boolean }[]) => setDraft({ ...draft, defaultSort: items.map((s) => (s.desc ? '-' : '') + s.field) });

  return frame(
    <Row gutter={16}>
      <Col xs={24} lg={12}>
        <Card size="small" className="ct-section" title={t('admin.listLabel')}>
          <LabelInput value={draft.label as Label} onChange={(l) => setDraft({ ...draft, label: l })} />
          <Space style={{ marginTop: 8 }}>
            <span>{t('admin.pageSize')}</span>
            <InputNumber aria-label={t('admin.pageSize')} min={10} max={1000} value={draft.pageSize} onChange={(v) => setDraft({ ...draft, pageSize: v ?? undefined })} />
          </Space>
        </Card>
        <Card size="small" className="ct-section" title={t('admin.columns')}>
          <SortableList
            items={draft.columns}
            idOf={(c) => c}
            onChange={(columns) => setDraft({ ...draft, columns })}
            render={(c) => (
              <Space style={{ width: '100%', justifyContent: 'space-between' }}>
                <span>{label(c)} <Typography.Text type="secondary" code>{c}</Typography.Text></span>
                <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('admin.removeColumn', { field: c })} onClick={() => setDraft({ ...draft, columns: draft.columns.filter((x) => x !== c) })} />
              </Space>
            )}
          />
          <Select aria-label={t('admin.addColumn')} placeholder={t('admin.addColumn')} style={{ width: 260, marginTop: 8 }} value={null} showSearch optionFilterProp="label" options={opts(draft.columns)} onChange={(f: string | null) => f && setDraft({ ...draft, columns: [...draft.columns, f] })} />
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card size="small" className="ct-section" title={t('admin.defaultSort')}>
          <SortableList
            items={sort}
            idOf={(s) => s.field}
            onChange={setSort}
            render={(s, i) => (
              <Space>
                <span style={{ minWidth: 140, display: 'inline-block' }}>{label(s.field)}</span>
                <Select aria-label={t('admin.direction')} size="small" style={{ width: 110 }} value={s.desc ? 'desc' : 'asc'} options={[{ value: 'asc', label: t('admin.asc') }, { value: 'desc', label: t('admin.desc') }]} onChange={(v) => setSort(sort.map((x, j) => (j === i ? { ...x, desc: v === 'desc' } : x)))} />
                <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => setSort(sort.filter((_, j) => j !== i))} />
              </Space>
            )}
          />
          <Select aria-label={t('admin.addSort')} placeholder={t('admin.addSort')} style={{ width: 260, marginTop: 8 }} value={null} options={opts(sort.map((s) => s.field))} onChange={(f: string | null) => f && setSort([...sort, { field: f, desc: false }])} />
        </Card>
        <Card size="small" className="ct-section" title={t('admin.quickSearch')}>
          <Select aria-label={t('admin.quickSearch')} mode="multiple" style={{ width: '100%' }} value={draft.quickSearch ?? []} options={opts()} onChange={(v: string[]) => setDraft({ ...draft, quickSearch: v })} />
        </Card>
        <Card size="small" className="ct-section" title={t('admin.indexes')} extra={<Button size="small" icon={<PlusOutlined />} onClick={() => setDraft({ ...draft, indexes: [...(draft.indexes ?? []), []] })}>{t('admin.addIndex')}</Button>}>
          <Typography.Paragraph type="secondary">{t('admin.indexesHint')}</Typography.Paragraph>
          {(draft.indexes ?? []).map((ix, i) => (
            <Space key={i} style={{ display: 'flex', marginBottom: 6 }}>
              <Select aria-label={t('admin.indexFields', { n: i + 1 })} mode="multiple" style={{ width: 360 }} value={ix} options={opts()} maxCount={6} onChange={(v: string[]) => setDraft({ ...draft, indexes: (draft.indexes ?? []).map((x, j) => (j === i ? v : x)) })} />
              <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => setDraft({ ...draft, indexes: (draft.indexes ?? []).filter((_, j) => j !== i) })} />
            </Space>
          ))}
        </Card>
      </Col>
    </Row>,
  );
}
