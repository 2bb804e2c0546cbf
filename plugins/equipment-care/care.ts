import type { Knex } from 'knex';
import { VetoError, label, t, type CallContext, type EntityDef, type Lang, type PluginApi, type Records } from '../../platform/plugins/sdk';
import { CALIBRATION_TYPES, nextDue, serviceState, today, type Completion, type PlanLike } from './schedule';

/** The fields of an entity that name equipment and ask for the gate: `x-equipment-gate: true` on a reference to `equipment`. */
export function gatedFields(api: PluginApi, e: EntityDef): { name: string; multi: boolean }[] {
  return api.model.memo(`equipmentGate:${e.name}`, () =>
    [...e.fields.values()]
      .filter((f) => f.schema['x-equipment-gate'] === true && f.ref === 'equipment')
      .map((f) => ({ name: f.name, multi: f.schema.type === 'array' })),
  );
}

export const idsOf = (v: unknown): number[] => (Array.isArray(v) ? v : v == null || v === '' ? [] : [v]).map(Number).filter((n) => Number.isInteger(n) && n > 0);

export function enumLabel(api: PluginApi, entity: string, field: string, value: unknown, lang: Lang): string {
  const labels = api.model.entity(entity)?.fields.get(field)?.schema['x-enum-labels'];
  return value != null && labels?.[String(value)] ? label(labels[String(value)], lang) : String(value ?? '');
}

const PLAN_FIELDS = ['id', 'version', 'equipment', 'planType', 'name', 'intervalValue', 'intervalUnit', 'scheduleMode', 'startDate', 'remindDays', 'active', 'nextDueDate', 'lastResult', 'lastDoneDate', 'assignee'];

/** All plans of some assets (as the system: the gate asks whether an asset is usable, whoever may read its plans). */
export async function plansOf(api: PluginApi, records: Records, equipmentIds: number[]): Promise<(PlanLike & Record<string, any>)[]> {
  if (!equipmentIds.length) return [];
  const out: any[] = [];
  for (let offset = 0; ; offset += 1000) {
    const r = await records.list(api.system(), 'maintenancePlan', { filter: { equipment: { in: equipmentIds } }, fields: PLAN_FIELDS, limit: 1000, offset });
    out.push(...r.data);
    if (r.data.length < 1000) return out;
  }
}

export interface Refusal {
  key: string;
  params: Record<string, unknown>;
}

/** Why an asset cannot be used today, or null: status first (repair, out of service, scrapped), then its plans. */
export function refusal(api: PluginApi, asset: Record<string, any>, plans: PlanLike[], day = today()): Refusal | null {
  const base = { asset: asset.name ?? '', code: asset.code ?? '' };
  if (asset.status === 'scrapped') return { key: 'equipment.gate.scrapped', params: base };
  if (asset.status === 'outOfService') return { key: 'equipment.gate.outOfService', params: base };
  if (asset.status === 'underRepair') return { key: 'equipment.gate.underRepair', params: base };
  const s = serviceState(plans, day);
  const type = (l: Lang) => enumLabel(api, 'maintenancePlan', 'planType', s.plan?.planType, l);
  const plan = s.plan ? { 'zh-CN': `${type('zh-CN')}“${s.plan.name ?? ''}”`, en: `${type('en').toLowerCase()} "${s.plan.name ?? ''}"` } : '';
  const p = { ...base, plan, due: s.plan?.nextDueDate ?? '' };
  if (s.state === 'outOfCalibration') return { key: s.plan?.lastResult === 'fail' ? 'equipment.gate.calibrationFailed' : 'equipment.gate.outOfCalibration', params: p };
  if (s.state === 'maintenanceOverdue') return { key: 'equipment.gate.maintenanceOverdue', params: p };
  return null;
}

/**
 * The gate (issue 14 §5): every asset a gated field names, and that the write adds (a record edited later keeps the
 * assets it already named, so a calibration falling due does not lock the record it was used for), must be usable.
 * The refusal names the field (`/equipment/1` for the second asset of a list) and says which asset and why.
 */
export async function enforceGate(api: PluginApi, a: { ctx: CallContext; entity: EntityDef; record: Record<string, any>; previous?: Record<string, any> | null; records: Records }) {
  const fields = gatedFields(api, a.entity);
  const wanted: { path: string; id: number }[] = [];
  for (const f of fields) {
    if (a.previous && !(f.name in a.record)) continue;
    const before = new Set(idsOf(a.previous?.[f.name]));
    idsOf(a.record[f.name]).forEach((id, i) => {
      if (!before.has(id)) wanted.push({ path: f.multi ? `/${f.name}/${i}` : `/${f.name}`, id });
    });
  }
  if (!wanted.length) return;
  const ids = [...new Set(wanted.map((w) => w.id))];
  // The assets as the caller sees them: one they may not read is left to the pipeline's reference check (a refusal
  // here would name another lab's asset). Their plans are read as the system: whether an asset is usable is a fact.
  const assets = new Map<number, Record<string, any>>();
  let readable: Record<string, any>[];
  try {
    readable = (await a.records.list(a.ctx, 'equipment', { filter: { id: { in: ids } }, fields: ['id', 'name', 'code', 'status'], limit: ids.length })).data;
  } catch (e) {
    if ((e as { status?: number }).status === 403) return;
    throw e;
  }
  for (const r of readable) assets.set(Number(r.id), r);
  const plans = await plansOf(api, a.records, ids);
  for (const w of wanted) {
    const asset = assets.get(w.id);
    if (!asset) continue; // the pipeline's reference check reports a missing or unreadable asset
    const no = refusal(api, asset, plans.filter((p) => Number(p.equipment) === w.id));
    if (no) throw new VetoError(no.key, no.params, w.path);
  }
}

