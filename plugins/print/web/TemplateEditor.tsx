import { useEffect, useRef, useState } from 'react';
import { App, Button, Card, Empty, Input, List, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { SaveOutlined } from '@ant-design/icons';
import { errText, fetchFile, fill, forgetTemplates, pick, words, type Api, type Lang, type TemplateInfo } from './shared';

/**
 * Print template editor (metadata writers): the handlebars source in a code textarea with a live preview on a
 * chosen record, saved like every designer saves metadata (PUT /meta/printTemplate/{id} with a change reason; each
 * save a new version), and the versions list.
 */
export default function TemplateEditor({ api, lang }: { api: Api; lang: Lang }) {
  const w = words(lang);
  const { message } = App.useApp();
  const [list, setList] = useState<TemplateInfo[]>([]);
  const [id, setId] = useState<string | null>(null);
  const [def, setDef] = useState<any>(null);  
  const [records, setRecords] = useState<{ value: number; label: string }[]>([]);
  const [record, setRecord] = useState<number | null>(null);
  const [html, setHtml] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [versions, setVersions] = useState<any[]>([]);  
  const [saving, setSaving] = useState(false);
  const [reason, setReason] = useState('');
  const [readOnly, setReadOnly] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    void api('/api/v1/print/templates').then((r) => setList(r.data));
  }, [api]);
  const open = async (tid: string) => {
    setId(tid);
    setHtml('');
    setProblem(null);
    const [d, v] = await Promise.all([api(`/api/v1/meta/printTemplate/${tid}`), api(`/api/v1/meta/printTemplate/${tid}/versions`).catch(() => null)]);
    setDef(d.data);
    // Who may not change metadata sees the template read-only, its versions from the print routes.
    setReadOnly(!v);
    const pub = v ? null : await api(`/api/v1/print/templates/${tid}/versions`).catch(() => null);
    setVersions(v ? v.data : (pub?.data.versions ?? []).filter((x: any) => x.version > 0).map((x: any) => ({ version: x.version, reason: x.reason, createdByName: x.by, createdAt: x.at })));  
    const meta = await api(`/api/v1/meta/entity/${d.data.entity}`).catch(() => null);
    const title = meta?.data?.['x-title'] ?? 'id';
    const recs = await api(`/api/v1/data/${d.data.entity}`, { query: { limit: 20, sort: '-id' } }).catch(() => ({ data: [] }));
    const opts = recs.data.map((r: any) => ({ value: r.id, label: String(r[title] ?? r.id) }));  
    setRecords(opts);
    setRecord(opts[0]?.value ?? null);
  };
  // Live preview: re-rendered a moment after the last keystroke.
  useEffect(() => {
    if (!def || !record) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const saved = readOnly && def.flavour === 'document';
      if (readOnly && !saved) return;
      (saved ? fetchFile(`/api/v1/print/documents/${def.$id}/${record}.html`, lang) : fetchFile('/api/v1/print/preview', lang, { method: 'POST', body: { definition: def, record } }))
        .then((f) => f.blob.text())
        .then((t) => {
          setHtml(t);
          setProblem(null);
        })
        .catch((e) => setProblem(errText(e)));
    }, 400);
  }, [def, record, lang, readOnly]);
  const save = async () => {
    setSaving(true);
    try {
      const r = await api(`/api/v1/meta/printTemplate/${id}`, { method: 'PUT', body: { definition: def, reason: reason.trim() } });
      void message.success(fill(w.saved, { v: r.data.version }));
      setReason('');
      forgetTemplates();
      const v = await api(`/api/v1/meta/printTemplate/${id}/versions`);
      setVersions(v.data);
    } catch (e) {
      void message.error(errText(e));
    } finally {
      setSaving(false);
    }
  };
  const isLabel = def?.flavour === 'label';
  return (
    <div className="ct-page" style={{ display: 'flex', gap: 16, alignItems: 'flex-start' }}>
      <Card size="small" title={w.editor} style={{ width: 260, flex: 'none' }}>
        <List
          size="small"
          dataSource={list}
          renderItem={(t) => (
            <List.Item style={{ cursor: 'pointer', background: t.id === id ? '#e6f4ff' : undefined, minHeight: 36 }} onClick={() => void open(t.id)}>
              <Space direction="vertical" size={0}>
                <span>{pick(t.label, lang, t.id)}</span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t.entityLabel} · v{t.version}</Typography.Text>
              </Space>
            </List.Item>
          )}
        />
      </Card>
      {!def ? (
        <Empty description={w.pickTemplate} style={{ flex: 1 }} />
      ) : (
        <div style={{ flex: 1, minWidth: 0 }}>
          <Space style={{ marginBottom: 8 }} wrap>
            <Typography.Title level={5} style={{ margin: 0 }}>{pick(def.label, lang, def.$id)}</Typography.Title>
            <Tag>{w.entity}: {list.find((t) => t.id === id)?.entityLabel}</Tag>
            <span>{w.record}</span>
            <Select aria-label={w.record} style={{ minWidth: 220 }} value={record ?? undefined} onChange={setRecord} options={records} notFoundContent={w.noRecord} />
            {readOnly ? <Tag color="default">{w.readOnly}</Tag> : <Button type="primary" icon={<SaveOutlined />} onClick={() => Modal.confirm({
              title: w.saveReason,
              content: <Input.TextArea aria-label={w.saveReason} rows={3} onChange={(e) => setReason(e.target.value)} />,
              onOk: () => save(),
            })} loading={saving}>{w.save}</Button>}
          </Space>
          <div style={{ display: 'flex', gap: 12 }}>
            <div style={{ flex: 1, minWidth: 0 }}>
              <div>{w.source}</div>
              <Input.TextArea
                aria-label={w.source}
                value={def.source}
                onChange={(e) => setDef({ ...def, source: e.target.value })}
                readOnly={readOnly}
                autoSize={{ minRows: 18, maxRows: 30 }}
                style={{ fontFamily: 'ui-monospace, Menlo, Consolas, monospace', fontSize: 12 }}
                spellCheck={false}
              />
              {isLabel && (
                <>
                  <div style={{ marginTop: 8 }}>ZPL</div>
                  <Input.TextArea aria-label="ZPL" value={def.labelSpec?.zpl ?? ''} onChange={(e) => setDef({ ...def, labelSpec: { ...def.labelSpec, zpl: e.target.value } })} autoSize={{ minRows: 6, maxRows: 14 }} style={{ fontFamily: 'ui-monospace, Menlo, Consolas, monospace', fontSize: 12 }} spellCheck={false} />
                </>
              )}
              {!isLabel && (
                <>
                  <div style={{ marginTop: 8 }}>{w.css}</div>
                  <Input.TextArea aria-label={w.css} value={def.css ?? ''} onChange={(e) => setDef({ ...def, css: e.target.value })} autoSize={{ minRows: 3, maxRows: 8 }} style={{ fontFamily: 'ui-monospace, Menlo, Consolas, monospace', fontSize: 12 }} spellCheck={false} />
                </>
              )}
            </div>
            <div style={{ flex: 1, minWidth: 0 }}>
              <div>{w.livePreview}</div>
              {problem ? <Typography.Text type="danger" role="alert">{w.previewFailed}: {problem}</Typography.Text> : <iframe title={w.livePreview} srcDoc={html} style={{ width: '100%', height: 560, border: '1px solid #ddd', background: '#fff' }} />}
            </div>
          </div>
          <Card size="small" title={w.versions} style={{ marginTop: 12 }}>
            <Table
              size="small"
              rowKey="version"
              pagination={false}
              dataSource={[...versions, { version: 0, reason: w.shipped, createdByName: '', createdAt: '' }]}
              columns={[
                { title: w.version, dataIndex: 'version', key: 'v', render: (v) => `v${v}` },
                { title: w.saveReason, dataIndex: 'reason', key: 'r' },
                { title: w.changedBy, dataIndex: 'createdByName', key: 'b' },
                { title: w.at, dataIndex: 'createdAt', key: 'a', render: (v) => String(v ?? '').slice(0, 16).replace('T', ' ') },
              ]}
            />
          </Card>
        </div>
      )}
    </div>
  );
}
