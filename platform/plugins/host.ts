import fs from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import type { MetaKind } from '../metadata/registry';
import type { Messages } from '../i18n';
import type { Services } from '../services';

/** What a plugin (`plugins/<name>/index.ts`, default export) may contribute. */
export interface Plugin {
  name: string;
  /** Metadata folder (module folders inside, like `metadata/`), relative to the plugin folder. */
  metadata?: string;
  /** Knex migrations folder of the plugin's own tables, relative to the plugin folder. */
  migrations?: string;
  /** Extra metadata kinds (e.g. container templates, QC gates). */
  metaKinds?: MetaKind[];
  messages?: Partial<Messages>;
  /** Hooks, actions, jobs and event listeners; runs after metadata is loaded. */
  setup?(s: Services): void | Promise<void>;
  /** API routes under /api/v1. */
  routes?(api: Router, s: Services): void;
  /** Web entry (a module exporting widgets/pages), relative to the plugin folder. */
  web?: string;
}

export interface LoadedPlugin extends Plugin {
  dir: string;
}

export const definePlugin = (p: Plugin): Plugin => p;

/** Finds `plugins/<name>/index.ts` at run time; the engine never imports a plugin statically. */
export function discoverPlugins(pluginsDir: string, only?: string[]): LoadedPlugin[] {
  if (!fs.existsSync(pluginsDir)) return [];
  const out: LoadedPlugin[] = [];
  for (const name of fs.readdirSync(pluginsDir).sort()) {
    if (only && !only.includes(name)) continue;
    const dir = path.join(pluginsDir, name);
    const entry = ['index.ts', 'index.js'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    if (!entry) continue;
    const mod = require(entry);
    const p: Plugin = mod.default ?? mod.plugin ?? mod;
    if (!p || typeof p.name !== 'string') throw new Error(`${entry} does not export a plugin (definePlugin({...}))`);
    out.push({ ...p, dir });
  }
  return out;
}
