import { useState } from 'react';
import { App } from 'antd';
import { FillLines, type LineWidgetProps } from './FillLines';
import { errText, fill, words } from './shared';

/**
 * Lines of an issue or transfer: the standard line editor plus "fill from the requisition", which
 * proposes, for what is still to issue of each requested material, the usable lots of the issuing store first
 * expiry first out (FEFO), split across lots where one does not hold enough.
 */
export default function IssueLines({ api, lang = 'zh-CN', value, onChange, formData, editor, disabled, readonly }: LineWidgetProps) {
  const w = words(lang);
  const { message } = App.useApp();
  const [short, setShort] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const apply = async () => {
    if (!formData.requisition) return void message.warning(w.chooseRequisition);
    if (!formData.fromStore) return void message.warning(w.chooseFromStore);
    setBusy(true);
    try {
      const req = (await api(`/api/v1/data/materialRequisition/${String(formData.requisition)}`)).data;
      const issued = new Map<number, number>(((req.issuedLines ?? []) as { material: number; issued: number }[]).map((l) => [l.material, l.issued]));
      const lines: { lot: number; quantity: number }[] = [];
      const missing: string[] = [];
      for (const l of req.lines as { material: number; quantity: number }[]) {
        const left = Math.round((l.quantity - (issued.get(l.material) ?? 0)) * 1000) / 1000;
        issued.set(l.material, Math.max(0, (issued.get(l.material) ?? 0) - l.quantity));
        if (left <= 0) continue;
        const f = await api('/api/v1/materials/fefo', { query: { store: formData.fromStore, material: l.material, quantity: left } });
        for (const s of f.data as { lot: { id: number }; suggested: number }[]) if (s.suggested > 0) lines.push({ lot: s.lot.id, quantity: s.suggested });
        if (f.shortfall > 0) {
          const m = (await api(`/api/v1/data/material/${l.material}`, { query: { fields: 'id,name' } })).data;
          missing.push(fill(w.shortfall, { material: m.name, n: f.shortfall }));
        }
      }
      onChange(lines);
      setShort(missing);
      void message.success(fill(w.fefoApplied, { n: lines.length }));
    } catch (e) {
      void message.error(errText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <FillLines
      label={w.fromRequisition} replaceAsk={w.replaceAsk} show={!!formData.requisition} busy={busy} filled={!!value?.length} warnings={short}
      editable={!disabled && !readonly} onFill={() => void apply()} editor={editor}
    />
  );
}
