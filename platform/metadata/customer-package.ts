import fs from 'node:fs';
import path from 'node:path';
import diff from 'microdiff';
import type { Knex } from 'knex';
import { PACKAGE_MANIFEST, crossCheck } from './loader';
import { metaKind, metaKinds, validateDefinition, type MetaSet } from './registry';
import type { MetadataStore } from './store';
import type { CallContext } from '../context';

/**
 * Customer packages: one customer's adaptation (extra fields, numbering rules, flows, dictionaries, roles) as a folder
 * of metadata files in the usual module layout plus a manifest, kept in the customer's own git repository.
 *
 *   acme/celltrace-package.json     manifest: name, version, targets (CellTrace version), overrides, removes
 *   acme/<module>/<kind folder>/<id>.json   the customer's full definitions
 *   acme/.base/<kind>/<id>.json     the shipped definition each override was made against (the upgrade's merge base)
 *
 * Layered with METADATA_DIRS=metadata:acme (the package replaces the base definitions of the same id), or installed
 * on an instance as admin overlays (`celltrace config package install`), which records the bases for upgrades.
 */
export interface PackageManifest {
  format: 'celltrace-package';
  name: string;
  version: string;
  /** The CellTrace version the package was made against. */
  targets: string;
  createdAt?: string;
  /** Every definition the package brings: `override` replaces a shipped one, `add` is the customer's own. */
  overrides: { kind: string; id: string; mode: 'override' | 'add' }[];
  /** Shipped definitions the customer removed (applied only by an explicit install). */
  removes?: { kind: string; id: string }[];
}

export interface CustomerPackage {
  dir?: string;
  manifest: PackageManifest;
  definitions: MetaSet;
  bases: MetaSet;
  /** `kind/id` → the module folder its file is in. */
  modules?: Record<string, string>;
}

export type Change = { path: string; type: string; from?: unknown; to?: unknown };

const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
const sameJson = (a: unknown, b: unknown) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(v: any): any {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}
const changesOf = (a: unknown, b: unknown): Change[] =>
  diff((a ?? {}) as any, (b ?? {}) as any).map((d: any) => ({ path: '/' + d.path.join('/'), type: d.type, from: d.oldValue, to: d.value }));

function kindFile(kind: string, id: string, module: string): string {
  const k = metaKind(kind);
  if (!k) throw new Error(`unknown metadata kind ${kind}`);
  return k.file ? path.join(module, k.file) : path.join(module, k.folder!, `${id}.json`);
}

/** The module folder a shipped definition came from (`<root>/<module>/<folder>/<id>.json`), for a package's layout. */
function moduleOf(store: MetadataStore, kind: string, id: string, def: any): string {
  const file = store.loadedFiles.origin[kind]?.[id];
  const k = metaKind(kind);
  if (file) return path.basename(k?.file ? path.dirname(file) : path.dirname(path.dirname(file)));
  if (kind === 'menu') return id;
  return typeof def?.['x-module'] === 'string' ? def['x-module'] : 'customer';
}

export function readPackage(dir: string): CustomerPackage {
  const manifestFile = path.join(dir, PACKAGE_MANIFEST);
  if (!fs.existsSync(manifestFile)) throw new PackageError(`${dir}: no ${PACKAGE_MANIFEST} (not a customer package)`);
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as PackageManifest;
  const problems = manifestProblems(manifest);
  if (problems.length) throw new PackageError(`${manifestFile}:\n  ${problems.join('\n  ')}`);
  const definitions: MetaSet = {};
  const bases: MetaSet = {};
  const modules: Record<string, string> = {};
  for (const mod of fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort()) {
    for (const k of metaKinds()) {
      const files = k.file ? [path.join(dir, mod, k.file)] : fs.existsSync(path.join(dir, mod, k.folder!)) ? fs.readdirSync(path.join(dir, mod, k.folder!)).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, mod, k.folder!, f)) : [];
      for (const f of files.filter((x) => fs.existsSync(x))) {
        const def = JSON.parse(fs.readFileSync(f, 'utf8'));
        (definitions[k.kind] ??= {})[def.$id] = def;
        modules[`${k.kind}/${def.$id}`] = mod;
      }
    }
  }
  const baseDir = path.join(dir, '.base');
  if (fs.existsSync(baseDir))
    for (const kind of fs.readdirSync(baseDir))
      for (const f of fs.readdirSync(path.join(baseDir, kind)).filter((n) => n.endsWith('.json'))) (bases[kind] ??= {})[f.slice(0, -5)] = JSON.parse(fs.readFileSync(path.join(baseDir, kind, f), 'utf8'));
  return { dir, manifest, definitions, bases, modules };
}

