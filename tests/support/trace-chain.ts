import type { TestServer } from './app';
import { create } from './labs';

const now = (minutes = 0) => new Date(Date.now() + minutes * 60_000).toISOString();
const today = () => now().slice(0, 10);

/**
 * One chain for the trace tests, created by one user (a lab director, or the administrator) through the API with the
 * storage-slots and order-chain plugins: customer → order → sample → culture record (a lot in its items, a room) →
 * material usage (a second lot) → culture step → batch → stock-in (two vials) → preparation (stocks one vial out) →
 * handover. `tag` makes codes and names unique.
 */
export async function traceChain(t: TestServer, token: string, tag: string, material: number, receiver: number) {
  const o: Record<string, any> = {};
  o.customer = await create(t, token, 'customer', { name: `患者${tag}` });
  o.order = await create(t, token, 'serviceOrder', { customer: o.customer.id, serviceItem: 'umbilicalMsc', orderCategory: 'storage' });
  o.sample = await create(t, token, 'sample', { order: o.order.id, sampleType: 'umbilicalCord', collectedAt: now(-300), receivedAt: now(-200), labelScan: o.order.chainId, decision: 'accepted' });
  o.store = await create(t, token, 'materialStore', { code: `S${tag}`, name: `二级库${tag}`, storeKind: 'secondary' });
  o.lot1 = await create(t, token, 'materialLot', { material, lotNo: `LOT${tag}1-`, expiryDate: '2030-01-01' });
  o.lot2 = await create(t, token, 'materialLot', { material, lotNo: `LOT${tag}2-`, expiryDate: '2030-01-01' });
  o.room = await create(t, token, 'room', { code: `R${tag}`, name: `洁净室${tag}`, grade: 'B' });
  o.culture = await create(t, token, 'cultureRecord', {
    order: o.order.id, customer: o.customer.id, sample: o.sample.id, cellKind: 'stem', passage: 1, cultureDate: today(), totalCells: 10, viability: 95,
    room: o.room.id, materialStore: o.store.id, materials: [{ lot: o.lot1.id, quantity: 1 }],
  });
  o.usage = await create(t, token, 'materialUsage', { store: o.store.id, cultureRecord: o.culture.id, usedAt: now(-100), lines: [{ lot: o.lot2.id, quantity: 2 }] });
  o.step = await create(t, token, 'cultureStep', { cultureRecord: o.culture.id, stepType: 'passage', performedAt: now(-90), passage: 2, totalCells: 30, viability: 96 });
  o.batch = await create(t, token, 'cellBatch', { cellType: 'UC-MSC', cultureRecord: o.culture.id, order: o.order.id, customer: o.customer.id, vialCount: 2, cellsPerVial: 5, freezeDate: today() });
  const boxType = await create(t, token, 'containerType', { code: `bx${tag}`, name: `2x3 ${tag}`, level: 'box', rows: 2, cols: 3, holdsVials: true });
  const device = await create(t, token, 'storageDevice', { code: `F${tag}`, name: `Freezer ${tag}`, deviceType: 'freezer', site: 'SH', setTemperature: -80 });
  const box = await create(t, token, 'container', { code: `B${tag}`, name: `Box ${tag}`, containerType: boxType.id, device: device.id });
  o.stockIn = await create(t, token, 'stockIn', { batch: o.batch.id, vialCount: 2, device: device.id, container: box.id });
  const vials = (await t.api('GET', `/api/v1/data/cryovial?filter=${encodeURIComponent(JSON.stringify({ batch: o.batch.id }))}&sort=id`, { token })).body.data;
  [o.vial1, o.vial2] = vials;
  o.prep = await create(t, token, 'preparation', {
    order: o.order.id, batch: o.batch.id, vials: [o.vial1.id], vialScan: o.vial1.vialCode, thawedAt: now(-60), preparedAt: now(-50), productCells: 5, expiresAt: now(600),
  });
  // The preparation stocks its vials out (order-chain).
  o.stockOut = (await t.api('GET', `/api/v1/data/stockOut?filter=${encodeURIComponent(JSON.stringify({ preparation: o.prep.id }))}`, { token })).body.data[0];
  o.handover = await create(t, token, 'handover', { preparation: o.prep.id, productScan: o.prep.productCode, dispatchedAt: now(-10), boxTemperature: 4, destination: '某医院', receiverKind: 'internal', receiver });
  return o;
}

