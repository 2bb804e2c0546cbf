import { Spin } from 'antd';
import { useTranslation } from 'react-i18next';

export default function FullPageSpin() {
  const { t } = useTranslation();
  return (
    <div className="ct-center" role="status" aria-live="polite">
      <Spin size="large" tip={t('common.loading')}>
        <div style={{ width: 120, height: 60 }} />
      </Spin>
    </div>
  );
}
