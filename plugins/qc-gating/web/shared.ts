export type Api = (path: string, opts?: { method?: string; query?: Record<string, unknown>; body?: unknown }) => Promise<any>;
export type Lang = 'zh-CN' | 'en';

export const L = {
  'zh-CN': {
    room: '房间/洁净区', grade: '级别', sampling: '采样任务', noSampling: '不关联采样任务', occupancy: '状态', atRest: '静态', inOperation: '动态', sampledAt: '采样时间',
    submitRound: '提交本轮结果', noPoints: '该房间没有启用的采样点', chooseRoom: '请选择房间', saved: '已保存 {n} 条结果', deviationOpened: '已开启偏差', fillOne: '请至少填写一项结果',
    ok: '正常', alert: '超警戒限', action: '超行动限', noLimit: '无限度', none: '暂无数据', point: '采样点', parameter: '监测项目', value: '结果', status: '判定', deviation: '偏差',
    alertLimit: '警戒限', actionLimit: '行动限', trendTitle: '{point} · {parameter} 趋势', from: '开始', to: '结束', readings: '检测记录', openTrend: '查看趋势', latest: '最近结果',
    overviewTitle: '质量概览（近 {days} 天）', passRate: '合格率', judged: '已判定', passed: '合格', openReviews: '待复核质检', openDeviations: '未关闭偏差', dueSamplings: '待采样',
    overdueSamplings: '超期采样', openSpotChecks: '待完成抽检', emAlerts: '环境超警戒限', emActions: '环境超行动限', noAccess: '无权查看', list: '明细', close: '关闭', title: '记录',
    roomMapTitle: '洁净区状态图', legend: '颜色按各采样点最近一次结果', date: '日期',
    byLab: '按实验室查看合格率', siteAlert: '本采样点警戒限', gradeAlert: '级别默认警戒限', suggestTitle: '按趋势建议的警戒限', suggestText: '{occupancy} {n} 个结果：均值 {mean}，标准差 {sd}，P5 {p5}，P95 {p95}',
    suggested: '建议警戒限 {band}', tooFew: '结果少于 20 个，暂不建议', adopt: '设为本采样点警戒限', suggestBasis: '{from} 至 {to} 的 {n} 个{occupancy}结果，{pct}（上限不超过行动限）',
  },
  en: {
    room: 'Room / clean zone', grade: 'Grade', sampling: 'Sampling', noSampling: 'No sampling task', occupancy: 'Occupancy', atRest: 'At rest', inOperation: 'In operation', sampledAt: 'Sampled at',
    submitRound: 'Submit this round', noPoints: 'This room has no sampling point in use', chooseRoom: 'Choose a room', saved: '{n} readings saved', deviationOpened: 'Deviation opened', fillOne: 'Enter at least one result',
    ok: 'Within limits', alert: 'Alert level', action: 'Action level', noLimit: 'No limit', none: 'No data yet', point: 'Sampling point', parameter: 'Parameter', value: 'Value', status: 'Status', deviation: 'Deviation',
    alertLimit: 'Alert level', actionLimit: 'Action level', trendTitle: '{point} · {parameter} trend', from: 'From', to: 'To', readings: 'Readings', openTrend: 'Trend', latest: 'Latest',
    overviewTitle: 'QC overview (last {days} days)', passRate: 'Pass rate', judged: 'judged', passed: 'passed', openReviews: 'QC awaiting review', openDeviations: 'Open deviations', dueSamplings: 'Samplings due',
    overdueSamplings: 'Samplings overdue', openSpotChecks: 'Open spot checks', emAlerts: 'EM alert levels', emActions: 'EM action levels', noAccess: 'No access', list: 'Records', close: 'Close', title: 'Record',
    roomMapTitle: 'Clean-room status map', legend: 'Coloured by the latest result of each sampling point', date: 'Date',
    byLab: 'Pass rates by lab', siteAlert: 'Site alert level of this point', gradeAlert: 'Default alert level of the grade', suggestTitle: 'Alert level suggested by the trend', suggestText: '{n} results {occupancy}: mean {mean}, SD {sd}, P5 {p5}, P95 {p95}',
    suggested: 'Suggested alert level {band}', tooFew: 'Fewer than 20 results: no suggestion yet', adopt: 'Set as this point\'s alert level', suggestBasis: '{n} results {occupancy} from {from} to {to}, {pct} (capped at the action level)',
  },
};
export type Words = (typeof L)['zh-CN'];
export const words = (lang: Lang): Words => L[lang] ?? L['zh-CN'];
export const fill = (s: string, p: Record<string, unknown>) => s.replace(/\{(\w+)\}/g, (_m, k) => String(p[k] ?? ''));
export const errText = (e: unknown) => (e as { message?: string })?.message ?? String(e);
export const STATUS_COLOR: Record<string, string> = { ok: 'green', alert: 'orange', action: 'red', noLimit: 'default' };
export const STATUS_HEX: Record<string, string> = { ok: '#52c41a', alert: '#fa8c16', action: '#f5222d', noLimit: '#bfbfbf' };
export const pickLabel = (l: any, lang: Lang, fallback = '') => (l && typeof l === 'object' ? (l[lang] ?? l['zh-CN'] ?? fallback) : (l ?? fallback));
export const bandText = (b: { min?: number; max?: number } | null | undefined) =>
  !b ? '—' : [b.min !== undefined ? `≥ ${b.min}` : '', b.max !== undefined ? `≤ ${b.max}` : ''].filter(Boolean).join(', ') || '—';

/** The dictionary labels of the metadata the caller sees (emParameter, cleanGrade…). */
export async function dictLabels(api: Api, lang: Lang, dict: string): Promise<Record<string, string>> {
  const b = await api('/api/v1/meta');
  const m = b.data ?? b;
  return Object.fromEntries((m.dictionaries?.[dict]?.items ?? []).map((i: any) => [i.code, pickLabel(i.label, lang, i.code)]));
}
