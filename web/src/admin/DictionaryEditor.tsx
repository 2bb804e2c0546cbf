import { useMemo } from 'react';
import { Button, Card, Input, Space, Switch, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { DictionaryDef, DictionaryItem } from '../meta';
import { DesignerFrame, LabelInput, SortableList, useDefinition, type Label } from './common';

export default function DictionaryEditor({ id }: { id: string }) {
  const { t } = useTranslation();
  const state = useDefinition<DictionaryDef>('dictionary', id, () => ({ $id: id, label: { 'zh-CN': id, en: id }, items: [] }));
  const { draft, setDraft } = state;
  const savedCodes = useMemo(() => new Set(state.savedText ? (JSON.parse(state.savedText) as DictionaryDef).items.map((i) => i.code) : []), [state.savedText]);
  const frame = (body: React.ReactNode) => <DesignerFrame kind="dictionary" id={id} title={t('admin.dictionaryEditor')} state={state}>{body}</DesignerFrame>;
  if (!draft) return frame(null);
  const setItem = (i: number, it: DictionaryItem) => setDraft({ ...draft, items: draft.items.map((x, j) => (j === i ? it : x)) });
  return frame(
    <>
      <Card size="small" className="ct-section" title={t('admin.dictionaryLabel')}>
        <div style={{ maxWidth: 420 }}>
          <LabelInput value={draft.label as Label} onChange={(l) => setDraft({ ...draft, label: l })} />
        </div>
      </Card>
      <Card
        size="small"
        className="ct-section"
        title={t('admin.items')}
        extra={
          <Button icon={<PlusOutlined />} onClick={() => setDraft({ ...draft, items: [...draft.items, { code: `item${draft.items.length + 1}`, label: { 'zh-CN': '', en: '' }, enabled: true }] })}>
            {t('admin.addItem')}
          </Button>
        }
      >
        <Typography.Paragraph type="secondary">{t('admin.itemsHint')}</Typography.Paragraph>
        <SortableList
          items={draft.items}
          idOf={(it) => it.code}
          onChange={(items) => setDraft({ ...draft, items })}
          render={(it, i) => (
            <Space wrap>
              {savedCodes.has(it.code) ? (
                <Typography.Text code style={{ display: 'inline-block', minWidth: 100 }}>{it.code}</Typography.Text>
              ) : (
                <Input aria-label={t('admin.code')} style={{ width: 120 }} value={it.code} onChange={(e) => setItem(i, { ...it, code: e.target.value })} />
              )}
              <div style={{ width: 320 }}>
                <LabelInput value={it.label as Label} onChange={(l) => setItem(i, { ...it, label: l })} />
              </div>
              <Input aria-label={t('admin.abbr')} placeholder={t('admin.abbr')} style={{ width: 80 }} value={(it.abbr as string) ?? ''} onChange={(e) => setItem(i, { ...it, abbr: e.target.value || undefined })} />
              <Switch aria-label={t('admin.enabled')} checkedChildren={t('admin.enabled')} unCheckedChildren={t('admin.disabled')} checked={it.enabled !== false} onChange={(on) => setItem(i, { ...it, enabled: on })} />
              {!savedCodes.has(it.code) && <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => setDraft({ ...draft, items: draft.items.filter((_, j) => j !== i) })} />}
            </Space>
          )}
        />
      </Card>
    </>,
  );
}
