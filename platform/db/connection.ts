import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

// pg returns bigint and numeric as strings to avoid precision loss; our ids and counts stay far below 2^53 and
// lab values fit a double, so the API speaks numbers. Dates stay ISO strings so no time zone shifts a freeze date.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
pg.types.setTypeParser(1082, (v) => v);
pg.types.setTypeParser(1184, (v) => new Date(v).toISOString());
pg.types.setTypeParser(1114, (v) => new Date(`${v}Z`).toISOString());

export function createKnex(connectionString: string, opts: { poolMax?: number; applicationName?: string } = {}): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString, application_name: opts.applicationName ?? 'celltrace' },
    pool: { min: 0, max: opts.poolMax ?? 10 },
    acquireConnectionTimeout: 30000,
  });
}