export class PackageError extends Error {
  override name = 'PackageError';
}

function manifestProblems(m: any): string[] {
  const out: string[] = [];
  if (!m || m.format !== 'celltrace-package') out.push('/format: must be "celltrace-package"');
  for (const f of ['name', 'version', 'targets']) if (typeof m?.[f] !== 'string' || !m[f]) out.push(`/${f}: required text`);
  if (m?.name && !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(m.name)) out.push('/name: lower-case letters, digits, . _ - (at most 64)');
  if (!Array.isArray(m?.overrides)) out.push('/overrides: required list');
  return out;
}

/** Every problem of a package: manifest, each definition against its meta-schema, and the effective set it would make over `onto`. */
export function validateCustomerPackage(pkg: CustomerPackage, onto: MetaSet): string[] {
  const out = manifestProblems(pkg.manifest);
  for (const [kind, defs] of Object.entries(pkg.definitions))
    for (const [id, def] of Object.entries(defs)) for (const e of validateDefinition(kind, def).en) out.push(`${kind}/${id}${e.path}: ${e.message}`);
  for (const o of pkg.manifest.overrides ?? []) if (!pkg.definitions[o.kind]?.[o.id]) out.push(`/overrides: ${o.kind}/${o.id} is listed but has no file`);
  if (!out.length) for (const p of crossCheck(layer(onto, pkg))) out.push(`${p.kind}/${p.id}${p.path}: ${p.message}`);
  return out;
}

/** The set `onto` with the package's definitions over it (removals applied). */
export function layer(onto: MetaSet, pkg: CustomerPackage): MetaSet {
  const set = clone(onto);
  for (const [kind, defs] of Object.entries(pkg.definitions)) for (const [id, def] of Object.entries(defs)) (set[kind] ??= {})[id] = clone(def);
  for (const r of pkg.manifest.removes ?? []) delete set[r.kind]?.[r.id];
  return set;
}

export function writePackage(dir: string, pkg: CustomerPackage, modules: Record<string, string> = pkg.modules ?? {}): void {
  fs.mkdirSync(dir, { recursive: true });
  // The package is regenerated whole: definition folders and bases are replaced, other files (README, .git) kept.
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === '.git') continue;
    const sub = path.join(dir, e.name);
    if (e.name === '.base' || metaKinds().some((k) => (k.folder && fs.existsSync(path.join(sub, k.folder))) || (k.file && fs.existsSync(path.join(sub, k.file))))) fs.rmSync(sub, { recursive: true, force: true });
  }
  const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
  for (const [kind, defs] of Object.entries(pkg.definitions))
    for (const [id, def] of Object.entries(defs)) {
      const f = path.join(dir, kindFile(kind, id, modules[`${kind}/${id}`] ?? (kind === 'menu' ? id : def?.['x-module'] ?? 'customer')));
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, json(def));
    }
  for (const [kind, defs] of Object.entries(pkg.bases))
    for (const [id, def] of Object.entries(defs)) {
      fs.mkdirSync(path.join(dir, '.base', kind), { recursive: true });
      fs.writeFileSync(path.join(dir, '.base', kind, `${id}.json`), json(def));
    }
  fs.writeFileSync(path.join(dir, PACKAGE_MANIFEST), json(pkg.manifest));
}

/** The newest overlay version of every definition (null = the admin deleted it). */
async function newestOverlays(knex: Knex): Promise<{ kind: string; id: string; definition: any | null }[]> {
  const rows: any[] = (await knex.raw(`select distinct on (kind, meta_id) kind, meta_id, definition from ct_meta_overlay order by kind, meta_id, version desc`)).rows;
  return rows.map((r) => ({ kind: r.kind, id: r.meta_id, definition: r.definition }));
}

async function recordedBases(knex: Knex): Promise<MetaSet> {
  const out: MetaSet = {};
  for (const r of await knex('ct_meta_base').select('kind', 'meta_id', 'definition')) (out[r.kind] ??= {})[r.meta_id] = r.definition;
  return out;
}

/**
 * A package from this instance's admin overlays: every definition an admin changed or added, in the module layout of
 * the shipped file it overrides, with that file (or the recorded merge base) as its `.base`.
 */
