// System management screens under /system/<section>, each behind its permission.
import type { ComponentType } from 'react';
import { Result } from 'antd';
import { useTranslation } from 'react-i18next';
import { useAuth } from '../auth';
import { useCrumbs } from '../shell/crumbs';
import { allowedSections, SYS_SECTIONS, type SysSection } from './menu';
import './messages';
import UsersPage from './UsersPage';
import OrgsPage from './OrgsPage';
import TokensPage from './TokensPage';
import PolicyPage from './PolicyPage';
import LoginLogPage from './LoginLogPage';
import AuditLogPage from './AuditLogPage';
import BackupsPage from './BackupsPage';
import ImportPage from './ImportPage';
import WebhooksPage from './WebhooksPage';
import './kitMessages';

const PAGES: Record<SysSection, ComponentType> = {
  users: UsersPage, orgs: OrgsPage, tokens: TokensPage, policy: PolicyPage, 'login-log': LoginLogPage, audit: AuditLogPage, backups: BackupsPage, import: ImportPage, webhooks: WebhooksPage,
};

export default function SystemPage({ section }: { section: string }) {
  const { t } = useTranslation();
  const { user } = useAuth();
  const known = SYS_SECTIONS.some((s) => s.key === section);
  useCrumbs([{ title: t('sys.menu') }, ...(known ? [{ title: t(`sys.section.${section}`) }] : [])]);
  if (!known) return <Result status="404" title="404" subTitle={t('error.notFound')} />;
  if (!allowedSections(user).includes(section as SysSection)) return <Result status="403" title="403" subTitle={t('error.forbidden')} />;
  const Page = PAGES[section as SysSection];
  return <Page />;
}
