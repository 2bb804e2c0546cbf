import { useEffect, useState } from 'react';
import { Alert, Empty, Skeleton, Space, Tag, Timeline, Typography } from 'antd';
import dayjs from 'dayjs';

type Api = (path: string, opts?: { query?: Record<string, unknown> }) => Promise<any>;
type Lang = 'zh-CN' | 'en';
interface CustodyEvent { id: number; at: string; kind: string; from: string | null; to: string | null; byName: string | null; record: { entity: string; id: number } | null; note: string | null }

const L = {
  'zh-CN': {
    stockIn: '入库', stockOut: '出库', move: '移位', thaw: '取出复苏', return: '放回', from: '自', to: '至', by: '操作人', none: '暂无流转记录',
    cycles: '冻融次数 {n}', open: { stockIn: '查看入库单', stockOut: '查看出库单', vialMove: '查看移位记录' } as Record<string, string>, note: '备注', purpose: '用途',
  },
  en: {
    stockIn: 'Stocked in', stockOut: 'Stocked out', move: 'Moved', thaw: 'Taken out to thaw', return: 'Put back', from: 'from', to: 'to', by: 'by', none: 'No custody events yet',
    cycles: '{n} freeze–thaw cycles', open: { stockIn: 'Open the stock-in', stockOut: 'Open the stock-out', vialMove: 'Open the move' } as Record<string, string>, note: 'Note', purpose: 'Purpose',
  },
};
const COLOR: Record<string, string> = { stockIn: 'green', stockOut: 'red', move: 'blue', thaw: 'orange', return: 'cyan' };

/**
 * The chain of custody of a cryovial (R-3.4, FACT-JACIE): every transfer of the physical item — where from, where
 * to, who, when, and the record that moved it — newest last, as a record-page tab.
 */
export default function Custody({ api, lang, record }: { api: Api; lang: Lang; entity: string; record: Record<string, any> }) {
  const w = L[lang] ?? L['zh-CN'];
  const [data, setData] = useState<{ events: CustodyEvent[]; freezeThawCount: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api(`/api/v1/cellbank/vials/${record.id}/custody`)
      .then((b) => live && setData(b.data))
      .catch((e) => live && setError((e as Error)?.message ?? String(e)));
    return () => {
      live = false;
    };
  }, [api, record.id]);
  if (error) return <Alert type="error" message={error} />;
  if (!data) return <Skeleton active />;
  if (!data.events.length) return <Empty description={w.none} />;
  return (
    <Space direction="vertical" style={{ width: '100%' }} className="ss-custody">
      <Tag>{w.cycles.replace('{n}', String(data.freezeThawCount))}</Tag>
      <Timeline
        items={data.events.map((e) => ({
          color: COLOR[e.kind] ?? 'gray',
          children: (
            <div data-kind={e.kind}>
              <Space wrap>
                <Typography.Text strong>{(w as any)[e.kind] ?? e.kind}</Typography.Text>
                <Typography.Text type="secondary">{dayjs(e.at).format('YYYY-MM-DD HH:mm')}</Typography.Text>
                {e.byName && <span>{w.by} {e.byName}</span>}
              </Space>
              <div translate="no">
                {e.from && <span>{w.from} {e.from} </span>}
                {e.to && <span>{w.to} {e.to}</span>}
              </div>
              {e.note && <div>{e.kind === 'stockOut' ? w.purpose : w.note}{lang === 'en' ? ': ' : '：'}{e.note}</div>}
              {e.record && w.open[e.record.entity] && <a href={`/record/${e.record.entity}/${e.record.id}`}>{w.open[e.record.entity]}</a>}
            </div>
          ),
        }))}
      />
    </Space>
  );
}
