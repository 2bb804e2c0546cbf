// System administration: an index per metadata kind and the designer of one definition.
import { lazy, useState } from 'react';
import { App, Button, Card, Input, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { currentLang, pick } from '../i18n';
import { entityLabel, useMeta, type Meta } from '../meta';
import { navigate, Link } from '../router';
import { useCrumbs } from '../shell/crumbs';
import { DesignerFrame, useDefinition } from './common';

const EntityDesigner = lazy(() => import('./EntityDesigner'));
const FormDesigner = lazy(() => import('./FormDesigner'));
const ListDesigner = lazy(() => import('./ListDesigner'));
const NumberingDesigner = lazy(() => import('./NumberingDesigner'));
const DictionaryEditor = lazy(() => import('./DictionaryEditor'));
const RoleEditor = lazy(() => import('./RoleEditor'));
const FlowDesigner = lazy(() => import('./FlowDesigner'));

/** Kinds with a designer here; other kinds get the raw JSON editor (with the same versions and rollback). */
export const ADMIN_KINDS = ['entity', 'form', 'list', 'numbering', 'dictionary'] as const;
export const OPTIONAL_KINDS = ['role', 'flow'] as const;

function defsOf(meta: Meta, kind: string): Record<string, Record<string, unknown>> {
  switch (kind) {
    case 'entity': return meta.entities as never;
    case 'form': return meta.forms as never;
    case 'list': return meta.lists as never;
    case 'numbering': return meta.numbering as never;
    case 'dictionary': return meta.dictionaries as never;
    default: return (meta.kinds[kind] ?? {}) as never;
  }
}

function JsonDesigner({ kind, id }: { kind: string; id: string }) {
  const { t } = useTranslation();
  const state = useDefinition<Record<string, unknown>>(kind, id, () => ({ $id: id }));
  const [text, setText] = useState<string | null>(null);
  const [bad, setBad] = useState(false);
  const shown = text ?? (state.draft ? JSON.stringify(state.draft, null, 2) : '');
  return (
    <DesignerFrame kind={kind} id={id} title={t(`admin.kind.${kind}`, { defaultValue: kind })} state={state}>
      <Typography.Paragraph type="secondary">{t('admin.jsonHint')}</Typography.Paragraph>
      <Input.TextArea
        aria-label={t('admin.definition')}
        value={shown}
        status={bad ? 'error' : undefined}
        autoSize={{ minRows: 16, maxRows: 40 }}
        style={{ fontFamily: 'monospace', fontSize: 12 }}
        onChange={(e) => {
          setText(e.target.value);
          try {
            state.setDraft(JSON.parse(e.target.value) as Record<string, unknown>);
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
    </DesignerFrame>
  );
}

function KindIndex({ kind }: { kind: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const { modal } = App.useApp();
  const defs = defsOf(meta, kind);
  const rows = Object.entries(defs).map(([id, d]) => ({ id, label: pick(d['x-label'] ?? d.label, lang, id), entity: d.entity as string | undefined }));
  const create = () => {
    let id = '';
    modal.confirm({
      title: t('admin.newOf', { kind: t(`admin.kind.${kind}`) }),
      content: <Input aria-label={t('admin.id')} placeholder={t('admin.idHint')} onChange={(e) => (id = e.target.value.trim())} autoFocus />,
      onOk: () => {
        if (!/^[a-z][a-zA-Z0-9]{0,47}$/.test(id)) return Promise.reject(new Error('id'));
        void navigate(`/admin/${kind}/${id}`);
        return undefined;
      },
    });
  };
  return (
    <div className="ct-page">
      <div className="ct-toolbar">
        <Typography.Title level={4} style={{ margin: 0 }}>{t(`admin.kind.${kind}`, { defaultValue: kind })}</Typography.Title>
        <span className="ct-spacer" />
        <Button type="primary" icon={<PlusOutlined />} onClick={create}>{t('list.new')}</Button>
      </div>
      <Card size="small">
        <Table
          size="small"
          rowKey="id"
          dataSource={rows}
          pagination={rows.length > 50 ? { pageSize: 50 } : false}
          columns={[
            // Names first; the identifier is what the metadata refers to, shown as code (never translated).
            { title: t('admin.label'), dataIndex: 'label', render: (label: string, r: { id: string }) => <Link to={`/admin/${kind}/${r.id}`}>{label}</Link> },
            { title: t('admin.id'), dataIndex: 'id', render: (id: string) => <Typography.Text code translate="no">{id}</Typography.Text> },
            ...(kind === 'form' || kind === 'list' ? [{ title: t('admin.entity'), dataIndex: 'entity', render: (en?: string) => (en ? entityLabel(meta, en, lang) : '') }] : []),
          ]}
          onRow={(r) => ({ onDoubleClick: () => void navigate(`/admin/${kind}/${r.id}`) })}
        />
      </Card>
    </div>
  );
}

export default function AdminPage({ kind, id }: { kind: string; id?: string }) {
  const { t } = useTranslation();
  const meta = useMeta();
  const lang = currentLang();
  const def = id ? defsOf(meta, kind)[id] : undefined;
  // A new definition has no name yet: its identifier stands in.
  const defTitle = id ? (def ? pick((def['x-label'] ?? def.label) as never, lang, id) : id) : '';
  useCrumbs([{ title: t('admin.menu') }, { title: t(`admin.kind.${kind}`, { defaultValue: kind }), href: id ? `/admin/${kind}` : undefined }, ...(id ? [{ title: defTitle }] : [])]);
  if (!id) return <KindIndex key={kind} kind={kind} />;
  switch (kind) {
    case 'entity': return <EntityDesigner key={id} id={id} />;
    case 'form': return <FormDesigner key={id} id={id} />;
    case 'list': return <ListDesigner key={id} id={id} />;
    case 'numbering': return <NumberingDesigner key={id} id={id} />;
    case 'dictionary': return <DictionaryEditor key={id} id={id} />;
    case 'role': return <RoleEditor key={id} id={id} />;
    case 'flow': return <FlowDesigner key={id} id={id} />;
    default: return <JsonDesigner key={`${kind}/${id}`} kind={kind} id={id} />;
  }
}
