// Plugin web entries (`plugins/<name>/web/index.tsx`) are bundled at build time and loaded on demand, only
// for plugins the server reports as enabled (GET /api/v1/meta `plugins`). Contract: docs/plugins.md.
import { createElement, type ComponentType } from 'react';
import type { WidgetProps } from '@rjsf/utils';
import { api as coreApi } from './api';
import { currentLang } from './i18n';
import { recordActionSlots, type RecordSlotProps } from './slots';

type AnyComponent = ComponentType<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface PluginModule {
  default?: AnyComponent | { pages?: Record<string, AnyComponent>; widgets?: Record<string, AnyComponent> };
  pages?: Record<string, AnyComponent>;
  widgets?: Record<string, AnyComponent>;
  /** Components for every record page's action area (a print menu); each decides for which records it shows. */
  recordActions?: AnyComponent[];
}

const loaders = import.meta.glob<PluginModule>('../../plugins/*/web/index.tsx');
const byPlugin = new Map<string, () => Promise<PluginModule>>();
for (const [file, load] of Object.entries(loaders)) {
  const m = /plugins\/([^/]+)\/web\/index\.tsx$/.exec(file);
  if (m) byPlugin.set(m[1], load);
}

const pages = new Map<string, AnyComponent>();
const widgets: Record<string, ComponentType<WidgetProps>> = {};

/** What plugin components receive besides their own props: the shell's API helper and the language. */
export interface PluginHostProps {
  api: (path: string, opts?: { method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; query?: Record<string, unknown>; body?: unknown }) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  lang: 'zh-CN' | 'en';
}
export const hostApi: PluginHostProps['api'] = (path, opts = {}) =>
  coreApi(path, { method: opts.method, body: opts.body, query: opts.query as Record<string, string | number | boolean | undefined | null> | undefined });

function register(plugin: string, mod: PluginModule): void {
  const d = mod.default;
  const declared = d && typeof d === 'object' && !('$$typeof' in d) ? (d as { pages?: Record<string, AnyComponent>; widgets?: Record<string, AnyComponent> }) : null;
  const pageMap: Record<string, AnyComponent> = { ...(mod.pages ?? {}), ...(declared?.pages ?? {}) };
  const widgetMap: Record<string, AnyComponent> = { ...(mod.widgets ?? {}), ...(declared?.widgets ?? {}) };
  if (d && !declared) pageMap.default ??= d as AnyComponent;
  // Any widget can also be opened as a page (the storage map is both).
  for (const [k, c] of Object.entries(widgetMap)) pageMap[k] ??= c;
  for (const [k, c] of Object.entries(pageMap)) pages.set(`${plugin}:${k}`, c);
  for (const [i, C] of (mod.recordActions ?? []).entries()) {
    const A = (p: RecordSlotProps) => createElement(C, { ...p, api: hostApi, lang: currentLang() });
    A.displayName = `PluginRecordAction(${plugin}:${i})`;
    recordActionSlots.push(A);
  }
  for (const [k, C] of Object.entries(widgetMap)) {
    const W = (p: WidgetProps) => createElement(C, { ...p, api: hostApi, lang: currentLang() });
    W.displayName = `PluginWidget(${plugin}:${k})`;
    widgets[`${plugin}:${k}`] = W;
    widgets[k] ??= W;
  }
}

let loaded: Promise<void> | null = null;
/** Loads the web entries of the enabled plugins once; a broken plugin is logged and skipped. */
export function loadPlugins(enabled: { plugin: string }[]): Promise<void> {
  loaded ??= Promise.all(
    enabled.map(async ({ plugin }) => {
      const load = byPlugin.get(plugin);
      if (!load) return;
      try {
        register(plugin, await load());
      } catch (e) {
        console.warn(`plugin ${plugin}: web entry failed to load`, e);
      }
    }),
  ).then(() => undefined);
  return loaded;
}

/** `plugin:key`, `plugin/key` or `plugin` (its default page). */
export function pluginPage(ref: string): AnyComponent | undefined {
  const [plugin, key] = ref.includes(':') ? ref.split(':', 2) : ref.includes('/') ? ref.split('/', 2) : [ref, 'default'];
  return pages.get(`${plugin}:${key}`) ?? (key === 'default' ? undefined : pages.get(`${plugin}:default`));
}

export function pluginWidgets(): Record<string, ComponentType<WidgetProps>> {
  return widgets;
}

export function isPluginWidget(name: string): boolean {
  return name in widgets;
}
