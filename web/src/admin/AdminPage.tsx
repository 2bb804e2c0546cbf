// System administration: an index per metadata kind and the designer of one definition.
import { lazy, useEffect, useState } from 'react';
import { Button, Card, Form, Input, Modal, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { currentLang, pick } from '../i18n';
import { entityLabel, useMeta, type Meta } from '../meta';
import { navigate, Link } from '../router';
import { useCrumbs } from '../shell/crumbs';
import { NEW_NAMES } from './common';
import { NO_PINYIN, idFromLabel, isSafeId, usePinyin } from './ids';

const EntityDesigner = lazy(() => import('./EntityDesigner'));
const FormDesigner = lazy(() => import('./FormDesigner'));
const ListDesigner = lazy(() => import('./ListDesigner'));
const NumberingDesigner = lazy(() => import('./NumberingDesigner'));
const DictionaryEditor = lazy(() => import('./DictionaryEditor'));
const RoleEditor = lazy(() => import('./RoleEditor'));
const FlowDesigner = lazy(() => import('./FlowDesigner'));
const SchemaDesigner = lazy(() => import('./SchemaDesigner'));
const DashboardDesigner = lazy(() => import('../dashboard/DashboardDesigner'));

/** Kinds with a hand-made designer; every other kind gets the form generated from its meta-schema (SchemaDesigner). */
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

/**
 * A new definition: the admin types its Chinese name; the id is generated from it (pinyin, camelCase, unique among
 * the kind's ids), shown and editable; a wrong id is refused with the rule, never silently.
 */
function NewDefinition({ kind, taken, onClose }: { kind: string; taken: string[]; onClose(): void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ name: string; id: string }>();
  const [idTouched, setIdTouched] = useState(false);
  const pinyin = usePinyin();
  const fallback = kind === 'role' ? 'role' : kind === 'flow' ? 'flow' : kind;
  useEffect(() => {
    const name = form.getFieldValue('name') as string | undefined;
    if (pinyin && !idTouched && name?.trim()) form.setFieldsValue({ id: idFromLabel(name, pinyin, taken, { fallback }) });
  }, [pinyin]); // eslint-disable-line
  return (
    <Modal
      open
      title={t('admin.newOf', { kind: t(`admin.kind.${kind}`, { defaultValue: kind }) })}
      onCancel={onClose}
      onOk={async () => {
        // Problems show under their box; nothing to do until they are fixed.
        const v = await form.validateFields().catch(() => null);
        if (!v) return;
        NEW_NAMES.set(`${kind}/${v.id}`, v.name.trim());
        onClose();
        void navigate(`/admin/${kind}/${v.id}`);
      }}
    >
      <Form
        form={form}
        layout="vertical"
        onValuesChange={(changed: { name?: string; id?: string }) => {
          if ('id' in changed) setIdTouched(true);
          if ('name' in changed && !idTouched) form.setFieldsValue({ id: changed.name?.trim() ? idFromLabel(changed.name, pinyin ?? NO_PINYIN, taken, { fallback }) : '' });
        }}
      >
        <Form.Item name="name" label={t('admin.nameZh')} rules={[{ required: true, whitespace: true, message: t('admin.labelZhRequired') }]}>
          <Input id="ct-new-def-name" autoFocus />
        </Form.Item>
        <Form.Item
          name="id"
          label={t('admin.id')}
          extra={t('admin.idAuto')}
          rules={[
            { required: true, message: t('admin.idRule') },
            { validator: async (_, v: string) => { if (v && !isSafeId(v, [], 48)) throw new Error(t('admin.idRule')); if (v && taken.includes(v)) throw new Error(t('admin.idTaken', { id: v })); } },
          ]}
        >
          <Input id="ct-new-def-id" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function KindIndex({ kind }: { kind: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const defs = defsOf(meta, kind);
  const rows = Object.entries(defs).map(([id, d]) => ({ id, label: pick(d['x-label'] ?? d.label, lang, id), entity: d.entity as string | undefined }));
  const [creating, setCreating] = useState(false);
  return (
    <div className="ct-page">
      {creating && <NewDefinition kind={kind} taken={Object.keys(defs)} onClose={() => setCreating(false)} />}
      <div className="ct-toolbar">
        <Typography.Title level={4} style={{ margin: 0 }}>{t(`admin.kind.${kind}`, { defaultValue: kind })}</Typography.Title>
        <span className="ct-spacer" />
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>{t('list.new')}</Button>
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
    case 'dashboard': return <DashboardDesigner key={id} id={id} />;
    default: return <SchemaDesigner key={`${kind}/${id}`} kind={kind} id={id} />;
  }
}
