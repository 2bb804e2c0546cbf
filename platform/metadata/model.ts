import type { MetaSet } from './registry';

export type FieldKind =
  | 'string' | 'text' | 'integer' | 'decimal' | 'number' | 'boolean' | 'date' | 'datetime'
  | 'enum' | 'dictionary' | 'reference' | 'multiReference' | 'user' | 'attachment' | 'json';

export interface FieldDef {
  name: string;
  column: string;
  kind: FieldKind;
  schema: Record<string, any>;
  ref?: string;
  dictionary?: string;
  enumValues?: string[];
  numbering?: string;
  readOnly: boolean;
  unique: boolean;
  encrypted: boolean;
  maxLength?: number;
  precision?: number;
  scale?: number;
  /** A user reference (`x-user`): `current` defaults to the signed-in user on create. */
  user?: 'any' | 'current';
  /** Join table of a multi-reference. */
  joinTable?: string;
}

export interface EntityDef {
  name: string;
  table: string;
  schema: Record<string, any>;
  fields: Map<string, FieldDef>;
  /** Fields stored as columns of the entity's own table (not multi-references). */
  columns: FieldDef[];
  titleField: string;
  scope: 'lab' | 'org' | 'global';
  indexes: string[][];
}

export const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();

/** System columns every entity table has, API name → column. */
export const SYSTEM_COLUMNS: Record<string, { column: string; kind: FieldKind }> = {
  id: { column: 'id', kind: 'integer' },
  version: { column: 'version', kind: 'integer' },
  createdAt: { column: 'created_at', kind: 'datetime' },
  createdBy: { column: 'created_by', kind: 'integer' },
  updatedAt: { column: 'updated_at', kind: 'datetime' },
  updatedBy: { column: 'updated_by', kind: 'integer' },
  orgId: { column: 'org_id', kind: 'integer' },
  labId: { column: 'lab_id', kind: 'integer' },
};

export function fieldKind(s: Record<string, any>): FieldKind {
  if (s['x-ref']) return s.type === 'array' ? 'multiReference' : 'reference';
  if (s['x-user']) return 'user';
  if (s['x-type'] === 'attachment') return 'attachment';
  if (s['x-type'] === 'json' || s.type === 'object' || s.type === 'array') return 'json';
  if (s['x-type'] === 'text') return 'text';
  if (s['x-dictionary']) return 'dictionary';
  if (s.enum) return 'enum';
  switch (s.type) {
    case 'integer': return 'integer';
    case 'number': return s['x-precision'] || s['x-type'] === 'decimal' ? 'decimal' : 'number';
    case 'boolean': return 'boolean';
    default:
      if (s.format === 'date') return 'date';
      if (s.format === 'date-time') return 'datetime';
      return 'string';
  }
}

export function buildEntity(def: Record<string, any>, lists: Record<string, any>): EntityDef {
  const table = snake(def.$id);
  const fields = new Map<string, FieldDef>();
  for (const [name, s] of Object.entries<any>(def.properties)) {
    const kind = fieldKind(s);
    fields.set(name, {
      name,
      column: snake(name),
      kind,
      schema: s,
      ref: s['x-ref'],
      dictionary: s['x-dictionary'],
      enumValues: s.enum,
      numbering: s['x-numbering'],
      readOnly: !!s.readOnly,
      unique: !!s['x-unique'],
      encrypted: !!s['x-encrypted'],
      maxLength: s.maxLength,
      precision: s['x-precision'],
      scale: s['x-scale'],
      user: kind === 'user' ? (s['x-user'] === 'current' ? 'current' : 'any') : undefined,
      joinTable: kind === 'multiReference' ? `${table}__${snake(name)}` : undefined,
    });
  }
  const indexes = Object.values<any>(lists).filter((l) => l.entity === def.$id).flatMap((l) => l.indexes ?? []);
  const firstString = [...fields.values()].find((f) => f.kind === 'string');
  return {
    name: def.$id,
    table,
    schema: def,
    fields,
    columns: [...fields.values()].filter((f) => f.kind !== 'multiReference'),
    titleField: def['x-title'] ?? firstString?.name ?? 'id',
    scope: def['x-scope'] ?? 'lab',
    indexes,
  };
}

/** The compiled view of one metadata version; everything derived from it is cached on it. */
export class Model {
  readonly entities = new Map<string, EntityDef>();
  readonly cache = new Map<string, unknown>();
  constructor(public readonly version: number, public readonly set: MetaSet) {
    for (const def of Object.values<any>(set.entity ?? {})) this.entities.set(def.$id, buildEntity(def, set.list ?? {}));
  }
  entity(name: string): EntityDef | undefined {
    return this.entities.get(name);
  }
  /** Memoizes a value derived from this version (validators, OpenAPI document…). */
  memo<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }
}
