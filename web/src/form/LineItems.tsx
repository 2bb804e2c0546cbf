// Line items (a document's lines: array of objects) as a table in forms and on record pages. The cells are
// ordinary RJSF fields (reference pickers, numbers, dates), so a line's lot picker is the same as a form's.
import { useEffect, useState, type CSSProperties, type ReactNode } from 'react';
import { Button, Checkbox, Table, Tag, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import type { ArrayFieldItemTemplateProps, ArrayFieldTemplateProps, FieldProps, ObjectFieldTemplateProps } from '@rjsf/utils';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { currentLang, pick } from '../i18n';
import { fieldLabel, titleField, useMeta, type FieldSchema, type Meta } from '../meta';
import { formatBand, formatValue } from '../lib/format';
import { pluginWidgets } from '../plugins';

type Props = Record<string, FieldSchema>;

/** An array of objects with declared properties (and not files): rendered as line items. */
export function isLines(p: FieldSchema | undefined): boolean {
  const items = p?.items as FieldSchema | undefined;
  return p?.type === 'array' && p['x-type'] !== 'attachment' && p['x-type'] !== 'json' && items?.type === 'object' && !!items.properties;
}

const colWidth = (s: FieldSchema) => (s['x-ref'] ? 'minmax(200px, 2fr)' : s.type === 'boolean' ? '110px' : s.format === 'date' ? 'minmax(140px, 1fr)' : 'minmax(110px, 1fr)');
const columnsOf = (schema: FieldSchema) => Object.entries(((schema.items as FieldSchema)?.properties ?? {}) as Props);
const grid = (schema: FieldSchema): CSSProperties => ({ display: 'grid', gridTemplateColumns: columnsOf(schema).map(([, s]) => colWidth(s)).join(' '), gap: 8, flex: 1, alignItems: 'start' });

export function LinesArrayTemplate(p: ArrayFieldTemplateProps) {
  const { t } = useTranslation();
  const lang = currentLang();
  const s = p.schema as FieldSchema;
  const required = new Set(((s.items as FieldSchema)?.required as string[] | undefined) ?? []);
  const editable = !p.readonly && !p.disabled;
  return (
    <div className="ct-lines" role="table" aria-label={pick(s['x-label'], lang, p.title ?? '')}>
      <div className="ct-lines-head" role="row" style={{ display: 'flex', gap: 8 }}>
        <div style={grid(s)}>
          {columnsOf(s).map(([k, c]) => (
            <div key={k} role="columnheader" className="ct-lines-th">
              {required.has(k) && editable ? <span className="ct-required">* </span> : null}
              {pick(c['x-label'], lang, k)}
            </div>
          ))}
        </div>
        {editable ? <div style={{ width: 40 }} /> : null}
      </div>
      {p.items}
      {p.items.length === 0 ? <Typography.Text type="secondary" className="ct-lines-empty" style={{ display: 'block', padding: '4px 0' }}>{t('form.noLines')}</Typography.Text> : null}
      {p.canAdd && editable ? (
        <Button icon={<PlusOutlined />} onClick={p.onAddClick} style={{ marginTop: 8, minHeight: 36 }}>
          {t('form.addLine')}
        </Button>
      ) : null}
    </div>
  );
}

export function LineItemTemplate(p: ArrayFieldItemTemplateProps) {
  const { t } = useTranslation();
  const editable = !p.readonly && !p.disabled;
  return (
    <div className="ct-lines-row" role="row" style={{ display: 'flex', gap: 8, alignItems: 'start' }}>
      <div style={{ flex: 1 }}>{p.children}</div>
      {editable ? (
        <Button
          danger
          type="text"
          icon={<DeleteOutlined />}
          aria-label={t('form.removeLine', { n: p.index + 1 })}
          disabled={!p.buttonsProps.hasRemove}
          onClick={p.buttonsProps.onRemoveItem}
          style={{ width: 40, height: 36 }}
        />
      ) : null}
    </div>
  );
}

export function LineRowTemplate(p: ObjectFieldTemplateProps) {
  return (
    <div style={grid({ type: 'array', items: p.schema } as FieldSchema)}>
      {p.properties.filter((x) => !x.hidden).map((x) => (
        <div key={x.name} role="cell" className="ct-lines-cell">
          {x.content}
        </div>
      ))}
    </div>
  );
}

/**
 * Computed lines (`readOnly`, e.g. a QC record's deviations): on a form the same read-only table as on the record
 * page, never an editor of lines nobody may change.
 */
export function ReadOnlyLinesField(p: FieldProps) {
  const entity = (p.registry.formContext as { entity?: string } | undefined)?.entity;
  const rows = Array.isArray(p.formData) ? (p.formData as Record<string, unknown>[]) : [];
  return (
    <div className="ct-readonly-lines" style={{ marginBottom: 16 }}>
      <div style={{ marginBottom: 8 }}>{p.schema.title ?? p.name}</div>
      {rows.length ? <LinesView schema={p.schema as FieldSchema} value={rows} entity={entity} /> : <Typography.Text type="secondary">—</Typography.Text>}
    </div>
  );
}

/**
 * A plugin widget on a line-item field (`x-widget` / form `widgets`): the plugin gets the field's value, the whole
 * form's data and the standard line editor to place where it likes (it adds what the generic editor cannot: a
 * template to prefill from, FEFO lots).
 */
export function PluginLinesField(p: FieldProps) {
  const name = (p.uiSchema?.['ui:options'] as { pluginWidget?: string } | undefined)?.pluginWidget ?? '';
  const W = pluginWidgets()[name];
  const ArrayEditor = p.registry.fields.ArrayField;
  const { 'ui:field': _f, ...ui } = p.uiSchema ?? {};
  const editor = <ArrayEditor {...p} uiSchema={ui} />;
  if (!W) return editor;
  const form = (p.registry.formContext as { data?: Record<string, unknown> } | undefined)?.data ?? {};
  const Widget = W as unknown as (x: Record<string, unknown>) => ReactNode;
  return <Widget {...(p as unknown as Record<string, unknown>)} value={p.formData} onChange={(v: unknown) => p.onChange(v as never, p.fieldPathId.path)} formData={form} editor={editor} />;
}

/** Titles of referenced records inside lines, one request per referenced entity. */
function useLineTitles(meta: Meta, schema: FieldSchema, rows: Record<string, unknown>[]): Map<string, string> {
  const [titles, setTitles] = useState(new Map<string, string>());
  const key = JSON.stringify(rows);
  useEffect(() => {
    let live = true;
    const byEntity = new Map<string, Set<number>>();
    for (const [k, c] of columnsOf(schema)) {
      if (!c['x-ref']) continue;
      for (const r of rows) if (typeof r[k] === 'number') (byEntity.get(c['x-ref']) ?? byEntity.set(c['x-ref'], new Set()).get(c['x-ref'])!).add(r[k] as number);
    }
    void Promise.all(
      [...byEntity].map(async ([entity, ids]) => {
        const tf = titleField(meta, entity);
        const b = await api<{ data: Record<string, unknown>[] }>(`/api/v1/data/${entity}`, {
          query: { filter: JSON.stringify({ id: { in: [...ids] } }), fields: `id,${tf}`, limit: ids.size },
        }).catch(() => ({ data: [] as Record<string, unknown>[] }));
        return b.data.map((r) => [`${entity}:${String(r.id)}`, String(r[tf] ?? '')] as const);
      }),
    ).then((all) => live && setTitles(new Map(all.flat())));
    return () => {
      live = false;
    };
  }, [meta, schema, key]); // eslint-disable-line react-hooks/exhaustive-deps
  return titles;
}

/** Lines on a record page: a read-only table with names (referenced titles, dictionary and enum labels). */
export function LinesView({ schema, value, entity }: { schema: FieldSchema; value: Record<string, unknown>[]; entity?: string }) {
  const meta = useMeta();
  const { t } = useTranslation();
  const lang = currentLang();
  const titles = useLineTitles(meta, schema, value);
  const cell = (k: string, c: FieldSchema, v: unknown, row: Record<string, unknown>): ReactNode => {
    if (v == null || v === '') return <Typography.Text type="secondary">—</Typography.Text>;
    // A line that names a field of the record (a QC finding's test): the field's label, its values formatted like it.
    if (c['x-names-field'] && entity) return fieldLabel(meta, entity, String(v), lang);
    if (typeof c['x-value-of'] === 'string' && entity) {
      const of = meta.entities[entity]?.properties[String(row[c['x-value-of']])];
      return typeof v === 'object' ? formatBand(meta, of, v, lang) : formatValue(meta, of, k, v, lang);
    }
    if (c['x-ref']) return titles.get(`${c['x-ref']}:${String(v)}`) ?? <Typography.Text type="secondary">{t('form.hiddenRef')}</Typography.Text>;
    if (c.type === 'boolean') return <Checkbox checked={!!v} disabled aria-label={pick(c['x-label'], lang, k)} />;
    if (c['x-dictionary'] || c.enum) return <Tag>{formatValue(meta, c, k, v, lang)}</Tag>;
    return formatValue(meta, c, k, v, lang);
  };
  return (
    <Table
      size="small"
      pagination={false}
      rowKey={(_r, i) => String(i)}
      dataSource={value}
      columns={[
        { title: '#', key: '#', width: 48, render: (_v, _r, i) => i + 1 },
        ...columnsOf(schema).map(([k, c]) => ({ title: pick(c['x-label'], lang, k), key: k, dataIndex: k, render: (v: unknown, r: Record<string, unknown>) => cell(k, c, v, r) })),
      ]}
    />
  );
}
