import fs from 'node:fs';
import path from 'node:path';
import type { Services } from '../services';
import { writeAudit } from '../audit/audit';
import { KEY_FILE, dataKey, generateKey, keyring, parseKey, reencryptAll, type ReencryptResult } from './crypto';

/**
 * `celltrace keys rotate [--current]`: re-encrypts every encrypted column (and recomputes the blind indexes) under
 * a new data key — CELLTRACE_NEW_DATA_KEY, or a generated one — or, with --current, under the key already current
 * (finishing a rotation begun by restarting the servers with CELLTRACE_DATA_KEY=new, CELLTRACE_PREVIOUS_DATA_KEYS=old).
 * Batches run in their own transactions, so it can run beside the servers as long as they hold both keys; it can be
 * re-run after an interruption. Old keys stay needed to read audit entries (append-only) and older backups.
 */
export async function rotateKeys(s: Services, args: string[], print: (m: string) => void): Promise<ReencryptResult[]> {
  const ring = keyring();
  const old = ring.current;
  const fromEnv = process.env.CELLTRACE_NEW_DATA_KEY;
  const raw = args.includes('--current') ? old.key : fromEnv ? parseKey(fromEnv, 'CELLTRACE_NEW_DATA_KEY') : generateKey();
  const target = dataKey(raw);
  const started = Date.now();
  const result = await reencryptAll(s.knex, s.meta.model, { ring, target, log: print });
  const rows = result.reduce((n, r) => n + r.rows, 0);
  await s.knex.transaction((trx) =>
    writeAudit(trx, {
      actorId: null, actorName: 'System', entity: 'security', recordId: null, action: 'keys.rotate',
      changes: [{ field: 'keyId', from: old.id, to: target.id }, { field: 'rows', to: rows }],
      reason: 'celltrace keys rotate',
    }),
  );
  print(`${rows} values re-encrypted under key ${target.id} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (target.id === old.id) return result;

  const previous = [...ring.keys.values()].map((k) => k.key.toString('hex'));
  if (!s.config.databaseUrl && !s.config.dataKey) {
    // Embedded mode: the key file gets the new key first; the old ones stay below it, able to decrypt only.
    const file = path.join(s.config.dataDir, KEY_FILE);
    const tmp = `${file}.new`;
    fs.writeFileSync(tmp, [raw.toString('hex'), ...previous].join('\n') + '\n', { mode: 0o600 });
    fs.renameSync(tmp, file);
    print(`${file} now starts with key ${target.id}; older keys stay below it to read the audit trail and older backups.`);
  } else {
    print(
      `Restart the servers with CELLTRACE_DATA_KEY set to the new key (${target.id})` +
        (fromEnv ? '' : `: ${raw.toString('hex')}\n(generated: shown once, store it in your secret store now)`) +
        `\nand CELLTRACE_PREVIOUS_DATA_KEYS set to the old key(s) (${[...ring.keys.keys()].join(', ')}) to keep reading the audit trail and older backups.`,
    );
  }
  return result;
}
