import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { EntityDef, FieldDef, Model } from '../metadata/model';
import { biColumn, encryptedFields, isEncrypted } from '../auth/crypto';
import { embeddedTraceColumns } from '../trace/engine';

/** What a column should be, in the words information_schema uses. */
interface ColumnType {
  sql: string;
  dataType: string;
  length?: number;
  precision?: number;
  scale?: number;
}

export function columnType(f: FieldDef): ColumnType {
  // Encrypted values are stored as ciphertext (longer than the clear value): text, the length is checked on input.
  if (f.encrypted && (f.kind === 'string' || f.kind === 'text')) return { sql: 'text', dataType: 'text' };
  switch (f.kind) {
    case 'string': {
      const n = f.maxLength ?? 255;
      return n > 10485760 ? { sql: 'text', dataType: 'text' } : { sql: `varchar(${n})`, dataType: 'character varying', length: n };
    }
    case 'enum':
    case 'dictionary':
      return { sql: 'varchar(64)', dataType: 'character varying', length: 64 };
    case 'text': return { sql: 'text', dataType: 'text' };
    case 'integer':
    case 'user':
    case 'reference': return { sql: 'bigint', dataType: 'bigint' };
    case 'decimal': {
      const p = f.precision ?? 18;
      const s = f.scale ?? 4;
      return { sql: `numeric(${p},${s})`, dataType: 'numeric', precision: p, scale: s };
    }
    case 'number': return { sql: 'double precision', dataType: 'double precision' };
    case 'boolean': return { sql: 'boolean', dataType: 'boolean' };
    case 'date': return { sql: 'date', dataType: 'date' };
    case 'datetime': return { sql: 'timestamptz', dataType: 'timestamp with time zone' };
    case 'attachment':
    case 'json': return { sql: 'jsonb', dataType: 'jsonb' };
    case 'multiReference': throw new Error('multi-references live in a join table');
  }
}

interface ExistingColumn {
  data_type: string;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
}

/** An existing column can keep its data without loss if it is at least as wide as wanted; otherwise a change is needed. */
function compare(existing: ExistingColumn, want: ColumnType): 'same' | 'widen' | 'destructive' {
  const dt = existing.data_type;
  if (dt === want.dataType) {
    if (dt === 'character varying') {
      const len = existing.character_maximum_length ?? Infinity;
      return len >= (want.length ?? 0) ? 'same' : 'widen';
    }
    if (dt === 'numeric') {
      const ep = existing.numeric_precision ?? 1000;
      const es = existing.numeric_scale ?? 0;
      if (ep === want.precision && es === want.scale) return 'same';
      // Widening keeps every value: more integer digits and no fewer fraction digits.
      return ep - es <= (want.precision ?? 0) - (want.scale ?? 0) && es <= (want.scale ?? 0) ? 'widen' : 'destructive';
    }
    return 'same';
  }
  if (dt === 'text' && want.dataType === 'character varying') return 'same';
  if (dt === 'character varying' && want.dataType === 'text') return 'widen';
  if (dt === 'integer' && want.dataType === 'bigint') return 'widen';
  if ((dt === 'integer' || dt === 'bigint') && want.dataType === 'numeric') return 'widen';
  return 'destructive';
}

export interface SchemaPlan {
  statements: { sql: string; bindings: unknown[] }[];
  destructive: { entity: string; field: string; change: string }[];
}

const SYSTEM_DDL = [
  'id bigserial primary key',
  'version integer not null default 1',
  'created_at timestamptz not null default now()',
  'created_by bigint',
  'updated_at timestamptz not null default now()',
  'updated_by bigint',
  'org_id bigint',
  'lab_id bigint',
  'deleted_at timestamptz',
];

const ixName = (prefix: string, table: string, cols: string[]) => {
  const h = crypto.createHash('sha1').update(cols.join(',')).digest('hex').slice(0, 8);
  return `${prefix}_${table}`.slice(0, 50) + `_${h}`;
};

