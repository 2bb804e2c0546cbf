// The web app's files go out compressed when the browser accepts it (brotli, else gzip), uncompressed otherwise,
// with `Vary: Accept-Encoding`; hashed assets are cached for a year (immutable), index.html is revalidated.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import Koa from 'koa';
import { startTestServer, type TestServer } from '../support/app';
import { ensureWebBuilt } from '../e2e/support/fixture';
import { acceptedEncodings, staticWeb } from '../../platform/http/static';

const DIST = path.resolve(__dirname, '../../web/dist');
let ts: TestServer;
let asset: string;

/** Raw GET (no automatic decompression): status, headers and the bytes as sent. */
function get(base: string, p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(base + p, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  ensureWebBuilt();
  ts = await startTestServer();
  const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
  asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
}, 120_000);
afterAll(async () => {
  await ts?.stop();
});

test('a JS asset is sent as brotli or gzip when accepted, as is otherwise; cached for a year', async () => {
  const original = fs.readFileSync(path.join(DIST, asset));
  expect(original.length).toBeGreaterThan(10_000);

  const br = await get(ts.url, asset, { 'Accept-Encoding': 'gzip, deflate, br' });
  expect(br.status).toBe(200);
  expect(br.headers['content-encoding']).toBe('br');
  expect(br.headers['content-type']).toContain('application/javascript');
  expect(br.headers.vary).toContain('Accept-Encoding');
  expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(Number(br.headers['content-length'])).toBe(br.body.length);
  expect(br.body.length).toBeLessThan(original.length / 2);
  expect(zlib.brotliDecompressSync(br.body).equals(original)).toBe(true);

  const gz = await get(ts.url, asset, { 'Accept-Encoding': 'gzip' });
  expect(gz.headers['content-encoding']).toBe('gzip');
  expect(gz.headers.vary).toContain('Accept-Encoding');
  expect(zlib.gunzipSync(gz.body).equals(original)).toBe(true);
  // br refused with q=0: gzip.
  expect((await get(ts.url, asset, { 'Accept-Encoding': 'br;q=0, gzip' })).headers['content-encoding']).toBe('gzip');

  for (const h of [{}, { 'Accept-Encoding': 'identity' }] as Record<string, string>[]) {
    const plain = await get(ts.url, asset, h);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toContain('Accept-Encoding');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.body.equals(original)).toBe(true);
  }

  // Revalidation: the same representation answers 304; another encoding has another ETag.
  const again = await get(ts.url, asset, { 'Accept-Encoding': 'br', 'If-None-Match': String(br.headers.etag) });
  expect(again.status).toBe(304);
  expect(gz.headers.etag).not.toBe(br.headers.etag);
});

test('index.html (and client routes) are revalidated on every load', async () => {
  for (const p of ['/', '/list/customer']) {
    const r = await get(ts.url, p, { 'Accept-Encoding': 'br, gzip' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers.etag).toBeTruthy();
  }
});

test('a text file without precompressed siblings is gzipped on the way out; accepted encodings follow q-values', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-dist-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  const text = 'console.log("hello");\n'.repeat(200);
  fs.writeFileSync(path.join(dir, 'assets', 'app-abc123.js'), text);
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>x</title>');
  const app = new Koa().use(staticWeb(dir));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const r = await get(base, '/assets/app-abc123.js', { 'Accept-Encoding': 'br, gzip' });
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(r.body).toString()).toBe(text);
    expect((await get(base, '/assets/app-abc123.js', { 'Accept-Encoding': 'br' })).headers['content-encoding']).toBeUndefined();
  } finally {
    server.close();
  }
  expect(acceptedEncodings('gzip, deflate, br, zstd')).toEqual(['br', 'gzip']);
  expect(acceptedEncodings('*')).toEqual(['br', 'gzip']);
  expect(acceptedEncodings('*;q=0, gzip;q=0.5')).toEqual(['gzip']);
  expect(acceptedEncodings('identity')).toEqual([]);
  expect(acceptedEncodings(undefined)).toEqual([]);
});
