/** Pure QC judgement: a value against specification, action and alert bands. */
export interface Band {
  min?: number;
  max?: number;
  equals?: string | number | boolean;
  in?: unknown[];
}

export interface SpecItem {
  field: string;
  spec: Band;
  alert?: Band;
  action?: Band;
  required?: boolean;
}

export interface Finding {
  field: string;
  value: unknown;
  band: 'spec' | 'action' | 'alert' | 'missing';
  limit: Band | null;
}

const isMissing = (v: unknown) => v === undefined || v === null || v === '';

/** True when the value lies inside the band (numbers may arrive as numeric strings from PostgreSQL). */
export function within(value: unknown, b: Band): boolean {
  if (b.equals !== undefined && value !== b.equals && String(value) !== String(b.equals)) return false;
  if (b.in && !b.in.some((x) => String(x) === String(value))) return false;
  if (b.min !== undefined || b.max !== undefined) {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(n)) return false;
    if (b.min !== undefined && n < b.min) return false;
    if (b.max !== undefined && n > b.max) return false;
  }
  return true;
}

/**
 * pass: every required item present and inside spec and action bands; fail: any present value outside them;
 * pending: nothing failed but a required value is still missing. Alerts never fail a record.
 */
export function evaluate(record: Record<string, unknown>, items: SpecItem[]): { result: 'pass' | 'fail' | 'pending'; deviations: Finding[]; alerts: Finding[] } {
  const deviations: Finding[] = [];
  const alerts: Finding[] = [];
  let missing = false;
  for (const it of items) {
    const v = record[it.field];
    if (isMissing(v)) {
      if (it.required !== false) {
        missing = true;
        alerts.push({ field: it.field, value: null, band: 'missing', limit: null });
      }
      continue;
    }
    if (!within(v, it.spec)) deviations.push({ field: it.field, value: v, band: 'spec', limit: it.spec });
    else if (it.action && !within(v, it.action)) deviations.push({ field: it.field, value: v, band: 'action', limit: it.action });
    else if (it.alert && !within(v, it.alert)) alerts.push({ field: it.field, value: v, band: 'alert', limit: it.alert });
  }
  return { result: deviations.length ? 'fail' : missing ? 'pending' : 'pass', deviations, alerts };
}

/** The spec for a QC record: the named one, else the type's cell-type specific one, else the type's general one. */
export function pickSpec(specs: Record<string, any>, qcType: string, cellType: string | undefined, named?: string): any | undefined {
  if (named) return Object.hasOwn(specs, named) ? specs[named] : undefined; // a name like 'toString' is no spec
  const ofType = Object.values(specs).filter((s: any) => s.qcType === qcType);
  return ofType.find((s: any) => cellType && s.cellTypes?.includes(cellType)) ?? ofType.find((s: any) => !s.cellTypes?.length);
}

export function describeBand(b: Band | null): string {
  if (!b) return '';
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`≥ ${b.min}`);
  if (b.max !== undefined) parts.push(`≤ ${b.max}`);
  if (b.equals !== undefined) parts.push(`= ${b.equals}`);
  if (b.in) parts.push(`∈ {${b.in.join(', ')}}`);
  return parts.join(', ');
}
