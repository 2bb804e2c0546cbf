import { useTranslation } from 'react-i18next';

/** Loading indicator without antd (login route and while the shell bundle loads). */
export default function LightSpin() {
  const { t } = useTranslation();
  return (
    <div className="ct-center" role="status" aria-live="polite">
      <span className="ct-lite-spin" aria-hidden="true" />
      <span className="ct-lite-sr">{t('common.loading')}</span>
    </div>
  );
}
