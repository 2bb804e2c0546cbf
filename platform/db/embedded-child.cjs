'use strict';
/*
 * Embedded PostgreSQL child process: PGlite (PostgreSQL in WASM) on a directory, served over TCP with the
 * PostgreSQL wire protocol so the parent uses the ordinary `pg` driver.
 *
 * Plain JavaScript on purpose: forked with `node` directly (no TS loader) from the app, jest, tsx, anywhere.
 * Protocol with the parent (IPC):
 *   parent -> child  { type: 'stop' }
 *   child  -> parent { type: 'ready', port, startupMs, rssMb } | { type: 'log', msg } | { type: 'error', message }
 * Arguments: argv[2] = JSON { pgdata, host?, maxConnections?, idleInTransactionTimeoutMs? }.
 *
 * Why our own query queue instead of PGLiteSocketServer's: PGlite is ONE PostgreSQL session shared by every
 * client connection. pglite-socket 0.2.17 only keeps other clients out while an explicit transaction block is
 * open; an extended-protocol sequence (Parse/Bind/Describe/Execute/Sync, which `pg` uses for every
 * parameterised query) can be interleaved with another client's when its bytes arrive in several TCP chunks
 * (large parameters). Another client's Parse then replaces the unnamed statement and our Bind runs against the
 * wrong SQL. Here a connection owns the session from its first message until it has sent Sync/Query AND the
 * session is outside a transaction block; all other connections wait in FIFO order.
 */
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const { PGlite } = require('@electric-sql/pglite');
const { PGLiteSocketHandler } = require('@electric-sql/pglite-socket');

const MSG_QUERY = 0x51; // 'Q'
const MSG_SYNC = 0x53; // 'S'
const MSG_TERMINATE = 0x58; // 'X'
const SYNC_MESSAGE = new Uint8Array([MSG_SYNC, 0, 0, 0, 4]);

function queryMessage(sql) {
  const body = Buffer.from(sql + '\0', 'utf8');
  const msg = Buffer.alloc(5 + body.length);
  msg[0] = MSG_QUERY;
  msg.writeInt32BE(4 + body.length, 1);
  body.copy(msg, 5);
  return new Uint8Array(msg);
}
const ROLLBACK_MESSAGE = queryMessage('ROLLBACK');

function send(msg) {
  try {
    if (process.connected) process.send(msg);
  } catch {
    // parent gone: the 'disconnect' handler shuts us down
  }
}
function log(msg) {
  send({ type: 'log', msg });
}

/**
 * Serialises protocol messages of all connections onto the single PGlite session. Implements the queue
 * interface PGLiteSocketHandler expects (enqueue / clearQueueForHandler / clearTransactionIfNeeded).
 */
class SessionQueue {
  constructor(db, opts) {
    this.db = db;
    this.items = [];
    this.owner = null; // handler id that owns the session, or null
    this.ownerMidSequence = false; // owner sent extended-protocol messages not yet closed by Sync
    this.ownerLastActivity = 0;
    this.running = false;
    this.idleTimeoutMs = opts.idleInTransactionTimeoutMs;
    this.onIdleOwner = opts.onIdleOwner;
    this.watchdog = null;
    if (this.idleTimeoutMs > 0) {
      this.watchdog = setInterval(() => this.checkIdleOwner(), Math.min(1000, this.idleTimeoutMs)).unref();
    }
  }

  enqueue(handlerId, message, onData) {
    return new Promise((resolve, reject) => {
      this.items.push({ handlerId, message, onData, resolve, reject, internal: null });
      void this.pump();
    });
  }

  /** Runs `fn` with the session when `handlerId` may use it (used for cleanup of a leaving connection). */
  runAs(handlerId, fn) {
    return new Promise((resolve, reject) => {
      this.items.push({ handlerId, message: null, onData: null, resolve, reject, internal: fn });
      void this.pump();
    });
  }

  nextIndex() {
    if (this.items.length === 0) return -1;
    if (this.owner === null) return 0;
    return this.items.findIndex((it) => it.handlerId === this.owner);
  }

