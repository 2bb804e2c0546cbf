import { labelSchema, requirementsSchema, type MetaSet } from '../../platform/plugins/sdk';

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
    'x-requirements': requirementsSchema,
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

/**
 * A QC gate: which write (create / update / delete) of which entity needs which passed QC of which subject. The
 * subject is the record the QC is about — a cell batch today, a material lot, a culture step or a room tomorrow —
 * reached from the guarded record through `subject.field`; the QC records name it in `subject.qcField`. New
 * modules add gates (and a reference field on the QC entity) as metadata, without code.
 */
export const qcGateSchema = {
  type: 'object',
  required: ['$id', 'label', 'entity', 'on', 'subject', 'qcType'],
  properties: {
    $id: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,63}$' },
    kind: { const: 'qcGate' },
    label: labelSchema,
    'x-requirements': requirementsSchema,
    enabled: { type: 'boolean' },
    /** The guarded entity and its writes. */
    entity: { type: 'string' },
    on: { type: 'array', items: { enum: ['create', 'update', 'delete'] }, minItems: 1, uniqueItems: true },
    /** JSON Logic over {event, record, previous}: the gate applies only when true. */
    when: { type: 'object' },
    /** JSON Logic over {event, record, previous}: the gate is waived when true (e.g. discarding). */
    unless: { type: 'object' },
    subject: {
      type: 'object',
      required: ['field', 'entity'],
      properties: {
        /** Reference field of the guarded entity that names the subject. */
        field: { type: 'string' },
        /** The subject's entity (cellBatch, materialLot…). */
        entity: { type: 'string' },
        /** Reference field of the QC entity that names the subject (default: `field`). */
        qcField: { type: 'string' },
        /** Field of the subject shown in messages (default: its x-title field, else its id). */
        display: { type: 'string' },
      },
      additionalProperties: false,
    },
    /** Entity of the QC records (default qcRecord). */
    qcEntity: { type: 'string' },
    qcType: { type: 'string' },
    /** The QC must have been judged against this specification (default: any). */
    spec: { type: 'string' },
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
  const qcEntity = def.qcEntity ?? 'qcRecord';
  const qcProps = all.entity?.[qcEntity]?.properties ?? {};
  const sub = def.subject ?? {};
  if (!all.entity?.[qcEntity]) out.push({ path: '/qcEntity', message: `unknown entity ${qcEntity}` });
  if (!e) out.push({ path: '/entity', message: `unknown entity ${def.entity}` });
  else if (e.properties?.[sub.field]?.['x-ref'] !== sub.entity) out.push({ path: '/subject/field', message: `${def.entity}.${sub.field} is not a reference to ${sub.entity}` });
  if (qcProps[sub.qcField ?? sub.field]?.['x-ref'] !== sub.entity) out.push({ path: '/subject/qcField', message: `${qcEntity}.${sub.qcField ?? sub.field} is not a reference to ${sub.entity}` });
  if (sub.display && !(sub.display in (all.entity?.[sub.entity]?.properties ?? {}))) out.push({ path: '/subject/display', message: `unknown ${sub.entity} field ${sub.display}` });
  if (def.spec && !all.qcSpec?.[def.spec]) out.push({ path: '/spec', message: `unknown QC specification ${def.spec}` });
  if (!all.dictionary?.qcType?.items?.some((i: any) => i.code === def.qcType)) out.push({ path: '/qcType', message: `unknown QC type ${def.qcType}` });
  (def.fields ?? []).forEach((f: string, i: number) => {
    if (!(f in qcProps)) out.push({ path: `/fields/${i}`, message: `unknown ${qcEntity} field ${f}` });
  });
  for (const f of Object.keys(def.limits ?? {})) if (!(f in qcProps)) out.push({ path: `/limits/${f}`, message: `unknown ${qcEntity} field ${f}` });
  return out;
}
