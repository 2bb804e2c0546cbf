import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import pino, { type Logger } from 'pino';
import type { Config } from './config';
import { StatementCache, createKnex } from './db/connection';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded';
import { migrateLatest, migratePlugin } from './db/migrate';
import { registerCoreKinds, registerMetaKind, metaKinds } from './metadata/registry';
import { loadMetadataFiles } from './metadata/loader';
import { MetadataStore } from './metadata/store';
import { RecordService } from './records/service';
import { HookRegistry } from './records/hooks';
import { RecordEvents } from './records/events';
import { adminOnly, type Authorizer } from './records/access';
import { SessionStore } from './auth/sessions';
import { bootstrapAdmin } from './auth/users';
import { installSecurity, registerSecurityKinds } from './auth';
import { setupWorkflow } from './workflow';
import { setupWebhooks } from './webhooks';
import { recoverInterruptedImports, setupImport } from './import/routes';
import { registerDashboardKinds, setupDashboards } from './dashboards/routes';
import { setupTrace } from './trace';
import { createApp } from './http/app';
import { platformRouteDocs, pluginRouteDocs } from './http/route-docs';
import { createPluginApi, discoverPlugins, type LoadedPlugin } from './plugins/host';
import { registerMessages } from './i18n';
import { numberingRuleSchema, numberingRuleIssues } from './numbering';
import { numberingMessages } from './numbering/messages';
import jobMessages from './jobs/messages';
import { JobRunner } from './jobs';
import { loadDemoData } from './metadata/demo';
import { systemContext } from './context';
import type { Services } from './services';
import './i18n/messages';
import './http/messages';

export const VERSION: string = require('../package.json').version;
const ROOT = path.resolve(__dirname, '..');

let kindsRegistered = false;
/** Metadata kinds are process-wide (a registry); plugins add theirs once. */
export function registerKindsFor(plugins: LoadedPlugin[]): void {
  if (kindsRegistered) return;
  kindsRegistered = true;
  registerMessages(numberingMessages);
  registerMessages(jobMessages);
  registerCoreKinds();
  registerSecurityKinds();
  registerDashboardKinds();
  registerMetaKind({
    kind: 'numbering',
    folder: 'numbering',
    schema: numberingRuleSchema,
    check: (def) => numberingRuleIssues(def).map((i: any) => ({ path: i.path, message: i.messageKey })),
  });
  for (const p of plugins) {
    if (p.messages) registerMessages(p.messages);
    for (const k of p.metaKinds ?? []) if (!metaKinds().some((x) => x.kind === k.kind)) registerMetaKind(k);
  }
}

/** The platform's migrations, then each plugin's in its own namespace. */
export async function migrateAll(knex: Knex, plugins: LoadedPlugin[]): Promise<void> {
  await migrateLatest(knex, [path.join(ROOT, 'migrations')]);
  for (const p of plugins) if (p.migrations) await migratePlugin(knex, p.name, path.join(p.dir, p.migrations));
}

