// Multi-reference field (`type: array`, `items: integer`, `x-ref`): picks several records of the referenced entity.
// Each option shows the title plus what tells records apart (the target's `x-picker-fields`, e.g. a vial's position
// and status), and the choices can be narrowed by the form's other values (`x-ref-filter`).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { App, Select, Spin, Typography } from 'antd';
import type { WidgetProps } from '@rjsf/utils';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { currentLang } from '../i18n';
import { disabledFields, pickerDisabled, titleField, useMeta, type FieldSchema, type Meta } from '../meta';
import { formatValue } from '../lib/format';

type Data = Record<string, unknown>;
/** `{"batch": {"$field": "batch"}, "status": "stored"}`: equal to a field of this form, or to a constant. */
export type RefFilter = Record<string, unknown>;

const isFieldRef = (v: unknown): v is { $field: string } => !!v && typeof v === 'object' && typeof (v as { $field?: unknown }).$field === 'string';

/**
 * The list filter an `x-ref-filter` means for the current form data, and the form fields it still waits for (a
 * `$field` without a value: nothing can be offered until it is chosen).
 */
export function refFilterOf(spec: RefFilter | undefined, data: Data): { filter: Data; missing: string[] } {
  const filter: Data = {};
  const missing: string[] = [];
  for (const [target, v] of Object.entries(spec ?? {})) {
    if (isFieldRef(v)) {
      const own = data[v.$field];
      if (own == null || own === '' || (Array.isArray(own) && own.length === 0)) missing.push(v.$field);
      else filter[target] = Array.isArray(own) ? { in: own } : own;
    } else filter[target] = v;
  }
  return { filter, missing };
}

/** The fields shown beside the title: the target's `x-picker-fields`, else none. */
export function pickerFields(meta: Meta, entity: string): string[] {
  const s = meta.entities[entity];
  const declared = s?.['x-picker-fields'];
  return Array.isArray(declared) ? (declared as string[]).filter((f) => f in (s?.properties ?? {})) : [];
}

interface Opt {
  value: number;
  label: string;
  /** Title and the telling fields, for the option row. */
  title: string;
  extra: string[];
  disabled?: boolean;
}

