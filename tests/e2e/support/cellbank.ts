// Cell-bank fixtures for e2e tests, set up through the API: one lab with a technician and a lab director, a
// small LN2 tank (canister → box), a cell batch whose in-storage and release QC passed and were approved.
import type { E2E } from './fixture';
import { approvedQc } from '../../support/qc';

export const LAB_PASSWORD = 'Lab#Passw0rd1';

export interface LabUser {
  id: number;
  username: string;
  displayName: string;
  token: string;
}

export interface CellbankFixture {
  lab: number;
  setup: LabUser;
  tech: LabUser;
  director: LabUser;
  device: { id: number; code: string; name: string };
  canister: { id: number; code: string };
  box: { id: number; code: string };
  batch: { id: number; batchCode: string };
  /** Calls the API as a given user (token) and throws on an unexpected status. */
  call(token: string, method: string, path: string, body?: unknown, expect?: number): Promise<any>;
}

export async function cellbankFixture(e: E2E, opts: { releaseQc?: boolean } = {}): Promise<CellbankFixture> {
  const call = async (token: string, method: string, path: string, body?: unknown, expect?: number) => {
    const r = await e.server.api(method, path, { token, body });
    if (expect ? r.status !== expect : r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const admin = e.token;
  const org = async (kind: string, code: string, parentId: number | null) =>
    (await call(admin, 'POST', '/api/v1/admin/orgs', { kind, code, name: code, parentId })).data.id as number;
  const company = await org('company', 'E2E-CO', null);
  const centre = await org('centre', 'E2E-CX', company);
  const lab = await org('lab', 'E2E-LAB', centre);
  const user = async (username: string, displayName: string, roles: string[], isAdmin = false): Promise<LabUser> => {
    const r = await call(admin, 'POST', '/api/v1/admin/users', { username, displayName, password: LAB_PASSWORD, mustChangePassword: false, orgId: lab, roles, isAdmin });
    return { id: r.data.id, username, displayName, token: await e.server.login(username, LAB_PASSWORD) };
  };
  // Records carry the creator's lab: the storage set up by an administrator of the lab is in the lab's scope.
  const setup = await user('e2e-keeper', '库管员', [], true);
  const tech = await user('e2e-tech', '实验员小王', ['technician']);
  const director = await user('e2e-director', '李主任', ['labDirector']);
  const s = setup.token;
  const create = async (entity: string, body: Record<string, unknown>) => (await call(s, 'POST', `/api/v1/data/${entity}`, body)).data;

  const device = await create('storageDevice', { code: 'E2E-LN2', name: '测试液氮罐', deviceType: 'ln2Tank', site: 'SH', setTemperature: -190 });
  const canType = await create('containerType', { code: 'e2e-can', name: '提桶', level: 'canister', rows: 1, cols: 1, holdsVials: false });
  const boxType = await create('containerType', { code: 'e2e-9x9', name: '9×9 冻存盒', level: 'box', rows: 9, cols: 9, holdsVials: true, rowLabels: 'letters', colLabels: 'numbers' });
  const canister = await create('container', { code: 'E2E-LN2-C1', name: 'C1', containerType: canType.id, device: device.id });
  const box = await create('container', { code: 'E2E-LN2-C1-B1', name: 'B1', containerType: boxType.id, device: device.id, parent: canister.id });
  const batch = await create('cellBatch', { cellType: 'UC-MSC', customerName: '测试客户', vialCount: 10, freezeDate: '2026-11-01' });
  // Entered by the keeper, approved by the director: the gates read only approved results.
  const qc = (qcType: string) =>
    approvedQc(e.server, s, { token: director.token, password: LAB_PASSWORD }, { qcType, batch: batch.id, testedAt: new Date().toISOString(), viability: 92, sterility: 'negative', mycoplasma: 'negative', endotoxin: 0.1 });
  await qc('stockInQc');
  if (opts.releaseQc) await qc('releaseQc');
  return {
    lab, setup, tech, director, call,
    device: { id: device.id, code: device.code, name: device.name },
    canister: { id: canister.id, code: canister.code },
    box: { id: box.id, code: box.code },
    batch: { id: batch.id, batchCode: batch.batchCode },
  };
}
