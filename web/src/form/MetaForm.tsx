// The one RJSF renderer of metadata forms: the form page and the form designer's live preview both use it.
import { useCallback, useMemo, useRef, type KeyboardEvent, type ReactNode } from 'react';
import Form from '@rjsf/antd';
import type { CustomValidator, ErrorSchema, ErrorTransformer, RegistryFieldsType, RegistryWidgetsType } from '@rjsf/utils';
import i18n from '../i18n';
import { isFuture } from '../../../platform/metadata/json-schema-dialect';
import { currentLang } from '../i18n';
import type { FormDef, Meta } from '../meta';
import { buildSchema, buildUiSchema, isWide, visibleSections, type ResolvedSection } from './schema';
import { validatorFor } from './validator';
import SectionsTemplate from './SectionsTemplate';
import MultiRefWidget from './MultiRefWidget';
import { AttachmentWidget, DateTimeWidget, DateWidget, DictWidget, EnumWidget, JsonField, NumberWidget, OwnerLabWidget, RefWidget, UserWidget } from './widgets';
import { pluginWidgets } from '../plugins';
import { PluginLinesField, ReadOnlyLinesField } from './LineItems';

type Data = Record<string, unknown>;

const builtinWidgets: RegistryWidgetsType = { DictWidget, EnumWidget, RefWidget, MultiRefWidget, UserWidget, OwnerLabWidget, DateWidget, DateTimeWidget, AttachmentWidget, NumberWidget };
const fields: RegistryFieldsType = { JsonField, PluginLinesField, ReadOnlyLinesField };
const templates = { ObjectFieldTemplate: SectionsTemplate };
const DEFAULTS = { arrayMinItems: { populate: 'never' as const } };

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

/** Cancels the browser's implicit submission by Enter in a one-line input. */
function noEnterSubmit(e: KeyboardEvent<HTMLDivElement>) {
  if (e.key === 'Enter' && e.target instanceof HTMLInputElement && !['button', 'submit', 'checkbox', 'radio'].includes(e.target.type)) e.preventDefault();
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
  const refFields = useMemo(() => Object.entries(schema?.properties ?? {}).filter(([, p]) => p['x-ref'] || p['x-user']).map(([k]) => k), [schema]);
  // Widgets read the current values (x-ref-filter) and may set other fields (x-prefill) through the form context.
  const dataRef = useRef(data);
  dataRef.current = data;
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const patch = useCallback((values: Data) => onChangeRef.current({ ...dataRef.current, ...values }), []);
  const rjsfSchema = useMemo(() => (schema ? buildSchema(schema, visibleFields, lang) : {}), [schema, fieldsKey, lang]); // eslint-disable-line
  const uiSchema = useMemo(() => (schema ? buildUiSchema(schema, form, visibleFields, isNew) : {}), [schema, form, fieldsKey, isNew, lang]); // eslint-disable-line
  const formContext = useMemo(
    () => ({
      sections,
      wide: new Set(visibleFields.filter((f) => schema && isWide(schema, f, form))),
      expanded: Object.fromEntries(refFields.map((f) => [f, record?.[`${f}$expanded`] as Data | undefined])),
      /** The whole form's data, for widgets that depend on other fields (a line editor's template, a filtered picker). */
      data,
      entity,
      recordId: record?.id,
      patch,
    }),
    [sections, visibleFields, schema, form, refFields, record, entity, data, patch],
  );
  const validator = useMemo(() => validatorFor(meta), [meta]);
  // `x-not-future` (a birth date, a sampling time): the same rule as the server's, checked before sending.
  const customValidate = useMemo<CustomValidator<Data>>(
    () => (formData, errors) => {
      for (const f of visibleFields) {
        if (schema?.properties[f]?.['x-not-future'] === true && isFuture(formData?.[f])) (errors as Record<string, { addError(m: string): void }>)[f]?.addError(i18n.t('validation.notFuture'));
      }
      return errors;
    },
    [schema, visibleFields],
  );
  // An encrypted field the caller sees masked comes back as it was shown: the server keeps the real value, so the
  // masked text is not judged by the field's format here either.
  const transformErrors = useMemo<ErrorTransformer>(
    () => (errors) =>
      errors.filter((e) => {
        const f = (e.property ?? '').replace(/^\./, '').split('.')[0];
        return !(schema?.properties[f]?.['x-encrypted'] && record && data[f] === record[f] && e.name !== 'required');
      }),
    [schema, record, data],
  );
  const widgets = useMemo(() => ({ ...pluginWidgets(), ...builtinWidgets }), []);
  if (!schema) return null;
  return (
    // Enter in a one-line input (a date, a number) must not submit the form: only the save button does. In the bubble
    // phase, so the widgets have handled the key (a picker opening) before the browser's implicit submit is cancelled.
    <div onKeyDown={noEnterSubmit}>
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
        customValidate={customValidate}
        transformErrors={transformErrors}
        showErrorList={false}
        focusOnFirstError
        noHtml5Validate
        // A multi-reference with minItems must start empty, not as [undefined] (a chip with no record).
        experimental_defaultFormStateBehavior={DEFAULTS}
        onChange={(e) => onChange((e.formData ?? {}) as Data)}
        onSubmit={(e) => onSubmit?.((e.formData ?? {}) as Data)}
        onError={() => onError?.()}
      >
        {children ?? <span />}
      </Form>
    </div>
  );
}
