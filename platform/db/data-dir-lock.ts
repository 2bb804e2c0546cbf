import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Exclusive lock on a CellTrace data directory (two processes on one PGlite directory silently lose writes).
 *
 * A lock file holds the owner's pid (and the embedded database child's pid). It is stale, and taken over,
 * when none of those processes is alive. "Alive" compares the process start time recorded in the file with
 * /proc/<pid>/stat, so a pid reused after a reboot or container restart does not block startup.
 * Limitation: pids are only meaningful inside one pid namespace; two containers sharing one volume are not
 * protected from each other.
 */

export const LOCK_FILE_NAME = 'celltrace.lock';

export class DataDirLockedError extends Error {
  constructor(
    public readonly dataDir: string,
    public readonly pid: number,
  ) {
    super(
      `Another CellTrace process (pid ${pid}) is using data directory ${dataDir}; ` +
        'stop it or set DATA_DIR to another directory',
    );
    this.name = 'DataDirLockedError';
  }
}

interface LockOwner {
  pid: number;
  /** Kernel start time of pid (clock ticks since boot), null where /proc is unavailable. */
  startTime: number | null;
}

interface LockContent extends LockOwner {
  hostname: string;
  createdAt: string;
  token: string;
  child?: LockOwner;
}

export interface DataDirLock {
  readonly path: string;
  /** Records the database child so the lock stays held until it has exited too (e.g. after kill -9 of the owner). */
  setChild(pid: number): void;
  release(): void;
}

/** Locks held by this process (a second start in the same process must also be refused). */
const heldHere = new Set<string>();

/** Reads /proc/<pid>/stat: state and start time (clock ticks since boot); null where /proc is unavailable. */
function procStat(pid: number): { state: string; startTime: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count fields from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = Number(fields[19]); // field 22
    return Number.isFinite(startTime) ? { state: fields[0], startTime } : null;
  } catch {
    return null;
  }
}

function procStartTime(pid: number): number | null {
  return procStat(pid)?.startTime ?? null;
}

function isAlive(owner: LockOwner | undefined): boolean {
  if (!owner || !Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(owner.pid);
  if (stat) {
    if (stat.state === 'Z' || stat.state === 'X') return false; // exited, not yet reaped
    if (owner.startTime !== null && owner.startTime !== undefined && stat.startTime !== owner.startTime) {
      return false; // pid reused by another process
    }
  }
  return true;
}

function lockAgeMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes content to a temp file, then links it into place: the lock file never exists half written. */
function createExclusive(file: string, content: LockContent): boolean {
  const tmp = `${file}.${process.pid}.${content.token}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(content));
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    // File systems without hard links: exclusive create (readers may briefly see it empty, see takeLockFile).
    try {
      fs.writeFileSync(file, JSON.stringify(content), { flag: 'wx' });
      return true;
    } catch (err2) {
      if ((err2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err2;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function readLock(file: string): { raw: string; content: LockContent | null } | null {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return { raw, content: JSON.parse(raw) as LockContent };
  } catch {
    return { raw, content: null };
  }
}

/**
 * Removes a stale lock file. A short-lived "takeover" file serialises concurrent takeovers, so two starting
 * processes cannot both delete the stale lock and each believe it created the new one.
 */
function removeStale(file: string, staleRaw: string): void {
  const takeover = `${file}.takeover`;
  try {
    fs.writeFileSync(takeover, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Someone else is taking over; a takeover file older than 10 s was left by a crash.
    try {
      if (Date.now() - fs.statSync(takeover).mtimeMs > 10_000) fs.rmSync(takeover, { force: true });
    } catch {
      // gone meanwhile
    }
    return;
  }
  try {
    const again = readLock(file);
    if (again && again.raw === staleRaw) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(takeover, { force: true });
  }
}

async function takeLockFile(
  file: string,
  dir: string,
  content: LockContent,
  childWaitUntil: number,
  log: ((msg: string) => void) | undefined,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(file, content)) return;
    const existing = readLock(file);
    if (existing === null) continue; // released meanwhile
    const c = existing.content;
    if (!c && attempt < 20 && lockAgeMs(file) < 2000) {
      await sleep(100); // probably being written right now
      continue;
    }
    // Our own pid in a lock we do not hold: left by an earlier process that had the same pid (container restart).
    if (c && c.pid !== process.pid && isAlive(c)) throw new DataDirLockedError(dir, c.pid);
    if (c?.child && isAlive(c.child)) {
      // Owner died (e.g. kill -9) and its database child is closing the data: wait for it, not for the user.
      if (Date.now() < childWaitUntil) {
        if (attempt === 0) log?.(`waiting for database process ${c.child.pid} of a dead CellTrace process to exit`);
        await sleep(100);
        continue;
      }
      throw new DataDirLockedError(dir, c.child.pid);
    }
    if (attempt > 50) throw new Error(`Could not take over the stale lock ${file}`);
    log?.(`taking over stale lock ${file} (${c ? `pid ${c.pid} is gone` : 'unreadable'})`);
    removeStale(file, existing.raw);
    await sleep(attempt === 0 ? 0 : 20);
  }
}

export async function acquireDataDirLock(
  dataDir: string,
  opts: { log?: (msg: string) => void; childExitWaitMs?: number } = {},
): Promise<DataDirLock> {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, LOCK_FILE_NAME);
  if (heldHere.has(file)) throw new DataDirLockedError(dir, process.pid);
  heldHere.add(file); // reserved synchronously: a concurrent call in this process is refused just above

  const token = Math.random().toString(36).slice(2);
  const content: LockContent = {
    pid: process.pid,
    startTime: procStartTime(process.pid),
    hostname: os.hostname(),
    createdAt: new Date().toISOString(),
    token,
  };
  try {
    await takeLockFile(file, dir, content, Date.now() + (opts.childExitWaitMs ?? 15_000), opts.log);
  } catch (err) {
    heldHere.delete(file);
    throw err;
  }

  let released = false;
  return {
    path: file,
    setChild(pid: number) {
      if (released) return;
      content.child = { pid, startTime: procStartTime(pid) };
      // Replace atomically (rename) so readers never see a partial file.
      const tmp = `${file}.${process.pid}.${token}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(content));
      fs.renameSync(tmp, file);
    },
    release() {
      if (released) return;
      released = true;
      heldHere.delete(file);
      const current = readLock(file);
      // Only delete our own lock (never one a later process took over).
      if (current?.content?.token === token) fs.rmSync(file, { force: true });
    },
  };
}
