import type { ValidateFunction } from 'ajv';
import { createAjv, localizeErrors } from '../metadata/ajv';
import { ValidationError, type ErrorDetail } from '../errors';
import type { EntityDef, Model } from '../metadata/model';
import { t, type Lang } from '../i18n';
import { isFuture } from '../metadata/json-schema-dialect';

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
    for (const f of futureDates(e, record)) problems[lang].push({ path: `${opts.basePath ?? ''}/${f}`, message: t(lang, 'validation.notFuture') });
  }
  if (problems.en.length) throw new ValidationError(problems);
}

/** Fields marked `x-not-future` whose date lies after today (a birth date, a sampling time). */
function futureDates(e: EntityDef, record: Record<string, unknown>): string[] {
  const marked = [...e.fields.values()].filter((f) => e.schema.properties?.[f.name]?.['x-not-future'] === true);
  return marked.filter((f) => isFuture(record[f.name])).map((f) => f.name);
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
  // A value stored before a format rule existed (an old ID number) is not judged again while it stays unchanged:
  // editing another field of the record must still work.
  const unchanged = (path: string) => {
    const f = path.split('/')[1];
    return !!f && JSON.stringify(merged[f] ?? null) === JSON.stringify(previous[f] ?? null);
  };
  const errors = (v(merged) || (opts.early && (v.errors ?? []).every((x) => COMPLETENESS.has(x.keyword))) ? [] : (v.errors ?? [])).filter(
    (x) => !(x.keyword === 'format' && unchanged(x.instancePath)),
  );
  const problems: Record<Lang, ErrorDetail[]> = errors.length ? localizeErrors(errors) : { 'zh-CN': [], en: [] };
  for (const d of checkDictionaries(model, e, merged, previous))
    for (const lang of ['zh-CN', 'en'] as Lang[]) problems[lang].push({ path: d.path, message: t(lang, 'error.dictionaryCode', { dictionary: d.dictionary }) });
  for (const f of futureDates(e, merged).filter((f) => !unchanged(`/${f}`)))
    for (const lang of ['zh-CN', 'en'] as Lang[]) problems[lang].push({ path: `/${f}`, message: t(lang, 'validation.notFuture') });
  if (problems.en.length) throw new ValidationError(problems);
}
