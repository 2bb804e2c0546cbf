// Labels of the system-management screens. Registered when their bundle loads (the menu labels are in menu.ts).
import i18n from '../i18n';

const zh = {
  common: {
    search: '查询', reset: '重置', exportXlsx: '导出 Excel', exportCsv: '导出 CSV', loadMore: '加载更多', noMore: '没有更多了', reason: '原因',
    reasonHint: '请填写原因（记入操作日志）', saved: '已保存', status: '状态', actions: '操作', timeRange: '时间范围', all: '全部', copy: '复制',
    shownOnce: '只显示这一次，请立即复制并安全地交给使用人。关闭后无法再次查看。', done: '我已记下',
  },
  users: {
    searchHint: '按用户名或姓名搜索', create: '新建用户', edit: '编辑用户', username: '用户名', displayName: '姓名', email: '邮箱',
    org: '所属机构', orgIds: '实验室成员资格', orgIdsHint: '可访问的实验室或部门（含所属机构）', roles: '角色', locale: '界面语言',
    isAdmin: '系统管理员', statusNormal: '正常', statusDisabled: '已停用', statusLocked: '已锁定', statusMustChange: '待改密码',
    disable: '停用', enable: '启用', unlock: '解锁', resetPassword: '重置密码', confirmDisable: '停用后该用户将立即退出并无法登录，确定停用吗？',
    confirmReset: '将生成一次性密码，该用户下次登录时必须修改。确定重置吗？', tempPassword: '一次性密码', tempPasswordFor: '{{user}} 的一次性密码',
    created: '用户已创建', disabled: '已停用', enabled: '已启用', unlocked: '已解锁', usernameRule: '2–64 位字母、数字或 _ . @ -',
    required: '此项为必填项', noOrg: '（未分配）',
  },
  orgs: {
    addRoot: '新增公司', addChild: '新增下级', rename: '保存名称', name: '名称', nameEn: '英文名称', code: '代码', kind: '类型', disable: '停用', enable: '启用',
    disabled: '已停用', selectHint: '在左侧选择一个组织单元以查看或修改。', added: '已新增', codeRule: '字母、数字、_ 或 -，最多 40 位', parent: '上级机构',
    kinds: { company: '公司', centre: '中心', lab: '实验室', department: '部门' }, noChild: '部门下不能再新增下级', members: '人员',
  },
  tokens: {
    issue: '签发令牌', name: '令牌名称', user: '用户', role: '角色', expiresIn: '有效期（天）', created: '签发时间', expires: '到期时间', lastUsed: '最近使用',
    revoke: '吊销', confirmRevoke: '吊销后使用此令牌的系统将无法再访问，确定吗？', revoked: '已吊销', active: '有效', expired: '已过期', token: '令牌',
    tokenShown: '令牌（仅显示一次）', roleHint: '令牌以所选角色的权限访问', never: '从未',
  },
  policy: {
    title: '安全策略', passwordMinLength: '密码最小长度', passwordClasses: '密码须包含的字符种类数', passwordClassesHint: '大写字母、小写字母、数字、符号中至少几种',
    maxFailures: '连续失败几次后锁定账户', lockMinutes: '锁定时长（分钟）', loginRatePerMinute: '每个 IP 每分钟最多登录尝试次数', adminOnly: '只有系统管理员可以修改安全策略。',
  },
  loginLog: {
    user: '用户', result: '结果', success: '成功', failure: '失败', at: '时间', username: '用户名', displayName: '姓名', reason: '失败原因', ip: 'IP 地址', client: '客户端',
  },
  audit: {
    user: '操作人', entity: '对象', action: '操作类型', at: '时间', record: '记录', changes: '变更内容', reason: '原因', open: '打开记录', verify: '校验审计链',
    chainOk: '审计链完整：已校验 {{count}} 条记录', chainBroken: '审计链被破坏：{{message}}',
  },
  backups: {
    run: '立即备份', running: '正在备份…', at: '备份时间', name: '文件', size: '大小', format: '格式', formats: { pgDump: 'PostgreSQL 归档', logical: '逻辑备份' },
    download: '下载', verify: '校验', verifying: '正在校验…', done: '备份完成：{{name}}', ok: '校验通过', failed: '校验失败', empty: '还没有备份。',
    hint: '备份保存在服务器的备份目录中，按计划每天自动备份并保留最近的若干份；恢复请使用命令 celltrace restore。',
  },
};

type M = typeof zh;

