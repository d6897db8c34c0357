// Helpers for the auth integration tests (issue 5 "Accounts and sessions"):
// a JSON client for the auth routes, users made through the API, JWTs forged
// with node:crypto (to check what the server refuses), the environment a
// session store needs, and the suite every session store runs
// (describeSessionStore).
//
// Everything here talks to the real binary over real sockets; nothing mocks
// PostgreSQL or Redis (redis-server comes from ./redis.mjs, one per file).

import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';

import { after, before, describe, it } from 'node:test';

import { freshDatabase } from './pg.mjs';
import { startRedis } from './redis.mjs';
import {
  assertCleanExit,
  assertErrorShape,
  assertSecurityHeaders,
  json,
  request,
  sleep,
  startServer,
} from './server.mjs';

/** The HS256 key every auth test server gets, so tests can forge tokens. */
export const JWT_SECRET = 'rural24-integration-tests-jwt-secret-0123456789';

/** API.md's 24 Argentine jurisdictions, exactly as written there. */
export const PROVINCES = Object.freeze([
  'Buenos Aires', 'Ciudad Autónoma de Buenos Aires', 'Catamarca', 'Chaco', 'Chubut', 'Córdoba',
  'Corrientes', 'Entre Ríos', 'Formosa', 'Jujuy', 'La Pampa', 'La Rioja', 'Mendoza', 'Misiones',
  'Neuquén', 'Río Negro', 'Salta', 'San Juan', 'San Luis', 'Santa Cruz', 'Santa Fe',
  'Santiago del Estero', 'Tierra del Fuego', 'Tucumán',
]);

/** The keys of API.md's User object. */
export const USER_KEYS = Object.freeze(['created_at', 'email', 'id', 'name', 'phone', 'province', 'role']);

/** RFC 3339 in UTC (Z or +00:00), with optional fractional seconds. */
export const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/;

let emailCounter = 0;

/** An email no other test (or run) uses; tag makes failures readable. */
export function uniqueEmail(tag = 'user') {
  const t = tag.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20) || 'user';
  return `${t}.${process.pid}.${Date.now().toString(36)}.${++emailCounter}@campo.example.com`;
}

/** The environment of a server under test for one session store. Rate limits
 *  of the auth class are raised (tests register and log in many times from
 *  127.0.0.1) unless extra says otherwise. */
export function authEnv({ store, databaseUrl, redisUrl, extra = {} }) {
  const env = {
    DATABASE_URL: databaseUrl,
    JWT_SECRET,
    SESSION_STORE: store,
    RATE_LIMIT_AUTH_IP: '100000/60',
    RATE_LIMIT_AUTH_EMAIL: '100000/60',
    RATE_LIMIT_AUTH_EMAIL_ALL: '100000/60',
    DB_POOL_SIZE: '4',
  };
  if (store === 'redis' || redisUrl) {
    env.REDIS_ENABLED = 'true';
    env.REDIS_URL = redisUrl;
  }
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------
// The JSON client

/**
 * A client for one server port. Every call opens a connection (Connection:
 * close), sends User-Agent `ua` and, with `token`, `Authorization: Bearer`.
 * A `body` goes out as JSON with Content-Type application/json; `raw` goes
 * out as is (with `contentType` when given). Every password sent and every
 * token received is remembered in `secrets`, for the log checks.
 */
export class AuthClient {
  constructor(port, { ua = 'rural24-auth-tests/1.0', forwardedFor } = {}) {
    this.port = port;
    this.ua = ua;
    this.forwardedFor = forwardedFor;
    this.secrets = new Set();
  }

  async call(method, target, { body, raw, contentType, token, headers = {}, timeoutMs = 15000 } = {}) {
    const h = { 'User-Agent': this.ua };
    if (this.forwardedFor) h['X-Forwarded-For'] = this.forwardedFor;
    if (token !== undefined) h.Authorization = `Bearer ${token}`;
    let payload;
    if (raw !== undefined) {
      payload = raw;
      if (contentType) h['Content-Type'] = contentType;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['Content-Type'] = contentType ?? 'application/json';
      if (body && typeof body === 'object' && typeof body.password === 'string') this.secrets.add(body.password);
    }
    Object.assign(h, headers);
    const res = await request(this.port, { method, path: target, headers: h, body: payload, timeoutMs });
    if ((res.headers['content-type'] ?? '').startsWith('application/json') && res.body.length) {
      try {
        const b = JSON.parse(res.body.toString('utf8'));
        for (const k of ['access_token', 'refresh_token']) if (b && typeof b[k] === 'string') this.secrets.add(b[k]);
      } catch {
        /* the test will say so */
      }
    }
    return res;
  }

  register(fields, opts) {
    return this.call('POST', '/api/auth/register', { body: fields, ...opts });
  }
  login(email, password, opts) {
    return this.call('POST', '/api/auth/login', { body: { email, password }, ...opts });
  }
  refresh(refreshToken, opts) {
    return this.call('POST', '/api/auth/refresh', { body: { refresh_token: refreshToken }, ...opts });
  }
  logout(token, refreshToken, opts) {
    return this.call('POST', '/api/auth/logout', {
      token,
      body: refreshToken === undefined ? undefined : { refresh_token: refreshToken },
      ...opts,
    });
  }
  logoutAll(token, opts) {
    return this.call('POST', '/api/auth/logout-all', { token, ...opts });
  }
  sessions(token, opts) {
    return this.call('GET', '/api/auth/sessions', { token, ...opts });
  }
  deleteSession(token, id, opts) {
    return this.call('DELETE', `/api/auth/sessions/${id}`, { token, ...opts });
  }
  me(token, opts) {
    return this.call('GET', '/api/me', { token, ...opts });
  }
  patchMe(token, body, opts) {
    return this.call('PATCH', '/api/me', { token, body, ...opts });
  }

  /** Registers a fresh user (201 or the test fails); returns {email,
   *  password, user, access, refresh, body}. */
  async newUser(overrides = {}, tag = 'user') {
    const fields = {
      email: uniqueEmail(tag),
      password: `pw-${randomBytes(9).toString('base64url')}`,
      name: 'Juan Pérez',
      province: 'Córdoba',
      ...overrides,
    };
    const res = await this.register(fields);
    assert.equal(res.status, 201, `register ${fields.email}: ${res.status} ${res.body}`);
    const body = json(res);
    return {
      email: fields.email.toLowerCase(),
      password: fields.password,
      user: body.user,
      access: body.access_token,
      refresh: body.refresh_token,
      body,
    };
  }

  /** Logs an existing user in again (200 or the test fails): a new session
   *  for db and redis. Returns {access, refresh, body}. */
  async newSession(u, opts) {
    const res = await this.login(u.email, u.password, opts);
    assert.equal(res.status, 200, `login ${u.email}: ${res.status} ${res.body}`);
    const body = json(res);
    return { access: body.access_token, refresh: body.refresh_token, body };
  }
}

/** Fails unless res has `status` and API.md's error shape with `code`;
 *  returns the parsed body. */
export function expectError(res, status, code, what = '') {
  assert.equal(res.status, status, `${what} expected ${status} ${code}, got ${res.status}: ${res.body}`);
  assertSecurityHeaders(res, what || `${res.status} response`);
  return assertErrorShape(res, code, what || `${res.status} response`);
}

/** Fails unless res is 200/201 with a JSON body; returns it. */
export function expectJson(res, status, what = '') {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status}: ${res.body}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json\b/i, `${what} Content-Type`);
  return json(res);
}

