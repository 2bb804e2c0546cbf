import zlib from 'node:zlib';
import { BarcodeFormat, BinaryBitmap, DecodeHintType, HybridBinarizer, MultiFormatReader, RGBLuminanceSource } from '@zxing/library';
import { createDatabase, dropDatabase } from '../support/pg';
import { create, startLabs, PASSWORD, type Labs, type User } from '../support/labs';
import { approvedQc } from '../support/qc';

// Print templates and labels (issue 15 items 5–6) through the real API on PostgreSQL: every shipped template renders
// for one order's chain (HTML and a PDF with the Chinese text in an embedded font), masks and lab isolation hold,
// a bad source is refused at save with its pointer, labels print as PDF (a DataMatrix that decodes) and ZPL, a
// reprint needs a reason, and the batch's labels reconcile.
jest.setTimeout(120_000);

let L: Labs;
let db: { name: string; url: string };
let techA: User, techB: User, dirA: User, qcA: User, noPerm: User;
const R: Record<string, any> = {};
const call = (token: string, method: string, path: string, body?: unknown, lang?: string) => L.t.api(method, path, { token, body, lang });
const now = (minutes = 0) => new Date(Date.now() + minutes * 60_000).toISOString();
const raw = async (token: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${L.t.url}${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Accept-Language': 'zh-CN' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', disposition: res.headers.get('content-disposition') ?? '', buf: Buffer.from(await res.arrayBuffer()) };
};

/** The PDF's objects with their (inflated) streams. */
function pdfObjects(pdf: Buffer): { num: number; dict: string; stream: Buffer | null }[] {
  const s = pdf.toString('latin1');
  const out: { num: number; dict: string; stream: Buffer | null }[] = [];
  const re = /(\d+) 0 obj\s*([\s\S]*?)endobj/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const num = Number(m[1]);
    const body = m[2];
    const at = body.indexOf('stream');
    if (at < 0) {
      out.push({ num, dict: body, stream: null });
      continue;
    }
    const dict = body.slice(0, at);
    let start = m.index + m[0].indexOf(body) + at + 'stream'.length;
    if (s[start] === '\r') start++;
    if (s[start] === '\n') start++;
    const len = Number(/\/Length (\d+)/.exec(dict)?.[1]);
    const bytes = pdf.subarray(start, start + len);
    out.push({ num, dict, stream: /FlateDecode/.test(dict) ? zlib.inflateSync(bytes) : bytes });
  }
  return out;
}

/** The text a PDF shows: each font's hex glyph strings mapped back through that font's ToUnicode CMap, in content order. */
function pdfText(pdf: Buffer): string {
  const objs = pdfObjects(pdf);
  const byNum = new Map<number, { dict: string; stream: Buffer | null }>();
  const s = pdf.toString('latin1');
  let i = 0;
  for (const m of s.matchAll(/(\d+) 0 obj/g)) byNum.set(Number(m[1]), objs[i++]);
  const cmap = (n: number) => {
    const map = new Map<string, string>();
    const t = byNum.get(n)?.stream?.toString('latin1') ?? '';
    const u = (h: string) => Buffer.from(h, 'hex').swap16().toString('utf16le');
    for (const b of t.matchAll(/beginbfrange([\s\S]*?)endbfrange/g))
      for (const r of b[1].matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*\[([^\]]*)\]/g))
        [...r[3].matchAll(/<([0-9a-fA-F]+)>/g)].forEach((x, k) => map.set((parseInt(r[1], 16) + k).toString(16).padStart(4, '0'), u(x[1])));
    for (const b of t.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) for (const r of b[1].matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) map.set(r[1].toLowerCase(), u(r[2]));
    return map;
  };
  const fonts = new Map<string, Map<string, string>>();
  for (const o of objs)
    for (const f of o.dict.matchAll(/\/Font\s*<<([^>]*)>>/g))
      for (const e of f[1].matchAll(/\/(\w+) (\d+) 0 R/g)) {
        const tu = /\/ToUnicode (\d+) 0 R/.exec(byNum.get(Number(e[2]))?.dict ?? '');
        if (tu && !fonts.has(e[1])) fonts.set(e[1], cmap(Number(tu[1])));
      }
  let text = '';
  for (const o of objs) {
    const t = o.stream?.toString('latin1') ?? '';
    if (!/\bTJ\b|\bTj\b/.test(t) || t.includes('begincmap')) continue;
    let map = new Map<string, string>();
    for (const tok of t.matchAll(/\/(\w+) [\d.]+ Tf|<([0-9a-fA-F]+)>/g)) {
      if (tok[1]) map = fonts.get(tok[1]) ?? new Map();
      else for (let k = 0; k + 4 <= tok[2].length; k += 4) text += map.get(tok[2].slice(k, k + 4).toLowerCase()) ?? '';
    }
  }
  return text;
}

