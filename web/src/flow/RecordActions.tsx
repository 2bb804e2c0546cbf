// Record page slot: the actions a flow or plugin declares for the entity that the record's state allows and the
// caller may run (GET /data/{entity}/{id}/actions), as buttons. Each opens a form generated from the action's input
// schema and, when the action is signed, the e-signature (password again, with its meaning shown).
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Checkbox, Form, Input, InputNumber, Modal, Select, Space, Typography } from 'antd';
import { SafetyCertificateOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText } from '../api';
import { useAuth } from '../auth';
import { currentLang, pick } from '../i18n';
import type { RecordSlotProps } from '../slots';

interface InputProp {
  type?: string | string[];
  enum?: unknown[];
  maxLength?: number;
  title?: string;
  'x-label'?: unknown;
  'x-enum-labels'?: Record<string, unknown>;
}
export interface RecordAction {
  action: string;
  label: string;
  input: { properties?: Record<string, InputProp>; required?: string[] } | null;
  signature: { meaning: string } | null;
}

export default function RecordActions({ entity, record, reload }: RecordSlotProps) {
  const [actions, setActions] = useState<RecordAction[]>([]);
  const [acting, setActing] = useState<RecordAction | null>(null);
  const load = useCallback(() => {
    api<{ data: RecordAction[] }>(`/api/v1/data/${entity}/${String(record.id)}/actions`)
      .then((b) => setActions(b.data ?? []))
      .catch(() => setActions([]));
  }, [entity, record.id]);
  useEffect(load, [load, record.version]);
  if (!actions.length) return null;
  return (
    <Space wrap data-testid="record-actions">
      {actions.map((a) => (
        <Button key={a.action} onClick={() => setActing(a)}>
          {a.label}
        </Button>
      ))}
      {acting && (
        <ActionDialog
          entity={entity}
          id={Number(record.id)}
          action={acting}
          onClose={(done) => {
            setActing(null);
            if (done) {
              load();
              reload();
            }
          }}
        />
      )}
    </Space>
  );
}

const typeOf = (p: InputProp) => (Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type);

function ActionDialog({ entity, id, action, onClose }: { entity: string; id: number; action: RecordAction; onClose(done: boolean): void }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { message } = App.useApp();
  const { user } = useAuth();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const props = Object.entries(action.input?.properties ?? {}).filter(([, p]) => ['string', 'integer', 'number', 'boolean'].includes(typeOf(p) ?? ''));
  const required = new Set(action.input?.required ?? []);
  const labelOf = (k: string, p: InputProp) => pick(p['x-label'], lang, '') || p.title || (k === 'comment' ? t('flow.comment') : k);

  const submit = async () => {
    const { password, ...input } = (await form.validateFields()) as Record<string, unknown> & { password?: string };
    for (const k of Object.keys(input)) if (input[k] === undefined || input[k] === '') delete input[k];
    setBusy(true);
    setError(null);
    try {
      await api(`/api/v1/data/${entity}/${id}/actions/${encodeURIComponent(action.action)}`, {
        method: 'POST',
        body: { ...input, ...(action.signature ? { signature: { password, meaning: action.signature.meaning } } : {}) },
      });
      message.destroy();
      void message.success(t('flow.done', { action: action.label }));
      onClose(true);
    } catch (e) {
      // A detail naming an input field goes onto that field; the rest above the form.
      const details = e instanceof ApiError ? e.details : [];
      const onField = details.filter((d) => props.some(([k]) => d.path === `/${k}`));
      if (onField.length) form.setFields(onField.map((d) => ({ name: d.path.slice(1), errors: [d.message] })));
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={action.label}
      okText={action.label}
      okButtonProps={{ loading: busy }}
      onOk={() => void submit()}
      onCancel={() => onClose(false)}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon role="alert" message={error} style={{ marginBottom: 12 }} />}
      {!props.length && !action.signature && <Typography.Paragraph>{t('flow.confirmAction', { action: action.label })}</Typography.Paragraph>}
      <Form form={form} name="ct-action" layout="vertical" onFinish={() => undefined}>
        {props.map(([k, p]) => {
          const ty = typeOf(p);
          const label = labelOf(k, p);
          const rules = required.has(k) ? [{ required: true, message: t('validation.required') }] : [];
          if (ty === 'boolean')
            return (
              <Form.Item key={k} name={k} valuePropName="checked" rules={rules}>
                <Checkbox>{label}</Checkbox>
              </Form.Item>
            );
          let control;
          if (p.enum) control = <Select aria-label={label} allowClear options={p.enum.map((v) => ({ value: v as string, label: pick(p['x-enum-labels']?.[String(v)], lang, String(v)) }))} />;
          else if (ty === 'integer' || ty === 'number') control = <InputNumber aria-label={label} precision={ty === 'integer' ? 0 : undefined} style={{ width: '100%' }} />;
          else if (k === 'comment' || (p.maxLength ?? 0) > 100) control = <Input.TextArea rows={3} maxLength={p.maxLength} />;
          else control = <Input maxLength={p.maxLength} onPressEnter={(e) => e.preventDefault()} />;
          return (
            <Form.Item key={k} name={k} label={label} rules={rules}>
              {control}
            </Form.Item>
          );
        })}
        {action.signature && (
          <>
            <Alert
              type="info"
              icon={<SafetyCertificateOutlined />}
              showIcon
              style={{ marginBottom: 12 }}
              message={t('flow.signatureTitle')}
              description={
                <>
                  <div>{t('flow.signer')}: <Typography.Text strong>{String(user?.displayName ?? user?.username ?? '')}</Typography.Text></div>
                  <div>{t('flow.meaning')}: <Typography.Text strong>{action.signature.meaning}</Typography.Text></div>
                </>
              }
            />
            <Form.Item name="password" label={t('flow.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
          </>
        )}
      </Form>
    </Modal>
  );
}
