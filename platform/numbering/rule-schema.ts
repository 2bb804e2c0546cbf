import type { Registry, SegmentPattern } from './registry';
import { segmentRegistry } from './segments';
import { requirementsSchema } from '../metadata/meta-schemas';

const localizedText = {
  type: 'object',
  properties: { 'zh-CN': { type: 'string' }, en: { type: 'string' } },
  additionalProperties: false,
  minProperties: 1,
};

/** JSON Schema of one segment type: its `type` const plus the options it registered. */
export function segmentSchema(type: string, pattern: SegmentPattern): Record<string, unknown> {
  return {
    type: 'object',
    properties: { type: { const: type }, ...pattern.options.properties },
    required: ['type', ...(pattern.options.required ?? [])],
    additionalProperties: false,
  };
}

/**
 * JSON Schema of a numbering rule (metadata kind "numbering"), built from the registry so a new segment type
 * is accepted as soon as it is registered. Uses only keywords ajv's default (draft-07) class and draft 2020-12 share.
 */
export function buildNumberingRuleSchema(registry: Registry<SegmentPattern> = segmentRegistry): Record<string, unknown> {
  return {
    title: 'Numbering rule',
    type: 'object',
    properties: {
      $id: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]*$', maxLength: 64 },
      kind: { const: 'numbering' },
      label: localizedText,
      description: localizedText,
      'x-requirements': requirementsSchema,
      separator: { type: 'string', maxLength: 3 },
      segments: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        items: { oneOf: registry.entries().map(([type, pattern]) => segmentSchema(type, pattern)) },
        // Exactly one is checked in code (maxContains is not in ajv's default class).
        contains: { type: 'object', properties: { type: { const: 'sequence' } }, required: ['type'] },
      },
    },
    required: ['$id', 'kind', 'segments'],
    patternProperties: { '^x-': {} },
    additionalProperties: false,
  };
}

/** The rule schema with the built-in segment types; the lead registers it as the "numbering" meta-schema. */
export const numberingRuleSchema = buildNumberingRuleSchema();
