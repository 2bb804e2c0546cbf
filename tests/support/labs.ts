import { startTestServer, type TestServer } from './app';
import { orgFixture, PASSWORD } from '../api/auth-fixtures';

export { PASSWORD };
export type Org = Awaited<ReturnType<typeof orgFixture>>;
export type User = Awaited<ReturnType<Org['user']>>;

export interface Labs {
  t: TestServer;
  /** The bootstrap administrator's bearer token. */
  admin: string;
  /** Two labs A and B in centre X, lab C in centre Y; techA (dept of A), techB, salesX, mgmt. */
  org: Org;
  /** A user of `lab` holding `roles`, logged in; one per (lab, roles) and call site name. */
  user(name: string, lab: number, roles: string[]): Promise<User>;
  stop(): Promise<void>;
}

/**
 * The set-up most API tests repeat: a server (on the run's shared database unless `databaseUrl` is given), the
 * administrator logged in, an org tree with two labs and users of roles in them.
 */
export async function startLabs(opts: Parameters<typeof startTestServer>[0] = {}): Promise<Labs> {
  const t = await startTestServer(opts);
  try {
    const admin = await t.login();
    const org = await orgFixture(t, admin);
    return { t, admin, org, user: org.user, stop: () => t.stop() };
  } catch (e) {
    await t.stop();
    throw e;
  }
}

/** Creates a record through the API and returns it, failing loudly with the answer when refused. */
export async function create(t: TestServer, token: string, entity: string, body: Record<string, unknown>): Promise<any> {
  const r = await t.api('POST', `/api/v1/data/${entity}`, { token, body });
  if (r.status !== 201) throw new Error(`create ${entity}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
}

/** Runs `fn` over `items` with at most `n` at a time, results in order. */
export async function pool<T, R>(items: T[], n: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

const adminTokens = new WeakMap<TestServer, Promise<string>>();
const orders = new Map<string, Promise<number>>();
/**
 * The order a culture record of `customer` belongs to (culture records require one): booked once per customer by the
 * administrator for the customer's lab, as a lab's production supervisor would.
 */
export function orderFor(t: TestServer, customer: number): Promise<number> {
  const key = `${t.url}|${customer}`;
  if (!orders.has(key)) {
    if (!adminTokens.has(t)) adminTokens.set(t, t.login());
    orders.set(key, (async () => {
      const admin = await adminTokens.get(t)!;
      const c = await t.api('GET', `/api/v1/data/customer/${customer}`, { token: admin });
      if (c.status !== 200) throw new Error(`orderFor: customer ${customer}: ${c.status} ${JSON.stringify(c.body)}`);
      const r = await t.api('POST', '/api/v1/data/serviceOrder', { token: admin, body: { customer, ...(c.body.data.labId ? { lab: c.body.data.labId } : {}), serviceItem: 'umbilicalMsc', orderCategory: 'storage' } });
      if (r.status !== 201) throw new Error(`orderFor: ${r.status} ${JSON.stringify(r.body)}`);
      return Number(r.body.data.id);
    })());
  }
  return orders.get(key)!;
}

/** A culture record's body with the order of its customer added. */
export async function withOrder<T extends { customer?: unknown }>(t: TestServer, body: T): Promise<T & { order?: number }> {
  return typeof body.customer === 'number' && (body as { order?: unknown }).order === undefined ? { ...body, order: await orderFor(t, body.customer) } : body;
}
