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
import { dropDrafts } from './drafts.js';
import { t } from './strings.js';

const KEY = 'rural24.refresh';
const RETRY_MS = 30000;
const DEAD_TOKEN_WAIT_MS = 2000; // see end()

let access = null;
let mine = null; // the refresh token this tab last stored (keep) or presented (refresh)
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
  mine = tokens.refresh_token;
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

/** Ends the session in this tab. dead: the refresh token found refused; the
 *  stored one is removed only while it is still that one (another tab may
 *  have stored a newer one meanwhile, e.g. after changing the password, and
 *  removing it would log that tab out too), and only DEAD_TOKEN_WAIT_MS
 *  later: each tab reads a copy of localStorage that another tab's write
 *  reaches a moment later, so a removal decided at once on a stale copy
 *  wiped the new pair the other tab had just stored (both tabs then logged
 *  out). Without dead (log-out), at once. */
function end(dead) {
  const removeIfStill = () => {
    try {
      if (dead === undefined || localStorage.getItem(KEY) === dead) localStorage.removeItem(KEY);
    } catch {
      /* nothing kept */
    }
  };
  if (dead === undefined) removeIfStill();
  else setTimeout(removeIfStill, DEAD_TOKEN_WAIT_MS);
  forgetHere();
}

/** Forgets the session in this tab's memory only (end(), and another tab's
 *  log-out, which removed the stored token itself). */
function forgetHere() {
  access = null;
  user = null;
  mine = null;
  clearTimeout(timer);
  changed();
}

/** Presents token for a new pair. Refused (401/400): when another tab has
 *  stored a newer token meanwhile (it rotated it, or changed the password,
 *  which revoked this one), that one is tried instead, a few times at most;
 *  otherwise the session ends here. */
async function renew(token, tries = 3) {
  mine = token;
  try {
    keep(await apiRequest('POST', '/api/auth/refresh', { body: { refresh_token: token } }));
  } catch (err) {
    if (err.status !== 401 && err.status !== 400) {
      schedule(RETRY_MS);
      throw err;
    }
    const stored = readRefresh();
    if (stored && stored !== token && tries > 1) return renew(stored, tries - 1);
    end(token);
    throw err;
  }
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
  inflight = renew(token).finally(() => {
    inflight = null;
  });
  return inflight;
}

/** A request that needs the person's identity (see apiRequest): refreshes
 *  first when the access token is missing, and once more on token_expired. */
export async function authRequest(method, path, opts = {}) {
  if (!access) await refresh();
  const used = access;
  try {
    return await apiRequest(method, path, { ...opts, token: used });
  } catch (err) {
    if (err.status !== 401) throw err;
    // Refused with a token replaced meanwhile (a renewal, a password change
    // here or in another tab): the answer says nothing of the session now
    // held, and ending it would log out a live one. Ask with the new token.
    if (access && access !== used) return apiRequest(method, path, { ...opts, token: access });
    // Expired, or revoked while another tab holds a newer session (it
    // changed the password): renew from the stored token and ask once more.
    if (err.code === 'token_expired' || (readRefresh() && readRefresh() !== mine)) {
      await refresh();
      return apiRequest(method, path, { ...opts, token: access });
    }
    end(mine); // revoked elsewhere (log-out on another device, session closed)
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
      try {
        return await apiRequest('GET', path, { params, signal });
      } catch (again) {
        // Not public: the person may own it but their session ended; say
        // that (with the 401's "Tu sesión se cerró") rather than "no existe".
        err.sessionEnded = true;
        throw again.status === 404 ? err : again;
      }
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
      dropDrafts(user.id);
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
  dropDrafts(user.id); // another person's drafts never reach this one
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
      if (err.status === 401) end(mine); // the session was already gone
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
  dropDrafts(); // "Salir" on a shared computer leaves nothing typed behind
  end();
}

// Another tab logged out: this one follows.
window.addEventListener('storage', (e) => {
  if (e.key !== KEY && e.key !== null) return;
  // (Not while this tab changes the password: another tab, refused with the
  // token the change revoked, may remove it just before this one stores the
  // new pair.)
  if (readRefresh() === null && user && !changing) {
    forgetHere();
  } else if (readRefresh() !== null && !user && !inflight) {
    // Another tab logged in, or stored the new pair of a password change
    // after this one found its own token refused: this one follows.
    restoring = null;
    restore();
  }
});
