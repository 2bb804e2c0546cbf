import { Select } from 'antd';
import { GlobalOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { LANGS, setLang, currentLang, type Lang } from './i18n';

export default function LangSwitch({ size }: { size?: 'small' | 'middle' }) {
  const { t } = useTranslation();
  return (
    <Select<Lang>
      aria-label={t('common.language')}
      size={size}
      value={currentLang()}
      onChange={(v) => void setLang(v)}
      options={LANGS}
      suffixIcon={<GlobalOutlined />}
      style={{ width: 120 }}
      popupMatchSelectWidth={false}
    />
  );
}