/** Decodes the DataMatrix images of a label PDF (each image XObject rebuilt as a PNG, read with ZXing). */
function decodePdfCodes(pdf: Buffer): string[] {
  const out: string[] = [];
  const objs = pdfObjects(pdf);
  const masks = new Set(objs.flatMap((o) => [...o.dict.matchAll(/\/SMask (\d+) 0 R/g)].map((m) => Number(m[1]))));
  for (const o of objs) {
    // The alpha channel of an image is an image of its own (its SMask): only the colour images hold the code.
    if (!/\/Subtype \/Image/.test(o.dict) || masks.has(o.num) || !o.stream) continue;
    const w = Number(/\/Width (\d+)/.exec(o.dict)![1]);
    const h = Number(/\/Height (\d+)/.exec(o.dict)![1]);
    const colors = /DeviceRGB/.test(o.dict) ? 3 : 1;
    let pixels: Buffer;
    if (/Predictor|DecodeParms/.test(o.dict)) {
      // PNG-predicted rows: one filter byte per row; bwip-js writes filter 0 (none) or simple ones we undo here.
      const stride = w * colors;
      pixels = Buffer.alloc(stride * h);
      for (let y = 0; y < h; y++) {
        const f = o.stream[y * (stride + 1)];
        const row = o.stream.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
        for (let x = 0; x < stride; x++) {
          const a = x >= colors ? pixels[y * stride + x - colors] : 0;
          const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
          const c = x >= colors && y > 0 ? pixels[(y - 1) * stride + x - colors] : 0;
          const p = a + b - c;
          const pr = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
          pixels[y * stride + x] = (row[x] + [0, a, b, (a + b) >> 1, pr][f]) & 255;
        }
      }
    } else pixels = o.stream;
    const lum = new Uint8ClampedArray(w * h);
    for (let i = 0; i < w * h; i++) lum[i] = colors === 3 ? (pixels[i * 3] + pixels[i * 3 + 1] + pixels[i * 3 + 2]) / 3 : pixels[i];
    const reader = new MultiFormatReader();
    reader.setHints(new Map<DecodeHintType, unknown>([[DecodeHintType.POSSIBLE_FORMATS, [BarcodeFormat.DATA_MATRIX]], [DecodeHintType.TRY_HARDER, true]]));
    out.push(reader.decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(lum, w, h)))).getText());
  }
  return out;
}

