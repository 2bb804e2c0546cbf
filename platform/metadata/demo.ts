import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { RecordService } from '../records/service';
import type { CallContext } from '../context';
import { seedDemoDirectory, type DemoDirectory } from '../auth/demo-users';
import { orgTree, type OrgTree } from '../auth/org';
import { loadActor } from '../auth/users';

export interface DemoOptions {
  knex: Knex;
  /** Roles the demo users may hold (the role metadata). */
  roles: Set<string>;
  /** DEMO_PASSWORD, else one is generated and printed. */
  password?: string;
  print: (msg: string) => void;
}

/**
 * Demo data lives beside the metadata it fills: `<root>/<module>/demo/*.json`, each
 * `{ "entity": "customer", "lab": "SH-CB", "records": [{ "@key": "c1", "name": "…" }, { "@lab": "BJ-CB", "customer": {"@ref": "c1"}, … }] }`.
 * A user reference (`x-user`) names a demo user by username: `"operator": {"$user": "sh.tech"}`.
 * A file `{ "orgUnits": [...], "users": [...] }` creates the demo org tree and demo users first (see auth/demo-users.ts).
 * Every record of an entity that is not global belongs to a lab of that tree (`@lab`, or the file's `lab`: an org
 * unit code) and may only reference records of the same lab; it is created as that lab (lab, org and codes of the
 * lab for numbering), so a lab's users see their own demo data.
 * Records go through the record pipeline like any other write (numbering, validation, audit).
 * Files load in name order across modules, so prefix them (`10-customers.json`).
 * A file `{ "entity": "materialLot", "actions": [{ "as": "sh.qc", "find": {"lotNo": "…"}, "action": "release", "input": {…} }] }`
 * runs record actions as a named demo user (found with `find`, a filter, in that user's scope); an action that needs an
 * e-signature is signed by that user with the demo password, like a person would. A record's `"@then": [{ "as", "action",
 * "input", "sign" }]` runs such actions on the record just created, in order.
 * `{"@daysAgo": n}` (with `"time": "09:30"`: a date-time) and `{"@daysAhead": n}` are dates relative to the day of loading; `{"@find": {"entity", "filter"}}` is
 * the id of the one record of that lab the filter finds (one a plugin created, like a received lot).
 */
/** A record action a demo user runs: on the record `find` names, or (in `@then`) on the record just created. */
interface DemoAction {
  as: string;
  action: string;
  find?: unknown;
  input?: Record<string, unknown>;
  /** The meaning of the e-signature the action needs. */
  sign?: string;
}

