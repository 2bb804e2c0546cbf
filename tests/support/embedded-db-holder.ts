/**
 * Test helper process: starts the embedded database on argv[2] and reports over IPC, so tests can check the
 * data-directory lock and crash recovery against ANOTHER process. Messages to the parent:
 * { type: 'started', connectionString, pid, childPid } | { type: 'failed', name, message }.
 * On { type: 'stop' } it stops the database and exits.
 */
import { startEmbeddedDatabase } from '../../platform/db/embedded';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  try {
    const db = await startEmbeddedDatabase({ dataDir });
    process.send!({ type: 'started', connectionString: db.connectionString, pid: process.pid, childPid: db.pid });
    process.on('message', (m: { type?: string }) => {
      if (m?.type === 'stop') void db.stop().then(() => process.exit(0));
    });
    // Keep running until told to stop (the embedded database does not keep the process alive by itself).
    setInterval(() => {}, 1 << 30);
  } catch (err) {
    const e = err as Error;
    process.send!({ type: 'failed', name: e.name, message: e.message }, () => process.exit(1));
  }
}

void main();
