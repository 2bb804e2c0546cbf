import i18n, { currentLang } from './i18n';

export interface ApiErrorDetail {
  path: string;
  message: string;
  [key: string]: unknown;
}

/** An error answered by the server as `{error: {code, message, details}}`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details: ApiErrorDetail[] = [],
    public requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface ApiOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  /** JSON body. */
  body?: unknown;
  /** Raw body (file upload); sent as is. */
  raw?: Blob | ArrayBuffer;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Do not treat 401 as "session expired" (the login call itself). */
  noAuthRedirect?: boolean;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let onUnauthorized: (() => void) | null = null;

/** The auth layer registers what a 401 does (back to login with "session expired"). */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export function apiUrl(path: string, query?: Query): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

export async function api<T = unknown>(path: string, opts: ApiOptions = {}): Promise<T> {
  const method = opts.method ?? (opts.body !== undefined || opts.raw !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': currentLang(), ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (UNSAFE.has(method)) {
    const csrf = readCookie('ct_csrf');
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, opts.query), { method, headers, body, credentials: 'include', signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', i18n.t('error.network'));
  }
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) {
    const err = (json as { error?: Partial<ApiError> & { details?: ApiErrorDetail[] } } | undefined)?.error;
    const apiErr = new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? fallbackMessage(res.status),
      Array.isArray(err?.details) ? err.details : [],
      err?.requestId,
    );
    if (res.status === 401 && !opts.noAuthRedirect) onUnauthorized?.();
    throw apiErr;
  }
  return json as T;
}

function fallbackMessage(status: number): string {
  if (status === 401) return i18n.t('error.sessionExpired');
  if (status === 403) return i18n.t('error.forbidden');
  if (status === 404) return i18n.t('error.notFound');
  return `${i18n.t('common.unknownError')} (HTTP ${status})`;
}

/** Text to show for any thrown value. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return i18n.t('common.unknownError');
}

/** Servers may wrap payloads in `{data}`; accept both. */
export function unwrap<T>(body: unknown): T {
  if (body && typeof body === 'object' && 'data' in body) return (body as { data: T }).data;
  return body as T;
}