export default function MultiRefWidget(p: WidgetProps) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const { message } = App.useApp();
  const s = p.schema as FieldSchema;
  const ref = (s['x-ref'] ?? (s.items as FieldSchema | undefined)?.['x-ref'] ?? '') as string;
  const tf = titleField(meta, ref);
  const shown = useMemo(() => pickerFields(meta, ref), [meta, ref]);
  const target = meta.entities[ref];
  const data = ((p.registry.formContext as { data?: Data } | undefined)?.data ?? {}) as Data;
  const { filter, missing } = refFilterOf(s['x-ref-filter'] as RefFilter | undefined, data);
  const filterKey = JSON.stringify(filter);
  const value: number[] = Array.isArray(p.value) ? (p.value as unknown[]).filter((v): v is number => typeof v === 'number') : [];

  const toOpt = useCallback(
    (r: Data): Opt => {
      const title = String(r[tf] ?? '') || '—';
      const extra = shown.map((f) => formatValue(meta, target?.properties[f], f, r[f], lang, r)).filter(Boolean);
      return { value: Number(r.id), title, extra, label: [title, ...extra].join(' · '), disabled: pickerDisabled(meta, ref, r) };
    },
    [tf, shown, meta, target, lang, ref],
  );
  const fields = [...new Set(['id', tf, ...shown, ...disabledFields(meta, ref)])].join(',');

  const [opts, setOpts] = useState<Opt[]>([]);
  const [known, setKnown] = useState<Map<number, Opt>>(new Map());
  const [loading, setLoading] = useState(false);
  const [more, setMore] = useState(true);
  const q = useRef('');
  const seq = useRef(0);

  // Labels of the chosen records (an edited record's vials), fetched once by id.
  useEffect(() => {
    const unknown = value.filter((id) => !known.has(id));
    if (!unknown.length) return;
    api<{ data: Data[] }>(`/api/v1/data/${ref}`, { query: { filter: JSON.stringify({ id: { in: unknown } }), fields, limit: unknown.length } })
      .then((b) => setKnown((m) => new Map([...m, ...(b.data ?? []).map((r) => [Number(r.id), toOpt(r)] as const)])))
      .catch(() => undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value.join(','), ref]);

  const load = useCallback(
    (text: string, offset: number) => {
      const my = ++seq.current;
      setLoading(true);
      const search = text ? { or: [tf, ...shown.filter((f) => target?.properties[f]?.type === 'string' && !target.properties[f].enum)].map((f) => ({ [f]: { contains: text } })) } : null;
      const all = search ? { and: [filter, search] } : filter;
      api<{ data: Data[] }>(`/api/v1/data/${ref}`, {
        query: { filter: Object.keys(filter).length || search ? JSON.stringify(all) : undefined, limit: 50, offset, fields, sort: tf },
      })
        .then((b) => {
          if (my !== seq.current) return;
          const rows = (b.data ?? []).map(toOpt);
          setOpts((prev) => (offset === 0 ? rows : [...prev, ...rows]));
          setKnown((m) => new Map([...m, ...rows.map((o) => [o.value, o] as const)]));
          setMore(rows.length === 50);
        })
        .catch((e: unknown) => void message.error(errorText(e)))
        .finally(() => my === seq.current && setLoading(false));
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [ref, tf, fields, filterKey, toOpt, message],
  );

  // A change of the filtering fields (another batch): the offered records change, and chosen ones that no longer
  // match are dropped (they could not be saved anyway).
  const first = useRef(true);
  useEffect(() => {
    setOpts([]);
    if (first.current) {
      first.current = false;
      return;
    }
    if (value.length) p.onChange(undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filterKey, missing.join(',')]);

  const debounce = useRef<number>(0);
  const waiting = missing.length > 0;
  const options = [...value.filter((id) => !opts.some((o) => o.value === id)).map((id) => known.get(id) ?? { value: id, label: '…', title: '…', extra: [] }), ...opts]
    .map((o) => (o.disabled && value.includes(o.value) ? { ...o, disabled: false } : o));
  const placeholder = waiting
    ? t('form.chooseFirst', { field: missing.map((f) => String((p.registry.rootSchema.properties?.[f] as { title?: string } | undefined)?.title ?? f)).join(lang === 'en' ? ', ' : '、') })
    : p.placeholder || t('form.searchPlaceholder');
  return (
    <Select<number[], Opt>
      id={p.id}
      mode="multiple"
      aria-label={p.label}
      disabled={p.disabled || p.readonly || (waiting && value.length === 0)}
      status={p.rawErrors?.length ? 'error' : undefined}
      showSearch
      allowClear
      filterOption={false}
      placeholder={placeholder}
      value={value}
      options={options}
      optionRender={(o) => (
        <span data-testid="multi-ref-option">
          <Typography.Text strong>{o.data.title}</Typography.Text>
          {o.data.extra.length > 0 && <Typography.Text type="secondary"> · {o.data.extra.join(' · ')}</Typography.Text>}
        </span>
      )}
      notFoundContent={loading ? <Spin size="small" /> : undefined}
      onOpenChange={(open) => open && opts.length === 0 && load(q.current, 0)}
      onSearch={(text) => {
        q.current = text;
        window.clearTimeout(debounce.current);
        debounce.current = window.setTimeout(() => load(text, 0), 300);
      }}
      onPopupScroll={(e) => {
        const el = e.target as HTMLElement;
        if (more && !loading && el.scrollTop + el.clientHeight >= el.scrollHeight - 24) load(q.current, opts.length);
      }}
      onChange={(v) => p.onChange(v && v.length ? v : undefined)}
      onBlur={() => p.onBlur(p.id, p.value)}
      onFocus={() => p.onFocus(p.id, p.value)}
      style={{ width: '100%' }}
    />
  );
}
