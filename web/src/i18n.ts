import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { messages } from './messages';

export type Lang = 'zh-CN' | 'en';
export const LANGS: { value: Lang; label: string }[] = [
  { value: 'zh-CN', label: '简体中文' },
  { value: 'en', label: 'English' },
];
const STORAGE_KEY = 'ct.lang';

function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  return saved === 'en' || saved === 'zh-CN' ? saved : 'zh-CN';
}

void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: messages['zh-CN'] }, en: { translation: messages.en } },
  lng: initialLang(),
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
});
document.documentElement.lang = i18n.language;

export function currentLang(): Lang {
  return i18n.language === 'en' ? 'en' : 'zh-CN';
}

export async function setLang(lang: Lang): Promise<void> {
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  await i18n.changeLanguage(lang);
}

/** A metadata label `{zh-CN, en}` (or plain string) in the current language, falling back to the other one. */
export function pick(label: unknown, lang: Lang = currentLang(), fallback = ''): string {
  if (label == null) return fallback;
  if (typeof label === 'string') return label;
  if (typeof label === 'object') {
    const l = label as Record<string, unknown>;
    // A label without its English (optional in metadata) reads as its Chinese.
    const v = l[lang] || l['zh-CN'] || l.en || Object.values(l)[0];
    return typeof v === 'string' ? v : fallback;
  }
  return String(label);
}

export default i18n;