export async function createPackageFromInstance(store: MetadataStore, knex: Knex, dir: string, m: { name: string; version: string; targets: string }): Promise<CustomerPackage> {
  const overlays = await newestOverlays(knex);
  const recorded = await recordedBases(knex);
  const pkg: CustomerPackage = {
    manifest: { format: 'celltrace-package', name: m.name, version: m.version, targets: m.targets, createdAt: new Date().toISOString(), overrides: [], removes: [] },
    definitions: {},
    bases: {},
  };
  const modules: Record<string, string> = {};
  for (const o of overlays) {
    const shipped = store.fileDefinition(o.kind, o.id);
    if (o.definition === null) {
      if (shipped) pkg.manifest.removes!.push({ kind: o.kind, id: o.id });
      continue;
    }
    if (shipped && sameJson(shipped, o.definition)) continue; // rolled back to the file: nothing customer-specific
    (pkg.definitions[o.kind] ??= {})[o.id] = o.definition;
    const base = recorded[o.kind]?.[o.id] ?? shipped;
    if (base) (pkg.bases[o.kind] ??= {})[o.id] = base;
    pkg.manifest.overrides.push({ kind: o.kind, id: o.id, mode: shipped ? 'override' : 'add' });
    modules[`${o.kind}/${o.id}`] = moduleOf(store, o.kind, o.id, o.definition);
  }
  const problems = validateCustomerPackage(pkg, store.loadedFiles.set);
  if (problems.length) throw new PackageError(`the instance's overlays do not make a valid package:\n  ${problems.join('\n  ')}`);
  writePackage(dir, pkg, modules);
  return { ...pkg, dir };
}

export interface DefinitionChange {
  kind: string;
  id: string;
  change: 'added' | 'changed' | 'removed' | 'unchanged';
  diff?: Change[];
}

/** What changed from package version `a` to `b` (definitions, then removals). */
export function diffPackages(a: CustomerPackage, b: CustomerPackage): DefinitionChange[] {
  const out: DefinitionChange[] = [];
  const keys = new Set<string>();
  for (const p of [a, b]) for (const [kind, defs] of Object.entries(p.definitions)) for (const id of Object.keys(defs)) keys.add(`${kind}/${id}`);
  for (const key of [...keys].sort()) {
    const [kind, id] = key.split('/');
    const x = a.definitions[kind]?.[id];
    const y = b.definitions[kind]?.[id];
    if (!x) out.push({ kind, id, change: 'added' });
    else if (!y) out.push({ kind, id, change: 'removed' });
    else if (!sameJson(x, y)) out.push({ kind, id, change: 'changed', diff: changesOf(x, y) });
  }
  return out;
}

/** The preview of an install: per definition, what it changes on this instance. */
export function installPreview(store: MetadataStore, pkg: CustomerPackage): DefinitionChange[] {
  const out: DefinitionChange[] = [];
  for (const [kind, defs] of Object.entries(pkg.definitions))
    for (const [id, def] of Object.entries(defs)) {
      const cur = store.definition(kind, id);
      if (!cur) out.push({ kind, id, change: 'added' });
      else if (sameJson(cur, def)) out.push({ kind, id, change: 'unchanged' });
      else out.push({ kind, id, change: 'changed', diff: changesOf(cur, def) });
    }
  for (const r of pkg.manifest.removes ?? []) if (store.definition(r.kind, r.id)) out.push({ kind: r.kind, id: r.id, change: 'removed' });
  const order = ['dictionary', 'numbering', 'role', 'entity', 'form', 'list', 'flow', 'menu'];
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return out.sort((a, b) => rank(a.kind) - rank(b.kind) || a.id.localeCompare(b.id));
}

const stateKey = (name: string) => `package:${name}`;

/**
 * Installs a package as admin overlays (each with its `.base` as merge base) and remembers, per definition, the
 * overlay version it replaced, so `rollbackPackage` can restore exactly the state before.
 */
