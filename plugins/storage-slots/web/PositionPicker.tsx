import PositionMap, { type Api } from './PositionMap';

type Cell = { container: number; row: number; col: number };

/**
 * Form widget for stockIn.positions (entity `x-widget: "storage-slots:positions"`): the position map in picker
 * mode. The chosen cells are the field's value; the stock-in hook locks and occupies them on save.
 */
export default function PositionPicker(props: { value?: Cell[]; onChange: (v: Cell[] | undefined) => void; api: Api; lang?: 'zh-CN' | 'en'; disabled?: boolean; readonly?: boolean; id?: string }) {
  const { value, onChange, api, lang, disabled, readonly, id } = props;
  return (
    <div id={id}>
      <PositionMap api={api} lang={lang} picker initial={Array.isArray(value) ? value : undefined} disabled={disabled || readonly} onPick={(cells) => onChange(cells.length ? cells : undefined)} />
    </div>
  );
}
