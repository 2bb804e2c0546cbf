import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import i18n from './i18n';
import { api, ApiError, setUnauthorizedHandler } from './api';
import { navigate } from './router';

export interface User {
  id: number | string;
  username: string;
  displayName?: string;
  name?: string;
  mustChangePassword?: boolean;
  roles?: string[];
  [key: string]: unknown;
}

type Status = 'loading' | 'anonymous' | 'signedIn';

interface AuthState {
  status: Status;
  user: User | null;
  /** Message to show on the login page (session expired, signed out). */
  notice: string | null;
  login(username: string, password: string): Promise<User>;
  logout(): Promise<void>;
  changePassword(oldPassword: string, newPassword: string): Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);
const USER_KEY = 'ct.user';
const RETURN_KEY = 'ct.returnTo';

function extractUser(body: unknown): User | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as Record<string, unknown>;
  const inner = (b.data && typeof b.data === 'object' ? b.data : b) as Record<string, unknown>;
  const u = (inner.user ?? inner) as User;
  return u && typeof u === 'object' && 'username' in u ? u : null;
}

function cachedUser(): User | null {
  try {
    return JSON.parse(sessionStorage.getItem(USER_KEY) ?? 'null') as User | null;
  } catch {
    return null;
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>('loading');
  const [user, setUserState] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const setUser = useCallback((u: User | null) => {
    setUserState(u);
    setStatus(u ? 'signedIn' : 'anonymous');
    if (u) sessionStorage.setItem(USER_KEY, JSON.stringify(u));
    else sessionStorage.removeItem(USER_KEY);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      const here = location.pathname + location.search;
      if (here !== '/login') sessionStorage.setItem(RETURN_KEY, here);
      setUser(null);
      setNotice(i18n.t('error.sessionExpired'));
      void navigate('/login', { replace: true, force: true });
    });
    // Who am I? The session cookie is HttpOnly, so ask the server.
    api('/api/v1/auth/me', { noAuthRedirect: true })
      .then((body) => setUser(extractUser(body)))
      .catch((e: unknown) => {
        // A server without /auth/me yet: trust the cached user until an API call answers 401.
        if (e instanceof ApiError && e.status === 404) setUser(cachedUser());
        else setUser(null);
      });
    return () => setUnauthorizedHandler(null);
  }, [setUser]);

  const login = useCallback(
    async (username: string, password: string) => {
      const body = await api('/api/v1/auth/login', { body: { username, password }, noAuthRedirect: true });
      const u = extractUser(body);
      if (!u) throw new ApiError(500, 'BAD_RESPONSE', i18n.t('common.unknownError'));
      setNotice(null);
      setUser(u);
      const back = sessionStorage.getItem(RETURN_KEY);
      sessionStorage.removeItem(RETURN_KEY);
      void navigate(back && back !== '/login' ? back : '/', { replace: true, force: true });
      return u;
    },
    [setUser],
  );

  const logout = useCallback(async () => {
    try {
      await api('/api/v1/auth/logout', { method: 'POST', noAuthRedirect: true });
    } catch {
      // Signing out locally is what matters to the user.
    }
    setNotice(null);
    setUser(null);
    sessionStorage.removeItem(RETURN_KEY);
    void navigate('/login', { replace: true, force: true });
  }, [setUser]);

  const changePassword = useCallback(
    async (oldPassword: string, newPassword: string) => {
      await api('/api/v1/auth/change-password', { body: { oldPassword, newPassword } });
      if (user) setUser({ ...user, mustChangePassword: false });
    },
    [user, setUser],
  );

  const value = useMemo(
    () => ({ status, user, notice, login, logout, changePassword }),
    [status, user, notice, login, logout, changePassword],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}

export function userDisplayName(u: User | null): string {
  if (!u) return '';
  return (u.displayName as string) || (u.name as string) || u.username;
}
