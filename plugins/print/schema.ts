import Handlebars from 'handlebars';
import { labelSchema, requirementsSchema, type MetaKind, type MetaSet } from '../../platform/plugins/sdk';

/** Label containers and their usual physical sizes (mm), the defaults of a label template. */
export const CONTAINERS = ['cryovial', 'bag', 'box', 'tube'] as const;

/** A related list the template needs: records of `entity` whose `via` field points at the printed record. */
const child = {
  type: 'object',
  additionalProperties: false,
  required: ['as', 'entity', 'via'],
  properties: {
    as: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9]*$', maxLength: 40 },
    entity: { type: 'string', maxLength: 64 },
    via: { type: 'string', maxLength: 64 },
    sort: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 4 },
    expand: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 10 },
    limit: { type: 'integer', minimum: 1, maximum: 500 },
  },
};

/**
 * A print template (`printTemplate`): handlebars over a record and what it declares it needs. `document` templates
 * render HTML (A4/A5) and PDF; `label` templates render one label per record as PDF (exact size) and ZPL.
 */
export const printTemplateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['$id', 'label', 'entity', 'flavour', 'source'],
  properties: {
    $id: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9]*$', maxLength: 64 },
    label: labelSchema,
    description: labelSchema,
    'x-requirements': requirementsSchema,
    entity: { type: 'string', maxLength: 64 },
    flavour: { enum: ['document', 'label'] },
    /** Handlebars: HTML for a document; for a label, its text lines (one per line). */
    source: { type: 'string', maxLength: 100000 },
    css: { type: 'string', maxLength: 20000 },
    paper: { type: 'object', additionalProperties: false, properties: { size: { enum: ['A4', 'A5'] }, landscape: { type: 'boolean' } } },
    data: {
      type: 'object',
      additionalProperties: false,
      properties: {
        expand: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 20 },
        children: { type: 'array', items: child, maxItems: 10 },
        /** The order chain of the record (order, customer, sample, culture record and its steps), where it has an order. */
        orderChain: { type: 'boolean' },
      },
    },
    labelSpec: {
      type: 'object',
      additionalProperties: false,
      required: ['container', 'widthMm', 'heightMm'],
      properties: {
        container: { enum: [...CONTAINERS] },
        widthMm: { type: 'number', minimum: 10, maximum: 150 },
        heightMm: { type: 'number', minimum: 6, maximum: 150 },
        symbology: { enum: ['datamatrix', 'qrcode'] },
        /** Handlebars: what the 2-D code holds (default: the record's code and its chain-of-identity id, `|`-separated). */
        content: { type: 'string', maxLength: 500 },
        /** Handlebars: the label in ZPL (Zebra), `^XA … ^XZ`. */
        zpl: { type: 'string', maxLength: 20000 },
        dpi: { enum: [203, 300, 600] },
      },
    },
  },
  if: { properties: { flavour: { const: 'label' } } },
  then: { required: ['labelSpec'] },
};

/** The handlebars parse error of a source, or null when it compiles. */
export function compileProblem(source: string): string | null {
  try {
    Handlebars.precompile(source, { strict: false });
    return null;
  } catch (e) {
    return `handlebars: ${String((e as Error).message).split('\n').slice(0, 4).join(' ')}`;
  }
}

const SYSTEM = ['id', 'version', 'createdAt', 'createdBy', 'updatedAt', 'updatedBy', 'labId', 'orgId'];

/** Cross-checks: the sources compile (pointer to the source), entities and fields exist. */
export function checkTemplate(def: any, all: MetaSet): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const fields = (entity: string) => all.entity?.[entity]?.properties as Record<string, any> | undefined;
  for (const [path, src] of [['/source', def.source], ['/labelSpec/content', def.labelSpec?.content], ['/labelSpec/zpl', def.labelSpec?.zpl]] as const) {
    if (typeof src !== 'string') continue;
    const p = compileProblem(src);
    if (p) out.push({ path, message: p });
  }
  const own = fields(def.entity);
  if (!own) {
    out.push({ path: '/entity', message: `unknown entity ${def.entity}` });
    return out;
  }
  (def.data?.expand ?? []).forEach((n: string, i: number) => {
    if (!own[n]?.['x-ref']) out.push({ path: `/data/expand/${i}`, message: `${n} is not a reference of ${def.entity}` });
  });
  (def.data?.children ?? []).forEach((c: any, i: number) => {
    const theirs = fields(c.entity);
    if (!theirs) return out.push({ path: `/data/children/${i}/entity`, message: `unknown entity ${c.entity}` });
    if (theirs[c.via]?.['x-ref'] !== def.entity) out.push({ path: `/data/children/${i}/via`, message: `${c.entity}.${c.via} does not point at ${def.entity}` });
    (c.sort ?? []).forEach((s: string, j: number) => {
      const n = s.replace(/^-/, '');
      if (!(n in theirs) && !SYSTEM.includes(n)) out.push({ path: `/data/children/${i}/sort/${j}`, message: `unknown field ${n} of ${c.entity}` });
    });
    (c.expand ?? []).forEach((n: string, j: number) => {
      if (!theirs[n]?.['x-ref']) out.push({ path: `/data/children/${i}/expand/${j}`, message: `${n} is not a reference of ${c.entity}` });
    });
  });
  return out;
}

export const printTemplateKind: MetaKind = { kind: 'printTemplate', folder: 'printTemplates', schema: printTemplateSchema, check: checkTemplate };
