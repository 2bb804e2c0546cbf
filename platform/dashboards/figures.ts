import type { CallContext } from '../context';
import type { Services } from '../services';

/**
 * A figure a plugin computes for dashboard tiles (`source: {figure: "plugin:name"}`): what the aggregation API
 * cannot say (tank utilisation from the position table, stock below minimum from the ledger's balances). The
 * platform checks read permission on `entity` before calling `compute`, which must read through the caller's scope
 * (api.scopedQuery); the tile opens `entity`'s list filtered by `drill`.
 */
export interface FigureValue {
  /** The headline number (a count, a percentage). */
  value: number | null;
  /** A breakdown, one bar per row (a device, a lab). */
  rows?: { label: string; value: number; drill?: Record<string, unknown> }[];
  /** The list filter of the records behind the figure. */
  drill?: Record<string, unknown>;
  /** `%` or a unit label. */
  unit?: string;
}

export interface FigureDef {
  entity: string;
  /** What the designer offers it as. */
  label?: { 'zh-CN': string; en?: string };
  compute(ctx: CallContext): Promise<FigureValue>;
}

const figures = new WeakMap<Services, Map<string, FigureDef>>();

export function figureRegistry(s: Services): Map<string, FigureDef> {
  let m = figures.get(s);
  if (!m) figures.set(s, (m = new Map()));
  return m;
}
