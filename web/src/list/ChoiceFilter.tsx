import { useCallback } from 'react';
import { Button, Checkbox } from 'antd';
import { useGridFilter, type CustomFilterProps } from 'ag-grid-react';
import i18n from '../i18n';

export interface ChoiceModel {
  values: (string | boolean)[];
}
export interface ChoiceOption {
  value: string | boolean;
  label: string;
}

/** "in" filter over dictionary items, enum values or booleans (the Set filter is Enterprise). */
export default function ChoiceFilter(props: CustomFilterProps<unknown, unknown, ChoiceModel>) {
  const { model, onModelChange } = props;
  const options = ((props.colDef.filterParams as { options?: ChoiceOption[] } | undefined)?.options ?? []);
  // Filtering happens on the server (infinite row model); the grid still wants the callback.
  const doesFilterPass = useCallback(() => true, []);
  useGridFilter({ doesFilterPass });
  const selected = model?.values ?? [];
  return (
    <div className="ct-filter">
      <Checkbox.Group
        style={{ display: 'flex', flexDirection: 'column', gap: 4 }}
        value={selected.map(String)}
        onChange={(vals) => {
          const chosen = options.filter((o) => (vals as string[]).includes(String(o.value))).map((o) => o.value);
          onModelChange(chosen.length ? { values: chosen } : null);
        }}
        options={options.map((o) => ({ value: String(o.value), label: o.label }))}
      />
      <Button size="small" type="link" onClick={() => onModelChange(null)} disabled={!selected.length} style={{ paddingLeft: 0 }}>
        {i18n.t('list.clearFilter')}
      </Button>
    </div>
  );
}
