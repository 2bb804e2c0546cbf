import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { DatePicker, Image, Input, InputNumber, Select, Spin, Upload, App } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { FieldProps, WidgetProps } from '@rjsf/utils';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import i18n, { currentLang, pick } from '../i18n';
import { disabledFields, fieldLabel, pickerDisabled, titleField, useMeta, type FieldSchema, type Meta } from '../meta';
import { formatValue } from '../lib/format';
import { useAuth } from '../auth';

const ctx = (p: WidgetProps) => p.registry.formContext as FormCtx | undefined;
export interface FormCtx {
  /** `{field}$expanded` objects of the loaded record, to label reference values without a round trip. */
  expanded: Record<string, unknown>;
  /** The form's entity, its current values and the record's id (undefined on a new record). */
  entity?: string;
  data?: Record<string, unknown>;
  recordId?: unknown;
  /** Sets other fields of the form (x-prefill). */
  patch?(values: Record<string, unknown>): void;
}

function common(p: WidgetProps) {
  return {
    id: p.id,
    disabled: p.disabled || p.readonly,
    'aria-label': p.label,
    status: p.rawErrors?.length ? ('error' as const) : undefined,
    onBlur: () => p.onBlur(p.id, p.value),
    onFocus: () => p.onFocus(p.id, p.value),
  };
}

/** Dictionary field: enabled items; a disabled item stays visible when it is the current value. */
export function DictWidget(p: WidgetProps) {
  const { t } = useTranslation();
  const meta = useMeta();
  const lang = currentLang();
  const dict = meta.dictionaries[(p.schema as FieldSchema)['x-dictionary'] ?? ''];
  const options = (dict?.items ?? [])
    .filter((i) => i.enabled !== false || i.code === p.value)
    .map((i) => ({ value: i.code, label: pick(i.label, lang, i.code), disabled: i.enabled === false }));
  if (p.value && !options.some((o) => o.value === p.value)) options.push({ value: p.value as string, label: String(p.value), disabled: true });
  return (
    <Select
      {...common(p)}
      allowClear
      showSearch
      optionFilterProp="label"
      placeholder={p.placeholder || t('form.selectPlaceholder')}
      value={p.value ?? undefined}
      options={options}
      onChange={(v) => p.onChange(v ?? undefined)}
      style={{ width: '100%' }}
    />
  );
}

export function EnumWidget(p: WidgetProps) {
  const { t } = useTranslation();
  const lang = currentLang();
  const s = p.schema as FieldSchema;
  const options = (s.enum ?? []).map((v) => ({ value: v as string, label: pick(s['x-enum-labels']?.[String(v)], lang, String(v)) }));
  return (
    <Select
      {...common(p)}
      allowClear
      placeholder={p.placeholder || t('form.selectPlaceholder')}
      value={p.value ?? undefined}
      options={options}
      onChange={(v) => p.onChange(v ?? undefined)}
      style={{ width: '100%' }}
    />
  );
}

/**
 * The owning lab (`x-owner-lab`) of a new record: the labs of the org tree by name; empty means the signed-in user's
 * own lab (the server fills it and refuses a lab that is not the user's). Fixed once the record exists.
 */
export function OwnerLabWidget(p: WidgetProps) {
  const { t } = useTranslation();
  const lang = currentLang();
  const fc = ctx(p);
  const [labs, setLabs] = useState<{ value: number; label: string }[]>([]);
  useEffect(() => {
    let live = true;
    api<{ data: { id: number; kind: string; name: string; nameEn: string | null; disabled: boolean }[] }>('/api/v1/admin/orgs')
      .then((b) => live && setLabs(b.data.filter((u) => u.kind === 'lab' && !u.disabled).map((u) => ({ value: u.id, label: lang === 'en' && u.nameEn ? u.nameEn : u.name }))))
      .catch(() => live && setLabs([]));
    return () => {
      live = false;
    };
  }, [lang]);
  const exp = fc?.expanded[p.name] as { displayName?: string } | undefined;
  const options = labs.length || p.value == null ? labs : [{ value: p.value as number, label: exp?.displayName ?? '' }];
  return (
    <Select
      {...common(p)}
      disabled={p.disabled || p.readonly || fc?.recordId != null}
      allowClear
      placeholder={t('form.ownLab')}
      value={p.value ?? undefined}
      options={options}
      onChange={(v) => p.onChange(v ?? undefined)}
      style={{ width: '100%' }}
    />
  );
}

