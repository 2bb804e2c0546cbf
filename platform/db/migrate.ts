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

export async function migrateLatest(knex: Knex, dirs: string[]): Promise<string[]> {
  const [, names] = await knex.migrate.latest({ migrationSource: new FolderMigrationSource(dirs), tableName: 'ct_migrations' });
  return names as string[];
}
