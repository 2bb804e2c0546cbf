import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { Client } from 'pg';
import { DataDirLockedError, startEmbeddedDatabase, type EmbeddedDatabase } from '../../platform/db/embedded';

/**
 * Embedded PostgreSQL (PGlite in a child process behind a pg-protocol socket). Uses its own temporary data
 * directories, not the shared test database.
 */

jest.setTimeout(120_000);

const HOLDER = path.join(__dirname, '..', 'support', 'embedded-db-holder.ts');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'celltrace-embedded-'));
let template: string; // a freshly created cluster, copied per test (creating one costs seconds)
const running: EmbeddedDatabase[] = [];
const holders: ChildProcess[] = [];
let dirCounter = 0;

function freshDataDir(): string {
  const dir = path.join(root, `d${++dirCounter}`);
  fs.cpSync(template, path.join(dir, 'pgdata'), { recursive: true });
  return dir;
}

async function start(dataDir: string, extra: Partial<Parameters<typeof startEmbeddedDatabase>[0]> = {}) {
  const db = await startEmbeddedDatabase({ dataDir, ...extra });
  running.push(db);
  return db;
}

async function client(db: EmbeddedDatabase): Promise<Client> {
  const c = new Client({ connectionString: db.connectionString });
  c.on('error', () => {}); // terminated connections are part of some tests
  await c.connect();
  return c;
}

async function rows(db: EmbeddedDatabase, sql: string, params: unknown[] = []): Promise<any[]> {
  const c = await client(db);
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

type HolderMsg =
  | { type: 'started'; connectionString: string; pid: number; childPid: number }
  | { type: 'failed'; name: string; message: string };

/** Starts the embedded database in ANOTHER process. */
function startHolder(dataDir: string): Promise<{ proc: ChildProcess; msg: HolderMsg }> {
  const proc = fork(HOLDER, [dataDir], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  holders.push(proc);
  return new Promise((resolve, reject) => {
    proc.once('message', (msg: HolderMsg) => resolve({ proc, msg }));
    proc.once('exit', (code) => reject(new Error(`holder exited with ${code} before reporting`)));
  });
}

/** True while pid runs; an exited process left unreaped (zombie, e.g. an orphan in a container) is not alive. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves to 'pending' if p has not settled within ms. */
async function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);
}

beforeAll(async () => {
  const dir = path.join(root, 'template');
  const db = await startEmbeddedDatabase({ dataDir: dir });
  await db.stop();
  template = path.join(dir, 'pgdata');
});

afterAll(async () => {
  for (const h of holders) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
  await Promise.all(running.map((db) => db.stop()));
  fs.rmSync(root, { recursive: true, force: true });
});

test('committed data survives stop and restart; the lock is released on stop', async () => {
  const dir = freshDataDir();
  const db1 = await start(dir);
  await rows(db1, 'CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL)');
  await rows(db1, 'INSERT INTO t (v) VALUES ($1)', ['kept']);
  await db1.stop();
  expect(fs.existsSync(path.join(dir, 'celltrace.lock'))).toBe(false);
  expect(isAlive(db1.pid)).toBe(false);

  const db2 = await start(dir);
  expect(await rows(db2, 'SELECT v FROM t')).toEqual([{ v: 'kept' }]);
  await db2.stop();
});

