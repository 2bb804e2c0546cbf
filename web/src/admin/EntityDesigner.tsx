import { useEffect, useMemo, useState } from 'react';
import { Button, Card, Checkbox, Input, InputNumber, Select, Space, Table, Tooltip, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { currentLang, pick } from '../i18n';
import { useMeta, type EntitySchema, type FieldSchema } from '../meta';
import { DesignerFrame, LabelInput, useDefinition, type Label } from './common';
import { FIELD_TYPES, fieldType, propertyFor, type FieldType } from './fieldTypes';
import { NO_PINYIN, idFromLabel, isSafeId, usePinyin } from './ids';

interface Row {
  name: string;
  p: FieldSchema;
}

export default function EntityDesigner({ id }: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const state = useDefinition<EntitySchema>('entity', id, () => ({ $id: id, type: 'object', 'x-label': { 'zh-CN': id, en: id }, properties: {} }));
  const { draft, setDraft } = state;
  const savedFields = useMemo(() => new Set(Object.keys(state.savedText ? (JSON.parse(state.savedText) as EntitySchema).properties : {})), [state.savedText]);
  /** New fields whose id still follows their Chinese label (until the admin edits the id). */
  const [following, setFollowing] = useState<Set<string>>(new Set());
  const [badId, setBadId] = useState<Record<string, string>>({});
  const pinyin = usePinyin();
  // Labels typed before the pinyin dictionary arrived: their ids follow now.
  useEffect(() => {
    if (!pinyin || !draft) return;
    for (const name of following) {
      const zh = (draft.properties[name]?.['x-label'] as Label | undefined)?.['zh-CN'];
      if (zh?.trim()) setLabel(name, draft.properties[name]['x-label'] as Label);
    }
  }, [pinyin]); // eslint-disable-line
  if (!draft) return <DesignerFrame kind="entity" id={id} title={t('admin.entityDesigner')} state={state}>{null}</DesignerFrame>;

  const rows: Row[] = Object.entries(draft.properties).map(([name, p]) => ({ name, p }));
  const required = new Set(draft.required ?? []);
  const setProp = (name: string, p: FieldSchema) => setDraft({ ...draft, properties: { ...draft.properties, [name]: p } });
  const setRequired = (name: string, on: boolean) => {
    const r = new Set(required);
    if (on) r.add(name);
    else r.delete(name);
    setDraft({ ...draft, required: [...r] });
  };
  const addField = () => {
    let n = 1;
    while (`field${n}` in draft.properties) n++;
    setDraft({ ...draft, properties: { ...draft.properties, [`field${n}`]: { type: 'string', maxLength: 200, 'x-label': { 'zh-CN': '' } } } });
    setFollowing(new Set([...following, `field${n}`]));
  };
  const renamed = (from: string, to: string) => {
    const props: Record<string, FieldSchema> = {};
    for (const [k, v] of Object.entries(draft.properties)) props[k === from ? to : k] = v;
    return { ...draft, properties: props, required: (draft.required ?? []).map((r) => (r === from ? to : r)), ...(draft['x-title'] === from ? { 'x-title': to } : {}) };
  };
  /** An id typed by the admin: checked here, with the reason shown under the box. */
  const rename = (from: string, to: string) => {
    if (to === from) return;
    const problem = !isSafeId(to) ? t('admin.idRule') : to in draft.properties ? t('admin.idTaken', { id: to }) : null;
    setBadId({ ...badId, [from]: problem ?? '' });
    if (problem) return;
    setFollowing(new Set([...following].filter((f) => f !== from)));
    setDraft(renamed(from, to));
  };
  /** The Chinese label of a field; a new field's id follows it. */
  const setLabel = (name: string, l: Label) => {
    const next = { ...draft, properties: { ...draft.properties, [name]: { ...draft.properties[name], 'x-label': l } } };
    if (!following.has(name) || !l['zh-CN'].trim()) return setDraft(next);
    const id = idFromLabel(l['zh-CN'], pinyin ?? NO_PINYIN, Object.keys(draft.properties).filter((k) => k !== name));
    if (id === name) return setDraft(next);
    const props: Record<string, FieldSchema> = {};
    for (const [k, v] of Object.entries(next.properties)) props[k === name ? id : k] = v;
    setDraft({ ...next, properties: props, required: (next.required ?? []).map((r) => (r === name ? id : r)) });
    setFollowing(new Set([...following].filter((f) => f !== name)).add(id));
  };
  const remove = (name: string) => {
    const props = { ...draft.properties };
    delete props[name];
    setDraft({ ...draft, properties: props, required: (draft.required ?? []).filter((r) => r !== name) });
  };
  const entityOpts = Object.keys(meta.entities).map((e) => ({ value: e, label: `${pick(meta.entities[e]['x-label'], lang, e)} (${e})` }));
  const dictOpts = Object.keys(meta.dictionaries).map((d) => ({ value: d, label: `${pick(meta.dictionaries[d].label, lang, d)} (${d})` }));

  return (
    <DesignerFrame kind="entity" id={id} title={t('admin.entityDesigner')} state={state}>
      <Card size="small" className="ct-section">
        <Space wrap>
          <span>{t('admin.entityLabel')}</span>
          <div style={{ width: 360 }}>
            <LabelInput value={draft['x-label']} onChange={(l: Label) => setDraft({ ...draft, 'x-label': l })} />
          </div>
          <span>{t('admin.titleField')}</span>
          <Select aria-label={t('admin.titleField')} style={{ width: 200 }} value={draft['x-title']} allowClear onChange={(v) => setDraft({ ...draft, 'x-title': v })} options={rows.map((r) => ({ value: r.name, label: r.name }))} />
        </Space>
      </Card>
      <Card size="small" className="ct-section" title={t('admin.fields')} extra={<Button icon={<PlusOutlined />} onClick={addField}>{t('admin.addField')}</Button>}>
        <Table<Row>
          size="small"
          rowKey={(r) => String(rows.indexOf(r))}
          pagination={false}
          dataSource={rows}
          scroll={{ x: 1000 }}
          columns={[
            {
              title: t('admin.fieldName'), width: 190,
              render: (_, r) => savedFields.has(r.name)
                ? <Typography.Text code>{r.name}</Typography.Text>
                : (
                  <div>
                    <Input key={r.name} className="ct-field-id" aria-label={`${t('admin.fieldName')} ${pick(r.p['x-label'], lang, r.name)}`} defaultValue={r.name} status={badId[r.name] ? 'error' : undefined} onBlur={(e) => rename(r.name, e.target.value.trim())} onPressEnter={(e) => rename(r.name, (e.target as HTMLInputElement).value.trim())} />
                    {badId[r.name] ? <Typography.Text type="danger" role="alert" style={{ fontSize: 12 }}>{badId[r.name]}</Typography.Text> : following.has(r.name) && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('admin.idAuto')}</Typography.Text>}
                  </div>
                ),
            },
            {
              title: t('admin.fieldType'), width: 150,
              render: (_, r) => (
                <Select<FieldType>
                  aria-label={t('admin.fieldType')}
                  style={{ width: '100%' }}
                  disabled={savedFields.has(r.name)}
                  value={fieldType(r.p)}
                  onChange={(v) => setProp(r.name, propertyFor(v, r.p))}
                  options={FIELD_TYPES.map((ft) => ({ value: ft, label: t(`admin.type.${ft}`) }))}
                />
              ),
            },
            { title: t('admin.label'), render: (_, r) => <LabelInput id={`ct-entity-field-${rows.indexOf(r)}-zh`} enId={`ct-entity-field-${rows.indexOf(r)}-en`} value={r.p['x-label'] as Label} onChange={(l) => setLabel(r.name, l)} /> },
            {
              title: t('admin.target'), width: 180,
              render: (_, r) => {
                const ty = fieldType(r.p);
                if (ty === 'reference') return <Select aria-label={t('admin.reference')} style={{ width: '100%' }} value={r.p['x-ref'] || undefined} options={entityOpts} onChange={(v) => setProp(r.name, { ...r.p, 'x-ref': v })} disabled={savedFields.has(r.name)} />;
                if (ty === 'dictionary') return <Select aria-label={t('admin.dictionary')} style={{ width: '100%' }} value={r.p['x-dictionary'] || undefined} options={dictOpts} onChange={(v) => setProp(r.name, { ...r.p, 'x-dictionary': v })} />;
                if (ty === 'text') return <InputNumber aria-label={t('admin.maxLength')} prefix={t('admin.maxLength')} min={1} max={10000} value={r.p.maxLength as number} onChange={(v) => setProp(r.name, { ...r.p, maxLength: v ?? undefined })} />;
                if (ty === 'number' || ty === 'integer' || ty === 'decimal')
                  return (
                    <Space.Compact>
                      <InputNumber aria-label={t('admin.minimum')} placeholder="min" value={r.p.minimum as number} onChange={(v) => setProp(r.name, { ...r.p, minimum: v ?? undefined })} />
                      <InputNumber aria-label={t('admin.maximum')} placeholder="max" value={r.p.maximum as number} onChange={(v) => setProp(r.name, { ...r.p, maximum: v ?? undefined })} />
                    </Space.Compact>
                  );
                return null;
              },
            },
            { title: t('admin.required'), width: 70, render: (_, r) => <Checkbox aria-label={t('admin.required')} checked={required.has(r.name)} onChange={(e) => setRequired(r.name, e.target.checked)} /> },
            { title: t('admin.unique'), width: 70, render: (_, r) => <Checkbox aria-label={t('admin.unique')} checked={!!r.p['x-unique']} onChange={(e) => setProp(r.name, { ...r.p, 'x-unique': e.target.checked || undefined })} /> },
            {
              title: '', width: 50,
              render: (_, r) => (
                <Tooltip title={savedFields.has(r.name) ? t('admin.cannotRemoveSaved') : t('common.delete')}>
                  <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} disabled={savedFields.has(r.name)} onClick={() => remove(r.name)} />
                </Tooltip>
              ),
            },
          ]}
        />
      </Card>
    </DesignerFrame>
  );
}
