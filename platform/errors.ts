/** An error a user may see: HTTP status, stable code, and a message key translated at the edge. */
export class AppError extends Error {
  constructor(
    public status: number,
    public code: string,
    public messageKey: string,
    public params: Record<string, unknown> = {},
    public details: { path: string; messageKey: string; params?: Record<string, unknown> }[] = [],
  ) {
    super(code);
  }
}

/** A detail whose message is already translated (e.g. from ajv-i18n). */
export interface ErrorDetail {
  path: string;
  message: string;
  [k: string]: unknown;
}

/** Validation failure whose details already carry messages in both languages. */
export class ValidationError extends AppError {
  constructor(public localized: Record<string, ErrorDetail[]>, code = 'VALIDATION_FAILED', messageKey = 'error.validation') {
    super(400, code, messageKey);
  }
}

export const badRequest = (code: string, key: string, params: Record<string, unknown> = {}, path?: string) =>
  new AppError(400, code, key, params, path !== undefined ? [{ path, messageKey: key, params }] : []);
export const notFound = (entity: string, id?: unknown) => new AppError(404, 'NOT_FOUND', 'error.notFound', { entity, id });
export const forbidden = (key = 'error.forbidden', params: Record<string, unknown> = {}) => new AppError(403, 'FORBIDDEN', key, params);
