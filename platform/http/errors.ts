import type Koa from 'koa';
import { AppError, ValidationError } from '../errors';
import { t, type Lang } from '../i18n';

/** An AppError in one language, as the API shows it. */
export function describeError(err: AppError, lang: Lang): { code: string; message: string; details: { path: string; message: string }[] } {
  if (err instanceof ValidationError) return { code: err.code, message: t(lang, err.messageKey, err.params), details: err.localized[lang] ?? err.localized.en };
  return {
    code: err.code,
    message: t(lang, err.messageKey, err.params),
    details: err.details.map((d) => ({ path: d.path, message: t(lang, d.messageKey, d.params ?? err.params), ...(d.params ?? {}) })),
  };
}

/** Maps every error to `{error:{code,message,details,requestId}}` in the caller's language; never leaks a stack. */
export function errorMiddleware(log: { error: (o: object, m: string) => void }): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && ctx.path.startsWith('/api/')) {
        ctx.status = 404;
        ctx.body = { error: { code: 'NOT_FOUND', message: t(ctx.state.lang, 'error.routeNotFound'), details: [], requestId: ctx.state.requestId } };
      }
    } catch (err: any) {
      const lang: Lang = ctx.state.lang ?? 'zh-CN';
      const requestId = ctx.state.requestId;
      if (err instanceof AppError) {
        ctx.status = err.status;
        ctx.body = { error: { ...describeError(err, lang), requestId } };
      } else if (err?.status && err.status < 500 && err.expose) {
        // Koa/body-parser errors: malformed JSON, too large.
        const key = err.status === 413 ? 'error.bodyTooLarge' : err.type === 'entity.parse.failed' || /JSON/i.test(err.message) ? 'error.badJson' : 'error.validation';
        ctx.status = err.status;
        ctx.body = { error: { code: err.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', message: t(lang, key), details: [{ path: '', message: t(lang, key) }], requestId } };
      } else {
        log.error({ err: { message: err?.message, code: err?.code, stack: err?.stack }, requestId }, 'unhandled error');
        ctx.status = 500;
        ctx.body = { error: { code: 'INTERNAL', message: t(lang, 'error.internal', { requestId }), details: [], requestId } };
      }
    }
  };
}
