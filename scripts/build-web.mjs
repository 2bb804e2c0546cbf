// Build the web app (web/ → web/dist) only when a source is newer than the last build,
// so a second `npm start` does not wait for Vite. Text files are precompressed (brotli and gzip, beside each file:
// `x.js.br`, `x.js.gz`) for platform/http/static.ts to send as they are.
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
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

/** Same rule as the server's: text formats of 1 KiB or more. */
const COMPRESSIBLE = /\.(js|css|html|svg|json|txt|map|ico)$/;
function precompress(dir) {
  let raw = 0;
  let br = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      const r = precompress(p);
      raw += r.raw;
      br += r.br;
      continue;
    }
    if (!COMPRESSIBLE.test(name) || statSync(p).size < 1024) continue;
    const buf = readFileSync(p);
    // Quality 9: within 8 % of 11 on these bundles at a twentieth of the time (builds run before every e2e file).
    const b = brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length } });
    writeFileSync(`${p}.br`, b);
    writeFileSync(`${p}.gz`, gzipSync(buf, { level: 9 }));
    raw += buf.length;
    br += b.length;
  }
  return { raw, br };
}
const compressed = () => {
  const t0 = Date.now();
  const { raw, br } = precompress(dist);
  // The stamp stays the newest file: the next run sees an up-to-date build.
  const now = new Date();
  utimesSync(stamp, now, now);
  console.log(`web: precompressed ${(raw / 1024).toFixed(0)} KiB of text to ${(br / 1024).toFixed(0)} KiB (brotli) in ${Date.now() - t0} ms`);
};

if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= sourceTime) {
  // A dist built before precompression existed gets its .br/.gz files once.
  const assets = join(dist, 'assets');
  if (existsSync(assets) && !readdirSync(assets).some((n) => n.endsWith('.br'))) compressed();
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
if (r.status === 0) compressed();
process.exit(r.status ?? 1);