/** Compares the model with the database and lists the statements that make them agree (additive only). */
export async function planSchema(knex: Knex, model: Model): Promise<SchemaPlan> {
  const rows: any[] = (
    await knex.raw(
      `select table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale
         from information_schema.columns where table_schema = current_schema()`,
    )
  ).rows;
  const tables = new Map<string, Map<string, ExistingColumn>>();
  for (const r of rows) {
    if (!tables.has(r.table_name)) tables.set(r.table_name, new Map());
    tables.get(r.table_name)!.set(r.column_name, r);
  }
  const idx: any[] = (await knex.raw(`select indexname from pg_indexes where schemaname = current_schema()`)).rows;
  const indexes = new Set(idx.map((r) => r.indexname as string));
  const plan: SchemaPlan = { statements: [], destructive: [] };
  const push = (sql: string, bindings: unknown[] = []) => plan.statements.push({ sql, bindings });
  const entities = [...model.entities.values()];

  for (const e of entities) {
    if (!tables.has(e.table)) push(`create table ?? (${SYSTEM_DDL.join(', ')})`, [e.table]);
  }
  for (const e of entities) {
    const existing = tables.get(e.table) ?? new Map<string, ExistingColumn>();
    for (const f of e.columns) {
      const want = columnType(f);
      const have = existing.get(f.column);
      if (!have) {
        const target = f.kind === 'reference' ? model.entity(f.ref!) : undefined;
        if (target) push(`alter table ?? add column ?? bigint references ?? (id)`, [e.table, f.column, target.table]);
        else push(`alter table ?? add column ?? ${want.sql}`, [e.table, f.column]);
        if (f.kind === 'reference' || f.kind === 'user') push(`create index if not exists ?? on ?? (??)`, [ixName('fk', e.table, [f.column]), e.table, f.column]);
        continue;
      }
      const cmp = compare(have, want);
      if (cmp === 'widen') push(`alter table ?? alter column ?? type ${want.sql}`, [e.table, f.column]);
      if (cmp === 'destructive')
        plan.destructive.push({ entity: e.name, field: f.name, change: `${have.data_type} → ${want.sql}` });
    }
    for (const f of encryptedFields(e)) {
      // The blind index beside an encrypted column serves exact-match filters (and uniqueness).
      const bi = biColumn(f.column);
      if (!existing.has(bi)) push(`alter table ?? add column ?? varchar(64)`, [e.table, bi]);
      const name = ixName(f.unique ? 'ux' : 'ix', e.table, [bi]);
      if (!indexes.has(name)) push(`create ${f.unique ? 'unique ' : ''}index ?? on ?? (??) where deleted_at is null`, [name, e.table, bi]);
    }
    for (const f of e.fields.values()) {
      if (f.kind === 'multiReference' && !tables.has(f.joinTable!)) {
        const target = model.entity(f.ref!)!;
        push(
          `create table ?? (owner_id bigint not null references ?? (id), target_id bigint not null references ?? (id), position integer not null default 0, primary key (owner_id, target_id))`,
          [f.joinTable, e.table, target.table],
        );
        push(`create index ?? on ?? (target_id)`, [ixName('ix', f.joinTable!, ['target_id']), f.joinTable]);
      }
      if (f.unique && f.kind !== 'multiReference' && !isEncrypted(f)) {
        const name = ixName('ux', e.table, [f.column]);
        if (!indexes.has(name)) push(`create unique index ?? on ?? (??) where deleted_at is null`, [name, e.table, f.column]);
      }
    }
    // Array fields holding traced references in their items (cultureRecord.materials[].lot): the trace engine asks
    // `@>` of them (which records used this lot), answered by a GIN index.
    for (const c of embeddedTraceColumns(model)) {
      if (c.table !== e.table) continue;
      const name = ixName('gin', e.table, [c.column]);
      if (!indexes.has(name)) push(`create index ?? on ?? using gin (?? jsonb_path_ops)`, [name, e.table, c.column]);
    }
    for (const cols of indexSpecs(e)) {
      const name = ixName('ix', e.table, cols);
      if (!indexes.has(name)) push(`create index ?? on ?? (${cols.map(() => '??').join(', ')}) where deleted_at is null`, [name, e.table, ...cols]);
    }
  }
  return plan;
}

/** Composite indexes declared in list metadata, with id appended so keyset pages and ties use the index too. */
function indexSpecs(e: EntityDef): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const ix of e.indexes) {
    const cols = ix.map((n) => e.fields.get(n)?.column ?? ({ createdAt: 'created_at', updatedAt: 'updated_at', labId: 'lab_id', orgId: 'org_id' } as any)[n] ?? n);
    if (!cols.includes('id')) cols.push('id');
    const key = cols.join(',');
    if (!seen.has(key)) {
      seen.add(key);
      out.push(cols);
    }
  }
  return out;
}

export class DestructiveChangeError extends Error {
  constructor(public changes: SchemaPlan['destructive']) {
    super(`Destructive schema change refused: ${changes.map((c) => `${c.entity}.${c.field} ${c.change}`).join('; ')}`);
  }
}

/** Applies the additive part of the plan in the given transaction; refuses when anything destructive is pending. */
export async function syncSchema(knex: Knex, model: Model): Promise<SchemaPlan> {
  const plan = await planSchema(knex, model);
  if (plan.destructive.length) throw new DestructiveChangeError(plan.destructive);
  for (const s of plan.statements) await knex.raw(s.sql, s.bindings as any);
  return plan;
}
