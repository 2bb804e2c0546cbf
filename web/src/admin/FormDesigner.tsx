import { useEffect, useMemo, useRef, useState } from 'react';
import { App, Button, Card, Col, Empty, Form as AntForm, Input, Modal, Row, Select, Space, Tabs, Tag, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { currentLang, pick } from '../i18n';
import { MetaContext, useMeta, type EntitySchema, type FieldSchema, type FormDef, type FormSection, type Meta } from '../meta';
import MetaForm from '../form/MetaForm';
import { pluginWidgets } from '../plugins';
import { DesignerFrame, LabelInput, SortableList, useDefinition, type Label } from './common';
import { FIELD_TYPES, propertyFor, type FieldType } from './fieldTypes';
import { NO_PINYIN, idFromLabel, isSafeId, usePinyin } from './ids';

type Variant = NonNullable<FormDef['variants']>[number];
const BASE = '__base';

export default function FormDesigner({ id }: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const { message } = App.useApp();
  const state = useDefinition<FormDef>('form', id, () => ({ $id: id, entity: meta.entities[id] ? id : Object.keys(meta.entities)[0], sections: [{ key: 'main', title: { 'zh-CN': '基本信息', en: 'Basics' }, fields: [] }] }));
  const { draft, setDraft } = state;
  const [tab, setTab] = useState(BASE);
  /** Fields created here, saved into the entity before the form. */
  const [newFields, setNewFields] = useState<Record<string, FieldSchema>>({});
  const [fieldModal, setFieldModal] = useState<{ section: number } | null>(null);
  const [previewData, setPreviewData] = useState<Record<string, unknown>>({});
  const [fieldForm] = AntForm.useForm();
  const [idTouched, setIdTouched] = useState(false);
  const pinyin = usePinyin();
  useEffect(() => {
    const zh = fieldForm.getFieldValue('zh') as string | undefined;
    if (pinyin && fieldModal && !idTouched && zh?.trim()) fieldForm.setFieldsValue({ name: idFromLabel(zh, pinyin, Object.keys(draftEntityRef.current?.properties ?? {})) });
  }, [pinyin]); // eslint-disable-line

  const entity: EntitySchema | undefined = draft ? meta.entities[draft.entity] : undefined;
  const draftEntity = useMemo<EntitySchema | undefined>(
    () => (entity ? { ...entity, properties: { ...entity.properties, ...newFields } } : undefined),
    [entity, newFields],
  );
  const draftEntityRef = useRef(draftEntity);
  draftEntityRef.current = draftEntity;
  const previewMeta = useMemo<Meta | null>(
    () => (draft && draftEntity ? { ...meta, entities: { ...meta.entities, [draft.entity]: draftEntity }, forms: { ...meta.forms, [draft.$id]: draft } } : null),
    [meta, draft, draftEntity],
  );

  const frame = (body: React.ReactNode) => (
    <DesignerFrame
      kind="form"
      id={id}
      title={t('admin.formDesigner')}
      state={state}
      beforeSave={async (reason) => {
        if (!draft || Object.keys(newFields).length === 0) return;
        // New fields go into the entity first (a live overlay version of its own), then the form uses them.
        const cur = await api<{ data: EntitySchema }>(`/api/v1/meta/entity/${draft.entity}`);
        const def = { ...cur.data, properties: { ...cur.data.properties, ...newFields } };
        await api(`/api/v1/meta/entity/${draft.entity}`, { method: 'PUT', body: { definition: def, reason } });
        setNewFields({});
      }}
    >
      {body}
    </DesignerFrame>
  );
  if (!draft || !draftEntity || !previewMeta) return frame(draft && !entity ? <Empty description={t('form.unknownEntity', { id: draft.entity })} /> : null);

  const props = draftEntity.properties;
  const variants = draft.variants ?? [];
  const target: { sections: FormSection[] } = tab === BASE ? draft : (variants.find((v) => v.key === tab) ?? draft);
  const setSections = (sections: FormSection[]) => {
    if (tab === BASE) setDraft({ ...draft, sections });
    else setDraft({ ...draft, variants: variants.map((v) => (v.key === tab ? { ...v, sections } : v)) });
  };
  const setVariant = (key: string, v: Partial<Variant>) => setDraft({ ...draft, variants: variants.map((x) => (x.key === key ? { ...x, ...v } : x)) });
  const used = new Set([...draft.sections, ...variants.flatMap((v) => v.sections)].flatMap((s) => s.fields));
  const fieldLabelOf = (f: string) => pick(props[f]?.['x-label'], lang, f);
  const widgetOptions = [
    { value: '', label: t('admin.widgetDefault') },
    { value: 'textarea', label: t('admin.widgetTextarea') },
    { value: 'attachment', label: t('admin.widgetAttachment') },
    ...Object.keys(pluginWidgets()).filter((w) => w.includes(':')).map((w) => ({ value: w, label: `${t('admin.widgetPlugin')} ${w}` })),
  ];
  const setWidget = (field: string, w: string) => {
    const widgets = { ...(draft.widgets ?? {}) };
    if (w) widgets[field] = w;
    else delete widgets[field];
    setDraft({ ...draft, widgets });
  };
  const discriminator = draft.discriminator ?? Object.keys(variants[0]?.when ?? {})[0];
  const discProp = discriminator ? props[discriminator] : undefined;

  const sectionEditor = (s: FormSection, si: number) => (
    <Card
      size="small"
      className="ct-section ct-designer-section"
      title={
        <Space wrap>
          <Input aria-label={t('admin.sectionKey')} value={s.key} style={{ width: 110 }} onChange={(e) => setSections(target.sections.map((x, i) => (i === si ? { ...x, key: e.target.value } : x)))} />
          <div style={{ width: 300 }}>
            <LabelInput value={s.title as Label} onChange={(l) => setSections(target.sections.map((x, i) => (i === si ? { ...x, title: l } : x)))} />
          </div>
        </Space>
      }
      extra={<Button type="text" danger icon={<DeleteOutlined />} aria-label={t('admin.removeSection')} onClick={() => setSections(target.sections.filter((_, i) => i !== si))} />}
    >
      {s.fields.length === 0 && <Typography.Text type="secondary">{t('admin.noFields')}</Typography.Text>}
      <SortableList
        items={s.fields}
        idOf={(f) => f}
        onChange={(fields) => setSections(target.sections.map((x, i) => (i === si ? { ...x, fields } : x)))}
        render={(f) => (
          <Space style={{ width: '100%', justifyContent: 'space-between' }}>
            <span>
              {fieldLabelOf(f)} <Typography.Text type="secondary" code>{f}</Typography.Text> {newFields[f] && <Tag color="green">{t('admin.new')}</Tag>}
            </span>
            <Space>
              <Select aria-label={t('admin.widget')} size="small" style={{ width: 150 }} value={draft.widgets?.[f] ?? ''} options={widgetOptions} onChange={(w) => setWidget(f, w)} />
              <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('admin.removeFromSection', { field: f })} onClick={() => setSections(target.sections.map((x, i) => (i === si ? { ...x, fields: x.fields.filter((y) => y !== f) } : x)))} />
            </Space>
          </Space>
        )}
      />
      <Space style={{ marginTop: 8 }} wrap>
        <Select
          aria-label={t('admin.addExistingField')}
          placeholder={t('admin.addExistingField')}
          style={{ width: 240 }}
          value={null}
          showSearch
          optionFilterProp="label"
          options={Object.keys(props).filter((f) => !s.fields.includes(f)).map((f) => ({ value: f, label: `${fieldLabelOf(f)} (${f})${used.has(f) ? ' ·' : ''}` }))}
          onChange={(f: string | null) => f && setSections(target.sections.map((x, i) => (i === si ? { ...x, fields: [...x.fields, f] } : x)))}
        />
        <Button icon={<PlusOutlined />} onClick={() => { fieldForm.resetFields(); setIdTouched(false); setFieldModal({ section: si }); }}>
          {t('admin.newField')}
        </Button>
      </Space>
    </Card>
  );

  const variantTabs = [
    { key: BASE, label: t('admin.baseSections') },
    ...variants.map((v) => ({ key: v.key, label: `${t('admin.variant')}: ${pick(v.label, lang, v.key)}` })),
  ];

  return frame(
    <Row gutter={16}>
      <Col xs={24} xl={12}>
        <Card size="small" className="ct-section">
          <Space wrap>
            <span>{t('admin.formLabel')}</span>
            <div style={{ width: 320 }}>
              <LabelInput value={draft.label as Label} onChange={(l) => setDraft({ ...draft, label: l })} />
            </div>
            <span>{t('admin.discriminator')}</span>
            <Select aria-label={t('admin.discriminator')} allowClear style={{ width: 160 }} value={draft.discriminator} onChange={(v) => setDraft({ ...draft, discriminator: v })} options={Object.keys(props).filter((f) => props[f].enum || props[f]['x-dictionary']).map((f) => ({ value: f, label: fieldLabelOf(f) }))} />
          </Space>
        </Card>
        <Tabs
          activeKey={tab}
          onChange={setTab}
          items={variantTabs}
          tabBarExtraContent={
            <Button
              size="small"
              icon={<PlusOutlined />}
              onClick={() => {
                let n = variants.length + 1;
                while (variants.some((v) => v.key === `variant${n}`)) n++;
                const key = `variant${n}`;
                setDraft({ ...draft, variants: [...variants, { key, when: discriminator ? { [discriminator]: '' } : {}, label: { 'zh-CN': `模板${n}`, en: `Template ${n}` }, sections: [{ key, fields: [] }] }] });
                setTab(key);
              }}
            >
              {t('admin.addVariant')}
            </Button>
          }
        />
        {tab !== BASE && (() => {
          const v = variants.find((x) => x.key === tab)!;
          const [wField, wValue] = Object.entries(v.when)[0] ?? [discriminator, ''];
          const wProp = wField ? props[wField] : discProp;
          const values = wProp?.enum
            ? wProp.enum.map((e) => ({ value: String(e), label: pick(wProp['x-enum-labels']?.[String(e)], lang, String(e)) }))
            : wProp?.['x-dictionary']
              ? (meta.dictionaries[wProp['x-dictionary']]?.items ?? []).map((i) => ({ value: i.code, label: pick(i.label, lang, i.code) }))
              : null;
          return (
            <Card size="small" className="ct-section" title={t('admin.variantSettings')} extra={<Button type="text" danger icon={<DeleteOutlined />} aria-label={t('admin.removeVariant')} onClick={() => { setDraft({ ...draft, variants: variants.filter((x) => x.key !== tab) }); setTab(BASE); }} />}>
              <Space wrap>
                <div style={{ width: 300 }}>
                  <LabelInput value={v.label as Label} onChange={(l) => setVariant(v.key, { label: l })} />
                </div>
                <span>{t('admin.when')}</span>
                <Select aria-label={t('admin.whenField')} style={{ width: 140 }} value={wField} options={Object.keys(props).map((f) => ({ value: f, label: fieldLabelOf(f) }))} onChange={(f: string) => setVariant(v.key, { when: { [f]: wValue } })} />
                <span>=</span>
                {values ? (
                  <Select aria-label={t('admin.whenValue')} style={{ width: 160 }} value={wValue as string} options={values} onChange={(val: string) => setVariant(v.key, { when: { [wField]: val } })} />
                ) : (
                  <Input aria-label={t('admin.whenValue')} style={{ width: 160 }} value={String(wValue ?? '')} onChange={(e) => setVariant(v.key, { when: { [wField]: e.target.value } })} />
                )}
              </Space>
            </Card>
          );
        })()}
        {target.sections.map(sectionEditor)}
        <Button icon={<PlusOutlined />} onClick={() => setSections([...target.sections, { key: `section${target.sections.length + 1}`, title: { 'zh-CN': '新分组', en: 'New section' }, fields: [] }])}>
          {t('admin.addSection')}
        </Button>
      </Col>
      <Col xs={24} xl={12}>
        <Card
          size="small"
          className="ct-section ct-preview"
          title={t('admin.preview')}
          extra={
            discriminator && discProp?.enum ? (
              <Select
                aria-label={t('admin.previewVariant')}
                size="small"
                style={{ width: 160 }}
                allowClear
                placeholder={fieldLabelOf(discriminator)}
                value={(previewData[discriminator] as string) ?? undefined}
                onChange={(v) => setPreviewData({ ...previewData, [discriminator]: v })}
                options={discProp.enum.map((e) => ({ value: String(e), label: pick(discProp['x-enum-labels']?.[String(e)], lang, String(e)) }))}
              />
            ) : null
          }
        >
          <MetaContext.Provider value={previewMeta}>
            <MetaForm meta={previewMeta} entity={draft.entity} form={draft} data={previewData} isNew onChange={setPreviewData} />
          </MetaContext.Provider>
        </Card>
      </Col>
      <Modal
        title={t('admin.newField')}
        open={!!fieldModal}
        onCancel={() => setFieldModal(null)}
        okText={t('admin.addToSection')}
        onOk={async () => {
          const v = (await fieldForm.validateFields().catch(() => null)) as { name: string; type: FieldType; zh: string; en?: string; target?: string } | null;
          if (!v) return; // the problems show under their boxes
          if (v.name in props) {
            void message.error(t('admin.fieldExists', { field: v.name }));
            return;
          }
          const en = v.en?.trim();
          setNewFields({ ...newFields, [v.name]: { ...propertyFor(v.type, {}, v.target), 'x-label': en ? { 'zh-CN': v.zh.trim(), en } : { 'zh-CN': v.zh.trim() } } });
          const si = fieldModal!.section;
          setSections(target.sections.map((x, i) => (i === si ? { ...x, fields: [...x.fields, v.name] } : x)));
          setFieldModal(null);
        }}
      >
        <AntForm
          form={fieldForm}
          layout="vertical"
          initialValues={{ type: 'text' }}
          onValuesChange={(changed: { zh?: string; name?: string }) => {
            // The id follows the Chinese label until the admin edits the id itself.
            if ('name' in changed) setIdTouched(true);
            if ('zh' in changed && !idTouched) fieldForm.setFieldsValue({ name: changed.zh?.trim() ? idFromLabel(changed.zh, pinyin ?? NO_PINYIN, Object.keys(props)) : '' });
          }}
        >
          <AntForm.Item name="zh" label={t('admin.labelZh')} rules={[{ required: true, whitespace: true, message: t('admin.labelZhRequired') }]}>
            <Input id="ct-new-field-zh" autoFocus />
          </AntForm.Item>
          <AntForm.Item
            name="name"
            label={t('admin.fieldName')}
            extra={t('admin.idAuto')}
            rules={[
              { required: true, message: t('admin.idRule') },
              { validator: async (_, v: string) => { if (v && !isSafeId(v)) throw new Error(t('admin.idRule')); if (v && v in props) throw new Error(t('admin.fieldExists', { field: v })); } },
            ]}
          >
            <Input id="ct-new-field-name" />
          </AntForm.Item>
          <AntForm.Item name="type" label={t('admin.fieldType')}>
            <Select id="ct-new-field-type" options={FIELD_TYPES.map((ft) => ({ value: ft, label: t(`admin.type.${ft}`) }))} />
          </AntForm.Item>
          <AntForm.Item noStyle shouldUpdate>
            {() => {
              const ty = fieldForm.getFieldValue('type') as FieldType;
              if (ty === 'dictionary') return <AntForm.Item name="target" label={t('admin.dictionary')} rules={[{ required: true }]}><Select options={Object.keys(meta.dictionaries).map((d) => ({ value: d, label: pick(meta.dictionaries[d].label, lang, d) }))} /></AntForm.Item>;
              if (ty === 'reference') return <AntForm.Item name="target" label={t('admin.reference')} rules={[{ required: true }]}><Select options={Object.keys(meta.entities).map((d) => ({ value: d, label: pick(meta.entities[d]['x-label'], lang, d) }))} /></AntForm.Item>;
              return null;
            }}
          </AntForm.Item>
          <AntForm.Item name="en" label={t('admin.labelEnOptional')}>
            <Input id="ct-new-field-en" />
          </AntForm.Item>
        </AntForm>
      </Modal>
    </Row>,
  );
}
