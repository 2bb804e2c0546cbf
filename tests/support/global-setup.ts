import { createDatabase } from './pg';

/** One fresh database per test run, shared by the API tests; dropped in global-teardown. */
export default async function globalSetup(): Promise<void> {
  const db = await createDatabase('celltrace_run');
  process.env.TEST_DATABASE_URL = db.url;
  process.env.TEST_DATABASE_NAME = db.name;
}
