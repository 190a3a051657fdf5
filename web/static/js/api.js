// api.js: the one way the pages call the JSON API. Every state change
// carries the session's CSRF token; every error becomes an ApiError with the
// API's code, message and per-field messages.

let csrfToken = '';

/** ApiError is a refused or failed API call. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `The service answered ${status}.`);
    this.status = status;
    this.code = e.code || 'unknown';
    this.fields = e.fields || {};
    this.requestId = e.requestId || '';
  }
}

/** setCsrf records the CSRF token of GET /api/v1/me. */
export function setCsrf(token) {
  csrfToken = token || '';
}

/**
 * call sends one request to the API. body, when given, is sent as JSON
 * (or as is for FormData). It resolves with the parsed JSON body (null for
 * 204) and rejects with an ApiError.
 */
export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRF-Token'] = csrfToken;
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { error: { code: 'network', message: 'The service could not be reached. Check your connection and try again.' } });
  }
  if (res.status === 204) return null;
  let parsed = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      parsed = await res.json();
    } catch (err) {
      parsed = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
export const put = (path, body) => call('PUT', path, body);
export const patch = (path, body) => call('PATCH', path, body);

/** q builds a query string from the non-empty values of params. */
export function q(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '' && v !== false) u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** seg encodes one path segment. */
export const seg = (s) => encodeURIComponent(s);

let reference = null;

/** ref returns the policy tables (cached for the page's life). */
export async function ref() {
  if (!reference) reference = await get('/api/v1/reference');
  return reference;
}

/** me returns the caller, or null when nobody is signed in. */
export async function me() {
  try {
    const m = await get('/api/v1/me');
    setCsrf(m.csrfToken);
    return m;
  } catch (err) {
    if (err.status === 401) return null;
    throw err;
  }
}

/** signOut ends the session. */
export async function signOut() {
  await post('/auth/logout');
  setCsrf('');
}