test('a new data directory is created, with the cluster under <dataDir>/pgdata', async () => {
  const dir = path.join(root, 'nested', 'new-dir');
  const db = await start(dir);
  expect(fs.existsSync(path.join(dir, 'pgdata', 'PG_VERSION'))).toBe(true);
  expect(await rows(db, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  await db.stop();
});

test('a second process on the same data directory is refused with a clear message', async () => {
  const dir = freshDataDir();
  const { proc, msg } = await startHolder(dir);
  expect(msg.type).toBe('started');

  const err = await startEmbeddedDatabase({ dataDir: dir }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DataDirLockedError);
  expect((err as Error).message).toBe(
    `Another CellTrace process (pid ${proc.pid}) is using data directory ${dir}; ` +
      'stop it or set DATA_DIR to another directory',
  );

  // ...and the other way round: a third process is refused too.
  const third = await startHolder(dir);
  expect(third.msg).toMatchObject({ type: 'failed', name: 'DataDirLockedError' });
  expect((third.msg as { message: string }).message).toContain(`(pid ${proc.pid})`);

  proc.send({ type: 'stop' });
  await new Promise((r) => proc.once('exit', r));
  const db = await start(dir); // free again after a clean stop
  await db.stop();
});

test('kill -9 of the owning process: the stale lock is taken over and committed rows are there', async () => {
  const dir = freshDataDir();
  const { proc, msg } = await startHolder(dir);
  if (msg.type !== 'started') throw new Error(msg.message);
  const c = new Client({ connectionString: msg.connectionString });
  c.on('error', () => {});
  await c.connect();
  await c.query('CREATE TABLE t (id int PRIMARY KEY)');
  await c.query('INSERT INTO t VALUES (1), (2)');
  await c.query('BEGIN');
  await c.query('INSERT INTO t VALUES (3)'); // never committed

  proc.kill('SIGKILL');
  await new Promise((r) => proc.once('exit', r));
  // The orphaned database child notices the closed IPC channel and closes PGlite by itself.
  const db = await start(dir); // waits for that child if it is still closing
  expect(isAlive(msg.childPid)).toBe(false);
  expect(await rows(db, 'SELECT id FROM t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  await db.stop();
});

test('kill -9 of the database process itself: committed rows survive (WAL recovery)', async () => {
  const dir = freshDataDir();
  const exits: unknown[] = [];
  const db1 = await start(dir, { onUnexpectedExit: (code, signal) => exits.push({ code, signal }) });
  await rows(db1, 'CREATE TABLE t (id int PRIMARY KEY, v text)');
  for (let i = 0; i < 50; i++) await rows(db1, 'INSERT INTO t VALUES ($1, $2)', [i, 'x'.repeat(1000)]);
  process.kill(db1.pid, 'SIGKILL');
  await waitFor(() => exits.length > 0, 10_000);
  expect(exits).toEqual([{ code: null, signal: 'SIGKILL' }]);
  await db1.stop(); // harmless after the crash

  const db2 = await start(dir);
  expect(await rows(db2, 'SELECT count(*)::int AS n, sum(length(v))::int AS len FROM t')).toEqual([
    { n: 50, len: 50_000 },
  ]);
  await db2.stop();
});

describe('several connections', () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await start(freshDataDir(), { idleInTransactionTimeoutMs: 1500 });
    await rows(db, 'CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL)');
    await rows(db, 'CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
    await rows(db, 'INSERT INTO counter VALUES (1, 0)');
  });
  afterAll(async () => {
    await db.stop();
  });
  afterEach(async () => {
    await rows(db, 'DELETE FROM item');
  });

  test('uncommitted rows are invisible to another connection, which waits for the commit', async () => {
    const a = await client(db);
    const b = await client(db);
    await a.query('BEGIN');
    await a.query('INSERT INTO item (name) VALUES ($1)', ['uncommitted']);
    expect((await a.query('SELECT count(*)::int AS n FROM item')).rows[0].n).toBe(1);

    // One PGlite session: B's statement is queued until A's transaction ends (never runs inside it).
    const bCount = b.query('SELECT count(*)::int AS n FROM item').then((r) => r.rows[0].n as number);
    expect(await settledWithin(bCount, 300)).toBe('pending');
    await a.query('ROLLBACK');
    expect(await bCount).toBe(0);

    await a.query('BEGIN');
    await a.query('INSERT INTO item (name) VALUES ($1)', ['committed']);
    const bNames = b.query('SELECT name FROM item').then((r) => r.rows);
    expect(await settledWithin(bNames, 300)).toBe('pending');
    await a.query('COMMIT');
    expect(await bNames).toEqual([{ name: 'committed' }]);
    await a.end();
    await b.end();
  });

  test('a connection that disconnects inside a transaction is rolled back and releases the others', async () => {
    const a = await client(db);
    const b = await client(db);
    await a.query('BEGIN');
    await a.query('INSERT INTO item (name) VALUES ($1)', ['lost']);
    const bCount = b.query('SELECT count(*)::int AS n FROM item');
    await a.end(); // no COMMIT
    expect((await bCount).rows[0].n).toBe(0);
    await b.end();
  });

  test('a connection idle in a transaction while others wait is terminated after the timeout', async () => {
    const a = await client(db);
    const b = await client(db);
    await a.query('BEGIN');
    await a.query('INSERT INTO item (name) VALUES ($1)', ['idle']);
    // The classic deadlock: code holding a transaction on A waits for a query on B.
    const started = Date.now();
    const bCount = await b.query('SELECT count(*)::int AS n FROM item');
    expect(bCount.rows[0].n).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await expect(a.query('SELECT 1')).rejects.toThrow();
    await b.end();
  });

  test('interleaved parameterised queries of different shapes, one with a 2 MB parameter, stay separate', async () => {
    const big = 'y'.repeat(2_000_000);
    const clients = await Promise.all([0, 1, 2, 3].map(() => client(db)));
    const errors: string[] = [];
    await Promise.all(
      clients.map(async (c, i) => {
        for (let k = 0; k < 15; k++) {
          try {
            if (i === 0) {
              const r = await c.query('SELECT length($1::text) AS n', [big]);
              if (r.rows[0].n !== big.length) errors.push(`big: ${JSON.stringify(r.rows[0])}`);
            } else {
              const r = await c.query(
                `SELECT $1::int AS v, g FROM generate_series(1, ${i + 1}) AS g`,
                [i * 1000 + k],
              );
              if (r.rows.length !== i + 1 || r.rows[0].v !== i * 1000 + k) errors.push(`small ${i}`);
            }
          } catch (e) {
            errors.push(String((e as Error).message).slice(0, 100));
          }
        }
      }),
    );
    expect(errors).toEqual([]);
    await Promise.all(clients.map((c) => c.end()));
  });

  test('knex pool: concurrent transactions serialise correctly (no lost updates)', async () => {
    const knex = knexFactory({ client: 'pg', connection: db.connectionString, pool: { min: 0, max: 8 } });
    try {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          knex.transaction(async (trx) => {
            const { n } = await trx('counter').where({ id: 1 }).first('n');
            await new Promise((r) => setTimeout(r, 2)); // let other transactions try to interleave
            await trx('counter').where({ id: 1 }).update({ n: n + 1 });
            await trx('item').insert({ name: `i${i}` });
          }),
        ),
      );
      const { n } = await knex('counter').where({ id: 1 }).first('n');
      expect(n).toBe(40);
      expect(Number((await knex('item').count({ c: '*' }))[0].c)).toBe(40);
    } finally {
      await knex.destroy();
    }
  });
});
