import { useEffect, useRef, useState } from 'react';
import { App, Button, Descriptions, Dropdown, Input, Modal, Radio, Select, Space, Spin, Table, Tag } from 'antd';
import { DownloadOutlined, PrinterOutlined, TagsOutlined } from '@ant-design/icons';
import { errText, fetchFile, pick, saveBlob, templates, words, type Api, type Lang, type TemplateInfo } from './shared';

interface Props {
  api: Api;
  lang: Lang;
  entity: string;
  record: Record<string, any>;  
  reload: () => void;
}

/**
 * The record page's print menu: "打印 / Print" for the document templates of the record's entity (preview, print,
 * download PDF), "打印标签 / Print labels" for label templates (a batch prints its vials' labels) with the batch's
 * label reconciliation. Shown only where templates exist.
 */
export default function PrintActions({ api, lang, entity, record }: Props) {
  const w = words(lang);
  const [all, setAll] = useState<TemplateInfo[] | null>(null);
  const [doc, setDoc] = useState<TemplateInfo | null>(null);
  const [labels, setLabels] = useState(false);
  useEffect(() => {
    let live = true;
    void templates(api).then((t) => live && setAll(t));
    return () => {
      live = false;
    };
  }, [api]);
  if (!all || !record?.id) return null;
  const docs = all.filter((t) => t.flavour === 'document' && t.entity === entity);
  const labelTpls = all.filter((t) => t.flavour === 'label' && (t.entity === entity || (entity === 'cellBatch' && t.entity === 'cryovial')));
  if (!docs.length && !labelTpls.length) return null;
  return (
    <>
      {docs.length > 0 && (
        <Dropdown menu={{ items: docs.map((t) => ({ key: t.id, label: pick(t.label, lang, t.id), onClick: () => setDoc(t) })) }} trigger={['click']}>
          <Button icon={<PrinterOutlined />} aria-label={w.print}>{w.print}</Button>
        </Dropdown>
      )}
      {labelTpls.length > 0 && <Button icon={<TagsOutlined />} onClick={() => setLabels(true)}>{w.printLabels}</Button>}
      {doc && <DocumentModal lang={lang} template={doc} id={Number(record.id)} onClose={() => setDoc(null)} />}
      {labels && <LabelModal api={api} lang={lang} entity={entity} id={Number(record.id)} templates={labelTpls} onClose={() => setLabels(false)} />}
    </>
  );
}

function DocumentModal({ lang, template, id, onClose }: { lang: Lang; template: TemplateInfo; id: number; onClose: () => void }) {
  const w = words(lang);
  const { message } = App.useApp();
  const [html, setHtml] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const frame = useRef<HTMLIFrameElement>(null);
  const base = `/api/v1/print/documents/${encodeURIComponent(template.id)}/${id}`;
  useEffect(() => {
    let live = true;
    fetchFile(`${base}.html`, lang).then((f) => f.blob.text()).then((t) => live && setHtml(t), (e) => {
      void message.error(errText(e));
      onClose();
    });
    return () => {
      live = false;
    };
  }, [base, lang]);
  const pdf = async () => {
    setBusy(true);
    try {
      const f = await fetchFile(`${base}.pdf`, lang);
      saveBlob(f.blob, f.name);
    } catch (e) {
      void message.error(errText(e));
    } finally {
      setBusy(false);
    }
  };
  const print = async () => {
    try {
      // Recorded as printed (template and version), then the browser's print dialog on the preview.
      await fetchFile(`${base}.html?print=1`, lang);
      frame.current?.contentWindow?.print();
    } catch (e) {
      void message.error(errText(e));
    }
  };
  return (
    <Modal
      open
      width={900}
      title={`${w.preview} · ${pick(template.label, lang, template.id)} · ${w.version} ${template.version}`}
      onCancel={onClose}
      footer={
        <Space>
          <Button onClick={onClose}>{w.close}</Button>
          <Button icon={<PrinterOutlined />} onClick={() => void print()} disabled={!html}>{w.printNow}</Button>
          <Button type="primary" icon={<DownloadOutlined />} loading={busy} onClick={() => void pdf()} disabled={!html}>{w.download}</Button>
        </Space>
      }
    >
      {html === null ? <Spin /> : <iframe ref={frame} title={w.preview} srcDoc={html} style={{ width: '100%', height: '70vh', border: '1px solid #ddd', background: '#fff' }} />}
    </Modal>
  );
}

interface Reconciliation { printed: number; used: number; destroyed: number; unaccounted: number; unlabelled: string[]; labels: any[] }  

