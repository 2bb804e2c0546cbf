// The password and lockout policy as a form (administrators save it; others read it).
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, InputNumber, Skeleton } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText } from '../api';
import { useAuth } from '../auth';

interface Policy {
  passwordMinLength: number;
  passwordClasses: number;
  maxFailures: number;
  lockMinutes: number;
  loginRatePerMinute: number;
}
const FIELDS: { key: keyof Policy; min: number; max: number; hint?: string }[] = [
  { key: 'passwordMinLength', min: 8, max: 128 },
  { key: 'passwordClasses', min: 1, max: 4, hint: 'passwordClassesHint' },
  { key: 'maxFailures', min: 1, max: 100 },
  { key: 'lockMinutes', min: 1, max: 1440 },
  { key: 'loginRatePerMinute', min: 1, max: 10000 },
];

export default function PolicyPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { user } = useAuth();
  const [form] = Form.useForm<Policy & { reason?: string }>();
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<{ data: Policy }>('/api/v1/admin/security-policy').then((b) => setPolicy(b.data)).catch((e: unknown) => void message.error(errorText(e)));
  }, [message]);
  const save = async (v: Policy & { reason?: string }) => {
    setBusy(true);
    try {
      const r = await api<{ data: Policy }>('/api/v1/admin/security-policy', { method: 'PUT', body: v });
      setPolicy(r.data);
      void message.success(t('sys.common.saved'));
    } catch (e) {
      if (e instanceof ApiError && e.details.length) form.setFields(e.details.map((d) => ({ name: d.path.split('/')[1] as keyof Policy, errors: [d.message] })));
      else void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  if (!policy) return <div className="ct-page"><Skeleton active /></div>;
  const readOnly = !user?.isAdmin;
  return (
    <div className="ct-page" style={{ maxWidth: 720 }}>
      <Card size="small" title={t('sys.policy.title')}>
        {readOnly && <Alert type="info" showIcon message={t('sys.policy.adminOnly')} style={{ marginBottom: 16 }} />}
        <Form form={form} layout="vertical" name="policy" initialValues={policy} onFinish={(v) => void save(v)} disabled={readOnly}>
          {FIELDS.map((f) => (
            <Form.Item key={f.key} name={f.key} label={t(`sys.policy.${f.key}`)} extra={f.hint ? t(`sys.policy.${f.hint}`) : undefined} rules={[{ required: true, message: t('sys.users.required') }]}>
              <InputNumber min={f.min} max={f.max} precision={0} style={{ width: 200 }} />
            </Form.Item>
          ))}
          <Form.Item name="reason" label={t('sys.common.reason')}>
            <Input placeholder={t('sys.common.reasonHint')} maxLength={500} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy}>{t('common.save')}</Button>
        </Form>
      </Card>
    </div>
  );
}
