import type { Knex } from 'knex';
import type Router from '@koa/router';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { MetadataStore } from './metadata/store';
import type { RecordService } from './records/service';
import type { HookRegistry } from './records/hooks';
import type { RecordEvents } from './records/events';
import type { SessionStore } from './auth/sessions';
import type { Authorizer } from './records/access';
import type { RouteDoc } from './http/route-docs';

/** Everything the composition root wires together; routes, plugins and jobs receive this. */
export interface Services {
  config: Config;
  knex: Knex;
  /** The read replica's pool (DATABASE_READ_URL) or, without one, `knex` itself; only `records.reader()` queries use it. */
  readKnex: Knex;
  dbKind: 'postgres' | 'pglite';
  version: string;
  log: Logger;
  meta: MetadataStore;
  records: RecordService;
  hooks: HookRegistry;
  events: RecordEvents;
  sessions: SessionStore;
  authorizer: Authorizer;
  setAuthorizer(a: Authorizer): void;
  /** Extra API routes (plugins, later platform modules) mounted under /api/v1. */
  routeExtensions: ((api: Router, s: Services) => void)[];
  /** OpenAPI descriptions of every mounted route (platform tables, plugins' routes.docs.ts). */
  routeDocs: RouteDoc[];
  /** Web entries contributed by plugins (served to the shell). */
  webEntries: { plugin: string; entry: string }[];
  jobs?: any;
  /** Called in order when the server stops (after HTTP, before the database closes). */
  onStop: (() => Promise<void> | void)[];
}
