import { VetoError, type CallContext, type HookArgs, type PluginApi, type Records } from '../../platform/plugins/sdk';
import { assertUsable, lotInfo, netOfDocument, post, reverseDocument, storeInfo, type LotInfo, type MovementInput, type Purpose } from './ledger';

const nowIso = () => new Date().toISOString();
const round3 = (n: number) => Math.round(n * 1000) / 1000;
/** Equal as data (key order and numeric strings from PostgreSQL aside). */
const canon = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => x != null).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canon(x)])) : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
const sameJson = (a: unknown, b: unknown) => JSON.stringify(canon(a ?? null)) === JSON.stringify(canon(b ?? null));

/** The documents whose lines move stock, with the field that names the store the line leaves (or enters). */
export const POSTED_DOCS = ['materialReceipt', 'materialIssue', 'materialUsage', 'materialReturn', 'materialScrap'] as const;

interface Line { lot?: number; quantity?: number; openNew?: boolean; [k: string]: unknown }

/** The same lab: a document's stores and lots belong to the lab the document is written in. */
function sameLab(a: { labId: number | null }, b: { labId: number | null }, path: string) {
  if (a.labId !== b.labId) throw new VetoError('ledger.otherLab', {}, path);
}

async function lotsOfLines(records: Records, ctx: CallContext, lines: Line[], linePath: string): Promise<Map<number, LotInfo>> {
  const out = new Map<number, LotInfo>();
  for (const [i, l] of lines.entries()) if (l.lot && !out.has(l.lot)) out.set(l.lot, await lotInfo(records, ctx, l.lot, `${linePath}/${i}/lot`));
  return out;
}

/**
 * Opening a container starts its in-use expiry: the first use of a lot in a store (or a line that says it opened a new
 * container) opens it; a use after the open container's in-use expiry is refused until a new one is opened.
 */
async function openContainers(api: PluginApi, a: { trx: any; ctx: CallContext }, storeId: number, lines: Line[], lots: Map<number, LotInfo>, linePath: string) {
  const db = api.db(a.trx);
  for (const [i, l] of lines.entries()) {
    const lot = lots.get(l.lot!)!;
    const cur = (await db.raw('select opened_at, expires_at from cl_opened where store_id = ? and lot_id = ? for update', [storeId, lot.id])).rows[0];
    if (cur && !l.openNew) {
      if (cur.expires_at && new Date(cur.expires_at).getTime() < Date.now())
        throw new VetoError('ledger.inUseExpired', { lot: lot.lotNo, material: lot.materialName, date: new Date(cur.expires_at).toISOString().slice(0, 10) }, `${linePath}/${i}/lot`);
      continue;
    }
    await db.raw(
      `insert into cl_opened (lot_id, store_id, opened_at, expires_at, opened_by) values (?, ?, now(), now() + ?::int * interval '1 day', ?)
       on conflict (store_id, lot_id) do update set opened_at = now(), expires_at = excluded.expires_at, opened_by = excluded.opened_by`,
      [lot.id, storeId, lot.inUseDays ?? null, a.ctx.actor.id],
    );
  }
}