export async function installPackage(store: MetadataStore, knex: Knex, pkg: CustomerPackage, ctx: CallContext): Promise<DefinitionChange[]> {
  const problems = validateCustomerPackage(pkg, store.model.set);
  if (problems.length) throw new PackageError(`invalid package:\n  ${problems.join('\n  ')}`);
  const preview = installPreview(store, pkg).filter((c) => c.change !== 'unchanged');
  const before: Record<string, number> = {};
  for (const c of preview) {
    const v = await knex('ct_meta_overlay').where({ kind: c.kind, meta_id: c.id }).max('version as v').first();
    before[`${c.kind}/${c.id}`] = Number(v?.v ?? 0);
  }
  const reason = `package ${pkg.manifest.name}@${pkg.manifest.version}`;
  // Definitions may reference each other: retry the ones refused until no progress (dependency order is not declared).
  const pending = [...preview];
  const applied: DefinitionChange[] = [];
  let progress = true;
  let lastError: unknown;
  while (pending.length && progress) {
    progress = false;
    for (const c of [...pending]) {
      try {
        const def = c.change === 'removed' ? null : pkg.definitions[c.kind][c.id];
        await store.save(c.kind, c.id, def, ctx, { reason, base: pkg.bases[c.kind]?.[c.id] ?? store.fileDefinition(c.kind, c.id) ?? null, baseSource: reason });
        applied.push(c);
        pending.splice(pending.indexOf(c), 1);
        progress = true;
      } catch (e) {
        lastError = e;
      }
    }
  }
  await knex('ct_state')
    .insert({ key: stateKey(pkg.manifest.name), value: JSON.stringify({ version: pkg.manifest.version, targets: pkg.manifest.targets, installedAt: new Date().toISOString(), before, applied: applied.map((c) => `${c.kind}/${c.id}`) }) })
    .onConflict('key')
    .merge();
  if (pending.length) throw new PackageError(`could not install ${pending.map((c) => `${c.kind}/${c.id}`).join(', ')}: ${(lastError as Error)?.message}`);
  return applied;
}

/**
 * Restores every definition the package's install changed to the overlay version before it (0 = the shipped file).
 * Fields the package added are archived (ct_meta_archive) before their columns go: nothing is lost silently.
 */
export async function rollbackPackage(store: MetadataStore, knex: Knex, name: string, ctx: CallContext): Promise<{ restored: string[]; droppedFields: string[] }> {
  const row = await knex('ct_state').where({ key: stateKey(name) }).first();
  if (!row) throw new PackageError(`package ${name} is not installed here`);
  const state = typeof row.value === 'string' ? JSON.parse(row.value) : row.value;
  const restored: string[] = [];
  const droppedFields: string[] = [];
  const entries = Object.entries<number>(state.before);
  // Reverse of install order: menus and forms before the entities and dictionaries they name.
  for (const [key, version] of entries.reverse()) {
    const [kind, id] = key.split('/');
    let def: any = null;
    if (version > 0) def = (await knex('ct_meta_overlay').where({ kind, meta_id: id, version }).first()).definition;
    else def = store.fileDefinition(kind, id) ?? null;
    const cur = store.definition(kind, id);
    if (sameJson(cur ?? null, def)) continue;
    const drop = kind === 'entity' && cur ? Object.keys(cur.properties ?? {}).filter((f) => !def || !(f in (def.properties ?? {}))) : [];
    await store.save(kind, id, def, ctx, { reason: `rollback package ${name}@${state.version}`, migration: { dropFields: drop } });
    droppedFields.push(...drop.map((f) => `${id}.${f}`));
    restored.push(key);
  }
  await knex('ct_state').where({ key: stateKey(name) }).delete();
  return { restored, droppedFields };
}

// ---------------------------------------------------------------- upgrades (three-way merge)

export interface Conflict {
  kind: string;
  id: string;
  path: string;
  base: unknown;
  customer: unknown;
  upstream: unknown;
  /** What the merge kept until the implementer resolves it. */
  kept: 'customer';
  reason: 'bothChanged' | 'removedUpstream' | 'noBase';
}

