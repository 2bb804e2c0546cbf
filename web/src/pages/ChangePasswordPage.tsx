import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Space } from 'antd';
import { useTranslation } from 'react-i18next';
import { useAuth } from '../auth';
import { errorText } from '../api';
import { navigate } from '../router';
import LangSwitch from '../LangSwitch';

interface Values {
  oldPassword: string;
  newPassword: string;
  confirm: string;
}

export default function ChangePasswordPage({ forced = false }: { forced?: boolean }) {
  const { t } = useTranslation();
  const { changePassword, logout } = useAuth();
  const { message } = App.useApp();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const onFinish = async (v: Values) => {
    setBusy(true);
    setError(null);
    try {
      await changePassword(v.oldPassword, v.newPassword);
      void message.success(t('password.changed'));
      if (!forced) void navigate('/');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const card = (
    <Card className="ct-login-card" title={t('password.title')} extra={forced ? <LangSwitch size="small" /> : undefined}>
      {forced && <Alert type="info" showIcon message={t('password.mustChange')} style={{ marginBottom: 16 }} />}
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form<Values> layout="vertical" onFinish={onFinish} requiredMark={false}>
        <Form.Item name="oldPassword" label={t('password.old')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
          <Input.Password autoComplete="current-password" autoFocus />
        </Form.Item>
        <Form.Item name="newPassword" label={t('password.new')} rules={[{ required: true, message: t('login.passwordRequired') }, { min: 10, message: t('password.tooShort') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t('password.confirm')}
          dependencies={['newPassword']}
          rules={[
            { required: true, message: t('login.passwordRequired') },
            ({ getFieldValue }) => ({
              validator: (_r, value) =>
                !value || getFieldValue('newPassword') === value ? Promise.resolve() : Promise.reject(new Error(t('password.mismatch'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('password.submit')}
          </Button>
          {forced ? (
            <Button onClick={() => void logout()}>{t('shell.logout')}</Button>
          ) : (
            <Button onClick={() => history.back()}>{t('common.cancel')}</Button>
          )}
        </Space>
      </Form>
    </Card>
  );
  return forced ? <div className="ct-center">{card}</div> : <div className="ct-page">{card}</div>;
}
