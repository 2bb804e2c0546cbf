import type { Knex } from 'knex';
import type { AssigneeSpec } from './schema';
import { usersWithRole } from '../auth/directory';
import { orgTree } from '../auth/org';

export interface ResolveContext {
  trx: Knex.Transaction | Knex;
  entity: string;
  record: Record<string, any>;
  initiatorId: number | null;
}

/** Turns one assignee spec into user ids (enabled users only; the engine de-duplicates). */
export type CandidateResolver = (spec: AssigneeSpec, c: ResolveContext) => Promise<number[]>;

const resolvers = new Map<string, CandidateResolver>();

/** One registry per extension point: platform/auth (or a plugin) may replace a resolver with a richer one. */
export function registerResolver(type: string, fn: CandidateResolver): void {
  resolvers.set(type, fn);
}

export function resolverFor(type: string): CandidateResolver | undefined {
  return resolvers.get(type);
}

const ids = (rows: any[], col = 'id') => rows.map((r) => Number(r[col])).filter(Number.isSafeInteger);

/** User ids for names or ids, enabled users only. */
export async function usersByRef(db: Knex | Knex.Transaction, refs: (string | number)[]): Promise<number[]> {
  const nums = refs.filter((r) => typeof r === 'number' || /^\d+$/.test(String(r))).map(Number);
  const names = refs.filter((r) => typeof r === 'string' && !/^\d+$/.test(r)) as string[];
  if (!nums.length && !names.length) return [];
  return ids(
    await db('ct_user')
      .where({ disabled: false })
      .andWhere((w) => {
        if (nums.length) w.orWhereIn('id', nums);
        if (names.length) w.orWhereIn('username', names);
      })
      .select('id'),
  );
}

export async function adminUsers(db: Knex | Knex.Transaction): Promise<number[]> {
  return ids(await db('ct_user').where({ is_admin: true, disabled: false }).select('id'));
}

registerResolver('user', (s, c) => usersByRef(c.trx, s.users ?? []));
registerResolver('initiator', async (_s, c) => (c.initiatorId == null ? [] : usersByRef(c.trx, [c.initiatorId])));
registerResolver('role', async (s, c) => (await usersWithRole(c.trx, s.role!)).map((u) => u.id));
registerResolver('field', async (s, c) => {
  const v = c.record[s.field!];
  const refs = (Array.isArray(v) ? v : v == null ? [] : [v]).filter((x) => typeof x === 'number' || typeof x === 'string');
  return usersByRef(c.trx, refs);
});
/**
 * "The <role> of the record's lab": users holding the role who belong to the record's lab (members of the lab or
 * of a department under it), or with `unit`, to the centre/company above the record's lab (its subtree).
 */
registerResolver('orgRelation', async (s, c) => {
  const labId = c.record.labId == null ? null : Number(c.record.labId);
  if (labId == null) return [];
  const unit = s.unit ?? 'lab';
  if (unit === 'lab') return (await usersWithRole(c.trx, s.role!, { labId })).map((u) => u.id);
  const above = (await orgTree(c.trx as Knex)).ofKind(labId, unit);
  return above ? (await usersWithRole(c.trx, s.role!, { orgId: above.id })).map((u) => u.id) : [];
});

/** All candidates of a list of specs, de-duplicated, in the order of the specs (sequential mode keeps it). */
export async function resolveCandidates(specs: AssigneeSpec[], c: ResolveContext): Promise<number[]> {
  const out: number[] = [];
  for (const s of specs) {
    const fn = resolvers.get(s.type);
    if (!fn) throw new Error(`no candidate resolver for assignee type ${s.type}`);
    for (const id of await fn(s, c)) if (!out.includes(id)) out.push(id);
  }
  return out;
}
