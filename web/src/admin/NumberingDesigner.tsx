import { useEffect, useState } from 'react';
import { Alert, Button, Card, Col, Input, InputNumber, Row, Select, Space, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { currentLang, pick } from '../i18n';
import { useMeta } from '../meta';
import { DesignerFrame, LabelInput, SortableList, useDefinition, type Label } from './common';

interface Segment {
  type: string;
  [k: string]: unknown;
}
interface Rule {
  $id: string;
  kind?: 'numbering';
  label?: Label;
  separator?: string;
  segments: Segment[];
}

const TYPES = ['literal', 'date', 'field', 'dictionary', 'orgCode', 'labCode', 'sequence', 'check'];
const blankSegment = (type: string): Segment => {
  switch (type) {
    case 'literal': return { type, value: 'X' };
    case 'date': return { type, format: 'YYMMDD' };
    case 'field': return { type, field: '' };
    case 'dictionary': return { type, field: '', dictionary: '' };
    case 'sequence': return { type, width: 4, reset: 'daily' };
    case 'check': return { type, algorithm: 'iso7064-mod37-2' };
    default: return { type };
  }
};

export default function NumberingDesigner({ id }: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const state = useDefinition<Rule>('numbering', id, () => ({ $id: id, kind: 'numbering', label: { 'zh-CN': id, en: id }, segments: [{ type: 'literal', value: 'NO' }, { type: 'sequence', width: 5, reset: 'never' }] }));
  const { draft, setDraft } = state;
  const [sample, setSample] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<{ number?: string; error?: string } | null>(null);
  // Entities whose fields use this rule: their fields are the ones a field segment can read.
  const usedBy = Object.values(meta.entities).filter((e) => Object.values(e.properties).some((p) => p['x-numbering'] === id));
  const fields = [...new Set((usedBy.length ? usedBy : Object.values(meta.entities)).flatMap((e) => Object.keys(e.properties)))];
  const draftText = JSON.stringify(draft);
  const runPreview = () => {
    if (!draft) return;
    api<{ data: { number: string } }>('/api/v1/numbering/preview', { method: 'POST', body: { rule: { ...draft, kind: 'numbering' }, record: sample } })
      .then((b) => setPreview({ number: b.data.number }))
      .catch((e: unknown) => setPreview({ error: errorText(e) }));
  };
  useEffect(() => {
    const h = window.setTimeout(runPreview, 400);
    return () => window.clearTimeout(h);
  }, [draftText, JSON.stringify(sample)]); // eslint-disable-line

  const frame = (body: React.ReactNode) => <DesignerFrame kind="numbering" id={id} title={t('admin.numberingDesigner')} state={state}>{body}</DesignerFrame>;
  if (!draft) return frame(null);
  const setSeg = (i: number, s: Segment) => setDraft({ ...draft, segments: draft.segments.map((x, j) => (j === i ? s : x)) });
  const fieldSelect = (s: Segment, i: number) => (
    <Select aria-label={t('admin.segField')} style={{ width: 150 }} value={(s.field as string) || undefined} showSearch options={fields.map((f) => ({ value: f, label: f }))} onChange={(v: string) => setSeg(i, { ...s, field: v })} placeholder={t('admin.segField')} />
  );
  const segFields = [...new Set(draft.segments.map((s) => s.field as string | undefined).filter((f): f is string => !!f))];
  // Keys for the sortable list: segments have no id of their own.
  const keyed = draft.segments.map((s, i) => ({ s, k: `${i}:${s.type}` }));

  return frame(
    <Row gutter={16}>
      <Col xs={24} xl={15}>
        <Card size="small" className="ct-section">
          <Space wrap>
            <span>{t('admin.ruleLabel')}</span>
            <div style={{ width: 320 }}>
              <LabelInput value={draft.label} onChange={(l) => setDraft({ ...draft, label: l })} />
            </div>
            <span>{t('admin.separator')}</span>
            <Input aria-label={t('admin.separator')} style={{ width: 60 }} maxLength={3} value={draft.separator ?? ''} onChange={(e) => setDraft({ ...draft, separator: e.target.value || undefined })} />
          </Space>
        </Card>
        <Card size="small" className="ct-section" title={t('admin.segments')}>
          <SortableList
            items={keyed}
            idOf={(x) => x.k}
            onChange={(items) => setDraft({ ...draft, segments: items.map((x) => x.s) })}
            render={({ s }, i) => (
              <Space wrap>
                <Select aria-label={t('admin.segType')} style={{ width: 130 }} value={s.type} options={TYPES.map((ty) => ({ value: ty, label: t(`admin.seg.${ty}`) }))} onChange={(ty: string) => setSeg(i, blankSegment(ty))} />
                {s.type === 'literal' && <Input aria-label={t('admin.segValue')} style={{ width: 120 }} value={s.value as string} onChange={(e) => setSeg(i, { ...s, value: e.target.value })} />}
                {s.type === 'date' && (
                  <>
                    <Select aria-label={t('admin.segFormat')} style={{ width: 130 }} value={s.format as string} options={['YYMMDD', 'YYYYMMDD', 'YYMM', 'YYYYMM', 'YYYY', 'YY'].map((f) => ({ value: f, label: f }))} onChange={(f: string) => setSeg(i, { ...s, format: f })} />
                    <Select aria-label={t('admin.segDateField')} allowClear placeholder={t('admin.segNow')} style={{ width: 150 }} value={(s.field as string) || undefined} options={fields.map((f) => ({ value: f, label: f }))} onChange={(f?: string) => setSeg(i, { ...s, field: f })} />
                  </>
                )}
                {s.type === 'field' && (
                  <>
                    {fieldSelect(s, i)}
                    <Input
                      aria-label={t('admin.segMap')}
                      placeholder={t('admin.segMapHint')}
                      style={{ width: 200 }}
                      defaultValue={Object.entries((s.map as Record<string, string>) ?? {}).map(([k, v]) => `${k}=${v}`).join(',')}
                      onBlur={(e) => {
                        const map = Object.fromEntries(e.target.value.split(',').map((p) => p.split('=').map((x) => x.trim())).filter((p) => p.length === 2 && p[0]));
                        setSeg(i, { ...s, map: Object.keys(map).length ? map : undefined });
                      }}
                    />
                  </>
                )}
                {s.type === 'dictionary' && (
                  <>
                    {fieldSelect(s, i)}
                    <Select aria-label={t('admin.dictionary')} style={{ width: 150 }} value={(s.dictionary as string) || undefined} options={Object.keys(meta.dictionaries).map((d) => ({ value: d, label: pick(meta.dictionaries[d].label, lang, d) }))} onChange={(d: string) => setSeg(i, { ...s, dictionary: d })} />
                  </>
                )}
                {s.type === 'sequence' && (
                  <>
                    <InputNumber aria-label={t('admin.segWidth')} prefix={t('admin.segWidth')} min={1} max={12} style={{ width: 130 }} value={s.width as number} onChange={(v) => setSeg(i, { ...s, width: v ?? undefined })} />
                    <InputNumber aria-label={t('admin.segStart')} prefix={t('admin.segStart')} min={0} style={{ width: 130 }} value={s.start as number} onChange={(v) => setSeg(i, { ...s, start: v ?? undefined })} />
                    <Select aria-label={t('admin.segReset')} style={{ width: 120 }} value={(s.reset as string) ?? 'never'} options={['never', 'yearly', 'monthly', 'daily'].map((r) => ({ value: r, label: t(`admin.reset.${r}`) }))} onChange={(r: string) => setSeg(i, { ...s, reset: r })} />
                  </>
                )}
                <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => setDraft({ ...draft, segments: draft.segments.filter((_, j) => j !== i) })} />
              </Space>
            )}
          />
          <Select aria-label={t('admin.addSegment')} placeholder={<span><PlusOutlined /> {t('admin.addSegment')}</span>} style={{ width: 200, marginTop: 8 }} value={null} options={TYPES.map((ty) => ({ value: ty, label: t(`admin.seg.${ty}`) }))} onChange={(ty: string | null) => ty && setDraft({ ...draft, segments: [...draft.segments, blankSegment(ty)] })} />
        </Card>
      </Col>
      <Col xs={24} xl={9}>
        <Card size="small" className="ct-section ct-preview" title={t('admin.nextNumber')} extra={<Button size="small" icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={runPreview} />}>
          {segFields.length > 0 && (
            <Space direction="vertical" style={{ width: '100%', marginBottom: 12 }}>
              <Typography.Text type="secondary">{t('admin.sampleRecord')}</Typography.Text>
              {segFields.map((f) => (
                <Input key={f} aria-label={f} prefix={f} value={sample[f] ?? ''} onChange={(e) => setSample({ ...sample, [f]: e.target.value })} />
              ))}
            </Space>
          )}
          {preview?.number && (
            <Typography.Title level={3} copyable className="ct-number-preview" style={{ fontFamily: 'monospace', margin: 0 }}>
              {preview.number}
            </Typography.Title>
          )}
          {preview?.error && <Alert type="warning" showIcon message={preview.error} />}
        </Card>
      </Col>
    </Row>,
  );
}
