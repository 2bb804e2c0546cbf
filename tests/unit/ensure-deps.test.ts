// The README's test command on a fresh machine: `npm test`'s pretest (scripts/ensure-deps.mjs --browser) checks for
// Chromium and CJK fonts and, when it cannot install them (not root, or no apt-get), stops at once naming the command.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../../scripts/ensure-deps.mjs');

/** A directory whose node_modules is up to date (no lock file), so only the browser check runs. */
function cleanDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-deps-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.writeFileSync(path.join(dir, 'node_modules', '.package-lock.json'), '{}');
  return dir;
}

const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, [SCRIPT, '--browser'], { cwd: cleanDir(), encoding: 'utf8', env: { HOME: os.tmpdir(), ...env } });

test('without Chromium, CJK fonts and apt-get it stops at once and names the one command to run', () => {
  // PATH holds only an empty folder: no apt-get, no fc-list (so no fonts can be found either).
  const r = run({ PATH: fs.mkdtempSync(path.join(os.tmpdir(), 'ct-bin-')), CHROMIUM_PATH: '/nonexistent/chromium' });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('apt-get update && apt-get install -y chromium fonts-noto-cjk');
  expect(r.stderr).toContain('CHROMIUM_PATH');
});

test('with Chromium and CJK fonts present it does nothing', () => {
  const fonts = spawnSync('fc-list', { encoding: 'utf8' }).stdout ?? '';
  if (!fs.existsSync('/usr/bin/chromium') || !/noto sans cjk/i.test(fonts)) throw new Error('this machine lacks Chromium or CJK fonts: run .ci/run or the pretest first');
  const r = run({ PATH: process.env.PATH ?? '' });
  expect(r.status).toBe(0);
  expect(r.stdout + r.stderr).toBe('');
});
