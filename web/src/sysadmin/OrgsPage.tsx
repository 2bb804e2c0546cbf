// The org tree: company → centre → lab → department; add, rename, disable units.
import { useMemo, useState } from 'react';
import { App, Button, Card, Col, Descriptions, Empty, Form, Input, Modal, Row, Select, Space, Tag, Tree, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { KIND_COLORS, ORG_KINDS, orgName, useOrgs, type OrgKind, type OrgUnit } from './common';

const LEVEL: Record<OrgKind, number> = { company: 0, centre: 1, lab: 2, department: 3 };

interface NewUnit {
  kind: OrgKind;
  code: string;
  name: string;
  nameEn?: string;
}

export default function OrgsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { orgs, byId, reload } = useOrgs();
  const [selected, setSelected] = useState<number | null>(null);
  const [adding, setAdding] = useState<{ parent: OrgUnit | null } | null>(null);
  const [names] = Form.useForm<{ name: string; nameEn?: string }>();
  const [add] = Form.useForm<NewUnit>();
  const unit = selected ? byId.get(selected) : undefined;

  const treeData = useMemo(() => {
    const kids = new Map<number | null, OrgUnit[]>();
    for (const o of orgs) kids.set(o.parentId, [...(kids.get(o.parentId) ?? []), o]);
    const node = (o: OrgUnit): any => ({
      key: o.id,
      title: (
        <span style={{ opacity: o.disabled ? 0.5 : 1 }}>
          {orgName(o)} <Tag color={KIND_COLORS[o.kind]}>{t(`sys.orgs.kinds.${o.kind}`)}</Tag>
          {o.disabled && <Tag>{t('sys.orgs.disabled')}</Tag>}
        </span>
      ),
      children: (kids.get(o.id) ?? []).sort((a, b) => a.sort - b.sort || a.name.localeCompare(b.name)).map(node),
    });
    return (kids.get(null) ?? []).map(node);
  }, [orgs, t]);

  const patch = async (body: Record<string, unknown>) => {
    if (!unit) return;
    try {
      await api(`/api/v1/admin/orgs/${unit.id}`, { method: 'PATCH', body });
      void message.success(t('sys.common.saved'));
      reload();
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const kindsBelow = (parent: OrgUnit | null) => (parent ? ORG_KINDS.filter((k) => LEVEL[k] > LEVEL[parent.kind]) : (['company'] as OrgKind[]));
  const openAdd = (parent: OrgUnit | null) => {
    setAdding({ parent });
  };
  const saveAdd = async () => {
    const v = await add.validateFields();
    try {
      const r = await api<{ data: OrgUnit }>('/api/v1/admin/orgs', { body: { ...v, nameEn: v.nameEn || null, parentId: adding?.parent?.id ?? null } });
      void message.success(t('sys.orgs.added'));
      setAdding(null);
      reload();
      setSelected(r.data.id);
    } catch (e) {
      void message.error(errorText(e));
    }
  };

  return (
    <div className="ct-page">
      <div className="ct-toolbar">
        <span className="ct-spacer" />
        <Button icon={<PlusOutlined />} onClick={() => openAdd(null)}>{t('sys.orgs.addRoot')}</Button>
      </div>
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Card size="small">
            {orgs.length ? (
              <Tree
                treeData={treeData}
                defaultExpandAll
                key={orgs.length}
                blockNode
                selectedKeys={selected ? [selected] : []}
                onSelect={(keys) => {
                  const id = keys[0] as number | undefined;
                  setSelected(id ?? null);
                  const o = id ? byId.get(id) : undefined;
                  if (o) names.setFieldsValue({ name: o.name, nameEn: o.nameEn ?? '' });
                }}
              />
            ) : (
              <Empty />
            )}
          </Card>
        </Col>
        <Col xs={24} md={12}>
          <Card size="small" title={unit ? orgName(unit) : undefined}>
            {!unit ? (
              <Typography.Text type="secondary">{t('sys.orgs.selectHint')}</Typography.Text>
            ) : (
              <>
                <Descriptions size="small" column={1}>
                  <Descriptions.Item label={t('sys.orgs.kind')}><Tag color={KIND_COLORS[unit.kind]}>{t(`sys.orgs.kinds.${unit.kind}`)}</Tag></Descriptions.Item>
                  <Descriptions.Item label={t('sys.orgs.code')}>{unit.code}</Descriptions.Item>
                  {unit.parentId && <Descriptions.Item label={t('sys.orgs.parent')}>{orgName(byId.get(unit.parentId))}</Descriptions.Item>}
                  <Descriptions.Item label={t('sys.common.status')}>{unit.disabled ? <Tag>{t('sys.orgs.disabled')}</Tag> : <Tag color="green">{t('sys.users.statusNormal')}</Tag>}</Descriptions.Item>
                </Descriptions>
                <Form form={names} layout="vertical" name="orgNames" onFinish={(v) => void patch({ name: v.name, nameEn: v.nameEn || null })}>
                  <Form.Item name="name" label={t('sys.orgs.name')} rules={[{ required: true, message: t('sys.users.required') }]}>
                    <Input />
                  </Form.Item>
                  <Form.Item name="nameEn" label={t('sys.orgs.nameEn')}>
                    <Input />
                  </Form.Item>
                  <Space wrap>
                    <Button type="primary" htmlType="submit">{t('sys.orgs.rename')}</Button>
                    <Button onClick={() => openAdd(unit)} disabled={unit.kind === 'department'} title={unit.kind === 'department' ? t('sys.orgs.noChild') : undefined} icon={<PlusOutlined />}>
                      {t('sys.orgs.addChild')}
                    </Button>
                    <Button danger={!unit.disabled} onClick={() => void patch({ disabled: !unit.disabled })}>{unit.disabled ? t('sys.orgs.enable') : t('sys.orgs.disable')}</Button>
                  </Space>
                </Form>
              </>
            )}
          </Card>
        </Col>
      </Row>
      <Modal open={!!adding} title={adding?.parent ? `${t('sys.orgs.addChild')} · ${orgName(adding.parent)}` : t('sys.orgs.addRoot')} onCancel={() => setAdding(null)} onOk={() => void saveAdd()} okText={t('common.save')} destroyOnHidden>
        <Form form={add} layout="vertical" name="orgAdd" preserve={false} initialValues={{ kind: kindsBelow(adding?.parent ?? null)[0] }}>
          <Form.Item name="kind" label={t('sys.orgs.kind')} rules={[{ required: true, message: t('sys.users.required') }]}>
            <Select aria-label={t('sys.orgs.kind')} options={kindsBelow(adding?.parent ?? null).map((k) => ({ value: k, label: t(`sys.orgs.kinds.${k}`) }))} />
          </Form.Item>
          <Form.Item name="name" label={t('sys.orgs.name')} rules={[{ required: true, message: t('sys.users.required') }]}>
            <Input />
          </Form.Item>
          <Form.Item name="nameEn" label={t('sys.orgs.nameEn')}>
            <Input />
          </Form.Item>
          <Form.Item name="code" label={t('sys.orgs.code')} extra={t('sys.orgs.codeRule')} rules={[{ required: true, message: t('sys.users.required') }, { pattern: /^[A-Za-z0-9_-]{1,40}$/, message: t('sys.orgs.codeRule') }]}>
            <Input />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
