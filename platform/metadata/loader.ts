import fs from 'node:fs';
import path from 'node:path';
import { metaKinds, validateDefinition, type MetaSet } from './registry';

export interface MetaProblem {
  file: string;
  path: string;
  message: string;
}

export class MetadataError extends Error {
  constructor(public problems: MetaProblem[]) {
    super(`Invalid metadata:\n${problems.map((p) => `  ${p.file} ${p.path || '/'}: ${p.message}`).join('\n')}`);
  }
}

export interface LoadedFiles {
  set: MetaSet;
  /** kind → id → file it came from (for messages and export). */
  origin: Record<string, Record<string, string>>;
  /** The set before any customer package layered over it (the shipped base), when packages are in the roots. */
  baseSet?: MetaSet;
  /** Customer packages among the roots (a root holding `celltrace-package.json`), in layering order. */
  packages?: { dir: string; manifest: any }[];
}

/** The manifest file that makes a metadata root a customer package (layered over the roots before it). */
export const PACKAGE_MANIFEST = 'celltrace-package.json';

/**
 * Reads every module folder under each root: `<root>/<module>/<kindFolder>/*.json` and `<root>/<module>/menu.json`.
 * Throws MetadataError naming every bad file, pointer and reason, so start-up stops with all problems at once.
 */
export function loadMetadataFiles(roots: string[]): LoadedFiles {
  const set: MetaSet = {};
  const origin: Record<string, Record<string, string>> = {};
  const problems: MetaProblem[] = [];
  for (const k of metaKinds()) {
    set[k.kind] = {};
    origin[k.kind] = {};
  }
  let layer = false;
  let baseSet: MetaSet | undefined;
  const packages: { dir: string; manifest: any }[] = [];
  const add = (kind: string, file: string) => {
    let def: any;
    try {
      def = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      problems.push({ file, path: '', message: `not valid JSON: ${(e as Error).message}` });
      return;
    }
    const errs = validateDefinition(kind, def).en;
    if (errs.length) {
      for (const er of errs) problems.push({ file, path: er.path, message: er.message });
      return;
    }
    const id = def.$id as string;
    // A customer package replaces a base definition of the same id; within the base (or one package) ids are unique.
    if (origin[kind][id] && !(layer && !origin[kind][id].startsWith(currentRoot + path.sep))) {
      problems.push({ file, path: '/$id', message: `duplicate ${kind} "${id}" (also in ${origin[kind][id]})` });
      return;
    }
    set[kind][id] = def;
    origin[kind][id] = file;
  };
  let currentRoot = '';
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    currentRoot = root;
    const manifestFile = path.join(root, PACKAGE_MANIFEST);
    layer = fs.existsSync(manifestFile);
    if (layer) {
      baseSet ??= JSON.parse(JSON.stringify(set));
      try {
        packages.push({ dir: root, manifest: JSON.parse(fs.readFileSync(manifestFile, 'utf8')) });
      } catch (e) {
        problems.push({ file: manifestFile, path: '', message: `not valid JSON: ${(e as Error).message}` });
      }
    }
    for (const mod of fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort()) {
      const modDir = path.join(root, mod);
      for (const k of metaKinds()) {
        if (k.file) {
          const f = path.join(modDir, k.file);
          if (fs.existsSync(f)) add(k.kind, f);
        }
        if (k.folder) {
          const dir = path.join(modDir, k.folder);
          if (!fs.existsSync(dir)) continue;
          for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) add(k.kind, path.join(dir, f));
        }
      }
    }
  }
  problems.push(...crossCheck(set).map((p) => ({ ...p, file: origin[p.kind]?.[p.id] ?? p.id })));
  if (problems.length) throw new MetadataError(problems);
  return packages.length ? { set, origin, baseSet, packages } : { set, origin };
}

/** Cross-definition checks of a whole set (files + overlays). */
export function crossCheck(set: MetaSet): { kind: string; id: string; path: string; message: string }[] {
  const out: { kind: string; id: string; path: string; message: string }[] = [];
  for (const k of metaKinds()) {
    if (!k.check) continue;
    for (const [id, def] of Object.entries(set[k.kind] ?? {})) for (const p of k.check(def, set)) out.push({ kind: k.kind, id, ...p });
  }
  return out;
}
