import fs from 'node:fs';
import path from 'node:path';
import type { RecordService } from '../records/service';
import type { CallContext } from '../context';

/**
 * Demo data lives beside the metadata it fills: `<root>/<module>/demo/*.json`, each
 * `{ "entity": "customer", "records": [{ "@key": "c1", "name": "…" }, { "customer": {"@ref": "c1"}, … }] }`.
 * Records go through the record pipeline like any other write (numbering, validation, audit).
 * Files load in name order across modules, so prefix them (`10-customers.json`).
 */
export async function loadDemoData(roots: string[], records: RecordService, ctx: CallContext): Promise<number> {
  const files: string[] = [];
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    for (const mod of fs.readdirSync(root)) {
      const dir = path.join(root, mod, 'demo');
      if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) if (f.endsWith('.json')) files.push(path.join(dir, f));
    }
  }
  files.sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
  const keys = new Map<string, number>();
  const resolve = (v: any): any => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object') {
      if (typeof v['@ref'] === 'string') {
        const id = keys.get(v['@ref']);
        if (id === undefined) throw new Error(`demo data: unknown @ref ${v['@ref']}`);
        return id;
      }
      if (typeof v['@daysAgo'] === 'number') return new Date(Date.now() - v['@daysAgo'] * 86400_000).toISOString().slice(0, 10);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  let n = 0;
  for (const f of files) {
    const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
    for (const raw of doc.records ?? []) {
      const { '@key': key, ...rest } = raw;
      const rec = await records.create(ctx, doc.entity, resolve(rest), { reason: 'demo data' });
      if (key) keys.set(key, rec.id);
      n++;
    }
  }
  return n;
}
