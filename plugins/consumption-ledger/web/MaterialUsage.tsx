import { useState, type ReactNode } from 'react';
import { Alert, App, Button, Popconfirm, Space } from 'antd';
import { ThunderboltOutlined } from '@ant-design/icons';
import { errText, fill, words, type Api, type Lang } from './shared';

interface Props {
  api: Api;
  lang?: Lang;
  value?: { lot?: number; quantity?: number; openNew?: boolean }[];
  onChange(v: unknown): void;
  /** The whole culture record being edited. */
  formData: Record<string, any>;
  /** The platform's line editor for this field. */
  editor: ReactNode;
  disabled?: boolean;
  readonly?: boolean;
}

/**
 * Materials used in a culture record: the standard line editor plus "fill from the template"
 * of the record's cell kind / type, with the first-expiring usable lot of each material in the chosen store.
 * Saving the record posts the consumption through the ledger.
 */
export default function MaterialUsage({ api, lang = 'zh-CN', value, onChange, formData, editor, disabled, readonly }: Props) {
  const w = words(lang);
  const { message } = App.useApp();
  const [missing, setMissing] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const store = formData.materialStore as number | undefined;
  const cellKind = formData.cellKind as string | undefined;
  const apply = async () => {
    if (!cellKind) return void message.warning(w.chooseKind);
    if (!store) return void message.warning(w.chooseStore);
    setBusy(true);
    try {
      const b = await api('/api/v1/materials/culture-template', { query: { cellKind, cellType: formData.cellType, store } });
      if (!b.data) return void message.info(w.templateNone);
      const lines = b.data.lines as { material: { name: string }; quantity: number; lot: { id: number } | null }[];
      onChange(lines.filter((l) => l.lot).map((l) => ({ lot: l.lot!.id, quantity: l.quantity })));
      setMissing(lines.filter((l) => !l.lot).map((l) => fill(w.noLot, { material: l.material.name })));
      void message.success(fill(w.templateApplied, { name: b.data.template.name, n: lines.filter((l) => l.lot).length }));
    } catch (e) {
      void message.error(errText(e));
    } finally {
      setBusy(false);
    }
  };
  const editable = !disabled && !readonly;
  const button = (
    <Button icon={<ThunderboltOutlined />} loading={busy} disabled={!editable} style={{ minHeight: 36 }} onClick={value?.length ? undefined : () => void apply()}>
      {w.template}
    </Button>
  );
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {editable ? (value?.length ? <Popconfirm title={w.replaceAsk} onConfirm={() => void apply()}>{button}</Popconfirm> : button) : null}
      {missing.length > 0 && <Alert type="warning" showIcon message={missing.join('；')} />}
      {editor}
    </Space>
  );
}
