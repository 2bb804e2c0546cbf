// The records that reference this one (computed from the metadata's x-ref), each as a small list: a customer's
// culture records and cell batches, a batch's vials, stock-ins, stock-outs and QC records.
import { useEffect, useState } from 'react';
import { Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { currentLang } from '../i18n';
import { entityLabel, fieldLabel, listFor, titleField, type Meta } from '../meta';
import { Link } from '../router';
import { formatValue } from '../lib/format';

export interface Relation {
  key: string;
  entity: string;
  field: string;
  /** Tab title: the entity, and the field when the entity references this one through several fields. */
  title: string;
}

const SHOWN = 5;

/** Every (entity, field) whose field references `entity`, in metadata order. */
export function relationsOf(meta: Meta, entity: string): Relation[] {
  const lang = currentLang();
  const out: Relation[] = [];
  for (const [name, e] of Object.entries(meta.entities)) {
    const fields = Object.entries(e.properties).filter(([, p]) => p['x-ref'] === entity || (p.type === 'array' && p['x-ref'] === entity));
    for (const [field] of fields) {
      const [open, close] = lang === 'zh-CN' ? ['（', '）'] : [' (', ')'];
      const title = fields.length > 1 ? `${entityLabel(meta, name, lang)}${open}${fieldLabel(meta, name, field, lang)}${close}` : entityLabel(meta, name, lang);
      out.push({ key: `${name}.${field}`, entity: name, field, title });
    }
  }
  return out;
}

/** Columns of a related list: the entity's list columns (without the reference back), else title + picker fields. */
function columnsOf(meta: Meta, r: Relation): string[] {
  const list = listFor(meta, r.entity);
  const props = meta.entities[r.entity]?.properties ?? {};
  const base = list?.columns ?? [titleField(meta, r.entity), ...(meta.entities[r.entity]?.['x-picker-fields'] ?? [])];
  return base.filter((c) => c !== r.field && c in props && props[c]?.['x-type'] !== 'json' && props[c]?.['x-type'] !== 'attachment').slice(0, SHOWN);
}

type Row = Record<string, unknown>;

export function useRelatedCount(r: Relation, id: string): number | null {
  const [n, setN] = useState<number | null>(null);
  useEffect(() => {
    api<{ page?: { total?: number } }>(`/api/v1/data/${r.entity}`, { query: { filter: JSON.stringify({ [r.field]: Number(id) }), limit: 1, fields: 'id', count: true } })
      .then((b) => setN(b.page?.total ?? 0))
      .catch(() => setN(null));
  }, [r.entity, r.field, id]);
  return n;
}

export default function RelatedRecords({ meta, relation, id }: { meta: Meta; relation: Relation; id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const cols = columnsOf(meta, relation);
  const tf = titleField(meta, relation.entity);
  const props = meta.entities[relation.entity]?.properties ?? {};
  const refs = cols.filter((c) => props[c]?.['x-ref']);

  useEffect(() => {
    setRows(null);
    api<{ data: Row[]; page?: { total?: number } }>(`/api/v1/data/${relation.entity}`, {
      query: {
        filter: JSON.stringify({ [relation.field]: Number(id) }),
        limit: 10,
        count: true,
        fields: [...new Set(['id', tf, ...cols])].filter((c) => c === 'id' || c in props).join(','),
        expand: refs.join(',') || undefined,
      },
    })
      .then((b) => {
        setRows(b.data ?? []);
        setTotal(b.page?.total ?? b.data?.length ?? 0);
      })
      .catch((e: unknown) => setError(errorText(e)));
    // eslint-disable-next-line
  }, [relation.entity, relation.field, id]);

  if (error) return <Typography.Text type="secondary">{error}</Typography.Text>;
  const columns = (cols.includes(tf) ? cols : [tf, ...cols]).map((c, i) => ({
    key: c,
    title: fieldLabel(meta, relation.entity, c, lang),
    render: (_: unknown, row: Row) => {
      const text = formatValue(meta, props[c], c, row[c], lang, row) || '—';
      return i === 0 ? <Link to={`/record/${relation.entity}/${String(row.id)}`}>{text}</Link> : text;
    },
  }));
  return (
    <div className="ct-related" data-testid={`related-${relation.key}`}>
      <Table size="small" rowKey={(r) => String(r.id)} loading={rows == null} dataSource={rows ?? []} columns={columns} pagination={false} locale={{ emptyText: t('common.empty') }} />
      {total > (rows?.length ?? 0) && listFor(meta, relation.entity) && (
        <div style={{ marginTop: 8 }}>
          <Link to={`/list/${listFor(meta, relation.entity)!.$id}`}>{t('record.relatedMore', { count: total })}</Link>
        </div>
      )}
    </div>
  );
}
