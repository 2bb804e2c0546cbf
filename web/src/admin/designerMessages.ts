// Labels of the role editor and the flow designer. Registered when the admin bundle loads, so the login
// route does not carry them.
import i18n from '../i18n';

const zh = {
  labelEnOptional: '英文名称（可选）', labelZhRequired: '请填写中文名称', idAuto: '根据中文名称自动生成，可修改',
  idRule: '标识须以小写字母开头，只含字母和数字，如 xiBaoHuoLv', idTaken: '标识 {{id}} 已被使用', nameZh: '中文名称',
  schema: { hint: '按此类元数据的定义规则生成的表单；保存前由服务器校验，保存即生效，可回滚。', addRow: '添加一行' },
  cond: {
    combine: '组合方式', all: '全部满足', any: '任一满足', field: '字段', op: '运算', value: '值', remove: '删除条件', removeGroup: '删除条件组',
    add: '添加条件', addGroup: '添加条件组', nothing: '（空）', actor: '当前用户', now: '当前时间', becomes: '设为', expression: '（计算表达式）',
    addField: '添加要设置的字段', advanced: '此条件超出构建器的表达范围（手写的规则），可清除后用构建器重新设置', reset: '清除条件',
    ops: { '==': '等于', '!=': '不等于', '>': '大于', '>=': '大于或等于', '<': '小于', '<=': '小于或等于', empty: '为空', notEmpty: '不为空', in: '属于' },
  },
  role: {
    editor: '角色权限编辑器', label: '角色名称', description: '说明', admin: '系统管理员（全部权限）', system: '平台权限',
    matrix: '权限矩阵', matrixHint: '勾选即授权。某实体有自己的授权时，模块与“全部实体”的授权对它不再生效；灰色为继承的授权，点击会先复制为该实体自己的授权。',
    target: '对象', allEntities: '全部实体 (*)', module: '模块 {{module}}', noModule: '未分模块', inherited: '继承自 {{from}}',
    action: { read: '查看', create: '新建', update: '修改', delete: '删除', export: '导出', import: '导入', all: '全部操作 (*)' },
    otherActions: '其他操作', scope: '数据范围', scopeDefault: '默认（{{scope}}）', scopeByEntity: '按实体默认',
    scopes: { own: '本人创建', lab: '本实验室', orgSubtree: '本机构及下级', all: '全部', jsonLogic: '条件 (JSON Logic)' },
    condition: '范围条件 (JSON Logic)', conditionHint: '支持 and, or, !, ==, !=, <, <=, >, >=, in；左侧 {"var": "字段"}，右侧为常量或 {"var": "$actor.id|orgId|labId|labIds|orgSubtree"}',
    fields: '字段', fieldsOf: '{{entity}} 的字段规则（本授权）', visible: '可见', hidden: '隐藏', readOnly: '只读', unmask: '明文查看',
    unmaskAll: '明文查看全部加密字段', addGrant: '再加一条授权（不同范围）', removeGrant: '删除此授权', noActions: '此授权没有任何操作',
    invalidJson: 'JSON 格式错误：{{message}}', encrypted: '加密',
    perm: {
      users_admin: '用户与安全策略', org_admin: '组织机构', meta_write: '配置设计', audit_read: '查看操作日志', tokens_admin: 'API 令牌',
      backup: '数据备份', loginlog_read: '查看登录日志', records_restore: '恢复记录版本',
    },
  },
  flow: {
    designer: '流程设计器', label: '流程名称', description: '说明', entity: '绑定实体', stateField: '状态字段', stateFieldDefault: '实体默认 (x-state)',
    start: '发起方式', startCreate: '新建记录时', startAction: '执行操作时', startAction_: '发起操作', startLabel: '发起操作名称',
    initial: '初始状态', withdraw: '发起人撤回', withdrawNo: '不允许', withdrawYes: '允许', withdrawTo: '撤回后状态', onNoCandidates: '无处理人时',
    noCandAdmins: '交给管理员', noCandFail: '拒绝', summary: '摘要字段', when: '适用条件', priority: '优先级',
    diagram: '流程图', states: '状态', addState: '添加状态', stateKey: '状态标识', final: '结束状态', assignees: '处理人', addAssignee: '添加处理人',
    mode: '会签方式', modes: { any: '任一人', all: '全部人', sequential: '依次' },
    resolver: { role: '角色', user: '指定用户', field: '记录字段', initiator: '发起人', orgRelation: '组织关系' },
    role: '角色', users: '用户名', field: '字段', unit: '组织层级', units: { lab: '实验室', centre: '中心', company: '公司', department: '部门' },
    due: '时限', dueAfter: '处理时限', remindBefore: '提前提醒', escalateAfter: '超时升级', escalateTo: '升级给', escalation: '升级方式',
    escalations: { notify: '通知', reassign: '转派' }, durationHint: 'ISO 8601，如 PT24H、P2D',
    unit_: '单位', durationUnits: { minute: '分钟', hour: '小时', day: '天' }, durationOther: '原值 {{value}} 不是分钟、小时或天，重新填写即替换',
    transitions: '流转', addTransition: '添加流转', from: '从', action: '操作标识', to: '到', type: '类型',
    types: { approve: '同意', reject: '驳回', return: '退回', other: '其他' }, comment: '意见', commentNone: '无', commentOptional: '可选', commentRequired: '必填',
    signature: '电子签名', signatureMeaning: '签名含义', guard: '前置条件', refusal: '条件不满足时提示', effects: '后续动作',
    addEffect: '添加动作', effectAction: '实体操作', effectEffect: '内置动作', effectInput: '参数', effectSetFields: '设置字段', effectOther: '其他内置动作', remove: '删除', renameState: '重命名',
  },
};

