import { useEffect, useState } from 'react';
import { Alert, Button, Result, Space, Typography } from 'antd';
import { FormOutlined } from '@ant-design/icons';
import { errText, go, words, type TabProps } from './shared';

/** Which form a task of a kind is done in, and which of the order's records it starts from. */
const TARGET: Record<string, { entity: string; from: 'order' | 'batch' | 'preparation' }> = {
  sampleReceipt: { entity: 'sample', from: 'order' },
  culture: { entity: 'cultureRecord', from: 'order' },
  qc: { entity: 'qcRecord', from: 'batch' },
  stockIn: { entity: 'stockIn', from: 'batch' },
  preparation: { entity: 'preparation', from: 'order' },
  handover: { entity: 'handover', from: 'preparation' },
};

/** The lab task's "work on it": opens the right form, prefilled from the order. */
export default function TaskWork({ api, lang, record }: TabProps) {
  const w = words(lang);
  const target = TARGET[record.taskType as string];
  const [href, setHref] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    if (!target || record.state !== 'open') return;
    let live = true;
    const base = `/form/${target.entity}/new`;
    if (target.from === 'order') {
      setHref(`${base}?order=${String(record.order)}`);
      return;
    }
    const src = target.from === 'batch' ? 'cellBatch' : 'preparation';
    api(`/api/v1/data/${src}`, { query: { filter: JSON.stringify({ order: record.order }), sort: '-id', limit: 1, fields: 'id' } })
      .then((b) => {
        if (!live) return;
        const id = b.data?.[0]?.id;
        if (id == null) setProblem(target.from === 'batch' ? w.noBatch : w.noPrep);
        else setHref(`${base}?${target.from === 'batch' ? 'batch' : 'preparation'}=${String(id)}`);
      })
      .catch((e) => live && setProblem(errText(e)));
    return () => {
      live = false;
    };
  }, [api, record.order, record.state, target, w]);
  if (record.state === 'done') return <Result status="success" title={w.done} subTitle={String(record.doneRecord ?? '')} />;
  if (record.state === 'cancelled') return <Result status="info" title={w.cancelled} />;
  if (!target) return null;
  return (
    <Space direction="vertical">
      <Typography.Text type="secondary">{w.openHint}</Typography.Text>
      {problem && <Alert type="warning" message={problem} />}
      <Button type="primary" icon={<FormOutlined />} disabled={!href} onClick={() => href && go(href)}>
        {w.open}
      </Button>
    </Space>
  );
}
