// The designer of every metadata kind without a hand-made one (QC gates, QC specifications, storage templates, a
// plugin's kinds): a Formily form generated from the kind's meta-schema (GET /api/v1/meta-schema/:kind). Titles come
// from the schema's `x-label`; `x-widget` picks entities, fields, dictionary values, definitions of a kind, or the
// condition builder. Formily drives these schema-driven designer panels; entity forms stay on RJSF (docs/decisions.md).
import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import { Alert, Card, Input, InputNumber, Select, Space, Button, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { createForm, onFormValuesChange } from '@formily/core';
import { FormProvider, createSchemaField, connect, mapProps, useField, observer, type ISchema } from '@formily/react';
import { toJS } from '@formily/reactive';
import { ArrayItems, FormItem, FormLayout, Input as FInput, NumberPicker, Select as FSelect, Switch } from '@formily/antd-v5';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { currentLang, pick, type Lang } from '../i18n';
import { useMeta, type FieldSchema, type Meta } from '../meta';
import { DesignerFrame, LabelInput, useDefinition, type Label } from './common';
import { ConditionBuilder, fieldChoices } from './ConditionBuilder';
import { JsonInput } from './designerKit';

type JsonSchema = Record<string, any>;

/** The rows Formily's array components add to items (stack.md pitfall 6) never reach the definition. */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('__DO_NOT_USE') || x === undefined || x === '') continue;
      const c = clean(x);
      // Formily gives every object-typed property {}: nothing set is no property.
      if (c && typeof c === 'object' && !Array.isArray(c) && !Object.keys(c).length) continue;
      out[k] = c;
    }
    return out;
  }
  return v;
}

const humanize = (k: string) => k.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());
const isLabel = (s: JsonSchema) => s?.type === 'object' && s.properties && 'zh-CN' in s.properties;

/** What a widget spec of the schema offers: options computed from the metadata and the values around it. */
interface Ctx {
  meta: Meta;
  lang: Lang;
  t: (k: string, o?: Record<string, unknown>) => string;
  values: () => Record<string, any>;
}

/**
 * The context reaches the widgets through React, not through the Formily schema: Formily makes component props
 * observable, deeply, and the whole metadata as a prop cost seconds on the first render.
 */
const CtxContext = createContext<Ctx | null>(null);
const useCtx = () => useContext(CtxContext)!;

/** `field:qcRecord` (a fixed entity) or `field:$entity` / `field:$subject.entity` (the entity named in the definition). */
function entityOf(spec: string, values: Record<string, any>): string | undefined {
  const target = spec.split(':')[1] ?? '';
  if (!target.startsWith('$')) return target;
  return target.slice(1).split('.').reduce<any>((o, k) => o?.[k], values);
}

function optionsFor(spec: string, c: Ctx): { value: string; label: string }[] {
  const [kind, arg] = spec.split(':');
  if (kind === 'entity') return Object.keys(c.meta.entities).map((e) => ({ value: e, label: pick(c.meta.entities[e]['x-label'], c.lang, e) }));
  if (kind === 'dictionary') return (c.meta.dictionaries[arg]?.items ?? []).map((i) => ({ value: i.code, label: pick(i.label, c.lang, i.code) }));
  if (kind === 'kind') return Object.entries(c.meta.kinds[arg] ?? {}).map(([k, d]) => ({ value: k, label: pick((d as { label?: unknown }).label, c.lang, k) }));
  if (kind === 'field') {
    const e = entityOf(spec, c.values());
    return Object.entries(e ? (c.meta.entities[e]?.properties ?? {}) : {}).map(([k, p]) => ({ value: k, label: pick(p['x-label'], c.lang, k) }));
  }
  return [];
}

const LabelField = connect(({ value, onChange }: { value?: Label; onChange(v: Label): void }) => <LabelInput value={value} onChange={onChange} />);

/** A Select whose options are computed when it opens or renders (they depend on other values of the definition). */
const PickField = observer(({ value, onChange, spec, multiple }: { value?: unknown; onChange(v: unknown): void; spec: string; multiple?: boolean }) => {
  const field = useField();
  const ctx = useCtx();
  const options = optionsFor(spec, ctx);
  return <Select aria-label={String(field.title ?? '')} allowClear showSearch optionFilterProp="label" mode={multiple ? 'multiple' : undefined} style={{ width: '100%' }} value={value as string} options={options} onChange={(v) => onChange(v ?? undefined)} />;
});

const ConditionField = observer(({ value, onChange, spec }: { value?: Record<string, unknown>; onChange(v?: Record<string, unknown>): void; spec: string }) => {
  const field = useField();
  const ctx = useCtx();
  const [, target, prefix = ''] = spec.split(':');
  const e = target?.startsWith('$') ? entityOf(`field:${target}`, ctx.values()) : target;
  const props = (e ? ctx.meta.entities[e]?.properties : undefined) ?? ({} as Record<string, FieldSchema>);
  const v = value && Object.keys(value).length ? value : undefined;
  return <ConditionBuilder ariaLabel={String(field.title ?? '')} value={v} onChange={onChange} fields={fieldChoices(props, ctx.meta, ctx.lang, ctx.t, prefix)} lang={ctx.lang} />;
});

