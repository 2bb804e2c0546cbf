import fs from 'node:fs';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import bwipjs from 'bwip-js';
import { parseDocument } from 'htmlparser2';

/**
 * HTML → PDF without a browser: the print templates' HTML (a documented subset: h1–h3, p, div, table, ul/li, hr,
 * strong/b, small, br, the barcode span) is laid out with pdfkit in Noto Sans SC (embedded from the
 * `@embedpdf/fonts-sc` package, subset per document), so a server without desktop fonts or Chromium prints Chinese.
 */
const MM = 72 / 25.4;
 
const fontkit: { create(b: Uint8Array): unknown } = require('fontkit');
let fonts: { regular: any; bold: any } | null = null;  
/**
 * The two faces, parsed once per process (8 MB each; parsing is most of a PDF's time) and shared read-only by every
 * document: pdfkit takes a parsed fontkit font and makes its own subset per document.
 */
export function fontFiles(): { regular: any; bold: any } {  
  if (!fonts) {
    const dir = path.join(path.dirname(require.resolve('@embedpdf/fonts-sc')), '..', 'fonts');
    fonts = { regular: fontkit.create(fs.readFileSync(path.join(dir, 'NotoSansHans-Regular.otf'))), bold: fontkit.create(fs.readFileSync(path.join(dir, 'NotoSansHans-Bold.otf'))) };
  }
  return fonts;
}

export function newDoc(opts: PDFKit.PDFDocumentOptions, info: { title: string; author?: string }): PDFKit.PDFDocument {
  const doc = new PDFDocument({ ...opts, info: { Title: info.title, Author: info.author ?? 'CellTrace', Creator: 'CellTrace' }, compress: true });
  const f = fontFiles();
  doc.registerFont('R', f.regular);
  doc.registerFont('B', f.bold);
  doc.font('R');
  return doc;
}

export function finish(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    doc.on('data', (c: Buffer) => parts.push(c));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
    doc.end();
  });
}

type Node = { type: string; name?: string; data?: string; attribs?: Record<string, string>; children?: Node[] };
const BLOCK = new Set(['h1', 'h2', 'h3', 'h4', 'p', 'div', 'table', 'ul', 'ol', 'li', 'hr', 'section', 'header', 'footer']);
const SKIP = new Set(['style', 'script', 'title', 'head', 'svg']);
const classes = (n: Node) => (n.attribs?.class ?? '').split(/\s+/);
const isBarcode = (n: Node) => n.type === 'tag' && classes(n).includes('ct-barcode');

const SIZES: Record<string, number> = { h1: 16, h2: 12, h3: 10.5, h4: 10 };

interface Run { text: string; bold: boolean; size: number; color?: string }

/** The PNG of every barcode span, drawn once before layout (bwip-js renders asynchronously). */
async function barcodes(root: Node): Promise<Map<Node, Buffer>> {
  const out = new Map<Node, Buffer>();
  const walk = async (n: Node) => {
    if (isBarcode(n) && n.attribs?.['data-text']) {
      out.set(n, await bwipjs.toBuffer({ bcid: n.attribs['data-bcid'] ?? 'datamatrix', text: n.attribs['data-text'], scale: 4, backgroundcolor: 'FFFFFF', ...(n.attribs['data-bcid'] === 'code128' ? { height: 8 } : {}) } as any));
      return;
    }
    for (const c of n.children ?? []) await walk(c);
  };
  await walk(root);
  return out;
}

const SUPER: Record<string, string> = { '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9', '⁻': '-', '⁺': '+' };
/**
 * Collapsed white space, and characters the embedded face lacks (it covers GB2312 and Latin) replaced by what reads
 * the same: superscript digits as `^6` (×10⁶ → ×10^6), anything else unknown as `?` — never an empty box.
 */
const decode = (s: string) =>
  s.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/gu, (ch) => {
    const f = fontFiles().regular;
    if (f.hasGlyphForCodePoint(ch.codePointAt(0)!)) return ch;
    if (SUPER[ch]) return `^${SUPER[ch]}`;
    return '?';
  });