beforeAll(async () => {
  db = await createDatabase('celltrace_print');
  L = await startLabs({ databaseUrl: db.url, plugins: ['qc-gating', 'storage-slots', 'order-chain', 'print'] });
  const { org, t, admin } = L;
  techA = org.techA;
  techB = org.techB;
  dirA = await L.user('dirA', org.labA, ['labDirector']);
  qcA = await L.user('qcA', org.labA, ['qcInspector']);
  const role = `noAccess${org.sfx}`;
  await call(admin, 'PUT', `/api/v1/meta/role/${role}`, { reason: 'test', definition: { $id: role, label: { 'zh-CN': '无权限', en: 'No access' }, permissions: [] } });
  noPerm = await L.user('noPerm', org.labA, [role]);
  // One order's chain, as the demo has it: order → sample → culture + step → batch → QC → stock-in → preparation (stock-out) → handover.
  R.customer = await create(t, techA.token, 'customer', { name: `王芳${org.sfx}`, phone: '13812345678' });
  const boxType = await create(t, dirA.token, 'containerType', { code: `bx${org.sfx}`, name: `2x3 ${org.sfx}`, level: 'box', rows: 2, cols: 3, holdsVials: true });
  R.device = await create(t, techA.token, 'storageDevice', { code: `F${org.sfx}`, name: `液氮罐 ${org.sfx}`, deviceType: 'freezer', site: 'SH', setTemperature: -80 });
  R.box = await create(t, techA.token, 'container', { code: `B${org.sfx}`, name: `冻存盒 ${org.sfx}`, containerType: boxType.id, device: R.device.id });
  R.order = await create(t, dirA.token, 'serviceOrder', { customer: R.customer.id, serviceItem: 'umbilicalMsc', orderCategory: 'storage', sampleType: 'umbilicalCord', storageYears: 20 });
  R.sample = await create(t, techA.token, 'sample', { order: R.order.id, sampleType: 'umbilicalCord', collectedAt: now(-300), receivedAt: now(-60), arrivalTemperature: 4.5, containerIntact: true, decision: 'accepted', labelScan: R.order.chainId });
  R.culture = await create(t, techA.token, 'cultureRecord', { order: R.order.id, sample: R.sample.id, cellKind: 'stem', cultureDate: now().slice(0, 10), totalCells: 10, viability: 95, passage: 1 });
  R.step = await create(t, techA.token, 'cultureStep', { cultureRecord: R.culture.id, stepType: 'passage', performedAt: now(-5), passage: 2, totalCells: 30, viability: 96 });
  R.batch = await create(t, techA.token, 'cellBatch', { cellType: 'UC-MSC', cultureRecord: R.culture.id, vialCount: 4, cellsPerVial: 5, freezeDate: now().slice(0, 10) });
  // Entered by the inspector, approved by the director: the stock-in and release gates read approved QC only.
  const qc = (qcType: string) => approvedQc(t, qcA.token, { token: dirA.token, password: PASSWORD }, { qcType, batch: R.batch.id, testedAt: now(-1), viability: 95, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1 });
  R.qc = await qc('stockInQc');
  R.stockIn = await create(t, techA.token, 'stockIn', { batch: R.batch.id, vialCount: 3, device: R.device.id, container: R.box.id, identityScan: R.batch.batchCode });
  R.vials = (await call(techA.token, 'GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: R.batch.id }))}&sort=id`)).body.data;
  await qc('releaseQc');
  R.prep = await create(t, techA.token, 'preparation', {
    order: R.order.id, batch: R.batch.id, vials: [R.vials[0].id], vialScan: R.vials[0].vialCode, thawedAt: now(-30), postThawCells: 4.8, postThawViability: 93, preparedAt: now(-5), productCells: 4.5, dose: '4.5×10⁶ 细胞/袋', volumeMl: 50, expiresAt: now(48 * 60),
  });
  R.prep = (await call(techA.token, 'GET', `/api/v1/data/preparation/${R.prep.id}`)).body.data;
  R.handover = await create(t, techA.token, 'handover', { preparation: R.prep.id, productScan: R.prep.productCode, dispatchedAt: now(-2), boxTemperature: 4.2, destination: '某医院血液科', receiverKind: 'internal', receiver: dirA.id });
}, 120_000);
afterAll(async () => {
  await L?.stop();
  if (db) await dropDatabase(db.name);
});

test('the shipped templates are listed per entity the caller may read, each with its version', async () => {
  const r = await call(techA.token, 'GET', '/api/v1/print/templates?entity=cellBatch');
  expect(r.status).toBe(200);
  expect(r.body.data.map((x: any) => x.id).sort()).toEqual(['batchRecord', 'storageCertificate']);
  expect(r.body.data[0]).toMatchObject({ version: 0, flavour: 'document', entityLabel: expect.any(String) });
  expect((await call(noPerm.token, 'GET', '/api/v1/print/templates')).body.data).toEqual([]);
});

test('every shipped document renders for the chain: HTML with the Chinese title, PDF with the text in an embedded font; recorded and audited', async () => {
  const cases: [string, number, string][] = [
    ['batchRecord', R.batch.id, '细胞批次记录'], ['storageCertificate', R.batch.id, '细胞存储证'], ['qcReport', R.qc.id, '质量检测报告'],
    ['stockInSlip', R.stockIn.id, '细胞入库单'], ['stockOutSlip', R.prep.stockOut, '细胞出库单'], ['handoverForm', R.handover.id, '细胞制剂交接单'],
  ];
  for (const [tpl, id, title] of cases) {
    const html = await raw(techA.token, 'GET', `/api/v1/print/documents/${tpl}/${id}.html`);
    expect([tpl, html.status]).toEqual([tpl, 200]);
    expect(html.buf.toString()).toContain(title);
    const pdf = await raw(techA.token, 'GET', `/api/v1/print/documents/${tpl}/${id}.pdf`);
    expect([tpl, pdf.status, pdf.type]).toEqual([tpl, 200, 'application/pdf']);
    expect(pdf.buf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.buf.toString('latin1')).toMatch(/\/FontName \/[A-Z]{6}\+NotoSansHans-Regular/);
    expect(pdfText(pdf.buf)).toContain(title);
  }
  const batchHtml = (await raw(techA.token, 'GET', `/api/v1/print/documents/batchRecord/${R.batch.id}.html`)).buf.toString();
  // Everything that happened to the batch, by name: the order, the sample, the culture step, QC, vials with positions.
  for (const s of [R.order.orderCode, R.sample.sampleCode, R.step.stepNo, R.qc.qcNo, R.vials[1].vialCode, R.vials[1].positionLabel, '传代', '阴性']) expect(batchHtml).toContain(s);
  expect(batchHtml).toContain('<svg');
  const pdf = await raw(techA.token, 'GET', `/api/v1/print/documents/batchRecord/${R.batch.id}.pdf`);
  expect(pdfText(pdf.buf)).toContain(R.vials[1].vialCode);
  const hist = await call(techA.token, 'GET', `/api/v1/print/history?entity=cellBatch&id=${R.batch.id}`);
  expect(hist.body.data.jobs.filter((j: any) => j.template === 'batchRecord' && j.format === 'pdf')).toHaveLength(2);
  expect(hist.body.data.jobs[0]).toMatchObject({ version: 0, templateLabel: '批次记录' });
  const audit = await L.t.server.services.knex('ct_audit').where({ entity: 'cellBatch', record_id: R.batch.id, action: 'print' });
  expect(audit.length).toBeGreaterThanOrEqual(2);
  expect(audit[0].changes).toMatchObject({ template: expect.any(String), templateVersion: 0, format: expect.stringMatching(/^(PDF|HTML)$/), ref: { template: expect.any(String) } });
  // An English page in English.
  const en = await L.t.api('GET', `/api/v1/print/documents/batchRecord/${R.batch.id}.html`, { token: techA.token, lang: 'en' });
  expect(String(en.body)).toContain('Cell batch record');
});

test('a field masked for the caller prints masked; one hidden from them does not print', async () => {
  const mine = (await call(techA.token, 'GET', `/api/v1/data/customer/${R.customer.id}`)).body.data;
  expect(mine.phone).not.toBe('13812345678');
  const html = (await raw(techA.token, 'GET', `/api/v1/print/documents/storageCertificate/${R.batch.id}.html`)).buf.toString();
  expect(html).toContain(R.customer.name);
  expect(html).not.toContain('13812345678');
  expect(html).toContain(mine.phone);
  const dir = (await raw(dirA.token, 'GET', `/api/v1/print/documents/storageCertificate/${R.batch.id}.html`)).buf.toString();
  expect(dir).toContain('13812345678');
});

test('another lab\'s technician gets 404, a role without permission 403, a bad template or format 4xx', async () => {
  expect((await raw(techB.token, 'GET', `/api/v1/print/documents/batchRecord/${R.batch.id}.pdf`)).status).toBe(404);
  expect((await raw(techB.token, 'GET', `/api/v1/print/documents/batchRecord/${R.batch.id}.html`)).status).toBe(404);
  expect((await call(techB.token, 'GET', `/api/v1/print/history?entity=cellBatch&id=${R.batch.id}`)).status).toBe(404);
  expect((await call(techB.token, 'POST', '/api/v1/print/labels', { template: 'cryovialLabel', records: [R.vials[1].id], format: 'zpl' })).status).toBe(404);
  expect((await call(techB.token, 'GET', `/api/v1/print/labels/reconciliation?batch=${R.batch.id}`)).status).toBe(404);
  expect((await raw(noPerm.token, 'GET', `/api/v1/print/documents/batchRecord/${R.batch.id}.pdf`)).status).toBe(403);
  expect((await call(noPerm.token, 'POST', '/api/v1/print/labels', { template: 'cryovialLabel', batch: R.batch.id, format: 'pdf' })).status).toBe(403);
  const unknown = await call(techA.token, 'GET', `/api/v1/print/documents/nope/${R.batch.id}.html`);
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.details[0].path).toBe('/template');
  expect((await call(techA.token, 'GET', `/api/v1/print/documents/batchRecord/${R.batch.id}.doc`)).status).toBe(400);
  expect((await call(techA.token, 'GET', `/api/v1/print/documents/cryovialLabel/${R.vials[1].id}.html`)).status).toBe(400);
});

test('a template that does not compile is refused at save with a pointer; a saved change is a new version, printed as such', async () => {
  const def = (await call(L.admin, 'GET', '/api/v1/meta/printTemplate/qcReport')).body.data;
  const bad = await call(L.admin, 'PUT', '/api/v1/meta/printTemplate/qcReport', { reason: 'typo', definition: { ...def, source: '<h1>{{#if record.qcNo}}质检</h1>' } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details[0].path).toBe('/definition/source');
  expect(bad.body.error.details[0].message).toMatch(/handlebars/);
  const badChild = await call(L.admin, 'PUT', '/api/v1/meta/printTemplate/qcReport', { reason: 'x', definition: { ...def, data: { children: [{ as: 'x', entity: 'cryovial', via: 'stockIn' }] } } });
  expect(badChild.body.error.details[0].path).toBe('/definition/data/children/0/via');
  const ok = await call(L.admin, 'PUT', '/api/v1/meta/printTemplate/qcReport', { reason: '增加页眉', definition: { ...def, source: `<p>XX实验室</p>${def.source}` } });
  expect(ok.status).toBe(200);
  const html = (await raw(qcA.token, 'GET', `/api/v1/print/documents/qcReport/${R.qc.id}.html?print=1`)).buf.toString();
  expect(html).toContain('XX实验室');
  expect(html).toContain('v1');
  const v = await call(qcA.token, 'GET', '/api/v1/print/templates/qcReport/versions');
  expect(v.body.data).toMatchObject({ current: 1, versions: [{ version: 1, reason: '增加页眉' }, { version: 0 }] });
  const hist = await call(qcA.token, 'GET', `/api/v1/print/history?entity=qcRecord&id=${R.qc.id}`);
  expect(hist.body.data.jobs[0]).toMatchObject({ version: 1, format: 'html' });
  // The old version can still be shown.
  expect((await raw(qcA.token, 'GET', `/api/v1/print/documents/qcReport/${R.qc.id}.html?version=0`)).status).toBe(404);
  // The editor's live preview: metadata writers only.
  const pv = await raw(L.admin, 'POST', '/api/v1/print/preview', { definition: { ...def, source: '<h1>{{record.qcNo}} 预览</h1>' }, record: R.qc.id });
  expect(pv.status).toBe(200);
  expect(pv.buf.toString()).toContain(`${R.qc.qcNo} 预览`);
  expect((await call(techA.token, 'POST', '/api/v1/print/preview', { definition: def, record: R.qc.id })).status).toBe(403);
});

test('a cryovial label prints as a 25 × 13 mm PDF whose DataMatrix decodes to the vial code and chain id, and as ZPL with ^BX', async () => {
  const v = R.vials[1];
  const pdf = await raw(techA.token, 'POST', '/api/v1/print/labels', { template: 'cryovialLabel', records: [v.id], format: 'pdf' });
  expect(pdf.status).toBe(200);
  expect(pdf.buf.subarray(0, 5).toString()).toBe('%PDF-');
  const box = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(pdf.buf.toString('latin1'))!;
  expect(Number(box[1])).toBeCloseTo((25 * 72) / 25.4, 1);
  expect(Number(box[2])).toBeCloseTo((13 * 72) / 25.4, 1);
  expect(decodePdfCodes(pdf.buf)).toEqual([`${v.vialCode}|${v.chainId}`]);
  expect(pdfText(pdf.buf)).toContain(v.vialCode);
  // Printed already: a reprint (PDF or ZPL) asks for a reason, then is recorded against the label it replaces.
  const again = await call(techA.token, 'POST', '/api/v1/print/labels', { template: 'cryovialLabel', records: [v.id], format: 'zpl' });
  expect(again.status).toBe(400);
  expect(again.body.error.details[0].path).toBe('/reason');
  expect(again.body.error.details[0].message).toContain(v.vialCode);
  const zpl = await raw(techA.token, 'POST', '/api/v1/print/labels', { template: 'cryovialLabel', records: [v.id], format: 'zpl', reason: '标签受潮' });
  expect(zpl.status).toBe(200);
  const text = zpl.buf.toString();
  expect(text.startsWith('^XA')).toBe(true);
  expect(text.trim().endsWith('^XZ')).toBe(true);
  expect(text).toMatch(new RegExp(`\\^BXN,\\d+,200\\^FD${v.vialCode}\\|${v.chainId}\\^FS`));
  const audit = await L.t.server.services.knex('ct_audit').where({ entity: 'cryovial', record_id: v.id, action: 'print.reprint' }).first();
  expect(audit).toMatchObject({ reason: '标签受潮' });
  expect(audit.changes).toMatchObject({ template: '冻存管标签 25×13', templateVersion: 0, format: 'ZPL', ref: { template: 'cryovialLabel' } });
});

test('labels of a whole batch, and the reconciliation: printed vs used vs destroyed', async () => {
  // Vial 0 went out with the preparation, 1 and 2 are stored; vial 1 was printed twice (one voided by the reprint).
  const all = await raw(techA.token, 'POST', '/api/v1/print/labels', { template: 'cryovialLabel', batch: R.batch.id, format: 'zpl', reason: '整批补打' });
  expect(all.status).toBe(200);
  expect(all.buf.toString().split('^XA').length - 1).toBe(3);
  let rec = (await call(techA.token, 'GET', `/api/v1/print/labels/reconciliation?batch=${R.batch.id}`)).body.data;
  expect(rec).toMatchObject({ printed: 5, used: 3, destroyed: 2, voided: 2, unaccounted: 0, unlabelled: [] });
  const spoilt = rec.labels.find((l: any) => !l.voidedAt && l.code === R.vials[2].vialCode);
  expect((await call(techB.token, 'POST', `/api/v1/print/labels/${spoilt.id}/void`, { reason: 'x' })).status).toBe(404);
  expect((await call(techA.token, 'POST', `/api/v1/print/labels/${spoilt.id}/void`, { reason: '' })).status).toBe(400);
  expect((await call(techA.token, 'POST', `/api/v1/print/labels/${spoilt.id}/void`, { reason: '贴错' })).status).toBe(200);
  rec = (await call(techA.token, 'GET', `/api/v1/print/labels/reconciliation?batch=${R.batch.id}`)).body.data;
  expect(rec).toMatchObject({ printed: 5, used: 2, destroyed: 3, unlabelled: [R.vials[2].vialCode] });
  // The other containers' labels render too.
  const cases = [['bagLabel', R.prep.id, `${R.prep.productCode}|${R.prep.chainId}`], ['boxLabel', R.box.id, R.box.code], ['sampleTubeLabel', R.sample.id, `${R.sample.sampleCode}|${R.sample.chainId}`]] as const;
  for (const [template, id, content] of cases) {
    const r = await raw(techA.token, 'POST', '/api/v1/print/labels', { template, records: [id], format: 'pdf' });
    expect([template, r.status]).toEqual([template, 200]);
    expect(decodePdfCodes(r.buf)).toEqual([content]);
  }
});
