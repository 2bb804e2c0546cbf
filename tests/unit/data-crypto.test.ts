import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  blindIndex, blindIndexes, decryptValue, encryptValue, KeyConfigError, loadKeyring, makeKeyring, maskValue, parseKey,
} from '../../platform/auth/crypto';

const K1 = Buffer.alloc(32, 1);
const K2 = Buffer.alloc(32, 2);

describe('data crypto primitives', () => {
  it('round-trips, binds the ciphertext to its field and detects tampering', () => {
    const r = makeKeyring(K1);
    const c = encryptValue('customer.phone', '13812345678', r);
    expect(c).toMatch(new RegExp(`^v1:${r.current.id}:`));
    expect(decryptValue('customer.phone', c, r)).toBe('13812345678');
    expect(() => decryptValue('customer.idNumber', c, r)).toThrow();
    const parts = c.split(':');
    // Flip one bit of the ciphertext (replacing a byte by a fixed one left it unchanged 1 time in 256).
    const tampered = Buffer.from(parts[4], 'base64');
    tampered[0] ^= 1;
    parts[4] = tampered.toString('base64');
    expect(() => decryptValue('customer.phone', parts.join(':'), r)).toThrow();
    expect(decryptValue('customer.phone', 'legacy clear', r)).toBe('legacy clear');
    expect(() => decryptValue('customer.phone', c, makeKeyring(K2))).toThrow(KeyConfigError);
    expect(decryptValue('customer.phone', c, makeKeyring(K2, [K1]))).toBe('13812345678');
  });

  it('blind indexes are keyed, per field, and one per loaded key', () => {
    const a = makeKeyring(K1).current;
    const b = makeKeyring(K2).current;
    expect(blindIndex('customer.phone', '1', a)).toMatch(/^[0-9a-f]{32}$/);
    expect(blindIndex('customer.phone', '1', a)).toBe(blindIndex('customer.phone', '1', a));
    expect(blindIndex('customer.phone', '1', a)).not.toBe(blindIndex('customer.phone', '1', b));
    expect(blindIndex('customer.phone', '1', a)).not.toBe(blindIndex('customer.idNumber', '1', a));
    expect(blindIndexes('customer.phone', '1', makeKeyring(K1, [K2]))).toHaveLength(2);
  });

  it('masks', () => {
    expect(maskValue('110101199001011234')).toBe('110***********1234');
    expect(maskValue('13812345678')).toBe('138****5678');
    expect(maskValue('11111')).toBe('1***1');
    expect(maskValue('123')).toBe('**3');
    expect(maskValue('12')).toBe('**');
  });

  it('parses hex and base64 keys, rejects others', () => {
    expect(parseKey('01'.repeat(32))).toEqual(K1);
    expect(parseKey(K1.toString('base64'))).toEqual(K1);
    expect(() => parseKey('short')).toThrow(KeyConfigError);
    expect(() => parseKey('zz'.repeat(32))).toThrow(KeyConfigError);
  });

  it('embedded mode generates DATA_DIR/data.key with mode 0600 once; server mode requires the key', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-key-'));
    try {
      const a = loadKeyring({ dataDir: dir, serverMode: false });
      const file = path.join(dir, 'data.key');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(loadKeyring({ dataDir: dir, serverMode: false }).current.id).toBe(a.current.id);
      // The environment wins; previous keys can decrypt.
      const b = loadKeyring({ dataDir: dir, serverMode: false, dataKey: K2.toString('hex'), previousDataKeys: K1.toString('hex') });
      expect([...b.keys.keys()]).toEqual([makeKeyring(K2).current.id, makeKeyring(K1).current.id]);
      expect(() => loadKeyring({ dataDir: dir, serverMode: true })).toThrow(/CELLTRACE_DATA_KEY is required/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