const en: M = {
  common: {
    search: 'Search', reset: 'Reset', exportXlsx: 'Export Excel', exportCsv: 'Export CSV', loadMore: 'Load more', noMore: 'No more entries', reason: 'Reason',
    reasonHint: 'Why? (kept in the operation log)', saved: 'Saved', status: 'Status', actions: 'Actions', timeRange: 'Time range', all: 'All', copy: 'Copy',
    shownOnce: 'Shown this once only: copy it now and hand it over safely. It cannot be shown again after you close this.', done: 'I have noted it',
  },
  users: {
    searchHint: 'Search by username or name', create: 'New user', edit: 'Edit user', username: 'Username', displayName: 'Name', email: 'E-mail',
    org: 'Unit', orgIds: 'Lab memberships', orgIdsHint: 'Labs or departments the user works in (the unit included)', roles: 'Roles', locale: 'Language',
    isAdmin: 'System administrator', statusNormal: 'Active', statusDisabled: 'Disabled', statusLocked: 'Locked', statusMustChange: 'Must change password',
    disable: 'Disable', enable: 'Enable', unlock: 'Unlock', resetPassword: 'Reset password', confirmDisable: 'The user is signed out at once and cannot sign in. Disable?',
    confirmReset: 'A one-time password is generated; the user must change it at the next login. Reset?', tempPassword: 'One-time password', tempPasswordFor: 'One-time password of {{user}}',
    created: 'User created', disabled: 'Disabled', enabled: 'Enabled', unlocked: 'Unlocked', usernameRule: '2–64 letters, digits or _ . @ -',
    required: 'Required', noOrg: '(none)',
  },
  orgs: {
    addRoot: 'Add company', addChild: 'Add unit below', rename: 'Save names', name: 'Name', nameEn: 'English name', code: 'Code', kind: 'Kind', disable: 'Disable', enable: 'Enable',
    disabled: 'Disabled', selectHint: 'Select a unit on the left to see or change it.', added: 'Added', codeRule: 'Letters, digits, _ or -, up to 40', parent: 'Parent unit',
    kinds: { company: 'Company', centre: 'Centre', lab: 'Lab', department: 'Department' }, noChild: 'A department has no units below it', members: 'People',
  },
  tokens: {
    issue: 'Issue token', name: 'Token name', user: 'User', role: 'Role', expiresIn: 'Valid for (days)', created: 'Issued', expires: 'Expires', lastUsed: 'Last used',
    revoke: 'Revoke', confirmRevoke: 'Systems using this token lose access. Revoke?', revoked: 'Revoked', active: 'Active', expired: 'Expired', token: 'Token',
    tokenShown: 'Token (shown once)', roleHint: 'The token acts with this role\'s permissions', never: 'Never',
  },
  policy: {
    title: 'Security policy', passwordMinLength: 'Minimum password length', passwordClasses: 'Kinds of characters required', passwordClassesHint: 'How many of upper case, lower case, digits and symbols',
    maxFailures: 'Failed logins before the account locks', lockMinutes: 'Lock duration (minutes)', loginRatePerMinute: 'Login attempts per IP per minute', adminOnly: 'Only a system administrator may change the security policy.',
  },
  loginLog: {
    user: 'User', result: 'Result', success: 'Succeeded', failure: 'Failed', at: 'Time', username: 'Username', displayName: 'Name', reason: 'Why it failed', ip: 'IP address', client: 'Client',
  },
  audit: {
    user: 'By', entity: 'Object', action: 'Action', at: 'Time', record: 'Record', changes: 'Changes', reason: 'Reason', open: 'Open record', verify: 'Verify audit chain',
    chainOk: 'Audit chain intact: {{count}} entries verified', chainBroken: 'Audit chain broken: {{message}}',
  },
  backups: {
    run: 'Back up now', running: 'Backing up…', at: 'Taken', name: 'File', size: 'Size', format: 'Format', formats: { pgDump: 'PostgreSQL archive', logical: 'Logical dump' },
    download: 'Download', verify: 'Verify', verifying: 'Verifying…', done: 'Backup written: {{name}}', ok: 'Verified', failed: 'Verification failed', empty: 'No backups yet.',
    hint: 'Backups are kept in the server\'s backup folder; one is taken every day on schedule and the newest ones are kept. Restore with the command celltrace restore.',
  },
};

i18n.addResourceBundle('zh-CN', 'translation', { sys: zh }, true, false);
i18n.addResourceBundle('en', 'translation', { sys: en }, true, false);
