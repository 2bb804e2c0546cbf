// Conditions built from the entity's fields, operators and values (dictionary and enum values chosen by their
// label), combined with 全部满足 / 任一满足 and shown as a sentence; JSON Logic underneath (logic.ts). Also the rows
// of a setFields effect: field + value, with "the acting user" and "now" as values.
import { Button, Input, InputNumber, Radio, Select, Space, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { pick, type Lang } from '../i18n';
import type { FieldSchema, Meta } from '../meta';
import { EN_WORDS, OPS, UNARY, ZH_WORDS, groupToLogic, isGroup, logicToGroup, sentence, type Group, type Op, type Rule, type Value } from './logic';
import { JsonInput } from './designerKit';

/** A field a condition may test: the var path, its label, how its values are entered. */
export interface FieldChoice {
  key: string;
  label: string;
  kind: 'number' | 'text' | 'choice' | 'user' | 'date' | 'boolean';
  options?: { value: string | number; label: string }[];
}

const ACTOR = '$actor.id';
const NOW = '$now';

/** The fields of an entity as condition choices (`prefix` for logic over {record: …}, e.g. "record."). */
export function fieldChoices(props: Record<string, FieldSchema>, meta: Meta, lang: Lang, t: (k: string) => string, prefix = ''): FieldChoice[] {
  return Object.entries(props).map(([k, p]) => {
    const label = pick(p['x-label'], lang, k);
    const key = prefix + k;
    const dict = p['x-dictionary'] as string | undefined;
    if (dict) return { key, label, kind: 'choice', options: (meta.dictionaries[dict]?.items ?? []).map((i) => ({ value: i.code, label: pick(i.label, lang, i.code) })) };
    if (Array.isArray(p.enum)) {
      const labels = (p['x-enum-labels'] ?? {}) as Record<string, unknown>;
      return { key, label, kind: 'choice', options: (p.enum as (string | number)[]).map((v) => ({ value: v, label: pick(labels[String(v)], lang, String(v)) })) };
    }
    if (p.type === 'boolean') return { key, label, kind: 'boolean', options: [{ value: 'true', label: t('common.yes') }, { value: 'false', label: t('common.no') }] };
    if (p['x-user']) return { key, label, kind: 'user' };
    if (p.format === 'date' || p.format === 'date-time') return { key, label, kind: 'date' };
    if (p.type === 'number' || p.type === 'integer') return { key, label, kind: p['x-ref'] ? 'text' : 'number' };
    return { key, label, kind: 'text' };
  });
}

function valueText(f: FieldChoice | undefined, v: Value | undefined, t: (k: string) => string): string {
  if (v === undefined || v === null) return t('admin.cond.nothing');
  if (typeof v === 'object' && !Array.isArray(v)) return v.var === ACTOR ? t('admin.cond.actor') : v.var === NOW ? t('admin.cond.now') : v.var;
  const o = f?.options?.find((x) => String(x.value) === String(v));
  if (o) return o.label;
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  return String(v);
}

/** The sentence a condition reads as, with names (never codes). */
export function conditionSentence(logic: unknown, fields: FieldChoice[], lang: Lang, t: (k: string) => string): string | null {
  const g = logicToGroup(logic);
  if (!g) return null;
  const byKey = new Map(fields.map((f) => [f.key, f]));
  return sentence(g, lang === 'en' ? EN_WORDS : ZH_WORDS, (k) => byKey.get(k)?.label ?? k, (k, v) => valueText(byKey.get(k), v, t));
}

/** The value box of a field: options by label, a number, a date, a text; special facts where they fit. */
export function ValueInput({ field, value, onChange, multiple, specials = [], ariaLabel }: { field?: FieldChoice; value: Value | undefined; onChange(v: Value | undefined): void; multiple?: boolean; specials?: ('actor' | 'now')[]; ariaLabel: string }) {
  const { t } = useTranslation();
  const special = specials.map((s) => ({ value: s === 'actor' ? ACTOR : NOW, label: t(s === 'actor' ? 'admin.cond.actor' : 'admin.cond.now') }));
  const isSpecial = value && typeof value === 'object' && !Array.isArray(value);
  const style = { minWidth: 160 };
  if (field?.options || field?.kind === 'user' || (special.length && isSpecial)) {
    const opts = [...special, ...(field?.options ?? []).map((o) => ({ value: String(o.value), label: o.label }))];
    const toSel = (v: Value | undefined) => (v && typeof v === 'object' && !Array.isArray(v) ? v.var : v === undefined || v === null ? undefined : String(v));
    const fromSel = (s: string): Value => {
      if (s === ACTOR || s === NOW) return { var: s };
      if (field?.kind === 'boolean') return s === 'true';
      const o = field?.options?.find((x) => String(x.value) === s);
      return o ? o.value : s;
    };
    if (multiple)
      return <Select size="small" mode="multiple" aria-label={ariaLabel} style={style} value={Array.isArray(value) ? value.map(String) : []} options={opts} onChange={(v: string[]) => onChange(v.map(fromSel) as (string | number)[])} />;
    return <Select size="small" aria-label={ariaLabel} style={style} value={toSel(value)} options={opts} onChange={(v: string) => onChange(fromSel(v))} />;
  }
  if (multiple)
    return <Select size="small" mode="tags" aria-label={ariaLabel} style={style} value={Array.isArray(value) ? value.map(String) : []} onChange={(v: string[]) => onChange(field?.kind === 'number' ? v.map(Number).filter((n) => !Number.isNaN(n)) : v)} />;
  if (field?.kind === 'number') return <InputNumber size="small" aria-label={ariaLabel} style={{ width: 120 }} value={typeof value === 'number' ? value : null} onChange={(n) => onChange(n ?? undefined)} />;
  return (
    <Space.Compact>
      {field?.kind === 'date' && special.length > 0 && <Button size="small" onClick={() => onChange({ var: NOW })}>{t('admin.cond.now')}</Button>}
      <Input size="small" type={field?.kind === 'date' ? 'date' : 'text'} aria-label={ariaLabel} style={{ width: 160 }} value={typeof value === 'string' || typeof value === 'number' ? String(value) : ''} onChange={(e) => onChange(e.target.value)} />
    </Space.Compact>
  );
}

function GroupEditor({ group, onChange, fields, depth, ariaLabel }: { group: Group; onChange(g: Group): void; fields: FieldChoice[]; depth: number; ariaLabel: string }) {
  const { t } = useTranslation();
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const set = (i: number, r: Rule | Group | null) => onChange({ ...group, rules: group.rules.flatMap((x, j) => (j === i ? (r ? [r] : []) : [x])) });
  return (
    <div className={`ct-cond-group depth-${depth}`}>
      <Radio.Group
        size="small"
        optionType="button"
        aria-label={`${ariaLabel} ${t('admin.cond.combine')}`}
        value={group.all ? 'all' : 'any'}
        options={[{ value: 'all', label: t('admin.cond.all') }, { value: 'any', label: t('admin.cond.any') }]}
        onChange={(e) => onChange({ ...group, all: e.target.value === 'all' })}
      />
      {group.rules.map((r, i) => {
        if (isGroup(r))
          return (
            <div key={i} className="ct-cond-sub">
              <GroupEditor group={r} onChange={(g) => set(i, g)} fields={fields} depth={depth + 1} ariaLabel={`${ariaLabel} ${i + 1}`} />
              <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('admin.cond.removeGroup')} onClick={() => set(i, null)} />
            </div>
          );
        const f = byKey.get(r.field);
        return (
          <Space key={i} wrap className="ct-cond-row" data-row={i}>
            <Select size="small" showSearch optionFilterProp="label" aria-label={`${ariaLabel} ${t('admin.cond.field')} ${i + 1}`} style={{ width: 170 }} value={r.field || undefined} placeholder={t('admin.cond.field')} options={fields.map((x) => ({ value: x.key, label: x.label }))} onChange={(k: string) => set(i, { field: k, op: r.op, ...(UNARY.includes(r.op) ? {} : { value: undefined }) })} />
            <Select
              size="small"
              aria-label={`${ariaLabel} ${t('admin.cond.op')} ${i + 1}`}
              style={{ width: 120 }}
              value={r.op}
              options={OPS.filter((o) => f?.kind === 'number' || f?.kind === 'date' || !['>', '>=', '<', '<='].includes(o)).map((o) => ({ value: o, label: t(`admin.cond.ops.${o}`) }))}
              onChange={(op: Op) => set(i, UNARY.includes(op) ? { field: r.field, op } : { field: r.field, op, value: op === 'in' ? (Array.isArray(r.value) ? r.value : r.value != null && typeof r.value !== 'object' ? [r.value as string] : []) : Array.isArray(r.value) ? r.value[0] : r.value })}
            />
            {!UNARY.includes(r.op) && <ValueInput field={f} value={r.value} multiple={r.op === 'in'} specials={f?.kind === 'user' ? ['actor'] : []} ariaLabel={`${ariaLabel} ${t('admin.cond.value')} ${i + 1}`} onChange={(v) => set(i, { ...r, value: v })} />}
            <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={`${t('admin.cond.remove')} ${i + 1}`} onClick={() => set(i, null)} />
          </Space>
        );
      })}
      <Space>
        <Button size="small" icon={<PlusOutlined />} onClick={() => onChange({ ...group, rules: [...group.rules, { field: fields[0]?.key ?? '', op: '==', value: undefined }] })}>{t('admin.cond.add')}</Button>
        {depth < 2 && <Button size="small" icon={<PlusOutlined />} onClick={() => onChange({ ...group, rules: [...group.rules, { all: !group.all, rules: [{ field: fields[0]?.key ?? '', op: '==', value: undefined }] }] })}>{t('admin.cond.addGroup')}</Button>}
      </Space>
    </div>
  );
}

