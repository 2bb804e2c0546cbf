export type Api = (path: string, opts?: { method?: string; query?: Record<string, unknown>; body?: unknown }) => Promise<any>;
export type Lang = 'zh-CN' | 'en';

export const L = {
  'zh-CN': {
    store: '库房', material: '物料', lot: '批号', expiry: '有效期至', status: '状态', quantity: '库存', unit: '单位', materialTotal: '实验室合计 / 最低库存', minStock: '最低库存',
    search: '批号、物料名称或编码', allStores: '全部库房', flags: '提示', lowStock: '低于最低库存', expiringSoon: '临期', expired: '已过期', inUseExpired: '开启后已过期', notReleased: '未放行',
    all: '全部', total: '共 {n} 条', inUse: '开启后有效期至', whereUsed: '去向',
    ledgerTitle: '生产消耗台账', from: '开始日期', to: '结束日期', groupBy: '分组', kind: '类别性质', month: '月份', week: '周', day: '日期', purpose: '业务类型', culture: '培养批号', lab: '实验室',
    consumption: '消耗数量', mixedUnits: '多种单位', movements: '笔数', export: '导出 Excel', totals: '合计', allKinds: '全部类别', batch: '批次', lines: '明细',
    at: '时间', document: '单据', actor: '经办人', reversal: '冲销',
    template: '按培养物料模板带出', templateNone: '没有适用于该细胞类型的物料模板', chooseStore: '请先选择物料领用库房', chooseKind: '请先选择细胞大类',
    templateApplied: '已按模板“{name}”带出 {n} 项物料', fromRequisition: '按申领单带出（先到期先出）', chooseRequisition: '请先选择申领单', chooseFromStore: '请先选择发料库房', fefoApplied: '已按先到期先出带出 {n} 行', shortfall: '{material} 库存不足，还差 {n}', noLot: '{material}：该库房没有可用批次', replaceAsk: '将替换已填写的物料明细',
  },
  en: {
    store: 'Store', material: 'Material', lot: 'Lot', expiry: 'Expiry', status: 'Status', quantity: 'In stock', unit: 'Unit', materialTotal: 'Lab total / minimum', minStock: 'Minimum',
    search: 'Lot no., material name or code', allStores: 'All stores', flags: 'Flags', lowStock: 'Below minimum', expiringSoon: 'Expiring soon', expired: 'Expired', inUseExpired: 'In-use expiry passed', notReleased: 'Not released',
    all: 'All', total: '{n} rows', inUse: 'In use until', whereUsed: 'Where used',
    ledgerTitle: 'Consumption ledger', from: 'From', to: 'To', groupBy: 'Group by', kind: 'Kind', month: 'Month', week: 'Week', day: 'Day', purpose: 'Purpose', culture: 'Culture batch', lab: 'Lab',
    consumption: 'Consumed', mixedUnits: 'mixed units', movements: 'Movements', export: 'Export to Excel', totals: 'Total', allKinds: 'All kinds', batch: 'Batch', lines: 'Lines',
    at: 'Time', document: 'Document', actor: 'By', reversal: 'Reversal',
    template: 'Fill from the culture material template', templateNone: 'No material template for this cell type', chooseStore: 'Choose the store materials come from first', chooseKind: 'Choose the cell kind first',
    templateApplied: 'Filled {n} materials from template "{name}"', fromRequisition: 'Fill from the requisition (first expiry first out)', chooseRequisition: 'Choose the requisition first', chooseFromStore: 'Choose the issuing store first', fefoApplied: 'Filled {n} lines, first expiry first out', shortfall: 'Not enough {material}: {n} short', noLot: '{material}: no usable lot in this store', replaceAsk: 'This replaces the material lines entered',
  },
};
export type Words = (typeof L)['zh-CN'];
export const words = (lang: Lang): Words => L[lang] ?? L['zh-CN'];
export const fill = (s: string, p: Record<string, unknown>) => s.replace(/\{(\w+)\}/g, (_m, k) => String(p[k] ?? ''));
export const errText = (e: unknown) => (e as { message?: string })?.message ?? String(e);
