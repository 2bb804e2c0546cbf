import fs from 'node:fs';
import { loadConfig } from './config';
import { createServer, webIsBuilt } from './server';
import { DataDirLockedError } from './db/embedded';
import { MetadataError } from './metadata/loader';
import { exportPackage, diffPackage, importPackage, validatePackage } from './metadata/package';
import { systemContext } from './context';
import { KeyConfigError } from './auth/crypto';

const USAGE = `Usage: npm run celltrace -- <command>
  start                       start the server (default)
  migrate                     apply database migrations and schema sync, then exit
  config export [FILE]        write the effective configuration package (stdout without FILE)
  config diff FILE            show what importing FILE would change
  config import FILE [--yes]  import FILE (shows the diff; --yes applies it)
  config validate FILE        check a package without touching the database
  config package create DIR [--name N] [--version V]
                              write a customer package (folder + celltrace-package.json) from this instance's admin overlays
  config package diff DIR_A DIR_B
                              what changed between two versions of a customer package
  config package install DIR [--yes]
                              preview installing a customer package here (--yes installs it as overlays)
  config package rollback NAME
                              restore every definition the package's install changed
  upgrade [--dry-run] [--package DIR] [--resolve kind/id/pointer=upstream|customer]
                              merge the customer's adaptation (admin overlays, or a layered package folder) onto
                              this version's shipped metadata: conflicts reported (exit 3), the rest applied
  doctor [--json]             check this configuration (database, data key, backup target, pg_dump, clock, disk,
                              proxy) and say what to fix; exit 1 when something must be fixed
  import template ENTITY FILE write the XLSX import template of an entity
  import ENTITY FILE [--commit] [--lab CODE] [--lang en]
                              check every row of a filled-in template (dry run); --commit imports all rows or none
  audit verify                check the audit trail's hash chain; names the first altered, inserted or deleted entry
  backup                      pg_dump into BACKUP_DIR (server mode) or a logical dump (embedded mode, server
                              stopped), keeping the newest BACKUP_KEEP (14)
  restore FILE                restore a backup (replaces the database): a .dump into DATABASE_URL; a .jsonl.gz
                              into DATABASE_URL or, without it, into the embedded database (server stopped)
  keys rotate [--current]     re-encrypt encrypted fields under CELLTRACE_NEW_DATA_KEY (or a generated key;
                              --current: under the current CELLTRACE_DATA_KEY) and recompute blind indexes`;

