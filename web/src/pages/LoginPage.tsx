// The login page in plain HTML and CSS: no antd here, so the login route stays a small download
// (antd loads with the shell after sign-in).
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useAuth } from '../auth';
import { errorText } from '../api';
import { LANGS, currentLang, setLang, type Lang } from '../i18n';

export default function LoginPage() {
  const { t } = useTranslation();
  const { login, notice } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const userMissing = touched && !username.trim();
  const passMissing = touched && !password;

  const onSubmit = async (ev: FormEvent) => {
    ev.preventDefault();
    setTouched(true);
    if (!username.trim() || !password) return;
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };

  return (
    <div className="ct-center">
      <main className="ct-login-card ct-lite-card">
        <header className="ct-lite-head">
          <h1>{t('app.name')}</h1>
          <select aria-label={t('common.language')} value={currentLang()} onChange={(e) => void setLang(e.target.value as Lang)}>
            {LANGS.map((l) => (
              <option key={l.value} value={l.value}>{l.label}</option>
            ))}
          </select>
        </header>
        <div className="ct-lite-body">
          <p className="ct-lite-sub">{t('login.subtitle')}</p>
          {notice && !error && <div className="ct-lite-alert ct-lite-warn" role="status">{notice}</div>}
          {error && <div className="ct-lite-alert ct-lite-error" role="alert">{error}</div>}
          <form onSubmit={(e) => void onSubmit(e)} noValidate autoComplete="on">
            <label htmlFor="username">{t('login.username')}</label>
            <input
              id="username"
              name="username"
              autoComplete="username"
              autoFocus
              value={username}
              aria-invalid={userMissing}
              aria-describedby={userMissing ? 'username-err' : undefined}
              onChange={(e) => setUsername(e.target.value)}
            />
            {userMissing && <div id="username-err" className="ct-lite-field-err">{t('login.usernameRequired')}</div>}
            <label htmlFor="password">{t('login.password')}</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              aria-invalid={passMissing}
              aria-describedby={passMissing ? 'password-err' : undefined}
              onChange={(e) => setPassword(e.target.value)}
            />
            {passMissing && <div id="password-err" className="ct-lite-field-err">{t('login.passwordRequired')}</div>}
            <button type="submit" className="ct-lite-btn" disabled={busy} aria-busy={busy}>
              {busy && <span className="ct-lite-spin ct-lite-spin-sm" aria-hidden="true" />}
              {t('login.submit')}
            </button>
          </form>
        </div>
      </main>
    </div>
  );
}
