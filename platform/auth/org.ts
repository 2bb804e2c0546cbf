import type { Knex } from 'knex';

export type OrgKind = 'company' | 'centre' | 'lab' | 'department';
export const ORG_LEVEL: Record<OrgKind, number> = { company: 0, centre: 1, lab: 2, department: 3 };

export interface OrgUnit {
  id: number;
  parentId: number | null;
  kind: OrgKind;
  code: string;
  name: string;
  nameEn: string | null;
  sort: number;
  disabled: boolean;
}

/** The whole org tree, small enough to hold in memory; reloaded after local edits and every few seconds. */
export class OrgTree {
  readonly byId = new Map<number, OrgUnit>();
  readonly children = new Map<number | null, OrgUnit[]>();
  constructor(units: OrgUnit[]) {
    for (const u of units) {
      this.byId.set(u.id, u);
      const list = this.children.get(u.parentId) ?? [];
      list.push(u);
      this.children.set(u.parentId, list);
    }
  }
  ancestorsOrSelf(id: number): OrgUnit[] {
    const out: OrgUnit[] = [];
    let cur = this.byId.get(id);
    while (cur && out.length < 50) {
      out.push(cur);
      cur = cur.parentId == null ? undefined : this.byId.get(cur.parentId);
    }
    return out;
  }
  subtree(id: number): number[] {
    const out: number[] = [];
    const walk = (n: number) => {
      out.push(n);
      for (const c of this.children.get(n) ?? []) walk(c.id);
    };
    if (this.byId.has(id)) walk(id);
    return out;
  }
  /** The lab a unit belongs to (itself, or the nearest lab above a department). */
  labOf(id: number): OrgUnit | undefined {
    return this.ancestorsOrSelf(id).find((u) => u.kind === 'lab');
  }
  ofKind(id: number, kind: OrgKind): OrgUnit | undefined {
    return this.ancestorsOrSelf(id).find((u) => u.kind === kind);
  }
}

let cached: { tree: OrgTree; at: number } | undefined;
const TTL = 5000;

export async function orgTree(knex: Knex, fresh = false): Promise<OrgTree> {
  if (!fresh && cached && Date.now() - cached.at < TTL) return cached.tree;
  const rows = await knex('ct_org').orderBy(['sort', 'id']);
  const tree = new OrgTree(
    rows.map((r: any) => ({
      id: Number(r.id), parentId: r.parent_id == null ? null : Number(r.parent_id), kind: r.kind, code: r.code, name: r.name,
      nameEn: r.name_en, sort: r.sort, disabled: r.disabled,
    })),
  );
  cached = { tree, at: Date.now() };
  return tree;
}

export function invalidateOrgTree(): void {
  cached = undefined;
}
