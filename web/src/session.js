// The session: who is logged in and the tokens that prove it (API.md "Auth
// and sessions"; the choice and its trade-off are in docs/WEB.md).
//
// The refresh token (30 days) is kept in localStorage, so a reload or a new
// tab keeps the person logged in; the access token (15 minutes) lives only in
// this module's memory and is renewed with POST /api/auth/refresh shortly
// before it expires. Refreshes are single-flight: calls that need a token
// while one is under way wait for it. The refresh token is read from storage
// at each refresh, so a tab uses the token another tab just rotated in; two
// tabs refreshing the same token at once get the same pair (the server's
// grace window). A refresh refused with 401 ends the session here too; one
// that fails for want of a connection keeps the token and tries again.
import { ApiError, apiRequest } from './api.js';
import { t } from './strings.js';

const KEY = 'rural24.refresh';
const RETRY_MS = 30000;

let access = null;
let user = null;
let timer = 0;
let inflight = null;
let changing = null; // a password change under way (changePassword)
const listeners = new Set();

/** fn(user or null) runs on every log-in, log-out and restore. */
export function onSessionChange(fn) {
  listeners.add(fn);
}
function changed() {
  for (const fn of listeners) fn(user);
}

export const currentUser = () => user;

// The real-time connection (realtime.js) hands each renewed access token to
// its live WebSocket (an "auth" frame) and opens the socket with the current one.
const tokenListeners = new Set();
/** fn(access token) runs after every renewal. */
export function onTokenRenewed(fn) {
  tokenListeners.add(fn);
}
/** The current access token, renewed first when there is none (the
 *  WebSocket, a photo upload with progress); rejects with a 401 ApiError
 *  when nobody is logged in. */
export async function accessToken() {
  if (!access) await refresh();
  return access;
}

function readRefresh() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: a session lasts as long as the page
  }
}

function keep(tokens) {
  access = tokens.access_token;
  for (const fn of tokenListeners) fn(access);
  try {
    localStorage.setItem(KEY, tokens.refresh_token);
  } catch {
    /* storage disabled or full: the session lasts as long as the page */
  }
  // Renew a minute before expiry (a third of the life when it is short), so
  // that no request leaves with a token about to expire. expires_in counts
  // whole seconds from an iat rounded down: up to one of them is already gone.
  const life = Math.max(1, (Number(tokens.expires_in) || 900) - 1);
  schedule(Math.max(1, life - Math.min(60, life / 3)) * 1000);
}

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch(() => {}), ms);
}

function end() {
  access = null;
  user = null;
  clearTimeout(timer);
  try {
    localStorage.removeItem(KEY);
  } catch {
    /* nothing kept */
  }
  changed();
}

/** Trades the stored refresh token for a new pair; resolves when done. */
export function refresh() {
  if (inflight) return inflight;
  // A password change ends every session, this one too, before it answers
  // with this device's new pair: a renewal asked meanwhile (the WebSocket's
  // 4401 close) waits for that pair instead of presenting the revoked token
  // and ending the session.
  if (changing) return changing.then(() => (access ? undefined : refresh()), () => refresh());
  const token = readRefresh();
  if (!token) return Promise.reject(new ApiError(401, 'unauthorized', t.errors.session_ended));
  inflight = apiRequest('POST', '/api/auth/refresh', { body: { refresh_token: token } })
    .then((tokens) => keep(tokens))
    .catch((err) => {
      if (err.status === 401 || err.status === 400) end();
      else schedule(RETRY_MS);
      throw err;
    })
    .finally(() => {
      inflight = null;
    });
  return inflight;
}

/** A request that needs the person's identity (see apiRequest): refreshes
 *  first when the access token is missing, and once more on token_expired. */
export async function authRequest(method, path, opts = {}) {
  if (!access) await refresh();
  try {
    return await apiRequest(method, path, { ...opts, token: access });
  } catch (err) {
    if (err.status !== 401) throw err;
    if (err.code === 'token_expired') {
      await refresh();
      return apiRequest(method, path, { ...opts, token: access });
    }
    end(); // revoked elsewhere (log-out on another device, session closed)
    throw err;
  }
}

