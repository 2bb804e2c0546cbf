// QC results the stock-in and release gates accept: entered by one person, submitted, and approved with an
// e-signature by a second person (no self-verification). Fixtures that stock in or release a batch use this.
import type { TestServer } from './app';

/** The meaning the QC approval action's e-signature carries. */
export const QC_APPROVAL = '质检复核批准 / QC review approval';

export interface Reviewer {
  token: string;
  password: string;
}

/**
 * Creates a QC record as `inspector`, submits it and has `reviewer` approve it with their password. Returns the
 * approved record. Throws with the server's answer when a step is refused.
 */
export async function approvedQc(t: Pick<TestServer, 'api'>, inspector: string, reviewer: Reviewer, body: Record<string, unknown>): Promise<any> {
  const r = await t.api('POST', '/api/v1/data/qcRecord', { token: inspector, body });
  if (r.status !== 201) throw new Error(`/api/v1/data/qcRecord: ${r.status} ${JSON.stringify(r.body)}`);
  return reviewQc(t, inspector, reviewer, r.body.data.id);
}

/** Submits an entered QC record as `submitter` and has `reviewer` approve it with their password; returns it approved. */
export async function reviewQc(t: Pick<TestServer, 'api'>, submitter: string, reviewer: Reviewer, id: number): Promise<any> {
  const step = async (token: string, path: string, payload: unknown) => {
    const r = await t.api('POST', path, { token, body: payload });
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.data;
  };
  await step(submitter, `/api/v1/data/qcRecord/${id}/actions/submit`, {});
  return step(reviewer.token, `/api/v1/data/qcRecord/${id}/actions/approve`, { signature: { meaning: QC_APPROVAL, password: reviewer.password } });
}

/** A second administrator, who may review what the bootstrap administrator entered (one per server and name). */
export async function reviewerAdmin(t: Pick<TestServer, 'api' | 'login'>, admin: string, username = 'qcreviewer'): Promise<Reviewer> {
  const password = 'Reviewer#12345';
  const made = await t.api('POST', '/api/v1/admin/users', { token: admin, body: { username, displayName: '质检复核员', password, mustChangePassword: false, isAdmin: true } });
  if (made.status !== 201) throw new Error(`reviewer: ${made.status} ${JSON.stringify(made.body)}`);
  return { token: await t.login(username, password), password };
}