export function registerDocuments(api: PluginApi): void {
  // ---- catalogue: the kind comes from the category (reports separate reagents from consumables by it)
  const kindFromCategory = async ({ ctx, record, records }: HookArgs) => {
    if (!record.category) return;
    const cat = await records.get(ctx, 'materialCategory', record.category, { fields: ['id', 'kind'] });
    record.kind = cat.kind ?? null;
    record.packSize ??= 1;
    record.enabled ??= true;
  };
  api.hooks.on('material', 'beforeCreate', kindFromCategory);
  api.hooks.on('material', 'beforeUpdate', kindFromCategory);
  api.hooks.on('materialStore', 'beforeCreate', ({ record }) => {
    record.enabled ??= true;
  });

  // A corrected expiry date follows the lot onto its balances (the stock query reads them in expiry order).
  api.hooks.on('materialLot', 'afterUpdate', async ({ record, previous, trx }) => {
    if ((previous?.expiryDate ?? null) !== (record.expiryDate ?? null)) await api.db(trx).raw('update cl_balance set expiry_date = ? where lot_id = ?', [record.expiryDate ?? null, record.id]);
  });

  // ---- receipt: lots are found or created (quarantined when the material needs QC), then stock comes in
  api.hooks.on('materialReceipt', 'beforeCreate', async ({ ctx, record, records }) => {
    record.receivedAt ??= nowIso();
    record.state = 'posted';
    const store = await storeInfo(records, ctx, record.store, '/store');
    if (!store.enabled) throw new VetoError('ledger.storeDisabled', { store: store.name }, '/store');
    const received = String(record.receivedAt).slice(0, 10);
    for (const [i, l] of (record.lines as Line[]).entries()) {
      const m = await records.get(ctx, 'material', l.material as number, { fields: ['id', 'name', 'packSize', 'qcRequired', 'enabled'] });
      if (m.enabled === false) throw new VetoError('ledger.materialDisabled', { material: m.name }, `/lines/${i}/material`);
      l.quantity = round3(Number(l.packs) * Number(m.packSize ?? 1));
      const existing = (await records.list(ctx, 'materialLot', { filter: { material: m.id, lotNo: l.lotNo, labId: store.labId }, limit: 1, fields: ['id', 'expiryDate', 'status'] })).data[0];
      if (existing) {
        if (existing.expiryDate !== l.expiryDate) throw new VetoError('ledger.lotExpiryMismatch', { lot: l.lotNo, date: existing.expiryDate }, `/lines/${i}/expiryDate`);
        if (existing.status === 'rejected') throw new VetoError('ledger.lotRejected', { lot: l.lotNo }, `/lines/${i}/lotNo`);
        l.lot = existing.id;
      } else {
        const lot = await records.create(ctx, 'materialLot', {
          material: m.id, lotNo: l.lotNo, expiryDate: l.expiryDate, manufactureDate: l.manufactureDate, receivedDate: received, supplier: record.supplier,
        }, { set: { status: m.qcRequired ? 'quarantined' : 'released' }, owner: { labId: store.labId, orgId: null } });
        l.lot = lot.id;
      }
    }
  });
  api.hooks.on('materialReceipt', 'afterCreate', async ({ ctx, record, records, trx }) => {
    const lines = record.lines as Line[];
    const lots = await lotsOfLines(records, ctx, lines, '/lines');
    await post(api, trx, ctx, lots, lines.map((l, i) => ({ docEntity: 'materialReceipt', docId: record.id, lineNo: i, lotId: l.lot!, storeId: record.store, qty: Number(l.quantity), purpose: 'receipt' as Purpose })));
  });

  // ---- issue: transfer to a secondary store, or a direct issue; against an approved requisition or direct
  api.hooks.on('materialIssue', 'beforeCreate', ({ record }) => {
    record.issuedAt ??= nowIso();
    record.state = 'posted';
    if (record.issueKind !== 'transfer') delete record.toStore;
    if (record.toStore && record.toStore === record.fromStore) throw new VetoError('ledger.sameStore', {}, '/toStore');
  });
  api.hooks.on('materialIssue', 'afterCreate', async ({ ctx, record, records, trx }) => {
    const from = await storeInfo(records, ctx, record.fromStore, '/fromStore');
    const to = record.toStore ? await storeInfo(records, ctx, record.toStore, '/toStore') : null;
    if (to) sameLab(from, to, '/toStore');
    const lines = record.lines as Line[];
    const lots = await lotsOfLines(records, ctx, lines, '/lines');
    for (const [i, l] of lines.entries()) assertUsable(api, lots.get(l.lot!)!, ctx, `/lines/${i}/lot`);
    const purpose: Purpose = to ? 'transfer' : 'issue';
    const moves: MovementInput[] = [];
    for (const [i, l] of lines.entries()) {
      moves.push({ docEntity: 'materialIssue', docId: record.id, lineNo: i, lotId: l.lot!, storeId: from.id, qty: -Number(l.quantity), purpose });
      if (to) moves.push({ docEntity: 'materialIssue', docId: record.id, lineNo: i, lotId: l.lot!, storeId: to.id, qty: Number(l.quantity), purpose });
    }
    await post(api, trx, ctx, lots, moves);
    if (record.requisition) await applyToRequisition(api, ctx, records, trx, record, lines, lots);
  });

  // ---- piecemeal use from a (secondary) store, optionally for a culture record
  api.hooks.on('materialUsage', 'beforeCreate', ({ record }) => {
    record.usedAt ??= nowIso();
    record.state = 'posted';
  });
  api.hooks.on('materialUsage', 'afterCreate', async ({ ctx, record, records, trx }) => {
    const store = await storeInfo(records, ctx, record.store, '/store');
    const cultureId = record.cultureRecord ? (await records.get(ctx, 'cultureRecord', record.cultureRecord, { fields: ['id'] })).id : null;
    await consume(api, { ctx, records, trx }, store.id, record.lines, '/lines', { docEntity: 'materialUsage', docId: record.id, cultureId });
  });

  // ---- return to another store (secondary → main)
  api.hooks.on('materialReturn', 'beforeCreate', ({ record }) => {
    record.state = 'posted';
    if (record.toStore === record.fromStore) throw new VetoError('ledger.sameStore', {}, '/toStore');
  });
  api.hooks.on('materialReturn', 'afterCreate', async ({ ctx, record, records, trx }) => {
    const from = await storeInfo(records, ctx, record.fromStore, '/fromStore');
    const to = await storeInfo(records, ctx, record.toStore, '/toStore');
    sameLab(from, to, '/toStore');
    const lines = record.lines as Line[];
    const lots = await lotsOfLines(records, ctx, lines, '/lines');
    const moves: MovementInput[] = lines.flatMap((l, i) => [
      { docEntity: 'materialReturn', docId: record.id, lineNo: i, lotId: l.lot!, storeId: from.id, qty: -Number(l.quantity), purpose: 'return' as Purpose },
      { docEntity: 'materialReturn', docId: record.id, lineNo: i, lotId: l.lot!, storeId: to.id, qty: Number(l.quantity), purpose: 'return' as Purpose },
    ]);
    await post(api, trx, ctx, lots, moves);
  });

  // ---- scrap: any lot (expired, rejected), with a reason
  api.hooks.on('materialScrap', 'beforeCreate', ({ record }) => {
    record.state = 'posted';
  });
  api.hooks.on('materialScrap', 'afterCreate', async ({ ctx, record, records, trx }) => {
    const store = await storeInfo(records, ctx, record.store, '/store');
    const lines = record.lines as Line[];
    const lots = await lotsOfLines(records, ctx, lines, '/lines');
    await post(api, trx, ctx, lots, lines.map((l, i) => ({ docEntity: 'materialScrap', docId: record.id, lineNo: i, lotId: l.lot!, storeId: store.id, qty: -Number(l.quantity), purpose: 'scrap' as Purpose, note: record.reason })));
  });

  // ---- stock take: the book quantity is captured when counted; the difference is posted when the director approves
  api.hooks.on('materialStockTake', 'beforeCreate', async ({ ctx, record, records, trx }) => {
    record.countedAt ??= nowIso();
    const store = await storeInfo(records, ctx, record.store, '/store');
    const seen = new Set<number>();
    for (const [i, l] of (record.lines as Line[]).entries()) {
      await lotInfo(records, ctx, l.lot!, `/lines/${i}/lot`);
      if (seen.has(l.lot!)) throw new VetoError('ledger.duplicateLot', {}, `/lines/${i}/lot`);
      seen.add(l.lot!);
      const have = (await api.db(trx).raw('select qty from cl_balance where store_id = ? and lot_id = ?', [store.id, l.lot])).rows[0];
      const book = Number(have?.qty ?? 0);
      l.system = book;
      l.difference = round3(Number(l.counted) - book);
    }
  });
  api.hooks.on('materialStockTake', 'afterUpdate', async ({ ctx, record, previous, records, trx }) => {
    if (record.state !== 'approved' || previous?.state === 'approved') return;
    const lines = (record.lines as Line[]).filter((l) => Number(l.difference));
    if (!lines.length) return;
    const sys = api.system(ctx.lang);
    const lots = await lotsOfLines(records, sys, lines, '/lines');
    const all = record.lines as Line[];
    await post(api, trx, ctx, lots, lines.map((l) => ({
      docEntity: 'materialStockTake', docId: record.id, lineNo: all.indexOf(l), lotId: l.lot!, storeId: record.store, qty: Number(l.difference), purpose: 'adjust' as Purpose, note: record.reason,
    })));
  });

  // ---- void: a posted document is reversed by compensating movements, never edited or deleted
  for (const doc of POSTED_DOCS) {
    api.hooks.action(doc, 'void', {
      label: { 'zh-CN': '作废', en: 'Void' },
      when: { '==': [{ var: 'state' }, 'posted'] },
      input: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 300, 'x-label': { 'zh-CN': '作废原因', en: 'Reason for voiding' } } }, additionalProperties: false },
      handler: async ({ ctx, record, input, trx, records }) => {
        if (record.state === 'voided') throw new VetoError('ledger.alreadyVoided', {});
        // The state first, with the version read: a second void of the same document waits for this one's row lock
        // and is refused as a conflict instead of reversing the same movements twice.
        const out = await records.update(ctx, doc, record.id, { version: record.version }, { set: { state: 'voided' }, reason: String(input.reason), system: true });
        await reverseDocument(api, trx, ctx, records, doc, record.id, String(input.reason));
        if (doc === 'materialIssue' && record.requisition) await recomputeRequisition(api, ctx, records, trx, await records.get(ctx, 'materialRequisition', record.requisition));
        return out;
      },
    });
    api.hooks.on(doc, 'beforeUpdate', ({ record, previous }) => {
      // Lines of a posted document never change: void it and write a new one.
      if (!previous) return;
      if (!sameJson(previous.lines, record.lines)) throw new VetoError('ledger.postedLinesFixed', {}, '/lines');
      for (const f of ['store', 'fromStore', 'toStore', 'issueKind', 'cultureRecord', 'requisition'])
        if ((previous[f] ?? null) !== (record[f] ?? null)) throw new VetoError('ledger.postedLinesFixed', {}, `/${f}`);
    });
    api.hooks.on(doc, 'beforeDelete', ({ record }) => {
      if (record.state !== 'voided') throw new VetoError('ledger.deleteNeedsVoid', {});
    });
  }

  // ---- requisition: what was issued against it is the plugin's (issuedLines, read-only for clients)
  api.hooks.on('materialRequisition', 'beforeCreate', ({ record }) => {
    record.issueStatus = 'open';
  });
  api.hooks.on('materialRequisition', 'beforeUpdate', ({ record, previous }) => {
    if (previous && previous.state !== 'requested' && !sameJson(previous.lines, record.lines)) throw new VetoError('ledger.requisitionFixed', {}, '/lines');
  });

  // ---- production: a culture record's material lines are consumed from its store; edits post the difference
  api.hooks.on('cultureRecord', 'afterCreate', async ({ ctx, record, records, trx }) => {
    if (!record.materials?.length) return;
    const store = await storeInfo(records, ctx, record.materialStore, '/materialStore');
    await consume(api, { ctx, records, trx }, store.id, record.materials, '/materials', { docEntity: 'cultureRecord', docId: record.id, cultureId: record.id });
  });
  api.hooks.on('cultureRecord', 'afterUpdate', async ({ ctx, record, previous, records, trx }) => {
    const same = sameJson(previous?.materials ?? [], record.materials ?? []) && (previous?.materialStore ?? null) === (record.materialStore ?? null);
    if (same) return;
    await adjustCulture(api, { ctx, records, trx }, record);
  });
  api.hooks.on('cultureRecord', 'afterDelete', async ({ ctx, record, records, trx }) => {
    await reverseDocument(api, trx, ctx, records, 'cultureRecord', record.id, 'culture record deleted');
  });
}

