// Build the web app (web/ → web/dist) only when a source is newer than the last build,
// so a second `npm start` does not wait for Vite.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const dist = join(web, 'dist');
const stamp = join(dist, 'index.html');

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'dist' || name === 'node_modules' || name.startsWith('.')) continue;
    max = Math.max(max, newest(join(path, name)));
  }
  return max;
}

const force = process.argv.includes('--force');
// Plugin web entries are bundled too (web/src/plugins.ts globs plugins/*/web/index.tsx).
const pluginWebs = existsSync(join(root, 'plugins')) ? readdirSync(join(root, 'plugins')).map((p) => join(root, 'plugins', p, 'web')) : [];
// The web bundle also imports the platform's shared JSON Schema dialect.
const inputs = [web, join(root, 'package-lock.json'), join(root, 'platform/metadata/json-schema-dialect.ts'), ...pluginWebs].filter(existsSync);
const sourceTime = Math.max(...inputs.map(newest));
if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= sourceTime) {
  console.log('web: web/dist is up to date');
  process.exit(0);
}
console.log('web: building web/dist …');
const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(web, 'vite.config.mts')], {
  cwd: web,
  stdio: 'inherit',
  // Always the production build (jest sets NODE_ENV=test, which would give React/antd development builds).
  env: { ...process.env, NODE_ENV: 'production' },
});
process.exit(r.status ?? 1);
