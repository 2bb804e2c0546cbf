import { createContext, useContext } from 'react';
import { pick, type Lang } from './i18n';

export type Label = string | { 'zh-CN'?: string; en?: string };

export interface FieldSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  readOnly?: boolean;
  items?: FieldSchema;
  'x-label'?: Label;
  'x-dictionary'?: string;
  'x-ref'?: string;
  'x-type'?: 'text' | 'attachment' | 'json' | string;
  'x-enum-labels'?: Record<string, Label>;
  'x-scale'?: number;
  /** A user reference: `current` defaults to the signed-in user. */
  'x-user'?: boolean | 'current';
  /** Only referenced records whose field equals a field of this form: `{batch: {$field: 'batch'}}`. */
  'x-ref-filter'?: Record<string, { $field: string }>;
  /** Fields copied from a chosen referenced record: `{<this form's field>: <referenced field>}`. */
  'x-prefill'?: Record<string, string>;
  [key: string]: unknown;
}

export interface EntitySchema {
  $id: string;
  'x-label'?: Label;
  'x-title'?: string;
  'x-module'?: string;
  /** What tells records apart in a picker besides the title. */
  'x-picker-fields'?: string[];
  /** Extra record-page tabs, each a plugin widget given the record (`x-record-tabs`). */
  'x-record-tabs'?: { key: string; label: Label; widget: string }[];
  /** Records offered disabled in pickers: field → values ({"status": ["underRepair"]}). */
  'x-picker-disabled'?: Record<string, unknown[]>;
  type: 'object';
  required?: string[];
  properties: Record<string, FieldSchema>;
  [key: string]: unknown;
}

export interface FormSection {
  key: string;
  title?: Label;
  fields: string[];
}
export interface FormDef {
  $id: string;
  entity: string;
  label?: Label;
  discriminator?: string;
  sections: FormSection[];
  variants?: { key: string; when: Record<string, unknown>; label?: Label; sections: FormSection[] }[];
  widgets?: Record<string, string>;
}
export interface ListDef {
  $id: string;
  entity: string;
  label?: Label;
  columns: string[];
  defaultSort?: string[];
  quickSearch?: string[];
}
export interface DictionaryItem {
  code: string;
  label: Label;
  enabled?: boolean;
  [key: string]: unknown;
}
export interface DictionaryDef {
  $id: string;
  label?: Label;
  items: DictionaryItem[];
}
export interface MenuItem {
  key: string;
  label: Label;
  list?: string;
  path?: string;
  /** A plugin page: `plugin:key` (or `plugin/key`). */
  page?: string;
  order?: number;
  children?: MenuItem[];
}
export interface MenuDef {
  $id: string;
  label: Label;
  order?: number;
  icon?: string;
  items: MenuItem[];
}

export interface Meta {
  version: string | number;
  entities: Record<string, EntitySchema>;
  forms: Record<string, FormDef>;
  lists: Record<string, ListDef>;
  dictionaries: Record<string, DictionaryDef>;
  numbering: Record<string, unknown>;
  menus: Record<string, MenuDef>;
  /** Enabled plugins with a web entry. */
  plugins: { plugin: string; entry: string }[];
  /** Other metadata kinds the server registered (flow, role, …), by kind then id. */
  kinds: Record<string, Record<string, unknown>>;
}

export const MetaContext = createContext<Meta | null>(null);

/** Reloads the metadata after a designer saved (live, no restart). */
export const MetaReloadContext = createContext<() => Promise<void>>(async () => {});
export function useReloadMeta(): () => Promise<void> {
  return useContext(MetaReloadContext);
}

export function useMeta(): Meta {
  const m = useContext(MetaContext);
  if (!m) throw new Error('useMeta outside MetaContext');
  return m;
}

export const SYSTEM_FIELDS = ['id', 'version', 'createdAt', 'createdBy', 'updatedAt', 'updatedBy', 'orgId', 'labId'];

