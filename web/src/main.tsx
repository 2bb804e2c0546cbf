// The entry stays light: React, i18next and the plain login page. antd (with its React 19 patch) loads
// with the signed-in shell (AntRoot), so the login route does not download it.
import './i18n';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
