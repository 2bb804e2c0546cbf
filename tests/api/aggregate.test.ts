import { create, orderFor, startLabs, type Labs } from '../support/labs';

// The aggregation API (issue 15 item 2): grouped figures within the caller's row scope and field rules, labelled
// with names, bad group keys and measures refused naming them.
let L: Labs;
beforeAll(async () => {
  L = await startLabs();
  const { t, org } = L;
  const cust = await create(t, org.techA.token, 'customer', { name: '王芳', gender: 'F' });
  const custB = await create(t, org.techB.token, 'customer', { name: '李娜' });
  for (const [kind, v, d] of [['stem', 90, '2026-10-03'], ['stem', 80, '2026-10-20'], ['immune', 95, '2026-11-02']] as const)
    await create(t, org.techA.token, 'cultureRecord', { customer: cust.id, order: await orderFor(t, cust.id), cellKind: kind, cultureDate: d, totalCells: 10, viability: v, ...(kind === 'stem' ? { passage: 1 } : { expansionFold: 10, cd3Ratio: 70 }) });
  await create(t, org.techB.token, 'cultureRecord', { customer: custB.id, order: await orderFor(t, custB.id), cellKind: 'stem', cultureDate: '2026-10-05', totalCells: 10, viability: 50, passage: 1 });
}, 60_000);
afterAll(async () => {
  await L?.stop();
});

const agg = (token: string, q: string, lang?: string) => L.t.api('GET', `/api/v1/data/cultureRecord/aggregate?${q}`, { token, lang });

test('groups by an enum and a month bucket with count and avg, labelled, in the caller\'s lab only', async () => {
  const r = await agg(L.org.techA.token, 'groupBy=cellKind,cultureDate:month&measures=count,avg:viability');
  expect(r.status).toBe(200);
  expect(r.body.data).toEqual([
    { cellKind: { value: 'immune', label: '免疫细胞' }, 'cultureDate:month': { value: '2026-11', label: '2026-11' }, count: 1, avg_viability: 95 },
    { cellKind: { value: 'stem', label: '干细胞' }, 'cultureDate:month': { value: '2026-10', label: '2026-10' }, count: 2, avg_viability: 85 },
  ]);
  const b = await agg(L.org.techB.token, 'groupBy=cellKind');
  expect(b.body.data).toEqual([{ cellKind: { value: 'stem', label: '干细胞' }, count: 1 }]);
  const en = await agg(L.org.techA.token, 'groupBy=cellKind', 'en');
  expect(en.body.data.map((x: any) => x.cellKind.label)).toEqual(['Immune cells', 'Stem cells']);
});

test('a reference group is labelled with the title the caller may read; a filter applies', async () => {
  const r = await agg(L.org.techA.token, `groupBy=customer&filter=${encodeURIComponent(JSON.stringify({ viability: { gte: 85 } }))}`);
  expect(r.body.data).toEqual([{ customer: { value: expect.any(Number), label: '王芳' }, count: 2 }]);
});

test('hidden, encrypted, unknown fields and bad measures are refused naming them; no permission is 403', async () => {
  const cryo = await L.user('cryo', L.org.labA, ['cryostorageKeeper']);
  const hidden = await L.t.api('GET', '/api/v1/data/customer/aggregate?groupBy=address', { token: cryo.token });
  expect(hidden.status).toBe(400);
  expect(hidden.body.error.details[0].path).toBe('/groupBy/0');
  const enc = await L.t.api('GET', '/api/v1/data/customer/aggregate?groupBy=idNumber', { token: L.admin });
  expect(enc.status).toBe(400);
  const bad = await agg(L.org.techA.token, 'groupBy=cellKind:month');
  expect(bad.body.error.details[0]).toMatchObject({ path: '/groupBy/0' });
  const m = await agg(L.org.techA.token, 'measures=sum:cellKind');
  expect(m.status).toBe(400);
  expect(m.body.error.details[0].path).toBe('/measures/0');
  expect(m.body.error.details[0].message).toContain('cellKind');
  const role = `none${L.org.sfx}`;
  await L.t.api('PUT', `/api/v1/meta/role/${role}`, { token: L.admin, body: { reason: 'test', definition: { $id: role, label: { 'zh-CN': '无', en: 'None' }, permissions: [] } } });
  const none = await L.user('none', L.org.labA, [role]);
  expect((await agg(none.token, 'groupBy=cellKind')).status).toBe(403);
});