/** Renders the body of a print page to a PDF. */
export async function htmlToPdf(html: string, info: { title: string; author?: string; size?: string; landscape?: boolean }): Promise<Buffer> {
  const dom = parseDocument(html, { decodeEntities: true }) as unknown as Node;
  const codes = await barcodes(dom);
  const doc = newDoc({ size: info.size ?? 'A4', layout: info.landscape ? 'landscape' : 'portrait', margins: { top: 15 * MM, bottom: 15 * MM, left: 14 * MM, right: 14 * MM } }, info);
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const ensure = (h: number) => {
    if (doc.y + h > bottom()) doc.addPage();
  };

  const inline = (n: Node, base: Omit<Run, 'text'>, runs: Run[], images: Node[]) => {
    if (n.type === 'text') runs.push({ ...base, text: decode(n.data ?? '') });
    else if (n.type === 'tag') {
      if (SKIP.has(n.name!)) return;
      if (isBarcode(n)) return void images.push(n);
      if (n.name === 'br') return void runs.push({ ...base, text: '\n' });
      const style = { ...base };
      if (n.name === 'strong' || n.name === 'b' || n.name === 'th') style.bold = true;
      if (n.name === 'small' || classes(n).includes('ct-meta')) style.size = base.size * 0.85;
      if (SIZES[n.name!]) Object.assign(style, { bold: true, size: SIZES[n.name!] });
      // A block inside a table cell (a heading, a paragraph) is its own line there.
      const isBlock = BLOCK.has(n.name!);
      if (isBlock && runs.length && !runs[runs.length - 1].text.endsWith('\n')) runs.push({ ...base, text: '\n' });
      for (const c of n.children ?? []) inline(c, style, runs, images);
      if (isBlock && runs.length) runs.push({ ...base, text: '\n' });
    }
  };
  const trimRuns = (runs: Run[]) => {
    const out = runs.filter((r) => r.text !== '');
    while (out.length && /^[\s]*$/.test(out[out.length - 1].text)) out.pop();
    while (out.length && /^[\s]*$/.test(out[0].text)) out.shift();
    if (out.length) out[0] = { ...out[0], text: out[0].text.replace(/^ +/, '') };
    if (out.length) out[out.length - 1] = { ...out[out.length - 1], text: out[out.length - 1].text.replace(/ +$/, '') };
    return out.filter((r) => r.text !== '');
  };
  /** Runs split at line breaks: each line is laid out on its own (mixed sizes on one pdfkit line overlap). */
  const linesOf = (runs: Run[]) => {
    const out: Run[][] = [[]];
    for (const r of trimRuns(runs)) {
      const parts = r.text.split('\n');
      parts.forEach((p, i) => {
        if (i > 0) out.push([]);
        if (p) out[out.length - 1].push({ ...r, text: p });
      });
    }
    return out.map((l) => trimRuns(l)).filter((l) => l.length);
  };
  const drawRuns = (runs: Run[], x: number, w: number, align: 'left' | 'center' | 'right' = 'left', y?: number) => {
    if (y !== undefined) doc.y = y;
    for (const line of linesOf(runs)) {
      const y0 = doc.y;
      line.forEach((r, i) => {
        doc.font(r.bold ? 'B' : 'R').fontSize(r.size).fillColor(r.color ?? '#111');
        doc.text(r.text, i === 0 ? x : undefined, i === 0 ? y0 : undefined, { width: w, align, continued: i < line.length - 1, lineGap: 1 });
      });
    }
    doc.x = x;
    doc.fillColor('#111');
  };
  const heightOf = (runs: Run[], w: number) =>
    linesOf(runs).reduce((sum, line) => {
      // A line of mixed fonts is measured in the boldest, largest one: a little more room, never an overlap.
      doc.font(line.some((r) => r.bold) ? 'B' : 'R').fontSize(Math.max(...line.map((r) => r.size)));
      return sum + doc.heightOfString(line.map((r) => r.text).join(''), { width: w, lineGap: 1 });
    }, 0);
  const drawImages = (imgs: Node[], x: number, y: number) => {
    let cx = x;
    let h = 0;
    for (const n of imgs) {
      const buf = codes.get(n);
      if (!buf) continue;
      const size = Number(n.attribs?.['data-size'] ?? 18) * MM;
      const w = n.attribs?.['data-bcid'] === 'code128' ? size * 3 : size;
      doc.image(buf, cx, y, { fit: [w, size] });
      cx += w + 2 * MM;
      h = Math.max(h, size);
    }
    return h;
  };

  const table = (t: Node) => {
    const rows: Node[] = [];
    const collect = (n: Node) => {
      for (const c of n.children ?? []) {
        if (c.type !== 'tag') continue;
        if (c.name === 'tr') rows.push(c);
        else if (['thead', 'tbody', 'tfoot'].includes(c.name!)) collect(c);
      }
    };
    collect(t);
    if (!rows.length) return;
    const cellsOf = (r: Node) => (r.children ?? []).filter((c) => c.type === 'tag' && (c.name === 'td' || c.name === 'th'));
    const cols = Math.max(...rows.map((r) => cellsOf(r).reduce((s, c) => s + (Number(c.attribs?.colspan) || 1), 0)));
    const first = rows.find((r) => cellsOf(r).length === cols);
    const pct = first ? cellsOf(first).map((c) => parseFloat(c.attribs?.width ?? '')) : [];
    const given = pct.filter((p) => p > 0).reduce((s, p) => s + p, 0);
    const free = cols - pct.filter((p) => p > 0).length;
    const widths = Array.from({ length: cols }, (_, i) => (pct[i] > 0 ? (pct[i] / 100) * width : ((Math.max(0, 100 - given) / 100) * width) / Math.max(free, 1)));
    const pad = 1.4 * MM;
    doc.y += 1 * MM;
    for (const r of rows) {
      const cells = cellsOf(r).map((c) => {
        const runs: Run[] = [];
        const images: Node[] = [];
        inline(c, { bold: c.name === 'th', size: 8.5 }, runs, images);
        return { c, runs, images, span: Number(c.attribs?.colspan) || 1 };
      });
      let col = 0;
      const placed = cells.map((x) => {
        const w = widths.slice(col, col + x.span).reduce((s, v) => s + v, 0);
        const at = left + widths.slice(0, col).reduce((s, v) => s + v, 0);
        col += x.span;
        const imgH = x.images.reduce((m, n) => Math.max(m, Number(n.attribs?.['data-size'] ?? 18) * MM), 0);
        return { ...x, w, at, h: heightOf(x.runs, w - 2 * pad) + (imgH ? imgH + 1 * MM : 0) };
      });
      const minH = classes(r).includes('ct-tall') ? 14 * MM : 0;
      const h = Math.max(minH, ...placed.map((p) => p.h)) + 2 * pad;
      ensure(h);
      const y = doc.y;
      for (const p of placed) {
        if (p.c.name === 'th') doc.rect(p.at, y, p.w, h).fill('#eeeeee');
        doc.lineWidth(0.5).strokeColor('#555555').rect(p.at, y, p.w, h).stroke();
        let ty = y + pad;
        if (p.images.length) ty += drawImages(p.images, p.at + pad, ty) + 1 * MM;
        drawRuns(p.runs, p.at + pad, p.w - 2 * pad, 'left', ty);
      }
      doc.x = left;
      doc.y = y + h;
    }
    doc.y += 2 * MM;
  };

  const block = (n: Node) => {
    if (n.type === 'text') {
      if ((n.data ?? '').trim()) drawRuns([{ text: decode(n.data!), bold: false, size: 9.5 }], left, width);
      return;
    }
    if (n.type !== 'tag' && n.type !== 'root') {
      for (const c of n.children ?? []) block(c);
      return;
    }
    if (n.name && SKIP.has(n.name)) return;
    if (classes(n).includes('ct-noprint')) return;
    if (classes(n).includes('ct-page-break')) {
      doc.addPage();
      return;
    }
    if (n.name === 'table') return table(n);
    if (n.name === 'hr') {
      ensure(3 * MM);
      doc.moveTo(left, doc.y + 1 * MM).lineTo(left + width, doc.y + 1 * MM).lineWidth(0.5).stroke();
      doc.y += 2.5 * MM;
      return;
    }
    const hasBlock = (n.children ?? []).some((c) => c.type === 'tag' && (BLOCK.has(c.name!) || c.name === 'body' || c.name === 'html'));
    if (n.type === 'root' || hasBlock || n.name === 'html' || n.name === 'body') {
      // Mixed content: inline runs between blocks become their own paragraphs.
      let pending: Node[] = [];
      const flush = () => {
        if (!pending.length) return;
        const runs: Run[] = [];
        const images: Node[] = [];
        for (const c of pending) inline(c, { bold: false, size: 9.5 }, runs, images);
        para(runs, images, 'left');
        pending = [];
      };
      for (const c of n.children ?? []) {
        if (c.type === 'tag' && (BLOCK.has(c.name!) || c.name === 'body' || c.name === 'html' || c.name === 'head')) {
          flush();
          block(c);
        } else pending.push(c);
      }
      flush();
      if (n.name === 'h2' || n.name === 'p') doc.y += 1 * MM;
      return;
    }
    const size = SIZES[n.name!] ?? 9.5;
    const runs: Run[] = [];
    const images: Node[] = [];
    inline(n, { bold: !!SIZES[n.name!], size }, runs, images);
    const align = n.name === 'h1' || classes(n).includes('ct-center') ? 'center' : classes(n).includes('ct-right') ? 'right' : 'left';
    if (n.name === 'li') runs.unshift({ text: '• ', bold: false, size });
    if (n.name === 'h2') doc.y += 2 * MM;
    para(runs, images, align);
    if (n.name === 'h2') {
      doc.moveTo(left, doc.y).lineTo(left + width, doc.y).lineWidth(0.6).stroke();
      doc.y += 1.5 * MM;
    } else if (n.name === 'h1') doc.y += 2 * MM;
    else doc.y += 0.8 * MM;
  };
  const para = (runs: Run[], images: Node[], align: 'left' | 'center' | 'right') => {
    const imgH = images.reduce((m, n) => Math.max(m, Number(n.attribs?.['data-size'] ?? 18) * MM), 0);
    const th = heightOf(runs, width);
    if (!th && !imgH) return;
    ensure(th + imgH);
    if (imgH) {
      const y = doc.y;
      drawImages(images, align === 'right' ? left + width - imgH : left, y);
      doc.y = y + imgH + 1 * MM;
    }
    if (th) drawRuns(runs, left, width, align);
    doc.x = left;
  };
  block(dom);
  return finish(doc);
}
