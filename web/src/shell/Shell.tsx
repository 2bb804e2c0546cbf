import { lazy, Suspense, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Badge, Breadcrumb, Button, Dropdown, Empty, Layout, Menu, Result, Space, Spin, Tooltip } from 'antd';
import {
  BellOutlined, KeyOutlined, LogoutOutlined, MenuFoldOutlined, MenuUnfoldOutlined, UserOutlined,
} from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText, unwrap } from '../api';
import { useAuth, userDisplayName } from '../auth';
import { currentLang, pick } from '../i18n';
import { MetaContext, MetaReloadContext, normalizeMeta, type Meta, type MenuItem } from '../meta';
import { loadPlugins, pluginPage, hostApi } from '../plugins';
import { onInboxChange } from '../flow/inboxCount';
import RecordFlowActions from '../flow/RecordFlowActions';
import RecordActions from '../flow/RecordActions';
import { recordActionSlots } from '../slots';

for (const slot of [RecordFlowActions, RecordActions]) if (!recordActionSlots.includes(slot)) recordActionSlots.push(slot);
import { Link, matchPath, navigate, useLocation } from '../router';
import LangSwitch from '../LangSwitch';
import ChangePasswordPage from '../pages/ChangePasswordPage';
import { CrumbContext, useCrumbs, type Crumb } from './crumbs';
import { menuIcon } from './menuIcons';
import FullPageSpin from '../FullPageSpin';
import { sysadminMenu } from '../sysadmin/menu';

const ListPage = lazy(() => import('../pages/ListPage'));
const FormPage = lazy(() => import('../pages/FormPage'));
const RecordPage = lazy(() => import('../pages/RecordPage'));
const AdminPage = lazy(() => import('../admin/AdminPage'));
const InboxPage = lazy(() => import('../pages/InboxPage'));
const RecallPage = lazy(() => import('../trace/RecallPage'));
const SystemPage = lazy(() => import('../sysadmin/SystemPage'));
const DashboardView = lazy(() => import('../dashboard/DashboardView'));
const ReportPage = lazy(() => import('../dashboard/ReportPage'));
const ReportIndex = lazy(() => import('../dashboard/ReportPage').then((m) => ({ default: m.ReportIndex })));

const { Header, Sider, Content } = Layout;

/** The designers' chunks: fetched in idle time once an administrator heads for them, so a designer opens without waiting. */
const DESIGNER_CHUNKS = [
  () => import('../admin/AdminPage'), () => import('../admin/EntityDesigner'), () => import('../admin/FormDesigner'), () => import('../admin/ListDesigner'),
  () => import('../admin/NumberingDesigner'), () => import('../admin/DictionaryEditor'), () => import('../admin/RoleEditor'), () => import('../admin/FlowDesigner'),
];
function usePrefetchDesigners(enabled: boolean) {
  useEffect(() => {
    if (!enabled) return;
    const run = () => DESIGNER_CHUNKS.forEach((load) => void load().catch(() => undefined));
    const idle = typeof window.requestIdleCallback === 'function';
    const id = idle ? window.requestIdleCallback(run, { timeout: 5000 }) : window.setTimeout(run, 2000);
    return () => (idle ? window.cancelIdleCallback(id) : window.clearTimeout(id));
  }, [enabled]);
}

function useInboxCount(): number | null {
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    let stop = false;
    const load = () =>
      api('/api/v1/inbox/counts')
        .then((b) => {
          const c = unwrap<{ pending?: number }>(b);
          if (!stop) setCount(typeof c?.pending === 'number' ? c.pending : null);
        })
        .catch(() => {
          // No inbox on this server (404) or a hiccup: simply show no badge.
          if (!stop) setCount(null);
        });
    void load();
    const timer = window.setInterval(() => void load(), 60_000);
    const off = onInboxChange(() => void load());
    return () => {
      stop = true;
      window.clearInterval(timer);
      off();
    };
  }, []);
  return count;
}