  async pump() {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const idx = this.nextIndex();
        if (idx === -1) break;
        const item = this.items.splice(idx, 1)[0];
        this.owner = item.handlerId;
        this.ownerLastActivity = Date.now();
        try {
          if (item.internal) {
            item.resolve(await item.internal());
            continue;
          }
          const type = item.message[0];
          if (type === MSG_TERMINATE) {
            // Never pass Terminate to the shared backend: it belongs to this client only.
            await this.cleanupOwner();
            item.resolve(0);
            continue;
          }
          let bytes = 0;
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          // Startup packets begin with a zero length byte; Query and Sync end a protocol exchange.
          const endsExchange = type === 0 || type === MSG_QUERY || type === MSG_SYNC;
          this.ownerMidSequence = !endsExchange;
          if (endsExchange && !this.db.isInTransaction()) this.owner = null;
          this.ownerLastActivity = Date.now();
          item.resolve(bytes);
        } catch (err) {
          item.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Ends the owner's unfinished protocol exchange and open transaction, then frees the session. */
  async cleanupOwner() {
    const noop = () => {};
    try {
      if (this.ownerMidSequence) {
        await this.db.runExclusive(() => this.db.execProtocolRawStream(SYNC_MESSAGE, { onRawData: noop }));
      }
      if (this.db.isInTransaction()) {
        await this.db.runExclusive(() => this.db.execProtocolRawStream(ROLLBACK_MESSAGE, { onRawData: noop }));
      }
    } finally {
      this.owner = null;
      this.ownerMidSequence = false;
    }
  }

  clearQueueForHandler(handlerId) {
    this.items = this.items.filter((it) => {
      if (it.handlerId !== handlerId || it.internal) return true;
      it.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  async clearTransactionIfNeeded(handlerId) {
    if (this.owner !== handlerId) return;
    await this.runAs(handlerId, async () => {
      if (this.owner === handlerId) await this.cleanupOwner();
    });
    void this.pump();
  }

  getQueueLength() {
    return this.items.length;
  }

  /**
   * PGlite has a single session, so a connection idle inside a transaction blocks every other connection
   * (e.g. code that queries through the root knex while holding a knex transaction would hang forever).
   * Like PostgreSQL's idle_in_transaction_session_timeout, terminate such an owner, but only while others wait.
   */
  checkIdleOwner() {
    if (this.owner === null || this.running) return;
    const waiting = this.items.some((it) => it.handlerId !== this.owner);
    if (!waiting) return;
    const idleMs = Date.now() - this.ownerLastActivity;
    if (idleMs >= this.idleTimeoutMs) this.onIdleOwner(this.owner, idleMs);
  }

  close() {
    if (this.watchdog) clearInterval(this.watchdog);
  }
}

function isEmptyOrMissingDir(dir) {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch (err) {
    if (err.code === 'ENOENT') return true;
    throw err;
  }
}

/** Creates the cluster in a temporary directory and renames it, so a crash during initdb leaves no half cluster. */
async function initClusterIfNeeded(pgdata) {
  if (fs.existsSync(path.join(pgdata, 'PG_VERSION'))) return false;
  if (!isEmptyOrMissingDir(pgdata)) {
    throw new Error(`${pgdata} is not empty but holds no PostgreSQL cluster (PG_VERSION missing); refusing to use it`);
  }
  const tmp = `${pgdata}.init-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const db = await PGlite.create({ dataDir: tmp, relaxedDurability: false });
  await db.close();
  fs.rmSync(pgdata, { recursive: true, force: true });
  fs.renameSync(tmp, pgdata);
  return true;
}

async function main() {
  const opts = JSON.parse(process.argv[2] || '{}');
  const pgdata = opts.pgdata;
  const host = opts.host || '127.0.0.1';
  const maxConnections = opts.maxConnections || 10;
  const idleInTransactionTimeoutMs = opts.idleInTransactionTimeoutMs ?? 60000;
  if (!pgdata) throw new Error('embedded-child: pgdata missing');
  if (!process.send) throw new Error('embedded-child must be started with an IPC channel (child_process.fork)');

  const t0 = Date.now();
  if (await initClusterIfNeeded(pgdata)) log(`created a new PostgreSQL cluster in ${pgdata} (${Date.now() - t0} ms)`);
  // relaxedDurability false: every query waits for the file system sync (a no-op for the Node file system,
  // whose writes go straight to the OS; stated so a future FS backend does not silently defer writes).
  const db = await PGlite.create({ dataDir: pgdata, relaxedDurability: false });

  const handlers = new Map();
  const queue = new SessionQueue(db, {
    idleInTransactionTimeoutMs,
    onIdleOwner: (handlerId, idleMs) => {
      const h = handlers.get(handlerId);
      log(
        `terminating connection #${handlerId}: idle for ${idleMs} ms while holding the embedded database ` +
          `session (open transaction or unfinished query) and other connections are waiting`,
      );
      if (h) void h.detach(true);
      else void queue.clearTransactionIfNeeded(handlerId);
    },
  });

  const server = net.createServer((socket) => {
    if (handlers.size >= maxConnections) {
      // PostgreSQL-style refusal would need the protocol; a closed socket makes pg report a connection error.
      log(`refusing connection: ${maxConnections} connections already open`);
      socket.destroy();
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.set(handler.handlerId, handler);
    const forget = () => handlers.delete(handler.handlerId);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch((err) => {
      forget();
      log(`could not attach connection: ${err && err.message}`);
      socket.destroy();
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = server.address().port;

  let stopping = null;
  const shutdown = (reason) => {
    if (stopping) return stopping;
    stopping = (async () => {
      log(`stopping embedded database (${reason})`);
      const hardExit = setTimeout(() => process.exit(1), 20000);
      hardExit.unref();
      server.close();
      for (const h of handlers.values()) await h.detach(true).catch(() => {});
      handlers.clear();
      queue.close();
      await db.close();
      clearTimeout(hardExit);
      process.exit(0);
    })().catch((err) => {
      process.stderr.write(`embedded database: error while stopping: ${(err && err.stack) || err}\n`);
      process.exit(1);
    });
    return stopping;
  };

  process.on('message', (msg) => {
    if (msg && msg.type === 'stop') void shutdown('stop requested');
  });
  // Parent died or closed the channel: never leave an orphan holding the data directory.
  process.on('disconnect', () => void shutdown('parent disconnected'));
  // A terminal Ctrl-C or a process-group SIGTERM reaches us and the parent at once. Give the parent time to
  // drain requests and send 'stop' (or die, which disconnects); close on our own only if it does not.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      if (!process.connected) return void shutdown(sig);
      setTimeout(() => void shutdown(`${sig}, parent did not stop us`), 10000).unref();
    });
  }

  send({ type: 'ready', port, startupMs: Date.now() - t0, rssMb: Math.round(process.memoryUsage().rss / 1048576) });
}

// Broken stdout/stderr pipes (parent killed) must not crash the shutdown path.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

main().catch((err) => {
  send({ type: 'error', message: (err && err.message) || String(err) });
  process.stderr.write(`embedded database failed to start: ${(err && err.stack) || err}\n`);
  setTimeout(() => process.exit(1), 50);
});
