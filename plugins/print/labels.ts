import zlib from 'node:zlib';
import bwipjs from 'bwip-js';
import { finish, newDoc } from './pdf';

const MM = 72 / 25.4;

export interface LabelItem {
  /** What the 2-D code holds. */
  content: string;
  /** Short text lines beside the code. */
  lines: string[];
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
/** CRC-32 of a PNG chunk (zlib.crc32 is not in every Node 20). */
function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The PNG of a label's code, written directly from the symbol's module matrix (bwip-js `raw`): 8-bit grey, no alpha,
 * whole pixels per module and a two-module quiet zone. pdfkit embeds such a PNG as is (no decoding), and a scaled
 * print stays sharp and scannable.
 */
export function codePng(content: string, symbology: 'datamatrix' | 'qrcode' = 'datamatrix', scale = 6): Buffer {
  const sym = (bwipjs as any).raw({ bcid: symbology, text: content })[0] as { pixs: number[]; pixx: number; pixy: number };
  const quiet = 2;
  const w = (sym.pixx + 2 * quiet) * scale;
  const h = (sym.pixy + 2 * quiet) * scale;
  const rows = Buffer.alloc((w + 1) * h, 255);
  for (let y = 0; y < h; y++) {
    rows[y * (w + 1)] = 0; // filter: none
    const my = Math.floor(y / scale) - quiet;
    if (my < 0 || my >= sym.pixy) continue;
    for (let x = 0; x < w; x++) {
      const mx = Math.floor(x / scale) - quiet;
      if (mx >= 0 && mx < sym.pixx && sym.pixs[my * sym.pixx + mx]) rows[y * (w + 1) + 1 + x] = 0;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * One page per label at the label's exact physical size (a 25 × 13 mm cryovial label is a 70.9 × 36.9 pt page):
 * the code on the left, square, as high as the label allows; the text lines fitted to the rest.
 */
export async function labelPdf(items: LabelItem[], spec: { widthMm: number; heightMm: number; symbology?: 'datamatrix' | 'qrcode' }, title: string): Promise<Buffer> {
  const w = spec.widthMm * MM;
  const h = spec.heightMm * MM;
  const doc = newDoc({ size: [w, h], margin: 0, autoFirstPage: false }, { title });
  const m = 0.8 * MM;
  for (const it of items) {
    doc.addPage({ size: [w, h], margin: 0 });
    const side = Math.min(h - 2 * m, w * 0.45);
    doc.image(codePng(it.content, spec.symbology), m, (h - side) / 2, { width: side, height: side });
    const x = m + side + 1 * MM;
    const tw = w - x - m;
    const lines = it.lines.filter((l) => l.trim() !== '');
    // One size for all lines: as large as the height allows, small enough that the longest line fits (never cut).
    const widest = Math.max(1, ...lines.map((l, i) => doc.font(i === 0 ? 'B' : 'R').fontSize(1).widthOfString(l)));
    const size = Math.max(2, Math.min(7, (h - 2 * m) / Math.max(lines.length, 1) / 1.2, (tw * 0.96) / widest));
    let y = m + Math.max(0, (h - 2 * m - lines.length * size * 1.2) / 2);
    lines.forEach((l, i) => {
      doc.font(i === 0 ? 'B' : 'R').fontSize(size);
      doc.text(l, x, y, { width: tw, height: size * 1.2, lineBreak: false, ellipsis: true });
      y += size * 1.2;
    });
  }
  return finish(doc);
}

/** ZPL field data may not hold the command prefixes `^` and `~`; they are replaced. */
export const zplSafe = (s: unknown) => String(s ?? '').replace(/[\^~]/g, ' ');

/** Every string of a value made ZPL-safe (the ZPL template is not HTML: no HTML escaping there). */
export function zplDeep<T>(v: T): T {
  if (typeof v === 'string') return zplSafe(v) as T;
  if (Array.isArray(v)) return v.map(zplDeep) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = zplDeep(x);
    const ent = (v as any)._entity;
    if (ent) Object.defineProperty(out, '_entity', { value: ent, enumerable: false });
    return out as T;
  }
  return v;
}

/** A default ZPL label when a template has none: ^BX DataMatrix and the text lines. */
export function defaultZpl(item: LabelItem, spec: { widthMm: number; heightMm: number; dpi?: number }): string {
  const dpi = spec.dpi ?? 300;
  const d = (mm: number) => Math.round((mm * dpi) / 25.4);
  const side = d(spec.heightMm - 2);
  const module = Math.max(2, Math.floor(side / 18));
  const lines = item.lines.filter((l) => l.trim()).slice(0, 5);
  const fh = Math.max(14, Math.floor(d(spec.heightMm - 2) / Math.max(lines.length, 1) / 1.15));
  return [
    '^XA', '^CI28', `^PW${d(spec.widthMm)}`, `^LL${d(spec.heightMm)}`,
    `^FO${d(1)},${d(1)}^BXN,${module},200^FD${zplSafe(item.content)}^FS`,
    ...lines.map((l, i) => `^FO${d(1) + side + d(1)},${d(1) + i * fh}^A0N,${fh},${Math.round(fh * 0.8)}^FD${zplSafe(l)}^FS`),
    '^XZ',
  ].join('\n');
}