async function main(argv: string[]): Promise<number> {
  const [cmd = 'start', sub, file, ...rest] = argv;
  const config = loadConfig();
  if (cmd === 'start') {
    const server = await createServer(config);
    const url = await server.listen();
    if (!webIsBuilt(config)) server.services.log.warn('web/dist is missing: run `npm run build:web`');
    server.services.log.info(`CellTrace ${server.services.version} listening on ${url.replace('127.0.0.1', 'localhost')} (database: ${server.services.dbKind})`);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.services.log.info({ signal }, 'shutting down');
      await server.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
    return -1; // keep running
  }
  if (cmd === 'doctor') {
    const { runDoctor, formatDoctor } = await import('./cli/doctor');
    const checks = await runDoctor(config);
    console.log(sub === '--json' ? JSON.stringify(checks, null, 2) : formatDoctor(checks));
    return checks.some((c) => c.status === 'fail') ? 1 : 0;
  }
  if (cmd === 'config' && sub === 'validate') {
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
    // Kinds are registered by the server module; validation needs no database.
    const { registerCoreKindsOnce } = await import('./cli/kinds');
    registerCoreKindsOnce(config);
    const problems = validatePackage(pkg);
    console.log(problems.length ? problems.join('\n') : 'valid');
    return problems.length ? 1 : 0;
  }
  if (cmd === 'config' && sub === 'package' && file === 'diff') {
    const { registerCoreKindsOnce } = await import('./cli/kinds');
    registerCoreKindsOnce(config);
    const { packageCommand } = await import('./cli/package-cli');
    return packageCommand(undefined, [file, ...rest], (m) => console.log(m));
  }
  if (cmd === 'backup' || cmd === 'restore') {
    const logical = await import('./audit/logical-backup');
    if (cmd === 'restore' && !sub) {
      console.error(USAGE);
      return 2;
    }
    if (!config.databaseUrl || (cmd === 'restore' && sub.endsWith(logical.LOGICAL_SUFFIX))) {
      // Embedded mode (server stopped): a consistent logical dump through the database connection; such a file
      // also restores into server-mode PostgreSQL.
      const keep = Number(process.env.BACKUP_KEEP ?? 14);
      const run = <T>(fn: (k: import('knex').Knex) => Promise<T>) => {
        if (!config.databaseUrl) return logical.withEmbeddedKnex(config.dataDir, fn);
        return import('./db/connection').then(async ({ createKnex }) => {
          const k = createKnex(config.databaseUrl!, { poolMax: 2, applicationName: 'celltrace-restore' });
          try {
            return await fn(k);
          } finally {
            await k.destroy();
          }
        });
      };
      if (cmd === 'backup') {
        const r = await run((k) => logical.logicalBackup(k, config.backupDir, keep));
        console.log(`${r.file} (${r.tables} tables, ${r.rows} rows)`);
      } else {
        const r = await run((k) => logical.logicalRestore(k, sub));
        console.log(`restored ${sub} (${r.tables} tables, ${r.rows} rows)`);
      }
      return 0;
    }
    const { backupDatabase, restoreDatabase } = await import('./audit/backup');
    if (cmd === 'backup') console.log(await backupDatabase(config.databaseUrl, config.backupDir, Number(process.env.BACKUP_KEEP ?? 14)));
    else {
      await restoreDatabase(config.databaseUrl, sub);
      console.log(`restored ${sub}`);
    }
    return 0;
  }
  const server = await createServer({ ...config, runJobs: false, loadDemoData: cmd === 'migrate' ? false : config.loadDemoData });
  try {
    if (cmd === 'migrate') {
      console.log('database migrated and schema in sync');
      return 0;
    }
    if (cmd === 'audit' && sub === 'verify') {
      const { verifyAuditChain } = await import('./audit/trail');
      const r = await verifyAuditChain(server.services.knex);
      console.log(r.ok ? `audit trail intact: ${r.checked} entries verified` : `AUDIT TRAIL BROKEN after ${r.checked} good entries: ${r.problem!.message}`);
      return r.ok ? 0 : 3;
    }
    if (cmd === 'keys' && sub === 'rotate') {
      const { rotateKeys } = await import('./auth/keys-cli');
      await rotateKeys(server.services, [file, ...rest].filter(Boolean), (m) => console.log(m));
      return 0;
    }
    if (cmd === 'config' && sub === 'package') {
      const { packageCommand } = await import('./cli/package-cli');
      return await packageCommand(server.services, [file, ...rest].filter(Boolean), (m) => console.log(m));
    }
    if (cmd === 'import') {
      const { importCommand } = await import('./cli/import-cli');
      return await importCommand(server.services, [sub, file, ...rest].filter(Boolean), (m) => console.log(m));
    }
    if (cmd === 'upgrade') {
      const { upgradeCommand } = await import('./cli/package-cli');
      return await upgradeCommand(server.services, [sub, file, ...rest].filter(Boolean), (m) => console.log(m));
    }
    if (cmd === 'config') {
      const store = server.services.meta;
      if (sub === 'export') {
        const json = JSON.stringify(exportPackage(store), null, 2);
        if (file) fs.writeFileSync(file, json);
        else process.stdout.write(json + '\n');
        return 0;
      }
      if (sub === 'diff' || sub === 'import') {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
        const problems = validatePackage(pkg);
        if (problems.length) {
          console.error(problems.join('\n'));
          return 1;
        }
        const changes = diffPackage(store, pkg);
        for (const c of changes) {
          console.log(`${c.change.padEnd(8)} ${c.kind}/${c.id}${c.change === 'removed' ? '   (kept: removals are never applied by import)' : ''}`);
          for (const d of c.diff ?? []) console.log(`           ${d.type} ${d.path}: ${JSON.stringify(d.from)} → ${JSON.stringify(d.to)}`);
        }
        if (!changes.length) console.log('no differences');
        if (sub === 'import') {
          if (!rest.includes('--yes')) {
            console.log('\nRe-run with --yes to apply.');
            return 0;
          }
          const applied = await importPackage(store, pkg, systemContext(), `config import ${file}`);
          console.log(`applied ${applied.length} definitions`);
        }
        return 0;
      }
    }
    console.error(USAGE);
    return 2;
  } finally {
    await server.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    if (err instanceof DataDirLockedError || err instanceof MetadataError || err instanceof KeyConfigError || err?.name === 'BackupFileError' || err?.name === 'PackageError') console.error(err.message);
    else console.error(err?.stack ?? err);
    process.exit(1);
  },
);
