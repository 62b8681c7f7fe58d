// Calls to the management API. The session lives in the HttpOnly cookie set
// at login; the chosen workspace travels in X-Hydra-Workspace. Failures
// become ApiError carrying the server's OpenAI-shaped message.
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | number | null = null,
  ) {
    super(message);
  }
}

const WORKSPACE_KEY = 'hydra.workspace';

export function currentWorkspace(): string {
  return localStorage.getItem(WORKSPACE_KEY) ?? '';
}

export function setCurrentWorkspace(id: string): void {
  localStorage.setItem(WORKSPACE_KEY, id);
}

let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export async function errorFrom(resp: Response): Promise<ApiError> {
  let message = `${resp.status} ${resp.statusText}`;
  let code: string | number | null = null;
  try {
    const body = await resp.json();
    if (body?.error?.message) message = body.error.message;
    code = body?.error?.code ?? null;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(message, resp.status, code);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  raw?: boolean; // return the Response itself (CSV downloads)
}

function buildUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function apiFetch(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const ws = currentWorkspace();
  if (ws) headers['X-Hydra-Workspace'] = ws;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(buildUrl(`/api/v1${path}`, opts.query), {
    method: opts.method ?? 'GET',
    headers,
    credentials: 'same-origin',
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  if (resp.status === 401 && path !== '/auth/login') onUnauthenticated();
  if (!resp.ok) throw await errorFrom(resp);
  return resp;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const resp = await apiFetch(path, opts);
  if (resp.status === 204) return undefined as T;
  return (await resp.json()) as T;
}

// Every page of a list endpoint (bounded, for selectors and filters).
export async function listAll<T>(path: string, query: RequestOptions['query'] = {}, max = 1000): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; out.length < max; page++) {
    const p = await api<{ items: T[]; total: number }>(path, { query: { ...query, page, page_size: 200 } });
    out.push(...p.items);
    if (p.items.length === 0 || out.length >= p.total) break;
  }
  return out;
}

// Saves a response body as a file in the browser.
export async function download(resp: Response, filename: string): Promise<void> {
  const blob = await resp.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}
