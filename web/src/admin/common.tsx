// Building blocks shared by the designers: bilingual label input, sortable list (drag or up/down buttons),
// and the frame that loads a definition, saves overlay versions with a reason, lists versions and rolls back.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { App, Alert, Button, Drawer, Input, Result, Skeleton, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, HistoryOutlined, HolderOutlined, RollbackOutlined, SaveOutlined } from '@ant-design/icons';
import { DndContext, KeyboardSensor, PointerSensor, closestCenter, useSensor, useSensors, type DragEndEvent } from '@dnd-kit/core';
import { SortableContext, arrayMove, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText } from '../api';
import { formatDateTime } from '../lib/format';
import { useReloadMeta } from '../meta';
import './designerMessages';

/** A bilingual label; en is optional (metadata readers fall back to zh-CN). */
export type Label = { 'zh-CN': string; en?: string };

/** zh-CN and en inputs; an empty English is left out of the label (not saved as ""). */
export function LabelInput({ value, onChange, id, enId }: { value?: Partial<Label> | string; onChange(v: Label): void; id?: string; enId?: string }) {
  const { t } = useTranslation();
  const v: Partial<Label> = typeof value === 'string' ? { 'zh-CN': value } : (value ?? {});
  const of = (zh: string, en: string | undefined): Label => (en ? { 'zh-CN': zh, en } : { 'zh-CN': zh });
  return (
    <Space.Compact style={{ width: '100%' }}>
      <Input id={id} aria-label={t('admin.labelZh')} placeholder={t('admin.labelZh')} value={v['zh-CN'] ?? ''} onChange={(e) => onChange(of(e.target.value, v.en))} />
      <Input id={enId} aria-label={t('admin.labelEn')} placeholder={t('admin.labelEnOptional')} value={v.en ?? ''} onChange={(e) => onChange(of(v['zh-CN'] ?? '', e.target.value))} />
    </Space.Compact>
  );
}

function SortableRow({ id, index, count, move, children }: { id: string; index: number; count: number; move(from: number, to: number): void; children: ReactNode }) {
  const { t } = useTranslation();
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id });
  return (
    <div
      ref={setNodeRef}
      className="ct-sort-row"
      data-id={id}
      style={{ transform: CSS.Transform.toString(transform), transition, opacity: isDragging ? 0.6 : 1 }}
    >
      <span className="ct-drag" {...attributes} {...listeners} aria-label={t('admin.dragHandle', { item: id })}>
        <HolderOutlined />
      </span>
      <div style={{ flex: 1, minWidth: 0 }}>{children}</div>
      <Button size="small" type="text" icon={<ArrowUpOutlined />} disabled={index === 0} aria-label={t('admin.moveUp', { item: id })} onClick={() => move(index, index - 1)} />
      <Button size="small" type="text" icon={<ArrowDownOutlined />} disabled={index === count - 1} aria-label={t('admin.moveDown', { item: id })} onClick={() => move(index, index + 1)} />
    </div>
  );
}

/** Items reordered by dragging the handle (mouse, touch or keyboard: space then arrows) or with ↑/↓ buttons. */
export function SortableList<T>({ items, idOf, onChange, render }: { items: T[]; idOf(item: T): string; onChange(items: T[]): void; render(item: T, index: number): ReactNode }) {
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 4 } }), useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }));
  const ids = items.map(idOf);
  const move = (from: number, to: number) => onChange(arrayMove(items, from, to));
  const onDragEnd = (e: DragEndEvent) => {
    if (!e.over || e.active.id === e.over.id) return;
    move(ids.indexOf(String(e.active.id)), ids.indexOf(String(e.over.id)));
  };
  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
      <SortableContext items={ids} strategy={verticalListSortingStrategy}>
        {items.map((it, i) => (
          <SortableRow key={ids[i]} id={ids[i]} index={i} count={items.length} move={move}>
            {render(it, i)}
          </SortableRow>
        ))}
      </SortableContext>
    </DndContext>
  );
}

export interface OverlayVersion {
  id: number;
  version: number;
  reason: string;
  createdByName?: string;
  createdAt: string;
  diff?: { path: string; type: string }[];
}