/** A plugin page under the shell, with the label of the menu item that opens it as its breadcrumb. */
function PluginPage({ pageRef, Page }: { pageRef: string; Page: NonNullable<ReturnType<typeof pluginPage>> }) {
  const meta = useContext(MetaContext);
  const lang = currentLang();
  const norm = (r: string) => r.replace('/', ':');
  const find = (items: MenuItem[]): MenuItem | undefined => {
    for (const it of items) {
      if (it.page && norm(it.page) === norm(pageRef)) return it;
      const sub = it.children && find(it.children);
      if (sub) return sub;
    }
    return undefined;
  };
  const item = find(Object.values(meta?.menus ?? {}).flatMap((x) => x.items ?? []));
  useCrumbs(item ? [{ title: pick(item.label, lang, item.key) }] : []);
  return (
    <div className="ct-page">
      <Page api={hostApi} lang={lang} />
    </div>
  );
}

function Routes() {
  const { t } = useTranslation();
  const { path } = useLocation();
  let m: Record<string, string> | null;
  if ((m = matchPath('/list/:listId', path))) return <ListPage key={m.listId} listId={m.listId} />;
  if ((m = matchPath('/form/:entity/new', path))) return <FormPage key={`${m.entity}/new`} entity={m.entity} />;
  if ((m = matchPath('/form/:entity/:id/edit', path))) return <FormPage key={`${m.entity}/${m.id}`} entity={m.entity} id={m.id} />;
  if ((m = matchPath('/record/:entity/:id', path))) return <RecordPage key={`${m.entity}/${m.id}`} entity={m.entity} id={m.id} />;
  if (path === '/change-password') return <ChangePasswordPage />;
  if (path === '/inbox') return <InboxPage />;
  if (path === '/trace/recall') return <RecallPage />;
  if ((m = matchPath('/system/:section', path))) return <SystemPage key={m.section} section={m.section} />;
  if ((m = matchPath('/admin/:kind', path))) return <AdminPage kind={m.kind} />;
  if ((m = matchPath('/admin/:kind/:id', path))) return <AdminPage kind={m.kind} id={m.id} />;
  if ((m = matchPath('/plugin/:ref', path))) {
    const Page = pluginPage(m.ref);
    return Page ? <PluginPage key={m.ref} pageRef={m.ref} Page={Page} /> : <Result status="404" title="404" subTitle={m.ref} />;
  }
  if (path === '/' || path === '') return <DashboardView />;
  if ((m = matchPath('/dashboard/:id', path))) return <DashboardView key={m.id} id={m.id} />;
  if (path === '/reports') return <ReportIndex />;
  if ((m = matchPath('/report/:id', path))) return <ReportPage key={m.id} id={m.id} />;
  return <Result status="404" title="404" subTitle={t('error.notFound')} extra={<Link to="/">{t('common.home')}</Link>} />;
}

