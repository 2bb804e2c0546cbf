export type Api = (path: string, opts?: { method?: string; query?: Record<string, unknown>; body?: unknown }) => Promise<any>;
export type Lang = 'zh-CN' | 'en';
export interface TabProps {
  api: Api;
  lang: Lang;
  entity: string;
  record: Record<string, any>;
  reload: () => void;
}

export const L = {
  'zh-CN': {
    loading: '加载中…', none: '暂无记录', chain: '身份链编号', order: '订单', here: '当前记录', by: '操作人', notReached: '尚未进行',
    open: '打开表单办理', openHint: '在表单中记录本任务的工作，保存后任务自动完成', done: '任务已完成', cancelled: '任务已取消', noBatch: '该订单还没有细胞批次',
    noPrep: '该订单还没有制剂', target: '办理表单', upload: '导入温度记录(CSV)', uploaded: '已导入 {n} 条温度记录', range: '允许范围', reading: '温度',
    noReadings: '尚未导入数据记录仪的温度记录', box: '发出时箱温', sign: '外部接收人签收', signHint: '请接收人在下方签名板上签名', clear: '重写', confirm: '确认签收',
    receiverName: '接收人姓名', signedBy: '签收人：{name}，{at}', needName: '请填写接收人姓名', needSign: '请先签名', signed: '已签收',
  },
  en: {
    loading: 'Loading…', none: 'Nothing yet', chain: 'Chain-of-identity ID', order: 'Order', here: 'This record', by: 'By', notReached: 'Not reached yet',
    open: 'Open the form', openHint: 'Record the work in the form; saving it completes the task', done: 'Task done', cancelled: 'Task cancelled', noBatch: 'The order has no cell batch yet',
    noPrep: 'The order has no product yet', target: 'Form', upload: 'Import temperature log (CSV)', uploaded: '{n} readings imported', range: 'Allowed range', reading: 'Temperature',
    noReadings: 'No data-logger readings imported yet', box: 'Box at dispatch', sign: 'External receiver signs', signHint: 'Ask the receiver to sign on the pad below', clear: 'Clear', confirm: 'Confirm receipt',
    receiverName: "Receiver's name", signedBy: 'Signed by {name}, {at}', needName: "Enter the receiver's name", needSign: 'Sign first', signed: 'Signed',
  },
};
export type Words = (typeof L)['zh-CN'];
export const words = (lang: Lang): Words => L[lang] ?? L['zh-CN'];
export const fill = (s: string, p: Record<string, unknown>) => s.replace(/\{(\w+)\}/g, (_m, k) => String(p[k] ?? ''));
export const errText = (e: unknown) => (e as { message?: string })?.message ?? String(e);
/** In-app navigation through the shell's router (it follows popstate). */
export function go(href: string): void {
  history.pushState(null, '', href);
  dispatchEvent(new PopStateEvent('popstate'));
}
export const when = (s: unknown) => (s ? String(s).slice(0, 16).replace('T', ' ') : '');
