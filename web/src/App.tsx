import { lazy, Suspense, useEffect } from 'react';
import { App as AntApp, ConfigProvider } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useTranslation } from 'react-i18next';
import { AuthProvider, useAuth } from './auth';
import { navigate, useLocation } from './router';
import LoginPage from './pages/LoginPage';
import ChangePasswordPage from './pages/ChangePasswordPage';
import FullPageSpin from './FullPageSpin';

// The shell pulls the grid and form libraries only when the user is signed in.
const Shell = lazy(() => import('./shell/Shell'));

function Redirect({ to }: { to: string }) {
  useEffect(() => {
    void navigate(to, { replace: true, force: true });
  }, [to]);
  return null;
}

function Root() {
  const { status, user } = useAuth();
  const loc = useLocation();
  if (status === 'loading') return <FullPageSpin />;
  if (status === 'anonymous') {
    if (loc.path !== '/login') {
      sessionStorage.setItem('ct.returnTo', loc.href);
      return <Redirect to="/login" />;
    }
    return <LoginPage />;
  }
  if (loc.path === '/login') return <Redirect to="/" />;
  if (user?.mustChangePassword) return <ChangePasswordPage forced />;
  return (
    <Suspense fallback={<FullPageSpin />}>
      <Shell />
    </Suspense>
  );
}

export default function App() {
  const { i18n } = useTranslation();
  const en = i18n.language === 'en';
  dayjs.locale(en ? 'en' : 'zh-cn');
  return (
    <ConfigProvider locale={en ? enUS : zhCN} theme={{ token: { colorPrimary: '#1668dc', borderRadius: 6 } }}>
      <AntApp style={{ height: '100%' }}>
        <AuthProvider>
          <Root />
        </AuthProvider>
      </AntApp>
    </ConfigProvider>
  );
}