/** Usage lines out of one store: usable lots, opened containers, then the movements. */
async function consume(
  api: PluginApi, a: { ctx: CallContext; records: Records; trx: any }, storeId: number, lines: Line[], linePath: string,
  doc: { docEntity: string; docId: number; cultureId?: number | null },
) {
  const lots = await lotsOfLines(a.records, a.ctx, lines, linePath);
  const store = await storeInfo(a.records, a.ctx, storeId, linePath === '/materials' ? '/materialStore' : '/store');
  for (const [i, l] of lines.entries()) {
    const lot = lots.get(l.lot!)!;
    assertUsable(api, lot, a.ctx, `${linePath}/${i}/lot`);
    sameLab(store, lot, `${linePath}/${i}/lot`);
  }
  await openContainers(api, a, storeId, lines, lots, linePath);
  await post(api, a.trx, a.ctx, lots, lines.map((l, i) => ({
    docEntity: doc.docEntity, docId: doc.docId, lineNo: i, linePath, lotId: l.lot!, storeId, qty: -Number(l.quantity), purpose: 'usage' as Purpose, cultureId: doc.cultureId ?? null,
  })));
}

/**
 * An edited culture record: what it should have consumed (its lines now) minus what it has consumed (its movements)
 * is posted as compensating movements per lot and store; nothing posted is ever changed.
 */
