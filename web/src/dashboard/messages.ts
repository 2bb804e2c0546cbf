// Labels of dashboards, reports and the dashboard designer (zh-CN, en), registered when their chunk loads.
import i18n from '../i18n';

const zh = {
  home: '首页看板', switch: '切换看板', none: '暂无适用于您角色的看板', welcome: '欢迎使用 CellTrace', refresh: '刷新', updated: '更新于 {{time}}',
  unavailable: '无权查看', openList: '打开列表', drillCaption: '{{tile}}：{{group}}', total: '合计', empty: '（空）',
  reports: '统计报表', report: '报表', period: '统计期间', from: '开始日期', to: '结束日期', exportXlsx: '导出 Excel', run: '查询',
  periods: { thisMonth: '本月', lastMonth: '上月', thisQuarter: '本季度', thisYear: '今年', last30Days: '近 30 天', last12Months: '近 12 个月', all: '全部' },
  filtered: '已筛选：{{caption}}', clearFilter: '清除筛选',
  designer: {
    title: '看板设计器', label: '看板名称', roles: '适用角色', order: '排序', tiles: '磁贴', addTile: '添加磁贴', removeTile: '删除磁贴 {{tile}}',
    tileTitle: '磁贴标题', key: '标识', chart: '图表', size: '大小', source: '数据来源', sourceQuery: '实体统计', sourceFigure: '插件指标', figure: '插件指标',
    entity: '实体', measure: '统计值', groupBy: '分组', groupBy2: '第二分组', ratioOf: '占比条件（合格率等）', filter: '筛选条件', list: '打开的列表', sort: '排序',
    count: '记录数', sumOf: '{{field}} 合计', avgOf: '{{field}} 平均', minOf: '{{field}} 最小', maxOf: '{{field}} 最大', bucket: '{{field}}（按{{bucket}}）',
    buckets: { day: '日', week: '周', month: '月', quarter: '季度', year: '年' },
    charts: { number: '数字', bar: '柱状图', line: '折线图', pie: '饼图', table: '表格' },
    sizes: { small: '小', medium: '中', large: '大', full: '整行' },
    sorts: { group: '按分组', valueDesc: '按数值降序' },
    filterHint: 'JSON 筛选，如 {"state": "open", "dueDate": {"lt": {"$date": "today"}}}；相对值：{"$date": "today|monthStart|weekStart|yearStart", "days": -30}、{"$user": "me"}',
    preview: '预览',
  },
};
type M = typeof zh;
const en: M = {
  home: 'Dashboard', switch: 'Switch dashboard', none: 'No dashboard for your role yet', welcome: 'Welcome to CellTrace', refresh: 'Refresh', updated: 'Updated {{time}}',
  unavailable: 'Not available to your role', openList: 'Open list', drillCaption: '{{tile}}: {{group}}', total: 'Total', empty: '(none)',
  reports: 'Reports', report: 'Report', period: 'Period', from: 'From', to: 'To', exportXlsx: 'Export to Excel', run: 'Run',
  periods: { thisMonth: 'This month', lastMonth: 'Last month', thisQuarter: 'This quarter', thisYear: 'This year', last30Days: 'Last 30 days', last12Months: 'Last 12 months', all: 'All' },
  filtered: 'Filtered: {{caption}}', clearFilter: 'Clear filter',
  designer: {
    title: 'Dashboard designer', label: 'Dashboard name', roles: 'Roles', order: 'Order', tiles: 'Tiles', addTile: 'Add tile', removeTile: 'Remove tile {{tile}}',
    tileTitle: 'Tile title', key: 'Key', chart: 'Chart', size: 'Size', source: 'Source', sourceQuery: 'Entity figure', sourceFigure: 'Plugin figure', figure: 'Plugin figure',
    entity: 'Entity', measure: 'Measure', groupBy: 'Group by', groupBy2: 'Then by', ratioOf: 'Share of (pass rate…)', filter: 'Filter', list: 'List to open', sort: 'Sort',
    count: 'Number of records', sumOf: 'Sum of {{field}}', avgOf: 'Average {{field}}', minOf: 'Minimum {{field}}', maxOf: 'Maximum {{field}}', bucket: '{{field}} (by {{bucket}})',
    buckets: { day: 'day', week: 'week', month: 'month', quarter: 'quarter', year: 'year' },
    charts: { number: 'Number', bar: 'Bar chart', line: 'Line chart', pie: 'Pie chart', table: 'Table' },
    sizes: { small: 'Small', medium: 'Medium', large: 'Large', full: 'Full row' },
    sorts: { group: 'By group', valueDesc: 'By value, largest first' },
    filterHint: 'A JSON filter, e.g. {"state": "open", "dueDate": {"lt": {"$date": "today"}}}; relative values: {"$date": "today|monthStart|weekStart|yearStart", "days": -30}, {"$user": "me"}',
    preview: 'Preview',
  },
};
i18n.addResourceBundle('zh-CN', 'translation', { dash: zh }, true, false);
i18n.addResourceBundle('en', 'translation', { dash: en }, true, false);
