// The signed-in application: antd theme and locale around the shell (or the forced password change).
// The React 19 compatibility patch for antd 5 must load before antd itself.
import '@ant-design/v5-patch-for-react-19';
import { App as AntApp, ConfigProvider } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useTranslation } from 'react-i18next';
import { useAuth } from './auth';
import ChangePasswordPage from './pages/ChangePasswordPage';
import Shell from './shell/Shell';

export default function AntRoot() {
  const { i18n } = useTranslation();
  const { user } = useAuth();
  const en = i18n.language === 'en';
  dayjs.locale(en ? 'en' : 'zh-cn');
  return (
    <ConfigProvider locale={en ? enUS : zhCN} theme={{ token: { colorPrimary: '#1668dc', borderRadius: 6 } }}>
      <AntApp style={{ height: '100%' }}>{user?.mustChangePassword ? <ChangePasswordPage forced /> : <Shell />}</AntApp>
    </ConfigProvider>
  );
}
