// The "System management" menu group: one entry per screen, shown to roles holding that screen's permission.
import i18n from '../i18n';

export const SYS_SECTIONS = [
  { key: 'users', perm: 'users:admin' },
  { key: 'orgs', perm: 'org:admin' },
  { key: 'tokens', perm: 'tokens:admin' },
  { key: 'policy', perm: 'users:admin' },
  { key: 'login-log', perm: 'loginlog:read' },
  { key: 'audit', perm: 'audit:read' },
  { key: 'backups', perm: 'backup' },
  // Administrators only (no role grants these): implementers' screens.
  { key: 'import', perm: 'import:admin' },
  { key: 'webhooks', perm: 'webhooks:admin' },
] as const;

export type SysSection = (typeof SYS_SECTIONS)[number]['key'];

const zh = { menu: '系统管理', section: { users: '用户管理', orgs: '组织机构', tokens: 'API 令牌', policy: '安全策略', 'login-log': '登录日志', audit: '操作日志', backups: '数据备份', import: '数据导入', webhooks: 'Webhook 推送' } };
const en = { menu: 'System management', section: { users: 'Users', orgs: 'Organisation', tokens: 'API tokens', policy: 'Security policy', 'login-log': 'Login log', audit: 'Operation log', backups: 'Backups', import: 'Data import', webhooks: 'Webhooks' } };
i18n.addResourceBundle('zh-CN', 'translation', { sys: zh }, true, false);
i18n.addResourceBundle('en', 'translation', { sys: en }, true, false);

type MenuUser = { [key: string]: unknown };

/** The sections this user may open (administrators: all). */
export function allowedSections(user: MenuUser | null): SysSection[] {
  if (!user) return [];
  const perms = new Set(Array.isArray(user.permissions) ? (user.permissions as string[]) : []);
  return SYS_SECTIONS.filter((s) => user.isAdmin || perms.has(s.perm)).map((s) => s.key);
}

/** The menu group, or null when the user may open none of its screens. */
export function sysadminMenu(user: MenuUser | null, t: (k: string) => string) {
  const sections = allowedSections(user);
  if (!sections.length) return null;
  return { key: 'menu:__sysadmin', label: t('sys.menu'), children: sections.map((k) => ({ key: `/system/${k}`, label: t(`sys.section.${k}`) })) };
}