/** API.md's User object: exactly its keys, with their types. */
export function assertUser(user, what = 'user') {
  assert.ok(user && typeof user === 'object', `${what} is an object: ${JSON.stringify(user)}`);
  assert.deepEqual(Object.keys(user).sort(), [...USER_KEYS], `${what} has exactly the User keys`);
  assert.ok(Number.isSafeInteger(user.id) && user.id > 0, `${what}.id is a positive integer: ${user.id}`);
  assert.equal(typeof user.email, 'string');
  assert.equal(typeof user.name, 'string');
  assert.ok(user.phone === null || typeof user.phone === 'string', `${what}.phone: ${user.phone}`);
  assert.ok(user.province === null || PROVINCES.includes(user.province), `${what}.province: ${user.province}`);
  assert.ok(user.role === 'user' || user.role === 'admin', `${what}.role: ${user.role}`);
  assert.match(user.created_at, RFC3339_UTC, `${what}.created_at`);
}

// ---------------------------------------------------------------------------
// JWTs

export const b64url = (data) => Buffer.from(data).toString('base64url');

/** {header, payload, signature (Buffer)} of a compact JWT (no checks). */
export function decodeJwt(token) {
  const parts = token.split('.');
  assert.equal(parts.length, 3, `a JWT has three parts: ${token}`);
  return {
    header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
    signature: Buffer.from(parts[2], 'base64url'),
  };
}

const HMAC_ALGS = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/**
 * A compact JWT. alg HS256/HS384/HS512 is signed with `secret` (default the
 * tests' JWT_SECRET); alg 'none' (or any other name) gets `signature` as
 * given (default empty). header adds or overrides header fields.
 */
export function forgeJwt(payload, { alg = 'HS256', secret = JWT_SECRET, header = {}, signature } = {}) {
  const h = { alg, typ: 'JWT', ...header };
  const signingInput = `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(payload))}`;
  let sig;
  if (signature !== undefined) sig = signature;
  else if (HMAC_ALGS[alg]) sig = createHmac(HMAC_ALGS[alg], secret).update(signingInput).digest('base64url');
  else sig = '';
  return `${signingInput}.${sig}`;
}

/** Claims like the server's for a user and session, valid for 15 minutes
 *  from now; override any of them. */
export function accessClaims({ sub, sid = 0, ...rest } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: String(sub), sid, iat: now, exp: now + 900, iss: 'rural24', typ: 'access', ...rest };
}

/** The same token with one byte of its signature flipped (the decoded byte,
 *  so the base64url stays canonical). */
export function flipSignatureByte(token, index = 5) {
  const [h, p, s] = token.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[index % sig.length] ^= 0x01;
  return `${h}.${p}.${sig.toString('base64url')}`;
}

// ---------------------------------------------------------------------------
// Rate-limit headers

/** The RateLimit-* headers of res as integers (fails when one is missing or
 *  not a non-negative integer). */