async function adjustCulture(api: PluginApi, a: { ctx: CallContext; records: Records; trx: any }, record: Record<string, any>) {
  const posted = await netOfDocument(api, a.trx, 'cultureRecord', record.id);
  const want = new Map<string, { lot: number; store: number; qty: number; line: number; openNew?: boolean }>();
  for (const [i, l] of ((record.materials ?? []) as Line[]).entries()) {
    const k = `${l.lot}|${record.materialStore}`;
    const w = want.get(k) ?? { lot: l.lot!, store: record.materialStore, qty: 0, line: i, openNew: l.openNew };
    w.qty -= Number(l.quantity);
    want.set(k, w);
  }
  const keys = new Set([...posted.keys(), ...want.keys()]);
  const moves: MovementInput[] = [];
  const newLines: Line[] = [];
  for (const k of keys) {
    const [lot, store] = k.split('|').map(Number);
    const delta = round3((want.get(k)?.qty ?? 0) - (posted.get(k) ?? 0));
    if (!delta) continue;
    const w = want.get(k);
    moves.push({ docEntity: 'cultureRecord', docId: record.id, lineNo: w?.line ?? 0, linePath: '/materials', lotId: lot, storeId: store, qty: delta, purpose: 'usage', cultureId: record.id, note: 'culture record edited' });
    if (delta < 0) newLines.push({ lot, quantity: -delta, openNew: w?.openNew });
  }
  if (!moves.length) return;
  const lots = new Map<number, LotInfo>();
  for (const m of moves) if (!lots.has(m.lotId)) lots.set(m.lotId, await lotInfo(a.records, m.qty < 0 ? a.ctx : api.system(a.ctx.lang), m.lotId, `/materials/${m.lineNo}/lot`));
  for (const m of moves) if (m.qty < 0) assertUsable(api, lots.get(m.lotId)!, a.ctx, `/materials/${m.lineNo}/lot`);
  if (newLines.length) await openContainers(api, a, record.materialStore, newLines, lots, '/materials');
  await post(api, a.trx, a.ctx, lots, moves);
}

