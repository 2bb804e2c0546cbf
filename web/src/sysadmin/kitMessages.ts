// Labels of the implementer screens (data import wizard, webhooks), registered with the system-management bundle.
import i18n from '../i18n';

const zh = {
  import: {
    stepUpload: '选择并上传', stepCheck: '检查（试导入）', stepCommit: '导入', what: '导入内容', template: '下载导入模板', lab: '导入到', labHint: '管理员可指定导入到哪个实验室；不选则不属于任何实验室',
    drop: '点击或拖入填好的 Excel 文件（.xlsx）', chooseFirst: '请先选择导入内容', dropHint: '上传后先检查每一行，不会写入数据；检查通过后再确认导入（全部成功或全部不导入）',
    phase: { queued: '排队中…', reading: '正在读取文件…', checking: '正在检查每一行…', trial: '正在试导入（不保存）…', writing: '正在导入…' },
    failed: '导入失败', committed: '已导入 {{count}} 条记录', again: '再导入一个文件',
    hasErrors: '共 {{rows}} 行，其中 {{bad}} 行有 {{count}} 个问题：请在 Excel 中改正后重新上传', clean: '共 {{rows}} 行，检查通过，可以导入',
    onlyErrors: '只看有问题的行', commit: '确认导入 {{count}} 行', row: '行号', problems: '问题', problem: '{{column}}：{{message}}', sep: '；',
    retry: '重新检查', interruptedTitle: '有 {{count}} 个导入被中断',
  },
  webhooks: {
    hint: '记录新增、修改、删除或执行操作时，系统把事件以签名的 JSON 推送到订阅的地址（失败自动重试）。', create: '新增订阅', save: '保存', url: '推送地址', entity: '业务对象',
    events: '事件', enabled: '启用', log: '推送记录', delete: '删除', confirmDelete: '删除订阅及其推送记录，确定吗？', description: '说明', secret: '签名密钥（仅显示一次）',
    badUrl: '请输入以 http:// 或 https:// 开头的完整网址', empty: '还没有订阅', noDeliveries: '还没有推送', at: '时间', status: '状态', attempts: '尝试次数', response: '接收方响应',
    redeliver: '重新推送', queued: '已加入推送队列', refresh: '刷新',
    event: { created: '新增', updated: '修改', deleted: '删除', action: '操作' }, statuses: { pending: '等待中', delivered: '已送达', failed: '失败' },
  },
};
const en = {
  import: {
    stepUpload: 'Choose and upload', stepCheck: 'Check (dry run)', stepCommit: 'Import', what: 'Import', template: 'Download template', lab: 'Import into', labHint: 'Administrators choose the lab the records belong to; none: no lab',
    drop: 'Click or drop the filled-in Excel file (.xlsx)', chooseFirst: 'Choose what to import first', dropHint: 'Every row is checked first and nothing is written; then confirm the import (all rows or none)',
    phase: { queued: 'Queued…', reading: 'Reading the file…', checking: 'Checking every row…', trial: 'Trial import (not saved)…', writing: 'Importing…' },
    failed: 'The import failed', committed: '{{count}} records imported', again: 'Import another file',
    hasErrors: '{{rows}} rows, {{bad}} of them with {{count}} problems: correct them in Excel and upload again', clean: '{{rows}} rows checked without problems, ready to import',
    onlyErrors: 'Rows with problems only', commit: 'Import {{count}} rows', row: 'Row', problems: 'Problems', problem: '{{column}}: {{message}}', sep: '; ',
    retry: 'Check again', interruptedTitle: '{{count}} import(s) were interrupted',
  },
  webhooks: {
    hint: 'When records are created, changed, deleted or acted on, the event is sent as signed JSON to the subscribed URL (retried on failure).', create: 'New subscription', save: 'Save', url: 'URL', entity: 'Object',
    events: 'Events', enabled: 'On', log: 'Deliveries', delete: 'Delete', confirmDelete: 'Delete the subscription and its deliveries?', description: 'Description', secret: 'Signing secret (shown once)',
    badUrl: 'Enter a full http:// or https:// address', empty: 'No subscriptions yet', noDeliveries: 'Nothing delivered yet', at: 'Time', status: 'Status', attempts: 'Attempts', response: 'Receiver\'s answer',
    redeliver: 'Deliver again', queued: 'Queued for delivery', refresh: 'Refresh',
    event: { created: 'Created', updated: 'Changed', deleted: 'Deleted', action: 'Action' }, statuses: { pending: 'Pending', delivered: 'Delivered', failed: 'Failed' },
  },
};
i18n.addResourceBundle('zh-CN', 'translation', { sys: zh }, true, false);
i18n.addResourceBundle('en', 'translation', { sys: en }, true, false);
