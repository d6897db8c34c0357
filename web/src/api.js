// The API client (../../shared/API.md): JSON over fetch, errors turned into
// one Spanish message a person can act on, and validation errors kept by
// field so that a form can show each next to its input.
import { t } from './strings.js';

export class ApiError extends Error {
  constructor(status, code, message, fields = null) {
    super(message);
    this.status = status;
    this.code = code;
    /** API.md's error.fields ({"password": "min_length"}), or null. */
    this.fields = fields;
  }
}

function messageFor(status, code, retryAfter) {
  if (status === 429) return t.errors.rate_limited(retryAfter);
  if (status === 503) return t.errors.unavailable;
  if (status === 404) return t.errors.not_found;
  if (status === 401) return code === 'invalid_credentials' ? t.errors.invalid_credentials : t.errors.session_ended;
  if (status === 409 && code === 'email_taken') return t.errors.email_taken;
  if (status === 400 && code === 'validation_failed') return t.errors.validation_failed;
  return t.errors.generic;
}

/**
 * One request: method, path, params (an object for the query string; empty
 * values left out), body (sent as JSON), token (Authorization: Bearer).
 * Resolves with the JSON body (null for 204); rejects with an ApiError
 * carrying a Spanish message, or with the AbortError of a cancelled request.
 */
export async function apiRequest(method, path, { params = {}, body, token, signal } = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  const url = qs.toString() ? `${path}?${qs}` : path;
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(url, { method, signal, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'offline', t.errors.offline);
  }
  let data = null;
  try {
    if (res.status !== 204) data = await res.json();
  } catch {
    /* not JSON: the status says enough */
  }
  if (!res.ok) {
    const code = data?.error?.code ?? 'unknown';
    throw new ApiError(res.status, code, messageFor(res.status, code, res.headers.get('Retry-After')), data?.error?.fields ?? null);
  }
  return data;
}

/** GET path with params; see apiRequest. */
export function apiGet(path, params = {}, { signal, token } = {}) {
  return apiRequest('GET', path, { params, signal, token });
}
