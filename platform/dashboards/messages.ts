import type { Messages } from '../i18n';

const messages: Messages = {
  'zh-CN': {
    'dashboard.unavailable': '您的角色无权查看此数据',
    'dashboard.fieldHidden': '此磁贴使用了您无权查看的字段',
    'dashboard.unknownFigure': '提供此指标的插件未启用',
    'report.total': '合计',
    'report.period': '统计期间',
    'report.badPeriod': '统计期间无效：请使用 YYYY-MM-DD 格式的日期，且开始日期不晚于结束日期',
    'figure.utilisation': '利用率',
    'report.badFormat': '不支持的导出格式 {format}：请使用 json 或 xlsx',
  },
  en: {
    'dashboard.unavailable': 'Your role may not see this data',
    'dashboard.fieldHidden': 'This tile uses a field your role may not see',
    'dashboard.unknownFigure': 'The plugin that provides this figure is not enabled',
    'report.total': 'Total',
    'report.period': 'Period',
    'report.badPeriod': 'Invalid period: use dates as YYYY-MM-DD, the start not after the end',
    'figure.utilisation': 'Utilisation',
    'report.badFormat': 'Unsupported format {format}: use json or xlsx',
  },
};
export default messages;