interface Opt {
  value: number;
  label: string;
  /** Second line: what tells this record apart (the entity's `x-picker-fields`). */
  sub?: string;
  /** Offered but not choosable (the entity's `x-picker-disabled`). */
  disabled?: boolean;
}

type Row = Record<string, unknown>;

/** The second line of a picker option: the picker fields' values, formatted (labels, names, dates). */
function subLine(meta: Meta, entity: string, row: Row, fields: string[], lang: ReturnType<typeof currentLang>): string {
  const props = meta.entities[entity]?.properties ?? {};
  return fields
    .map((f) => (props[f] ? formatValue(meta, props[f], f, row[f], lang, row) : ''))
    .filter((x) => x && x !== i18n.t('record.noAccess'))
    .join(' · ');
}

/** The search over title and picker fields as one `or` filter (dictionary and enum fields match their labels). */
function searchFilter(meta: Meta, entity: string, tf: string, fields: string[], text: string, lang: ReturnType<typeof currentLang>): Row {
  const props = meta.entities[entity]?.properties ?? {};
  const low = text.toLowerCase();
  const ors: Row[] = [{ [tf]: { contains: text } }];
  for (const f of fields) {
    const p = props[f];
    if (!p || f === tf) continue;
    if (p['x-ref']) {
      const rtf = titleField(meta, p['x-ref']);
      if (meta.entities[p['x-ref']]?.properties[rtf]?.type === 'string') ors.push({ [`${f}.${rtf}`]: { contains: text } });
    } else if (p['x-user']) ors.push({ [`${f}.displayName`]: { contains: text } });
    else if (p['x-dictionary']) {
      const codes = (meta.dictionaries[p['x-dictionary']]?.items ?? []).filter((i) => pick(i.label, lang, i.code).toLowerCase().includes(low) || i.code.toLowerCase().includes(low)).map((i) => i.code);
      if (codes.length) ors.push({ [f]: { in: codes } });
    } else if (p.enum) {
      const codes = p.enum.map(String).filter((v) => pick(p['x-enum-labels']?.[v], lang, v).toLowerCase().includes(low));
      if (codes.length) ors.push({ [f]: { in: codes } });
    } else if (p.format === 'date') {
      if (/^\d{4}-\d{2}-\d{2}$/.test(text)) ors.push({ [f]: { eq: text } });
    } else if (p.type === 'string' && !p['x-encrypted']) ors.push({ [f]: { contains: text } });
  }
  return ors.length === 1 ? ors[0] : { or: ors };
}

/**
 * Reference field: a searchable, paged select over the referenced entity. Options show the title and, on a second
 * line, the entity's `x-picker-fields` (two customers named 张伟 differ by code and birth date); the search covers
 * them too. `x-ref-filter` narrows the options by this form's values (vials of the chosen batch), `x-prefill` copies
 * fields of the chosen record into the form. An array field (`type: array`) picks several.
 */
