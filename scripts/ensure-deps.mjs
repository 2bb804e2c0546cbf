// Runs before `npm start` and `npm test`: on a fresh clone installs dependencies once (npm ci),
// so the README's quick start is two commands. Does nothing when node_modules matches the lock file.
// With --browser (npm test): the browser tests need Debian's Chromium and CJK fonts (zh-CN screens render as
// empty boxes without them). Missing ones are installed when this runs as root with apt-get; otherwise it stops at
// once, naming the one command to run, instead of letting every browser test fail.
import { existsSync, statSync } from 'node:fs';
import { execSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const lock = 'package-lock.json';
const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  console.log('Installing dependencies (npm ci)…');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}

if (process.argv.includes('--browser')) ensureBrowserDeps();

/** A program on PATH, or null. */
function which(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

function missingBrowserDeps() {
  const missing = [];
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) missing.push('chromium');
  const fcList = which('fc-list');
  const fonts = fcList ? spawnSync(fcList, { encoding: 'utf8' }).stdout ?? '' : '';
  if (!/noto sans cjk/i.test(fonts)) missing.push('fonts-noto-cjk');
  return missing;
}

function ensureBrowserDeps() {
  const missing = missingBrowserDeps();
  if (!missing.length) return;
  const install = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  const apt = which('apt-get');
  if (apt && process.getuid?.() === 0) {
    console.log(`The browser tests need ${missing.join(' and ')}: ${install}`);
    const r = spawnSync('sh', ['-c', install], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    const still = missingBrowserDeps();
    if (r.status === 0 && !still.length) return;
    console.error(`\nInstalling ${missing.join(' ')} failed; run it yourself and try again:\n\n  ${install}\n`);
    process.exit(1);
  }
  const command = apt ? `sudo sh -c '${install}'` : `${install}   (on Debian/Ubuntu; elsewhere install Chromium and Noto Sans CJK, and set CHROMIUM_PATH)`;
  console.error(`\nThe browser tests need ${missing.join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed. Run:\n\n  ${command}\n\nthen npm test again.\n`);
  process.exit(1);
}
