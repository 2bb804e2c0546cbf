// UI strings of the web app (zh-CN default, en). Metadata labels come from the server.
const zh = {
  app: { name: 'CellTrace 细胞追溯', short: 'CellTrace' },
  common: {
    ok: '确定', cancel: '取消', save: '保存', edit: '编辑', delete: '删除', back: '返回', reload: '重新加载',
    loading: '加载中…', empty: '暂无数据', retry: '重试', yes: '是', no: '否', search: '搜索', close: '关闭',
    language: '语言', actions: '操作', refresh: '刷新', unknownError: '发生未知错误', home: '首页',
  },
  error: {
    network: '无法连接服务器，请检查网络',
    sessionExpired: '登录已过期，请重新登录',
    notFound: '未找到该页面或记录',
    forbidden: '没有权限执行此操作',
    loadFailed: '加载失败',
  },
  login: {
    title: '登录', username: '用户名', password: '密码', submit: '登录',
    usernameRequired: '请输入用户名', passwordRequired: '请输入密码', subtitle: '细胞治疗实验室信息管理系统',
  },
  password: {
    title: '修改密码', mustChange: '首次登录或密码已重置，请先修改密码。', old: '当前密码', new: '新密码',
    confirm: '确认新密码', mismatch: '两次输入的密码不一致', tooShort: '密码至少 10 位', changed: '密码已修改',
    submit: '修改密码',
  },
  shell: {
    logout: '退出登录', changePassword: '修改密码', todo: '待办', menu: '菜单', collapse: '收起菜单',
    expand: '展开菜单', welcome: '欢迎使用 CellTrace', welcomeHint: '请从左侧菜单选择功能。', userMenu: '用户菜单',
    inboxSoon: '待办中心即将上线。',
  },
  list: {
    quickSearch: '快速搜索', columns: '列', views: '视图', saveView: '保存视图', viewName: '视图名称',
    deleteView: '删除视图', defaultView: '默认视图', export: '导出', import: '导入', new: '新建',
    loaded: '已加载 {{count}} 条', total: '共 {{count}} 条', unknownList: '未找到列表定义：{{id}}',
    importTitle: '导入结果', imported: '成功导入 {{count}} 条', importErrors: '以下行有错误',
    row: '行', field: '字段', message: '错误信息', importMode: '导入方式', modePartial: '跳过错误行',
    modeAll: '全部成功才导入', chooseFile: '选择 XLSX 文件', viewSaved: '视图已保存', resetColumns: '恢复默认列',
    filterAny: '任意', selectValues: '选择值', clearFilter: '清除',
  },
  form: {
    newTitle: '新建{{entity}}', editTitle: '编辑{{entity}}', saved: '已保存', unknownEntity: '未找到实体：{{id}}',
    conflictTitle: '数据已被他人修改', conflictBody: '此记录已被其他人修改。重新加载将丢弃您未保存的修改。',
    unsavedTitle: '有未保存的修改', unsavedBody: '离开此页面将丢失未保存的修改，确定离开吗？', leave: '离开',
    stay: '留在此页', autoNumber: '保存后自动生成', selectPlaceholder: '请选择', searchPlaceholder: '输入以搜索',
    upload: '上传', uploading: '上传中…', invalidJson: 'JSON 格式不正确', fixErrors: '请修正表单中的错误',
    removeFile: '删除附件', other: '其他',
  },
  validation: {
    required: '此项为必填项', minimum: '不能小于 {{limit}}', maximum: '不能大于 {{limit}}',
    exclusiveMinimum: '必须大于 {{limit}}', exclusiveMaximum: '必须小于 {{limit}}', minLength: '至少 {{limit}} 个字符',
    maxLength: '最多 {{limit}} 个字符', pattern: '格式不正确', format: '格式不正确', type: '类型不正确',
    enum: '不是允许的值', const: '不是允许的值', multipleOf: '必须是 {{limit}} 的倍数', minItems: '至少 {{limit}} 项',
    maxItems: '最多 {{limit}} 项',
  },
  record: {
    details: '详细信息', history: '修改历史', noHistory: '暂无修改记录', by: '操作人', created: '创建',
    updated: '修改', deleted: '删除', changedFrom: '由', changedTo: '改为', confirmDelete: '确定删除此记录吗？',
    deletedOk: '已删除', flowActions: '流程操作', system: '系统信息', version: '版本',
    createdAt: '创建时间', updatedAt: '修改时间', createdBy: '创建人', updatedBy: '修改人',
  },
};

type Messages = typeof zh;

