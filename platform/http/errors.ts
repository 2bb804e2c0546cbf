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

/** SQLSTATE class 22 (data exception: 22P02, 22003, 22007, 22008, 22021, 22P05, 2201W…) or a decoding error. */
function isDataError(err: any): boolean {
  if (typeof err?.code === 'string' && /^22[0-9A-Z]{3}$/.test(err.code) && err.severity) return true;
  return err instanceof URIError || (err instanceof SyntaxError && /JSON/.test(err.message));
}

/** Where in the request the value a data error quotes (`invalid input syntax for type bigint: "1e30"`) came from. */
function sourceOf(ctx: Koa.Context, err: any): string | undefined {
  const quoted = /"((?:[^"\\]|\\.)*)"/.exec(err?.message ?? '')?.[1];
  if (quoted === undefined || quoted === '') return undefined;
  for (const [k, v] of Object.entries(ctx.query ?? {})) if ((Array.isArray(v) ? v : [v]).some((x) => typeof x === 'string' && x.includes(quoted))) return `/${k}`;
  const stack: [unknown, string][] = [[(ctx.request as any)?.body, '']];
  for (let n = 0; stack.length && n < 10_000; n++) {
    const [v, path] = stack.pop()!;
    if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) stack.push([c, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`]);
    else if (v !== undefined && v !== null && String(v) === quoted) return path;
  }
  return undefined;
}

function dataError(ctx: Koa.Context, err: any): AppError {
  if (err instanceof URIError) return new AppError(400, 'BAD_REQUEST', 'error.badEncodingAnywhere', {}, [{ path: '', messageKey: 'error.badEncodingAnywhere' }]);
  if (err instanceof SyntaxError) return new AppError(400, 'BAD_REQUEST', 'error.badJson', {}, [{ path: '', messageKey: 'error.badJson' }]);
  const path = sourceOf(ctx, err);
  const key = path ? 'error.badValue' : 'error.badValueAnywhere';
  const params = { param: path ? path.slice(1) : '' };
  return new AppError(400, 'BAD_REQUEST', key, params, [{ path: path ?? '', messageKey: key, params }]);
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
      } else if (isDataError(err)) {
        // The safety net: malformed or out-of-range input that reached PostgreSQL (SQLSTATE class 22), or a
        // decoder that threw, on any route (plugin routes included). Never a 500; name the parameter when known.
        ctx.status = 400;
        ctx.body = { error: { ...describeError(dataError(ctx, err), lang), requestId } };
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