/**
 * A condition: its sentence, and the rows that make it. Logic the builder cannot show (hand-written) keeps its
 * sentence-less form in an expert box until the admin clears it.
 */
export function ConditionBuilder({ value, onChange, fields, lang, ariaLabel, serverErrors = [], testId }: { value: unknown; onChange(v: Record<string, unknown> | undefined): void; fields: FieldChoice[]; lang: Lang; ariaLabel: string; serverErrors?: string[]; testId?: string }) {
  const { t } = useTranslation();
  const group = logicToGroup(value);
  const text = conditionSentence(value, fields, lang, t);
  return (
    <div className="ct-cond" data-testid={testId} aria-label={ariaLabel} role="group">
      <Typography.Paragraph className="ct-cond-sentence" style={{ marginBottom: 6 }} type={group?.rules.length ? undefined : 'secondary'}>
        {text ?? t('admin.cond.advanced')}
      </Typography.Paragraph>
      {group ? (
        <GroupEditor group={group} onChange={(g) => onChange(groupToLogic(g))} fields={fields} depth={0} ariaLabel={ariaLabel} />
      ) : (
        <Space direction="vertical" style={{ width: '100%' }}>
          <JsonInput ariaLabel={ariaLabel} value={value} rows={2} onChange={onChange} />
          <Button size="small" onClick={() => onChange(undefined)}>{t('admin.cond.reset')}</Button>
        </Space>
      )}
      {serverErrors.map((m, i) => (
        <Typography.Text key={i} type="danger" role="alert" style={{ display: 'block', fontSize: 12 }}>{m}</Typography.Text>
      ))}
    </div>
  );
}

