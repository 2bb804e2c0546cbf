import { useCallback, useEffect, useRef, useState } from 'react';
import { DatePicker, Image, Input, InputNumber, Select, Spin, Upload, App } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { FieldProps, WidgetProps } from '@rjsf/utils';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { currentLang, pick } from '../i18n';
import { titleField, useMeta, type FieldSchema } from '../meta';

const ctx = (p: WidgetProps) => p.registry.formContext as FormCtx | undefined;
export interface FormCtx {
  /** `{field}$expanded` objects of the loaded record, to label reference values without a round trip. */
  expanded: Record<string, Record<string, unknown> | undefined>;
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

interface Opt {
  value: number | string;
  label: string;
}

/** Reference field: searchable, paged select over the referenced entity's title field. */
export function RefWidget(p: WidgetProps) {
  const { t } = useTranslation();
  const meta = useMeta();
  const { message } = App.useApp();
  const ref = (p.schema as FieldSchema)['x-ref'] ?? '';
  const tf = titleField(meta, ref);
  const fieldName = p.name;
  const [opts, setOpts] = useState<Opt[]>([]);
  const [loading, setLoading] = useState(false);
  const [more, setMore] = useState(true);
  const [current, setCurrent] = useState<Opt | null>(null);
  const q = useRef('');
  const seq = useRef(0);

  // Label of the current value: from the expanded record, else fetch it once.
  useEffect(() => {
    if (p.value == null || p.value === '') return setCurrent(null);
    if (current?.value === p.value) return;
    const exp = ctx(p)?.expanded[fieldName];
    if (exp && exp.id === p.value && exp[tf] != null) return setCurrent({ value: p.value as number, label: String(exp[tf]) });
    api<{ data: Record<string, unknown> }>(`/api/v1/data/${ref}/${String(p.value)}`, { query: { fields: `id,${tf}` } })
      .then((b) => setCurrent({ value: p.value as number, label: String(b.data?.[tf] ?? `#${String(p.value)}`) }))
      .catch(() => setCurrent({ value: p.value as number, label: `#${String(p.value)}` }));
    // eslint-disable-next-line
  }, [p.value, ref, tf]);

  const load = useCallback(
    (text: string, offset: number) => {
      const my = ++seq.current;
      setLoading(true);
      api<{ data: Record<string, unknown>[] }>(`/api/v1/data/${ref}`, {
        query: {
          filter: text ? JSON.stringify({ [tf]: { contains: text } }) : undefined,
          limit: 20,
          offset,
          fields: `id,${tf}`,
          sort: tf,
        },
      })
        .then((b) => {
          if (my !== seq.current) return;
          const rows = (b.data ?? []).map((r) => ({ value: r.id as number, label: String(r[tf] ?? `#${String(r.id)}`) }));
          setOpts((prev) => (offset === 0 ? rows : [...prev, ...rows]));
          setMore(rows.length === 20);
        })
        .catch((e: unknown) => void message.error(errorText(e)))
        .finally(() => my === seq.current && setLoading(false));
    },
    [ref, tf, message],
  );

  const debounce = useRef<number>(0);
  const options = current && !opts.some((o) => o.value === current.value) ? [current, ...opts] : opts;
  return (
    <Select
      {...common(p)}
      showSearch
      allowClear
      filterOption={false}
      placeholder={p.placeholder || t('form.searchPlaceholder')}
      value={p.value ?? undefined}
      options={options}
      notFoundContent={loading ? <Spin size="small" /> : undefined}
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
      onChange={(v: number | undefined, o) => {
        if (o && !Array.isArray(o)) setCurrent({ value: v as number, label: String(o.label) });
        p.onChange(v ?? undefined);
      }}
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
