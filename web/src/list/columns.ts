import type { ColDef } from 'ag-grid-community';
import { currentLang, pick, type Lang } from '../i18n';
import { fieldLabel, titleField, type FieldSchema, type Meta } from '../meta';
import { formatValue, userName } from '../lib/format';
import type { ColumnInfo, ColumnKind } from '../lib/filters';
import ChoiceFilter, { type ChoiceOption } from './ChoiceFilter';
import i18n from '../i18n';

export function columnKind(f: FieldSchema | undefined): ColumnKind {
  if (!f) return 'text';
  if (f['x-ref'] || f['x-user']) return 'ref';
  if (f['x-owner-lab']) return 'none'; // shown by name; lists filter by lab through the row scope
  if (f['x-dictionary'] || f.enum) return 'choice';
  if (f['x-type'] === 'attachment' || f['x-type'] === 'json' || f.type === 'object' || f.type === 'array') return 'none';
  if (f.format === 'date') return 'date';
  if (f.format === 'date-time') return 'datetime';
  if (f.type === 'number' || f.type === 'integer') return 'number';
  if (f.type === 'boolean') return 'bool';
  return 'text';
}

export function columnInfos(meta: Meta, entity: string): Record<string, ColumnInfo> {
  const out: Record<string, ColumnInfo> = {};
  for (const [name, f] of Object.entries(meta.entities[entity]?.properties ?? {})) {
    const kind = columnKind(f);
    out[name] = { kind, filterPath: f['x-user'] ? `${name}.displayName` : kind === 'ref' && f['x-ref'] ? `${name}.${titleField(meta, f['x-ref'])}` : name };
  }
  return out;
}

function choiceOptions(meta: Meta, f: FieldSchema, lang: Lang): ChoiceOption[] {
  if (f['x-dictionary']) {
    return (meta.dictionaries[f['x-dictionary']]?.items ?? []).map((i) => ({ value: i.code, label: pick(i.label, lang, i.code) }));
  }
  if (f.enum) return f.enum.map((v) => ({ value: String(v), label: pick(f['x-enum-labels']?.[String(v)], lang, String(v)) }));
  return [
    { value: true, label: i18n.t('common.yes') },
    { value: false, label: i18n.t('common.no') },
  ];
}

const NUMBER_OPTIONS = ['equals', 'greaterThanOrEqual', 'lessThanOrEqual', 'inRange'];
const DATE_OPTIONS = ['inRange', 'equals', 'greaterThan', 'lessThan'];
const TEXT_OPTIONS = ['contains', 'equals', 'startsWith'];

export function buildColumnDefs(meta: Meta, entity: string, columns: string[]): ColDef[] {
  const lang = currentLang();
  const props = meta.entities[entity]?.properties ?? {};
  return columns.map((name) => {
    const f = props[name];
    const kind = columnKind(f);
    const def: ColDef = {
      colId: name,
      field: name,
      headerName: fieldLabel(meta, entity, name, lang),
      headerTooltip: fieldLabel(meta, entity, name, lang),
      wrapHeaderText: true,
      autoHeaderHeight: true,
      sortable: kind !== 'none',
      resizable: true,
      minWidth: 120,
      valueFormatter: (p) =>
        !p.data ? '' : name === 'createdBy' || name === 'updatedBy' ? userName(name, p.data as Record<string, unknown>) : formatValue(meta, f, name, p.value, lang, p.data as Record<string, unknown>),
    };
    const common = { maxNumConditions: 1, buttons: ['reset'], closeOnApply: false };
    switch (kind) {
      case 'text':
      case 'ref':
        def.filter = 'agTextColumnFilter';
        def.filterParams = { ...common, filterOptions: kind === 'ref' ? ['contains'] : TEXT_OPTIONS, debounceMs: 400 };
        break;
      case 'number':
        def.filter = 'agNumberColumnFilter';
        def.filterParams = { ...common, filterOptions: NUMBER_OPTIONS, debounceMs: 400 };
        def.type = 'numericColumn';
        break;
      case 'date':
      case 'datetime':
        def.filter = 'agDateColumnFilter';
        def.filterParams = { ...common, filterOptions: DATE_OPTIONS, inRangeInclusive: true };
        break;
      case 'choice':
      case 'bool':
        def.filter = ChoiceFilter;
        def.filterParams = { options: f ? choiceOptions(meta, f, lang) : [] };
        break;
      default:
        def.filter = false;
    }
    return def;
  });
}
