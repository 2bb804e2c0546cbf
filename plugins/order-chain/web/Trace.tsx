import { useEffect, useState } from 'react';
import { Alert, Card, Empty, Skeleton, Space, Steps, Tag, Timeline, Typography } from 'antd';
import { errText, go, when, words, type TabProps } from './shared';

interface Step { entity: string; id: number; kind: string; title: string; at: string | null; by: string | null; status: string | null; facts: { label: string; value: string }[] }
interface Stage { key: string; label: string; reached: boolean; steps: Step[] }
interface OrderTrace { order: Step; chainId: string | null; stages: Stage[] }

/**
 * The chain of an order as a timeline: booking, samples, culture and its steps and materials, QC, batches,
 * stock-ins and vials, preparation and stock-out, handover; each step links to its record, the open record marked.
 */
export default function Trace({ api, lang, entity, record }: TabProps) {
  const w = words(lang);
  const [data, setData] = useState<OrderTrace[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api('/api/v1/order-chain/trace', { query: { entity, id: record.id } })
      .then((b) => live && setData(b.data.orders))
      .catch((e) => live && setError(errText(e)));
    return () => {
      live = false;
    };
  }, [api, entity, record.id]);
  if (error) return <Alert type="error" message={error} />;
  if (!data) return <Skeleton active />;
  if (!data.length) return <Empty description={w.none} />;
  return (
    <Space direction="vertical" style={{ width: '100%' }} className="oc-trace">
      {data.map((o) => {
        const current = Math.max(0, o.stages.filter((s) => s.reached).length - 1);
        return (
          <Card
            key={o.order.id}
            size="small"
            title={
              <Space wrap>
                <span>{w.order}</span>
                <a href={`/record/serviceOrder/${o.order.id}`} onClick={(e) => { e.preventDefault(); go(`/record/serviceOrder/${o.order.id}`); }} translate="no">{o.order.title}</a>
                {o.chainId && <Tag color="blue" translate="no">{w.chain} {o.chainId}</Tag>}
              </Space>
            }
          >
            <Steps size="small" current={current} items={o.stages.map((s) => ({ title: s.label }))} style={{ marginBottom: 16 }} responsive />
            <Timeline
              items={o.stages.flatMap((s) =>
                s.steps.length
                  ? s.steps.map((st) => {
                      const here = st.entity === entity && st.id === record.id;
                      return {
                        color: here ? 'red' : s.reached ? 'blue' : 'gray',
                        children: (
                          <div className={here ? 'oc-here' : undefined} data-entity={st.entity}>
                            <Space wrap size={[8, 0]}>
                              <Typography.Text type="secondary">{when(st.at)}</Typography.Text>
                              <Tag>{st.kind}</Tag>
                              <a href={`/record/${st.entity}/${st.id}`} onClick={(e) => { e.preventDefault(); go(`/record/${st.entity}/${st.id}`); }} translate="no">{st.title}</a>
                              {st.status && <Tag color="geekblue">{st.status}</Tag>}
                              {st.by && <Typography.Text>{w.by}: {st.by}</Typography.Text>}
                              {here && <Tag color="red">{w.here}</Tag>}
                            </Space>
                            {st.facts.length > 0 && (
                              <div style={{ color: 'rgba(0,0,0,0.55)', fontSize: 12 }}>{st.facts.map((f) => `${f.label}: ${f.value}`).join(' · ')}</div>
                            )}
                          </div>
                        ),
                      };
                    })
                  : [{ color: 'gray', children: <Typography.Text type="secondary">{s.label} · {s.reached ? w.none : w.notReached}</Typography.Text> }],
              )}
            />
          </Card>
        );
      })}
    </Space>
  );
}
