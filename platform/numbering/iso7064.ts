const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*';

/**
 * ISO/IEC 7064 MOD 37-2 check character, as ISBT 128 uses it for donation identification numbers.
 * Only ASCII letters and digits count (letters case-insensitively); separators and other characters are skipped,
 * so "G1234 98 654321" and "G123498654321" get the same check character ("H").
 */
export function iso7064Mod37_2(input: string): string {
  let p = 0;
  for (const ch of input.toUpperCase()) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0 || v > 35) continue;
    p = ((p + v) * 2) % 37;
  }
  return ALPHABET[(38 - p) % 37];
}
