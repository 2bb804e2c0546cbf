import diff from 'microdiff';
import type { MetadataStore } from './store';
import { crossCheck } from './loader';
import { metaKinds, validateDefinition, type MetaSet } from './registry';
import type { CallContext } from '../context';

/** A configuration package: one customer's effective metadata (shipped files + admin overlays) as reviewable JSON. */
export interface ConfigPackage {
  format: 'celltrace-config';
  formatVersion: 1;
  exportedAt: string;
  metadataVersion: number;
  definitions: MetaSet;
}

export interface PackageChange {
  kind: string;
  id: string;
  change: 'added' | 'changed' | 'removed';
  diff?: { path: string; type: string; from?: unknown; to?: unknown }[];
}

export function exportPackage(store: MetadataStore): ConfigPackage {
  return {
    format: 'celltrace-config',
    formatVersion: 1,
    exportedAt: new Date().toISOString(),
    metadataVersion: store.model.version,
    definitions: JSON.parse(JSON.stringify(store.model.set)),
  };
}

/** Every problem of a package: its shape, each definition against its meta-schema, and cross-references. */
export function validatePackage(pkg: any): string[] {
  if (!pkg || pkg.format !== 'celltrace-config' || typeof pkg.definitions !== 'object') return ['not a CellTrace configuration package'];
  const out: string[] = [];
  for (const [kind, defs] of Object.entries<Record<string, any>>(pkg.definitions)) {
    if (!metaKinds().some((k) => k.kind === kind)) {
      out.push(`${kind}: unknown metadata kind`);
      continue;
    }
    for (const [id, def] of Object.entries(defs)) for (const e of validateDefinition(kind, def).en) out.push(`${kind}/${id}${e.path}: ${e.message}`);
  }
  if (!out.length) for (const p of crossCheck(pkg.definitions)) out.push(`${p.kind}/${p.id}${p.path}: ${p.message}`);
  return out;
}

/** What importing the package would change here. Definitions only this instance has are reported but kept. */
export function diffPackage(store: MetadataStore, pkg: ConfigPackage): PackageChange[] {
  const here = store.model.set;
  const out: PackageChange[] = [];
  for (const [kind, defs] of Object.entries(pkg.definitions)) {
    for (const [id, def] of Object.entries(defs)) {
      const cur = here[kind]?.[id];
      if (!cur) out.push({ kind, id, change: 'added' });
      else {
        const d = diff(cur, def);
        if (d.length) out.push({ kind, id, change: 'changed', diff: d.map((x: any) => ({ path: '/' + x.path.join('/'), type: x.type, from: x.oldValue, to: x.value })) });
      }
    }
  }
  for (const [kind, defs] of Object.entries(here)) for (const id of Object.keys(defs)) if (!pkg.definitions[kind]?.[id]) out.push({ kind, id, change: 'removed' });
  return out;
}

/** Applies added and changed definitions as overlay versions (in dependency order); removals are never applied silently. */
export async function importPackage(store: MetadataStore, pkg: ConfigPackage, ctx: CallContext, reason: string): Promise<PackageChange[]> {
  const problems = validatePackage(pkg);
  if (problems.length) throw new Error(`Invalid package:\n  ${problems.join('\n  ')}`);
  const changes = diffPackage(store, pkg).filter((c) => c.change !== 'removed');
  const order = ['dictionary', 'numbering', 'entity', 'form', 'list', 'menu'];
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  changes.sort((a, b) => rank(a.kind) - rank(b.kind));
  // Entities may reference each other: add new ones without references first, then the full definitions.
  const pending = [...changes];
  let progress = true;
  const applied: PackageChange[] = [];
  while (pending.length && progress) {
    progress = false;
    for (const c of [...pending]) {
      try {
        await store.save(c.kind, c.id, pkg.definitions[c.kind][c.id], ctx, { reason });
        applied.push(c);
        pending.splice(pending.indexOf(c), 1);
        progress = true;
      } catch (e) {
        if (pending.length === 1) throw e;
      }
    }
  }
  if (pending.length) throw new Error(`Could not import: ${pending.map((c) => `${c.kind}/${c.id}`).join(', ')}`);
  return applied;
}
