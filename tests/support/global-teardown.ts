import { dropDatabase } from './pg';

export default async function globalTeardown(): Promise<void> {
  if (process.env.TEST_DATABASE_NAME && !process.env.KEEP_TEST_DB) await dropDatabase(process.env.TEST_DATABASE_NAME);
}
