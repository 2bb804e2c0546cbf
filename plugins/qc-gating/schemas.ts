import { labelSchema } from '../../platform/metadata/meta-schemas';
import type { MetaSet } from '../../platform/metadata/registry';

const band = {
  type: 'object',
  properties: { min: { type: 'number' }, max: { type: 'number' }, equals: { type: ['string', 'number', 'boolean'] }, in: { type: 'array' } },
  additionalProperties: false,
  minProperties: 1,
};

/** A QC specification: per result field the specification limits and the alert/action bands. */
export const qcSpecSchema = {
  type: 'object',
  required: ['$id', 'qcType', 'items'],
  properties: {
    $id: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,63}$' },
    kind: { const: 'qcSpec' },
    label: labelSchema,
    'x-requirements': { type: 'array', items: { type: 'string', pattern: '^R-[0-9]+(\\.[0-9]+)+$' }, uniqueItems: true },
    qcType: { type: 'string' },
    /** Cell types this spec is for; none = every cell type (a cell-type specific spec wins). */
    cellTypes: { type: 'array', items: { type: 'string' } },
    items: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['field', 'spec'],
        properties: { field: { type: 'string' }, spec: band, alert: band, action: band, required: { type: 'boolean' } },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

/** A QC gate: which write of which entity needs which passed QC of the record's batch. */
export const qcGateSchema = {
  type: 'object',
  required: ['$id', 'label', 'entity', 'on', 'batchField', 'qcType'],
  properties: {
    $id: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,63}$' },
    kind: { const: 'qcGate' },
    label: labelSchema,
    'x-requirements': { type: 'array', items: { type: 'string', pattern: '^R-[0-9]+(\\.[0-9]+)+$' }, uniqueItems: true },
    requirement: { type: 'string' },
    enabled: { type: 'boolean' },
    entity: { type: 'string' },
    on: { type: 'array', items: { enum: ['create', 'update'] }, minItems: 1, uniqueItems: true },
    /** JSON Logic over {event, record, previous}: the gate applies only when true. */
    when: { type: 'object' },
    /** JSON Logic over {event, record, previous}: the gate is waived when true (e.g. discarding). */
    unless: { type: 'object' },
    batchField: { type: 'string' },
    qcType: { type: 'string' },
    /** Result fields that must be filled in on the QC record. */
    fields: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    /** Extra limits the gate applies on top of the QC record's own pass. */
    limits: { type: 'object', additionalProperties: band },
    /** The QC must have been tested within this many days; none = no expiry. */
    validityDays: { type: 'integer', minimum: 1, maximum: 3650 },
    requireSignature: { type: 'boolean' },
  },
  additionalProperties: false,
};

const qcFields = (all: MetaSet) => all.entity?.qcRecord?.properties ?? {};

export function checkSpec(def: any, all: MetaSet) {
  const out: { path: string; message: string }[] = [];
  if (!all.dictionary?.qcType?.items?.some((i: any) => i.code === def.qcType)) out.push({ path: '/qcType', message: `unknown QC type ${def.qcType}` });
  (def.items ?? []).forEach((it: any, i: number) => {
    if (!(it.field in qcFields(all))) out.push({ path: `/items/${i}/field`, message: `unknown qcRecord field ${it.field}` });
  });
  return out;
}

export function checkGate(def: any, all: MetaSet) {
  const out: { path: string; message: string }[] = [];
  const e = all.entity?.[def.entity];
  if (!e) out.push({ path: '/entity', message: `unknown entity ${def.entity}` });
  else if (e.properties?.[def.batchField]?.['x-ref'] !== 'cellBatch') out.push({ path: '/batchField', message: `${def.entity}.${def.batchField} is not a reference to cellBatch` });
  if (!all.dictionary?.qcType?.items?.some((i: any) => i.code === def.qcType)) out.push({ path: '/qcType', message: `unknown QC type ${def.qcType}` });
  (def.fields ?? []).forEach((f: string, i: number) => {
    if (!(f in qcFields(all))) out.push({ path: `/fields/${i}`, message: `unknown qcRecord field ${f}` });
  });
  for (const f of Object.keys(def.limits ?? {})) if (!(f in qcFields(all))) out.push({ path: `/limits/${f}`, message: `unknown qcRecord field ${f}` });
  return out;
}
