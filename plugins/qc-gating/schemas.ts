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
    /** Raised by the author at every change that matters; stamped onto each QC record with the limits (the frozen copy). */
    version: { type: 'integer', minimum: 1, maximum: 100000, 'x-label': { 'zh-CN': '版本', en: 'Version' } },
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
          method: { type: 'string', maxLength: 200, 'x-label': { 'zh-CN': '检测方法', en: 'Method' } },
          unit: { type: 'string', maxLength: 40, 'x-label': { 'zh-CN': '单位', en: 'Unit' } },
          /** What the result is; checked against the result field's type (a number field holds a number…). */
          resultType: {
            enum: ['number', 'text', 'passFail', 'choice'], 'x-label': { 'zh-CN': '结果类型', en: 'Result type' },
            'x-enum-labels': { number: { 'zh-CN': '数值', en: 'Number' }, text: { 'zh-CN': '文本', en: 'Text' }, passFail: { 'zh-CN': '合格/不合格', en: 'Pass / fail' }, choice: { 'zh-CN': '选项', en: 'Choice' } },
          },
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
    /** Only QC records approved by a second person count (submitted, rejected or invalidated ones are not read). */
    requireApproved: { type: 'boolean', 'x-label': { 'zh-CN': '仅认可已复核批准的结果', en: 'Only approved (reviewed) results count' } },
  },
  additionalProperties: false,
};

const qcFields = (all: MetaSet) => all.entity?.qcRecord?.properties ?? {};

/** Whether a qcRecord field can hold a result of the item's type. */
function fitsType(resultType: string, f: any): boolean {
  if (resultType === 'number') return f.type === 'number' || f.type === 'integer';
  if (resultType === 'passFail') return Array.isArray(f.enum) && f.enum.length === 2;
  if (resultType === 'choice') return Array.isArray(f.enum) || !!f['x-dictionary'];
  return f.type === 'string';
}

export function checkSpec(def: any, all: MetaSet) {
  const out: { path: string; message: string }[] = [];
  if (!all.dictionary?.qcType?.items?.some((i: any) => i.code === def.qcType)) out.push({ path: '/qcType', message: `unknown QC type ${def.qcType}` });
  (def.items ?? []).forEach((it: any, i: number) => {
    const f = qcFields(all)[it.field];
    if (!f) out.push({ path: `/items/${i}/field`, message: `unknown qcRecord field ${it.field}` });
    else if (it.resultType && !fitsType(it.resultType, f)) out.push({ path: `/items/${i}/resultType`, message: `qcRecord.${it.field} cannot hold a ${it.resultType} result` });
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

const limitBand = {
  type: 'object', additionalProperties: false, minProperties: 1,
  properties: { min: { type: 'number', 'x-label': { 'zh-CN': '下限', en: 'Minimum' } }, max: { type: 'number', 'x-label': { 'zh-CN': '上限', en: 'Maximum' } } },
};

/**
 * Environment-monitoring limits of one clean-room grade: per parameter and occupancy state the action level
 * (the published maximum: EU GMP Annex 1 2022 / China GMP) and the alert level the site tunes from its own trend.
 */
export const emLimitSchema = {
  type: 'object',
  required: ['$id', 'label', 'grade', 'items'],
  properties: {
    $id: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,63}$' },
    kind: { const: 'emLimit' },
    label: { ...labelSchema, 'x-label': { 'zh-CN': '名称', en: 'Name' } },
    'x-requirements': requirementsSchema,
    grade: { type: 'string', 'x-label': { 'zh-CN': '洁净级别', en: 'Grade' }, 'x-widget': 'dictionary:cleanGrade' },
    source: { ...labelSchema, 'x-label': { 'zh-CN': '依据', en: 'Source' } },
    items: {
      type: 'array', minItems: 1, 'x-label': { 'zh-CN': '限度', en: 'Limits' },
      items: {
        type: 'object', required: ['parameter', 'action'], additionalProperties: false,
        properties: {
          parameter: { type: 'string', 'x-label': { 'zh-CN': '监测项目', en: 'Parameter' }, 'x-widget': 'dictionary:emParameter' },
          occupancy: {
            enum: ['atRest', 'inOperation'], 'x-label': { 'zh-CN': '状态（不选为静态和动态）', en: 'Occupancy (none: both)' },
            'x-enum-labels': { atRest: { 'zh-CN': '静态', en: 'At rest' }, inOperation: { 'zh-CN': '动态', en: 'In operation' } },
          },
          alert: { ...limitBand, 'x-label': { 'zh-CN': '警戒限', en: 'Alert level' } },
          action: { ...limitBand, 'x-label': { 'zh-CN': '行动限', en: 'Action level' } },
        },
      },
    },
  },
  additionalProperties: false,
};

export function checkEmLimit(def: any, all: MetaSet) {
  const out: { path: string; message: string }[] = [];
  if (!all.dictionary?.cleanGrade?.items?.some((i: any) => i.code === def.grade)) out.push({ path: '/grade', message: `unknown grade ${def.grade}` });
  const params = new Set((all.dictionary?.emParameter?.items ?? []).map((i: any) => i.code));
  (def.items ?? []).forEach((it: any, i: number) => {
    if (!params.has(it.parameter)) out.push({ path: `/items/${i}/parameter`, message: `unknown EM parameter ${it.parameter}` });
  });
  return out;
}