export function rateLimitHeaders(res, what = `${res.status} response`) {
  const out = {};
  for (const name of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
    const v = res.headers[name];
    assert.match(v ?? '', /^\d+$/, `${what}: ${name} is a non-negative integer, got ${JSON.stringify(v)}`);
    out[name.slice('ratelimit-'.length)] = Number(v);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Timing

/** The p-th percentile (0..100) of numbers, nearest rank. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

// ---------------------------------------------------------------------------
// Servers

/** Polls GET /api/ready until 200 (the database and, when enabled, Redis are
 *  connected); fails after timeoutMs with the last answer. */
export async function waitReady(server, { timeoutMs = 10000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await request(server.port, { path: '/api/ready' });
      if (last.status === 200) return;
    } catch (err) {
      last = { status: 'no answer', body: err.message };
    }
    if (Date.now() > deadline) {
      throw new Error(`server not ready after ${timeoutMs} ms: ${last.status} ${last.body}`);
    }
    await sleep(50);
  }
}

/** Starts a server for a session store with authEnv() and waits until it is
 *  ready. The caller stops it (assertCleanExit(await server.stop())). */
export async function startAuthServer(opts) {
  const server = await startServer({ env: authEnv(opts) });
  try {
    await waitReady(server);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

// ---------------------------------------------------------------------------
// The suite every session store runs (API.md "Auth and sessions")

/** REFRESH_GRACE_S of the suite's servers: small, to keep the tests quick. */
export const SUITE_GRACE_S = 1;

/** Waiting "just past" the grace window: the window plus one second, so a
 *  server that keeps rotation times in whole seconds is past it too. */
const PAST_GRACE_MS = SUITE_GRACE_S * 1000 + 1200;

const sidOf = (token) => decodeJwt(token).payload.sid;

/**
 * A server for one SESSION_STORE ('stateless', 'db' or 'redis', with a
 * redis-server of its own) on a fresh database named after name, with extra
 * environment: started by a before() and stopped by an after() of the
 * enclosing describe. Returns { srv, client, redis }, filled in by then.
 */
export function sessionStoreFixture(store, name, extra = {}) {
  const fx = { srv: null, client: null, redis: null };
  before(async () => {
    const databaseUrl = await freshDatabase(name);
    if (store === 'redis') fx.redis = await startRedis();
    fx.srv = await startAuthServer({ store, databaseUrl, redisUrl: fx.redis?.url, extra });
    fx.client = new AuthClient(fx.srv.port);
  });
  after(async () => {
    try {
      if (fx.srv) assertCleanExit(await fx.srv.stop());
    } finally {
      if (fx.redis) await fx.redis.stop();
    }
  });
  return fx;
}

/**
 * Declares the whole auth suite for one SESSION_STORE ('stateless', 'db' or
 * 'redis'): one server (and, for redis, one redis-server) for the suite, a
 * fresh database, and tests that each make their own users, so any order
 * works. Call it once per store, from one test file per store.
 */
export function describeSessionStore(store) {
  const revocable = store !== 'stateless';

  describe(`SESSION_STORE=${store}`, () => {
    const fx = sessionStoreFixture(store, `auth_${store}`, { REFRESH_GRACE_S: String(SUITE_GRACE_S) });
    let srv;
    let c;
    before(() => {
      srv = fx.srv;
      c = fx.client;
    });

    // -- register ----------------------------------------------------------

    it('POST /api/auth/register: 201 with the user and a Bearer token pair; the email is stored lower-cased', async () => {
      const lower = uniqueEmail('register');
      const mixed = lower.replace(/^register/, 'ReGiStEr').replace('@campo.example.com', '@Campo.EXAMPLE.com');
      const password = `Clave-Segura-${randomBytes(6).toString('hex')}`;
      const res = await c.register({ email: mixed, password, name: 'María González', phone: '+54 9 351 555-0101', province: 'Córdoba' });
      const body = expectJson(res, 201, 'register');
      assertSecurityHeaders(res);
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type', 'user']);
      assertUser(body.user, 'register user');
      assert.equal(body.user.email, lower, 'the email is lower-cased');
      assert.equal(body.user.name, 'María González');
      assert.equal(body.user.phone, '+54 9 351 555-0101');
      assert.equal(body.user.province, 'Córdoba');
      assert.equal(body.user.role, 'user');
      assert.ok(Math.abs(Date.parse(body.user.created_at) - Date.now()) < 120000, `created_at is now: ${body.user.created_at}`);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 900);
      assert.equal(typeof body.access_token, 'string');
      assert.equal(typeof body.refresh_token, 'string');
      assert.ok(body.refresh_token.length >= 32, 'refresh token has enough entropy to be a secret');
      assert.notEqual(body.access_token, body.refresh_token);

      // The access token is the HS256 JWT the contract describes.
      const { header, payload } = decodeJwt(body.access_token);
      assert.equal(header.alg, 'HS256');
      assert.equal(payload.sub, String(body.user.id), 'sub is the user id as a string');
      assert.equal(payload.iss, 'rural24');
      assert.equal(payload.typ, 'access');
      assert.equal(payload.exp - payload.iat, 900, 'lives ACCESS_TOKEN_TTL_S');
      assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60, `iat is now: ${payload.iat}`);
      if (revocable) assert.ok(Number.isSafeInteger(payload.sid) && payload.sid > 0, `sid is a session id: ${payload.sid}`);

      const me = expectJson(await c.me(body.access_token), 200, 'me with the new token');
      assert.deepEqual(me, body.user);
    });

    it('POST /api/auth/register without phone and province: both null', async () => {
      const res = await c.register({ email: uniqueEmail('minimal'), password: 'contraseña1', name: 'Pedro' });
      const body = expectJson(res, 201);
      assertUser(body.user);
      assert.equal(body.user.phone, null);
      assert.equal(body.user.province, null);
    });

    it('POST /api/auth/register with an email taken in another case: 409 email_taken, the first account untouched', async () => {
      const u = await c.newUser({}, 'dup');
      const res = await c.register({ email: u.email.toUpperCase(), password: 'otra-clave-123', name: 'Impostor' });
      expectError(res, 409, 'email_taken', 'duplicate register');
      expectJson(await c.login(u.email, u.password), 200, 'the first account still logs in');
      expectError(await c.login(u.email, 'otra-clave-123'), 401, 'invalid_credentials', 'the second password does not');
      const me = expectJson(await c.me(u.access), 200);
      assert.equal(me.name, 'Juan Pérez');
    });

    // -- login -------------------------------------------------------------

    it('POST /api/auth/login: 200 with the same shape as register and a working token', async () => {
      const u = await c.newUser({ phone: '0351-4000000' }, 'login');
      const res = await c.login(u.email, u.password);
      const body = expectJson(res, 200, 'login');
      assertSecurityHeaders(res);
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type', 'user']);
      assert.deepEqual(body.user, u.user);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 900);
      assert.notEqual(body.access_token, u.access);
      assert.notEqual(body.refresh_token, u.refresh);
      if (revocable) assert.notEqual(sidOf(body.access_token), sidOf(u.access), 'a login is a new session');
      assert.deepEqual(expectJson(await c.me(body.access_token), 200), u.user);
    });

    it('POST /api/auth/login accepts the email in any case', async () => {
      const u = await c.newUser({}, 'logincase');
      const body = expectJson(await c.login(u.email.toUpperCase(), u.password), 200, 'upper-case email');
      assert.equal(body.user.id, u.user.id);
    });

    it('POST /api/auth/login: an unknown email and a wrong password get the same 401 invalid_credentials', async () => {
      const u = await c.newUser({}, 'creds');
      const wrong = await c.login(u.email, `${u.password}x`);
      const unknown = await c.login(uniqueEmail('nobody'), u.password);
      expectError(wrong, 401, 'invalid_credentials', 'wrong password');
      expectError(unknown, 401, 'invalid_credentials', 'unknown email');
      assert.equal(wrong.body.toString('utf8'), unknown.body.toString('utf8'), 'identical bodies');
      assert.equal(wrong.headers['content-type'], unknown.headers['content-type']);
      assert.equal(wrong.headers['www-authenticate'], unknown.headers['www-authenticate']);
    });

    it('the auth routes answer 405 with Allow for another method', async () => {
      for (const target of ['/api/auth/register', '/api/auth/login', '/api/auth/refresh', '/api/auth/logout', '/api/auth/logout-all']) {
        const res = await c.call('GET', target);
        expectError(res, 405, 'method_not_allowed', `GET ${target}`);
        assert.match(res.headers.allow ?? '', /\bPOST\b/, `GET ${target}: Allow`);
      }
      const res = await c.call('DELETE', '/api/me');
      expectError(res, 405, 'method_not_allowed', 'DELETE /api/me');
      assert.match(res.headers.allow ?? '', /\bPATCH\b/);
    });

    // -- me ----------------------------------------------------------------

    it('GET /api/me: 200 the user with the token, 401 unauthorized without; HEAD works too', async () => {
      const u = await c.newUser({}, 'me');
      const res = await c.me(u.access);
      assertSecurityHeaders(res);
      const me = expectJson(res, 200);
      assertUser(me);
      assert.deepEqual(me, u.user);
      expectError(await c.me(undefined), 401, 'unauthorized', 'no Authorization');
      const head = await c.call('HEAD', '/api/me', { token: u.access });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
    });

    it('PATCH /api/me changes name, phone and province and leaves the rest', async () => {
      const u = await c.newUser({ phone: '111' }, 'patch');
      const body = expectJson(await c.patchMe(u.access, { name: 'Ana Gómez', phone: '+54 11 5555-0000', province: 'Entre Ríos' }), 200, 'patch');
      assertUser(body);
      assert.equal(body.name, 'Ana Gómez');
      assert.equal(body.phone, '+54 11 5555-0000');
      assert.equal(body.province, 'Entre Ríos');
      for (const k of ['id', 'email', 'role', 'created_at']) assert.equal(body[k], u.user[k], `${k} unchanged`);
      assert.deepEqual(expectJson(await c.me(u.access), 200), body, 'GET /api/me shows the change');

      const only = expectJson(await c.patchMe(u.access, { province: 'Salta' }), 200, 'patch province only');
      assert.equal(only.province, 'Salta');
      assert.equal(only.name, 'Ana Gómez', 'name unchanged');
      assert.equal(only.phone, '+54 11 5555-0000', 'phone unchanged');
    });

    it('PATCH /api/me validates name and province like register, and changes nothing when it refuses', async () => {
      const u = await c.newUser({}, 'patchval');
      const cases = [
        [{ name: '' }, 'name'],
        [{ name: '    ' }, 'name'],
        [{ name: 'x'.repeat(101) }, 'name'],
        [{ province: 'Cordoba' }, 'province'],
        [{ province: 'córdoba' }, 'province'],
        [{ province: 'Narnia' }, 'province'],
      ];
      for (const [patch, field] of cases) {
        const err = expectError(await c.patchMe(u.access, patch), 400, 'validation_failed', `PATCH ${JSON.stringify(patch)}`);
        assert.ok(err.error.fields && typeof err.error.fields[field] === 'string', `fields names ${field}: ${JSON.stringify(err)}`);
      }
      assert.deepEqual(expectJson(await c.me(u.access), 200), u.user, 'nothing changed');
      expectError(await c.call('PATCH', '/api/me', { body: { name: 'Sin Token' } }), 401, 'unauthorized', 'PATCH without a token');
      expectError(await c.call('PATCH', '/api/me', { token: u.access, raw: '{"name":', contentType: 'application/json' }), 400, 'invalid_json');
      expectError(await c.call('PATCH', '/api/me', { token: u.access, raw: '{"name":"X"}', contentType: 'text/plain' }), 415, 'unsupported_media_type');
      expectError(await c.call('PATCH', '/api/me', { token: u.access, raw: '{"name":"X"}' }), 415, 'unsupported_media_type', 'no Content-Type');
    });

    it('PATCH /api/me accepts each of the 24 provinces, accents included', async () => {
      const u = await c.newUser({}, 'provinces');
      for (const province of PROVINCES) {
        const body = expectJson(await c.patchMe(u.access, { province }), 200, `province ${province}`);
        assert.equal(body.province, province);
      }
    });

    // -- refresh and logout --------------------------------------------------

    it('POST /api/auth/refresh: 200 with a new pair that works', async () => {
      const u = await c.newUser({}, 'refresh');
      const body = expectJson(await c.refresh(u.refresh), 200, 'refresh');
      for (const k of ['access_token', 'refresh_token', 'expires_in']) assert.ok(k in body, `${k} in ${JSON.stringify(Object.keys(body))}`);
      assert.equal(body.expires_in, 900);
      assert.notEqual(body.access_token, u.access);
      assert.notEqual(body.refresh_token, u.refresh);
      const { payload } = decodeJwt(body.access_token);
      assert.equal(payload.sub, String(u.user.id));
      if (revocable) assert.equal(payload.sid, sidOf(u.access), 'the same login (session)');
      assert.deepEqual(expectJson(await c.me(body.access_token), 200), u.user);
      expectJson(await c.refresh(body.refresh_token), 200, 'the new refresh token refreshes');
    });

    it('POST /api/auth/refresh refuses garbage (401), an access token (401) and a missing refresh_token (400)', async () => {
      const u = await c.newUser({}, 'refreshbad');
      expectError(await c.refresh('garbage'), 401, 'unauthorized', 'garbage refresh token');
      expectError(await c.refresh(randomBytes(32).toString('base64url')), 401, 'unauthorized', 'random refresh token');
      expectError(await c.refresh(u.access), 401, 'unauthorized', 'an access token is not a refresh token');
      const missing = expectError(await c.call('POST', '/api/auth/refresh', { body: {} }), 400, 'validation_failed', 'no refresh_token');
      assert.equal(typeof missing.error.fields?.refresh_token, 'string', `fields names refresh_token: ${JSON.stringify(missing)}`);
      expectJson(await c.refresh(u.refresh), 200, 'the real one still works');
    });

    it('POST /api/auth/logout: 204 with an empty body', async () => {
      const u = await c.newUser({}, 'logout');
      const res = await c.logout(u.access, u.refresh);
      assert.equal(res.status, 204, `${res.status} ${res.body}`);
      assert.equal(res.body.length, 0);
      assertSecurityHeaders(res);
      const s = await c.newSession(u);
      const noBody = await c.logout(s.access);
      assert.equal(noBody.status, 204, `logout without a body: ${noBody.status} ${noBody.body}`);
    });

    // -- store-specific ------------------------------------------------------

    if (!revocable) {
      it('stateless: the old refresh token keeps working after a refresh', async () => {
        const u = await c.newUser({}, 'statelessrefresh');
        const first = expectJson(await c.refresh(u.refresh), 200, 'first refresh');
        const again = expectJson(await c.refresh(u.refresh), 200, 'the old token again');
        expectJson(await c.refresh(first.refresh_token), 200, 'the new token');
        expectJson(await c.me(again.access_token), 200);
      });

      it('stateless: logout-all, session listing and session deletion answer 501 not_supported', async () => {
        const u = await c.newUser({}, 'stateless501');
        expectError(await c.logoutAll(u.access), 501, 'not_supported', 'logout-all');
        expectError(await c.sessions(u.access), 501, 'not_supported', 'GET sessions');
        expectError(await c.deleteSession(u.access, 1), 501, 'not_supported', 'DELETE session');
        expectJson(await c.me(u.access), 200, 'the token still works');
      });

      it('stateless: an access token keeps working after logout', async () => {
        const u = await c.newUser({}, 'statelesslogout');
        assert.equal((await c.logout(u.access, u.refresh)).status, 204);
        expectJson(await c.me(u.access), 200, 'access token after logout');
      });

      it('stateless: an expired refresh token is refused with 401 token_expired', async () => {
        const u = await c.newUser({}, 'statelessexp');
        const { header, payload } = decodeJwt(u.refresh);
        assert.equal(header.alg, 'HS256', 'a stateless refresh token is a signed JWT');
        const now = Math.floor(Date.now() / 1000);
        const expired = forgeJwt({ ...payload, iat: now - 7200, exp: now - 3600 });
        expectError(await c.refresh(expired), 401, 'token_expired', 'expired refresh token');
        assert.equal(payload.typ, 'refresh');
        assert.equal(payload.exp - payload.iat, 2592000, 'a refresh token lives REFRESH_TOKEN_TTL_S (30 days)');
        const fresh = forgeJwt({ ...payload });
        expectJson(await c.refresh(fresh), 200, 'the same claims re-signed (control)');
      });
    }

    if (revocable) {
      it(`${store}: after the grace window a rotated refresh token is refused (401 token_revoked) and revokes the whole login`, async () => {
        const u = await c.newUser({}, 'reuse');
        const other = await c.newSession(u);
        const rotated = expectJson(await c.refresh(u.refresh), 200, 'rotation');
        const rotatedAt = Date.now();
        expectJson(await c.me(rotated.access_token), 200, 'the new access token works');
        await sleep(Math.max(0, rotatedAt + PAST_GRACE_MS - Date.now()));
        expectError(await c.refresh(u.refresh), 401, 'token_revoked', 'the rotated token after the grace window');
        expectError(await c.me(rotated.access_token), 401, 'token_revoked', 'the newest access token of that login');
        expectError(await c.refresh(rotated.refresh_token), 401, 'token_revoked', 'the newest refresh token of that login');
        expectError(await c.me(u.access), 401, 'token_revoked', 'the first access token of that login');
        expectJson(await c.me(other.access), 200, 'another login of the same user is untouched');
        expectJson(await c.refresh(other.refresh), 200, 'and still refreshes');
      });

      it(`${store}: two concurrent refreshes with one token inside the grace window get the same new pair`, async () => {
        const u = await c.newUser({}, 'concurrent');
        const [a, b] = await Promise.all([c.refresh(u.refresh), c.refresh(u.refresh)]);
        const pa = expectJson(a, 200, 'first of two concurrent refreshes');
        const pb = expectJson(b, 200, 'second of two concurrent refreshes');
        assert.equal(pa.access_token, pb.access_token, 'same access token');
        assert.equal(pa.refresh_token, pb.refresh_token, 'same refresh token');
        const pc = expectJson(await c.refresh(u.refresh), 200, 'the old token once more, still inside the window');
        assert.equal(pc.access_token, pa.access_token);
        assert.equal(pc.refresh_token, pa.refresh_token);
        expectJson(await c.me(pa.access_token), 200, 'the pair works');
        expectJson(await c.refresh(pa.refresh_token), 200, 'and its refresh token rotates on');
      });

      it(`${store}: logout revokes the session at once: its access token is refused on the very next request`, async () => {
        const u = await c.newUser({}, 'logoutrevoke');
        const other = await c.newSession(u);
        assert.equal((await c.logout(u.access, u.refresh)).status, 204);
        expectError(await c.me(u.access), 401, 'token_revoked', 'access token after logout');
        expectError(await c.refresh(u.refresh), 401, 'token_revoked', 'refresh token after logout');
        expectJson(await c.me(other.access), 200, 'another session of the user is untouched');

        // Without a body, the session of the access token is the one revoked.
        assert.equal((await c.logout(other.access)).status, 204);
        expectError(await c.me(other.access), 401, 'token_revoked', 'access token after a logout without body');
        expectError(await c.refresh(other.refresh), 401, 'token_revoked', 'its refresh token');
      });

      it(`${store}: logout-all revokes every session of the user and no one else's`, async () => {
        const u = await c.newUser({}, 'logoutall');
        const s2 = await c.newSession(u);
        const s3 = await c.newSession(u);
        const v = await c.newUser({}, 'bystander');
        for (const t of [u.access, s2.access, s3.access]) expectJson(await c.me(t), 200, 'before');
        const res = await c.logoutAll(s2.access);
        assert.equal(res.status, 204, `${res.status} ${res.body}`);
        assert.equal(res.body.length, 0);
        for (const [name, s] of [['register', u], ['login 2', s2], ['login 3', s3]]) {
          expectError(await c.me(s.access), 401, 'token_revoked', `${name} access token`);
          expectError(await c.refresh(s.refresh), 401, 'token_revoked', `${name} refresh token`);
        }
        expectJson(await c.me(v.access), 200, 'another user is untouched');
        const again = await c.newSession(u);
        expectJson(await c.me(again.access), 200, 'the user can log in again');
      });

      it(`${store}: GET /api/auth/sessions lists the live sessions with exactly one current`, async () => {
        const ua = (n) => ({ headers: { 'User-Agent': `Campo-Browser/${n}` } });
        const u = await c.newUser({}, 'list');
        const s2 = await c.newSession(u, ua(2));
        const s3 = await c.newSession(u, ua(3));
        const v = await c.newUser({}, 'listother');
        const res = await c.sessions(s2.access);
        assertSecurityHeaders(res);
        const body = expectJson(res, 200, 'sessions');
        assert.deepEqual(Object.keys(body), ['items']);
        assert.equal(body.items.length, 3, `three sessions: ${JSON.stringify(body.items)}`);
        const ids = body.items.map((s) => s.id);
        assert.deepEqual([...ids].sort((a, b) => a - b), [sidOf(u.access), sidOf(s2.access), sidOf(s3.access)].sort((a, b) => a - b), 'the ids are the sessions of the tokens');
        assert.ok(!ids.includes(sidOf(v.access)), "another user's session is not listed");
        for (const s of body.items) {
          assert.deepEqual(Object.keys(s).sort(), ['created_at', 'current', 'id', 'ip', 'last_used_at', 'user_agent'], JSON.stringify(s));
          assert.ok(Number.isSafeInteger(s.id) && s.id > 0, `id ${s.id}`);
          assert.match(s.created_at, RFC3339_UTC);
          assert.match(s.last_used_at, RFC3339_UTC);
          assert.ok(Date.parse(s.last_used_at) >= Date.parse(s.created_at) - 1000, 'last_used_at not before created_at');
          assert.equal(s.ip, '127.0.0.1');
          assert.equal(typeof s.current, 'boolean');
        }
        const current = body.items.filter((s) => s.current);
        assert.equal(current.length, 1, 'exactly one current');
        assert.equal(current[0].id, sidOf(s2.access), 'current is the session of the token used');
        const byId = new Map(body.items.map((s) => [s.id, s]));
        assert.equal(byId.get(sidOf(u.access)).user_agent, c.ua);
        assert.equal(byId.get(sidOf(s2.access)).user_agent, 'Campo-Browser/2');
        assert.equal(byId.get(sidOf(s3.access)).user_agent, 'Campo-Browser/3');

        // From another session, "current" moves; a revoked session is gone.
        assert.equal((await c.logout(s3.access)).status, 204);
        const after3 = expectJson(await c.sessions(u.access), 200);
        assert.deepEqual(after3.items.map((s) => s.id).sort((a, b) => a - b), [sidOf(u.access), sidOf(s2.access)].sort((a, b) => a - b));
        assert.deepEqual(after3.items.filter((s) => s.current).map((s) => s.id), [sidOf(u.access)]);
        expectError(await c.sessions(undefined), 401, 'unauthorized', 'GET sessions without a token');
      });

      it(`${store}: DELETE /api/auth/sessions/{id}: 204 and that session's access token is refused`, async () => {
        const u = await c.newUser({}, 'delete');
        const s2 = await c.newSession(u);
        const res = await c.deleteSession(u.access, sidOf(s2.access));
        assert.equal(res.status, 204, `${res.status} ${res.body}`);
        assert.equal(res.body.length, 0);
        expectError(await c.me(s2.access), 401, 'token_revoked', 'the deleted session');
        expectError(await c.refresh(s2.refresh), 401, 'token_revoked', "the deleted session's refresh token");
        expectJson(await c.me(u.access), 200, 'the caller is untouched');
        const list = expectJson(await c.sessions(u.access), 200);
        assert.deepEqual(list.items.map((s) => s.id), [sidOf(u.access)]);
      });

      it(`${store}: DELETE another user's session or an unknown id: 404, and nothing is revoked`, async () => {
        const u = await c.newUser({}, 'deleteown');
        const v = await c.newUser({}, 'deletevictim');
        expectError(await c.deleteSession(u.access, sidOf(v.access)), 404, 'not_found', "another user's session");
        expectJson(await c.me(v.access), 200, "the other user's session still works");
        for (const id of ['999999999999', '0', '-1', 'abc', '18446744073709551616', '1.5']) {
          const res = await c.deleteSession(u.access, id);
          expectError(res, 404, 'not_found', `DELETE /api/auth/sessions/${id}`);
        }
        expectJson(await c.me(u.access), 200);
        expectError(await c.deleteSession(undefined, sidOf(u.access)), 401, 'unauthorized', 'DELETE without a token');
        expectError(await c.logoutAll(undefined), 401, 'unauthorized', 'logout-all without a token');
        expectJson(await c.me(u.access), 200, 'still alive after the unauthenticated attempts');
      });
    }

    // -- bad access tokens ---------------------------------------------------

    describe(`${store}: bad access tokens are refused with 401`, () => {
      let u;
      let claims;
      before(async () => {
        u = await c.newUser({}, 'badtokens');
        claims = decodeJwt(u.access).payload;
      });

      const refuse = async (token, code, what) => expectError(await c.me(token), 401, code, what);

      it('control: a token forged with the right secret and the server claims is accepted', async () => {
        expectJson(await c.me(forgeJwt({ ...claims })), 200, 'forged with the real claims');
      });

      it('garbage, an empty token and another scheme: unauthorized', async () => {
        await refuse('garbage', 'unauthorized', 'garbage');
        await refuse('a.b.c', 'unauthorized', 'three garbage parts');
        await refuse(`${u.access}x`, 'unauthorized', 'a trailing byte');
        expectError(await c.call('GET', '/api/me', { headers: { Authorization: 'Bearer ' } }), 401, 'unauthorized', 'empty Bearer');
        expectError(await c.call('GET', '/api/me', { headers: { Authorization: `Basic ${b64url('a:b')}` } }), 401, 'unauthorized', 'Basic');
        expectError(await c.call('GET', '/api/me', { headers: { Authorization: u.access } }), 401, 'unauthorized', 'no scheme');
      });

      it('alg "none": unauthorized', async () => {
        await refuse(forgeJwt({ ...claims }, { alg: 'none' }), 'unauthorized', 'alg none, no signature');
        await refuse(forgeJwt({ ...claims }, { alg: 'None' }), 'unauthorized', 'alg None');
        const realSig = u.access.split('.')[2];
        await refuse(forgeJwt({ ...claims }, { alg: 'none', signature: realSig }), 'unauthorized', 'alg none with a signature');
      });

      it('another algorithm with the same secret (HS512, HS384) or a confused RS256: unauthorized', async () => {
        await refuse(forgeJwt({ ...claims }, { alg: 'HS512' }), 'unauthorized', 'HS512');
        await refuse(forgeJwt({ ...claims }, { alg: 'HS384' }), 'unauthorized', 'HS384');
        const rs = forgeJwt({ ...claims }, { alg: 'RS256', signature: createHmac('sha256', JWT_SECRET).update('x').digest('base64url') });
        await refuse(rs, 'unauthorized', 'RS256 header');
        const hsAsRs = (() => {
          const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
          return `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`;
        })();
        await refuse(hsAsRs, 'unauthorized', 'RS256 header with an HMAC-SHA256 signature');
      });

      it('a flipped signature byte or another secret: unauthorized', async () => {
        await refuse(flipSignatureByte(u.access, 0), 'unauthorized', 'first signature byte flipped');
        await refuse(flipSignatureByte(u.access, 31), 'unauthorized', 'last signature byte flipped');
        await refuse(forgeJwt({ ...claims }, { secret: `${JWT_SECRET}-other` }), 'unauthorized', 'another secret');
        const [h, , s] = u.access.split('.');
        await refuse(`${h}.${b64url(JSON.stringify({ ...claims, sub: String(Number(claims.sub) + 1) }))}.${s}`, 'unauthorized', 'payload changed, signature kept');
      });

      it('a wrong or missing iss, or typ "refresh": unauthorized', async () => {
        await refuse(forgeJwt({ ...claims, iss: 'evil' }), 'unauthorized', 'iss evil');
        await refuse(forgeJwt({ ...claims, iss: 'rural24x' }), 'unauthorized', 'iss rural24x');
        const { iss, ...noIss } = claims;
        assert.equal(iss, 'rural24');
        await refuse(forgeJwt(noIss), 'unauthorized', 'no iss');
        await refuse(forgeJwt({ ...claims, typ: 'refresh' }), 'unauthorized', 'typ refresh');
        await refuse(u.refresh, 'unauthorized', 'the refresh token as an access token');
      });

      it('an expired token: token_expired', async () => {
        const now = Math.floor(Date.now() / 1000);
        await refuse(forgeJwt({ ...claims, iat: now - 7200, exp: now - 3600 }), 'token_expired', 'expired an hour ago');
      });

      if (revocable) {
        it(`${store}: a revoked session: token_revoked, also for a token forged for it`, async () => {
          const s = await c.newSession(u);
          const sClaims = decodeJwt(s.access).payload;
          assert.equal((await c.logout(s.access, s.refresh)).status, 204);
          await refuse(s.access, 'token_revoked', 'revoked session');
          await refuse(forgeJwt({ ...sClaims, iat: Math.floor(Date.now() / 1000) }), 'token_revoked', 'fresh token for a revoked session');
          expectJson(await c.me(u.access), 200, 'the other session of the user still works');
        });

        it(`${store}: a well-signed token naming an unknown session or another user's session: 401`, async () => {
          const v = await c.newUser({}, 'badtokensother');
          for (const [what, forged] of [
            ['unknown sid', forgeJwt({ ...claims, sid: 987654321 })],
            ["another user's sid", forgeJwt({ ...claims, sid: sidOf(v.access) })],
          ]) {
            const res = await c.me(forged);
            assert.equal(res.status, 401, `${what}: ${res.status} ${res.body}`);
            const body = assertErrorShape(res, null, what);
            assert.ok(['unauthorized', 'token_revoked'].includes(body.error.code), `${what}: code ${body.error.code}`);
          }
        });
      }
    });

    // -- logs ----------------------------------------------------------------

    it(`${store}: passwords and tokens never reach the server's output`, async () => {
      const password = `Tranquera-${randomBytes(8).toString('hex')}`;
      const u = await c.newUser({ password }, 'logs');
      const s = await c.newSession(u);
      const r = expectJson(await c.refresh(s.refresh), 200, 'refresh');
      expectJson(await c.me(r.access_token), 200);
      await c.login(u.email, `${password}-wrong`);
      await c.patchMe(r.access_token, { name: 'Sin Secretos' });
      await c.logout(r.access_token, r.refresh_token);
      // The log is written in batches: wait for the line of a later request.
      await c.call('GET', '/api/health', { headers: { 'X-Request-Id': `logs-marker-${store}` } });
      await srv.waitForLog((l) => l.msg === 'request' && l.request_id === `logs-marker-${store}`);
      const out = srv.stdout() + srv.stderr();
      const secrets = new Set([password, `${password}-wrong`, u.access, u.refresh, s.access, s.refresh, r.access_token, r.refresh_token, ...c.secrets]);
      for (const secret of secrets) {
        assert.ok(!out.includes(secret), `a secret is in the output: ${secret.slice(0, 12)}...`);
        if (secret.split('.').length === 3) {
          const sig = secret.split('.')[2];
          assert.ok(sig.length < 16 || !out.includes(sig), `a token signature is in the output: ${sig.slice(0, 12)}...`);
        }
      }
    });
  });
}
