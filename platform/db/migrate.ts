import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';

interface MigrationFile {
  name: string;
  file: string;
}

/**
 * Knex migration source over several folders (the platform's `migrations/` and each plugin's), ordered by file name.
 * Files are required directly so the same TypeScript migrations run under tsx, jest and the CLI.
 */
export class FolderMigrationSource implements Knex.MigrationSource<MigrationFile> {
  constructor(private dirs: string[]) {}
  async getMigrations(): Promise<MigrationFile[]> {
    const out: MigrationFile[] = [];
    for (const dir of this.dirs) {
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir)) {
        if (/\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.test.ts')) out.push({ name: f.replace(/\.(ts|js)$/, ''), file: path.join(dir, f) });
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }
  getMigrationName(m: MigrationFile): string {
    return m.name;
  }
  async getMigration(m: MigrationFile): Promise<Knex.Migration> {
    return require(m.file);
  }
}

/**
 * The platform's migrations, tracked in ct_migrations; a name there that no folder has any more (a removed
 * plugin's, recorded by an older version) does not stop start-up.
 */
export async function migrateLatest(knex: Knex, dirs: string[]): Promise<string[]> {
  const [, names] = await knex.migrate.latest({ migrationSource: new FolderMigrationSource(dirs), tableName: 'ct_migrations', disableMigrationsListValidation: true });
  return names as string[];
}

/** The table that tracks one plugin's migrations: plugins live in their own namespace. */
export const pluginMigrationTable = (plugin: string): string => `ct_migrations_p_${plugin.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`.slice(0, 63);

/**
 * A plugin's own migrations, tracked in the plugin's own table, so adding or removing a plugin never makes the
 * platform's migration list look corrupt. Rows of the plugin's migrations that an older version recorded in
 * ct_migrations move to the plugin's table first.
 */
export async function migratePlugin(knex: Knex, plugin: string, dir: string): Promise<string[]> {
  const tableName = pluginMigrationTable(plugin);
  const source = new FolderMigrationSource([dir]);
  const mine = (await source.getMigrations()).map((m) => m.name);
  if (mine.length && (await knex.schema.hasTable('ct_migrations'))) {
    const legacy = await knex('ct_migrations').whereIn('name', mine).select('name', 'batch', 'migration_time');
    if (legacy.length) {
      await knex.migrate.list({ migrationSource: source, tableName }); // creates the plugin's table
      await knex.transaction(async (trx) => {
        await trx(tableName).insert(legacy);
        await trx('ct_migrations').whereIn('name', mine).delete();
      });
    }
  }
  const [, names] = await knex.migrate.latest({ migrationSource: source, tableName, disableMigrationsListValidation: true });
  return names as string[];
}
