import path from 'node:path';
import type { Services } from '../services';
import { systemContext } from '../context';
import {
  applyUpgrade, applyUpgradeToPackage, createPackageFromInstance, diffPackages, formatPlan, installPackage, installPreview, instanceCustomizations,
  packageCustomizations, planUpgrade, readPackage, resolve, rollbackPackage, writePackage, type DefinitionChange, type Resolutions,
} from '../metadata/customer-package';

const flag = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function printChanges(changes: DefinitionChange[], out: (m: string) => void) {
  for (const c of changes) {
    out(`${c.change.padEnd(9)} ${c.kind}/${c.id}`);
    for (const d of c.diff ?? []) out(`            ${d.type} ${d.path}: ${JSON.stringify(d.from)} → ${JSON.stringify(d.to)}`);
  }
  if (!changes.length) out('no differences');
}

/** `celltrace config package create|diff|install|rollback …` (the diff of two folders needs no server). */
export async function packageCommand(s: Services | undefined, args: string[], out: (m: string) => void): Promise<number> {
  const [sub, a, b] = args;
  if (sub === 'diff') {
    printChanges(diffPackages(readPackage(a), readPackage(b)), out);
    return 0;
  }
  if (!s) throw new Error('a server is needed');
  const ctx = systemContext();
  if (sub === 'create') {
    const name = flag(args, '--name') ?? path.basename(path.resolve(a));
    const version = flag(args, '--version') ?? '1.0.0';
    const pkg = await createPackageFromInstance(s.meta, s.knex, a, { name, version, targets: s.version });
    out(`package ${name}@${version} (targets CellTrace ${s.version}) written to ${a}: ${pkg.manifest.overrides.length} definitions, ${pkg.manifest.removes?.length ?? 0} removals`);
    for (const o of pkg.manifest.overrides) out(`  ${o.mode.padEnd(8)} ${o.kind}/${o.id}`);
    return 0;
  }
  if (sub === 'install') {
    const pkg = readPackage(a);
    out(`package ${pkg.manifest.name}@${pkg.manifest.version} (targets CellTrace ${pkg.manifest.targets}; this instance runs ${s.version})`);
    const preview = installPreview(s.meta, pkg).filter((c) => c.change !== 'unchanged');
    printChanges(preview, out);
    if (!args.includes('--yes')) {
      out('\nPreview only: re-run with --yes to install.');
      return 0;
    }
    const applied = await installPackage(s.meta, s.knex, pkg, ctx);
    out(`installed: ${applied.length} definitions`);
    return 0;
  }
  if (sub === 'rollback') {
    const r = await rollbackPackage(s.meta, s.knex, a, ctx);
    out(`rolled back ${a}: ${r.restored.length} definitions restored${r.droppedFields.length ? `; fields archived then dropped: ${r.droppedFields.join(', ')}` : ''}`);
    return 0;
  }
  out('Usage: config package create DIR [--name N] [--version V] | diff DIR_A DIR_B | install DIR [--yes] | rollback NAME');
  return 2;
}

/**
 * `celltrace upgrade [--dry-run] [--package DIR] [--resolve kind/id/pointer=upstream|customer]…`: merges the customer's
 * adaptation onto the shipped metadata this version loads. Without --package: the instance's admin overlays
 * (including installed packages); with it: a layered package folder, rewritten in place.
 */
export async function upgradeCommand(s: Services, args: string[], out: (m: string) => void): Promise<number> {
  const dry = args.includes('--dry-run');
  const resolutions: Resolutions = {};
  args.forEach((x, i) => {
    if (x !== '--resolve') return;
    const m = /^(.+)=(upstream|customer)$/.exec(args[i + 1] ?? '');
    if (!m) throw new Error(`--resolve ${args[i + 1] ?? ''}: expected kind/id/pointer=upstream|customer`);
    resolutions[m[1]] = m[2] as 'upstream' | 'customer';
  });
  const dir = flag(args, '--package');
  const files = s.meta.loadedFiles;
  const pkg = dir ? readPackage(dir) : undefined;
  const theirs = pkg ? (files.packages?.some((p) => path.resolve(p.dir) === path.resolve(dir!)) ? files.baseSet! : files.set) : files.set;
  const items = resolve(planUpgrade(pkg ? packageCustomizations(pkg) : await instanceCustomizations(s.meta, s.knex), theirs), resolutions);
  out(`upgrade of ${pkg ? `package ${pkg.manifest.name}@${pkg.manifest.version} (made for ${pkg.manifest.targets})` : 'this instance\'s customizations'} to CellTrace ${s.version}${dry ? ' — dry run, nothing written' : ''}`);
  for (const l of formatPlan(items)) out(l);
  const conflicts = items.reduce((n, i) => n + i.conflicts.length, 0);
  if (dry) return conflicts ? 3 : 0;
  if (pkg) {
    writePackage(dir!, applyUpgradeToPackage(pkg, items, theirs, s.version));
    out(`package folder ${dir} rewritten (targets ${s.version}); review and commit it`);
  } else {
    const r = await applyUpgrade(s.meta, s.knex, items, systemContext(), s.version);
    out(`applied: ${r.saved.length} definitions saved as new versions`);
  }
  return conflicts ? 3 : 0;
}
