// Initial data import wizard: choose what to import and download its template, upload the filled-in file,
// see the check (a dry run) as a grid with each problem on its row, then import all rows or none.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Button, Card, Progress, Result, Select, Space, Steps, Switch, Table, Tooltip, Typography, Upload } from 'antd';
import { CloudDownloadOutlined, CloudUploadOutlined, InboxOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api';
import { download, OrgPicker, useOrgs } from './common';
import { useAuth } from '../auth';

interface Importable {
  entity: string;
  label: string;
}
interface RowError {
  row: number;
  path: string;
  column: string | null;
  message: string;
}
interface ImportState {
  id: number;
  entity: string;
  fileName: string | null;
  status: 'checking' | 'checked' | 'committing' | 'committed' | 'failed';
  phase: string | null;
  total: number;
  done: number;
  errorCount: number;
  errors: RowError[];
  preview: { columns: { field: string; label: string }[]; rows: { row: number; cells: Record<string, string> }[] } | null;
  imported: number | null;
  failure: string | null;
  retryable?: boolean;
}

export default function ImportPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { user } = useAuth();
  const { orgs } = useOrgs();
  const [entities, setEntities] = useState<Importable[]>([]);
  const [entity, setEntity] = useState<string>();
  const [labId, setLabId] = useState<number | null>(null);
  const [state, setState] = useState<ImportState | null>(null);
  const [uploading, setUploading] = useState(false);
  const [onlyErrors, setOnlyErrors] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);

  useEffect(() => {
    api<{ data: Importable[] }>('/api/v1/import/entities').then((b) => setEntities(b.data)).catch((e: unknown) => void message.error(errorText(e)));
  }, [message]);
  useEffect(() => () => clearTimeout(timer.current), []);
  // Imports a server restart left failed as interrupted (their file kept): offered again after a reload.
  const [recent, setRecent] = useState<ImportState[]>([]);
  useEffect(() => {
    api<{ data: ImportState[] }>('/api/v1/imports').then((b) => setRecent(b.data.filter((x) => x.retryable))).catch(() => setRecent([]));
  }, []);

  const poll = useCallback((id: number) => {
    clearTimeout(timer.current);
    api<{ data: ImportState }>(`/api/v1/imports/${id}`)
      .then((b) => {
        setState(b.data);
        if (b.data.status === 'checking' || b.data.status === 'committing') timer.current = setTimeout(() => poll(id), 400);
      })
      .catch((e: unknown) => void message.error(errorText(e)));
  }, [message]);

  const upload = async (file: File) => {
    if (!entity) return;
    setUploading(true);
    try {
      const b = await api<{ data: ImportState }>(`/api/v1/import/${entity}`, {
        raw: await file.arrayBuffer(),
        query: { labId: labId ?? undefined },
        headers: { 'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'X-File-Name': encodeURIComponent(file.name) },
      });
      setState(b.data);
      setOnlyErrors(false);
      poll(b.data.id);
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setUploading(false);
    }
  };

  const commit = async () => {
    if (!state) return;
    try {
      const b = await api<{ data: ImportState }>(`/api/v1/imports/${state.id}/commit`, { body: {} });
      setState(b.data);
      poll(b.data.id);
    } catch (e) {
      void message.error(errorText(e));
    }
  };

  const retry = async (id: number) => {
    try {
      const b = await api<{ data: ImportState }>(`/api/v1/imports/${id}/retry`, { body: {} });
      setRecent((r) => r.filter((x) => x.id !== id));
      setState(b.data);
      poll(b.data.id);
    } catch (e) {
      void message.error(errorText(e));
    }
  };

  const byRow = useMemo(() => {
    const m = new Map<number, RowError[]>();
    for (const e of state?.errors ?? []) m.set(e.row, [...(m.get(e.row) ?? []), e]);
    return m;
  }, [state]);
  const rows = useMemo(() => (state?.preview?.rows ?? []).filter((r) => !onlyErrors || byRow.has(r.row)), [state, onlyErrors, byRow]);
  const step = !state ? 0 : state.status === 'committed' ? 2 : state.status === 'committing' ? 2 : 1;
  const busy = state && (state.status === 'checking' || state.status === 'committing');
  const percent = state && state.total ? Math.round((state.done / state.total) * 100) : 0;
  const labs = useMemo(() => orgs.filter((o) => o.kind === 'lab' || o.kind === 'department' || o.kind === 'centre' || o.kind === 'company'), [orgs]);

  return (
    <div className="ct-page">
      <Steps size="small" current={step} style={{ marginBottom: 16 }} items={[{ title: t('sys.import.stepUpload') }, { title: t('sys.import.stepCheck') }, { title: t('sys.import.stepCommit') }]} />
      <Card size="small" style={{ marginBottom: 12 }}>
        <Space wrap align="center">
          <Typography.Text>{t('sys.import.what')}</Typography.Text>
          <Select
            aria-label={t('sys.import.what')}
            className="ct-import-entity"
            style={{ minWidth: 220 }}
            showSearch
            optionFilterProp="label"
            placeholder={t('form.selectPlaceholder')}
            value={entity}
            onChange={(v: string) => {
              setEntity(v);
              setState(null);
            }}
            options={entities.map((e) => ({ value: e.entity, label: e.label }))}
          />
          <Button icon={<CloudDownloadOutlined />} disabled={!entity} onClick={() => entity && void download(`/api/v1/import/${entity}/template`).catch((e: unknown) => void message.error(errorText(e)))}>
            {t('sys.import.template')}
          </Button>
          {user?.isAdmin ? (
            <span style={{ minWidth: 260, display: 'inline-block' }}>
              <OrgPicker orgs={labs} value={labId} onChange={(v: number | undefined) => setLabId(v ?? null)} aria-label={t('sys.import.lab')} />
            </span>
          ) : null}
          {user?.isAdmin ? <Typography.Text type="secondary">{t('sys.import.labHint')}</Typography.Text> : null}
        </Space>
        <Upload.Dragger
          className="ct-import-upload"
          style={{ marginTop: 12 }}
          accept=".xlsx"
          multiple={false}
          showUploadList={false}
          disabled={!entity || uploading || !!busy}
          beforeUpload={(f) => {
            void upload(f);
            return false;
          }}
        >
          <p className="ant-upload-drag-icon"><InboxOutlined /></p>
          <p className="ant-upload-text">{entity ? t('sys.import.drop') : t('sys.import.chooseFirst')}</p>
          <p className="ant-upload-hint">{t('sys.import.dropHint')}</p>
        </Upload.Dragger>
      </Card>

      {state && busy ? (
        <Card size="small" style={{ marginBottom: 12 }}>
          <Typography.Text>{t(`sys.import.phase.${state.phase ?? 'queued'}`, { defaultValue: t('sys.import.phase.queued') })}</Typography.Text>
          <Progress className="ct-import-progress" percent={percent} status="active" />
        </Card>
      ) : null}
      {!state && recent.length ? (
        <Alert
          className="ct-import-interrupted" type="warning" showIcon style={{ marginBottom: 12 }} message={t('sys.import.interruptedTitle', { count: recent.length })}
          description={recent.map((r) => (
            <div key={r.id}>
              <Typography.Text>{r.fileName ?? entities.find((e) => e.entity === r.entity)?.label}</Typography.Text> <Typography.Text type="secondary">{r.failure}</Typography.Text>{' '}
              <Button size="small" onClick={() => void retry(r.id)}>{t('sys.import.retry')}</Button>
            </div>
          ))}
        />
      ) : null}
      {state?.status === 'failed' ? (
        <Alert
          type="error" showIcon message={t('sys.import.failed')} description={state.failure} style={{ marginBottom: 12 }}
          action={state.retryable ? <Button size="small" onClick={() => void retry(state.id)}>{t('sys.import.retry')}</Button> : undefined}
        />
      ) : null}
      {state?.status === 'committed' ? (
        <Result status="success" className="ct-import-done" title={t('sys.import.committed', { count: state.imported ?? 0 })} extra={<Button onClick={() => setState(null)}>{t('sys.import.again')}</Button>} />
      ) : null}
      {state?.status === 'checked' ? (
        <Card size="small">
          <div className="ct-toolbar">
            {state.errorCount ? (
              <Alert className="ct-import-summary" type="error" showIcon message={t('sys.import.hasErrors', { rows: state.total, count: state.errorCount, bad: byRow.size })} />
            ) : (
              <Alert className="ct-import-summary" type="success" showIcon message={t('sys.import.clean', { rows: state.total })} />
            )}
            <span className="ct-spacer" />
            <Space>
              <Switch checked={onlyErrors} onChange={setOnlyErrors} disabled={!state.errorCount} aria-label={t('sys.import.onlyErrors')} />
              <Typography.Text>{t('sys.import.onlyErrors')}</Typography.Text>
              <Button type="primary" icon={<CloudUploadOutlined />} disabled={state.errorCount > 0} onClick={() => void commit()}>
                {t('sys.import.commit', { count: state.total })}
              </Button>
            </Space>
          </div>
          <Table<{ row: number; cells: Record<string, string> }>
            className="ct-import-grid"
            size="small"
            rowKey="row"
            dataSource={rows}
            scroll={{ x: 'max-content' }}
            pagination={{ pageSize: 50, showSizeChanger: false }}
            rowClassName={(r) => (byRow.has(r.row) ? 'ct-import-row-error' : '')}
            columns={[
              { title: t('sys.import.row'), dataIndex: 'row', width: 70, fixed: 'left' },
              ...(state.preview?.columns ?? []).map((c) => ({
                title: c.label,
                key: c.field,
                render: (_: unknown, r: { row: number; cells: Record<string, string> }) => {
                  const err = byRow.get(r.row)?.find((e) => e.path === `/${c.field}` || e.path.startsWith(`/${c.field}/`));
                  const v = r.cells[c.field] ?? '';
                  return err ? (
                    <Tooltip title={err.message}>
                      <Typography.Text type="danger" className="ct-import-cell-error">{v || '—'}</Typography.Text>
                    </Tooltip>
                  ) : (
                    v
                  );
                },
              })),
              {
                title: t('sys.import.problems'),
                key: 'problems',
                width: 320,
                render: (_: unknown, r: { row: number }) => (
                  <Typography.Text type="danger" className="ct-import-problems">
                    {(byRow.get(r.row) ?? []).map((e) => (e.column ? t('sys.import.problem', { column: e.column, message: e.message }) : e.message)).join(t('sys.import.sep'))}
                  </Typography.Text>
                ),
              },
            ]}
          />
        </Card>
      ) : null}
    </div>
  );
}
