// The one RJSF renderer of metadata forms: the form page and the form designer's live preview both use it.
import { useMemo, type ReactNode } from 'react';
import Form from '@rjsf/antd';
import type { ErrorSchema, RegistryFieldsType, RegistryWidgetsType } from '@rjsf/utils';
import { currentLang } from '../i18n';
import type { FormDef, Meta } from '../meta';
import { buildSchema, buildUiSchema, isWide, visibleSections, type ResolvedSection } from './schema';
import { validatorFor } from './validator';
import SectionsTemplate from './SectionsTemplate';
import MultiRefWidget from './MultiRefWidget';
import { AttachmentWidget, DateTimeWidget, DateWidget, DictWidget, EnumWidget, JsonField, NumberWidget, RefWidget } from './widgets';
import { pluginWidgets } from '../plugins';
import { PluginLinesField } from './LineItems';

type Data = Record<string, unknown>;

const builtinWidgets: RegistryWidgetsType = { DictWidget, EnumWidget, RefWidget, MultiRefWidget, DateWidget, DateTimeWidget, AttachmentWidget, NumberWidget };
const fields: RegistryFieldsType = { JsonField, PluginLinesField };
const templates = { ObjectFieldTemplate: SectionsTemplate };

export interface MetaFormProps {
  meta: Meta;
  entity: string;
  form: FormDef | undefined;
  data: Data;
  isNew: boolean;
  /** The loaded record (labels of reference values). */
  record?: Data | null;
  extraErrors?: ErrorSchema;
  onChange(data: Data): void;
  onSubmit?(data: Data): void;
  onError?(): void;
  /** Called with the visible sections on every render (the page needs them to know what to send). */
  children?: ReactNode;
}

export function useVisibleSections(meta: Meta, entity: string, form: FormDef | undefined, data: Data): ResolvedSection[] {
  const lang = currentLang();
  return useMemo(() => (meta.entities[entity] ? visibleSections(meta, entity, form, data, lang) : []), [meta, entity, form, data, lang]);
}

export default function MetaForm({ meta, entity, form, data, isNew, record, extraErrors, onChange, onSubmit, onError, children }: MetaFormProps) {
  const lang = currentLang();
  const schema = meta.entities[entity];
  const sections = useVisibleSections(meta, entity, form, data);
  const visibleFields = useMemo(() => sections.flatMap((s) => s.fields), [sections]);
  const fieldsKey = visibleFields.join(',');
  const refFields = useMemo(() => Object.entries(schema?.properties ?? {}).filter(([, p]) => p['x-ref']).map(([k]) => k), [schema]);
  const rjsfSchema = useMemo(() => (schema ? buildSchema(schema, visibleFields, lang) : {}), [schema, fieldsKey, lang]); // eslint-disable-line
  const uiSchema = useMemo(() => (schema ? buildUiSchema(schema, form, visibleFields, isNew) : {}), [schema, form, fieldsKey, isNew, lang]); // eslint-disable-line
  const formContext = useMemo(
    () => ({
      sections,
      wide: new Set(visibleFields.filter((f) => schema && isWide(schema, f, form))),
      expanded: Object.fromEntries(refFields.map((f) => [f, record?.[`${f}$expanded`] as Data | undefined])),
      /** The whole form's data, for widgets that depend on other fields (a line editor's template, a filtered picker). */
      data,
    }),
    [sections, visibleFields, schema, form, refFields, record, data],
  );
  const validator = useMemo(() => validatorFor(meta), [meta]);
  const widgets = useMemo(() => ({ ...pluginWidgets(), ...builtinWidgets }), []);
  if (!schema) return null;
  return (
    <Form
      schema={rjsfSchema}
      uiSchema={uiSchema}
      formData={data}
      formContext={formContext}
      validator={validator}
      widgets={widgets}
      fields={fields}
      templates={templates}
      extraErrors={extraErrors}
      showErrorList={false}
      focusOnFirstError
      noHtml5Validate
      onChange={(e) => onChange((e.formData ?? {}) as Data)}
      onSubmit={(e) => onSubmit?.((e.formData ?? {}) as Data)}
      onError={() => onError?.()}
    >
      {children ?? <span />}
    </Form>
  );
}