export interface Server {
  services: Services;
  httpServer?: http.Server;
  url?: string;
  listen(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  logger?: Logger;
  /** Only these plugins (tests); default: all in config.pluginsDir. */
  plugins?: string[];
  print?: (msg: string) => void;
}

/** Composition root: config → database → plugins → metadata → services → http. */
export async function createServer(config: Config, opts: ServerOptions = {}): Promise<Server> {
  const log = opts.logger ?? pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie', 'password', '*.password'] });
  const print = opts.print ?? ((m: string) => process.stdout.write(m + '\n'));
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedDatabase({
      dataDir: config.dataDir,
      log: (m) => log.info(m),
      onUnexpectedExit: (code, signal) => {
        log.fatal({ code, signal }, 'embedded database stopped unexpectedly');
        process.exit(1);
      },
    });
    url = embedded.connectionString;
  }
  // Embedded PGlite runs one transaction at a time behind its socket; a smaller pool avoids idle waiting.
  // Embedded PGlite serves every client connection from one backend session: named statements would collide there.
  const knex: Knex = createKnex(url, { poolMax: embedded ? 8 : Number(process.env.DB_POOL_MAX ?? 20), statementCache: embedded || process.env.DB_STATEMENT_CACHE === 'false' ? undefined : new StatementCache() });
  // A read replica for exports and aggregates (server mode only; the embedded database has no replicas).
  const readKnex: Knex = config.databaseReadUrl && !embedded
    ? createKnex(config.databaseReadUrl, { poolMax: Number(process.env.DB_READ_POOL_MAX ?? process.env.DB_POOL_MAX ?? 20), applicationName: 'celltrace-read' })
    : knex;
  try {
    const plugins = discoverPlugins(config.pluginsDir, opts.plugins);
    registerKindsFor(plugins);
    await migrateAll(knex, plugins);
    const roots = [...config.metadataDirs, ...plugins.filter((p) => p.metadata).map((p) => path.join(p.dir, p.metadata!))];
    const files = loadMetadataFiles(roots);
    const meta = new MetadataStore(knex, files);
    await meta.load();

    const hooks = new HookRegistry();
    const events = new RecordEvents();
    let authorizer: Authorizer = adminOnly;
    const records = new RecordService(knex, meta, () => authorizer, hooks, events);
    if (readKnex !== knex) records.useReplica(readKnex);
    const sessions = new SessionStore(knex, { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours });
    const jobs = new JobRunner(knex, { log });
    const services: Services = {
      config, knex, readKnex, dbKind: embedded ? 'pglite' : 'postgres', version: VERSION, log, meta, records, hooks, events, sessions, jobs,
      get authorizer() {
        return authorizer;
      },
      setAuthorizer: (a) => {
        authorizer = a;
      },
      routeExtensions: [],
      routeDocs: platformRouteDocs(),
      onStop: [],
      webEntries: plugins.filter((p) => p.web).map((p) => ({ plugin: p.name, entry: path.relative(ROOT, path.join(p.dir, p.web!)) })),
    };
    installSecurity(services);
    setupWorkflow(services);
    setupWebhooks(services);
    setupImport(services);
    setupDashboards(services);
    setupTrace(services);
    for (const p of plugins) {
      const api = createPluginApi(services, p);
      await p.setup?.(api);
      if (p.routes) services.routeExtensions.push((router) => p.routes!(router, api));
      services.routeDocs.push(...pluginRouteDocs(p.dir));
    }

    await bootstrapAdmin(knex, config.adminPassword, print);
    if (config.loadDemoData) {
      const done = await knex('ct_state').where({ key: 'demo-data' }).first();
      const empty = !done && !(await knex('ct_audit').whereNotIn('entity', ['auth']).first('id'));
      if (empty) {
        const roles = new Set(Object.keys(meta.model.set.role ?? {}));
        const n = await loadDemoData(roots, records, systemContext(), { knex, roles, password: config.demoPassword, print });
        await knex('ct_state').insert({ key: 'demo-data', value: JSON.stringify({ records: n, at: new Date().toISOString() }) }).onConflict('key').ignore();
        log.info({ records: n }, 'demo data loaded');
      }
    }
    // Imports a stopped process left half-way are marked interrupted (retryable) before any job runs.
    await recoverInterruptedImports(services);
    if (config.runJobs) jobs.start();

    const app = createApp(services);
    const server: Server = {
      services,
      async listen(port = config.port, host = config.host) {
        const hs = http.createServer(app.callback());
        hs.requestTimeout = 120_000;
        hs.headersTimeout = 30_000;
        await new Promise<void>((res, rej) => hs.once('error', rej).listen(port, host, () => res()));
        server.httpServer = hs;
        const addr = hs.address() as { port: number };
        server.url = `http://127.0.0.1:${addr.port}`;
        return server.url;
      },
      async stop() {
        if (server.httpServer) {
          const hs = server.httpServer;
          await new Promise<void>((res) => {
            hs.close(() => res());
            hs.closeIdleConnections?.();
            setTimeout(() => hs.closeAllConnections?.(), 5000).unref();
          });
        }
        await jobs.stop();
        for (const fn of services.onStop) await fn();
        await knex.destroy();
        if (readKnex !== knex) await readKnex.destroy();
        if (embedded) await embedded.stop();
      },
    };
    return server;
  } catch (err) {
    await knex.destroy().catch(() => {});
    if (readKnex !== knex) await readKnex.destroy().catch(() => {});
    if (embedded) await embedded.stop().catch(() => {});
    throw err;
  }
}

export function webIsBuilt(config: Config): boolean {
  return fs.existsSync(path.join(config.webDist, 'index.html'));
}
