// Build the RJSF schema and uiSchema for a form: the entity schema restricted to the visible sections.
import type { RJSFSchema, UiSchema } from '@rjsf/utils';
import i18n, { pick, type Lang } from '../i18n';
import { SYSTEM_FIELDS, type EntitySchema, type FieldSchema, type FormDef, type FormSection, type Meta } from '../meta';
import { isPluginWidget } from '../plugins';
import { isLines, LineItemTemplate, LineRowTemplate, LinesArrayTemplate } from './LineItems';

export interface ResolvedSection {
  key: string;
  title: string;
  fields: string[];
}

/** Base sections plus the sections of every variant whose `when` matches the data. Without a form: all fields. */
export function visibleSections(meta: Meta, entity: string, form: FormDef | undefined, data: Record<string, unknown>, lang: Lang): ResolvedSection[] {
  const schema = meta.entities[entity];
  const props = schema?.properties ?? {};
  const resolve = (s: FormSection): ResolvedSection => ({
    key: s.key,
    title: pick(s.title, lang, ''),
    fields: s.fields.filter((f) => f in props),
  });
  if (!form) {
    return [{ key: 'main', title: pick(schema?.['x-label'], lang, entity), fields: Object.keys(props).filter((f) => !SYSTEM_FIELDS.includes(f)) }];
  }
  const out = form.sections.map(resolve);
  for (const v of form.variants ?? []) {
    const matches = Object.entries(v.when).every(([k, val]) => data[k] === val);
    if (matches) out.push(...v.sections.map(resolve));
  }
  return out.filter((s) => s.fields.length > 0);
}

function restrictRequired(node: unknown, visible: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((n) => restrictRequired(n, visible));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === 'then' || k === 'else') {
      const branch = { ...(v as Record<string, unknown>) };
      if (Array.isArray(branch.required)) branch.required = (branch.required as string[]).filter((r) => visible.has(r));
      out[k] = branch;
    } else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') {
      out[k] = restrictRequired(v, visible);
    } else {
      out[k] = v;
    }
  }
  return out;
}

export function buildSchema(entity: EntitySchema, fields: string[], lang: Lang): RJSFSchema {
  const visible = new Set(fields);
  const properties: Record<string, unknown> = {};
  for (const f of fields) {
    const p = entity.properties[f];
    properties[f] = { ...p, title: pick(p['x-label'], lang, f) };
  }
  // `$id` is dropped: ajv caches schemas by id and ours change with the variant.
  const { $id: _id, properties: _p, required, allOf, ...rest } = entity;
  const schema: Record<string, unknown> = { ...rest, type: 'object', properties };
  delete schema.title;
  const req = (required ?? []).filter((r) => visible.has(r));
  if (req.length) schema.required = req;
  if (allOf) schema.allOf = restrictRequired(allOf, visible);
  return schema as RJSFSchema;
}

export function buildUiSchema(entity: EntitySchema, form: FormDef | undefined, fields: string[], isNew: boolean): UiSchema {
  const ui: UiSchema = { 'ui:order': [...fields, '*'], 'ui:submitButtonOptions': { norender: true } };
  for (const name of fields) ui[name] = fieldUi(entity.properties[name], widgetOf(entity.properties[name], form, name), isNew);
  return ui;
}

/** The uiSchema of one field (a form field or a cell of line items). */
function fieldUi(p: FieldSchema, w: string | undefined, isNew: boolean, cell = false): Record<string, unknown> {
  const u: Record<string, unknown> = {};
  if (isLines(p)) {
    const items: Record<string, unknown> = { 'ui:ObjectFieldTemplate': LineRowTemplate, 'ui:label': false };
    for (const [k, c] of Object.entries((p.items as FieldSchema).properties ?? {})) items[k] = fieldUi(c as FieldSchema, widgetOf(c as FieldSchema, undefined, k), isNew, true);
    Object.assign(u, { 'ui:ArrayFieldTemplate': LinesArrayTemplate, 'ui:ArrayFieldItemTemplate': LineItemTemplate, 'ui:options': { orderable: false, copyable: false }, items });
    if (w && isPluginWidget(w)) {
      u['ui:field'] = 'PluginLinesField';
      u['ui:options'] = { ...(u['ui:options'] as object), pluginWidget: w };
    }
    if (p.readOnly) return { 'ui:field': 'ReadOnlyLinesField' };
    return u;
  }
  if (w && isPluginWidget(w)) u['ui:widget'] = w;
  else if (p['x-user']) u['ui:widget'] = 'UserWidget';
  else if (p['x-owner-lab']) u['ui:widget'] = 'OwnerLabWidget';
  else if (p['x-ref']) u['ui:widget'] = p.type === 'array' ? 'MultiRefWidget' : 'RefWidget';
  else if (p['x-dictionary']) u['ui:widget'] = 'DictWidget';
  else if (p.enum) u['ui:widget'] = 'EnumWidget';
  else if (p['x-type'] === 'attachment' || w === 'attachment') u['ui:widget'] = 'AttachmentWidget';
  else if (p['x-type'] === 'json') u['ui:field'] = 'JsonField';
  else if (p['x-type'] === 'text' || w === 'textarea') {
    u['ui:widget'] = 'textarea';
    u['ui:options'] = { rows: 4 };
  } else if (p.format === 'date') u['ui:widget'] = 'DateWidget';
  else if (p.format === 'date-time') u['ui:widget'] = 'DateTimeWidget';
  else if (p.type === 'number' || p.type === 'integer') u['ui:widget'] = 'NumberWidget';
  if (cell) u['ui:label'] = false;
  if (p.readOnly) {
    u['ui:readonly'] = true;
    if (isNew && !cell && !p['x-user']) u['ui:placeholder'] = i18n.t('form.autoNumber');
  }
  return u;
}

/** The form's widget for a field, else the entity's `x-widget` (e.g. a plugin's position picker). */
function widgetOf(p: FieldSchema | undefined, form: FormDef | undefined, name: string): string | undefined {
  const w = form?.widgets?.[name] ?? p?.['x-widget'];
  return typeof w === 'string' ? w : undefined;
}

/** Fields that span the full row in the two-column layout: long text, files, JSON and plugin widgets (maps). */
export function isWide(entity: EntitySchema, field: string, form?: FormDef): boolean {
  const p = entity.properties[field];
  const w = widgetOf(p, form, field);
  return p?.['x-type'] === 'text' || p?.['x-type'] === 'attachment' || p?.['x-type'] === 'json' || isLines(p) || (!!w && isPluginWidget(w));
}

/** `{error: {details: [{path: "/a/0", message}]}}` → RJSF ErrorSchema (by top-level field) + messages without a field. */
export function detailsToErrors(details: { path: string; message: string }[], fields: string[]): { extra: Record<string, { __errors: string[] }>; general: string[] } {
  const extra: Record<string, { __errors: string[] }> = {};
  const general: string[] = [];
  for (const d of details) {
    const seg = (d.path ?? '').split('/').filter(Boolean)[0]?.replace(/~1/g, '/').replace(/~0/g, '~');
    if (seg && fields.includes(seg)) (extra[seg] ??= { __errors: [] }).__errors.push(d.message);
    else general.push(d.message);
  }
  return { extra, general };
}
