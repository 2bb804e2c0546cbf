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

/** Keywords about what is missing: a before-hook may still fill those in, so the early check leaves them out. */
const COMPLETENESS = new Set(['required', 'dependentRequired', 'if', 'then', 'else', 'allOf', 'anyOf', 'oneOf']);

/**
 * `early`: the check before the before-hooks run: wrong types and values fail at once with the client's own
 * errors, while missing fields (which a hook may set) are left to the final check of the record as it will be written.
 */
export function validateRecord(model: Model, e: EntityDef, record: Record<string, unknown>, opts: { early?: boolean; basePath?: string } = {}): void {
  const v = validatorFor(model, e);
  // Early: only wrong values stop the write here, but then with every error, missing fields included.
  const errors = v(record) || (opts.early && (v.errors ?? []).every((x) => COMPLETENESS.has(x.keyword))) ? [] : (v.errors ?? []);
  const problems: Record<Lang, ErrorDetail[]> = errors.length ? localizeErrors(errors, opts.basePath) : { 'zh-CN': [], en: [] };
  // Dictionary codes: only enabled entries for new values; a disabled entry stays valid on records that carry it.
  const dictProblems = checkDictionaries(model, e, record);
  for (const lang of ['zh-CN', 'en'] as Lang[]) {
    for (const d of dictProblems) problems[lang].push({ path: (opts.basePath ?? '') + d.path, message: t(lang, 'error.dictionaryCode', { dictionary: d.dictionary }) });
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

export function validateUpdate(model: Model, e: EntityDef, merged: Record<string, unknown>, previous: Record<string, unknown>, opts: { early?: boolean } = {}): void {
  const v = validatorFor(model, e);
  const errors = v(merged) || (opts.early && (v.errors ?? []).every((x) => COMPLETENESS.has(x.keyword))) ? [] : (v.errors ?? []);
  const problems: Record<Lang, ErrorDetail[]> = errors.length ? localizeErrors(errors) : { 'zh-CN': [], en: [] };
  for (const d of checkDictionaries(model, e, merged, previous))
    for (const lang of ['zh-CN', 'en'] as Lang[]) problems[lang].push({ path: d.path, message: t(lang, 'error.dictionaryCode', { dictionary: d.dictionary }) });
  if (problems.en.length) throw new ValidationError(problems);
}