export function entityLabel(meta: Meta, entity: string, lang: Lang): string {
  return pick(meta.entities[entity]?.['x-label'], lang, entity);
}

const SYSTEM_LABELS: Record<string, Record<Lang, string>> = {
  id: { 'zh-CN': '编号', en: 'No.' }, version: { 'zh-CN': '版本', en: 'Version' },
  createdAt: { 'zh-CN': '创建时间', en: 'Created at' }, createdBy: { 'zh-CN': '创建人', en: 'Created by' },
  updatedAt: { 'zh-CN': '修改时间', en: 'Updated at' }, updatedBy: { 'zh-CN': '修改人', en: 'Updated by' },
  orgId: { 'zh-CN': '组织', en: 'Org unit' }, labId: { 'zh-CN': '实验室', en: 'Lab' },
};

export function fieldLabel(meta: Meta, entity: string, field: string, lang: Lang): string {
  return pick(meta.entities[entity]?.properties[field]?.['x-label'], lang, SYSTEM_LABELS[field]?.[lang] ?? field);
}

export function titleField(meta: Meta, entity: string): string {
  return meta.entities[entity]?.['x-title'] ?? 'id';
}

export function dictLabel(meta: Meta, dict: string, code: unknown, lang: Lang): string {
  if (code == null || code === '') return '';
  const item = meta.dictionaries[dict]?.items.find((i) => i.code === code);
  return item ? pick(item.label, lang, String(code)) : String(code);
}

export function enumLabel(f: FieldSchema, value: unknown, lang: Lang): string {
  if (value == null || value === '') return '';
  const l = f['x-enum-labels']?.[String(value)];
  return l ? pick(l, lang, String(value)) : String(value);
}

/** The form for an entity: the one with the same id, else any naming the entity. */
export function formFor(meta: Meta, entity: string): FormDef | undefined {
  const same = meta.forms[entity];
  if (same && same.entity === entity) return same;
  return Object.values(meta.forms).find((f) => f.entity === entity);
}

export function listFor(meta: Meta, entity: string): ListDef | undefined {
  const same = meta.lists[entity];
  if (same && same.entity === entity) return same;
  return Object.values(meta.lists).find((l) => l.entity === entity);
}

/** Accept `{data: meta}` or the bare object; fill missing maps. */
export function normalizeMeta(body: unknown): Meta {
  const b = (body && typeof body === 'object' && 'data' in body ? (body as { data: unknown }).data : body) as Partial<Meta>;
  return {
    version: b.version ?? '',
    entities: b.entities ?? {},
    forms: b.forms ?? {},
    lists: b.lists ?? {},
    dictionaries: b.dictionaries ?? {},
    numbering: b.numbering ?? {},
    menus: b.menus ?? {},
    plugins: Array.isArray(b.plugins) ? b.plugins : [],
    kinds: Object.fromEntries(
      Object.entries(b as Record<string, unknown>).filter(
        ([k, v]) => !['version', 'entities', 'forms', 'lists', 'dictionaries', 'numbering', 'menus', 'plugins'].includes(k) && v && typeof v === 'object' && !Array.isArray(v),
      ),
    ) as Record<string, Record<string, unknown>>,
  };
}

/**
 * Whether a record is offered disabled (the target's `x-picker-disabled`: field → values, e.g. equipment under repair);
 * a hint only, the server's rules decide. Chosen records stay removable.
 */
export function pickerDisabled(meta: Meta, entity: string, row: Record<string, unknown>): boolean {
  const spec = meta.entities[entity]?.['x-picker-disabled'];
  return !!spec && Object.entries(spec).some(([f, values]) => values.includes(row[f]));
}

/** The fields the picker reads to decide `x-picker-disabled`. */
export const disabledFields = (meta: Meta, entity: string): string[] => Object.keys(meta.entities[entity]?.['x-picker-disabled'] ?? {});