export interface UpgradeItem {
  kind: string;
  id: string;
  /** upstream: only the new version changed it; merged: both; customer: only the customer; conflict: see conflicts. */
  status: 'unchanged' | 'upstreamOnly' | 'merged' | 'customerOnly' | 'conflict' | 'added';
  applied: Change[];
  merged: any;
  conflicts: Conflict[];
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isPrimArray = (v: unknown): v is (string | number | boolean)[] => Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object');

/**
 * Three-way merge of JSON: what only one side changed is taken from it; objects merge key by key; lists of plain
 * values (required, enum, x-picker-fields) merge as sets; the same value changed differently on both sides is a
 * conflict that keeps the customer's value.
 */
export function merge3(base: unknown, ours: unknown, theirs: unknown, at = ''): { value: unknown; conflicts: { path: string; base: unknown; customer: unknown; upstream: unknown }[] } {
  if (sameJson(ours, theirs)) return { value: clone(ours), conflicts: [] };
  if (sameJson(base, ours)) return { value: clone(theirs), conflicts: [] };
  if (sameJson(base, theirs)) return { value: clone(ours), conflicts: [] };
  if (isObj(ours) && isObj(theirs)) {
    const b = isObj(base) ? base : {};
    const out: Record<string, unknown> = {};
    const conflicts: { path: string; base: unknown; customer: unknown; upstream: unknown }[] = [];
    for (const k of new Set([...Object.keys(theirs), ...Object.keys(ours)])) {
      const r = merge3(b[k], ours[k], theirs[k], `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      conflicts.push(...r.conflicts);
      if (r.value !== undefined) out[k] = r.value;
    }
    return { value: out, conflicts };
  }
  if (isPrimArray(ours) && isPrimArray(theirs) && (base === undefined || isPrimArray(base))) {
    const b = new Set((base as unknown[] | undefined) ?? []);
    const o = new Set(ours);
    const t = new Set(theirs);
    const out = theirs.filter((x) => o.has(x) || !b.has(x));
    for (const x of ours) if (!b.has(x) && !t.has(x)) out.push(x);
    return { value: out, conflicts: [] };
  }
  return { value: clone(ours === undefined ? theirs : ours), conflicts: [{ path: at, base, customer: ours, upstream: theirs }] };
}

/**
 * Plans the upgrade of customizations (`ours`, made against `ancestor`) onto a new shipped set (`theirs`).
 * Entity fields the customer has are never dropped by a merge: an upstream removal is kept and reported.
 */
export function planUpgrade(items: { kind: string; id: string; ancestor: any | null | undefined; ours: any }[], theirsSet: MetaSet): UpgradeItem[] {
  return items.map(({ kind, id, ancestor, ours }) => {
    const theirs = theirsSet[kind]?.[id];
    if (!theirs) return { kind, id, status: ancestor ? 'customerOnly' : 'added', applied: [], merged: clone(ours), conflicts: [] } as UpgradeItem;
    if (ancestor === undefined || ancestor === null) {
      // No recorded base: every difference is the implementer's call; the customer's definition stays.
      const conflicts: Conflict[] = changesOf(theirs, ours).map((c) => ({ kind, id, path: c.path, base: undefined, customer: c.to, upstream: c.from, kept: 'customer', reason: 'noBase' }));
      return { kind, id, status: conflicts.length ? 'conflict' : 'unchanged', applied: [], merged: clone(ours), conflicts };
    }
    const r = merge3(ancestor, ours, theirs);
    const merged: any = r.value;
    const conflicts: Conflict[] = r.conflicts.map((c) => ({ kind, id, ...c, kept: 'customer', reason: 'bothChanged' }));
    if (kind === 'entity') {
      for (const [f, s] of Object.entries<any>(ours.properties ?? {}))
        if (!(f in (merged.properties ?? {}))) {
          (merged.properties ??= {})[f] = clone(s);
          conflicts.push({ kind, id, path: `/properties/${f}`, base: ancestor.properties?.[f], customer: s, upstream: undefined, kept: 'customer', reason: 'removedUpstream' });
        }
    }
    const applied = changesOf(ours, merged);
    const upstreamChanged = !sameJson(ancestor, theirs);
    const status: UpgradeItem['status'] = conflicts.length ? 'conflict' : !upstreamChanged ? 'unchanged' : sameJson(merged, theirs) ? 'upstreamOnly' : 'merged';
    return { kind, id, status, applied, merged, conflicts };
  });
}

/** A resolution: `kind/id/pointer` → which side wins (`upstream` replaces the kept customer value). */
export type Resolutions = Record<string, 'customer' | 'upstream'>;

function setPointer(obj: any, pointer: string, value: unknown) {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] ??= {};
  if (value === undefined) delete o[parts[parts.length - 1]];
  else o[parts[parts.length - 1]] = clone(value);
}

export function resolve(items: UpgradeItem[], resolutions: Resolutions): UpgradeItem[] {
  return items.map((it) => {
    const merged = clone(it.merged);
    const left: Conflict[] = [];
    for (const c of it.conflicts) {
      const r = resolutions[`${c.kind}/${c.id}${c.path}`];
      if (r === 'upstream') setPointer(merged, c.path, c.upstream);
      else if (r !== 'customer') left.push(c);
    }
    return { ...it, merged, conflicts: left };
  });
}

/** The customizations of an instance (its admin overlays with their recorded bases), ready for planUpgrade. */
export async function instanceCustomizations(store: MetadataStore, knex: Knex): Promise<{ kind: string; id: string; ancestor: any; ours: any }[]> {
  const bases = await recordedBases(knex);
  return (await newestOverlays(knex)).filter((o) => o.definition !== null).map((o) => ({ kind: o.kind, id: o.id, ancestor: bases[o.kind]?.[o.id], ours: o.definition }));
}

/** The customizations of a layered package folder (its definitions with their `.base` copies). */
export function packageCustomizations(pkg: CustomerPackage): { kind: string; id: string; ancestor: any; ours: any }[] {
  return Object.entries(pkg.definitions).flatMap(([kind, defs]) => Object.entries(defs).map(([id, ours]) => ({ kind, id, ancestor: pkg.bases[kind]?.[id], ours })));
}

/**
 * Applies a planned upgrade to an instance: each merged definition is saved as a new overlay version (schema sync adds
 * the new version's columns; customer columns stay) and the new shipped definition becomes its merge base.
 * Unresolved conflicts keep the customer's value and are stored for `celltrace upgrade --status`.
 */
export async function applyUpgrade(store: MetadataStore, knex: Knex, items: UpgradeItem[], ctx: CallContext, toVersion: string): Promise<{ saved: string[]; conflicts: Conflict[] }> {
  const saved: string[] = [];
  for (const it of items) {
    const theirs = store.fileDefinition(it.kind, it.id);
    if (theirs === undefined) continue;
    const cur = store.definition(it.kind, it.id);
    // While a conflict is unresolved the old merge base stays, so the next `upgrade --dry-run` still reports it.
    const settled = !it.conflicts.length;
    const opts = { reason: `upgrade to ${toVersion}`, base: settled ? theirs : undefined, baseSource: `upgrade ${toVersion}` };
    if (!sameJson(cur, it.merged)) {
      await store.save(it.kind, it.id, it.merged, ctx, opts);
      saved.push(`${it.kind}/${it.id}`);
    } else if (settled) await knex('ct_meta_base').insert({ kind: it.kind, meta_id: it.id, definition: JSON.stringify(theirs), source: opts.baseSource }).onConflict(['kind', 'meta_id']).merge();
  }
  const conflicts = items.flatMap((i) => i.conflicts);
  await knex('ct_state').insert({ key: 'upgrade', value: JSON.stringify({ to: toVersion, at: new Date().toISOString(), saved, conflicts }) }).onConflict('key').merge();
  return { saved, conflicts };
}

/** Rewrites a layered package folder with the merged definitions and the new bases (the implementer commits it). */
export function applyUpgradeToPackage(pkg: CustomerPackage, items: UpgradeItem[], theirsSet: MetaSet, toVersion: string): CustomerPackage {
  const next: CustomerPackage = { ...pkg, manifest: { ...pkg.manifest, targets: toVersion }, definitions: clone(pkg.definitions), bases: clone(pkg.bases) };
  for (const it of items) {
    next.definitions[it.kind][it.id] = it.merged;
    const theirs = theirsSet[it.kind]?.[it.id];
    if (theirs && !it.conflicts.length) (next.bases[it.kind] ??= {})[it.id] = clone(theirs);
  }
  return next;
}

/** Human-readable lines of an upgrade plan (CLI and docs). */
export function formatPlan(items: UpgradeItem[]): string[] {
  const out: string[] = [];
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  for (const it of items) {
    if (it.status === 'unchanged') continue;
    out.push(`${it.status.padEnd(12)} ${it.kind}/${it.id}`);
    for (const c of it.applied) out.push(`    apply    ${c.path}: ${show(c.from)} → ${show(c.to)}`);
    for (const c of it.conflicts)
      out.push(`    CONFLICT ${c.kind}/${c.id}${c.path} (${c.reason}): base ${show(c.base)}, customer ${show(c.customer)}, new version ${show(c.upstream)} — kept the customer's`);
  }
  const n = items.reduce((a, i) => a + i.conflicts.length, 0);
  out.push(n ? `${n} conflict(s) to resolve: --resolve kind/id/pointer=upstream|customer` : 'no conflicts');
  return out;
}