/**
 * A map of field → object of scalars (a QC gate's extra limits: field → {min, max, equals, in}) as rows: the key
 * picked by name, each scalar in its box.
 */
const MapField = observer(({ value, onChange, spec, item }: { value?: Record<string, Record<string, unknown>>; onChange(v: Record<string, Record<string, unknown>>): void; spec: string; item: JsonSchema }) => {
  const field = useField();
  const ctx = useCtx();
  const rows = Object.entries(value ?? {});
  const keys = optionsFor(spec, ctx);
  const set = (list: [string, Record<string, unknown>][]) => onChange(Object.fromEntries(list.filter(([k]) => k)));
  const title = String(field.title ?? '');
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {rows.map(([k, v], i) => (
        <Space key={i} wrap>
          <Select aria-label={`${title} ${i + 1}`} showSearch optionFilterProp="label" style={{ width: 180 }} value={k || undefined} options={keys.map((o) => ({ ...o, disabled: o.value !== k && o.value in (value ?? {}) }))} onChange={(nk: string) => set(rows.map(([rk, rv], j) => (j === i ? [nk, rv] : [rk, rv])))} />
          {Object.entries<JsonSchema>(item.properties ?? {}).map(([p, ps]) => {
            const lbl = pick(ps['x-label'], ctx.lang, p);
            const put = (x: unknown) => set(rows.map(([rk, rv], j) => (j === i ? [rk, clean({ ...rv, [p]: x }) as Record<string, unknown>] : [rk, rv])));
            if (ps.type === 'number' || ps.type === 'integer') return <InputNumber key={p} aria-label={`${title} ${i + 1} ${lbl}`} addonBefore={lbl} style={{ width: 170 }} value={v[p] as number} onChange={(n) => put(n ?? undefined)} />;
            if (ps.type === 'array') return <Select key={p} mode="tags" aria-label={`${title} ${i + 1} ${lbl}`} placeholder={lbl} style={{ minWidth: 160 }} value={(v[p] as string[]) ?? []} onChange={(x: string[]) => put(x.length ? x : undefined)} />;
            return <Input key={p} aria-label={`${title} ${i + 1} ${lbl}`} addonBefore={lbl} style={{ width: 170 }} value={v[p] === undefined ? '' : String(v[p])} onChange={(e2) => put(e2.target.value)} />;
          })}
          <Button type="text" danger icon={<DeleteOutlined />} aria-label={`${ctx.t('common.delete')} ${i + 1}`} onClick={() => set(rows.filter((_, j) => j !== i))} />
        </Space>
      ))}
      <Button size="small" icon={<PlusOutlined />} style={{ width: 'fit-content' }} onClick={() => { const free = keys.find((o) => !(o.value in (value ?? {}))); if (free) set([...rows, [free.value, {}]]); }}>
        {ctx.t('admin.schema.addRow')}
      </Button>
    </Space>
  );
});

/** The part of a definition the generated form cannot express (oneOf, free objects), as an expert box. */
const JsonField = connect(({ value, onChange }: { value?: Record<string, unknown>; onChange(v?: Record<string, unknown>): void }) => {
  const field = useField();
  return <JsonInput ariaLabel={String(field.title ?? '')} value={value} onChange={onChange} rows={2} />;
});

const Section = ({ children }: { children?: React.ReactNode }) => <div className="ct-schema-section">{children}</div>;
const TagsSelect = connect(FSelect, mapProps(() => ({ mode: 'tags' as const, style: { width: '100%' } })));

const SchemaField = createSchemaField({
  components: { FormItem, FormLayout, Input: FInput, NumberPicker, Select: FSelect, Switch, ArrayItems, LabelField, PickField, ConditionField, MapField, JsonField, Section, TagsSelect },
});

