import crypto from 'node:crypto';
import type { TestServer } from '../support/app';

export const PASSWORD = 'Lab#Passw0rd';

/** An org tree with two labs in one centre and one lab in another, plus users per role; unique per call. */
export async function orgFixture(t: TestServer, admin: string) {
  const sfx = crypto.randomBytes(3).toString('hex');
  const org = async (kind: string, code: string, parentId: number | null) => {
    const r = await t.api('POST', '/api/v1/admin/orgs', { token: admin, body: { kind, code: `${code}-${sfx}`, name: `${code} ${sfx}`, parentId } });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body.data.id as number;
  };
  const company = await org('company', 'CO', null);
  const centreX = await org('centre', 'CX', company);
  const labA = await org('lab', 'LA', centreX);
  const labB = await org('lab', 'LB', centreX);
  const deptA = await org('department', 'DA', labA);
  const centreY = await org('centre', 'CY', company);
  const labC = await org('lab', 'LC', centreY);
  const user = async (name: string, orgId: number, roles: string[]) => {
    const username = `${name}-${sfx}`;
    const r = await t.api('POST', '/api/v1/admin/users', { token: admin, body: { username, displayName: name, password: PASSWORD, mustChangePassword: false, orgId, roles } });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return { id: r.body.data.id as number, username, token: await t.login(username, PASSWORD) };
  };
  return {
    sfx, company, centreX, centreY, labA, labB, labC, deptA,
    techA: await user('techA', deptA, ['technician']),
    techB: await user('techB', labB, ['technician']),
    salesX: await user('salesX', centreX, ['sales']),
    mgmt: await user('mgmt', company, ['management']),
    user,
  };
}
