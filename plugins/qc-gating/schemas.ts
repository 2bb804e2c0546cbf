import { labelSchema, requirementsSchema, type MetaSet } from '../../platform/plugins/sdk';

// `x-label` and `x-widget` annotate the schemas for the designer form generated from them (web/src/admin/SchemaDesigner.tsx).
const band = {
  type: 'object',
  properties: {
    min: { type: 'number', 'x-label': { 'zh-CN': '最小值', en: 'Minimum' } },
    max: { type: 'number', 'x-label': { 'zh-CN': '最大值', en: 'Maximum' } },
    equals: { type: ['string', 'number', 'boolean'], 'x-label': { 'zh-CN': '等于', en: 'Equals' } },
    in: { type: 'array', 'x-label': { 'zh-CN': '属于', en: 'One of' } },
  },
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
    label: { ...labelSchema, 'x-label': { 'zh-CN': '名称', en: 'Name' } },
    'x-requirements': requirementsSchema,
    qcType: { type: 'string', 'x-label': { 'zh-CN': '质检类型', en: 'QC type' }, 'x-widget': 'dictionary:qcType' },
    /** Cell types this spec is for; none = every cell type (a cell-type specific spec wins). */
    cellTypes: { type: 'array', items: { type: 'string' }, 'x-label': { 'zh-CN': '适用细胞类型（不选为全部）', en: 'Cell types (none: all)' }, 'x-widget': 'dictionary:cellType' },
    items: {
      type: 'array',
      minItems: 1,
      'x-label': { 'zh-CN': '检测项目', en: 'Items' },
      items: {
        type: 'object',
        required: ['field', 'spec'],
        properties: {
          field: { type: 'string', 'x-label': { 'zh-CN': '结果字段', en: 'Result field' }, 'x-widget': 'field:qcRecord' },
          spec: { ...band, 'x-label': { 'zh-CN': '合格标准', en: 'Specification' } },
          alert: { ...band, 'x-label': { 'zh-CN': '警戒限', en: 'Alert limits' } },
          action: { ...band, 'x-label': { 'zh-CN': '行动限', en: 'Action limits' } },
          required: { type: 'boolean', 'x-label': { 'zh-CN': '必须填写', en: 'Required' } },
        },
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
    label: { ...labelSchema, 'x-label': { 'zh-CN': '名称', en: 'Name' } },
    'x-requirements': requirementsSchema,
    enabled: { type: 'boolean', default: true, 'x-label': { 'zh-CN': '启用', en: 'Enabled' } },
    /** The guarded entity and its writes. */
    entity: { type: 'string', 'x-label': { 'zh-CN': '受控实体', en: 'Guarded entity' }, 'x-widget': 'entity' },
    on: {
      type: 'array', items: { enum: ['create', 'update', 'delete'] }, minItems: 1, uniqueItems: true, 'x-label': { 'zh-CN': '受控操作', en: 'Guarded writes' },
      'x-enum-labels': { create: { 'zh-CN': '新建', en: 'Create' }, update: { 'zh-CN': '修改', en: 'Update' }, delete: { 'zh-CN': '删除', en: 'Delete' } },
    },
    /** JSON Logic over {event, record, previous}: the gate applies only when true. */
    when: { type: 'object', 'x-label': { 'zh-CN': '适用条件', en: 'Applies when' }, 'x-widget': 'condition:$entity:record.' },
    /** JSON Logic over {event, record, previous}: the gate is waived when true (e.g. discarding). */
    unless: { type: 'object', 'x-label': { 'zh-CN': '豁免条件', en: 'Waived when' }, 'x-widget': 'condition:$entity:record.' },
    subject: {
      type: 'object',
      required: ['field', 'entity'],
      'x-label': { 'zh-CN': '质检对象', en: 'QC subject' },
      properties: {
        /** Reference field of the guarded entity that names the subject. */
        field: { type: 'string', 'x-label': { 'zh-CN': '对象引用字段', en: 'Subject reference field' }, 'x-widget': 'field:$entity' },
        /** The subject's entity (cellBatch, materialLot…). */
        entity: { type: 'string', 'x-label': { 'zh-CN': '对象实体', en: 'Subject entity' }, 'x-widget': 'entity' },
        /** Reference field of the QC entity that names the subject (default: `field`). */
        qcField: { type: 'string', 'x-label': { 'zh-CN': '质检记录上的对象字段', en: 'Subject field of the QC record' }, 'x-widget': 'field:qcRecord' },
        /** Field of the subject shown in messages (default: its x-title field, else its id). */
        display: { type: 'string', 'x-label': { 'zh-CN': '提示中显示的字段', en: 'Field shown in messages' }, 'x-widget': 'field:$subject.entity' },
      },
      additionalProperties: false,
    },
    /** Entity of the QC records (default qcRecord). */
    qcEntity: { type: 'string', 'x-label': { 'zh-CN': '质检记录实体（默认质检记录）', en: 'QC record entity (default: QC record)' }, 'x-widget': 'entity' },
    qcType: { type: 'string', 'x-label': { 'zh-CN': '质检类型', en: 'QC type' }, 'x-widget': 'dictionary:qcType' },
    /** The QC must have been judged against this specification (default: any). */
    spec: { type: 'string', 'x-label': { 'zh-CN': '须按此质检标准判定', en: 'Judged against this specification' }, 'x-widget': 'kind:qcSpec' },
    /** Result fields that must be filled in on the QC record. */
    fields: { type: 'array', items: { type: 'string' }, uniqueItems: true, 'x-label': { 'zh-CN': '须填写的结果字段', en: 'Result fields that must be filled' }, 'x-widget': 'field:qcRecord' },
    /** Extra limits the gate applies on top of the QC record's own pass. */
    limits: { type: 'object', additionalProperties: band, 'x-label': { 'zh-CN': '附加限值', en: 'Extra limits' }, 'x-widget': 'field:qcRecord' },
    /** The QC must have been tested within this many days; none = no expiry. */
    validityDays: { type: 'integer', minimum: 1, maximum: 3650, 'x-label': { 'zh-CN': '有效期（天）', en: 'Validity (days)' } },
    requireSignature: { type: 'boolean', 'x-label': { 'zh-CN': '须电子签名', en: 'E-signature required' } },
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
