import { useState } from 'react';
import { Alert, Button, Modal, Radio, Table, Upload, Space } from 'antd';
import { InboxOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, errorText, unwrap } from '../api';
import { currentLang } from '../i18n';
import { fieldLabel, useMeta } from '../meta';

interface ImportResult {
  imported: number;
  errors: { row: number; path?: string; message: string }[];
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export default function ImportDialog({ open, entity, onClose }: { open: boolean; entity: string; onClose: (imported: boolean) => void }) {
  const { t } = useTranslation();
  const meta = useMeta();
  const [file, setFile] = useState<File | null>(null);
  const [mode, setMode] = useState<'partial' | 'all'>('partial');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reset = () => {
    setFile(null);
    setResult(null);
    setError(null);
  };

  const run = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const body = await api(`/api/v1/data/${entity}/import`, {
        method: 'POST',
        query: { format: 'xlsx', mode },
        raw: file,
        headers: { 'Content-Type': file.type || XLSX, 'X-File-Name': encodeURIComponent(file.name) },
      });
      setResult(unwrap<ImportResult>(body));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const fieldOf = (path?: string) => {
    const f = (path ?? '').split('/').filter(Boolean)[0];
    return f ? fieldLabel(meta, entity, f, currentLang()) : '';
  };

  return (
    <Modal
      open={open}
      title={result ? t('list.importTitle') : t('list.import')}
      width={720}
      onCancel={() => {
        const imported = (result?.imported ?? 0) > 0;
        reset();
        onClose(imported);
      }}
      footer={
        result ? (
          <Button onClick={() => { reset(); onClose(result.imported > 0); }}>{t('common.close')}</Button>
        ) : (
          <Space>
            <Button onClick={() => { reset(); onClose(false); }}>{t('common.cancel')}</Button>
            <Button type="primary" disabled={!file} loading={busy} onClick={() => void run()}>{t('list.import')}</Button>
          </Space>
        )
      }
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {result ? (
        <>
          <Alert type={result.errors.length ? 'warning' : 'success'} showIcon message={t('list.imported', { count: result.imported })} style={{ marginBottom: 12 }} />
          {result.errors.length > 0 && (
            <Table
              size="small"
              rowKey={(r) => `${r.row}:${r.path ?? ''}:${r.message}`}
              dataSource={result.errors}
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              title={() => t('list.importErrors')}
              columns={[
                { title: t('list.row'), dataIndex: 'row', width: 70 },
                { title: t('list.field'), dataIndex: 'path', width: 160, render: (p: string) => fieldOf(p) || p },
                { title: t('list.message'), dataIndex: 'message' },
              ]}
            />
          )}
        </>
      ) : (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Space>
            <span>{t('list.importMode')}</span>
            <Radio.Group value={mode} onChange={(e) => setMode(e.target.value as 'partial' | 'all')}>
              <Radio value="partial">{t('list.modePartial')}</Radio>
              <Radio value="all">{t('list.modeAll')}</Radio>
            </Radio.Group>
          </Space>
          <Upload.Dragger
            accept=".xlsx"
            maxCount={1}
            beforeUpload={(f) => {
              setFile(f);
              return false;
            }}
            onRemove={() => setFile(null)}
            fileList={file ? [{ uid: '1', name: file.name, status: 'done' }] : []}
          >
            <p className="ant-upload-drag-icon"><InboxOutlined /></p>
            <p>{t('list.chooseFile')}</p>
          </Upload.Dragger>
        </Space>
      )}
    </Modal>
  );
}