export function RefWidget(p: WidgetProps) {
  const { t } = useTranslation();
  const meta = useMeta();
  const lang = currentLang();
  const { message } = App.useApp();
  const fs = p.schema as FieldSchema;
  const multiple = fs.type === 'array';
  const ref = fs['x-ref'] ?? ((fs.items as FieldSchema | undefined)?.['x-ref'] as string | undefined) ?? '';
  const tf = titleField(meta, ref);
  const fieldName = p.name;
  const fc = ctx(p);
  const target = meta.entities[ref];
  const pickerFields = useMemo(() => (target?.['x-picker-fields'] ?? []).filter((f) => f in (target?.properties ?? {})), [target]);
  const expandable = pickerFields.filter((f) => target?.properties[f]?.['x-ref']);
  // The form's values this picker depends on (x-ref-filter); a missing one means "choose that first".
  const rules = Object.entries(fs['x-ref-filter'] ?? {});
  const formFilter: Row = {};
  let missing: string | null = null;
  for (const [tfield, r] of rules) {
    const v = fc?.data?.[r.$field];
    if (v == null || v === '') missing ??= r.$field;
    else formFilter[tfield] = v;
  }
  const filterKey = JSON.stringify(formFilter);
  const [opts, setOpts] = useState<Opt[]>([]);
  const [loading, setLoading] = useState(false);
  const [more, setMore] = useState(true);
  const [known, setKnown] = useState<Map<number, Opt>>(new Map());
  const q = useRef('');
  const seq = useRef(0);
  const toOpt = useCallback((r: Row): Opt => ({ value: r.id as number, label: r[tf] != null && r[tf] !== '' ? String(r[tf]) : t('record.noAccess'), sub: subLine(meta, ref, r, pickerFields, lang) || undefined, disabled: pickerDisabled(meta, ref, r) }), [meta, ref, tf, pickerFields, lang, t]);
  const readFields = [...new Set(['id', tf, ...pickerFields, ...disabledFields(meta, ref)])].join(',');

  const values: number[] = (multiple ? (Array.isArray(p.value) ? p.value : []) : p.value == null || p.value === '' ? [] : [p.value]) as number[];
  const valuesKey = values.join(',');
  // Labels of the current values: from the expanded record, else fetched once.
  useEffect(() => {
    const unknown = values.filter((v) => !known.has(v));
    if (!unknown.length) return;
    const exp = fc?.expanded[fieldName];
    const fromExp = (Array.isArray(exp) ? exp : exp ? [exp] : []).filter((x): x is Row => !!x && typeof x === 'object');
    const next = new Map(known);
    for (const r of fromExp) if (unknown.includes(r.id as number) && r[tf] != null) next.set(r.id as number, toOpt(r));
    const still = unknown.filter((v) => !next.has(v));
    if (next.size !== known.size) setKnown(next);
    if (!still.length) return;
    api<{ data: Row[] }>(`/api/v1/data/${ref}`, { query: { filter: JSON.stringify({ id: { in: still } }), fields: readFields, expand: expandable.join(',') || undefined, limit: still.length } })
      .then((b) => setKnown((m) => {
        const n = new Map(m);
        for (const r of b.data ?? []) n.set(r.id as number, toOpt(r));
        for (const v of still) if (!n.has(v)) n.set(v, { value: v, label: t('record.noAccess') });
        return n;
      }))
      .catch(() => undefined);
    // eslint-disable-next-line
  }, [valuesKey, ref, tf]);

  const load = useCallback(
    (text: string, offset: number) => {
      if (missing) return;
      const my = ++seq.current;
      setLoading(true);
      const search = text ? searchFilter(meta, ref, tf, pickerFields, text, lang) : undefined;
      const parts = [search, Object.keys(formFilter).length ? formFilter : undefined].filter(Boolean) as Row[];
      api<{ data: Row[] }>(`/api/v1/data/${ref}`, {
        query: {
          filter: parts.length ? JSON.stringify(parts.length === 1 ? parts[0] : { and: parts }) : undefined,
          limit: 20,
          offset,
          fields: readFields,
          expand: expandable.join(',') || undefined,
          sort: tf,
        },
      })
        .then((b) => {
          if (my !== seq.current) return;
          const rows = (b.data ?? []).map(toOpt);
          setOpts((prev) => (offset === 0 ? rows : [...prev, ...rows]));
          setKnown((m) => {
            const n = new Map(m);
            for (const r of rows) n.set(r.value, r);
            return n;
          });
          setMore(rows.length === 20);
        })
        .catch((e: unknown) => void message.error(errorText(e)))
        .finally(() => my === seq.current && setLoading(false));
    },
    // eslint-disable-next-line
    [ref, tf, message, filterKey, missing, toOpt],
  );
  // Another batch chosen: the options of the old one are no longer valid choices.
  useEffect(() => setOpts([]), [filterKey]);

  /** x-prefill: copy the chosen record's fields into the form. */
  const prefill = (id: number) => {
    const map = Object.entries(fs['x-prefill'] ?? {});
    if (!map.length || !fc?.patch) return;
    api<{ data: Row }>(`/api/v1/data/${ref}/${id}`, { query: { fields: ['id', ...new Set(map.map(([, theirs]) => theirs))].join(',') } })
      .then((b) => {
        const values: Row = {};
        for (const [mine, theirs] of map) if (b.data?.[theirs] != null) values[mine] = b.data[theirs];
        if (Object.keys(values).length) fc.patch!(values);
      })
      .catch((e: unknown) => void message.error(errorText(e)));
  };

  const debounce = useRef<number>(0);
  const current = values.map((v) => known.get(v) ?? { value: v, label: '…' });
  const options = [...current.filter((c) => !opts.some((o) => o.value === c.value)), ...opts].map((o) => (o.disabled && values.includes(o.value) ? { ...o, disabled: false } : o));
  const missingLabel = missing ? fieldLabel(meta, fc?.entity ?? '', missing, lang) : '';
  return (
    <Select
      {...common(p)}
      mode={multiple ? 'multiple' : undefined}
      showSearch
      allowClear
      filterOption={false}
      placeholder={missing ? t('names.chooseFirst', { field: missingLabel }) : p.placeholder || t('form.searchPlaceholder')}
      value={multiple ? values : (p.value ?? undefined)}
      options={options}
      optionRender={(o) => (
        <div className="ct-ref-option">
          <div>{o.data.label}</div>
          {o.data.sub && <div className="ct-ref-option-sub">{o.data.sub}</div>}
        </div>
      )}
      notFoundContent={loading ? <Spin size="small" /> : missing ? t('names.chooseFirst', { field: missingLabel }) : undefined}
      onOpenChange={(open) => open && opts.length === 0 && load('', 0)}
      onSearch={(text) => {
        q.current = text;
        window.clearTimeout(debounce.current);
        debounce.current = window.setTimeout(() => load(text, 0), 300);
      }}
      onPopupScroll={(e) => {
        const el = e.target as HTMLElement;
        if (more && !loading && el.scrollTop + el.clientHeight >= el.scrollHeight - 24) load(q.current, opts.length);
      }}
      onChange={(v: number | number[] | undefined) => {
        if (multiple) return p.onChange(Array.isArray(v) && v.length ? v : undefined);
        p.onChange(v ?? undefined);
        if (typeof v === 'number') prefill(v);
      }}
      style={{ width: '100%' }}
    />
  );
}

