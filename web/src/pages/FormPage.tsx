import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Button, Result, Skeleton, Space, Typography } from 'antd';
import { SaveOutlined } from '@ant-design/icons';
import type { ErrorSchema } from '@rjsf/utils';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText } from '../api';
import { currentLang, pick } from '../i18n';
import { entityLabel, formFor, listFor, titleField, useMeta } from '../meta';
import { navigate, useBlocker, useLocation } from '../router';
import { useCrumbs } from '../shell/crumbs';
import { detailsToErrors } from '../form/schema';
import MetaForm, { useVisibleSections } from '../form/MetaForm';

type Data = Record<string, unknown>;


/** Comparable form of the data: no undefined/empty values, keys sorted. */
function canon(d: Data): string {
  const out: Data = {};
  for (const k of Object.keys(d).sort()) if (d[k] !== undefined && d[k] !== null && d[k] !== '') out[k] = d[k];
  return JSON.stringify(out);
}

export default function FormPage({ entity, id }: { entity: string; id?: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const { message, modal } = App.useApp();
  const schema = meta.entities[entity];
  const form = formFor(meta, entity);
  const list = listFor(meta, entity);
  const isNew = id == null;

  const [loading, setLoading] = useState(!isNew);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [data, setData] = useState<Data>({});
  const [initial, setInitial] = useState<string>(canon({}));
  const [record, setRecord] = useState<Data | null>(null);
  const [saving, setSaving] = useState(false);
  const [extraErrors, setExtraErrors] = useState<ErrorSchema>({});
  const [general, setGeneral] = useState<string[]>([]);
  const dataRef = useRef(data);
  dataRef.current = data;

  const eLabel = entityLabel(meta, entity, lang);
  const title = isNew ? t('form.newTitle', { entity: eLabel }) : t('form.editTitle', { entity: eLabel });
  const recTitle = record ? String(record[titleField(meta, entity)] ?? `#${id}`) : `#${id ?? ''}`;
  useCrumbs([
    ...(list ? [{ title: pick(list.label, lang, list.$id), href: `/list/${list.$id}` }] : []),
    ...(isNew ? [] : [{ title: recTitle, href: `/record/${entity}/${id}` }]),
    { title },
  ]);

  const refFields = useMemo(() => Object.entries(schema?.properties ?? {}).filter(([, p]) => p['x-ref']).map(([k]) => k), [schema]);

  const load = useCallback(() => {
    if (isNew || !schema) return;
    setLoading(true);
    setLoadError(null);
    api<{ data: Data }>(`/api/v1/data/${entity}/${id}`, { query: { expand: refFields.join(',') || undefined } })
      .then((b) => {
        const rec = b.data;
        const own: Data = {};
        for (const k of Object.keys(schema.properties)) if (rec[k] !== undefined && rec[k] !== null) own[k] = rec[k];
        setRecord(rec);
        setData(own);
        setInitial(canon(own));
        setExtraErrors({});
        setGeneral([]);
      })
      .catch((e: unknown) => setLoadError(errorText(e)))
      .finally(() => setLoading(false));
  }, [entity, id, isNew, schema, refFields]);
  useEffect(load, [load]);

  // A new record opened from a task or another record: `?order=12` presets writable fields, and a preset reference
  // copies its `x-prefill` fields as choosing it would. The preset counts as the form's starting point (not dirty).
  const { search } = useLocation();
  const presetKey = isNew ? search.toString() : '';
  useEffect(() => {
    if (!isNew || !schema || !presetKey) return;
    let live = true;
    const preset: Data = {};
    for (const [k, raw] of new URLSearchParams(presetKey)) {
      const p = schema.properties[k];
      if (!p || p.readOnly) continue;
      const n = Number(raw);
      if (p.type === 'integer' || p.type === 'number') {
        if (raw !== '' && Number.isFinite(n)) preset[k] = n;
      } else if (p.type === 'boolean') preset[k] = raw === 'true';
      else if (p.type === 'string') preset[k] = raw;
    }
    const prefills = Object.entries(preset).filter(([k]) => schema.properties[k]?.['x-ref'] && schema.properties[k]?.['x-prefill']);
    void Promise.all(
      prefills.map(([k, v]) =>
        api<{ data: Data }>(`/api/v1/data/${schema.properties[k]['x-ref']}/${String(v)}`)
          .then((b) => {
            for (const [mine, theirs] of Object.entries(schema.properties[k]['x-prefill'] ?? {})) if (b.data[theirs] != null && preset[mine] === undefined) preset[mine] = b.data[theirs];
          })
          .catch(() => undefined),
      ),
    ).then(() => {
      if (!live) return;
      setData(preset);
      setInitial(canon(preset));
    });
    return () => {
      live = false;
    };
  }, [isNew, schema, presetKey]);

  const sections = useVisibleSections(meta, entity, form, data);
  const visibleFields = useMemo(() => sections.flatMap((sec) => sec.fields), [sections]);

  const dirty = canon(data) !== initial;
  useBlocker(dirty && !saving, () =>
    new Promise<boolean>((resolve) => {
      modal.confirm({
        title: t('form.unsavedTitle'),
        content: t('form.unsavedBody'),
        okText: t('form.leave'),
        cancelText: t('form.stay'),
        okButtonProps: { danger: true },
        onOk: () => resolve(true),
        onCancel: () => resolve(false),
      });
    }),
  );

  const conflict = () =>
    modal.confirm({
      title: t('form.conflictTitle'),
      content: t('form.conflictBody'),
      okText: t('common.reload'),
      cancelText: t('common.cancel'),
      onOk: () => load(),
    });

  const save = async (formData: Data) => {
    if (!schema) return;
    const writable = visibleFields.filter((f) => !schema.properties[f]?.readOnly);
    setSaving(true);
    setGeneral([]);
    setExtraErrors({});
    try {
      let saved: Data;
      if (isNew) {
        const body: Data = {};
        for (const f of writable) if (formData[f] !== undefined && formData[f] !== '') body[f] = formData[f];
        saved = (await api<{ data: Data }>(`/api/v1/data/${entity}`, { method: 'POST', body })).data;
      } else {
        const before = record ?? {};
        const body: Data = { version: before.version };
        for (const f of writable) {
          const now = formData[f] === '' ? undefined : formData[f];
          if (JSON.stringify(now ?? null) !== JSON.stringify(before[f] ?? null)) body[f] = now ?? null;
        }
        saved = (await api<{ data: Data }>(`/api/v1/data/${entity}/${id}`, { method: 'PATCH', body })).data;
      }
      setInitial(canon(formData));
      message.destroy(); // an earlier "fix the errors" toast must not stay beside "saved"
      void message.success(t('form.saved'));
      void navigate(`/record/${entity}/${String(saved?.id ?? id)}`, { force: true, replace: isNew });
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) conflict();
      else if (e instanceof ApiError && e.details.length) {
        const { extra, general: g } = detailsToErrors(e.details, visibleFields);
        setExtraErrors(extra as ErrorSchema);
        setGeneral([e.message, ...g]);
        void message.error(t('form.fixErrors'));
      } else {
        setGeneral([errorText(e)]);
      }
    } finally {
      setSaving(false);
    }
  };

  if (!schema) return <Result status="404" title={t('form.unknownEntity', { id: entity })} />;
  if (loadError) {
    return <Result status="error" title={t('error.loadFailed')} subTitle={loadError} extra={<Button onClick={load}>{t('common.retry')}</Button>} />;
  }

  return (
    <div className="ct-page" style={{ maxWidth: 1100 }}>
      <Typography.Title level={4} style={{ marginTop: 0 }}>
        {title}
        {!isNew && record ? <Typography.Text type="secondary" translate="no" style={{ marginLeft: 8, fontSize: 14 }}>{recTitle}</Typography.Text> : null}
      </Typography.Title>
      {general.length > 0 && (
        <Alert type="error" showIcon role="alert" style={{ marginBottom: 12 }} message={general[0]} description={general.length > 1 ? general.slice(1).join('；') : undefined} />
      )}
      {loading ? (
        <Skeleton active paragraph={{ rows: 8 }} />
      ) : (
        <MetaForm
          meta={meta}
          entity={entity}
          form={form}
          data={data}
          isNew={isNew}
          record={record}
          extraErrors={extraErrors}
          onChange={(next) => {
            // A server error on a field goes away once the user edits that field.
            const changed = Object.keys(extraErrors).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(dataRef.current[k]));
            if (changed.length) {
              const rest = { ...(extraErrors as Record<string, unknown>) };
              for (const k of changed) delete rest[k];
              setExtraErrors(rest as ErrorSchema);
            }
            setData(next);
          }}
          onSubmit={(d) => void save(d)}
          onError={() => void message.error(t('form.fixErrors'))}
        >
          <div className="ct-form-actions">
            <Space>
              <Button type="primary" htmlType="submit" icon={<SaveOutlined />} loading={saving}>
                {t('common.save')}
              </Button>
              <Button onClick={() => history.back()}>{t('common.cancel')}</Button>
            </Space>
          </div>
        </MetaForm>
      )}
    </div>
  );
}