/** Chinese names given to definitions about to be created (`kind/id` → name), read by their designer's blank draft. */
export const NEW_NAMES = new Map<string, string>();

/** Loads `GET /meta/{kind}/{id}` (or starts from `blank` for a new one) and keeps an editable draft. */
export function useDefinition<T>(kind: string, id: string, blank: () => T) {
  const [draft, setDraft] = useState<T | null>(null);
  const [saved, setSaved] = useState<string>('');
  const [isNew, setIsNew] = useState(false);
  const [hasFile, setHasFile] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    setError(null);
    api<{ data: T; file: T | null }>(`/api/v1/meta/${kind}/${encodeURIComponent(id)}`)
      .then((b) => {
        setDraft(b.data);
        setSaved(JSON.stringify(b.data));
        setIsNew(false);
        setHasFile(!!b.file);
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) {
          const b = blank();
          // The name typed in the "new" dialog (AdminPage), in place of the id the blank definition carries.
          const name = NEW_NAMES.get(`${kind}/${id}`);
          if (name && b && typeof b === 'object') {
            const o = b as Record<string, unknown>;
            o['x-label' in o ? 'x-label' : 'label'] = { 'zh-CN': name };
          }
          setDraft(b);
          setSaved('');
          setIsNew(true);
        } else setError(errorText(e));
      });
  }, [kind, id]); // eslint-disable-line
  useEffect(load, [load]);
  const dirty = draft != null && JSON.stringify(draft) !== saved;
  return { draft, setDraft, dirty, isNew, hasFile, error, load, savedText: saved };
}

/** Ask for the reason every metadata change must carry. */
export function useReasonPrompt() {
  const { modal } = App.useApp();
  const { t } = useTranslation();
  return (title: string) =>
    new Promise<string | null>((resolve) => {
      let reason = '';
      modal.confirm({
        title,
        icon: <SaveOutlined />,
        content: (
          <Input.TextArea
            id="ct-reason"
            aria-label={t('admin.reason')}
            placeholder={t('admin.reasonHint')}
            autoFocus
            rows={3}
            onChange={(e) => (reason = e.target.value)}
          />
        ),
        okText: t('common.save'),
        onOk: () => {
          if (!reason.trim()) return Promise.reject(new Error('reason'));
          resolve(reason.trim());
          return undefined;
        },
        onCancel: () => resolve(null),
      });
    });
}