/** The meta-schema of a kind → the Formily schema of its designer form. */
export function toFormily(schema: JsonSchema, c: Ctx, key = '', required = false): ISchema {
  const title = pick(schema['x-label'], c.lang, humanize(key));
  const base: ISchema = { title, required, 'x-decorator': 'FormItem' };
  const widget = schema['x-widget'] as string | undefined;
  if (isLabel(schema)) return { ...base, type: 'object', 'x-component': 'LabelField' };
  if (widget?.startsWith('condition')) return { ...base, type: 'object', 'x-component': 'ConditionField', 'x-component-props': { spec: widget } };
  if (schema.type === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object' && widget)
    return { ...base, type: 'object', 'x-component': 'MapField', 'x-component-props': { spec: widget, item: schema.additionalProperties } };
  if (widget && schema.type === 'array') return { ...base, type: 'array', 'x-component': 'PickField', 'x-component-props': { spec: widget, multiple: true } };
  if (widget) return { ...base, type: 'string', 'x-component': 'PickField', 'x-component-props': { spec: widget } };
  const enumLabels = (schema['x-enum-labels'] ?? {}) as Record<string, unknown>;
  const enumOpts = (vals: unknown[]) => vals.map((v) => ({ value: v, label: pick(enumLabels[String(v)], c.lang, String(v)) }));
  if (Array.isArray(schema.enum)) return { ...base, type: 'string', enum: enumOpts(schema.enum) as never, 'x-component': 'Select', 'x-component-props': { allowClear: true } };
  switch (schema.type) {
    case 'string': return { ...base, type: 'string', 'x-component': 'Input' };
    case 'integer':
    case 'number': return { ...base, type: 'number', 'x-component': 'NumberPicker', 'x-component-props': { min: schema.minimum, max: schema.maximum, precision: schema.type === 'integer' ? 0 : undefined, style: { width: 200 } } };
    case 'boolean': return { ...base, type: 'boolean', 'x-component': 'Switch', ...(schema.default !== undefined ? { default: schema.default } : {}) };
    case 'array': {
      const items = (schema.items ?? {}) as JsonSchema;
      if (Array.isArray(items.enum))
        return { ...base, type: 'array', enum: enumOpts(items.enum) as never, 'x-component': 'Select', 'x-component-props': { mode: 'multiple', allowClear: true } };
      if (items.type === 'object' && items.properties)
        return {
          ...base,
          type: 'array',
          'x-component': 'ArrayItems',
          items: {
            type: 'object',
            'x-component': 'Section',
            properties: {
              ...objectProperties(items, c),
              remove: { type: 'void', 'x-component': 'ArrayItems.Remove' },
              moveUp: { type: 'void', 'x-component': 'ArrayItems.MoveUp' },
              moveDown: { type: 'void', 'x-component': 'ArrayItems.MoveDown' },
            },
          },
          properties: { add: { type: 'void', title: c.t('admin.schema.addRow'), 'x-component': 'ArrayItems.Addition' } },
        };
      return { ...base, type: 'array', 'x-component': 'TagsSelect' };
    }
    case 'object':
      if (schema.properties) return { ...base, type: 'object', 'x-component': 'Section', properties: objectProperties(schema, c) };
      return { ...base, type: 'object', 'x-component': 'JsonField' };
    default:
      return { ...base, type: 'object', 'x-component': 'JsonField' };
  }
}

function objectProperties(schema: JsonSchema, c: Ctx): Record<string, ISchema> {
  const req = new Set<string>(schema.required ?? []);
  const out: Record<string, ISchema> = {};
  let i = 0;
  for (const [k, s] of Object.entries<JsonSchema>(schema.properties ?? {})) {
    if (k === '$id' || k === 'kind' || k === 'x-requirements') continue; // the id is the page's; kind is fixed; requirement ids are for developers
    out[k] = { ...toFormily(s, c, k, req.has(k)), 'x-index': i++ };
  }
  return out;
}

export default function SchemaDesigner({ kind, id }: { kind: string; id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const state = useDefinition<Record<string, unknown>>(kind, id, () => ({ $id: id, label: { 'zh-CN': id } }));
  const [schema, setSchema] = useState<JsonSchema | null>(null);
  const hasKind = !!schema?.properties?.kind;
  const [schemaError, setSchemaError] = useState<string | null>(null);
  useEffect(() => {
    api<{ data: JsonSchema }>(`/api/v1/meta-schema/${encodeURIComponent(kind)}`).then((b) => setSchema(b.data), (e: unknown) => setSchemaError(errorText(e)));
  }, [kind]);
  // A new form whenever the stored definition changes (load, save, rollback); edits flow back into the draft.
  const form = useMemo(
    () =>
      createForm({
        initialValues: state.savedText ? JSON.parse(state.savedText) : (state.draft ?? {}),
        effects: () => onFormValuesChange((f) => state.setDraft({ ...(clean(toJS(f.values)) as Record<string, unknown>), $id: id, ...(hasKind ? { kind } : {}) })),
      }),
    [state.savedText, state.isNew, hasKind], // eslint-disable-line
  );
  const ctx: Ctx = useMemo(() => ({ meta, lang, t, values: () => form.values as Record<string, any> }), [meta, lang, t, form]);
  const fschema = useMemo<ISchema | null>(() => (schema ? { type: 'object', properties: objectProperties(schema, ctx) } : null), [schema, ctx]);
  const title = t(`admin.kind.${kind}`, { defaultValue: kind });
  return (
    <DesignerFrame kind={kind} id={id} title={title} state={state}>
      {schemaError && <Alert type="error" showIcon message={schemaError} />}
      <Card size="small" className="ct-section ct-schema-designer" data-kind={kind}>
        <Typography.Paragraph type="secondary">{t('admin.schema.hint')}</Typography.Paragraph>
        {fschema && state.draft && (
          <CtxContext.Provider value={ctx}>
            <FormProvider form={form}>
              <FormLayout layout="vertical">
                <SchemaField schema={fschema} />
              </FormLayout>
            </FormProvider>
          </CtxContext.Provider>
        )}
      </Card>
    </DesignerFrame>
  );
}
