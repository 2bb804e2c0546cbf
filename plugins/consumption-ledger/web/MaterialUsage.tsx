import { useState } from 'react';
import { App } from 'antd';
import { FillLines, type LineWidgetProps } from './FillLines';
import { errText, fill, words } from './shared';

/**
 * Materials used in a culture record: the standard line editor plus "fill from the template"
 * of the record's cell kind / type, with the first-expiring usable lot of each material in the chosen store.
 * Saving the record posts the consumption through the ledger.
 */
export default function MaterialUsage({ api, lang = 'zh-CN', value, onChange, formData, editor, disabled, readonly }: LineWidgetProps) {
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
  return (
    <FillLines
      label={w.template} replaceAsk={w.replaceAsk} show={true} busy={busy} filled={!!value?.length} warnings={missing}
      editable={!disabled && !readonly} onFill={() => void apply()} editor={editor}
    />
  );
}
