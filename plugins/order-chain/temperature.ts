import { VetoError } from '../../platform/plugins/sdk';

export interface Reading { at: string; celsius: number }

/**
 * A data logger's CSV export: one reading per line, "time,temperature" (comma, semicolon or tab; a header line and
 * unit suffixes like "4.2°C" are tolerated). Times without a zone are the server's local time, as loggers write them.
 */
export function parseLog(csv: string): Reading[] {
  const out: Reading[] = [];
  const lines = csv.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const cells = line.split(/[,;\t]/).map((c) => c.trim().replace(/^"|"$/g, ''));
    const temp = cells.length >= 2 ? Number(cells[cells.length - 1].replace(/\s*(°\s*C|℃|C)$/i, '')) : NaN;
    const at = cells.length >= 2 ? new Date(cells.slice(0, cells.length - 1).join(' ').replace(/\//g, '-').replace(/^(\d{4}-\d\d?-\d\d?)\s+/, '$1T')) : new Date(NaN);
    if (!Number.isFinite(temp) || Number.isNaN(at.getTime())) {
      if (!out.length && i < 3) continue; // header lines
      throw new VetoError('chain.badCsv', { line: i + 1 }, '/csv');
    }
    if (temp < -200 || temp > 100) throw new VetoError('chain.badCsv', { line: i + 1 }, '/csv');
    out.push({ at: at.toISOString(), celsius: Math.round(temp * 100) / 100 });
  }
  if (!out.length) throw new VetoError('chain.emptyCsv', {}, '/csv');
  // One reading per instant (a logger repeats a line on restart).
  return [...new Map(out.map((r) => [r.at, r])).values()].sort((a, b) => a.at.localeCompare(b.at));
}

export interface Excursion { excursion: boolean; min: number | null; max: number | null; out: number }

/** Readings (and the box temperature at dispatch) against the product's allowed range. */
export function excursionOf(readings: { celsius: number }[], box: number | null | undefined, lo: number | null | undefined, hi: number | null | undefined): Excursion {
  const all = [...readings.map((r) => Number(r.celsius)), ...(box == null ? [] : [Number(box)])];
  const outside = (t: number) => (lo != null && t < Number(lo)) || (hi != null && t > Number(hi));
  const n = all.filter(outside).length;
  return { excursion: n > 0, min: all.length ? Math.min(...all) : null, max: all.length ? Math.max(...all) : null, out: n };
}