/** The record's batch, where the entity declares one: its `batchCode`, else the first reference to a cell batch or culture record. */
async function batchOf(api: PluginApi, records: Records, e: EntityDef, record: Record<string, any>): Promise<{ entity: string | null; id: number | null; code: string | null }> {
  if (e.fields.has('batchCode') && record.batchCode) return { entity: e.name, id: Number(record.id), code: String(record.batchCode) };
  for (const f of e.fields.values()) {
    if ((f.ref === 'cellBatch' || f.ref === 'cultureRecord') && f.schema.type !== 'array' && record[f.name]) {
      const target = api.model.entity(f.ref)!;
      const title = (target.schema['x-title'] as string) ?? 'id';
      try {
        const r = await records.get(api.system(), f.ref, Number(record[f.name]), { fields: ['id', title] });
        return { entity: f.ref, id: Number(r.id), code: r[title] == null ? null : String(r[title]) };
      } catch {
        return { entity: f.ref, id: Number(record[f.name]), code: null };
      }
    }
  }
  return { entity: null, id: null, code: null };
}

/** When the record says the work happened: its first date or date-time field with a value, else now. */
function usedAt(e: EntityDef, record: Record<string, any>): string {
  for (const f of e.fields.values()) {
    const fmt = f.schema.format;
    if ((fmt === 'date' || fmt === 'date-time') && !f.readOnly && record[f.name]) return fmt === 'date' ? `${record[f.name]}T00:00:00` : String(record[f.name]);
  }
  return new Date().toISOString();
}

/** The usage log follows the record: its rows are rewritten with every create and update (same transaction). */
export async function writeUsage(api: PluginApi, a: { ctx: CallContext; entity: EntityDef; record: Record<string, any>; trx: Knex.Transaction; records: Records }) {
  const fields = gatedFields(api, a.entity);
  const db = api.db(a.trx);
  await db.table('ec_usage').where({ entity: a.entity.name, record_id: a.record.id }).whereNull('removed_at').delete();
  const rows: Record<string, unknown>[] = [];
  let batch: Awaited<ReturnType<typeof batchOf>> | undefined;
  for (const f of fields)
    for (const id of idsOf(a.record[f.name])) {
      batch ??= await batchOf(api, a.records, a.entity, a.record);
      const title = a.record[(a.entity.schema['x-title'] as string) ?? 'id'];
      rows.push({
        equipment_id: id, entity: a.entity.name, record_id: a.record.id, field: f.name, record_title: title == null ? null : String(title).slice(0, 200),
        batch_entity: batch.entity, batch_id: batch.id, batch_code: batch.code, used_at: usedAt(a.entity, a.record), actor_id: a.ctx.actor.id ?? null, lab_id: a.record.labId ?? null,
      });
    }
  if (rows.length) await db.table('ec_usage').insert(rows);
}

export async function removeUsage(api: PluginApi, entity: string, recordId: number, trx: Knex.Transaction) {
  await api.db(trx).table('ec_usage').where({ entity, record_id: recordId }).whereNull('removed_at').update({ removed_at: new Date().toISOString() });
}

/** The last signed record of a plan that fulfilled it (a passing one), and the very last one (its result). */
export async function lastRecords(api: PluginApi, records: Records, planId: number) {
  const sys = api.system();
  const fields = ['id', 'performedDate', 'dueDate', 'result'];
  const sort = ['-performedDate', '-id'];
  const last = (await records.list(sys, 'maintenanceRecord', { filter: { plan: planId, status: 'signed' }, fields, sort, limit: 1 })).data[0];
  const pass = last?.result === 'pass' ? last : (await records.list(sys, 'maintenanceRecord', { filter: { plan: planId, status: 'signed', result: 'pass' }, fields, sort, limit: 1 })).data[0];
  return { last: last as (Completion & { id: number }) | undefined, pass: pass as (Completion & { id: number }) | undefined };
}

/** A plan's computed fields from its records: last done, last result, next due. */
export async function planFields(api: PluginApi, records: Records, plan: PlanLike & { id?: number }) {
  const { last, pass } = plan.id ? await lastRecords(api, records, plan.id) : { last: undefined, pass: undefined };
  return { lastDoneDate: last?.performedDate ?? null, lastResult: last?.result ?? null, nextDueDate: nextDue(plan, pass ?? null) };
}

/** Recomputes and stores an asset's service state and next due date from its plans (only when they changed). */
export async function refreshAsset(api: PluginApi, records: Records, equipmentId: number, day = today()) {
  const sys = api.system();
  let asset: Record<string, any>;
  try {
    asset = await records.get(sys, 'equipment', equipmentId, { fields: ['id', 'version', 'serviceState', 'nextDueDate'] });
  } catch {
    return;
  }
  const s = serviceState(await plansOf(api, records, [equipmentId]), day);
  if (asset.serviceState === s.state && (asset.nextDueDate ?? null) === s.nextDueDate) return;
  await records.update(sys, 'equipment', equipmentId, { version: asset.version }, { set: { serviceState: s.state, nextDueDate: s.nextDueDate }, reason: 'equipment-care' });
}

/** Whether a plan type keeps the asset calibrated (calibration, qualification) rather than maintained. */
export const isCalibration = (type: string) => (CALIBRATION_TYPES as string[]).includes(type);

export function taskTitle(api: PluginApi, lang: Lang, plan: Record<string, any>, asset: Record<string, any>, due: string) {
  return t(lang, 'equipment.task.title', { type: enumLabel(api, 'maintenancePlan', 'planType', plan.planType, lang), asset: asset.name ?? '', code: asset.code ?? '', plan: plan.name ?? '', due }).slice(0, 200);
}
