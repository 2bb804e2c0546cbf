// The field types a business admin picks from, and how each maps to the entity's JSON Schema property.
import type { FieldSchema } from '../meta';

export const FIELD_TYPES = ['text', 'longText', 'integer', 'number', 'decimal', 'boolean', 'date', 'dateTime', 'dictionary', 'reference', 'attachment'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export function fieldType(p: FieldSchema): FieldType {
  if (p['x-ref']) return 'reference';
  if (p['x-dictionary']) return 'dictionary';
  if (p['x-type'] === 'attachment') return 'attachment';
  if (p['x-type'] === 'text') return 'longText';
  if (p.format === 'date') return 'date';
  if (p.format === 'date-time') return 'dateTime';
  if (p.type === 'integer') return 'integer';
  if (p.type === 'number') return p['x-precision'] ? 'decimal' : 'number';
  if (p.type === 'boolean') return 'boolean';
  return 'text';
}

/** A new property of the given type, keeping the label and the type-independent options. */
export function propertyFor(type: FieldType, prev: FieldSchema = {}, target?: string): FieldSchema {
  const keep: FieldSchema = {};
  for (const k of ['x-label', 'x-unique', 'x-trace', 'readOnly']) if (prev[k] !== undefined) keep[k] = prev[k];
  switch (type) {
    case 'text': return { type: 'string', maxLength: typeof prev.maxLength === 'number' ? prev.maxLength : 200, ...keep };
    case 'longText': return { type: 'string', 'x-type': 'text', ...keep };
    case 'integer': return { type: 'integer', ...keep };
    case 'number': return { type: 'number', ...keep };
    case 'decimal': return { type: 'number', 'x-precision': 18, 'x-scale': 4, ...keep };
    case 'boolean': return { type: 'boolean', ...keep };
    case 'date': return { type: 'string', format: 'date', ...keep };
    case 'dateTime': return { type: 'string', format: 'date-time', ...keep };
    case 'dictionary': return { type: 'string', 'x-dictionary': target ?? (prev['x-dictionary'] as string) ?? '', ...keep };
    case 'reference': return { type: 'integer', 'x-ref': target ?? (prev['x-ref'] as string) ?? '', ...keep };
    case 'attachment': return { type: 'array', 'x-type': 'attachment', items: { type: 'object' }, ...keep };
  }
}