/** Issued quantity per material of a requisition: what its posted issues moved out (their movements, reversals netted). */
async function issuedFor(api: PluginApi, ctx: CallContext, records: Records, trx: any, reqId: number): Promise<Map<number, number>> {
  const issues = (await records.list(api.system(ctx.lang), 'materialIssue', { filter: { requisition: reqId }, limit: 1000, fields: ['id'] })).data.map((r) => r.id);
  if (!issues.length) return new Map();
  const rows = (await api.db(trx).raw(
    `select material_id, sum(-qty) as qty from cl_movement where doc_entity = 'materialIssue' and doc_id = any(?::bigint[]) and (qty < 0) = (reverses is null) group by material_id`,
    [issues],
  )).rows;
  return new Map(rows.map((r: any) => [Number(r.material_id), round3(Number(r.qty))]));
}

/** The requisition must be approved and of the issuing store; no material beyond what was requested. */
async function applyToRequisition(api: PluginApi, ctx: CallContext, records: Records, trx: any, issue: Record<string, any>, lines: Line[], lots: Map<number, LotInfo>) {
  const req = await records.get(ctx, 'materialRequisition', issue.requisition);
  if (req.state !== 'approved') throw new VetoError('ledger.requisitionNotApproved', { no: req.requisitionNo }, '/requisition');
  if (req.fromStore !== issue.fromStore) throw new VetoError('ledger.requisitionOtherStore', { no: req.requisitionNo }, '/fromStore');
  if (req.toStore && issue.toStore && req.toStore !== issue.toStore) throw new VetoError('ledger.requisitionOtherStore', { no: req.requisitionNo }, '/toStore');
  await recomputeRequisition(api, ctx, records, trx, req, lines, lots);
}

async function recomputeRequisition(api: PluginApi, ctx: CallContext, records: Records, trx: any, req: Record<string, any>, lines?: Line[], lots?: Map<number, LotInfo>) {
  const issued = await issuedFor(api, ctx, records, trx, req.id);
  const requested = new Map<number, number>();
  for (const l of req.lines as Line[]) requested.set(l.material as number, round3((requested.get(l.material as number) ?? 0) + Number(l.quantity)));
  for (const [i, l] of (lines ?? []).entries()) {
    const lot = lots!.get(l.lot!)!;
    if (!requested.has(lot.material)) throw new VetoError('ledger.notRequested', { material: lot.materialName }, `/lines/${i}/lot`);
    if ((issued.get(lot.material) ?? 0) > requested.get(lot.material)! + 1e-9)
      throw new VetoError('ledger.overIssue', { material: lot.materialName, remaining: String(round3(requested.get(lot.material)! - (issued.get(lot.material) ?? 0) + Number(l.quantity))) }, `/lines/${i}/quantity`);
  }
  const issuedLines = [...requested.entries()].map(([material, q]) => ({ material, requested: q, issued: issued.get(material) ?? 0 }));
  const total = issuedLines.reduce((s, l) => s + l.requested, 0);
  const done = issuedLines.reduce((s, l) => s + Math.min(l.issued, l.requested), 0);
  const issueStatus = done <= 0 ? 'open' : done + 1e-9 >= total ? 'complete' : 'partial';
  // The issue's own permission was checked; the requisition (read in the caller's scope) follows it.
  await records.update(ctx, 'materialRequisition', req.id, { version: req.version }, { set: { issuedLines, issueStatus }, system: true });
}