interface Person {
  id: number;
  displayName: string;
  orgName?: string | null;
}

/**
 * A user reference (`x-user`): search the people the signed-in user may name by name; shows display names only.
 * `x-user: current` on a new record: empty means "me" (the server fills it), said in the placeholder.
 */
export function UserWidget(p: WidgetProps) {
  const { t } = useTranslation();
  const { user } = useAuth();
  const { message } = App.useApp();
  const fs = p.schema as FieldSchema;
  const fc = ctx(p);
  const [opts, setOpts] = useState<Person[]>([]);
  const [loading, setLoading] = useState(false);
  const [known, setKnown] = useState<Map<number, string>>(new Map());
  const seq = useRef(0);
  const debounce = useRef<number>(0);
  const value = typeof p.value === 'number' ? p.value : undefined;

  useEffect(() => {
    if (value == null || known.has(value)) return;
    const exp = fc?.expanded[p.name] as { id?: number; displayName?: string } | undefined;
    if (exp?.id === value && exp.displayName) return setKnown((m) => new Map(m).set(value, exp.displayName!));
    if (user && Number(user.id) === value && user.displayName) return setKnown((m) => new Map(m).set(value, user.displayName!));
    api<{ data: Person[] }>('/api/v1/users', { query: { ids: String(value) } })
      .then((b) => setKnown((m) => new Map(m).set(value, b.data?.[0]?.displayName ?? t('record.noAccess'))))
      .catch(() => undefined);
    // eslint-disable-next-line
  }, [value]);

  const load = (q: string) => {
    const my = ++seq.current;
    setLoading(true);
    api<{ data: Person[] }>('/api/v1/users', { query: { q: q || undefined, limit: 20 } })
      .then((b) => {
        if (my !== seq.current) return;
        setOpts(b.data ?? []);
        setKnown((m) => {
          const n = new Map(m);
          for (const u of b.data ?? []) n.set(u.id, u.displayName);
          return n;
        });
      })
      .catch((e: unknown) => void message.error(errorText(e)))
      .finally(() => my === seq.current && setLoading(false));
  };

  const options = opts.map((u) => ({ value: u.id, label: u.displayName, sub: u.orgName ?? undefined }));
  if (value != null && !options.some((o) => o.value === value)) options.unshift({ value, label: known.get(value) ?? '…', sub: undefined });
  const me = fs['x-user'] === 'current' && !fc?.recordId && user?.displayName ? t('names.currentUser', { name: user.displayName }) : undefined;
  return (
    <Select
      {...common(p)}
      showSearch
      allowClear
      filterOption={false}
      placeholder={me ?? (p.placeholder || t('names.searchUser'))}
      value={value}
      options={options}
      optionRender={(o) => (
        <div className="ct-ref-option">
          <div>{o.data.label}</div>
          {o.data.sub && <div className="ct-ref-option-sub">{o.data.sub}</div>}
        </div>
      )}
      notFoundContent={loading ? <Spin size="small" /> : undefined}
      onOpenChange={(open) => open && opts.length === 0 && load('')}
      onSearch={(text) => {
        window.clearTimeout(debounce.current);
        debounce.current = window.setTimeout(() => load(text.trim()), 300);
      }}
      onChange={(v: number | undefined) => p.onChange(v ?? undefined)}
      style={{ width: '100%' }}
    />
  );
}

