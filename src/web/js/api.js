/** Talks to the gateway's public API with the operator's bearer token (kept for this tab only). */
const TOKEN_KEY = 'pgw.token';

export class ApiProblem extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.problem = problem;
  }
}

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
  /** Decoded claims for display and four-eyes hints only; the gateway verifies the signature. */
  claims() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return null;
    const part = token.split('.')[1];
    if (!part) return null;
    try {
      const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
      const claims = JSON.parse(json);
      const roles = Array.isArray(claims.roles) ? claims.roles : typeof claims.roles === 'string' ? claims.roles.split(/[ ,]/) : [];
      return { sub: String(claims.sub ?? ''), roles, exp: typeof claims.exp === 'number' ? claims.exp : null };
    } catch (error) {
      console.warn('token is not a readable JWT', error);
      return null;
    }
  },
};

function urlOf(path, query) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url;
}

async function problemOf(response) {
  const fallback = { title: response.statusText || 'Request failed', status: response.status, detail: `HTTP ${response.status}` };
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return fallback;
  return { ...fallback, ...(await response.json()) };
}

/** Sends a request; resolves with parsed JSON (or the Response when `raw`), rejects with ApiProblem. */
export async function api(path, { method = 'GET', body, query, raw = false, signal } = {}) {
  const headers = { authorization: `Bearer ${session.token() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(urlOf(path, query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  if (!response.ok) {
    const problem = await problemOf(response);
    if (response.status === 401) window.dispatchEvent(new CustomEvent('pgw:unauthorized', { detail: problem }));
    throw new ApiProblem(problem);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** Saves a response body as a file the browser downloads. */
export async function download(response, filename) {
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}
