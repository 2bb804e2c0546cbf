// Record page slot: the current user's pending flow tasks on this record, as action buttons.
import { useCallback, useEffect, useState } from 'react';
import { Button, Space, Tag } from 'antd';
import { api } from '../api';
import { useAuth } from '../auth';
import type { RecordSlotProps } from '../slots';
import ActDialog, { type Task, type TaskAction } from './ActDialog';
import { refreshInboxCount } from './inboxCount';

interface RecordFlows {
  instances: { id: number; status: string; stateLabel: string; flow: { label: string }; trail: Task[] }[];
  assignments: Task[];
}

export default function RecordFlowActions({ entity, record, reload }: RecordSlotProps) {
  const { user } = useAuth();
  const [flows, setFlows] = useState<RecordFlows | null>(null);
  const [acting, setActing] = useState<{ task: Task; action: TaskAction } | null>(null);
  const load = useCallback(() => {
    api<{ data: RecordFlows }>(`/api/v1/inbox/records/${entity}/${String(record.id)}`)
      .then((b) => setFlows(b.data))
      .catch(() => setFlows(null)); // no workflow module on this server
  }, [entity, record.id]);
  useEffect(load, [load, record.version]);
  if (!flows) return null;
  const mine = [...flows.instances.flatMap((i) => i.trail), ...flows.assignments].filter((tk) => tk.status === 'pending' && Number(tk.assignee?.id) === Number(user?.id));
  const running = flows.instances.find((i) => i.status === 'running');
  return (
    <Space wrap>
      {running && <Tag color="processing">{running.flow.label} · {running.stateLabel}</Tag>}
      {mine.flatMap((tk) =>
        tk.actions.map((a) => (
          <Button key={`${tk.id}:${a.action}`} danger={a.type === 'reject'} onClick={() => setActing({ task: tk, action: a })}>
            {a.label}
          </Button>
        )),
      )}
      {acting && (
        <ActDialog
          task={acting.task}
          action={acting.action}
          onClose={(done) => {
            setActing(null);
            if (done) {
              load();
              reload();
              refreshInboxCount();
            }
          }}
        />
      )}
    </Space>
  );
}