export async function loadDemoData(roots: string[], records: RecordService, ctx: CallContext, opts: DemoOptions): Promise<number> {
  const files: string[] = [];
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    for (const mod of fs.readdirSync(root)) {
      const dir = path.join(root, mod, 'demo');
      if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) if (f.endsWith('.json')) files.push(path.join(dir, f));
    }
  }
  files.sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
  const keys = new Map<string, { id: number; lab: number | null; entity: string }>();
  /** Usernames → ids, for `{"$user": "sh.tech"}` (a user reference naming a demo user). */
  const users = new Map<string, number>();
  let tree: OrgTree = await orgTree(opts.knex, true);
  const labCtx = new Map<number, CallContext>();
  /** The context a lab's demo records are created in: the system actor, acting as that lab. */
  const asLab = (labId: number): CallContext => {
    if (!labCtx.has(labId)) {
      const centre = tree.ofKind(labId, 'centre') ?? tree.ofKind(labId, 'company');
      labCtx.set(labId, {
        ...ctx,
        actor: {
          ...ctx.actor, orgId: labId, labId, labIds: [labId], orgIds: [labId], orgSubtree: tree.subtree(labId),
          labCode: tree.byId.get(labId)!.code, orgCode: centre?.code,
        },
      });
    }
    return labCtx.get(labId)!;
  };
  /** Demo users' call contexts by username, loaded once (until the directory is seeded again). */
  const actors = new Map<string, CallContext>();
  /** Runs a record action as a named demo user; an e-signature is signed with the demo password. */
  const actAs = async (a: DemoAction, at: string, entity: string, id?: number) => {
    if (!actors.has(a.as)) {
      const user = await opts.knex('ct_user').where({ username: a.as }).first();
      const actor = user && (await loadActor(opts.knex, Number(user.id)));
      if (!actor) throw new Error(`demo data: ${at} names no demo user "${a.as}"`);
      actors.set(a.as, { ...ctx, actor });
    }
    const uctx = actors.get(a.as)!;
    if (id === undefined) {
      const found = await records.list(uctx, entity, { filter: a.find, limit: 2 });
      if (found.data.length !== 1) throw new Error(`demo data: ${at}: ${JSON.stringify(a.find)} finds ${found.data.length} ${entity} records`);
      id = Number(found.data[0].id);
    }
    const input = { ...(a.input ?? {}), ...(a.sign ? { signature: { meaning: a.sign, password: opts.password } } : {}) };
    try {
      await records.action(uctx, entity, id, a.action, input, { reason: 'demo data' });
    } catch (e: any) {
      throw new Error(`demo data: ${at} (${entity} ${a.action} as ${a.as}) refused: ${e?.message ?? e} ${JSON.stringify(e?.localized?.en ?? e?.details ?? [])}`);
    }
  };
  let n = 0;
  for (const f of files) {
    const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
    const where = path.basename(f);
    if (doc.orgUnits || doc.users) {
      tree = await seedDemoDirectory(opts.knex, doc as DemoDirectory, opts);
      users.clear();
      labCtx.clear();
      actors.clear();
      continue;
    }
    if (Array.isArray(doc.actions)) {
      for (const [i, a] of doc.actions.entries()) {
        await actAs(a, `${where} action ${i}`, doc.entity);
        n++;
      }
      continue;
    }
    const scope = records.entity(doc.entity).scope;
    for (const [i, raw] of (doc.records ?? []).entries()) {
      const { '@key': key, '@lab': labCode = doc.lab, '@then': then = [], ...rest } = raw;
      let lab: number | null = null;
      if (scope !== 'global') {
        if (!labCode) throw new Error(`demo data: ${where} record ${i} (${doc.entity}) names no lab ("@lab")`);
        const unit = [...tree.byId.values()].find((u) => u.code === labCode);
        if (unit?.kind !== 'lab') throw new Error(`demo data: ${where} record ${i} names ${labCode}, which is not a lab of the demo org tree`);
        lab = unit.id;
      }
      const labCtxOf = lab === null ? ctx : asLab(lab);
      const resolve = async (v: any): Promise<any> => {
        if (Array.isArray(v)) return Promise.all(v.map(resolve));
        if (v && typeof v === 'object') {
          if (typeof v['@ref'] === 'string') {
            const ref = keys.get(v['@ref']);
            if (ref === undefined) throw new Error(`demo data: ${where} record ${i}: unknown @ref ${v['@ref']}`);
            if (ref.lab !== null && ref.lab !== lab) throw new Error(`demo data: ${where} record ${i} references ${v['@ref']} of another lab`);
            // `{"@ref": "o-1", "field": "chainId"}`: a value the engine gave that record (a number, a scanned label).
            if (typeof v.field === 'string') return (await records.get(labCtxOf, ref.entity, ref.id, { fields: ['id', v.field] }))[v.field];
            return ref.id;
          }
          if (v['@find'] && typeof v['@find'] === 'object') {
            // A record a plugin created (a lot a receipt made), found in this lab's scope: `{"@find": {"entity": "materialLot", "filter": {…}}}`.
            const found = await records.list(labCtxOf, v['@find'].entity, { filter: await resolve(v['@find'].filter), limit: 2, fields: ['id'] });
            if (found.data.length !== 1) throw new Error(`demo data: ${where} record ${i}: @find ${JSON.stringify(v['@find'])} finds ${found.data.length}`);
            return found.data[0].id;
          }
          if (v['@findMany'] && typeof v['@findMany'] === 'object') {
            // Several records a plugin created (the vials of a stock-in), first made first: their ids, or one field's
            // values joined (`"field": "vialCode", "join": "\n"`, what a scanner would have typed).
            const q = v['@findMany'];
            const field = typeof q.field === 'string' ? q.field : 'id';
            const found = await records.list(labCtxOf, q.entity, { filter: await resolve(q.filter), limit: Number(q.limit ?? 10), sort: ['id'], fields: ['id', field] });
            if (!found.data.length) throw new Error(`demo data: ${where} record ${i}: @findMany ${JSON.stringify(q)} finds none`);
            const values = found.data.map((r) => r[field]);
            return typeof q.join === 'string' ? values.join(q.join) : values;
          }
          if (typeof v['$user'] === 'string') {
            const id = users.get(v['$user']);
            if (id === undefined) throw new Error(`demo data: ${where} record ${i}: unknown user ${v['$user']} ({"$user": username})`);
            return id;
          }
          if (typeof v['@daysAgo'] === 'number') {
            const day = new Date(Date.now() - v['@daysAgo'] * 86400_000).toISOString().slice(0, 10);
            // `{"@daysAgo": 3, "time": "09:30"}`: a moment that day (China time), for date-time fields.
            return typeof v.time === 'string' ? new Date(`${day}T${v.time}:00+08:00`).toISOString() : day;
          }
          if (typeof v['@daysAhead'] === 'number') return new Date(Date.now() + v['@daysAhead'] * 86400_000).toISOString().slice(0, 10);
          return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await resolve(x)])));
        }
        return v;
      };
      if (!users.size) for (const u of await opts.knex('ct_user').select('id', 'username')) users.set(u.username, Number(u.id));
      let rec: Record<string, any>;
      try {
        rec = await records.create(labCtxOf, doc.entity, await resolve(rest), { reason: 'demo data' });
      } catch (e: any) {
        const details = e?.localized?.en ?? e?.details ?? [];
        throw new Error(`demo data: ${where} record ${i} (${doc.entity}) refused: ${e?.message ?? e} ${JSON.stringify(details)}`);
      }
      if (key) keys.set(key, { id: rec.id, lab, entity: doc.entity });
      // `"@then": [{"as": "sh.qc", "action": "submit"}, {"as": "sh.director", "action": "approve", "sign": "…"}]`:
      // what people did with the record next, in order (a QC result submitted and approved by a second person).
      for (const [k, a] of (then as DemoAction[]).entries()) await actAs(a, `${where} record ${i} @then ${k}`, doc.entity, Number(rec.id));
      n++;
    }
  }
  return n;
}
