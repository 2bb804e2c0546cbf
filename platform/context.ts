import type { Lang } from './i18n';

/** Who is acting, from where: passed to every record-service call (HTTP, jobs, plugins, CLI). */
export interface Actor {
  id: number | null;
  username: string;
  displayName: string;
  isAdmin: boolean;
  orgId?: number | null;
  labId?: number | null;
  roles?: string[];
  /** Extra facts the access-control module attaches (permissions, org subtree…). */
  [k: string]: unknown;
}

export interface CallContext {
  actor: Actor;
  lang: Lang;
  ip?: string | null;
  requestId?: string | null;
}

export const SYSTEM_ACTOR: Actor = { id: null, username: 'system', displayName: 'System', isAdmin: true };
export const systemContext = (lang: Lang = 'zh-CN'): CallContext => ({ actor: SYSTEM_ACTOR, lang });
