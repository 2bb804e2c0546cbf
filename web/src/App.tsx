import { lazy, Suspense, useEffect } from 'react';
import { AuthProvider, useAuth } from './auth';
import { navigate, useLocation } from './router';
import LoginPage from './pages/LoginPage';
import LightSpin from './LightSpin';

// Everything antd (theme, locale, shell, password change) loads only once the user is signed in.
const AntRoot = lazy(() => import('./AntRoot'));

function Redirect({ to }: { to: string }) {
  useEffect(() => {
    void navigate(to, { replace: true, force: true });
  }, [to]);
  return null;
}

function Root() {
  const { status } = useAuth();
  const loc = useLocation();
  if (status === 'loading') return <LightSpin />;
  if (status === 'anonymous') {
    if (loc.path !== '/login') {
      sessionStorage.setItem('ct.returnTo', loc.href);
      return <Redirect to="/login" />;
    }
    return <LoginPage />;
  }
  if (loc.path === '/login') return <Redirect to="/" />;
  return (
    <Suspense fallback={<LightSpin />}>
      <AntRoot />
    </Suspense>
  );
}

export default function App() {
  return (
    <AuthProvider>
      <Root />
    </AuthProvider>
  );
}