export function VersionsDrawer({ kind, id, open, onClose, onRolledBack, hasFile }: { kind: string; id: string; open: boolean; onClose(): void; onRolledBack(): void; hasFile: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const ask = useReasonPrompt();
  const [rows, setRows] = useState<OverlayVersion[] | null>(null);
  const load = useCallback(() => {
    api<{ data: OverlayVersion[] }>(`/api/v1/meta/${kind}/${encodeURIComponent(id)}/versions`)
      .then((b) => setRows(b.data))
      .catch((e: unknown) => void message.error(errorText(e)));
  }, [kind, id, message]);
  useEffect(() => {
    if (open) load();
  }, [open, load]);
  const rollback = async (version: number) => {
    const reason = await ask(t('admin.rollbackTo', { version }));
    if (!reason) return;
    try {
      await api(`/api/v1/meta/${kind}/${encodeURIComponent(id)}/rollback`, { method: 'POST', body: { version, reason } });
      void message.success(t('admin.rolledBack', { version }));
      load();
      onRolledBack();
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  return (
    <Drawer title={t('admin.versions')} open={open} onClose={onClose} width={640}>
      {hasFile && (
        <Button icon={<RollbackOutlined />} style={{ marginBottom: 12 }} onClick={() => void rollback(0)}>
          {t('admin.restoreShipped')}
        </Button>
      )}
      <Table<OverlayVersion>
        size="small"
        rowKey="id"
        loading={rows == null}
        dataSource={rows ?? []}
        pagination={false}
        columns={[
          { title: t('admin.version'), dataIndex: 'version', width: 70 },
          { title: t('admin.when'), dataIndex: 'createdAt', render: (v: string) => formatDateTime(v), width: 140 },
          { title: t('admin.who'), dataIndex: 'createdByName', width: 100 },
          { title: t('admin.reason'), dataIndex: 'reason' },
          { title: t('admin.changes'), render: (_: unknown, r) => <Tooltip title={(r.diff ?? []).map((d) => `${d.type} ${d.path}`).join('\n')}><Tag>{(r.diff ?? []).length}</Tag></Tooltip>, width: 70 },
          {
            title: '',
            width: 90,
            render: (_: unknown, r, i) => (i === 0 ? <Tag color="blue">{t('admin.current')}</Tag> : <Button size="small" onClick={() => void rollback(r.version)}>{t('admin.rollback')}</Button>),
          },
        ]}
      />
    </Drawer>
  );
}

/** Title, save (with reason), versions and rollback around one designer. */
export function DesignerFrame<T>({
  kind, id, title, state, beforeSave, children, extra, onErrors,
}: {
  kind: string;
  id: string;
  title: string;
  state: ReturnType<typeof useDefinition<T>>;
  /** Runs before the definition is saved (e.g. the form designer saves new entity fields first). */
  beforeSave?: (reason: string) => Promise<void>;
  children: ReactNode;
  extra?: ReactNode;
  /** Server validation details of the last save (paths relative to the definition), to mark the controls. */
  onErrors?: (details: { path: string; message: string }[]) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const reloadMeta = useReloadMeta();
  const ask = useReasonPrompt();
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [saving, setSaving] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const save = async () => {
    const reason = await ask(t('admin.saveTitle', { id }));
    if (!reason || !state.draft) return;
    setSaving(true);
    setErrors([]);
    onErrors?.([]);
    try {
      await beforeSave?.(reason);
      await api(`/api/v1/meta/${kind}/${encodeURIComponent(id)}`, { method: 'PUT', body: { definition: state.draft, reason } });
      await reloadMeta();
      state.load();
      void message.success(t('admin.saved'));
    } catch (e) {
      if (e instanceof ApiError && e.details.length) {
        setErrors([e.message, ...e.details.map((d) => `${d.path}: ${d.message}`)]);
        onErrors?.(e.details.map((d) => ({ path: d.path.replace(/^\/definition/, ''), message: d.message })));
      }
      else setErrors([errorText(e)]);
    } finally {
      setSaving(false);
    }
  };
  if (state.error) return <Result status="error" title={t('error.loadFailed')} subTitle={state.error} />;
  if (!state.draft) return <div className="ct-page"><Skeleton active /></div>;
  return (
    <div className="ct-page">
      <div className="ct-toolbar">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {title} <Typography.Text type="secondary" style={{ fontSize: 14 }}>{id}</Typography.Text>
        </Typography.Title>
        {state.isNew && <Tag color="green">{t('admin.new')}</Tag>}
        {state.dirty && <Tag color="orange">{t('admin.unsaved')}</Tag>}
        <span className="ct-spacer" />
        {extra}
        {!state.isNew && (
          <Button icon={<HistoryOutlined />} onClick={() => setVersionsOpen(true)}>
            {t('admin.versions')}
          </Button>
        )}
        <Button type="primary" icon={<SaveOutlined />} loading={saving} disabled={!state.dirty} onClick={() => void save()}>
          {t('admin.saveVersion')}
        </Button>
      </div>
      {errors.length > 0 && (
        <Alert type="error" showIcon role="alert" style={{ marginBottom: 12 }} message={errors[0]} description={errors.length > 1 ? <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{errors.slice(1).join('\n')}</pre> : undefined} closable onClose={() => setErrors([])} />
      )}
      {children}
      <VersionsDrawer
        kind={kind}
        id={id}
        open={versionsOpen}
        hasFile={state.hasFile}
        onClose={() => setVersionsOpen(false)}
        onRolledBack={() => {
          void reloadMeta();
          state.load();
        }}
      />
    </div>
  );
}

/** Field names of an entity with their label in the current language, for selects. */
export function fieldOptions(props: Record<string, { 'x-label'?: unknown }>, lang: 'zh-CN' | 'en', pick: (l: unknown, lang: 'zh-CN' | 'en', f: string) => string) {
  return Object.entries(props).map(([k, p]) => ({ value: k, label: `${pick(p['x-label'], lang, k)} (${k})` }));
}
