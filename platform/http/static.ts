// The built web app (web/dist): hashed assets cached for a year, index.html revalidated on every load, and text
// served compressed. scripts/build-web.mjs writes `.br` and `.gz` beside each text file at build time; a file
// without them (a dist built by hand) is gzipped on the way out.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type Koa from 'koa';
import { decodePath } from './input';

const TYPES: Record<string, string> = {
  '.js': 'application/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};
/** Worth compressing: text formats (images and woff2 are compressed already). */
export const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.json', '.txt', '.map', '.ico']);
/** Smaller files gain nothing from compression (a frame of headers costs more). */
export const MIN_COMPRESS_BYTES = 1024;

/** The encodings the client accepts, by preference: brotli, then gzip (q=0 refuses one). */
export function acceptedEncodings(header: string | undefined): ('br' | 'gzip')[] {
  const q = new Map<string, number>();
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    q.set(name, qp ? Number(qp.slice(2)) || 0 : 1);
  }
  const ok = (e: string) => (q.get(e) ?? q.get('*') ?? 0) > 0;
  return (['br', 'gzip'] as const).filter(ok);
}

const isFile = (f: string) => {
  try {
    return fs.statSync(f).isFile();
  } catch {
    return false;
  }
};

/** Serves the built web app; unknown non-API paths get index.html so client routes survive a reload. */
export function staticWeb(dist: string): Koa.Middleware {
  const root = path.resolve(dist);
  return async (ctx, next) => {
    if (ctx.path.startsWith('/api/') || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    let file = path.resolve(root, '.' + decodePath(ctx.path));
    if (!file.startsWith(root)) return next();
    if (!isFile(file)) file = path.join(root, 'index.html');
    if (!isFile(file)) {
      ctx.status = 503;
      ctx.type = 'text';
      ctx.body = 'The web app is not built yet: run `npm run build:web`.';
      return;
    }
    const ext = path.extname(file);
    ctx.type = TYPES[ext] ?? 'application/octet-stream';
    // Vite names assets by content hash: a changed file is a new URL, so the old one never changes.
    const hashed = file.startsWith(path.join(root, 'assets') + path.sep);
    ctx.set('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    const st = fs.statSync(file);
    const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    ctx.set('ETag', etag);
    if (!COMPRESSIBLE.has(ext) || st.size < MIN_COMPRESS_BYTES) {
      if (ctx.get('If-None-Match') === etag) return void (ctx.status = 304);
      ctx.length = st.size;
      ctx.body = fs.createReadStream(file);
      return;
    }
    ctx.vary('Accept-Encoding');
    const accepted = acceptedEncodings(ctx.get('Accept-Encoding'));
    const pre = accepted.map((enc) => ({ enc, file: `${file}.${enc === 'br' ? 'br' : 'gz'}` })).find((c) => isFile(c.file));
    // One representation per encoding: the ETag says which (a cache must not answer a gzip request with brotli).
    const encoding = pre?.enc ?? (accepted.includes('gzip') ? 'gzip' : null);
    const tag = encoding ? etag.replace(/"$/, `-${encoding}"`) : etag;
    ctx.set('ETag', tag);
    if (ctx.get('If-None-Match') === tag) return void (ctx.status = 304);
    if (pre) {
      ctx.set('Content-Encoding', pre.enc);
      ctx.length = fs.statSync(pre.file).size;
      ctx.body = fs.createReadStream(pre.file);
    } else if (encoding === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = fs.createReadStream(file).pipe(zlib.createGzip({ level: 6 }));
    } else {
      ctx.length = st.size;
      ctx.body = fs.createReadStream(file);
    }
  };
}
