import type { ValidateFunction } from 'ajv';
import { createAjv, localizeErrors, schemaProblems } from './ajv';
import { dictionaryMetaSchema, entityMetaSchema, formMetaSchema, listMetaSchema, menuMetaSchema } from './meta-schemas';
import type { ErrorDetail } from '../errors';
import type { Lang } from '../i18n';

/** One kind of metadata: where its files live and the JSON Schema every definition must satisfy. */
export interface MetaKind {
  kind: string;
  /** Folder under a module (`entities`) or a single file name (`menu.json`). */
  folder?: string;
  file?: string;
  schema: object;
  /** Cross-definition checks (a form naming an unknown field…), after every kind is loaded. */
  check?: (def: any, all: MetaSet) => { path: string; message: string }[];
  /** JSON Schemas embedded in a definition (an entity is one), compiled strictly at load and at save. */
  schemas?: (def: any) => { path: string; schema: object }[];
}

export type MetaSet = Record<string, Record<string, any>>;

const kinds = new Map<string, MetaKind & { validate: ValidateFunction }>();
const ajv = createAjv();

export function registerMetaKind(k: MetaKind): void {
  if (kinds.has(k.kind)) throw new Error(`metadata kind ${k.kind} registered twice`);
  kinds.set(k.kind, { ...k, validate: ajv.compile(k.schema) });
}

export function metaKinds(): (MetaKind & { validate: ValidateFunction })[] {
  return [...kinds.values()];
}

export function metaKind(kind: string) {
  return kinds.get(kind);
}

/** Validates one definition against its kind's meta-schema; returns details in both languages (empty when valid). */
export function validateDefinition(kind: string, def: unknown): Record<Lang, ErrorDetail[]> {
  const k = kinds.get(kind);
  if (!k) return { 'zh-CN': [{ path: '', message: `未知的元数据类型 ${kind}` }], en: [{ path: '', message: `unknown metadata kind ${kind}` }] };
  if (!k.validate(def)) return localizeErrors(k.validate.errors);
  const out: Record<Lang, ErrorDetail[]> = { 'zh-CN': [], en: [] };
  for (const { path, schema } of k.schemas?.(def) ?? []) {
    const p = schemaProblems(schema, path);
    out['zh-CN'].push(...p['zh-CN']);
    out.en.push(...p.en);
  }
  return out;
}

function fieldsOf(all: MetaSet, entity: string): Record<string, any> | undefined {
  return all.entity?.[entity]?.properties;
}

const SYSTEM_FIELDS = ['id', 'version', 'createdAt', 'createdBy', 'updatedAt', 'updatedBy', 'orgId', 'labId'];

function checkFieldNames(entity: string, names: string[], all: MetaSet, path: string, allowPath = false) {
  const props = fieldsOf(all, entity);
  if (!props) return [{ path: '/entity', message: `unknown entity ${entity}` }];
  const out: { path: string; message: string }[] = [];
  names.forEach((n, i) => {
    const [head, tail] = n.replace(/^-/, '').split('.');
    if (!(head in props) && !SYSTEM_FIELDS.includes(head)) out.push({ path: `${path}/${i}`, message: `unknown field ${head} of ${entity}` });
    else if (tail && !(allowPath && props[head]?.['x-ref'] && fieldsOf(all, props[head]['x-ref'])?.[tail] !== undefined))
      out.push({ path: `${path}/${i}`, message: `cannot follow ${n}` });
  });
  return out;
}

export function registerCoreKinds(): void {
  registerMetaKind({
    kind: 'entity',
    folder: 'entities',
    schema: entityMetaSchema,
    schemas: (def) => [{ path: '', schema: def }],
    check: (def, all) => {
      const out: { path: string; message: string }[] = [];
      for (const [name, f] of Object.entries<any>(def.properties ?? {})) {
        if (f['x-ref'] && !all.entity?.[f['x-ref']]) out.push({ path: `/properties/${name}/x-ref`, message: `unknown entity ${f['x-ref']}` });
        if (f['x-dictionary'] && !all.dictionary?.[f['x-dictionary']])
          out.push({ path: `/properties/${name}/x-dictionary`, message: `unknown dictionary ${f['x-dictionary']}` });
        if (f['x-numbering'] && !all.numbering?.[f['x-numbering']])
          out.push({ path: `/properties/${name}/x-numbering`, message: `unknown numbering rule ${f['x-numbering']}` });
        const target = f['x-ref'] ? all.entity?.[f['x-ref']]?.properties : undefined;
        const own = def.properties ?? {};
        if (target) {
          for (const [tf, v] of Object.entries<any>(f['x-ref-filter'] ?? {})) {
            if (!(tf in target) && !SYSTEM_FIELDS.includes(tf)) out.push({ path: `/properties/${name}/x-ref-filter/${tf}`, message: `unknown field ${tf} of ${f['x-ref']}` });
            if (v && typeof v === 'object' && !(v.$field in own)) out.push({ path: `/properties/${name}/x-ref-filter/${tf}/$field`, message: `unknown field ${v?.$field}` });
          }
          for (const [mine, theirs] of Object.entries<any>(f['x-prefill'] ?? {})) {
            if (!(mine in own)) out.push({ path: `/properties/${name}/x-prefill/${mine}`, message: `unknown field ${mine}` });
            if (!(theirs in target)) out.push({ path: `/properties/${name}/x-prefill/${mine}`, message: `unknown field ${theirs} of ${f['x-ref']}` });
          }
        }
      }
      for (const [i, n] of (def['x-picker-fields'] ?? []).entries())
        if (!(n in (def.properties ?? {}))) out.push({ path: `/x-picker-fields/${i}`, message: `unknown field ${n}` });
      for (const n of Object.keys(def['x-picker-disabled'] ?? {}))
        if (!(n in (def.properties ?? {}))) out.push({ path: `/x-picker-disabled/${n}`, message: `unknown field ${n}` });
      for (const [i, r] of (def.required ?? []).entries()) if (!(r in (def.properties ?? {}))) out.push({ path: `/required/${i}`, message: `unknown field ${r}` });
      return out;
    },
  });
  registerMetaKind({
    kind: 'form',
    folder: 'forms',
    schema: formMetaSchema,
    check: (def, all) => {
      const out = [];
      (def.sections ?? []).forEach((s: any, i: number) => out.push(...checkFieldNames(def.entity, s.fields, all, `/sections/${i}/fields`)));
      (def.variants ?? []).forEach((v: any, j: number) =>
        v.sections.forEach((s: any, i: number) => out.push(...checkFieldNames(def.entity, s.fields, all, `/variants/${j}/sections/${i}/fields`))),
      );
      if (def.discriminator) out.push(...checkFieldNames(def.entity, [def.discriminator], all, '/discriminator'));
      return out;
    },
  });
  registerMetaKind({
    kind: 'list',
    folder: 'lists',
    schema: listMetaSchema,
    check: (def, all) => [
      ...checkFieldNames(def.entity, def.columns ?? [], all, '/columns'),
      ...checkFieldNames(def.entity, def.defaultSort ?? [], all, '/defaultSort', true),
      ...checkFieldNames(def.entity, def.quickSearch ?? [], all, '/quickSearch'),
      ...(def.indexes ?? []).flatMap((ix: string[], i: number) => checkFieldNames(def.entity, ix, all, `/indexes/${i}`)),
    ],
  });
  registerMetaKind({ kind: 'dictionary', folder: 'dictionaries', schema: dictionaryMetaSchema });
  registerMetaKind({ kind: 'menu', file: 'menu.json', schema: menuMetaSchema });
}
