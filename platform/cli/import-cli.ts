import fs from 'node:fs';
import type { Services } from '../services';
import { systemContext } from '../context';
import type { Lang } from '../i18n';
import { IMPORTERS, buildTemplate, checkRows, parseWorkbook, writeRows, type Importer } from '../import';
import { registryOf } from '../plugins/host';

const flag = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/**
 * `celltrace import template ENTITY FILE` writes the XLSX template; `celltrace import ENTITY FILE [--commit]
 * [--lab CODE] [--lang en]` checks every row (and with --commit writes them all or none) as the system, through the
 * same pipeline as the wizard.
 */
export async function importCommand(s: Services, args: string[], out: (m: string) => void): Promise<number> {
  const lang = (flag(args, '--lang') === 'en' ? 'en' : 'zh-CN') as Lang;
  const ctx = { ...systemContext(), lang };
  if (args[0] === 'template') {
    const [, entity, file] = args;
    if (!entity || !file) return usage(out);
    const kind = registryOf<Importer>(s, IMPORTERS).get(entity);
    fs.writeFileSync(file, kind ? await kind.template(ctx) : await buildTemplate(s.records, ctx, entity));
    out(`template for ${entity} written to ${file}`);
    return 0;
  }
  const [entity, file] = args;
  if (!entity || !file || entity.startsWith('--')) return usage(out);
  let owner: { labId: number; orgId: number } | undefined;
  const labCode = flag(args, '--lab');
  if (labCode) {
    const lab = await s.knex('ct_org').where({ code: labCode }).first('id');
    if (!lab) {
      out(`no org unit with code ${labCode}`);
      return 1;
    }
    owner = { labId: Number(lab.id), orgId: Number(lab.id) };
  }
  const t0 = Date.now();
  const kind = registryOf<Importer>(s, IMPORTERS).get(entity);
  const parsed = kind ? await kind.parse(ctx, fs.readFileSync(file)) : await parseWorkbook(s.records, ctx, entity, fs.readFileSync(file));
  out(`${parsed.rows.length} rows read from ${file}`);
  let errors = kind ? [] : await checkRows(s.records, ctx, parsed);
  const commit = args.includes('--commit');
  let written = 0;
  if (kind) {
    // An importer (e.g. cellInventory) checks and writes in one go: rolled back on a dry run or any row error.
    const r = await kind.write(ctx, parsed, { dryRun: !commit || parsed.errors.length > 0, owner, reason: `import ${file}` });
    errors = [...parsed.errors, ...r.errors].sort((a, b) => a.row - b.row);
    written = errors.length ? 0 : r.written;
  } else if (!errors.length) {
    const r = await writeRows(s.records, ctx, parsed, {
      dryRun: !commit, owner, reason: `import ${file}`,
      progress: (n) => void process.stderr.write(`\r  ${commit ? 'written' : 'trial'} ${n}/${parsed.rows.length}`),
    });
    process.stderr.write('\n');
    errors = r.errors;
    written = r.written;
  }
  for (const e of errors.slice(0, 100)) out(`  row ${e.row} ${e.path || '/'}${e.column ? ` (${e.column})` : ''}: ${e.message}`);
  if (errors.length > 100) out(`  … ${errors.length - 100} more`);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (errors.length) out(`${errors.length} problem(s) in ${new Set(errors.map((e) => e.row)).size} row(s): nothing imported (${secs} s)`);
  else out(commit ? `imported ${written} rows (${secs} s)` : `all ${parsed.rows.length} rows pass (dry run, nothing written, ${secs} s); re-run with --commit to import`);
  return errors.length ? 1 : 0;
}

function usage(out: (m: string) => void): number {
  out('Usage: import template ENTITY FILE | import ENTITY FILE [--commit] [--lab CODE] [--lang en]');
  return 2;
}
