import knexFactory, { type Knex } from 'knex';
import crypto from 'node:crypto';
import pg from 'pg';

// pg returns bigint and numeric as strings to avoid precision loss; our ids and counts stay far below 2^53 and
// lab values fit a double, so the API speaks numbers. Dates stay ISO strings so no time zone shifts a freeze date.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
pg.types.setTypeParser(1082, (v) => v);
pg.types.setTypeParser(1184, (v) => new Date(v).toISOString());
pg.types.setTypeParser(1114, (v) => new Date(`${v}Z`).toISOString());

/**
 * Server-side statement cache: a parameterised statement text seen often enough runs as a named prepared statement,
 * so PostgreSQL parses and plans it once per connection instead of on every call (the engine's list, get and create
 * statements repeat by shape). Texts with `*` are left alone: a prepared `select *` fails once a column is added
 * ("cached plan must not change result type") and the schema changes live. At most `max` texts per process are
 * named, so backends never accumulate an unbounded number of statements.
 */
export class StatementCache {
  private seen = new Map<string, number>();
  private named = new Map<string, string>();
  constructor(
    private readonly max = 300,
    private readonly after = 3,
  ) {}

  nameFor(text: string): string | undefined {
    const hit = this.named.get(text);
    if (hit) return hit;
    if (this.named.size >= this.max || text.includes('*')) return undefined;
    const n = (this.seen.get(text) ?? 0) + 1;
    if (n < this.after) {
      if (this.seen.size > 10 * this.max) this.seen.clear();
      this.seen.set(text, n);
      return undefined;
    }
    this.seen.delete(text);
    const name = `ct_${crypto.createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    this.named.set(text, name);
    return name;
  }

  get size(): number {
    return this.named.size;
  }
}

export function createKnex(connectionString: string, opts: { poolMax?: number; applicationName?: string; statementCache?: StatementCache } = {}): Knex {
  const cache = opts.statementCache;
  return knexFactory({
    client: 'pg',
    connection: { connectionString, application_name: opts.applicationName ?? 'celltrace' },
    pool: {
      min: 0,
      max: opts.poolMax ?? 10,
      ...(cache
        ? {
            afterCreate: (conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) => {
              const query = conn.query.bind(conn) as (...a: any[]) => any;
              (conn as any).query = (config: any, ...rest: any[]) => {
                if (config && typeof config === 'object' && typeof config.submit !== 'function' && typeof config.text === 'string' && !config.name && config.values?.length) {
                  const name = cache.nameFor(config.text);
                  if (name) config = { ...config, name };
                }
                return query(config, ...rest);
              };
              done(null, conn);
            },
          }
        : {}),
    },
    acquireConnectionTimeout: 30000,
  });
}
