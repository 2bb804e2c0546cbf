/** JSON Schemas of the metadata kinds the engine ships. Later issues register more kinds (flows, roles, templates). */

/** A bilingual label: zh-CN required, en optional (readers fall back to zh-CN: platform/i18n label(), web pick()). */
const label = {
  type: 'object',
  required: ['zh-CN'],
  properties: { 'zh-CN': { type: 'string', minLength: 1 }, en: { type: 'string', minLength: 1 } },
  additionalProperties: false,
};
export const labelSchema = label;
const camelId = { type: 'string', pattern: '^(?!ct[A-Z_])[a-z][a-zA-Z0-9]{0,47}$' };
/** IDs of the client's requirements (requirements.en.md, e.g.) a definition implements; see docs/requirements.md. */
export const requirementsSchema = { type: 'array', items: { type: 'string', pattern: '^R-[0-9]+(\\.[0-9]+)+$' }, uniqueItems: true };

const fieldSchema = {
  type: 'object',
  required: ['x-label'],
  properties: {
    type: { enum: ['string', 'integer', 'number', 'boolean', 'array', 'object'] },
    'x-label': label,
    'x-type': { enum: ['text', 'attachment', 'json', 'decimal'] },
    'x-ref': camelId,
    'x-dictionary': camelId,
    'x-numbering': camelId,
    'x-precision': { type: 'integer', minimum: 1, maximum: 38 },
    'x-scale': { type: 'integer', minimum: 0, maximum: 20 },
    'x-unique': { type: 'boolean' },
    // A trace link (platform/trace): true, the referenced record is upstream of this one (this one was made from it);
    // "down", this record feeds the referenced one (a material usage feeds its culture record).
    'x-trace': { enum: [true, false, 'down'] },
    'x-encrypted': { type: 'boolean' },
    // A user reference ("the person who did it"): an integer naming a ct_user; "current" defaults to the signed-in user.
    'x-user': { enum: [true, 'current'] },
    // On choosing a referenced record, copy its fields into this form: {"<this form's field>": "<referenced field>"}.
    'x-prefill': { type: 'object', minProperties: 1, propertyNames: { pattern: '^[a-z][a-zA-Z0-9]{0,47}$' }, additionalProperties: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,47}$' } },
    'x-enum-labels': { type: 'object', additionalProperties: label },
    // Only referenced records whose fields equal a field of this form ({"$field": "batch"}) or a constant ("stored").
    'x-ref-filter': {
      type: 'object', minProperties: 1, maxProperties: 6,
      propertyNames: { pattern: '^[a-z][a-zA-Z0-9]{0,47}$' },
      additionalProperties: {
        anyOf: [
          { type: ['string', 'number', 'boolean'] },
          { type: 'object', required: ['$field'], properties: { $field: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,47}$' } }, additionalProperties: false },
        ],
      },
    },
    // A date of something that happened (a birth date, a sampling time): not after today.
    'x-not-future': { type: 'boolean' },
    // A string naming a definition of a metadata kind (e.g. a QC specification): shown by its label.
    'x-meta': { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,47}$' },
    // The record's owning lab, chosen on create among the caller's labs (an order booked at a centre for one of its labs).
    'x-owner-lab': { const: true },
    // A scanned code checked against the record's chain of identity (a plugin's check; "vials": one code per chosen vial).
    'x-identity-scan': { enum: [true, 'vials'] },
    format: { enum: ['date', 'date-time', 'email', 'uri', 'time', 'cn-id-number', 'cn-phone'] },
    readOnly: { type: 'boolean' },
    maxLength: { type: 'integer', minimum: 1, maximum: 10000 },
  },
  allOf: [
    { if: { required: ['x-ref'] }, then: { properties: { type: { enum: ['integer', 'array'] } } } },
    { if: { required: ['x-precision'] }, then: { properties: { type: { const: 'number' } } } },
    { if: { required: ['x-user'] }, then: { required: ['type'], properties: { type: { const: 'integer' } }, not: { required: ['x-ref'] } } },
    { if: { anyOf: [{ required: ['x-ref-filter'] }, { required: ['x-prefill'] }] }, then: { required: ['x-ref'] } },
    { if: { required: ['x-owner-lab'] }, then: { required: ['type'], properties: { type: { const: 'integer' } }, not: { anyOf: [{ required: ['x-ref'] }, { required: ['x-user'] }] } } },
  ],
};

export const entityMetaSchema = {
  type: 'object',
  required: ['$id', 'type', 'properties', 'x-label'],
  properties: {
    $id: camelId,
    type: { const: 'object' },
    'x-label': label,
    'x-module': { type: 'string' },
    'x-requirements': requirementsSchema,
    'x-scope': { enum: ['lab', 'org', 'global'] },
    'x-title': { type: 'string' },
    // What tells records apart in a reference picker besides the title (customer: code, birth date; a vial: position, status).
    'x-picker-fields': { type: 'array', items: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,47}$' }, uniqueItems: true, maxItems: 4 },
    // Records a reference picker offers disabled ({"status": ["underRepair", "scrapped"]}): a hint, the server decides.
    'x-picker-disabled': {
      type: 'object', minProperties: 1, maxProperties: 4, propertyNames: { pattern: '^[a-z][a-zA-Z0-9]{0,47}$' },
      additionalProperties: { type: 'array', minItems: 1, maxItems: 50, items: { type: ['string', 'number', 'boolean'] } },
    },
    'x-reason-required': { type: 'boolean' },
    // The field that says when a record happened, for trace timelines and room-excursion recalls (default createdAt).
    'x-trace-at': { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,47}$' },
    // A product a recall reports (a preparation, a handover); `patient` names the field holding its customer.
    'x-trace-product': { type: 'object', additionalProperties: false, properties: { patient: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,47}$' } } },
    // Extra tabs on the record page, each a plugin widget ("plugin:Widget") given the record.
    'x-record-tabs': {
      type: 'array', maxItems: 6,
      items: {
        type: 'object', required: ['key', 'label', 'widget'], additionalProperties: false,
        properties: { key: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,31}$' }, label, widget: { type: 'string', pattern: '^[a-z][a-z0-9-]*:[A-Za-z][A-Za-z0-9]*$' } },
      },
    },
    required: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    properties: {
      type: 'object',
      propertyNames: { pattern: '^[a-z][a-zA-Z0-9]{0,47}$', not: { enum: ['id', 'version', 'createdAt', 'createdBy', 'updatedAt', 'updatedBy', 'orgId', 'labId', 'deletedAt'] } },
      additionalProperties: fieldSchema,
      minProperties: 1,
    },
    allOf: { type: 'array' },
  },
};

const fieldList = { type: 'array', items: { type: 'string' }, uniqueItems: true };
const section = {
  type: 'object',
  required: ['key', 'fields'],
  properties: {
    key: { type: 'string' },
    title: label,
    layout: { enum: ['card', 'tab'] },
    columns: { type: 'integer', minimum: 1, maximum: 4 },
    fields: fieldList,
  },
  additionalProperties: false,
};

export const formMetaSchema = {
  type: 'object',
  required: ['$id', 'entity', 'sections'],
  properties: {
    $id: { type: 'string' },
    kind: { const: 'form' },
    entity: camelId,
    label,
    'x-requirements': requirementsSchema,
    discriminator: { type: 'string' },
    sections: { type: 'array', items: section },
    variants: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'when', 'sections'],
        properties: { key: { type: 'string' }, when: { type: 'object' }, label, sections: { type: 'array', items: section } },
        additionalProperties: false,
      },
    },
    widgets: { type: 'object', additionalProperties: { type: 'string' } },
    defaults: { type: 'object' },
  },
  additionalProperties: false,
};

