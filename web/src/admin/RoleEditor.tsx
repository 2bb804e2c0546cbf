// Role editor: permission matrix (entities grouped by module × actions), field rules per grant and the row scope
// of each grant. The draft is the role definition itself (platform/auth/roles.ts), so the server's error
// pointers (/permissions/3/scope/jsonLogic) land on the row and control they name.
import { Fragment, useMemo, useState } from 'react';
import { Button, Card, Checkbox, Col, Drawer, Radio, Row, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { currentLang, pick } from '../i18n';
import { SYSTEM_FIELDS, useMeta, type EntitySchema } from '../meta';
import { DesignerFrame, LabelInput, useDefinition, type Label } from './common';
import { ErrorText, JsonInput, errorsAt, scopeLogicProblem, type PathError } from './designerKit';
import './designerMessages';

type Scope = 'own' | 'lab' | 'orgSubtree' | 'all' | { jsonLogic: Record<string, unknown> };
export interface Grant {
  entity?: string;
  module?: string;
  actions: string[];
  scope?: Scope;
  fields?: Record<string, 'hidden' | 'readOnly'>;
  unmask?: string[];
}
export interface RoleDef {
  $id: string;
  label: Label;
  description?: Label;
  admin?: boolean;
  system?: string[];
  permissions?: Grant[];
}

export const BASE_ACTIONS = ['read', 'create', 'update', 'delete', 'export', 'import'];
const SYSTEM_PERMISSIONS = ['users:admin', 'org:admin', 'meta:write', 'audit:read', 'tokens:admin', 'backup', 'loginlog:read', 'records:restore'];
const SCOPES = ['own', 'lab', 'orgSubtree', 'all'] as const;
const NO_MODULE = '';

type Target = { kind: 'all' } | { kind: 'module'; module: string } | { kind: 'entity'; entity: string };
const targetKey = (t: Target) => (t.kind === 'all' ? '*' : t.kind === 'module' ? `m:${t.module}` : `e:${t.entity}`);
const isFor = (g: Grant, t: Target) => (t.kind === 'all' ? g.entity === '*' : t.kind === 'module' ? g.module === t.module && !g.entity : g.entity === t.entity);
const grantOf = (t: Target, rest: Omit<Grant, 'entity' | 'module'>): Grant => (t.kind === 'all' ? { entity: '*', ...rest } : t.kind === 'module' ? { module: t.module, ...rest } : { entity: t.entity, ...rest });

interface MatrixRow {
  key: string;
  target: Target;
  title: string;
  group: boolean;
  /** Index in permissions; undefined for an entity without grants of its own. */
  index?: number;
  /** What applies to an entity without grants of its own (module grants, else '*' grants). */
  inherited?: { from: string; grants: Grant[] };
}

function defaultScopeOf(e: EntitySchema | undefined): string {
  const s = e?.['x-scope'];
  return s === 'global' ? 'all' : s === 'org' ? 'orgSubtree' : 'lab';
}

export default function RoleEditor({ id }: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const state = useDefinition<RoleDef>('role', id, () => ({ $id: id, label: { 'zh-CN': id, en: id }, permissions: [] }));
  const { draft, setDraft } = state;
  const [errors, setErrors] = useState<PathError[]>([]);
  const [fieldsOf, setFieldsOf] = useState<number | null>(null);

  const modules = useMemo(() => {
    const byModule = new Map<string, string[]>();
    for (const [name, e] of Object.entries(meta.entities)) {
      const m = (e['x-module'] as string | undefined) ?? NO_MODULE;
      byModule.set(m, [...(byModule.get(m) ?? []), name]);
    }
    return [...byModule.entries()].sort(([a], [b]) => (a === NO_MODULE ? 1 : b === NO_MODULE ? -1 : a.localeCompare(b)));
  }, [meta.entities]);
  // Actions an entity offers beyond CRUD: pipeline actions (x-actions) and flow start actions.
  const extraActionsOf = useMemo(() => {
    const flows = Object.values(meta.kinds.flow ?? {}) as { entity?: string; start?: { on: string; action?: string } }[];
    return (entity?: string): string[] => {
      const set = new Set<string>();
      const ents = entity ? [entity] : Object.keys(meta.entities);
      for (const e of ents) {
        for (const a of (meta.entities[e]?.['x-actions'] as string[] | undefined) ?? []) set.add(a);
        for (const f of flows) if (f.entity === e && f.start?.on === 'action' && f.start.action) set.add(f.start.action);
      }
      return [...set].sort();
    };
  }, [meta]);

  const frame = (body: React.ReactNode) => (
    <DesignerFrame kind="role" id={id} title={t('admin.role.editor')} state={state} onErrors={setErrors}>
      {body}
    </DesignerFrame>
  );
  if (!draft) return frame(null);
  const perms = draft.permissions ?? [];
  const setPerms = (p: Grant[]) => setDraft({ ...draft, permissions: p });
  const entityLabel = (e: string) => `${pick(meta.entities[e]?.['x-label'], lang, e)}`;

  // Rows: '*' grants, then per module its grants and its entities (own grants, or one inherited row).
  const rows: MatrixRow[] = [];
  const grantRows = (target: Target, title: string, group: boolean) => {
    const own = perms.map((g, i) => ({ g, i })).filter(({ g }) => isFor(g, target));
    if (own.length) own.forEach(({ i }, n) => rows.push({ key: `${targetKey(target)}#${i}`, target, title: n === 0 ? title : '', group, index: i }));
    return own.length;
  };
  if (!grantRows({ kind: 'all' }, t('admin.role.allEntities'), true)) rows.push({ key: '*', target: { kind: 'all' }, title: t('admin.role.allEntities'), group: true });
  const allGrants = perms.filter((g) => g.entity === '*');
  for (const [m, ents] of modules) {
    const mt: Target = { kind: 'module', module: m };
    // A module is named by its menu (metadata/<module>/menu.json), else by its folder name.
    const mTitle = m === NO_MODULE ? t('admin.role.noModule') : t('admin.role.module', { module: pick(meta.menus[m]?.label, lang, m) });
    const modGrants = m === NO_MODULE ? [] : perms.filter((g) => isFor(g, mt));
    if (m === NO_MODULE) rows.push({ key: 'm:', target: mt, title: mTitle, group: true, inherited: { from: '', grants: [] } });
    else if (!grantRows(mt, mTitle, true)) rows.push({ key: `m:${m}`, target: mt, title: mTitle, group: true });
    for (const e of ents.sort()) {
      const et: Target = { kind: 'entity', entity: e };
      const title = `${entityLabel(e)} (${e})`;
      if (!grantRows(et, title, false))
        rows.push({
          key: `e:${e}`,
          target: et,
          title,
          group: false,
          inherited: modGrants.length ? { from: mTitle, grants: modGrants } : { from: t('admin.role.allEntities'), grants: allGrants },
        });
    }
  }

  /** An entity without grants gets copies of what it inherited, so ticking one box does not drop the rest. */
  const materialize = (row: MatrixRow): { next: Grant[]; index: number } => {
    if (row.index !== undefined) return { next: [...perms], index: row.index };
    const copies = (row.inherited?.grants ?? []).map((g) => grantOf(row.target, { actions: [...g.actions], ...(g.scope ? { scope: g.scope } : {}), ...(g.unmask ? { unmask: [...g.unmask] } : {}) }));
    const next = [...perms, ...(copies.length ? copies : [grantOf(row.target, { actions: [] })])];
    return { next, index: perms.length };
  };
  /** Drops grants left without any action and without field rules (the schema needs one action). */
  const tidy = (next: Grant[]) => next.filter((g) => g.actions.length > 0 || Object.keys(g.fields ?? {}).length > 0 || (g.unmask ?? []).length > 0);
  const setActions = (row: MatrixRow, f: (actions: string[]) => string[]) => {
    const { next, index } = materialize(row);
    next[index] = { ...next[index], actions: f(next[index].actions) };
    setPerms(tidy(next));
  };
  const patchGrant = (row: MatrixRow, patch: Partial<Grant>) => {
    const { next, index } = materialize(row);
    next[index] = { ...next[index], ...patch };
    for (const k of Object.keys(patch) as (keyof Grant)[]) if (patch[k] === undefined) delete next[index][k];
    setPerms(next);
  };
  const shown = (row: MatrixRow): Grant[] => (row.index !== undefined ? [perms[row.index]] : (row.inherited?.grants ?? []));
  const has = (row: MatrixRow, a: string) => shown(row).some((g) => g.actions.includes(a));

  const scopeLabel = (s: string) => t(`admin.role.scopes.${s}`);
  const actionCols = [...BASE_ACTIONS, '*'];

  const renderRow = (row: MatrixRow) => {
    const g = row.index !== undefined ? perms[row.index] : undefined;
    const base = row.index !== undefined ? `/permissions/${row.index}` : '';
    const rowErrors = g ? errorsAt(errors, base) : [];
    const inheritedRow = row.index === undefined;
    const wildcard = shown(row).some((x) => x.actions.includes('*'));
    const entity = row.target.kind === 'entity' ? row.target.entity : undefined;
    const scope = g?.scope;
    const scopeValue = scope === undefined ? '' : typeof scope === 'object' ? 'jsonLogic' : scope;
    const extras = [...new Set(shown(row).flatMap((x) => x.actions.filter((a) => a !== '*' && !BASE_ACTIONS.includes(a))))];
    const extraOptions = [...new Set([...extraActionsOf(entity), ...extras])].map((a) => ({ value: a, label: a }));
    const cls = ['ct-matrix-row', row.group ? 'ct-matrix-group' : '', inheritedRow ? 'ct-matrix-inherited' : '', rowErrors.length ? 'ct-matrix-error' : ''].join(' ');
    const noModuleHeader = row.key === 'm:';
    const fieldRules = Object.keys(g?.fields ?? {}).length + (g?.unmask ?? []).length;
    return (
      <Fragment key={row.key}>
        <tr className={cls} data-target={targetKey(row.target)} data-grant={row.index ?? ''}>
          <th scope="row" className="ct-matrix-target">
            {row.title}
            {inheritedRow && !noModuleHeader && row.inherited && row.inherited.grants.length > 0 && (
              <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12, fontWeight: 'normal' }}>
                {t('admin.role.inherited', { from: row.inherited.from })}
              </Typography.Text>
            )}
          </th>
          {noModuleHeader ? (
            <td colSpan={actionCols.length + 4} />
          ) : (
            <>
              {actionCols.map((a) => (
                <td key={a} className="ct-matrix-cell">
                  <Checkbox
                    aria-label={`${row.title || targetKey(row.target)} ${t(`admin.role.action.${a === '*' ? 'all' : a}`)}`}
                    data-action={a}
                    checked={has(row, a) || (a !== '*' && wildcard)}
                    disabled={a !== '*' && wildcard && !has(row, a)}
                    onChange={(e) => setActions(row, (acts) => (e.target.checked ? [...new Set([...acts, a])] : acts.filter((x) => x !== a)))}
                  />
                </td>
              ))}
              <td className="ct-matrix-extra">
                <Select
                  mode="tags"
                  size="small"
                  aria-label={`${row.title || targetKey(row.target)} ${t('admin.role.otherActions')}`}
                  style={{ minWidth: 140, width: '100%' }}
                  value={extras}
                  options={extraOptions}
                  disabled={wildcard && !extras.length}
                  placeholder={wildcard ? t('admin.role.action.all') : undefined}
                  onChange={(v: string[]) => setActions(row, (acts) => [...acts.filter((a) => a === '*' || BASE_ACTIONS.includes(a)), ...v])}
                />
              </td>
              <td className="ct-matrix-scope">
                {inheritedRow ? (
                  <Typography.Text type="secondary">{[...new Set(shown(row).map((x) => (x.scope === undefined ? t('admin.role.scopeByEntity') : typeof x.scope === 'object' ? 'JSON Logic' : scopeLabel(x.scope))))].join(' / ')}</Typography.Text>
                ) : (
                  <Select
                    size="small"
                    aria-label={`${row.title || targetKey(row.target)} ${t('admin.role.scope')}`}
                    style={{ width: 170 }}
                    status={errorsAt(errors, `${base}/scope`).length ? 'error' : undefined}
                    value={scopeValue}
                    options={[
                      { value: '', label: entity ? t('admin.role.scopeDefault', { scope: scopeLabel(defaultScopeOf(meta.entities[entity])) }) : t('admin.role.scopeByEntity') },
                      ...SCOPES.map((s) => ({ value: s, label: scopeLabel(s) })),
                      { value: 'jsonLogic', label: scopeLabel('jsonLogic') },
                    ]}
                    onChange={(v: string) =>
                      patchGrant(row, {
                        scope: v === '' ? undefined : v === 'jsonLogic' ? { jsonLogic: { '==': [{ var: 'createdBy' }, { var: '$actor.id' }] } } : (v as Scope),
                      })
                    }
                  />
                )}
              </td>
              <td className="ct-matrix-fields">
                {entity && !inheritedRow ? (
                  <Button size="small" danger={errorsAt(errors, `${base}/fields`).length > 0} onClick={() => setFieldsOf(row.index!)} aria-label={`${row.title || entity} ${t('admin.role.fields')}`}>
                    {t('admin.role.fields')} {fieldRules > 0 && <Tag style={{ marginLeft: 4, marginRight: 0 }}>{fieldRules}</Tag>}
                  </Button>
                ) : !inheritedRow ? (
                  <Tooltip title={t('admin.role.unmaskAll')}>
                    <Checkbox checked={(g?.unmask ?? []).includes('*')} onChange={(e) => patchGrant(row, { unmask: e.target.checked ? ['*'] : undefined })}>
                      {t('admin.role.unmask')}
                    </Checkbox>
                  </Tooltip>
                ) : null}
              </td>
              <td className="ct-matrix-ops">
                {!inheritedRow && (
                  <Space size={0}>
                    <Tooltip title={t('admin.role.addGrant')}>
                      <Button size="small" type="text" icon={<PlusOutlined />} aria-label={t('admin.role.addGrant')} onClick={() => setPerms([...perms, grantOf(row.target, { actions: ['read'], scope: 'own' })])} />
                    </Tooltip>
                    <Tooltip title={t('admin.role.removeGrant')}>
                      <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('admin.role.removeGrant')} onClick={() => setPerms(perms.filter((_, j) => j !== row.index))} />
                    </Tooltip>
                  </Space>
                )}
              </td>
            </>
          )}
        </tr>
        {g && typeof g.scope === 'object' && (
          <tr className="ct-matrix-sub">
            <td />
            <td colSpan={actionCols.length + 4}>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('admin.role.condition')} — {t('admin.role.conditionHint')}</Typography.Text>
              <JsonInput
                key={`logic-${row.index}`}
                ariaLabel={`${row.title || targetKey(row.target)} ${t('admin.role.condition')}`}
                value={g.scope.jsonLogic}
                check={(v) => scopeLogicProblem(v, entity ? new Set([...Object.keys(meta.entities[entity]?.properties ?? {}), ...SYSTEM_FIELDS]) : undefined)}
                serverErrors={errorsAt(errors, `${base}/scope`)}
                onChange={(v) => v && patchGrant(row, { scope: { jsonLogic: v } })}
              />
            </td>
          </tr>
        )}
        {g && g.actions.length === 0 && (
          <tr className="ct-matrix-sub">
            <td />
            <td colSpan={actionCols.length + 4}>
              <Typography.Text type="warning">{t('admin.role.noActions')}</Typography.Text>
            </td>
          </tr>
        )}
        {rowErrors.length > 0 && !(g && typeof g.scope === 'object') && (
          <tr className="ct-matrix-sub">
            <td />
            <td colSpan={actionCols.length + 4}>
              <ErrorText errors={errors} path={base} />
            </td>
          </tr>
        )}
      </Fragment>
    );
  };

  const fg = fieldsOf !== null ? perms[fieldsOf] : undefined;
  const fEntity = fg?.entity && fg.entity !== '*' ? meta.entities[fg.entity] : undefined;
  const setFieldRule = (f: string, rule: '' | 'hidden' | 'readOnly') => {
    if (fieldsOf === null || !fg) return;
    const fields = { ...(fg.fields ?? {}) };
    if (rule) fields[f] = rule;
    else delete fields[f];
    const next = [...perms];
    next[fieldsOf] = { ...fg, fields: Object.keys(fields).length ? fields : undefined };
    if (!next[fieldsOf].fields) delete next[fieldsOf].fields;
    setPerms(next);
  };
  const setUnmask = (f: string, on: boolean) => {
    if (fieldsOf === null || !fg) return;
    const u = new Set(fg.unmask ?? []);
    if (on) u.add(f);
    else u.delete(f);
    const next = [...perms];
    next[fieldsOf] = { ...fg, unmask: [...u] };
    if (!u.size) delete next[fieldsOf].unmask;
    setPerms(next);
  };

  return frame(
    <>
      <Card size="small" className="ct-section">
        <Row gutter={[16, 8]}>
          <Col xs={24} md={12}>
            <Typography.Text>{t('admin.role.label')}</Typography.Text>
            <LabelInput value={draft.label} onChange={(l) => setDraft({ ...draft, label: l })} />
            <ErrorText errors={errors} path="/label" />
          </Col>
          <Col xs={24} md={12}>
            <Typography.Text>{t('admin.role.description')}</Typography.Text>
            <LabelInput value={draft.description} onChange={(l) => setDraft({ ...draft, description: l['zh-CN'] || l.en ? l : undefined })} />
            <ErrorText errors={errors} path="/description" />
          </Col>
          <Col xs={24}>
            <Space wrap>
              <Switch aria-label={t('admin.role.admin')} checked={!!draft.admin} onChange={(v) => setDraft({ ...draft, admin: v || undefined })} />
              <span>{t('admin.role.admin')}</span>
            </Space>
          </Col>
          <Col xs={24}>
            <Typography.Text>{t('admin.role.system')}: </Typography.Text>
            <Checkbox.Group
              value={draft.system ?? []}
              options={SYSTEM_PERMISSIONS.map((p) => ({ value: p, label: t(`admin.role.perm.${p.replace(':', '_')}`) }))}
              onChange={(v) => setDraft({ ...draft, system: v.length ? (v as string[]) : undefined })}
            />
            <ErrorText errors={errors} path="/system" />
          </Col>
        </Row>
      </Card>
      <Card size="small" className="ct-section" title={t('admin.role.matrix')}>
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('admin.role.matrixHint')}</Typography.Paragraph>
        <ErrorText errors={errors} path="/permissions" />
        <div className="ct-matrix-wrap">
          <table className="ct-matrix" aria-label={t('admin.role.matrix')}>
            <thead>
              <tr>
                <th scope="col">{t('admin.role.target')}</th>
                {actionCols.map((a) => (
                  <th scope="col" key={a}>{t(`admin.role.action.${a === '*' ? 'all' : a}`)}</th>
                ))}
                <th scope="col">{t('admin.role.otherActions')}</th>
                <th scope="col">{t('admin.role.scope')}</th>
                <th scope="col">{t('admin.role.fields')}</th>
                <th scope="col" aria-label="ops" />
              </tr>
            </thead>
            <tbody>{rows.map(renderRow)}</tbody>
          </table>
        </div>
      </Card>
      <Drawer
        open={fieldsOf !== null && !!fEntity}
        onClose={() => setFieldsOf(null)}
        width={620}
        title={fg?.entity ? t('admin.role.fieldsOf', { entity: entityLabel(fg.entity) }) : ''}
      >
        {fEntity && fg && (
          <>
            <ErrorText errors={errors} path={`/permissions/${fieldsOf}/fields`} />
            <Table
              size="small"
              rowKey="name"
              pagination={false}
              dataSource={Object.entries(fEntity.properties).map(([name, p]) => ({ name, label: pick(p['x-label'], lang, name), encrypted: !!p['x-encrypted'] }))}
              columns={[
                { title: t('admin.label'), dataIndex: 'label', render: (l: string, r) => <span>{l} <Typography.Text type="secondary" code>{r.name}</Typography.Text>{r.encrypted && <Tag color="purple">{t('admin.role.encrypted')}</Tag>}</span> },
                {
                  title: t('admin.role.fields'),
                  width: 230,
                  render: (_: unknown, r) => (
                    <Radio.Group
                      size="small"
                      optionType="button"
                      aria-label={`${r.name} ${t('admin.role.fields')}`}
                      value={fg.fields?.[r.name] ?? ''}
                      onChange={(e) => setFieldRule(r.name, e.target.value as '' | 'hidden' | 'readOnly')}
                      options={[
                        { value: '', label: t('admin.role.visible') },
                        { value: 'readOnly', label: t('admin.role.readOnly') },
                        { value: 'hidden', label: t('admin.role.hidden') },
                      ]}
                    />
                  ),
                },
                {
                  title: t('admin.role.unmask'),
                  width: 80,
                  render: (_: unknown, r) =>
                    r.encrypted ? (
                      <Checkbox aria-label={`${r.name} ${t('admin.role.unmask')}`} checked={(fg.unmask ?? []).includes(r.name) || (fg.unmask ?? []).includes('*')} disabled={(fg.unmask ?? []).includes('*')} onChange={(e) => setUnmask(r.name, e.target.checked)} />
                    ) : null,
                },
              ]}
            />
            <Checkbox style={{ marginTop: 12 }} checked={(fg.unmask ?? []).includes('*')} onChange={(e) => setUnmask('*', e.target.checked)}>
              {t('admin.role.unmaskAll')}
            </Checkbox>
          </>
        )}
      </Drawer>
    </>,
  );
}