/**
 * Numbers without min/max clamping: antd's InputNumber would silently turn 150 into 100, which must never
 * happen to a measured value; the validator reports the out-of-range value on the field instead.
 */
export function NumberWidget(p: WidgetProps) {
  const integer = p.schema.type === 'integer';
  return (
    <InputNumber
      {...common(p)}
      value={typeof p.value === 'number' ? p.value : null}
      step={integer ? 1 : undefined}
      precision={integer ? 0 : undefined}
      onChange={(v) => p.onChange(v == null ? undefined : v)}
      style={{ width: '100%' }}
    />
  );
}

export function DateWidget(p: WidgetProps) {
  const v = p.value ? dayjs(String(p.value)) : null;
  return (
    <DatePicker
      {...common(p)}
      value={v && v.isValid() ? v : null}
      onChange={(d) => p.onChange(d ? d.format('YYYY-MM-DD') : undefined)}
      style={{ width: '100%' }}
    />
  );
}

export function DateTimeWidget(p: WidgetProps) {
  const v = p.value ? dayjs(String(p.value)) : null;
  return (
    <DatePicker
      {...common(p)}
      showTime={{ format: 'HH:mm' }}
      format="YYYY-MM-DD HH:mm"
      value={v && v.isValid() ? v : null}
      onChange={(d) => p.onChange(d ? d.toISOString() : undefined)}
      style={{ width: '100%' }}
    />
  );
}