export const listMetaSchema = {
  type: 'object',
  required: ['$id', 'entity', 'columns'],
  properties: {
    $id: { type: 'string' },
    kind: { const: 'list' },
    entity: camelId,
    label,
    'x-requirements': requirementsSchema,
    columns: fieldList,
    defaultSort: { type: 'array', items: { type: 'string', pattern: '^-?[a-zA-Z][a-zA-Z0-9.]*$' } },
    defaultFilter: { type: 'object' },
    quickSearch: fieldList,
    indexes: { type: 'array', items: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 6 } },
    pageSize: { type: 'integer', minimum: 10, maximum: 1000 },
  },
  additionalProperties: false,
};

export const dictionaryMetaSchema = {
  type: 'object',
  required: ['$id', 'label', 'items'],
  properties: {
    $id: camelId,
    kind: { const: 'dictionary' },
    label,
    'x-requirements': requirementsSchema,
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'label'],
        properties: {
          code: { type: 'string', minLength: 1, maxLength: 40 },
          abbr: { type: 'string', maxLength: 10 },
          label,
          enabled: { type: 'boolean' },
          order: { type: 'integer' },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

const menuItem: Record<string, unknown> = {
  type: 'object',
  required: ['key', 'label'],
  properties: {
    key: { type: 'string' },
    label,
    'x-requirements': requirementsSchema,
    list: { type: 'string' },
    form: { type: 'string' },
    page: { type: 'string' },
    // A platform screen of the web app (the recall screen: /trace/recall).
    path: { type: 'string', pattern: '^/[a-z0-9/-]*$' },
    icon: { type: 'string' },
    children: { type: 'array', items: { $ref: '#/$defs/item' } },
  },
  additionalProperties: false,
};

export const menuMetaSchema = {
  type: 'object',
  required: ['$id', 'label', 'items'],
  $defs: { item: menuItem },
  properties: {
    $id: { type: 'string' },
    kind: { const: 'menu' },
    label,
    'x-requirements': requirementsSchema,
    order: { type: 'integer' },
    icon: { type: 'string' },
    items: { type: 'array', items: { $ref: '#/$defs/item' } },
  },
  additionalProperties: false,
};
