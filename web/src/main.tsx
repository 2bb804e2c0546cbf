// The React 19 compatibility patch for antd 5 must load before antd itself.
import '@ant-design/v5-patch-for-react-19';
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