function LabelModal({ api, lang, entity, id, templates: tpls, onClose }: { api: Api; lang: Lang; entity: string; id: number; templates: TemplateInfo[]; onClose: () => void }) {
  const w = words(lang);
  const { message } = App.useApp();
  const [tpl, setTpl] = useState(tpls[0].id);
  const [format, setFormat] = useState<'pdf' | 'zpl'>('pdf');
  const [reason, setReason] = useState('');
  const [needReason, setNeedReason] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [rec, setRec] = useState<Reconciliation | null>(null);
  const isBatch = entity === 'cellBatch';
  const loadRec = () => {
    if (isBatch) void api('/api/v1/print/labels/reconciliation', { query: { batch: id } }).then((r) => setRec(r.data), () => setRec(null));
  };
  useEffect(loadRec, [id]);
  const chosen = tpls.find((t) => t.id === tpl)!;
  const go = async () => {
    setBusy(true);
    try {
      const body: Record<string, unknown> = { template: tpl, format, ...(reason.trim() ? { reason: reason.trim() } : {}) };
      if (isBatch && chosen.entity !== 'cellBatch') body.batch = id;
      else body.records = [id];
      const f = await fetchFile('/api/v1/print/labels', lang, { method: 'POST', body });
      saveBlob(f.blob, f.name);
      void message.success(w.labelsDone);
      setNeedReason(null);
      setReason('');
      loadRec();
    } catch (e) {
      const d = (e as { details?: { path?: string; message?: string }[] }).details ?? [];
      if (d.some((x) => x.path === '/reason')) setNeedReason(d.find((x) => x.path === '/reason')!.message ?? w.reasonHint);
      else void message.error(errText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open width={760} title={w.printLabels} onCancel={onClose} footer={<Space><Button onClick={onClose}>{w.close}</Button><Button type="primary" icon={<DownloadOutlined />} loading={busy} disabled={!!needReason && !reason.trim()} onClick={() => void go()}>{w.printLabels}</Button></Space>}>
      <Space direction="vertical" style={{ width: '100%' }} size="middle">
        <Space wrap>
          <span>{w.template}</span>
          <Select aria-label={w.template} style={{ minWidth: 260 }} value={tpl} onChange={setTpl} options={tpls.map((t) => ({ value: t.id, label: `${pick(t.label, lang, t.id)} · ${w.version} ${t.version}` }))} />
          {chosen.labelSpec && <Tag>{w.labelSize} {chosen.labelSpec.widthMm} × {chosen.labelSpec.heightMm} mm</Tag>}
        </Space>
        <Radio.Group value={format} onChange={(e) => setFormat(e.target.value)} optionType="button" options={[{ value: 'pdf', label: w.pdf }, { value: 'zpl', label: w.zpl }]} />
        {needReason && (
          <div>
            <div style={{ color: '#d46b08', marginBottom: 4 }}>{needReason}</div>
            <Input.TextArea aria-label={w.reason} placeholder={w.reason} rows={2} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
        )}
        {rec && (
          <div>
            <Descriptions size="small" bordered title={w.reconciliation} column={4}>
              <Descriptions.Item label={w.printed}>{rec.printed}</Descriptions.Item>
              <Descriptions.Item label={w.used}>{rec.used}</Descriptions.Item>
              <Descriptions.Item label={w.destroyed}>{rec.destroyed}</Descriptions.Item>
              <Descriptions.Item label={w.unaccounted}>{rec.unaccounted ? <Tag color="red">{rec.unaccounted}</Tag> : 0}</Descriptions.Item>
            </Descriptions>
            {rec.unlabelled.length > 0 && <p>{w.unlabelled}: {rec.unlabelled.join('、')}</p>}
            {rec.labels.length > 0 && (
              <Table
                size="small"
                rowKey="id"
                pagination={{ pageSize: 5 }}
                dataSource={rec.labels}
                columns={[
                  { title: 'No.', dataIndex: 'code', key: 'code' },
                  { title: w.template, key: 't', render: (_v, r) => `${r.templateLabel} v${r.version}` },
                  { title: w.by, dataIndex: 'by', key: 'by' },
                  { title: w.at, key: 'at', render: (_v, r) => String(r.at ?? '').slice(0, 16).replace('T', ' ') },
                  { title: '', key: 's', render: (_v, r) => <Space>{r.reprint && <Tag color="orange">{w.reprint}</Tag>}{r.voidedAt && <Tag>{w.voided}</Tag>}</Space> },
                ]}
              />
            )}
          </div>
        )}
      </Space>
    </Modal>
  );
}
