// Flow designer: entity binding and start, states (assignees, mode, due/reminder/escalation), transitions
// (guard, comment, e-signature meaning, effects) and an SVG diagram. The draft is the flow definition
// (platform/workflow/schema.ts), so server error pointers (/states/x/assignees/0/role) land on their control.
import { useMemo, useState } from 'react';
import { Button, Card, Col, Collapse, Empty, Input, InputNumber, Radio, Row, Select, Space, Switch, Tag, Typography } from 'antd';
import { ArrowRightOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { currentLang, pick, type Lang } from '../i18n';
import { useMeta } from '../meta';
import { DesignerFrame, LabelInput, useDefinition, type Label } from './common';
import { ErrorText, JsonInput, errorsAt, type PathError } from './designerKit';
import './designerMessages';
import { ConditionBuilder, SetFieldsEditor, fieldChoices } from './ConditionBuilder';
import { DURATION_UNITS, formatDuration, parseDuration, type DurationUnit } from './duration';

// The flow's shape is the server's own (platform/workflow/schema.ts), never written twice.
import type { AssigneeSpec as Assignee, DueDef as Due, EffectDef as Effect, FlowDef, StateDef, TransitionDef as Transition } from '../../../platform/workflow/schema';

const RESOLVERS = ['role', 'user', 'field', 'initiator', 'orgRelation'];
const fromList = (t: Transition) => (Array.isArray(t.from) ? t.from : [t.from]);
const omit = <T extends object>(o: T, ...keys: (keyof T)[]): T => {
  const c = { ...o };
  for (const k of keys) delete c[k];
  return c;
};

/** States in columns by distance from the initial state; transitions as arrows with their labels. */
export function FlowDiagram({ def, lang }: { def: FlowDef; lang: Lang }) {
  const keys = Object.keys(def.states);
  const depth = new Map<string, number>();
  if (def.states[def.initial]) {
    depth.set(def.initial, 0);
    const queue = [def.initial];
    while (queue.length) {
      const s = queue.shift()!;
      for (const tr of def.transitions)
        if (fromList(tr).includes(s) && def.states[tr.to] && !depth.has(tr.to)) {
          depth.set(tr.to, depth.get(s)! + 1);
          queue.push(tr.to);
        }
    }
  }
  const maxD = Math.max(0, ...depth.values());
  for (const k of keys) if (!depth.has(k)) depth.set(k, maxD + 1);
  const cols = new Map<number, string[]>();
  for (const k of keys) cols.set(depth.get(k)!, [...(cols.get(depth.get(k)!) ?? []), k]);
  const W = 150;
  const H = 46;
  const GX = 230;
  const GY = 90;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, ks] of cols) ks.forEach((k, i) => pos.set(k, { x: 20 + d * GX, y: 40 + i * GY }));
  const width = 20 + (Math.max(0, ...cols.keys()) + 1) * GX;
  const height = 40 + Math.max(1, ...[...cols.values()].map((v) => v.length)) * GY + 60;
  const pairCount = new Map<string, number>();
  const edges = def.transitions.flatMap((tr, i) =>
    fromList(tr)
      .filter((f) => pos.has(f) && pos.has(tr.to))
      .map((f) => {
        const pk = `${f}>${tr.to}`;
        const n = pairCount.get(pk) ?? 0;
        pairCount.set(pk, n + 1);
        const a = pos.get(f)!;
        const b = pos.get(tr.to)!;
        let d: string;
        let lx: number;
        let ly: number;
        if (b.x > a.x) {
          const y1 = a.y + H / 2 + n * 8 - 4;
          const y2 = b.y + H / 2 + n * 8 - 4;
          d = `M${a.x + W},${y1} C${a.x + W + 40},${y1} ${b.x - 40},${y2} ${b.x},${y2}`;
          lx = (a.x + W + b.x) / 2;
          ly = (y1 + y2) / 2 - 6 - n * 12;
        } else {
          // Back (return) or same-column arrows loop below the boxes.
          const sag = 40 + n * 18;
          d = `M${a.x + W / 2 + 10},${a.y + H} C${a.x + W / 2 + 10},${a.y + H + sag} ${b.x + W / 2 - 10},${b.y + H + sag} ${b.x + W / 2 - 10},${b.y + H}`;
          lx = (a.x + b.x + W) / 2;
          ly = Math.max(a.y, b.y) + H + sag * 0.75 + 4;
        }
        const color = tr.type === 'reject' ? '#ff4d4f' : tr.type === 'return' ? '#fa8c16' : tr.type === 'approve' ? '#1668dc' : '#8c8c8c';
        return { key: `${i}:${f}`, d, lx, ly, color, text: `${pick(tr.label, lang, tr.action)}${tr.signature ? ' ✍' : ''}${tr.guard ? ' ⛉' : ''}` };
      }),
  );
  return (
    <div className="ct-flow-svg">
      <svg width={width} height={height} role="img" aria-label={pick(def.label, lang, def.$id)}>
        <defs>
          {['#ff4d4f', '#fa8c16', '#1668dc', '#8c8c8c'].map((c) => (
            <marker key={c} id={`ct-arrow-${c.slice(1)}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" fill={c} />
            </marker>
          ))}
        </defs>
        {def.start && pos.has(def.initial) && (
          <g>
            <circle cx={8} cy={pos.get(def.initial)!.y + H / 2} r={6} fill="#fa8c16" />
          </g>
        )}
        {edges.map((e) => (
          <g key={e.key}>
            <path d={e.d} fill="none" stroke={e.color} strokeWidth={1.5} markerEnd={`url(#ct-arrow-${e.color.slice(1)})`} />
            <text x={e.lx} y={e.ly} fontSize={11} textAnchor="middle" fill={e.color} style={{ paintOrder: 'stroke', stroke: '#fff', strokeWidth: 3 }}>
              {e.text}
            </text>
          </g>
        ))}
        {keys.map((k) => {
          const p = pos.get(k)!;
          const s = def.states[k];
          const initial = k === def.initial;
          return (
            <g key={k} data-state={k}>
              <rect x={p.x} y={p.y} width={W} height={H} rx={s.final ? 23 : 6} fill={s.final ? '#f6ffed' : initial ? '#fff7e6' : '#f0f5ff'} stroke={s.final ? '#52c41a' : initial ? '#fa8c16' : '#1668dc'} strokeWidth={initial ? 2 : 1} />
              <text x={p.x + W / 2} y={p.y + 19} fontSize={12} textAnchor="middle" fontWeight={600}>
                {pick(s.label, lang, k).slice(0, 16)}
              </text>
              <text x={p.x + W / 2} y={p.y + 35} fontSize={10} textAnchor="middle" fill="#8c8c8c">
                {k}
                {s.mode && s.mode !== 'any' ? ` · ${s.mode}` : ''}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function AssigneesEditor({
  value, onChange, errors, base, roles, fields, ariaPrefix,
}: {
  value: Assignee[];
  onChange(v: Assignee[]): void;
  errors: PathError[];
  base: string;
  roles: { value: string; label: string }[];
  fields: { value: string; label: string }[];
  ariaPrefix: string;
}) {
  const { t } = useTranslation();
  const set = (i: number, a: Assignee) => onChange(value.map((x, j) => (j === i ? a : x)));
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {value.map((a, i) => (
        <div key={i}>
          <Space wrap>
            <Select
              size="small"
              aria-label={`${ariaPrefix} ${t('admin.flow.assignees')} ${i + 1}`}
              style={{ width: 130 }}
              value={a.type}
              options={RESOLVERS.map((r) => ({ value: r, label: t(`admin.flow.resolver.${r}`) }))}
              onChange={(type: string) => set(i, { type })}
            />
            {(a.type === 'role' || a.type === 'orgRelation') && (
              <Select size="small" showSearch aria-label={`${ariaPrefix} ${t('admin.flow.role')}`} status={errorsAt(errors, `${base}/${i}/role`).length ? 'error' : undefined} style={{ width: 170 }} value={a.role} options={roles} placeholder={t('admin.flow.role')} onChange={(role: string) => set(i, { ...a, role })} />
            )}
            {a.type === 'orgRelation' && (
              <Select size="small" allowClear aria-label={`${ariaPrefix} ${t('admin.flow.unit')}`} style={{ width: 120 }} value={a.unit} placeholder={t('admin.flow.unit')} options={(['lab', 'centre', 'company', 'department'] as const).map((u) => ({ value: u, label: t(`admin.flow.units.${u}`) }))} onChange={(unit?: Assignee['unit']) => set(i, unit ? { ...a, unit } : omit(a, 'unit'))} />
            )}
            {a.type === 'user' && (
              <Select size="small" mode="tags" aria-label={`${ariaPrefix} ${t('admin.flow.users')}`} style={{ minWidth: 220 }} value={(a.users ?? []).map(String)} placeholder={t('admin.flow.users')} onChange={(users: string[]) => set(i, users.length ? { ...a, users } : omit(a, 'users'))} />
            )}
            {a.type === 'field' && (
              <Select size="small" showSearch aria-label={`${ariaPrefix} ${t('admin.flow.field')}`} style={{ width: 200 }} value={a.field} options={fields} placeholder={t('admin.flow.field')} onChange={(field: string) => set(i, { ...a, field })} />
            )}
            <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('admin.flow.remove')} onClick={() => onChange(value.filter((_, j) => j !== i))} />
          </Space>
          <ErrorText errors={errors} path={`${base}/${i}`} />
        </div>
      ))}
      <Button size="small" icon={<PlusOutlined />} onClick={() => onChange([...value, { type: 'role', role: roles[0]?.value }])}>
        {t('admin.flow.addAssignee')}
      </Button>
    </Space>
  );
}

/** A duration as number + unit (分钟/小时/天); ISO 8601 underneath (PT24H). */
function DurationInput({ value, onChange, label, errors, path }: { value?: string; onChange(v?: string): void; label: string; errors: PathError[]; path: string }) {
  const { t } = useTranslation();
  const parsed = parseDuration(value);
  const [unit, setUnit] = useState<DurationUnit>(parsed?.unit ?? 'hour');
  const shownUnit = parsed?.unit ?? unit;
  const bad = (!!value && !parsed) || errorsAt(errors, path).length > 0;
  return (
    <div className="ct-duration" data-path={path}>
      <Space.Compact>
        <InputNumber
          size="small"
          min={0}
          precision={0}
          addonBefore={<span className="ct-prefix">{label}</span>}
          aria-label={label}
          style={{ width: 200 }}
          status={bad ? 'error' : undefined}
          value={parsed?.amount ?? null}
          onChange={(n) => onChange(n == null ? undefined : formatDuration(n, shownUnit))}
        />
        <Select
          size="small"
          aria-label={`${label} ${t('admin.flow.unit_')}`}
          style={{ width: 80 }}
          value={shownUnit}
          options={DURATION_UNITS.map((u) => ({ value: u, label: t(`admin.flow.durationUnits.${u}`) }))}
          onChange={(u: DurationUnit) => {
            setUnit(u);
            if (parsed) onChange(formatDuration(parsed.amount, u));
          }}
        />
      </Space.Compact>
      {value && !parsed && <Typography.Text type="warning" style={{ display: 'block', fontSize: 12 }}>{t('admin.flow.durationOther', { value })}</Typography.Text>}
      <ErrorText errors={errors} path={path} />
    </div>
  );
}

export default function FlowDesigner({ id }: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const firstEntity = Object.keys(meta.entities)[0] ?? '';
  const state = useDefinition<FlowDef>('flow', id, () => ({
    $id: id,
    kind: 'flow',
    label: { 'zh-CN': id, en: id },
    entity: firstEntity,
    start: { on: 'create' },
    initial: 'submitted',
    states: {
      submitted: { label: { 'zh-CN': '待审批', en: 'Awaiting approval' }, assignees: [{ type: 'orgRelation', role: 'labDirector' }], mode: 'any' },
      approved: { label: { 'zh-CN': '已批准', en: 'Approved' }, final: true },
      rejected: { label: { 'zh-CN': '已驳回', en: 'Rejected' }, final: true },
    },
    transitions: [
      { from: 'submitted', action: 'approve', to: 'approved', type: 'approve', label: { 'zh-CN': '批准', en: 'Approve' } },
      { from: 'submitted', action: 'reject', to: 'rejected', type: 'reject', comment: 'required', label: { 'zh-CN': '驳回', en: 'Reject' } },
    ],
  }));
  const { draft, setDraft } = state;
  const [errors, setErrors] = useState<PathError[]>([]);
  const roles = useMemo(() => Object.entries(meta.kinds.role ?? {}).map(([k, r]) => ({ value: k, label: `${pick((r as { label?: unknown }).label, lang, k)} (${k})` })), [meta, lang]);

  const frame = (body: React.ReactNode) => (
    <DesignerFrame kind="flow" id={id} title={t('admin.flow.designer')} state={state} onErrors={setErrors}>
      {body}
    </DesignerFrame>
  );
  if (!draft) return frame(null);
  const ent = meta.entities[draft.entity];
  const props = ent?.properties ?? {};
  const fieldOpts = Object.entries(props).map(([k, p]) => ({ value: k, label: `${pick(p['x-label'], lang, k)} (${k})` }));
  const choices = fieldChoices(props, meta, lang, t);
  const stateKeys = Object.keys(draft.states);
  const stateOpts = stateKeys.map((k) => ({ value: k, label: `${pick(draft.states[k].label, lang, k)} (${k})` }));
  const stateField = draft.stateField ?? (ent?.['x-state'] as string | undefined);
  const enumStates = ((stateField ? (props[stateField]?.enum as string[] | undefined) : undefined) ?? []).filter((s) => !draft.states[s]);
  const set = (patch: Partial<FlowDef>) => {
    const next = { ...draft, ...patch };
    for (const k of Object.keys(patch) as (keyof FlowDef)[]) if (patch[k] === undefined) delete next[k];
    setDraft(next);
  };
  const setState = (k: string, s: StateDef) => set({ states: { ...draft.states, [k]: s } });
  const renameState = (from: string, to: string) => {
    if (!to || to === from || draft.states[to]) return;
    const states = Object.fromEntries(Object.entries(draft.states).map(([k, v]) => [k === from ? to : k, v]));
    const ren = (s: string) => (s === from ? to : s);
    set({
      states,
      initial: ren(draft.initial),
      transitions: draft.transitions.map((tr) => ({ ...tr, from: Array.isArray(tr.from) ? tr.from.map(ren) : ren(tr.from), to: ren(tr.to) })),
      ...(draft.withdraw && draft.withdraw.to ? { withdraw: { to: ren(draft.withdraw.to) } } : {}),
    });
  };
  const removeState = (k: string) => set({ states: omit(draft.states, k), transitions: draft.transitions.filter((tr) => tr.to !== k && !fromList(tr).includes(k)) });
  const setTr = (i: number, tr: Transition) => set({ transitions: draft.transitions.map((x, j) => (j === i ? tr : x)) });
  const start = draft.start;

  const stateCard = (k: string) => {
    const s = draft.states[k];
    const base = `/states/${k}`;
    const due = s.due;
    const setDue = (d?: Partial<Due>) => {
      if (!d) return setState(k, omit(s, 'due'));
      const nd = { ...(due ?? { after: 'PT24H' }), ...d } as Due;
      for (const key of Object.keys(nd) as (keyof Due)[]) if (nd[key] === undefined) delete nd[key];
      setState(k, { ...s, due: nd });
    };
    return {
      key: k,
      label: (
        <Space wrap>
          <strong>{pick(s.label, lang, k)}</strong>
          <Typography.Text type="secondary" code>{k}</Typography.Text>
          {k === draft.initial && <Tag color="orange">{t('admin.flow.initial')}</Tag>}
          {s.final && <Tag color="green">{t('admin.flow.final')}</Tag>}
          {!s.final && s.mode && <Tag>{t(`admin.flow.modes.${s.mode}`)}</Tag>}
          {errorsAt(errors, base).length > 0 && <Tag color="red">!</Tag>}
        </Space>
      ),
      className: `ct-flow-state${s.final ? ' final' : ''}${k === draft.initial ? ' initial' : ''}`,
      extra: <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={`${t('admin.flow.remove')} ${k}`} onClick={(e) => { e.stopPropagation(); removeState(k); }} />,
      children: (
        <Space direction="vertical" style={{ width: '100%' }} data-state-editor={k}>
          <Space wrap>
            <Input key={`key-${k}`} size="small" prefix={<span className="ct-prefix">{t('admin.flow.stateKey')}</span>} aria-label={`${t('admin.flow.stateKey')} ${k}`} defaultValue={k} style={{ width: 240 }} onBlur={(e) => renameState(k, e.target.value.trim())} onPressEnter={(e) => renameState(k, (e.target as HTMLInputElement).value.trim())} />
            <div style={{ width: 360 }}>
              <LabelInput id={`flow-state-${k}-label`} value={s.label} onChange={(l) => setState(k, { ...s, label: l })} />
            </div>
            <Switch aria-label={`${t('admin.flow.final')} ${k}`} checked={!!s.final} checkedChildren={t('admin.flow.final')} unCheckedChildren={t('admin.flow.final')} onChange={(v) => setState(k, v ? { label: s.label, final: true } : omit(s, 'final'))} />
          </Space>
          <ErrorText errors={errors} path={`${base}/label`} />
          {errors.some((e) => e.path === base) && <ErrorText errors={errors.filter((e) => e.path === base)} path={base} />}
          {!s.final && (
            <>
              <Typography.Text strong>{t('admin.flow.assignees')}</Typography.Text>
              <AssigneesEditor ariaPrefix={k} value={s.assignees ?? []} onChange={(a) => setState(k, a.length ? { ...s, assignees: a } : omit(s, 'assignees'))} errors={errors} base={`${base}/assignees`} roles={roles} fields={fieldOpts} />
              {errors.some((e) => e.path === `${base}/assignees`) && <ErrorText errors={errors.filter((e) => e.path === `${base}/assignees`)} path={`${base}/assignees`} />}
              <Space wrap>
                <span>{t('admin.flow.mode')}</span>
                <Radio.Group size="small" optionType="button" value={s.mode ?? 'any'} options={(['any', 'all', 'sequential'] as const).map((m) => ({ value: m, label: t(`admin.flow.modes.${m}`) }))} onChange={(e) => setState(k, { ...s, mode: e.target.value as StateDef['mode'] })} />
              </Space>
              <Space wrap align="start">
                <Switch size="small" aria-label={`${t('admin.flow.due')} ${k}`} checked={!!due} onChange={(v) => setDue(v ? {} : undefined)} />
                <span>{t('admin.flow.due')}</span>
                {due && (
                  <>
                    <DurationInput label={t('admin.flow.dueAfter')} value={due.after} onChange={(v) => setDue({ after: v ?? '' })} errors={errors} path={`${base}/due/after`} />
                    <DurationInput label={t('admin.flow.remindBefore')} value={due.remindBefore} onChange={(v) => setDue({ remindBefore: v })} errors={errors} path={`${base}/due/remindBefore`} />
                    <DurationInput label={t('admin.flow.escalateAfter')} value={due.escalateAfter} onChange={(v) => setDue({ escalateAfter: v })} errors={errors} path={`${base}/due/escalateAfter`} />
                  </>
                )}
              </Space>
              {due?.escalateAfter && (
                <Row gutter={8}>
                  <Col flex="none">{t('admin.flow.escalateTo')}</Col>
                  <Col flex="auto">
                    <AssigneesEditor ariaPrefix={`${k} ${t('admin.flow.escalateTo')}`} value={due.escalateTo ?? []} onChange={(a) => setDue({ escalateTo: a.length ? a : undefined })} errors={errors} base={`${base}/due/escalateTo`} roles={roles} fields={fieldOpts} />
                  </Col>
                  <Col flex="none">
                    <Select size="small" aria-label={t('admin.flow.escalation')} style={{ width: 110 }} value={due.escalation ?? 'notify'} options={(['notify', 'reassign'] as const).map((m) => ({ value: m, label: t(`admin.flow.escalations.${m}`) }))} onChange={(v: Due['escalation']) => setDue({ escalation: v })} />
                  </Col>
                </Row>
              )}
            </>
          )}
        </Space>
      ),
    };
  };

  const transitionCard = (tr: Transition, i: number) => {
    const base = `/transitions/${i}`;
    const st = (p: string) => (errorsAt(errors, `${base}/${p}`).length ? 'error' : undefined);
    return (
      <Card
        key={i}
        size="small"
        className="ct-section"
        data-transition={i}
        title={
          <Space wrap>
            <Select size="small" mode="multiple" aria-label={`${t('admin.flow.from')} ${i + 1}`} status={st('from')} style={{ minWidth: 160 }} value={fromList(tr)} options={stateOpts.filter((o) => !draft.states[o.value]?.final)} onChange={(v: string[]) => setTr(i, { ...tr, from: v.length === 1 ? v[0] : v })} />
            <ArrowRightOutlined />
            <Select size="small" aria-label={`${t('admin.flow.to')} ${i + 1}`} status={st('to')} style={{ width: 200 }} value={tr.to} options={stateOpts} onChange={(v: string) => setTr(i, { ...tr, to: v })} />
            <Tag color={tr.type === 'reject' ? 'red' : tr.type === 'return' ? 'orange' : tr.type === 'approve' ? 'blue' : 'default'}>{pick(tr.label, lang, tr.action)}</Tag>
          </Space>
        }
        extra={<Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={`${t('admin.flow.remove')} ${tr.action}`} onClick={() => set({ transitions: draft.transitions.filter((_, j) => j !== i) })} />}
      >
        <Space direction="vertical" style={{ width: '100%' }}>
          <Space wrap>
            <Input size="small" prefix={<span className="ct-prefix">{t('admin.flow.action')}</span>} aria-label={`${t('admin.flow.action')} ${i + 1}`} status={st('action')} style={{ width: 220 }} value={tr.action} onChange={(e) => setTr(i, { ...tr, action: e.target.value.trim() })} />
            <Select size="small" aria-label={`${t('admin.flow.type')} ${i + 1}`} style={{ width: 110 }} value={tr.type ?? 'other'} options={(['approve', 'reject', 'return', 'other'] as const).map((x) => ({ value: x, label: t(`admin.flow.types.${x}`) }))} onChange={(v: Transition['type']) => setTr(i, { ...tr, type: v })} />
            <div style={{ width: 340 }}>
              <LabelInput value={tr.label} onChange={(l) => setTr(i, { ...tr, label: l })} />
            </div>
            <span>{t('admin.flow.comment')}</span>
            <Select size="small" aria-label={`${t('admin.flow.comment')} ${i + 1}`} style={{ width: 90 }} value={tr.comment ?? ''} options={[{ value: '', label: t('admin.flow.commentNone') }, { value: 'optional', label: t('admin.flow.commentOptional') }, { value: 'required', label: t('admin.flow.commentRequired') }]} onChange={(v: string) => setTr(i, v ? { ...tr, comment: v as Transition['comment'] } : omit(tr, 'comment'))} />
          </Space>
          {['from', 'to', 'action', 'label', 'type', 'comment'].map((p) => (
            <ErrorText key={p} errors={errors} path={`${base}/${p}`} />
          ))}
          {errors.some((e) => e.path === base) && <ErrorText errors={errors.filter((e) => e.path === base)} path={base} />}
          <Space wrap>
            <Switch size="small" aria-label={`${t('admin.flow.signature')} ${i + 1}`} checked={!!tr.signature} onChange={(v) => setTr(i, v ? { ...tr, signature: { meaning: tr.label } } : omit(tr, 'signature'))} />
            <span>{t('admin.flow.signature')}</span>
            {tr.signature && (
              <div style={{ width: 360 }}>
                <LabelInput value={tr.signature.meaning} onChange={(l) => setTr(i, { ...tr, signature: { meaning: l } })} />
              </div>
            )}
          </Space>
          <ErrorText errors={errors} path={`${base}/signature`} />
          <Row gutter={12}>
            <Col xs={24}>
              <Typography.Text>{t('admin.flow.guard')}</Typography.Text>
              <ConditionBuilder
                ariaLabel={`${t('admin.flow.guard')} ${i + 1}`}
                testId={`guard-${i}`}
                value={tr.guard}
                fields={choices}
                lang={lang}
                serverErrors={errorsAt(errors, `${base}/guard`)}
                onChange={(v) => setTr(i, v ? { ...tr, guard: v, refusal: tr.refusal ?? { 'zh-CN': '' } } : omit(tr, 'guard', 'refusal'))}
              />
            </Col>
            {tr.guard && (
              <Col xs={24}>
                <Typography.Text>{t('admin.flow.refusal')}</Typography.Text>
                <LabelInput value={tr.refusal} onChange={(l) => setTr(i, { ...tr, refusal: l })} />
                <ErrorText errors={errors} path={`${base}/refusal`} />
              </Col>
            )}
          </Row>
          <Typography.Text>{t('admin.flow.effects')}</Typography.Text>
          {(tr.effects ?? []).map((ef, j) => {
            const kind = ef.action !== undefined ? 'action' : 'effect';
            const setEf = (e: Effect | null) => {
              const effects = (tr.effects ?? []).map((x, n) => (n === j ? e : x)).filter((x): x is Effect => !!x);
              setTr(i, effects.length ? { ...tr, effects } : omit(tr, 'effects'));
            };
            const actions = ((ent?.['x-actions'] as string[] | undefined) ?? []).map((a) => ({ value: a, label: a }));
            return (
              <Row key={j} gutter={8} align="top">
                <Col flex="none">
                  <Select size="small" style={{ width: 110 }} aria-label={`${t('admin.flow.effects')} ${j + 1}`} value={kind} options={[{ value: 'effect', label: t('admin.flow.effectEffect') }, { value: 'action', label: t('admin.flow.effectAction') }]} onChange={(k: string) => setEf(k === 'action' ? { action: actions[0]?.value ?? '', input: ef.input } : { effect: 'setFields', input: ef.input })} />
                </Col>
                <Col flex="none">
                  {kind === 'action' ? (
                    <Select size="small" showSearch style={{ width: 170 }} value={ef.action} options={actions} onChange={(a: string) => setEf({ ...ef, action: a })} />
                  ) : (
                    <Select size="small" style={{ width: 170 }} aria-label={`${t('admin.flow.effectEffect')} ${j + 1}`} value={ef.effect === 'setFields' ? 'setFields' : 'other'} options={[{ value: 'setFields', label: t('admin.flow.effectSetFields') }, ...(ef.effect !== 'setFields' ? [{ value: 'other', label: `${t('admin.flow.effectOther')}: ${ef.effect ?? ''}` }] : [])]} onChange={(v: string) => v === 'setFields' && setEf({ effect: 'setFields', input: {} })} />
                  )}
                </Col>
                <Col flex="auto">
                  {kind === 'effect' && ef.effect === 'setFields' ? (
                    <SetFieldsEditor ariaLabel={`${t('admin.flow.effectSetFields')} ${j + 1}`} value={ef.input} fields={choices} onChange={(v) => setEf({ ...ef, input: v })} />
                  ) : (
                    <JsonInput ariaLabel={t('admin.flow.effectInput')} value={ef.input} rows={1} placeholder={t('admin.flow.effectInput')} onChange={(v) => setEf(v ? { ...ef, input: v } : omit(ef, 'input'))} />
                  )}
                  <ErrorText errors={errors} path={`${base}/effects/${j}`} />
                </Col>
                <Col flex="none">
                  <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('admin.flow.remove')} onClick={() => setEf(null)} />
                </Col>
              </Row>
            );
          })}
          <Button size="small" icon={<PlusOutlined />} style={{ width: 'fit-content' }} onClick={() => setTr(i, { ...tr, effects: [...(tr.effects ?? []), { effect: 'setFields', input: {} }] })}>
            {t('admin.flow.addEffect')}
          </Button>
        </Space>
      </Card>
    );
  };

  const newStateKey = () => {
    const free = enumStates[0];
    if (free) return free;
    let n = stateKeys.length + 1;
    while (draft.states[`state${n}`]) n++;
    return `state${n}`;
  };

  return frame(
    <>
      <Card size="small" className="ct-section">
        <Row gutter={[16, 8]}>
          <Col xs={24} md={12}>
            <Typography.Text>{t('admin.flow.label')}</Typography.Text>
            <LabelInput value={draft.label} onChange={(l) => set({ label: l })} />
            <ErrorText errors={errors} path="/label" />
          </Col>
          <Col xs={24} md={12}>
            <Typography.Text>{t('admin.flow.description')}</Typography.Text>
            <LabelInput value={draft.description} onChange={(l) => set({ description: l['zh-CN'] || l.en ? l : undefined })} />
            <ErrorText errors={errors} path="/description" />
          </Col>
          <Col xs={24} md={8}>
            <Typography.Text>{t('admin.flow.entity')}</Typography.Text>
            <Select showSearch aria-label={t('admin.flow.entity')} status={errorsAt(errors, '/entity').length ? 'error' : undefined} style={{ width: '100%' }} value={draft.entity} options={Object.keys(meta.entities).map((e) => ({ value: e, label: `${pick(meta.entities[e]['x-label'], lang, e)} (${e})` }))} onChange={(e: string) => set({ entity: e, stateField: undefined, summary: undefined })} />
            <ErrorText errors={errors} path="/entity" />
          </Col>
          <Col xs={24} md={8}>
            <Typography.Text>{t('admin.flow.stateField')}</Typography.Text>
            <Select allowClear aria-label={t('admin.flow.stateField')} style={{ width: '100%' }} value={draft.stateField} placeholder={`${t('admin.flow.stateFieldDefault')}${ent?.['x-state'] ? `: ${String(ent['x-state'])}` : ''}`} options={fieldOpts.filter((f) => Array.isArray(props[f.value]?.enum))} onChange={(v?: string) => set({ stateField: v })} />
            <ErrorText errors={errors} path="/stateField" />
          </Col>
          <Col xs={24} md={8}>
            <Typography.Text>{t('admin.flow.initial')}</Typography.Text>
            <Select aria-label={t('admin.flow.initial')} status={errorsAt(errors, '/initial').length ? 'error' : undefined} style={{ width: '100%' }} value={draft.initial} options={stateOpts} onChange={(v: string) => set({ initial: v })} />
            <ErrorText errors={errors} path="/initial" />
          </Col>
          <Col xs={24}>
            <Space wrap>
              <span>{t('admin.flow.start')}</span>
              <Radio.Group value={start.on} onChange={(e) => set({ start: e.target.value === 'create' ? { on: 'create' } : { on: 'action', action: 'submitReview', label: { 'zh-CN': '提交审批', en: 'Submit for approval' } } })} options={[{ value: 'create', label: t('admin.flow.startCreate') }, { value: 'action', label: t('admin.flow.startAction') }]} />
              {start.on === 'action' && (
                <>
                  <Input size="small" prefix={<span className="ct-prefix">{t('admin.flow.startAction_')}</span>} aria-label={t('admin.flow.startAction_')} style={{ width: 230 }} value={start.action} onChange={(e) => set({ start: { ...start, action: e.target.value.trim() } })} />
                  <div style={{ width: 340 }}>
                    <LabelInput value={start.label} onChange={(l) => set({ start: { ...start, label: l } })} />
                  </div>
                </>
              )}
            </Space>
            <ErrorText errors={errors} path="/start" />
          </Col>
          <Col xs={24} md={8}>
            <Typography.Text>{t('admin.flow.withdraw')}</Typography.Text>
            <Space.Compact style={{ width: '100%' }}>
              <Select aria-label={t('admin.flow.withdraw')} style={{ width: 120 }} value={draft.withdraw === false ? 'no' : 'yes'} options={[{ value: 'yes', label: t('admin.flow.withdrawYes') }, { value: 'no', label: t('admin.flow.withdrawNo') }]} onChange={(v: string) => set({ withdraw: v === 'no' ? false : undefined })} />
              {draft.withdraw !== false && (
                <Select allowClear aria-label={t('admin.flow.withdrawTo')} placeholder={t('admin.flow.withdrawTo')} style={{ flex: 1 }} value={draft.withdraw?.to} options={stateOpts} onChange={(v?: string) => set({ withdraw: v ? { to: v } : undefined })} />
              )}
            </Space.Compact>
            <ErrorText errors={errors} path="/withdraw" />
          </Col>
          <Col xs={24} md={8}>
            <Typography.Text>{t('admin.flow.onNoCandidates')}</Typography.Text>
            <Select aria-label={t('admin.flow.onNoCandidates')} style={{ width: '100%' }} value={draft.onNoCandidates ?? 'admins'} options={[{ value: 'admins', label: t('admin.flow.noCandAdmins') }, { value: 'fail', label: t('admin.flow.noCandFail') }]} onChange={(v: 'admins' | 'fail') => set({ onNoCandidates: v === 'admins' ? undefined : v })} />
          </Col>
          <Col xs={24} md={8}>
            <Typography.Text>{t('admin.flow.priority')}</Typography.Text>
            <InputNumber aria-label={t('admin.flow.priority')} style={{ width: '100%' }} precision={0} value={draft.priority} onChange={(v) => set({ priority: v ?? undefined })} />
          </Col>
          <Col xs={24} md={12}>
            <Typography.Text>{t('admin.flow.summary')}</Typography.Text>
            <Select mode="multiple" aria-label={t('admin.flow.summary')} style={{ width: '100%' }} value={draft.summary ?? []} options={fieldOpts} onChange={(v: string[]) => set({ summary: v.length ? v : undefined })} />
            <ErrorText errors={errors} path="/summary" />
          </Col>
          <Col xs={24} md={12}>
            <Typography.Text>{t('admin.flow.when')}</Typography.Text>
            <ConditionBuilder ariaLabel={t('admin.flow.when')} testId="flow-when" value={draft.when} fields={choices} lang={lang} serverErrors={errorsAt(errors, '/when')} onChange={(v) => set({ when: v })} />
          </Col>
        </Row>
      </Card>
      <Card size="small" className="ct-section" title={t('admin.flow.diagram')}>
        {stateKeys.length ? <FlowDiagram def={draft} lang={lang} /> : <Empty />}
      </Card>
      <Row gutter={16}>
        <Col xs={24} xl={11}>
          <Card
            size="small"
            className="ct-section"
            title={t('admin.flow.states')}
            extra={
              <Button size="small" icon={<PlusOutlined />} onClick={() => { const k = newStateKey(); setState(k, { label: { 'zh-CN': k, en: k }, assignees: [{ type: 'orgRelation', role: roles[0]?.value ?? 'labDirector' }], mode: 'any' }); }}>
                {t('admin.flow.addState')}
              </Button>
            }
          >
            <ErrorText errors={errors.filter((e) => e.path === '/states')} path="/states" />
            <Collapse size="small" defaultActiveKey={[draft.initial]} items={stateKeys.map(stateCard)} />
          </Card>
        </Col>
        <Col xs={24} xl={13}>
          <Card
            size="small"
            className="ct-section"
            title={t('admin.flow.transitions')}
            extra={
              <Button size="small" icon={<PlusOutlined />} onClick={() => set({ transitions: [...draft.transitions, { from: draft.initial, action: `action${draft.transitions.length + 1}`, to: stateKeys.find((k) => draft.states[k].final) ?? draft.initial, type: 'approve', label: { 'zh-CN': '', en: '' } }] })}>
                {t('admin.flow.addTransition')}
              </Button>
            }
          >
            <ErrorText errors={errors.filter((e) => e.path === '/transitions')} path="/transitions" />
            {draft.transitions.map(transitionCard)}
          </Card>
        </Col>
      </Row>
    </>,
  );
}
