import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { acquireDataDirLock, DataDirLockedError, type DataDirLock } from './data-dir-lock';

/**
 * Embedded PostgreSQL for `npm start` without DATABASE_URL: PGlite in a child process (embedded-child.cjs),
 * served over TCP on 127.0.0.1 so the app uses knex + `pg` exactly as with a real server, and PGlite's
 * synchronous WASM queries never block the app's event loop.
 *
 * PGlite is ONE PostgreSQL session multiplexed over all connections: transactions run one at a time
 * (a second connection waits until the first commits), session state (SET, temp tables, named prepared
 * statements, session advisory locks, LISTEN) is shared, and a connection that holds a transaction and waits
 * for another connection deadlocks until idleInTransactionTimeoutMs terminates it.
 */

export { DataDirLockedError };

export interface EmbeddedDatabase {
  connectionString: string;
  stop(): Promise<void>;
  /** pid of the database child process. */
  pid: number;
}

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  log?: (msg: string) => void;
  /** Concurrent client connections accepted (default 10); keep the knex pool max at or below it. */
  maxConnections?: number;
  /**
   * A connection idle this long while holding the session (open transaction) and blocking others is
   * terminated and its transaction rolled back (default 60000; 0 disables).
   */
  idleInTransactionTimeoutMs?: number;
  /** Called when the child exits without stop() (crash, kill); the connection string no longer works. */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  /** Startup limit, default 120 s (creating a cluster takes a few seconds on a slow machine). */
  startTimeoutMs?: number;
}

const CHILD_SCRIPT = path.join(__dirname, 'embedded-child.cjs');
const STOP_TIMEOUT_MS = 30_000;

type ChildMessage =
  | { type: 'ready'; port: number; startupMs: number; rssMb: number }
  | { type: 'log'; msg: string }
  | { type: 'error'; message: string };

export async function startEmbeddedDatabase(opts: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => {});
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const lock = await acquireDataDirLock(dataDir, { log });
  try {
    return await launch(dataDir, lock, opts, log);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function launch(
  dataDir: string,
  lock: DataDirLock,
  opts: EmbeddedDatabaseOptions,
  log: (msg: string) => void,
): Promise<EmbeddedDatabase> {
  const childArgs = {
    pgdata: path.join(dataDir, 'pgdata'),
    host: '127.0.0.1',
    maxConnections: opts.maxConnections ?? 10,
    idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs ?? 60_000,
  };
  const child = fork(CHILD_SCRIPT, [JSON.stringify(childArgs)], {
    // No inherited loader flags (tsx, jest): the child is plain JS and starts faster without them.
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  if (child.pid === undefined) throw new Error('Could not start the embedded database process');
  lock.setChild(child.pid);

  const stderrTail: string[] = [];
  forwardLines(child, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    log(`[db] ${line}`);
  });

  let stopping = false;
  let exited = false;
  let ready = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      lock.release();
      if (!stopping && ready) {
        log(`embedded database process ${child.pid} exited unexpectedly (code ${code}, signal ${signal})`);
        opts.onUnexpectedExit?.(code, signal);
      }
      resolve();
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Embedded database did not start within ${opts.startTimeoutMs ?? 120_000} ms`));
    }, opts.startTimeoutMs ?? 120_000);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(
        new Error(
          `Embedded database process exited during startup (code ${code}, signal ${signal})` +
            (stderrTail.length ? `:\n${stderrTail.join('\n')}` : ''),
        ),
      );
    };
    child.once('exit', onExit);
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'log') log(`[db] ${m.msg}`);
      else if (m.type === 'error') log(`[db] startup failed: ${m.message}`);
      else if (m.type === 'ready') {
        clearTimeout(timer);
        child.off('exit', onExit);
        ready = true;
        log(`embedded database ready on 127.0.0.1:${m.port} (pid ${child.pid}, ${m.startupMs} ms, ${m.rssMb} MB RSS)`);
        resolve(m.port);
      }
    });
  }).catch(async (err) => {
    if (!exited) child.kill('SIGKILL');
    await exitPromise;
    throw err;
  });

  // The database must not keep the app alive on its own; if the app exits without stop(), the child sees
  // the IPC channel close and shuts down cleanly by itself.
  setRefs(child, false);

  let stopPromise: Promise<void> | null = null;
  return {
    connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    pid: child.pid!,
    stop() {
      stopPromise ??= (async () => {
        stopping = true;
        if (exited) return;
        setRefs(child, true);
        const killTimer = setTimeout(() => {
          log(`embedded database process ${child.pid} did not stop within ${STOP_TIMEOUT_MS} ms; killing it`);
          child.kill('SIGKILL');
        }, STOP_TIMEOUT_MS);
        try {
          if (child.connected) child.send({ type: 'stop' });
          else child.kill('SIGTERM');
        } catch {
          child.kill('SIGTERM');
        }
        await exitPromise;
        clearTimeout(killTimer);
      })();
      return stopPromise;
    },
  };
}

function forwardLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trimEnd();
        buf = buf.slice(i + 1);
        if (line) onLine(line);
      }
    });
  }
}

function setRefs(child: ChildProcess, ref: boolean): void {
  const handles: ({ ref(): unknown; unref(): unknown } | null | undefined)[] = [
    child,
    child.channel as unknown as { ref(): unknown; unref(): unknown } | undefined,
    child.stdout as unknown as { ref(): unknown; unref(): unknown } | null,
    child.stderr as unknown as { ref(): unknown; unref(): unknown } | null,
  ];
  for (const h of handles) {
    if (h && typeof h.ref === 'function') {
      if (ref) h.ref();
      else h.unref();
    }
  }
}
