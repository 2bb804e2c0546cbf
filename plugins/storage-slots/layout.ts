/**
 * Box geometry. Every position has ONE canonical (row, col), 1-based from the top-left as the box is
 * drawn; the position number (ordinal) and the labels follow the box type's numbering order and the
 * corner where position 1 sits, so the map matches the physical box whatever the maker chose.
 */
export type FillOrder = 'rowMajor' | 'columnMajor';
export type Origin = 'topLeft' | 'topRight' | 'bottomLeft' | 'bottomRight';
export type AxisLabels = 'numbers' | 'letters';

export interface BoxLayout {
  rows: number;
  cols: number;
  fillOrder?: FillOrder;
  origin?: Origin;
  rowLabels?: AxisLabels;
  colLabels?: AxisLabels;
}

const fromBottom = (o?: Origin) => o === 'bottomLeft' || o === 'bottomRight';
const fromRight = (o?: Origin) => o === 'topRight' || o === 'bottomRight';

/** Position number 1..rows*cols of (row, col). Column-major steps by `rows` (not `cols`), so non-square boxes have no gaps. */
export function ordinalOf(row: number, col: number, l: BoxLayout): number {
  const r = fromBottom(l.origin) ? l.rows - row + 1 : row;
  const c = fromRight(l.origin) ? l.cols - col + 1 : col;
  return l.fillOrder === 'columnMajor' ? (c - 1) * l.rows + r : (r - 1) * l.cols + c;
}

/** Inverse of ordinalOf. */
export function positionOf(ordinal: number, l: BoxLayout): { row: number; col: number } {
  const i = ordinal - 1;
  let r: number;
  let c: number;
  if (l.fillOrder === 'columnMajor') {
    c = Math.floor(i / l.rows) + 1;
    r = (i % l.rows) + 1;
  } else {
    r = Math.floor(i / l.cols) + 1;
    c = (i % l.cols) + 1;
  }
  return { row: fromBottom(l.origin) ? l.rows - r + 1 : r, col: fromRight(l.origin) ? l.cols - c + 1 : c };
}

/** 1 → A, 26 → Z, 27 → AA. */
export function letters(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/** Axis labels count from the corner of position 1, as printed on the box. */
export function rowLabel(row: number, l: BoxLayout): string {
  const n = fromBottom(l.origin) ? l.rows - row + 1 : row;
  return l.rowLabels === 'letters' ? letters(n) : String(n);
}

export function colLabel(col: number, l: BoxLayout): string {
  const n = fromRight(l.origin) ? l.cols - col + 1 : col;
  return l.colLabels === 'letters' ? letters(n) : String(n);
}

/** "A5" when one axis uses letters, "3-5" when both are numbers. */
export function positionLabel(row: number, col: number, l: BoxLayout): string {
  // A cane (one column) or a goblet (one row) is numbered along its only axis.
  if (l.cols === 1) return rowLabel(row, l);
  if (l.rows === 1) return colLabel(col, l);
  const a = rowLabel(row, l);
  const b = colLabel(col, l);
  return l.rowLabels === 'letters' || l.colLabels === 'letters' ? `${a}${b}` : `${a}-${b}`;
}

/** The same numbering as ordinalOf, as SQL over a storage_box row `b` and series values `r`, `c` (set-based creation). */
export const ORDINAL_SQL = `case when b.fill_order = 'columnMajor'
  then ((case when b.origin in ('topRight','bottomRight') then b.cols - c.c + 1 else c.c end) - 1) * b.rows
       + (case when b.origin in ('bottomLeft','bottomRight') then b.rows - r.r + 1 else r.r end)
  else ((case when b.origin in ('bottomLeft','bottomRight') then b.rows - r.r + 1 else r.r end) - 1) * b.cols
       + (case when b.origin in ('topRight','bottomRight') then b.cols - c.c + 1 else c.c end) end`;
