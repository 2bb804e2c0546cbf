export type Lang = 'zh-CN' | 'en';
export const LANGS: Lang[] = ['zh-CN', 'en'];
export type Messages = Record<Lang, Record<string, string>>;

const catalog: Messages = { 'zh-CN': {}, en: {} };

/** Each area registers its own message keys; later registrations may add, never silently replace. */
export function registerMessages(m: Partial<Messages>): void {
  for (const lang of LANGS) Object.assign(catalog[lang], m[lang] ?? {});
}

export function pickLang(acceptLanguage: string | undefined): Lang {
  if (!acceptLanguage) return 'zh-CN';
  for (const part of acceptLanguage.split(',')) {
    const tag = part.split(';')[0].trim().toLowerCase();
    if (tag.startsWith('en')) return 'en';
    if (tag.startsWith('zh')) return 'zh-CN';
  }
  return 'zh-CN';
}

export function t(lang: Lang, key: string, params: Record<string, unknown> = {}): string {
  const template = catalog[lang][key] ?? catalog['zh-CN'][key] ?? catalog.en[key] ?? key;
  // A parameter may be a bilingual label ({zh-CN, en}: an entity or field name), shown in the message's language.
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (params[k] === undefined ? `{${k}}` : params[k] && typeof params[k] === 'object' ? label(params[k], lang) : String(params[k])));
}

/** A bilingual label `{zh-CN, en}` or a plain string, in one language. */
export function label(l: unknown, lang: Lang): string {
  if (l && typeof l === 'object') {
    // A label without its English (optional in metadata) reads as its Chinese.
    const o = l as Record<string, string | undefined>;
    return o[lang] || o['zh-CN'] || o.en || '';
  }
  return l === undefined || l === null ? '' : String(l);
}