const en: Messages = {
  app: { name: 'CellTrace', short: 'CellTrace' },
  common: {
    ok: 'OK', cancel: 'Cancel', save: 'Save', edit: 'Edit', delete: 'Delete', back: 'Back', reload: 'Reload',
    loading: 'Loading…', empty: 'No data', retry: 'Retry', yes: 'Yes', no: 'No', search: 'Search', close: 'Close',
    language: 'Language', actions: 'Actions', refresh: 'Refresh', unknownError: 'Something went wrong', home: 'Home',
  },
  error: {
    network: 'Cannot reach the server. Check your network.',
    sessionExpired: 'Your session has expired. Please sign in again.',
    notFound: 'Page or record not found',
    forbidden: 'You are not allowed to do this',
    loadFailed: 'Loading failed',
  },
  login: {
    title: 'Sign in', username: 'Username', password: 'Password', submit: 'Sign in',
    usernameRequired: 'Enter your username', passwordRequired: 'Enter your password',
    subtitle: 'Cell-therapy laboratory information system',
  },
  password: {
    title: 'Change password', mustChange: 'Please change your password before you continue.', old: 'Current password',
    new: 'New password', confirm: 'Confirm new password', mismatch: 'The passwords do not match',
    tooShort: 'At least 10 characters', changed: 'Password changed', submit: 'Change password',
  },
  shell: {
    logout: 'Sign out', changePassword: 'Change password', todo: 'To-do', menu: 'Menu', collapse: 'Collapse menu',
    expand: 'Expand menu', welcome: 'Welcome to CellTrace', welcomeHint: 'Choose a function from the menu.',
    userMenu: 'User menu', inboxSoon: 'The to-do inbox is coming soon.',
  },
  list: {
    quickSearch: 'Quick search', columns: 'Columns', views: 'Views', saveView: 'Save view', viewName: 'View name',
    deleteView: 'Delete view', defaultView: 'Default view', export: 'Export', import: 'Import', new: 'New',
    loaded: '{{count}} loaded', total: '{{count}} in total', unknownList: 'Unknown list: {{id}}',
    importTitle: 'Import result', imported: '{{count}} rows imported', importErrors: 'Rows with errors',
    row: 'Row', field: 'Field', message: 'Message', importMode: 'Mode', modePartial: 'Skip rows with errors',
    modeAll: 'All rows or nothing', chooseFile: 'Choose an XLSX file', viewSaved: 'View saved',
    resetColumns: 'Default columns', filterAny: 'Any', selectValues: 'Select values', clearFilter: 'Clear',
  },
  form: {
    newTitle: 'New {{entity}}', editTitle: 'Edit {{entity}}', saved: 'Saved', unknownEntity: 'Unknown entity: {{id}}',
    conflictTitle: 'Changed by someone else',
    conflictBody: 'This record was changed by someone else. Reloading discards your unsaved changes.',
    unsavedTitle: 'Unsaved changes', unsavedBody: 'You will lose your unsaved changes. Leave this page?',
    leave: 'Leave', stay: 'Stay', autoNumber: 'Generated on save', selectPlaceholder: 'Select',
    searchPlaceholder: 'Type to search', upload: 'Upload', uploading: 'Uploading…', invalidJson: 'Invalid JSON',
    fixErrors: 'Please fix the errors in the form', removeFile: 'Remove attachment', other: 'Other',
  },
  validation: {
    required: 'This field is required', minimum: 'Must be at least {{limit}}', maximum: 'Must be at most {{limit}}',
    exclusiveMinimum: 'Must be greater than {{limit}}', exclusiveMaximum: 'Must be less than {{limit}}',
    minLength: 'At least {{limit}} characters', maxLength: 'At most {{limit}} characters', pattern: 'Invalid format',
    format: 'Invalid format', type: 'Wrong type', enum: 'Not an allowed value', const: 'Not an allowed value',
    multipleOf: 'Must be a multiple of {{limit}}', minItems: 'At least {{limit}} items', maxItems: 'At most {{limit}} items',
  },
  record: {
    details: 'Details', history: 'History', noHistory: 'No changes recorded', by: 'By', created: 'Created',
    updated: 'Updated', deleted: 'Deleted', changedFrom: 'from', changedTo: 'to',
    confirmDelete: 'Delete this record?', deletedOk: 'Deleted', flowActions: 'Workflow', system: 'System',
    version: 'Version', createdAt: 'Created at', updatedAt: 'Updated at', createdBy: 'Created by',
    updatedBy: 'Updated by',
  },
};

export const messages = { 'zh-CN': zh, en };
