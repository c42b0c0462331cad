// Talking to /api/v1: the session cookie is sent by the browser; writes carry the CSRF token; a purpose,
// once given, goes with every request (header) and media URLs (query).
export interface Me { name: string; role: string; collection: string | null; csrfToken?: string; permissions: string[] }

export class ApiError extends Error {
  status: number;
  code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let csrf = '';
let purpose = sessionStorage.getItem('vitrine.purpose') ?? '';
export const setCsrf = (t: string | undefined) => { csrf = t ?? ''; };
export const getPurpose = () => purpose;
export function setPurpose(p: string): void {
  purpose = p.trim();
  if (purpose) sessionStorage.setItem('vitrine.purpose', purpose);
  else sessionStorage.removeItem('vitrine.purpose');
}

/** Asks the user for a purpose when a collection requires one; set by the app shell. */
let purposePrompt: ((message: string) => Promise<string | null>) | null = null;
let asking: Promise<string | null> | null = null;
export const onPurposeNeeded = (f: typeof purposePrompt) => { purposePrompt = f; };

export function headers(extra: Record<string, string> = {}, method = 'GET'): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  if (method !== 'GET' && method !== 'HEAD' && csrf) h['X-CSRF-Token'] = csrf;
  if (purpose) h['X-Vitrine-Purpose'] = encodeURIComponent(purpose);
  return h;
}

export async function raw(path: string, init: RequestInit = {}, retry = true): Promise<Response> {
  const method = init.method ?? 'GET';
  const r = await fetch('/api/v1' + path, { ...init, credentials: 'same-origin', headers: headers((init.headers as Record<string, string>) ?? {}, method) });
  if (r.ok) return r;
  let code = 'E_HTTP';
  let message = r.statusText;
  try {
    const b = await r.json();
    code = b.error?.code ?? code;
    message = b.error?.message ?? message;
  } catch { /* not JSON */ }
  if (retry && (code === 'E_PURPOSE_REQUIRED' || code === 'E_PURPOSE_NOT_ALLOWED') && purposePrompt) {
    // Requests refused together share one question.
    asking ??= purposePrompt(message).finally(() => { asking = null; });
    const p = await asking;
    if (p) {
      setPurpose(p);
      return raw(path, init, false);
    }
  }
  throw new ApiError(r.status, code, message);
}

export async function api<T = any>(path: string, o: { method?: string; body?: unknown } = {}): Promise<T> {
  const init: RequestInit = { method: o.method ?? (o.body !== undefined ? 'POST' : 'GET') };
  if (o.body !== undefined) {
    init.body = JSON.stringify(o.body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const r = await raw(path, init);
  return r.json() as Promise<T>;
}

/** A URL for <img>/<video>/<a>: cookies authenticate; the purpose goes in the query. */
export function mediaUrl(path: string): string {
  return '/api/v1' + path + (purpose ? (path.includes('?') ? '&' : '?') + 'purpose=' + encodeURIComponent(purpose) : '');
}

export const fmtBytes = (n: number) => {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${u[i]}`;
};
export const fmtTime = (s: number) => {
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
};
