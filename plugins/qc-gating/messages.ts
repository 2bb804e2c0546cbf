import type { Messages } from '../../platform/plugins/sdk';

export const qcMessages: Messages = {
  'zh-CN': {
    'qcGate.noBatch': '{gate}：未指定{subjectKind}',
    'qcGate.missing': '{gate}：{subjectKind} {batch} 没有{qcType}记录',
    'qcGate.missingWithin': '{gate}：{subjectKind} {batch} 在最近 {days} 天内没有{qcType}记录',
    'qcGate.failed': '{gate}：{subjectKind} {batch} 最近一次{qcType}（{qcNo}）结论为“{result}”{items}',
    'qcGate.fieldsMissing': '{gate}：{subjectKind} {batch} 的{qcType}（{qcNo}）缺少检测项：{fields}',
    'qcGate.outOfLimits': '{gate}：{subjectKind} {batch} 的{qcType}（{qcNo}）不满足要求：{items}',
    'qcGate.unsigned': '{gate}：{subjectKind} {batch} 的{qcType}（{qcNo}）尚未由质检员电子签名',
    'qc.unknownSpec': '未知的质量标准：{spec}',
    'qc.signatureFailed': '电子签名失败：密码不正确',
    'qc.signPending': '检测结果不完整，不能签名',
    'qc.signSystem': '系统账户不能电子签名',
  },
  en: {
    'qcGate.noBatch': '{gate}: no {subjectKindLower} given',
    'qcGate.missing': '{gate}: {subjectKindLower} {batch} has no {qcType} record',
    'qcGate.missingWithin': '{gate}: {subjectKindLower} {batch} has no {qcType} record in the last {days} days',
    'qcGate.failed': '{gate}: the latest {qcType} of {subjectKindLower} {batch} ({qcNo}) is "{result}"{items}',
    'qcGate.fieldsMissing': '{gate}: the {qcType} of {subjectKindLower} {batch} ({qcNo}) lacks results for: {fields}',
    'qcGate.outOfLimits': '{gate}: the {qcType} of {subjectKindLower} {batch} ({qcNo}) does not meet: {items}',
    'qcGate.unsigned': '{gate}: the {qcType} of {subjectKindLower} {batch} ({qcNo}) is not signed by a QC inspector',
    'qc.unknownSpec': 'Unknown QC specification: {spec}',
    'qc.signatureFailed': 'Electronic signature failed: wrong password',
    'qc.signPending': 'Results are incomplete; the record cannot be signed yet',
    'qc.signSystem': 'The system account cannot sign',
  },
};
