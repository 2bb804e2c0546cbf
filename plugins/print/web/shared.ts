export type Api = (path: string, opts?: { method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; query?: Record<string, unknown>; body?: unknown }) => Promise<any>;  
export type Lang = 'zh-CN' | 'en';
export type Label = Record<string, string>;
export const pick = (l: Label | undefined, lang: Lang, fallback = '') => (l ? (l[lang] ?? l['zh-CN'] ?? fallback) : fallback);

export interface TemplateInfo {
  id: string;
  label: Label;
  entity: string;
  entityLabel: string;
  flavour: 'document' | 'label';
  version: number;
  labelSpec: { container: string; widthMm: number; heightMm: number } | null;
}

const L = {
  'zh-CN': {
    print: '打印', printLabels: '打印标签', preview: '打印预览', download: '下载 PDF', printNow: '打印', close: '关闭', version: '版本', loading: '加载中…',
    template: '模板', format: '格式', reason: '重打原因', reasonHint: '这些标签已打印过，请填写重打原因', labelsDone: '标签已生成', printed: '已打印', used: '在用',
    destroyed: '已销毁/作废', unaccounted: '未核销', unlabelled: '未贴标签', reconciliation: '标签核对', history: '打印记录', noHistory: '尚无打印记录', by: '打印人', at: '时间',
    reprint: '重打', voided: '作废', editor: '打印模板', source: '模板源码（Handlebars）', css: '样式（CSS）', record: '预览记录', save: '保存', saveReason: '修改原因',
    saved: '已保存为第 {v} 版', versions: '版本记录', shipped: '出厂版本', pickTemplate: '选择左侧的模板', noRecord: '该类记录暂无数据', livePreview: '实时预览', zpl: 'ZPL（斑马打印机）', pdf: 'PDF',
    rollback: '恢复此版本', readOnly: '只读（修改模板需要元数据编辑权限）', changedBy: '修改人', previewFailed: '预览失败', entity: '用于', labelSize: '尺寸',
  },
  en: {
    print: 'Print', printLabels: 'Print labels', preview: 'Print preview', download: 'Download PDF', printNow: 'Print', close: 'Close', version: 'Version', loading: 'Loading…',
    template: 'Template', format: 'Format', reason: 'Reprint reason', reasonHint: 'These labels were printed before: give the reason for the reprint', labelsDone: 'Labels ready', printed: 'Printed', used: 'In use',
    destroyed: 'Destroyed/void', unaccounted: 'Unaccounted', unlabelled: 'Without label', reconciliation: 'Label reconciliation', history: 'Print history', noHistory: 'Nothing printed yet', by: 'By', at: 'At',
    reprint: 'Reprint', voided: 'Void', editor: 'Print templates', source: 'Template source (Handlebars)', css: 'Style (CSS)', record: 'Preview record', save: 'Save', saveReason: 'Reason for the change',
    saved: 'Saved as version {v}', versions: 'Versions', shipped: 'As shipped', pickTemplate: 'Choose a template on the left', noRecord: 'No record of this kind yet', livePreview: 'Live preview', zpl: 'ZPL (Zebra)', pdf: 'PDF',
    rollback: 'Restore this version', readOnly: 'Read-only (changing templates needs the metadata editor permission)', changedBy: 'Changed by', previewFailed: 'Preview failed', entity: 'For', labelSize: 'Size',
  },
};
export type Words = (typeof L)['zh-CN'];
export const words = (lang: Lang): Words => L[lang] ?? L['zh-CN'];
export const fill = (s: string, p: Record<string, unknown>) => s.replace(/\{(\w+)\}/g, (_m, k) => String(p[k] ?? ''));
export const errText = (e: unknown) => {
  const x = e as { message?: string; details?: { path?: string; message?: string }[] };
  const d = x?.details?.[0];
  return d?.message && d.message !== x.message ? `${x.message ?? ''} ${d.path ? `(${d.path}) ` : ''}${d.message}`.trim() : (x?.message ?? String(e));
};

const csrf = () => {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'ct_csrf') return decodeURIComponent(v.join('='));
  }
  return undefined;
};

/** A non-JSON answer (HTML, PDF, ZPL) with the session cookie and CSRF header; errors as the shell's `{message, details}`. */
export async function fetchFile(path: string, lang: Lang, opts: { method?: 'GET' | 'POST'; body?: unknown } = {}): Promise<{ blob: Blob; name: string }> {
  const headers: Record<string, string> = { 'Accept-Language': lang };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const token = csrf();
  if (token && opts.method === 'POST') headers['X-CSRF-Token'] = token;
  const res = await fetch(path, { method: opts.method ?? 'GET', credentials: 'same-origin', headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  if (!res.ok) {
    let err: any = { message: `HTTP ${res.status}` };  
    try {
      err = (await res.json()).error ?? err;
    } catch {
      /* not JSON */
    }
    throw Object.assign(new Error(err.message), { status: res.status, details: err.details ?? [] });
  }
  const cd = res.headers.get('Content-Disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/.exec(cd);
  const plain = /filename="([^"]+)"/.exec(cd);
  return { blob: await res.blob(), name: star ? decodeURIComponent(star[1]) : (plain?.[1] ?? 'print') };
}

/** Saves a blob as a download (an `<a download>` click: the browser's own download). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const cache = new Map<string, Promise<TemplateInfo[]>>();
/** The templates the caller may use, fetched once per page load. */
export function templates(api: Api): Promise<TemplateInfo[]> {
  if (!cache.has('all')) cache.set('all', api('/api/v1/print/templates').then((r) => r.data as TemplateInfo[]).catch(() => []));
  return cache.get('all')!;
}
export const forgetTemplates = () => cache.clear();
