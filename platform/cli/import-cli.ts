import fs from 'node:fs';
import type { Services } from '../services';
import { systemContext } from '../context';
import type { Lang } from '../i18n';
import { buildTemplate, checkRows, parseWorkbook, writeRows } from '../import';

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
    fs.writeFileSync(file, await buildTemplate(s.records, ctx, entity));
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
  const parsed = await parseWorkbook(s.records, ctx, entity, fs.readFileSync(file));
  out(`${parsed.rows.length} rows read from ${file}`);
  let errors = await checkRows(s.records, ctx, parsed);
  const commit = args.includes('--commit');
  let written = 0;
  if (!errors.length) {
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
