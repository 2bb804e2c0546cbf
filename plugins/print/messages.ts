import type { Messages } from '../../platform/plugins/sdk';

export const printMessages: Messages = {
  'zh-CN': {
    'print.unknownTemplate': '未知的打印模板：{template}',
    'print.notForEntity': '模板“{template}”不用于此类记录',
    'print.notLabel': '模板“{template}”不是标签模板',
    'print.notDocument': '模板“{template}”是标签模板，请使用标签打印',
    'print.noVersion': '模板“{template}”没有版本 {version}',
    'print.renderFailed': '模板渲染失败：{message}',
    'print.reprintReason': '这些标签已打印过（{codes}），重打须填写原因',
    'print.nothingToPrint': '没有可打印的记录',
    'print.labelVoided': '该标签已作废',
    'print.reasonRequired': '请填写原因',
  },
  en: {
    'print.unknownTemplate': 'Unknown print template: {template}',
    'print.notForEntity': 'Template "{template}" does not print this kind of record',
    'print.notLabel': 'Template "{template}" is not a label template',
    'print.notDocument': 'Template "{template}" is a label template: print it as labels',
    'print.noVersion': 'Template "{template}" has no version {version}',
    'print.renderFailed': 'The template failed to render: {message}',
    'print.reprintReason': 'These labels were printed before ({codes}): a reprint needs a reason',
    'print.nothingToPrint': 'Nothing to print',
    'print.labelVoided': 'This label is void already',
    'print.reasonRequired': 'Enter a reason',
  },
};
