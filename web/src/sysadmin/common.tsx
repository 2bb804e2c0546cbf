// Shared pieces of the system-management screens: org units and roles by name, pickers, the show-once secret.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, Tag, TreeSelect, Typography } from 'antd';
import type { useAppProps } from 'antd/es/app/context';
import { useTranslation } from 'react-i18next';
import { api, apiUrl, type Query } from '../api';
import { currentLang, pick } from '../i18n';
import { useMeta } from '../meta';
import './messages';

export type OrgKind = 'company' | 'centre' | 'lab' | 'department';
export interface OrgUnit {
  id: number;
  parentId: number | null;
  kind: OrgKind;
  code: string;
  name: string;
  nameEn: string | null;
  sort: number;
  disabled: boolean;
}
export const ORG_KINDS: OrgKind[] = ['company', 'centre', 'lab', 'department'];
export const KIND_COLORS: Record<OrgKind, string> = { company: 'purple', centre: 'blue', lab: 'green', department: 'default' };

export function orgName(o: OrgUnit | undefined): string {
  if (!o) return '';
  return currentLang() === 'en' && o.nameEn ? o.nameEn : o.name;
}

/** The org tree (every unit, disabled ones too) and a reload. */
export function useOrgs() {
  const [orgs, setOrgs] = useState<OrgUnit[]>([]);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(() => {
    api<{ data: OrgUnit[] }>('/api/v1/admin/orgs')
      .then((b) => setOrgs(b.data))
      .catch(setError);
  }, []);
  useEffect(reload, [reload]);
  const byId = useMemo(() => new Map(orgs.map((o) => [o.id, o])), [orgs]);
  return { orgs, byId, reload, error };
}

/** Roles by id with their labels in the current language. */
export function useRoles(): { id: string; label: string }[] {
  const meta = useMeta();
  const lang = currentLang();
  return useMemo(
    () => Object.entries((meta.kinds.role ?? {}) as Record<string, { label?: unknown }>).map(([id, r]) => ({ id, label: pick(r.label, lang, id) })).sort((a, b) => a.label.localeCompare(b.label, lang)),
    [meta, lang],
  );
}

export function RoleTags({ roles }: { roles: string[] }) {
  const all = useRoles();
  const label = (r: string) => all.find((x) => x.id === r)?.label ?? r;
  return (
    <>
      {roles.map((r) => (
        <Tag key={r}>{label(r)}</Tag>
      ))}
    </>
  );
}

interface TreeNode {
  value: number;
  title: string;
  key: number;
  disabled?: boolean;
  children: TreeNode[];
}

export function orgTreeData(orgs: OrgUnit[], t: (k: string) => string, opts: { disableDisabled?: boolean } = {}): TreeNode[] {
  const kids = new Map<number | null, OrgUnit[]>();
  for (const o of orgs) kids.set(o.parentId, [...(kids.get(o.parentId) ?? []), o]);
  const node = (o: OrgUnit): TreeNode => ({
    value: o.id,
    key: o.id,
    title: `${orgName(o)} · ${t(`sys.orgs.kinds.${o.kind}`)}${o.disabled ? ` (${t('sys.orgs.disabled')})` : ''}`,
    disabled: opts.disableDisabled && o.disabled,
    children: (kids.get(o.id) ?? []).sort((a, b) => a.sort - b.sort || a.name.localeCompare(b.name)).map(node),
  });
  return (kids.get(null) ?? []).map(node);
}

/** An org unit picker over the tree (one or several). */
export function OrgPicker(props: { orgs: OrgUnit[]; value?: number | number[] | null; onChange?: (v: any) => void; multiple?: boolean; id?: string; 'aria-label'?: string }) {
  const { t } = useTranslation();
  const data = useMemo(() => orgTreeData(props.orgs, t, { disableDisabled: true }), [props.orgs, t]);
  return (
    <TreeSelect
      id={props.id}
      aria-label={props['aria-label']}
      treeData={data}
      value={props.value ?? undefined}
      onChange={props.onChange}
      multiple={props.multiple}
      allowClear
      showSearch
      treeNodeFilterProp="title"
      treeDefaultExpandAll
      style={{ width: '100%' }}
      placeholder={t('form.selectPlaceholder')}
    />
  );
}

/** A secret (temporary password, API token) shown once, with a copy button. */
export function showOnce(modal: Pick<useAppProps['modal'], 'info'>, title: string, secret: string, t: (k: string) => string) {
  modal.info({
    title,
    width: 520,
    okText: t('sys.common.done'),
    content: (
      <div>
        <Typography.Paragraph copyable={{ text: secret, tooltips: [t('sys.common.copy'), t('sys.common.copy')] }} code className="ct-secret" style={{ fontSize: 16 }}>
          {secret}
        </Typography.Paragraph>
        <Alert type="warning" showIcon message={t('sys.common.shownOnce')} />
      </div>
    ),
  });
}

/** Downloads an API answer as a file, in the screen's language (the session cookie authenticates it). */
export async function download(path: string, query: Query = {}): Promise<void> {
  const res = await fetch(apiUrl(path, query), { credentials: 'include', headers: { 'Accept-Language': currentLang() } });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? 'download';
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function sizeText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