export interface Attachment {
  id: string | number;
  name: string;
  size?: number;
  mime?: string;
}

export const fileUrl = (a: Attachment) => `/api/v1/files/${encodeURIComponent(String(a.id))}`;
export const isImage = (a: Attachment) => /^image\//.test(a.mime ?? '') || /\.(png|jpe?g|gif|webp|bmp)$/i.test(a.name ?? '');

/** Attachments: uploaded to /api/v1/files one by one; the field holds `[{id, name, size, mime}]`. */
export function AttachmentWidget(p: WidgetProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const value: Attachment[] = Array.isArray(p.value) ? (p.value as Attachment[]) : [];
  const valueRef = useRef(value);
  valueRef.current = value;
  const [uploading, setUploading] = useState(0);
  const [preview, setPreview] = useState<string | null>(null);
  const disabled = p.disabled || p.readonly;
  return (
    <>
      <Upload
        listType="picture-card"
        multiple
        disabled={disabled}
        fileList={value.map((a) => ({
          uid: String(a.id),
          name: a.name,
          status: 'done' as const,
          url: fileUrl(a),
          thumbUrl: isImage(a) ? fileUrl(a) : undefined,
        }))}
        onPreview={(f) => (f.thumbUrl ? setPreview(f.url ?? null) : window.open(f.url, '_blank'))}
        onRemove={(f) => {
          p.onChange(valueRef.current.filter((a) => String(a.id) !== f.uid));
          return true;
        }}
        customRequest={async ({ file, onSuccess, onError }) => {
          const f = file as File;
          setUploading((n) => n + 1);
          try {
            const b = await api<{ data: Attachment }>('/api/v1/files', {
              method: 'POST',
              raw: f,
              headers: { 'Content-Type': f.type || 'application/octet-stream', 'X-File-Name': encodeURIComponent(f.name) },
            });
            const a = { ...b.data, name: b.data.name ?? f.name, mime: b.data.mime ?? f.type };
            p.onChange([...valueRef.current, a]);
            onSuccess?.(a);
          } catch (e) {
            void message.error(errorText(e));
            onError?.(e as Error);
          } finally {
            setUploading((n) => n - 1);
          }
        }}
      >
        {!disabled && (
          <button type="button" aria-label={t('form.upload')} style={{ border: 0, background: 'none', cursor: 'pointer' }}>
            {uploading ? <Spin size="small" /> : <PlusOutlined />}
            <div style={{ marginTop: 8 }}>{uploading ? t('form.uploading') : t('form.upload')}</div>
          </button>
        )}
      </Upload>
      {preview && (
        <Image style={{ display: 'none' }} src={preview} preview={{ visible: true, src: preview, onVisibleChange: (v) => !v && setPreview(null) }} />
      )}
    </>
  );
}

/** Free JSON object (`x-type: json`): edited as text, parsed on blur. */
export function JsonField(p: FieldProps) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => (p.formData == null ? '' : JSON.stringify(p.formData, null, 2)));
  const [bad, setBad] = useState(false);
  return (
    <div>
      <label htmlFor={p.fieldPathId.$id} style={{ display: 'block', marginBottom: 4 }}>
        {(p.schema.title as string) ?? p.name}
      </label>
      <Input.TextArea
        id={p.fieldPathId.$id}
        rows={4}
        value={text}
        disabled={p.disabled || p.readonly}
        status={bad ? 'error' : undefined}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => {
          if (!text.trim()) {
            setBad(false);
            return p.onChange(undefined, p.fieldPathId.path);
          }
          try {
            p.onChange(JSON.parse(text) as unknown, p.fieldPathId.path);
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
        style={{ fontFamily: 'monospace' }}
      />
      {bad && <div style={{ color: '#ff4d4f' }}>{t('form.invalidJson')}</div>}
    </div>
  );
}
