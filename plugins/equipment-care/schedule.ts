/**
 * Due-date arithmetic of maintenance and calibration plans, on calendar dates (`YYYY-MM-DD`), no time zone
 * games: a calendar month keeps the day of the month and clamps to the month's end (Jan 31 + 1 month = Feb 28/29;
 * occurrences are counted from the first due date, so Jan 31 + 2 months is Mar 31, never a drifted Mar 28).
 */
export type IntervalUnit = 'day' | 'month';
export type PlanType = 'maintenance' | 'calibration' | 'qualification' | 'cleaning';

export interface PlanLike {
  planType: PlanType;
  intervalValue: number;
  intervalUnit: IntervalUnit;
  scheduleMode: 'fixed' | 'fromLast';
  startDate: string;
  remindDays?: number | null;
  active?: boolean;
  nextDueDate?: string | null;
  lastResult?: 'pass' | 'fail' | null;
  lastDoneDate?: string | null;
  name?: string;
  id?: number;
}

/** The last signed record of a plan: when it was done and which due date it fulfilled. */
export interface Completion {
  performedDate: string;
  dueDate?: string | null;
  result?: 'pass' | 'fail';
}

const parse = (d: string) => {
  const [y, m, day] = d.slice(0, 10).split('-').map(Number);
  return { y, m, day };
};
const fmt = (y: number, m: number, d: number) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

export function addDays(date: string, n: number): string {
  const { y, m, day } = parse(date);
  const t = new Date(Date.UTC(y, m - 1, day + n));
  return fmt(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

export function addMonths(date: string, n: number): string {
  const { y, m, day } = parse(date);
  const idx = y * 12 + (m - 1) + n;
  const ny = Math.floor(idx / 12);
  const nm = (idx % 12) + 1;
  return fmt(ny, nm, Math.min(day, daysIn(ny, nm)));
}

export const addInterval = (date: string, n: number, unit: IntervalUnit) => (unit === 'month' ? addMonths(date, n) : addDays(date, n));

export function daysBetween(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  return Math.round((Date.UTC(y.y, y.m - 1, y.day) - Date.UTC(x.y, x.m - 1, x.day)) / 86400_000);
}

/** The k-th due date of a fixed plan (k = 0 is the first due date). */
export const occurrence = (p: PlanLike, k: number) => addInterval(p.startDate, k * p.intervalValue, p.intervalUnit);

/**
 * The next due date from the last completion:
 * - none yet: the first due date;
 * - from last completion: the completion date plus one interval;
 * - fixed: the first occurrence after both the due date the completion fulfilled and the completion date (done
 *   early, the schedule does not move; done late, missed occurrences are not owed twice).
 * A failed calibration fulfils nothing: the caller passes the last passing completion.
 */
export function nextDue(p: PlanLike, last?: Completion | null): string {
  if (!last) return p.startDate;
  if (p.scheduleMode === 'fromLast') return addInterval(last.performedDate, p.intervalValue, p.intervalUnit);
  const floor = [last.dueDate ?? p.startDate, last.performedDate].sort().pop()!;
  // A first guess from the elapsed time, then step to the first occurrence strictly after the floor.
  const span = p.intervalUnit === 'day' ? daysBetween(p.startDate, floor) / p.intervalValue : (daysBetween(p.startDate, floor) / 30.44) / p.intervalValue;
  let k = Math.max(0, Math.floor(span) - 1);
  while (k > 0 && occurrence(p, k) > floor) k--;
  while (occurrence(p, k) <= floor) k++;
  return occurrence(p, k);
}

export const CALIBRATION_TYPES: PlanType[] = ['calibration', 'qualification'];

export type ServiceState = 'ok' | 'dueSoon' | 'maintenanceOverdue' | 'outOfCalibration' | 'noPlan';

export interface Finding {
  state: ServiceState;
  plan?: PlanLike;
}

/** What an asset's active plans say today: the worst finding first (out of calibration, overdue, due soon). */
export function serviceState(plans: PlanLike[], today: string): { state: ServiceState; nextDueDate: string | null; plan?: PlanLike } {
  const active = plans.filter((p) => p.active !== false);
  if (!active.length) return { state: 'noPlan', nextDueDate: null };
  const nextDueDate = active.map((p) => p.nextDueDate).filter((d): d is string => !!d).sort()[0] ?? null;
  const cal = active.filter((p) => CALIBRATION_TYPES.includes(p.planType));
  const failed = cal.find((p) => p.lastResult === 'fail');
  if (failed) return { state: 'outOfCalibration', nextDueDate, plan: failed };
  const calLate = cal.find((p) => p.nextDueDate && p.nextDueDate < today);
  if (calLate) return { state: 'outOfCalibration', nextDueDate, plan: calLate };
  const late = active.find((p) => p.nextDueDate && p.nextDueDate < today);
  if (late) return { state: 'maintenanceOverdue', nextDueDate, plan: late };
  const soon = active.find((p) => p.nextDueDate && addDays(p.nextDueDate, -(p.remindDays ?? 7)) <= today);
  if (soon) return { state: 'dueSoon', nextDueDate, plan: soon };
  return { state: 'ok', nextDueDate };
}

/** Today's calendar date where the server runs (the lab's clock). */
export function today(now = new Date()): string {
  return fmt(now.getFullYear(), now.getMonth() + 1, now.getDate());
}
