// The API client (../../shared/API.md): JSON over fetch, errors turned into
// one Spanish message a person can act on.
import { t } from './strings.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function messageFor(status, code, retryAfter) {
  if (status === 429) return t.errors.rate_limited(retryAfter);
  if (status === 503) return t.errors.unavailable;
  if (status === 404) return t.errors.not_found;
  return t.errors.generic;
}

/** GET path with params (an object; empty values left out); resolves with
 *  the JSON body, rejects with an ApiError carrying a Spanish message. */
export async function apiGet(path, params = {}, { signal } = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  const url = qs.toString() ? `${path}?${qs}` : path;
  let res;
  try {
    res = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'offline', t.errors.offline);
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON: the status says enough */
  }
  if (!res.ok) {
    const code = body?.error?.code ?? 'unknown';
    throw new ApiError(res.status, code, messageFor(res.status, code, res.headers.get('Retry-After')));
  }
  return body;
}