export default function Shell() {
  const { t, i18n } = useTranslation();
  const lang = currentLang();
  const { user, logout } = useAuth();
  const loc = useLocation();
  const [meta, setMeta] = useState<Meta | null>(null);
  const [metaError, setMetaError] = useState<string | null>(null);
  // Tablets at the bench (1024 px landscape) start with the icon rail: lists and position maps need the width.
  const [collapsed, setCollapsed] = useState(window.innerWidth < 1200);
  const [crumbs, setCrumbsState] = useState<Crumb[]>([]);
  const setCrumbs = useCallback((c: Crumb[]) => setCrumbsState(c), []);
  const pending = useInboxCount();

  const metaVersion = useRef<string | number | null>(null);
  const lastFetch = useRef(0);
  const loadMeta = useCallback(
    () => {
      lastFetch.current = Date.now();
      return api('/api/v1/meta')
        .then(async (b) => {
          const m = normalizeMeta(b);
          // Same version: keep the object, so grids and forms do not reset.
          if (metaVersion.current !== null && m.version === metaVersion.current) return;
          await loadPlugins(m.plugins);
          metaVersion.current = m.version;
          setMetaError(null);
          setMeta(m);
        })
        .catch((e: unknown) => {
          if (!(e instanceof ApiError && e.status === 401) && metaVersion.current === null) setMetaError(errorText(e));
        });
    },
    [],
  );
  useEffect(() => void loadMeta(), [loadMeta]);
  // Designers' changes are live: look for a newer metadata version on navigation (at most every 2 s),
  // when the window regains focus, and once a minute.
  useEffect(() => {
    if (metaVersion.current !== null && Date.now() - lastFetch.current > 2000) void loadMeta();
  }, [loc.path, loadMeta]);
  useEffect(() => {
    const onFocus = () => Date.now() - lastFetch.current > 2000 && void loadMeta();
    window.addEventListener('focus', onFocus);
    const timer = window.setInterval(() => void loadMeta(), 60_000);
    return () => {
      window.removeEventListener('focus', onFocus);
      window.clearInterval(timer);
    };
  }, [loadMeta]);

  const menus = useMemo(
    () => Object.values(meta?.menus ?? {}).sort((a, b) => (a.order ?? 0) - (b.order ?? 0)),
    [meta],
  );
  const menuItems = useMemo(() => {
    const item = (it: MenuItem): { key: string; label: string; children?: unknown[] } => {
      if (it.children?.length) return { key: `group:${it.key}`, label: pick(it.label, lang, it.key), children: it.children.map(item) };
      const key = it.list ? `/list/${it.list}` : it.page ? `/plugin/${encodeURIComponent(it.page)}` : (it.path ?? it.key);
      return { key, label: pick(it.label, lang, it.key) };
    };
    const items = menus.map((m) => ({
      key: `menu:${m.$id}`,
      icon: menuIcon(m.icon),
      label: pick(m.label, lang, m.$id),
      children: [...m.items].sort((a, b) => (a.order ?? 0) - (b.order ?? 0)).map(item),
    }));
    // Reports the user's roles may open (the server decides again): one menu group, each report an item.
    const reports = Object.values((meta?.kinds.report ?? {}) as Record<string, { $id: string; label?: unknown; roles?: string[] }>)
      .filter((r) => user?.isAdmin || !r.roles?.length || r.roles.some((x) => user?.roles?.includes(x)));
    if (reports.length)
      items.push({
        key: 'menu:__reports',
        icon: menuIcon('bar-chart'),
        label: t('shell.reports'),
        children: [...reports.map((r) => ({ key: `/report/${r.$id}`, label: pick(r.label as never, lang, r.$id) })), { key: '/reports', label: t('shell.allReports') }],
      });
    if (user?.isAdmin && meta) {
      // Every kind the server registered: a hand-made designer or the form generated from its meta-schema.
      const kinds = ['entity', 'form', 'list', 'numbering', 'dictionary', ...['role', 'flow'].filter((k) => k in meta.kinds), ...Object.keys(meta.kinds).filter((k) => k !== 'role' && k !== 'flow').sort()];
      items.push({
        key: 'menu:__system',
        icon: menuIcon('setting'),
        label: t('admin.menu'),
        children: kinds.map((k) => ({ key: `/admin/${k}`, label: t(`admin.kind.${k}`, { defaultValue: k }) })),
      });
    }
    const sys = sysadminMenu(user, t);
    if (sys) items.push({ ...sys, icon: menuIcon('control') });
    return items;
  }, [menus, lang, i18n.language, user, meta, t]);
  const selectedKey = useMemo(() => {
    const lm = matchPath('/list/:listId', loc.path);
    if (lm) return `/list/${lm.listId}`;
    const am = matchPath('/admin/:kind/:id', loc.path);
    if (am) return `/admin/${am.kind}`;
    const em = matchPath('/record/:entity/:id', loc.path) ?? matchPath('/form/:entity/:id/edit', loc.path) ?? matchPath('/form/:entity/new', loc.path);
    if (em && meta) {
      const list = Object.values(meta.lists).find((l) => l.entity === em.entity);
      if (list) return `/list/${list.$id}`;
    }
    return loc.path;
  }, [loc.path, meta]);
  const openKeys = useMemo(
    () => [
      ...menus.filter((m) => m.items.some((it) => `/list/${it.list}` === selectedKey || `/plugin/${encodeURIComponent(it.page ?? '')}` === selectedKey)).map((m) => `menu:${m.$id}`),
      ...(selectedKey.startsWith('/admin/') ? ['menu:__system'] : []),
      ...(selectedKey.startsWith('/report') ? ['menu:__reports'] : []),
      ...(selectedKey.startsWith('/system/') ? ['menu:__sysadmin'] : []),
    ],
    [menus, selectedKey],
  );
  const [userOpenKeys, setUserOpenKeys] = useState<string[] | null>(null);
  // Once an administrator opens the system menu (or a designer), the other designers load in the background.
  usePrefetchDesigners(!!user?.isAdmin && ((userOpenKeys ?? openKeys).includes('menu:__system') || loc.path.startsWith('/admin')));

  if (metaError) {
    return (
      <div className="ct-center">
        <Result status="error" title={t('error.loadFailed')} subTitle={metaError} extra={<Button onClick={loadMeta}>{t('common.retry')}</Button>} />
      </div>
    );
  }
  if (!meta) return <FullPageSpin />;

  return (
    <MetaReloadContext.Provider value={loadMeta}>
    <MetaContext.Provider value={meta}>
      <CrumbContext.Provider value={setCrumbs}>
        <Layout style={{ minHeight: '100%' }}>
          <Sider
            collapsible
            collapsed={collapsed}
            onCollapse={setCollapsed}
            trigger={null}
            width={220}
            collapsedWidth={56}
            breakpoint="xl"
            style={{ position: 'sticky', top: 0, height: '100vh', overflow: 'auto' }}
          >
            <div className="ct-logo">{collapsed ? 'CT' : t('app.short')}</div>
            <Menu
              theme="dark"
              mode="inline"
              selectedKeys={[selectedKey]}
              openKeys={collapsed ? undefined : (userOpenKeys ?? openKeys)}
              onOpenChange={(k) => setUserOpenKeys(k)}
              items={menuItems}
              onClick={({ key }) => void navigate(key)}
            />
          </Sider>
          <Layout>
            <Header className="ct-header">
              <Button
                type="text"
                aria-label={collapsed ? t('shell.expand') : t('shell.collapse')}
                icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
                onClick={() => setCollapsed(!collapsed)}
              />
              <Breadcrumb
                style={{ flex: 1, minWidth: 0 }}
                items={[{ title: <Link to="/">{t('common.home')}</Link> }, ...crumbs.map((c) => ({ title: c.href ? <Link to={c.href}>{c.title}</Link> : c.title }))]}
              />
              <Space size="middle">
                <Tooltip title={t('shell.todo')}>
                  <Link to="/inbox" aria-label={t('shell.todo')}>
                    <Badge count={pending ?? 0} size="small" overflowCount={99}>
                      <BellOutlined style={{ fontSize: 18, color: 'rgba(0,0,0,.65)' }} />
                    </Badge>
                  </Link>
                </Tooltip>
                <LangSwitch size="small" />
                <Dropdown
                  trigger={['click']}
                  menu={{
                    items: [
                      { key: 'pw', icon: <KeyOutlined />, label: t('shell.changePassword'), onClick: () => void navigate('/change-password') },
                      { type: 'divider' },
                      { key: 'logout', icon: <LogoutOutlined />, label: t('shell.logout'), onClick: () => void logout() },
                    ],
                  }}
                >
                  <Button type="text" icon={<UserOutlined />} aria-label={t('shell.userMenu')}>
                    <span className="ct-username" translate="no">{userDisplayName(user)}</span>
                  </Button>
                </Dropdown>
              </Space>
            </Header>
            <Content>
              {menus.length === 0 && <Alert type="info" banner message={t('common.empty')} />}
              <Suspense fallback={<div className="ct-center"><Spin /></div>}>
                <Routes />
              </Suspense>
            </Content>
          </Layout>
        </Layout>
      </CrumbContext.Provider>
    </MetaContext.Provider>
    </MetaReloadContext.Provider>
  );
}
