// Safe keys from what an admin types: a Chinese label becomes a camelCase ASCII id by its pinyin ("细胞活率" →
// "xiBaoHuoLv"), unique among the ids already taken. The pinyin dictionary (pinyin-pro, ~320 KB) is loaded on
// first use only, so opening a designer does not wait for it.
import { useEffect, useState } from 'react';

/** Turns a run of Han characters into toneless syllables (pinyin-pro's `pinyin(…, {type: 'array'})`). */
export type PinyinFn = (han: string) => string[];

const HAN = /\p{Script=Han}+/u;
/** Names the record pipeline keeps for itself (platform/metadata/meta-schemas.ts, entity properties). */
export const RESERVED_FIELDS = ['id', 'version', 'createdAt', 'createdBy', 'updatedAt', 'updatedBy', 'orgId', 'labId', 'deletedAt'];

/** Words of a label: ASCII letter/digit runs as they are, Han runs as pinyin syllables; the rest separates. */
export function labelWords(text: string, pinyin: PinyinFn): string[] {
  const out: string[] = [];
  for (const part of text.normalize('NFKC').split(/(\p{Script=Han}+)/u)) {
    if (!part) continue;
    if (HAN.test(part)) out.push(...pinyin(part).map((s) => s.replace(/ü/g, 'v').replace(/[^a-zA-Z]/g, '')).filter(Boolean));
    else out.push(...(part.match(/[A-Za-z0-9]+/g) ?? []));
  }
  return out;
}

export interface IdRules {
  /** Longest id (the meta-schemas allow 48 for fields and entities, 64 for roles and states). */
  max?: number;
  /** Prefix when the words give nothing usable (only symbols, or a leading digit). */
  fallback?: string;
}

/** `^[a-z][a-zA-Z0-9]*$`, not reserved, not a `ct…` platform name, not taken. */
export function isSafeId(id: string, taken: Iterable<string> = [], max = 48): boolean {
  const t = new Set(taken);
  return new RegExp(`^[a-z][a-zA-Z0-9]{0,${max - 1}}$`).test(id) && !/^ct[A-Z_]/.test(id) && !RESERVED_FIELDS.includes(id) && !t.has(id);
}

/** camelCase of the words, made safe and unique (`name`, `name2`, `name3`…). */
export function idFromWords(words: string[], taken: Iterable<string> = [], rules: IdRules = {}): string {
  const max = rules.max ?? 48;
  const fallback = rules.fallback ?? 'field';
  let base = words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
  if (!/^[a-z]/.test(base)) base = fallback + base.charAt(0).toUpperCase() + base.slice(1);
  if (/^ct[A-Z_]/.test(base) || RESERVED_FIELDS.includes(base)) base = fallback + base.charAt(0).toUpperCase() + base.slice(1);
  base = base.slice(0, max - 3);
  const t = new Set(taken);
  if (isSafeId(base, t, max)) return base;
  for (let n = 2; ; n++) if (isSafeId(`${base}${n}`, t, max)) return `${base}${n}`;
}

/** The id a label suggests. */
export function idFromLabel(label: string, pinyin: PinyinFn, taken: Iterable<string> = [], rules: IdRules = {}): string {
  return idFromWords(labelWords(label, pinyin), taken, rules);
}

let loaded: Promise<PinyinFn> | undefined;
export function loadPinyin(): Promise<PinyinFn> {
  loaded ??= import('pinyin-pro').then((m) => (han: string) => m.pinyin(han, { toneType: 'none', type: 'array', v: true }));
  return loaded;
}

/** The pinyin function once its dictionary has loaded (null until then; ids are then suggested from ASCII only). */
export function usePinyin(): PinyinFn | null {
  const [fn, setFn] = useState<PinyinFn | null>(null);
  useEffect(() => {
    let live = true;
    void loadPinyin().then((f) => live && setFn(() => f));
    return () => {
      live = false;
    };
  }, []);
  return fn;
}

/** Without the dictionary: Han characters give no words (the fallback prefix and a number are used). */
export const NO_PINYIN: PinyinFn = () => [];
