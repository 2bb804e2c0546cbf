export type Api = (path: string, opts?: { method?: string; query?: Record<string, unknown>; body?: unknown }) => Promise<any>;
export type Lang = 'zh-CN' | 'en';

export const L = {
  'zh-CN': {
    ledgerTitle: '设备台账', category: '设备科目', uncategorised: '未分类', count: '数量', value: '原值合计(元)', totals: '合计', export: '导出 Excel', allStatuses: '全部状态',
    status: '设备状态', inUse: '在用', underRepair: '维修中', outOfService: '停用', scrapped: '报废', assets: '设备清单',
    code: '设备编号', name: '设备名称', model: '型号规格', location: '存放位置', responsible: '负责人', price: '原值(元)', serviceState: '维护校准状态', nextDue: '下次到期',
    usageTitle: '使用记录与影响评估', chooseAsset: '选择设备', sinceCalibration: '自上次校准合格以来', all: '全部使用记录',
    since: '上次校准合格：{date}（{no}）', noCalibration: '没有已签名的合格校准记录，显示全部使用记录', batches: '涉及批次', batch: '批号', uses: '使用次数', first: '首次使用', last: '最近使用',
    usages: '使用记录', usedAt: '使用时间', record: '记录', kind: '记录类型', field: '字段', none: '暂无',
  },
  en: {
    ledgerTitle: 'Equipment ledger', category: 'Category', uncategorised: 'Uncategorised', count: 'Count', value: 'Value (CNY)', totals: 'Total', export: 'Export to Excel', allStatuses: 'All statuses',
    status: 'Status', inUse: 'In use', underRepair: 'Under repair', outOfService: 'Out of service', scrapped: 'Scrapped', assets: 'Assets',
    code: 'Asset code', name: 'Name', model: 'Model', location: 'Location', responsible: 'Responsible', price: 'Price (CNY)', serviceState: 'Maintenance / calibration', nextDue: 'Next due',
    usageTitle: 'Usage log & impact', chooseAsset: 'Choose equipment', sinceCalibration: 'Since the last passing calibration', all: 'All usage',
    since: 'Last passing calibration: {date} ({no})', noCalibration: 'No signed passing calibration: all usage is shown', batches: 'Batches concerned', batch: 'Batch', uses: 'Uses', first: 'First used', last: 'Last used',
    usages: 'Usage', usedAt: 'Used at', record: 'Record', kind: 'Record type', field: 'Field', none: 'None',
  },
};
export type Words = (typeof L)['zh-CN'];
export const words = (lang: Lang): Words => L[lang] ?? L['zh-CN'];
export const fill = (s: string, p: Record<string, unknown>) => s.replace(/\{(\w+)\}/g, (_m, k) => String(p[k] ?? ''));
export const errText = (e: unknown) => (e as { message?: string })?.message ?? String(e);
export const STATUSES = ['inUse', 'underRepair', 'outOfService', 'scrapped'] as const;
