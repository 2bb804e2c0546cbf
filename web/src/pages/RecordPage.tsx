import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { App, Badge, Button, Card, Descriptions, Image, Input, Modal, Result, Skeleton, Space, Tabs, Tag, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, PaperClipOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { currentLang, pick } from '../i18n';
import { entityLabel, fieldLabel, formFor, listFor, titleField, useMeta, type FieldSchema } from '../meta';
import { Link, navigate } from '../router';
import { useCrumbs } from '../shell/crumbs';
import { formatDateTime, formatValue, refTitle, userName } from '../lib/format';
import { isLines, LinesView } from '../form/LineItems';
import RecordHistory, { type HistoryEntry } from './RecordHistory';
import RelatedRecords, { relationsOf, useRelatedCount, type Relation } from './RelatedRecords';
import { visibleSections } from '../form/schema';
import { fileUrl, isImage, type Attachment } from '../form/widgets';
import { recordActionSlots } from '../slots';
import { hostApi, pluginPage } from '../plugins';
import '../trace/messages';

type Data = Record<string, unknown>;

// The trace graph (echarts) loads with the tab, not with every record page.
const TraceTab = lazy(() => import('../trace/TraceTab'));

interface SignatureRow {
  id: number;
  printedName: string;
  username: string;
  meaning: string;
  action: string | null;
  signedAt: string;
  valid: boolean;
}

export default function RecordPage({ entity, id }: { entity: string; id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const { message } = App.useApp();
  const schema = meta.entities[entity];
  const list = listFor(meta, entity);
  const [record, setRecord] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [history, setHistory] = useState<HistoryEntry[] | null>(null);
  const [historyError, setHistoryError] = useState<string | null>(null);
  const [signatures, setSignatures] = useState<SignatureRow[]>([]);

  const refFields = useMemo(() => Object.entries(schema?.properties ?? {}).filter(([, p]) => p['x-ref']).map(([k]) => k), [schema]);
  const relations = useMemo(() => relationsOf(meta, entity), [meta, entity]);
  const [deleting, setDeleting] = useState(false);
  const [deleteReason, setDeleteReason] = useState('');

  const load = useCallback(() => {
    setError(null);
    api<{ data: Data }>(`/api/v1/data/${entity}/${id}`, { query: { expand: [...refFields, 'createdBy', 'updatedBy'].join(',') } })
      .then((b) => setRecord(b.data))
      .catch((e: unknown) => setError(errorText(e)));
    api<{ data: HistoryEntry[] }>(`/api/v1/data/${entity}/${id}/history`)
      .then((b) => setHistory(b.data ?? []))
      .catch((e: unknown) => setHistoryError(errorText(e)));
    // E-signatures are shown with the record they sign (Part 11 §11.50); none or no access: no card.
    api<{ data: SignatureRow[] }>(`/api/v1/data/${entity}/${id}/signatures`)
      .then((b) => setSignatures(b.data ?? []))
      .catch(() => setSignatures([]));
  }, [entity, id, refFields]);
  useEffect(load, [load]);
  const [slotRound, setSlotRound] = useState(0);
  const reloadAfterAction = useCallback(() => {
    load();
    setSlotRound((n) => n + 1);
  }, [load]);

  const title = record ? String(record[titleField(meta, entity)] ?? entityLabel(meta, entity, lang)) : entityLabel(meta, entity, lang);
  useCrumbs([...(list ? [{ title: pick(list.label, lang, list.$id), href: `/list/${list.$id}` }] : []), { title }]);

  const render = (field: string, f: FieldSchema | undefined, value: unknown): ReactNode => {
    if (value == null || value === '' || (Array.isArray(value) && !value.length)) return <Typography.Text type="secondary">—</Typography.Text>;
    if (f?.['x-ref'] && record && Array.isArray(value)) {
      const many = (record[`${field}$expanded`] ?? []) as (Data | null)[];
      const tf = titleField(meta, f['x-ref']);
      return (
        <Space wrap size={[8, 4]}>
          {value.map((v, i) => (
            <Link key={String(v)} to={`/record/${f['x-ref']}/${String(v)}`}>{many[i]?.[tf] != null ? String(many[i]![tf]) : t('record.noAccess')}</Link>
          ))}
        </Space>
      );
    }
    if (f?.['x-ref'] && record) return <Link to={`/record/${f['x-ref']}/${String(value)}`}>{refTitle(meta, f, field, record)}</Link>;
    if (f?.['x-type'] === 'attachment' && Array.isArray(value)) {
      const files = value as Attachment[];
      return (
        <Space wrap>
          <Image.PreviewGroup>
            {files.filter(isImage).map((a) => (
              <Image key={String(a.id)} src={fileUrl(a)} alt={a.name} width={72} height={72} className="ct-thumb" />
            ))}
          </Image.PreviewGroup>
          {files.filter((a) => !isImage(a)).map((a) => (
            <a key={String(a.id)} href={fileUrl(a)} target="_blank" rel="noreferrer">
              <PaperClipOutlined /> {a.name}
            </a>
          ))}
        </Space>
      );
    }
    if (f && isLines(f) && Array.isArray(value)) return <LinesView schema={f} value={value as Record<string, unknown>[]} entity={entity} />;
    if (f?.['x-type'] === 'json' || (typeof value === 'object' && !Array.isArray(value))) {
      return <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{JSON.stringify(value, null, 2)}</pre>;
    }
    if (f?.['x-type'] === 'text') return <span style={{ whiteSpace: 'pre-wrap' }}>{String(value)}</span>;
    if (f?.['x-dictionary'] || f?.enum) return <Tag>{formatValue(meta, f, field, value, lang, record ?? undefined)}</Tag>;
    return formatValue(meta, f, field, value, lang, record ?? undefined);
  };

  const remove = async () => {
    if (!deleteReason.trim()) return;
    try {
      await api(`/api/v1/data/${entity}/${id}`, {
        method: 'DELETE',
        query: { version: record?.version as number },
        headers: { 'X-Change-Reason': encodeURIComponent(deleteReason.trim()) },
      });
      setDeleting(false);
      void message.success(t('record.deletedOk'));
      void navigate(list ? `/list/${list.$id}` : '/', { replace: true });
    } catch (e) {
      void message.error(errorText(e));
    }
  };

  if (!schema) return <Result status="404" title={t('form.unknownEntity', { id: entity })} />;
  if (error) return <Result status="error" title={t('error.loadFailed')} subTitle={error} extra={<Button onClick={load}>{t('common.retry')}</Button>} />;
  if (!record) return <div className="ct-page"><Skeleton active paragraph={{ rows: 10 }} /></div>;

  const sections = visibleSections(meta, entity, formFor(meta, entity), record, lang);
  const shown = new Set(sections.flatMap((s) => s.fields));
  const rest = Object.keys(schema.properties).filter((f) => !shown.has(f) && record[f] != null && record[f] !== '');
  if (rest.length) sections.push({ key: '_other', title: t('form.other'), fields: rest });

  const attachments = Object.entries(schema.properties).filter(([k, p]) => p['x-type'] === 'attachment' && Array.isArray(record[k]) && (record[k] as unknown[]).length);
  const pluginTabs = (schema['x-record-tabs'] ?? []).flatMap((tab) => {
    const Tab = pluginPage(tab.widget);
    return Tab ? [{ key: `_p_${tab.key}`, label: pick(tab.label, lang, tab.key), children: <Tab key={slotRound} api={hostApi} lang={lang} entity={entity} record={record} reload={reloadAfterAction} /> }] : [];
  });
  const tabs = [
    ...pluginTabs,
    ...relations.map((r) => ({ key: r.key, label: <RelatedLabel relation={r} id={id} />, children: <RelatedRecords meta={meta} relation={r} id={id} /> })),
    ...(attachments.length
      ? [{ key: '_attachments', label: t('record.attachments'), children: attachments.map(([k, p]) => <div key={k} className="ct-section">{fieldLabel(meta, entity, k, lang)}: {render(k, p, record[k])}</div>) }]
      : []),
    { key: '_trace', label: t('trace.tab'), children: <Suspense fallback={<Skeleton active />}><TraceTab entity={entity} id={id} /></Suspense> },
    { key: '_history', label: t('record.history'), children: <div className="ct-history"><RecordHistory entity={entity} id={id} history={history} error={historyError} reload={load} /></div> },
  ];

  return (
    <div className="ct-page" style={{ maxWidth: 1200 }}>
      <div className="ct-toolbar">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {entityLabel(meta, entity, lang)} · <span translate="no">{title}</span>
        </Typography.Title>
        <span className="ct-spacer" />
        {recordActionSlots.map((Slot, i) => (
          // Remounted after an action: a flow started or moved on without changing the record's version.
          <Slot key={`${i}:${slotRound}`} entity={entity} record={record} reload={reloadAfterAction} />
        ))}
        <Button type="primary" icon={<EditOutlined />} onClick={() => void navigate(`/form/${entity}/${id}/edit`)}>
          {t('common.edit')}
        </Button>
        <Button danger icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => setDeleting(true)}>
          {t('common.delete')}
        </Button>
        <Modal
          open={deleting}
          title={t('record.deleteTitle')}
          okText={t('common.delete')}
          cancelText={t('common.cancel')}
          okButtonProps={{ danger: true, disabled: !deleteReason.trim() }}
          onOk={() => void remove()}
          onCancel={() => setDeleting(false)}
          destroyOnHidden
        >
          <p>{t('record.confirmDelete')}</p>
          <Input.TextArea aria-label={t('record.deleteReason')} placeholder={t('record.deleteReason')} rows={3} maxLength={500} value={deleteReason} onChange={(e) => setDeleteReason(e.target.value)} />
        </Modal>
      </div>
      {sections.map((s) => (
        <Card key={s.key} size="small" title={s.title || t('record.details')} className="ct-section">
          <Descriptions size="small" column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 3, xxl: 3 }} bordered>
            {s.fields.map((f) => (
              <Descriptions.Item key={f} label={fieldLabel(meta, entity, f, lang)} span={schema.properties[f]?.['x-type'] || isLines(schema.properties[f]) ? 'filled' : 1}>
                {render(f, schema.properties[f], record[f])}
              </Descriptions.Item>
            ))}
          </Descriptions>
        </Card>
      ))}
      {signatures.length > 0 && (
        <Card size="small" title={<span><SafetyCertificateOutlined /> {t('record.signatures')}</span>} className="ct-section ct-signatures">
          <Signatures rows={signatures} />
        </Card>
      )}
      <Card size="small" title={t('record.system')} className="ct-section">
        <Descriptions size="small" column={{ xs: 1, md: 2, xl: 5 }}>
          <Descriptions.Item label={t('record.version')}>{String(record.version ?? '')}</Descriptions.Item>
          <Descriptions.Item label={t('record.createdBy')}>{userName('createdBy', record)}</Descriptions.Item>
          <Descriptions.Item label={t('record.createdAt')}>{formatDateTime(record.createdAt)}</Descriptions.Item>
          <Descriptions.Item label={t('record.updatedAt')}>{formatDateTime(record.updatedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('record.updatedBy')}>{userName('updatedBy', record)}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card size="small" className="ct-section ct-record-tabs">
        <Tabs items={tabs} defaultActiveKey={pluginTabs.length ? pluginTabs[0].key : relations.length ? relations[0].key : '_history'} />
      </Card>
    </div>
  );
}

function RelatedLabel({ relation, id }: { relation: Relation; id: string }) {
  const n = useRelatedCount(relation, id);
  return (
    <span>
      {relation.title} {n != null && <Badge count={n} showZero color={n ? '#1677ff' : '#bfbfbf'} size="small" />}
    </span>
  );
}

function Signatures({ rows }: { rows: SignatureRow[] }) {
  const { t } = useTranslation();
  return (
    <>
      {rows.map((g) => (
        <Descriptions key={g.id} size="small" column={{ xs: 1, md: 2, xl: 3 }} data-testid="signature">
          <Descriptions.Item label={t('record.signedBy')}>{g.printedName} ({g.username})</Descriptions.Item>
          <Descriptions.Item label={t('record.meaning')}>{g.meaning}</Descriptions.Item>
          <Descriptions.Item label={t('record.signedAt')}>
            {formatDateTime(g.signedAt)} {g.valid ? <Tag color="green">{t('record.sigValid')}</Tag> : <Tag color="red">{t('record.sigInvalid')}</Tag>}
          </Descriptions.Item>
        </Descriptions>
      ))}
    </>
  );
}
