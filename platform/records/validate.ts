import type { ValidateFunction } from 'ajv';
import { createAjv, localizeErrors } from '../metadata/ajv';
import { ValidationError, type ErrorDetail } from '../errors';
import type { EntityDef, Model } from '../metadata/model';
import { t, type Lang } from '../i18n';

/** The entity's JSON Schema as the server checks input: no unknown fields; generated numbers are not required. */
export function inputSchema(e: EntityDef): Record<string, any> {
  const s = JSON.parse(JSON.stringify(e.schema));
  delete s.$id;
  const generated = new Set([...e.fields.values()].filter((f) => f.numbering).map((f) => f.name));
  s.required = (s.required ?? []).filter((r: string) => !generated.has(r));
  s.additionalProperties = false;
  for (const f of e.fields.values()) if (f.kind === 'multiReference') s.properties[f.name].items ??= { type: 'integer' };
  return s;
}

/** One ajv instance and one compiled validator per entity per metadata version. */
export function validatorFor(model: Model, e: EntityDef): ValidateFunction {
  const ajv = model.memo('ajv', () => createAjv());
  return model.memo(`validator:${e.name}`, () => ajv.compile(inputSchema(e)));
}

export function validateRecord(model: Model, e: EntityDef, record: Record<string, unknown>): void {
  const v = validatorFor(model, e);
  const problems: Record<Lang, ErrorDetail[]> = v(record) ? { 'zh-CN': [], en: [] } : localizeErrors(v.errors);
  // Dictionary codes: only enabled entries for new values; a disabled entry stays valid on records that carry it.
  const dictProblems = checkDictionaries(model, e, record);
  for (const lang of ['zh-CN', 'en'] as Lang[]) {
    for (const d of dictProblems) problems[lang].push({ path: d.path, message: t(lang, 'error.dictionaryCode', { dictionary: d.dictionary }) });
  }
  if (problems.en.length) throw new ValidationError(problems);
}

function checkDictionaries(model: Model, e: EntityDef, record: Record<string, unknown>, previous?: Record<string, unknown>) {
  const out: { path: string; dictionary: string }[] = [];
  for (const f of e.fields.values()) {
    if (f.kind !== 'dictionary') continue;
    const v = record[f.name];
    if (v === undefined || v === null || (previous && previous[f.name] === v)) continue;
    const dict = model.set.dictionary?.[f.dictionary!];
    const ok = dict?.items?.some((i: any) => i.code === v && i.enabled !== false);
    if (!ok) out.push({ path: `/${f.name}`, dictionary: f.dictionary! });
  }
  return out;
}

export function validateUpdate(model: Model, e: EntityDef, merged: Record<string, unknown>, previous: Record<string, unknown>): void {
  const v = validatorFor(model, e);
  const problems: Record<Lang, ErrorDetail[]> = v(merged) ? { 'zh-CN': [], en: [] } : localizeErrors(v.errors);
  for (const d of checkDictionaries(model, e, merged, previous))
    for (const lang of ['zh-CN', 'en'] as Lang[]) problems[lang].push({ path: d.path, message: t(lang, 'error.dictionaryCode', { dictionary: d.dictionary }) });
  if (problems.en.length) throw new ValidationError(problems);
}
