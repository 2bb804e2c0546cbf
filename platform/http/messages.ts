import { registerMessages } from '../i18n';

registerMessages({
  'zh-CN': {
    'auth.required': '必填',
    'auth.loginFailed': '用户名或密码错误',
    'auth.passwordPolicy': '新密码至少 10 位，且不能与旧密码相同',
    'auth.wrongPassword': '原密码不正确',
  },
  en: {
    'auth.required': 'required',
    'auth.loginFailed': 'Wrong username or password',
    'auth.passwordPolicy': 'The new password needs at least 10 characters and must differ from the old one',
    'auth.wrongPassword': 'The current password is wrong',
  },
});
