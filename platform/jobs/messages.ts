/** Message keys of platform/jobs (merged into platform/i18n/messages.ts by the lead). */
export default {
  'zh-CN': {
    'jobs.badCron': '无效的 cron 表达式：{cron}',
    'jobs.badTimeZone': '无效的时区：{timeZone}',
    'jobs.badName': '无效的任务名称：{name}',
  },
  en: {
    'jobs.badCron': 'Invalid cron expression: {cron}',
    'jobs.badTimeZone': 'Invalid time zone: {timeZone}',
    'jobs.badName': 'Invalid job name: {name}',
  },
};