const en: typeof zh = {
  labelEnOptional: 'English label (optional)', labelZhRequired: 'Enter the Chinese label', idAuto: 'Generated from the Chinese label; you may change it',
  idRule: 'An id starts with a lowercase letter and has letters and digits only, e.g. xiBaoHuoLv', idTaken: 'The id {{id}} is taken', nameZh: 'Chinese name',
  schema: { hint: 'A form generated from the rules of this kind of metadata; the server checks it before saving; a save takes effect at once and can be rolled back.', addRow: 'Add a row' },
  cond: {
    combine: 'Combine', all: 'All of', any: 'Any of', field: 'Field', op: 'Operator', value: 'Value', remove: 'Remove condition', removeGroup: 'Remove group',
    add: 'Add condition', addGroup: 'Add group', nothing: '(empty)', actor: 'Current user', now: 'Now', becomes: 'becomes', expression: '(computed expression)',
    addField: 'Add a field to set', advanced: 'This condition says more than the builder can show (a hand-written rule); clear it to set it with the builder', reset: 'Clear condition',
    ops: { '==': 'is', '!=': 'is not', '>': 'greater than', '>=': 'at least', '<': 'less than', '<=': 'at most', empty: 'is empty', notEmpty: 'is not empty', in: 'is one of' },
  },
  role: {
    editor: 'Role editor', label: 'Role name', description: 'Description', admin: 'System administrator (full access)', system: 'Platform permissions',
    matrix: 'Permission matrix', matrixHint: 'Tick to grant. Once an entity has grants of its own, the module and "all entities" grants no longer apply to it; grey ticks are inherited, and clicking one first copies them into grants of the entity.',
    target: 'Target', allEntities: 'All entities (*)', module: 'Module {{module}}', noModule: 'No module', inherited: 'Inherited from {{from}}',
    action: { read: 'Read', create: 'Create', update: 'Update', delete: 'Delete', export: 'Export', import: 'Import', all: 'All actions (*)' },
    otherActions: 'Other actions', scope: 'Row scope', scopeDefault: 'Default ({{scope}})', scopeByEntity: 'Entity default',
    scopes: { own: 'Own records', lab: 'Own labs', orgSubtree: 'Own org and below', all: 'All', jsonLogic: 'Condition (JSON Logic)' },
    condition: 'Scope condition (JSON Logic)', conditionHint: 'and, or, !, ==, !=, <, <=, >, >=, in; {"var": "field"} on the left, a literal or {"var": "$actor.id|orgId|labId|labIds|orgSubtree"} on the right',
    fields: 'Fields', fieldsOf: 'Field rules of {{entity}} (this grant)', visible: 'Visible', hidden: 'Hidden', readOnly: 'Read-only', unmask: 'Unmask',
    unmaskAll: 'Unmask every encrypted field', addGrant: 'Add another grant (other scope)', removeGrant: 'Remove this grant', noActions: 'This grant has no action',
    invalidJson: 'Invalid JSON: {{message}}', encrypted: 'encrypted',
    perm: {
      users_admin: 'Users and security policy', org_admin: 'Organisation', meta_write: 'Configuration', audit_read: 'Read the operation log', tokens_admin: 'API tokens',
      backup: 'Backups', loginlog_read: 'Read the login log', records_restore: 'Restore record versions',
    },
  },
  flow: {
    designer: 'Flow designer', label: 'Flow name', description: 'Description', entity: 'Entity', stateField: 'State field', stateFieldDefault: 'Entity default (x-state)',
    start: 'Starts', startCreate: 'When a record is created', startAction: 'By an action', startAction_: 'Start action', startLabel: 'Start action label',
    initial: 'Initial state', withdraw: 'Withdrawal by the initiator', withdrawNo: 'Not allowed', withdrawYes: 'Allowed', withdrawTo: 'State after withdrawal', onNoCandidates: 'No assignee found',
    noCandAdmins: 'Hand to administrators', noCandFail: 'Refuse', summary: 'Summary fields', when: 'Applies when', priority: 'Priority',
    diagram: 'Diagram', states: 'States', addState: 'Add state', stateKey: 'State key', final: 'Final', assignees: 'Assignees', addAssignee: 'Add assignee',
    mode: 'Mode', modes: { any: 'Any one', all: 'All', sequential: 'In turn' },
    resolver: { role: 'Role', user: 'Users', field: 'Record field', initiator: 'Initiator', orgRelation: 'Org relation' },
    role: 'Role', users: 'User names', field: 'Field', unit: 'Org level', units: { lab: 'Lab', centre: 'Centre', company: 'Company', department: 'Department' },
    due: 'Due', dueAfter: 'Due after', remindBefore: 'Remind before', escalateAfter: 'Escalate after', escalateTo: 'Escalate to', escalation: 'Escalation',
    escalations: { notify: 'Notify', reassign: 'Reassign' }, durationHint: 'ISO 8601, e.g. PT24H, P2D',
    unit_: 'unit', durationUnits: { minute: 'minutes', hour: 'hours', day: 'days' }, durationOther: 'The stored value {{value}} is not in minutes, hours or days; entering a number replaces it',
    transitions: 'Transitions', addTransition: 'Add transition', from: 'From', action: 'Action key', to: 'To', type: 'Type',
    types: { approve: 'Approve', reject: 'Reject', return: 'Return', other: 'Other' }, comment: 'Comment', commentNone: 'None', commentOptional: 'Optional', commentRequired: 'Required',
    signature: 'E-signature', signatureMeaning: 'Signature meaning', guard: 'Guard', refusal: 'Message when the guard fails', effects: 'Effects',
    addEffect: 'Add effect', effectAction: 'Entity action', effectEffect: 'Built-in effect', effectInput: 'Input', effectSetFields: 'Set fields', effectOther: 'Other built-in effect', remove: 'Remove', renameState: 'Rename',
  },
};

i18n.addResourceBundle('zh-CN', 'translation', { admin: zh }, true, false);
i18n.addResourceBundle('en', 'translation', { admin: en }, true, false);
