// One flow action on a task: comment and, when the transition asks for it, an e-signature (password again,
// with the meaning of the signature shown, 21 CFR Part 11 style).
import { useState } from 'react';
import { Alert, App, Form, Input, Modal, Typography } from 'antd';
import { SafetyCertificateOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { useAuth } from '../auth';

export interface TaskAction {
  action: string;
  label: string;
  type?: string;
  comment?: 'required' | 'optional' | 'none';
  signature: { meaning: string } | null;
}
export interface Task {
  id: number;
  kind: string;
  status: string;
  entity: string;
  entityLabel: string;
  recordId: number;
  title: string;
  flow: { id: string; label: string } | null;
  stateLabel: string | null;
  assignee: { id: number; name: string | null };
  initiator: { id: number; name: string } | null;
  dueAt: string | null;
  overdue: boolean;
  createdAt: string;
  actedAt?: string | null;
  action?: string | null;
  comment?: string | null;
  actions: TaskAction[];
}

export default function ActDialog({ task, action, onClose }: { task: Task; action: TaskAction | null; onClose(done: boolean): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { user } = useAuth();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!action) return null;
  const submit = async () => {
    const v = (await form.validateFields()) as { comment?: string; password?: string };
    setBusy(true);
    setError(null);
    try {
      if (action.action === 'complete' && task.kind === 'assign') await api(`/api/v1/inbox/tasks/${task.id}/complete`, { method: 'POST', body: { comment: v.comment } });
      else
        await api(`/api/v1/inbox/tasks/${task.id}/act`, {
          method: 'POST',
          body: { action: action.action, comment: v.comment, signature: action.signature ? { password: v.password } : undefined },
        });
      message.destroy();
      void message.success(t('flow.done', { action: action.label }));
      form.resetFields();
      onClose(true);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={`${action.label} · ${task.title}`}
      okText={action.label}
      okButtonProps={{ danger: action.type === 'reject', loading: busy }}
      onOk={() => void submit()}
      onCancel={() => onClose(false)}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon role="alert" message={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical">
        {action.comment !== 'none' && (
          <Form.Item name="comment" label={t('flow.comment')} rules={[{ required: action.comment === 'required', message: t('flow.commentRequired') }]}>
            <Input.TextArea id="ct-flow-comment" rows={3} />
          </Form.Item>
        )}
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
              <Input.Password id="ct-flow-password" autoComplete="current-password" />
            </Form.Item>
          </>
        )}
      </Form>
    </Modal>
  );
}
