// Backups: the list with time and size, back up now, download, verify with a clear result.
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Space, Table, Tag, Typography } from 'antd';
import { CloudDownloadOutlined, DatabaseOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { formatDateTime } from '../lib/format';
import { download, sizeText } from './common';

interface Backup {
  name: string;
  at: string;
  size: number;
  format: 'pgDump' | 'logical';
}
interface Verified {
  ok: boolean;
  name: string;
  message: string;
}

export default function BackupsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [rows, setRows] = useState<Backup[] | null>(null);
  const [running, setRunning] = useState(false);
  const [verifying, setVerifying] = useState<string | null>(null);
  const [result, setResult] = useState<Verified | null>(null);
  const load = useCallback(() => {
    api<{ data: Backup[] }>('/api/v1/admin/backups').then((b) => setRows(b.data)).catch((e: unknown) => void message.error(errorText(e)));
  }, [message]);
  useEffect(load, [load]);
  const run = async () => {
    setRunning(true);
    try {
      const r = await api<{ data: Backup }>('/api/v1/admin/backups', { body: {} });
      void message.success(t('sys.backups.done', { name: r.data.name }));
      load();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setRunning(false);
    }
  };
  const verify = async (b: Backup) => {
    setVerifying(b.name);
    setResult(null);
    try {
      const r = await api<{ data: Verified }>(`/api/v1/admin/backups/${encodeURIComponent(b.name)}/verify`, { body: {} });
      setResult(r.data);
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setVerifying(null);
    }
  };
  return (
    <div className="ct-page">
      <div className="ct-toolbar">
        <Typography.Text type="secondary">{t('sys.backups.hint')}</Typography.Text>
        <span className="ct-spacer" />
        <Button type="primary" icon={<DatabaseOutlined />} loading={running} onClick={() => void run()}>{running ? t('sys.backups.running') : t('sys.backups.run')}</Button>
      </div>
      {result && (
        <Alert
          className="ct-verify-result"
          type={result.ok ? 'success' : 'error'}
          showIcon
          closable
          onClose={() => setResult(null)}
          style={{ marginBottom: 12 }}
          message={`${result.ok ? t('sys.backups.ok') : t('sys.backups.failed')} · ${result.name}`}
          description={result.message}
        />
      )}
      <Card size="small">
        <Table<Backup>
          size="small"
          rowKey="name"
          loading={rows === null}
          dataSource={rows ?? []}
          locale={{ emptyText: t('sys.backups.empty') }}
          pagination={false}
          columns={[
            { title: t('sys.backups.at'), dataIndex: 'at', render: formatDateTime, width: 170 },
            { title: t('sys.backups.name'), dataIndex: 'name' },
            { title: t('sys.backups.size'), dataIndex: 'size', render: sizeText, width: 120 },
            { title: t('sys.backups.format'), dataIndex: 'format', render: (f: Backup['format']) => <Tag>{t(`sys.backups.formats.${f}`)}</Tag>, width: 160 },
            {
              title: t('sys.common.actions'),
              key: 'a',
              width: 220,
              render: (_: unknown, b) => (
                <Space>
                  <Button size="small" icon={<CloudDownloadOutlined />} aria-label={`${t('sys.backups.download')} ${b.name}`} onClick={() => void download(`/api/v1/admin/backups/${encodeURIComponent(b.name)}`).catch((e: unknown) => void message.error(errorText(e)))}>
                    {t('sys.backups.download')}
                  </Button>
                  <Button size="small" icon={<SafetyCertificateOutlined />} loading={verifying === b.name} aria-label={`${t('sys.backups.verify')} ${b.name}`} onClick={() => void verify(b)}>
                    {t('sys.backups.verify')}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      </Card>
    </div>
  );
}
