import { useMemo } from 'react';
import { Button, Card, Checkbox, Input, InputNumber, Select, Space, Table, Tooltip, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { currentLang, pick } from '../i18n';
import { useMeta, type EntitySchema, type FieldSchema } from '../meta';
import { DesignerFrame, LabelInput, useDefinition, type Label } from './common';
import { FIELD_TYPES, fieldType, propertyFor, type FieldType } from './fieldTypes';

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
    setDraft({ ...draft, properties: { ...draft.properties, [`field${n}`]: { type: 'string', maxLength: 200, 'x-label': { 'zh-CN': `新字段${n}`, en: `New field ${n}` } } } });
  };
  const rename = (from: string, to: string) => {
    if (!to || to === from || to in draft.properties) return;
    const props: Record<string, FieldSchema> = {};
    for (const [k, v] of Object.entries(draft.properties)) props[k === from ? to : k] = v;
    setDraft({ ...draft, properties: props, required: (draft.required ?? []).map((r) => (r === from ? to : r)) });
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
          rowKey="name"
          pagination={false}
          dataSource={rows}
          scroll={{ x: 1000 }}
          columns={[
            {
              title: t('admin.fieldName'), width: 150,
              render: (_, r) => savedFields.has(r.name)
                ? <Typography.Text code>{r.name}</Typography.Text>
                : <Input aria-label={t('admin.fieldName')} defaultValue={r.name} onBlur={(e) => rename(r.name, e.target.value.trim())} />,
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
            { title: t('admin.label'), render: (_, r) => <LabelInput value={r.p['x-label'] as Label} onChange={(l) => setProp(r.name, { ...r.p, 'x-label': l })} /> },
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