/** The input of a setFields effect as rows: a field and the value it gets (a literal, the acting user, now). */
export function SetFieldsEditor({ value, onChange, fields, ariaLabel }: { value: Record<string, unknown> | undefined; onChange(v: Record<string, unknown>): void; fields: FieldChoice[]; ariaLabel: string }) {
  const { t } = useTranslation();
  const rows = Object.entries(value ?? {});
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const rebuild = (list: [string, unknown][]) => onChange(Object.fromEntries(list.filter(([k]) => k)));
  return (
    <Space direction="vertical" style={{ width: '100%' }} className="ct-setfields">
      {rows.map(([k, v], i) => {
        const f = byKey.get(k);
        const isExpr = v && typeof v === 'object' && !Array.isArray(v) && !(Object.keys(v).length === 1 && typeof (v as { var?: unknown }).var === 'string');
        return (
          <Space key={i} wrap>
            <Select size="small" showSearch optionFilterProp="label" aria-label={`${ariaLabel} ${t('admin.cond.field')} ${i + 1}`} style={{ width: 170 }} value={k || undefined} options={fields.map((x) => ({ value: x.key, label: x.label, disabled: x.key !== k && x.key in (value ?? {}) }))} onChange={(nk: string) => rebuild(rows.map(([rk, rv], j) => (j === i ? [nk, undefined] : [rk, rv])))} />
            <span>{t('admin.cond.becomes')}</span>
            {isExpr ? (
              <Typography.Text type="secondary">{t('admin.cond.expression')}</Typography.Text>
            ) : (
              <ValueInput field={f} value={v as Value} specials={f?.kind === 'user' ? ['actor'] : f?.kind === 'date' ? ['now'] : []} ariaLabel={`${ariaLabel} ${t('admin.cond.value')} ${i + 1}`} onChange={(nv) => rebuild(rows.map(([rk, rv], j) => (j === i ? [rk, nv] : [rk, rv])))} />
            )}
            <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={`${t('admin.cond.remove')} ${i + 1}`} onClick={() => rebuild(rows.filter((_, j) => j !== i))} />
          </Space>
        );
      })}
      <Button size="small" icon={<PlusOutlined />} style={{ width: 'fit-content' }} onClick={() => { const free = fields.find((f) => !(f.key in (value ?? {}))); if (free) rebuild([...rows, [free.key, undefined]]); }}>
        {t('admin.cond.addField')}
      </Button>
    </Space>
  );
}