/**
 * A read that anyone may make but whose answer depends on who asks (GET
 * /api/ads/{id}: a paused, sold or hidden ad is a 404 unless the caller owns
 * it or is an admin). With an access token at hand it goes with the token; a
 * 401 left after the renewal (the session ended) falls back to asking
 * anonymously. Without one (nobody logged in, or the session still being
 * restored after a reload) it goes anonymously first, so an anonymous page
 * never waits for a renewal, and only a 404 with a stored session is asked
 * again with the token (authRequest renews it, sharing a renewal under way).
 */
export async function sessionGet(path, { params, signal } = {}) {
  if (access) {
    try {
      return await authRequest('GET', path, { params, signal });
    } catch (err) {
      if (err.status !== 401) throw err;
      return apiRequest('GET', path, { params, signal });
    }
  }
  try {
    return await apiRequest('GET', path, { params, signal });
  } catch (err) {
    if (err.status !== 404 || !readRefresh()) throw err;
    try {
      return await authRequest('GET', path, { params, signal });
    } catch (again) {
      throw again.status === 401 || again.status === 400 ? err : again;
    }
  }
}

let restoring = null;
/** On start-up: a stored refresh token becomes a session again. Once per
 *  page; resolves when done (whether or not it worked). */
export function restore() {
  restoring ??= (async () => {
    if (!readRefresh()) return;
    try {
      await refresh();
      user = await authRequest('GET', '/api/me');
      changed();
    } catch {
      /* a refused token ended the session; offline, the next refresh retries */
    }
  })();
  return restoring;
}

/** The person logged in, or null, once the session stored before a reload
 *  has been restored (currentUser() is null until GET /api/me answers). */
export async function loggedInUser() {
  if (!user && readRefresh()) await restore();
  return user;
}

function started(body) {
  keep(body);
  user = body.user;
  changed();
  return user;
}

export async function login(email, password) {
  return started(await apiRequest('POST', '/api/auth/login', { body: { email, password } }));
}

export async function register(fields) {
  return started(await apiRequest('POST', '/api/auth/register', { body: fields }));
}

/** The person's data changed (PATCH /api/me answered): the header follows. */
export function updateUser(u) {
  user = u;
  changed();
}

/** POST /api/auth/password: the server ends every session of the person
 *  (this one too) and answers a new pair for this device, kept here. */
export async function changePassword(current, next) {
  // A renewal under way would store a token the change is about to revoke.
  if (inflight) await inflight.catch(() => {});
  for (let attempt = 0; ; attempt++) {
    if (!access) await refresh();
    const body = { current_password: current, new_password: next };
    changing = apiRequest('POST', '/api/auth/password', { body, token: access }).then((tokens) => keep(tokens));
    try {
      await changing;
      return;
    } catch (err) {
      // An expired token changed nothing on the server: renew, once.
      if (err.code === 'token_expired' && attempt === 0) {
        access = null;
        continue;
      }
      if (err.status === 401) end(); // the session was already gone
      throw err;
    } finally {
      changing = null;
    }
  }
}

/** Forgets the session here without asking the server (it was already
 *  revoked there: logout-all). */
export function forgetSession() {
  end();
}

/** Revokes the session on the server (best effort) and forgets it here. */
export async function logout() {
  // A renewal under way would store a new token after this forgets it.
  if (inflight) await inflight.catch(() => {});
  const token = readRefresh();
  try {
    if (access) await apiRequest('POST', '/api/auth/logout', { body: token ? { refresh_token: token } : {}, token: access });
  } catch {
    /* offline or already revoked: forgetting the tokens here is what matters */
  }
  end();
}

// Another tab logged out: this one follows.
window.addEventListener('storage', (e) => {
  if ((e.key === KEY || e.key === null) && readRefresh() === null && user) {
    access = null;
    user = null;
    clearTimeout(timer);
    changed();
  }
});
