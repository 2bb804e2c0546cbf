// RJSF's validator for the forms: the interpreting Ajv of ./interpreter with messages in the UI language.
import { customizeValidator } from '@rjsf/validator-ajv8';
import i18n from '../i18n';
import type { Meta } from '../meta';
import { interpretingAjv, webAjvOptions } from './interpreter';

const InterpretingAjv = interpretingAjv((keyword, params, fallback) => {
  // A named format (resident ID number, phone) says what is wrong; other formats: "wrong format".
  const named = keyword === 'format' ? `validation.formats.${String(params.format)}` : '';
  if (named && i18n.exists(named)) return i18n.t(named);
  const key = `validation.${keyword}`;
  return i18n.exists(key) ? i18n.t(key, params) : fallback;
});

let cached: { meta: Meta; v: ReturnType<typeof customizeValidator> } | null = null;

/** One validator per metadata version; every `x-` keyword is registered as an annotation. */
export function validatorFor(meta: Meta) {
  if (cached?.meta === meta) return cached.v;
  const v = customizeValidator({ AjvClass: InterpretingAjv, ajvOptionsOverrides: webAjvOptions(meta.entities), ajvFormatOptions: false });
  cached = { meta, v };
  return v;
}
