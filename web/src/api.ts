// The one way the UI talks to the server: same origin, the session cookie (HttpOnly, so this
// script never sees it), the CSRF header on every request, problem+json turned into ApiError.

/** One violation as problem+json lists it. */
export interface Violation {
  field: string;
  code: string;
  message: string;
  value?: unknown;
}

/** An RFC 9457 problem document as the server sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  violations?: Violation[];
}

/** A refused or failed request, with the server's problem document. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status() {
    return this.problem.status;
  }
}

let onUnauthenticated: () => void = () => {};
/** Sets what happens when the session is gone (the app sends the user to the login page). */
export function setUnauthenticatedHandler(fn: () => void) {
  onUnauthenticated = fn;
}

export const SESSION_PATH = "/api/v1/auth/session";

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text();
  try {
    const p = JSON.parse(text) as Problem;
    return { ...p, status: p.status ?? res.status };
  } catch {
    return { status: res.status, title: res.statusText, detail: text.slice(0, 500) || `The server answered ${res.status}.` };
  }
}

/** Sends a request; resolves to the parsed answer, rejects with ApiError. */
async function send(method: string, path: string, body?: unknown, accept = "application/json"): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { accept, "x-stamp-csrf": "1", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError({ status: 0, title: "Network error", detail: "The server could not be reached; check the connection and try again." });
  }
  if (!res.ok) {
    const problem = await problemOf(res);
    if (res.status === 401 && path !== SESSION_PATH) onUnauthenticated();
    throw new ApiError(problem);
  }
  return res;
}

/** A JSON request to the API. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  if (res.status === 204) return null as T;
  return (await res.json()) as T;
}

/** GET as JSON. */
export const get = <T>(path: string) => api<T>("GET", path);

/** Fetches a file from the API and hands it to the browser as a download. */
export async function download(method: string, path: string, filename: string, opts: { body?: unknown; accept?: string } = {}) {
  const res = await send(method, path, opts.body, opts.accept ?? "*/*");
  saveBlob(await res.blob(), filename);
}

/** Hands text or bytes to the browser as a file to save. */
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A query string from the defined values of `params`. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}
