// Helpers for the catalog integration tests (issue 8 "The catalog:
// categories, ads and search"): a JSON client for the catalog routes that
// checks API.md's headers on every answer, valid ad bodies, the shapes of
// API.md's ad summary and detail, admins made with `rural24 user promote`,
// page walking, a deterministic PRNG, and servers for a session store.
//
// Everything talks to the real binary over real sockets against a real
// PostgreSQL (and Redis where a store needs it); nothing is mocked.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

import { AuthClient, authEnv, expectError, expectJson, PROVINCES, RFC3339_UTC, waitReady } from './auth.mjs';
import { after, before, describe, it } from 'node:test';

import { freshDatabase, pgBin, psql, rural24 } from './pg.mjs';
import { startRedis } from './redis.mjs';
import {
  assertCleanExit,
  assertNoSanitizerReport,
  assertRequestId,
  assertSecurityHeaders,
  repoRoot,
  startServer,
} from './server.mjs';

export { expectError, expectJson, PROVINCES, RFC3339_UTC };

/** AD_TTL_DAYS of the catalog test servers: not the default (90), so that a
 *  server ignoring the variable shows. */
export const TEST_TTL_DAYS = 30;
export const DAY_MS = 86400000;

/** API.md's ad summary keys. */
export const SUMMARY_KEYS = Object.freeze(
  ['id', 'title', 'price', 'currency', 'price_unit', 'province', 'locality', 'category', 'thumbnail_url', 'is_featured', 'created_at'].sort(),
);
/** API.md's ad detail keys (summary + these); owners and admins may also get
 *  "under_review" (Moderation). */
export const DETAIL_KEYS = Object.freeze(
  [...SUMMARY_KEYS, 'description', 'attributes', 'images', 'status', 'views', 'user', 'updated_at', 'featured_until', 'expires_at'].sort(),
);
export const PRICE_UNITS = Object.freeze(['total', 'per_head', 'per_kg', 'per_ha', 'per_month', 'per_ton']);
export const STATUSES = Object.freeze(['active', 'paused', 'sold', 'expired', 'deleted']);

/** The environment of a catalog test server: the auth suite's (JWT secret,
 *  session store, raised auth limits) plus raised read and write limits
 *  (every test talks from 127.0.0.1), a known exchange rate and TTL. */
export function catalogEnv({ store = 'db', databaseUrl, redisUrl, extra = {} }) {
  return authEnv({
    store,
    databaseUrl,
    redisUrl,
    extra: {
      RATE_LIMIT_READ: '1000000/60',
      RATE_LIMIT_WRITE: '1000000/60',
      USD_ARS_RATE: '1000',
      AD_TTL_DAYS: String(TEST_TTL_DAYS),
      ...extra,
    },
  });
}

/** Starts a catalog server and waits until it is ready. */
export async function startCatalogServer(opts) {
  const server = await startServer({ env: catalogEnv(opts) });
  try {
    await waitReady(server);
  } catch (err) {
    assertCleanExit(await server.stop());
    throw err;
  }
  return server;
}

/** A query string with every value percent-encoded (spaces as %20, not +). */
export function qs(params = {}) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The JSON client of the catalog routes. Every answer must carry the
 *  security headers and one valid X-Request-Id (checked here, for every call). */
export class CatalogClient extends AuthClient {
  async call(method, target, opts = {}) {
    const res = await super.call(method, target, opts);
    const what = `${method} ${target} → ${res.status}`;
    assertSecurityHeaders(res, what);
    assertRequestId(res, what);
    return res;
  }

  categories() {
    return this.call('GET', '/api/categories');
  }
  rate() {
    return this.call('GET', '/api/exchange-rate');
  }
  putRate(token, body, opts) {
    return this.call('PUT', '/api/exchange-rate', { token, body, ...opts });
  }
  search(params = {}, opts) {
    return this.call('GET', `/api/ads${qs(params)}`, opts);
  }
  featured(params = {}, opts) {
    return this.call('GET', `/api/ads/featured${qs(params)}`, opts);
  }
  ad(id, token, opts) {
    return this.call('GET', `/api/ads/${id}`, { token, ...opts });
  }
  createAd(token, body, opts) {
    return this.call('POST', '/api/ads', { token, body, ...opts });
  }
  patchAd(token, id, body, opts) {
    return this.call('PATCH', `/api/ads/${id}`, { token, body, ...opts });
  }
  deleteAd(token, id, opts) {
    return this.call('DELETE', `/api/ads/${id}`, { token, ...opts });
  }
  feature(token, id, body, opts) {
    return this.call('POST', `/api/ads/${id}/feature`, { token, body, ...opts });
  }
  myAds(token, params = {}, opts) {
    return this.call('GET', `/api/me/ads${qs(params)}`, { token, ...opts });
  }
  userProfile(id, opts) {
    return this.call('GET', `/api/users/${id}`, opts);
  }
  userAds(id, params = {}, opts) {
    return this.call('GET', `/api/users/${id}/ads${qs(params)}`, opts);
  }
  suggest(params = {}, opts) {
    return this.call('GET', `/api/search/suggest${qs(params)}`, opts);
  }

  /** POST /api/ads that must answer 201; returns the detail. */
  async newAd(token, overrides = {}) {
    const body = adBody(overrides);
    const res = await this.createAd(token, body);
    const ad = expectJson(res, 201, `create ${JSON.stringify(body).slice(0, 200)}`);
    return ad;
  }

  /** PATCH that must answer 200; returns the detail. */
  async patchOk(token, id, body) {
    return expectJson(await this.patchAd(token, id, body), 200, `PATCH /api/ads/${id} ${JSON.stringify(body).slice(0, 200)}`);
  }

  /** Follows next_cursor from `first` (a path with its query) until null;
   *  returns {ids, items, pages}. Fails on a non-200 page, a page larger than
   *  limit, or more than maxPages pages. */
  async walk(pathWithQuery, { limit, token, maxPages = 500 } = {}) {
    const items = [];
    const pages = [];
    let cursor = null;
    for (let n = 0; ; n++) {
      assert.ok(n < maxPages, `walk ${pathWithQuery}: more than ${maxPages} pages`);
      const sep = pathWithQuery.includes('?') ? '&' : '?';
      const target = cursor === null ? pathWithQuery : `${pathWithQuery}${sep}cursor=${encodeURIComponent(cursor)}`;
      const res = await this.call('GET', target, { token });
      const body = expectJson(res, 200, `page ${n + 1} of ${pathWithQuery}`);
      assert.ok(Array.isArray(body.items), `${target}: items is an array`);
      assert.ok('next_cursor' in body, `${target}: has next_cursor`);
      assert.ok(body.next_cursor === null || (typeof body.next_cursor === 'string' && body.next_cursor.length > 0), `${target}: next_cursor is null or a string: ${JSON.stringify(body.next_cursor)}`);
      if (limit !== undefined) assert.ok(body.items.length <= limit, `${target}: ${body.items.length} items > limit ${limit}`);
      if (body.next_cursor !== null && limit !== undefined) {
        assert.equal(body.items.length, limit, `${target}: a page before the last has limit (${limit}) items`);
      }
      pages.push(body);
      items.push(...body.items);
      if (body.next_cursor === null) break;
      cursor = body.next_cursor;
    }
    return { ids: items.map((i) => i.id), items, pages };
  }
}

// ---------------------------------------------------------------------------
// Ads

let adCounter = 0;

/** A valid ad of category 101 (tractores) with every field; overrides win,
 *  and an override of undefined removes the field. */
export function adBody(overrides = {}) {
  const n = ++adCounter;
  const body = {
    title: `Tractor John Deere 6110J impecable ${n}`,
    description: 'Tractor con cabina, aire acondicionado y doble tracción. Papeles al día. Se puede ver en Río Cuarto.',
    price: 25000,
    currency: 'USD',
    price_unit: 'total',
    category_id: 101,
    province: 'Córdoba',
    locality: 'Río Cuarto',
    attributes: { brand: 'John Deere', model: '6110J', year: 2015, hp: 110, traction: 'doble', condition: 'usado' },
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete body[k];
    else body[k] = v;
  }
  return body;
}

/** A word of lower-case letters no other ad holds, for searches that must
 *  find exactly the ads of one test (stemming leaves such words alone). */
export function uniqueWord(tag = 'w') {
  const letters = 'bcdfghjklmnpqrstvz';
  let x = Date.now() * 1000 + process.pid * 7 + ++adCounter * 7919;
  let s = '';
  for (let i = 0; i < 10; i++) {
    s += letters[x % letters.length];
    x = Math.floor(x / letters.length) + i * 13;
  }
  return `${tag.replace(/[^a-z]/g, '')}x${s}`;
}

function assertCategoryRef(c, what) {
  assert.ok(c && typeof c === 'object', `${what}.category is an object`);
  assert.deepEqual(Object.keys(c).sort(), ['id', 'name', 'slug'], `${what}.category keys`);
  assert.ok(Number.isSafeInteger(c.id) && c.id > 0, `${what}.category.id`);
  assert.equal(typeof c.slug, 'string');
  assert.equal(typeof c.name, 'string');
}

function assertSummaryFields(s, what) {
  assert.ok(Number.isSafeInteger(s.id) && s.id > 0, `${what}.id is a positive integer: ${s.id}`);
  assert.equal(typeof s.title, 'string', `${what}.title`);
  assert.ok(s.price === null || typeof s.price === 'number', `${what}.price is a number or null: ${s.price}`);
  if (s.price === null) assert.ok(s.currency === null || ['ARS', 'USD'].includes(s.currency), `${what}.currency`);
  else assert.ok(['ARS', 'USD'].includes(s.currency), `${what}.currency: ${s.currency}`);
  assert.ok(PRICE_UNITS.includes(s.price_unit), `${what}.price_unit: ${s.price_unit}`);
  assert.ok(PROVINCES.includes(s.province), `${what}.province: ${s.province}`);
  assert.ok(s.locality === null || typeof s.locality === 'string', `${what}.locality`);
  assertCategoryRef(s.category, what);
  assert.ok(s.thumbnail_url === null || typeof s.thumbnail_url === 'string', `${what}.thumbnail_url`);
  assert.equal(typeof s.is_featured, 'boolean', `${what}.is_featured`);
  assert.match(s.created_at, RFC3339_UTC, `${what}.created_at`);
}

/** API.md's ad summary: exactly its keys (+ "status" with withStatus). */
export function assertSummary(s, { withStatus = false, what = 'summary' } = {}) {
  assert.ok(s && typeof s === 'object', `${what} is an object`);
  const keys = withStatus ? [...SUMMARY_KEYS, 'status'].sort() : [...SUMMARY_KEYS];
  assert.deepEqual(Object.keys(s).sort(), keys, `${what} has exactly the summary keys`);
  assertSummaryFields(s, what);
  if (withStatus) assert.ok(['active', 'paused', 'sold', 'expired'].includes(s.status), `${what}.status: ${s.status}`);
}

/** API.md's ad detail. privileged: the caller is the owner or an admin (who
 *  may also get "under_review"); otherwise exactly the detail keys. */
export function assertDetail(d, { privileged = false, what = 'detail' } = {}) {
  assert.ok(d && typeof d === 'object', `${what} is an object`);
  const keys = Object.keys(d).sort();
  if (privileged) {
    assert.deepEqual(keys.filter((k) => k !== 'under_review'), [...DETAIL_KEYS], `${what} has the detail keys`);
    if ('under_review' in d) assert.equal(typeof d.under_review, 'boolean', `${what}.under_review`);
  } else {
    assert.deepEqual(keys, [...DETAIL_KEYS], `${what} has exactly the detail keys`);
  }
  assertSummaryFields(d, what);
  assert.equal(typeof d.description, 'string', `${what}.description`);
  assert.ok(d.attributes && typeof d.attributes === 'object' && !Array.isArray(d.attributes), `${what}.attributes is an object`);
  assert.ok(Array.isArray(d.images), `${what}.images is an array`);
  assert.ok(STATUSES.includes(d.status), `${what}.status: ${d.status}`);
  assert.ok(Number.isSafeInteger(d.views) && d.views >= 0, `${what}.views: ${d.views}`);
  assert.ok(d.user && typeof d.user === 'object', `${what}.user`);
  assert.deepEqual(Object.keys(d.user).sort(), ['id', 'member_since', 'name', 'province'], `${what}.user keys`);
  assert.ok(Number.isSafeInteger(d.user.id) && d.user.id > 0, `${what}.user.id`);
  assert.match(d.user.member_since, RFC3339_UTC, `${what}.user.member_since`);
  assert.match(d.updated_at, RFC3339_UTC, `${what}.updated_at`);
  assert.match(d.expires_at, RFC3339_UTC, `${what}.expires_at`);
  assert.ok(d.featured_until === null || RFC3339_UTC.test(d.featured_until), `${what}.featured_until: ${d.featured_until}`);
}

/** Fails unless |a - b| <= tolMs (timestamps as strings or ms). */
export function assertNear(a, b, tolMs, what) {
  const ta = typeof a === 'string' ? Date.parse(a) : a;
  const tb = typeof b === 'string' ? Date.parse(b) : b;
  assert.ok(Number.isFinite(ta) && Number.isFinite(tb), `${what}: ${a} vs ${b}`);
  assert.ok(Math.abs(ta - tb) <= tolMs, `${what}: ${new Date(ta).toISOString()} is not within ${tolMs} ms of ${new Date(tb).toISOString()}`);
}

/** Fails unless res is 400 validation_failed whose fields are exactly
 *  `fields` (or, with subset, include them). */
export function expectFields(res, fields, { subset = false, what = '' } = {}) {
  const body = expectError(res, 400, 'validation_failed', what);
  const got = body.error.fields;
  assert.ok(got && typeof got === 'object', `${what}: error.fields is an object: ${res.body}`);
  if (subset) {
    for (const [k, v] of Object.entries(fields)) assert.equal(got[k], v, `${what}: fields[${JSON.stringify(k)}] in ${JSON.stringify(got)}`);
  } else {
    assert.deepEqual(got, fields, `${what}: error.fields`);
  }
  return body;
}

// ---------------------------------------------------------------------------
// Admins and direct database changes

/** `rural24 user promote EMAIL` against the test database, then a fresh
 *  login (a token minted after the promotion); returns the new access token. */
export async function promote(client, databaseUrl, u) {
  const r = await rural24(databaseUrl, ['user', 'promote', u.email], {}, { timeoutMs: 20000 });
  assertNoSanitizerReport(r.stderr, 'rural24 user promote');
  assert.equal(r.code, 0, `rural24 user promote ${u.email}: ${r.stderr} ${r.stdout}`);
  const s = await client.newSession(u);
  u.access = s.access;
  u.refresh = s.refresh;
  return s.access;
}

/** psql with the SQL on standard input (for scripts too long for argv);
 *  resolves with the output (unaligned, tuples only), rejects on an error. */
export function psqlStdin(url, sql, { timeoutMs = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(path.join(pgBin, 'psql'), ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.replace(/\n$/, ''));
      else reject(new Error(`psql exited with ${code}: ${err.slice(0, 2000)}`));
    });
    proc.stdin.end(sql);
  });
}

/** Moves an ad's expires_at into the past in the database (as if its time
 *  ran out before the sweep marked it). */
export function expireInDb(databaseUrl, id) {
  return psql(databaseUrl, `UPDATE ads SET expires_at = now() - interval '1 minute' WHERE id = ${Number(id)}`);
}

// ---------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32: a small deterministic PRNG; returns {next() in [0,1), int(n),
 *  pick(array), chance(p)}. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
}

/** Removes Spanish accents (what unaccent does for these letters). */
export function stripAccents(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

// ---------------------------------------------------------------------------
// A server from a chosen binary (the release build next to the ASan one)

export const releaseBin = path.join(repoRoot, 'build', 'rural24');
export const asanBin = path.join(repoRoot, 'build', 'asan', 'rural24');

const harnesses = new Map();

/** The harness of server.mjs bound to another binary: a separate instance of
 *  the module (a distinct URL), loaded with RURAL24_BIN set to bin. */
export async function harnessFor(bin) {
  if (!harnesses.has(bin)) {
    const saved = process.env.RURAL24_BIN;
    process.env.RURAL24_BIN = bin;
    try {
      const mod = await import(`./server.mjs?bin=${encodeURIComponent(bin)}`);
      harnesses.set(bin, mod);
    } finally {
      if (saved === undefined) delete process.env.RURAL24_BIN;
      else process.env.RURAL24_BIN = saved;
    }
  }
  const mod = harnesses.get(bin);
  assert.equal(mod.binPath, bin, 'the harness runs the binary asked for');
  return mod;
}

// ---------------------------------------------------------------------------
// The suite every session store runs: the rows of API.md "Ads" that depend on
// who is asking (create, patch, delete, feature, my ads, users, the exchange
// rate's PUT). The read-only rows run once (catalog/read.test.mjs).

/** The validation table of create (and, through PATCH, update): [label,
 *  overrides of a valid body, expected error.fields]. */
export const CREATE_VALIDATION = Object.freeze([
  ['title missing', { title: undefined }, { title: 'required' }],
  ['title not a string', { title: 12345 }, { title: 'type' }],
  ['title of 4 characters', { title: 'abcd' }, { title: 'min_length' }],
  ['title of 4 characters once trimmed', { title: '    abcd    ' }, { title: 'min_length' }],
  ['title of 121 characters', { title: 'x'.repeat(121) }, { title: 'max_length' }],
  ['title of 121 code points (emoji)', { title: '\u{1F69C}'.repeat(121) }, { title: 'max_length' }],
  ['description of 5001 characters', { description: 'a'.repeat(5001) }, { description: 'max_length' }],
  ['description not a string', { description: 5 }, { description: 'type' }],
  ['price below 0', { price: -0.01 }, { price: 'min' }],
  ['price over 999999999999.99', { price: 1000000000000 }, { price: 'max' }],
  ['price with 3 decimals', { price: 12.345 }, { price: 'decimals' }],
  ['price as a string', { price: '100' }, { price: 'type' }],
  ['price without currency', { price: 100, currency: undefined }, { currency: 'required' }],
  ['currency EUR', { currency: 'EUR' }, { currency: 'invalid' }],
  ['currency lower-case', { currency: 'usd' }, { currency: 'invalid' }],
  ['currency not a string', { currency: 1 }, { currency: 'type' }],
  ['price_unit per_day', { price_unit: 'per_day' }, { price_unit: 'invalid' }],
  ['category_id missing', { category_id: undefined }, { category_id: 'required' }],
  ['category_id of no category', { category_id: 99999 }, { category_id: 'not_found' }],
  ['category_id as a string', { category_id: '101' }, { category_id: 'type' }],
  ['province missing', { province: undefined }, { province: 'required' }],
  ['province without its accent', { province: 'Cordoba' }, { province: 'invalid' }],
  ['province unknown', { province: 'Narnia' }, { province: 'invalid' }],
  ['province not a string', { province: 7 }, { province: 'type' }],
  ['locality of 101 characters', { locality: 'ñ'.repeat(101) }, { locality: 'max_length' }],
  ['attributes an array', { attributes: [] }, { attributes: 'type' }],
  ['attributes a string', { attributes: 'brand=John Deere' }, { attributes: 'type' }],
  ['attributes over 8 KiB', { attributes: { brand: 'x'.repeat(8300) } }, { attributes: 'max_length' }],
  ['an attribute the category does not list', { attributes: { brand: 'Zanello', color: 'rojo' } }, { 'attributes.color': 'unknown' }],
  ["another category's attribute", { attributes: { breed: 'Hereford' } }, { 'attributes.breed': 'unknown' }],
  ['a number attribute as a string', { attributes: { year: '2015' } }, { 'attributes.year': 'type' }],
  ['a number attribute as a boolean', { attributes: { hp: true } }, { 'attributes.hp': 'type' }],
  ['a text attribute as a number', { attributes: { brand: 5 } }, { 'attributes.brand': 'type' }],
  ['an enum attribute as a number', { attributes: { traction: 2 } }, { 'attributes.traction': 'type' }],
  ['an enum value not among the options', { attributes: { traction: 'triple' } }, { 'attributes.traction': 'invalid' }],
  ["an inherited enum's bad value", { attributes: { condition: 'roto' } }, { 'attributes.condition': 'invalid' }],
  ['a bool attribute as a string', { category_id: 204, attributes: { tamed: 'true' } }, { 'attributes.tamed': 'type' }],
  ['a bool attribute as a number', { category_id: 204, attributes: { tamed: 1 } }, { 'attributes.tamed': 'type' }],
  ['an unknown member', { foo: 1 }, { foo: 'unknown' }],
  ['status is not creatable', { status: 'active' }, { status: 'unknown' }],
  ['views is not creatable', { views: 100 }, { views: 'unknown' }],
  [
    'several bad fields at once',
    { title: 'abc', price: -1, province: 'Narnia', attributes: { color: 'rojo' } },
    { title: 'min_length', price: 'min', province: 'invalid', 'attributes.color': 'unknown' },
  ],
]);

/** Bodies that are valid at the edges of each rule: [label, overrides, check(ad)]. */
export const CREATE_EDGES = Object.freeze([
  ['title of 5 characters once trimmed', { title: '   abcde   ' }, (ad) => assert.equal(ad.title.trim(), 'abcde')],
  ['title of 120 code points (emoji, 480 bytes)', { title: '\u{1F69C}'.repeat(120) }, (ad) => assert.equal(ad.title, '\u{1F69C}'.repeat(120))],
  ['title of 120 characters', { title: 'T'.repeat(120) }, (ad) => assert.equal(ad.title.length, 120)],
  ['description of 5000 accented characters', { description: 'á'.repeat(5000) }, (ad) => assert.equal(ad.description, 'á'.repeat(5000))],
  ['locality of 100 characters', { locality: 'ñ'.repeat(100) }, (ad) => assert.equal(ad.locality, 'ñ'.repeat(100))],
  ['price 0', { price: 0 }, (ad) => assert.equal(ad.price, 0)],
  ['price 999999999999.99', { price: 999999999999.99 }, (ad) => assert.equal(ad.price, 999999999999.99)],
  ['price with 2 decimals', { price: 1234.56, currency: 'ARS' }, (ad) => assert.equal(ad.price, 1234.56)],
  ['price null ("a consultar") without currency', { price: null, currency: undefined }, (ad) => assert.equal(ad.price, null)],
  ['every price_unit', { price_unit: 'per_ha', category_id: 301, attributes: { hectares: 120, water: true, use: 'mixto', operation: 'venta' } }, (ad) => assert.equal(ad.price_unit, 'per_ha')],
  ['per_head', { price_unit: 'per_head', category_id: 201, attributes: { breed: 'Hereford', head_count: 40 } }, (ad) => assert.equal(ad.price_unit, 'per_head')],
  ['per_kg', { price_unit: 'per_kg', category_id: 201, attributes: {} }, (ad) => assert.equal(ad.price_unit, 'per_kg')],
  ['per_month', { price_unit: 'per_month', category_id: 302, attributes: {} }, (ad) => assert.equal(ad.price_unit, 'per_month')],
  ['per_ton', { price_unit: 'per_ton', category_id: 401, attributes: { crop: 'soja' } }, (ad) => assert.equal(ad.price_unit, 'per_ton')],
  ['an inherited attribute (condition of Maquinaria agrícola)', { attributes: { condition: 'nuevo' } }, (ad) => assert.deepEqual(ad.attributes, { condition: 'nuevo' })],
  ['a bool attribute', { category_id: 204, attributes: { tamed: true, breed: 'Criollo', age_years: 6 } }, (ad) => assert.deepEqual(ad.attributes, { tamed: true, breed: 'Criollo', age_years: 6 })],
  ['no attributes at all', { attributes: undefined }, (ad) => assert.deepEqual(ad.attributes, {})],
]);

export function describeCatalogStore(store) {
  describe(`catalog, SESSION_STORE=${store}`, () => {
    let srv;
    let redis;
    let c;
    let db;
    let seller;
    let other;
    let admin;

    before(async () => {
      db = await freshDatabase(`catalog_${store}`);
      if (store === 'redis') redis = await startRedis();
      srv = await startCatalogServer({ store, databaseUrl: db, redisUrl: redis?.url });
      c = new CatalogClient(srv.port);
      seller = await c.newUser({ name: 'Ana Vendedora', province: 'Córdoba' }, 'seller');
      other = await c.newUser({ name: 'Otro Usuario', province: 'Salta' }, 'other');
      admin = await c.newUser({ name: 'Admin', province: 'Buenos Aires' }, 'admin');
      await promote(c, db, admin);
    });

    after(async () => {
      try {
        if (srv) assertCleanExit(await srv.stop());
      } finally {
        if (redis) await redis.stop();
      }
    });

    // -- POST /api/ads ------------------------------------------------------

    it('POST /api/ads: 201, Location, the full detail; active, 0 views, no images, expires AD_TTL_DAYS after creation', async () => {
      const body = adBody({ price_unit: undefined });
      const t0 = Date.now();
      const res = await c.createAd(seller.access, body);
      const ad = expectJson(res, 201, 'create');
      assert.equal(res.headers.location, `/api/ads/${ad.id}`, 'Location');
      assertDetail(ad, { privileged: true, what: 'created ad' });
      assert.equal(ad.title, body.title);
      assert.equal(ad.description, body.description);
      assert.equal(ad.price, 25000);
      assert.equal(ad.currency, 'USD');
      assert.equal(ad.price_unit, 'total', 'price_unit defaults to total');
      assert.deepEqual(ad.category, { id: 101, slug: 'tractores', name: 'Tractores' });
      assert.equal(ad.province, 'Córdoba');
      assert.equal(ad.locality, 'Río Cuarto');
      assert.deepEqual(ad.attributes, body.attributes);
      assert.deepEqual(ad.images, []);
      assert.equal(ad.thumbnail_url, null, 'no image, no thumbnail');
      assert.equal(ad.status, 'active');
      assert.equal(ad.views, 0);
      assert.equal(ad.is_featured, false);
      assert.equal(ad.featured_until, null);
      assert.deepEqual(
        { ...ad.user, member_since: undefined },
        { id: seller.user.id, name: 'Ana Vendedora', province: 'Córdoba', member_since: undefined },
      );
      assertNear(ad.user.member_since, seller.user.created_at, 1000, 'user.member_since is when the user registered');
      assertNear(ad.created_at, t0, 60000, 'created_at is now');
      assertNear(ad.expires_at, Date.parse(ad.created_at) + TEST_TTL_DAYS * DAY_MS, 60000, `expires_at = created_at + AD_TTL_DAYS (${TEST_TTL_DAYS})`);

      const got = expectJson(await c.ad(ad.id), 200, 'GET the new ad');
      assertDetail(got, { what: 'GET detail (anonymous)' });
      for (const k of DETAIL_KEYS) if (k !== 'views') assert.deepEqual(got[k], ad[k], `GET ${k} equals the created ${k}`);
    });

    it('POST /api/ads: only title, category_id and province are required', async () => {
      const ad = expectJson(
        await c.createAd(seller.access, { title: 'Vendo rollos de alfalfa', category_id: 4, province: 'La Pampa' }),
        201,
        'minimal create',
      );
      assertDetail(ad, { privileged: true });
      assert.equal(ad.price, null);
      assert.equal(ad.currency, null);
      assert.equal(ad.price_unit, 'total');
      assert.deepEqual(ad.attributes, {});
      assert.deepEqual(ad.category, { id: 4, slug: 'insumos', name: 'Insumos' });
    });

    for (const [label, overrides, check] of CREATE_EDGES) {
      it(`POST /api/ads accepts ${label}`, async () => {
        const ad = await c.newAd(seller.access, overrides);
        assertDetail(ad, { privileged: true });
        check(ad);
      });
    }

    for (const [label, overrides, fields] of CREATE_VALIDATION) {
      it(`POST /api/ads: ${label} → 400 validation_failed ${JSON.stringify(fields)}`, async () => {
        expectFields(await c.createAd(seller.access, adBody(overrides)), fields, { what: label });
      });
    }

    it('POST /api/ads: a NUL character in a string is 400 validation_failed', async () => {
      expectError(await c.createAd(seller.access, adBody({ title: 'Tractor\u0000 usado' })), 400, 'validation_failed');
    });

    it('POST /api/ads: not JSON → 400 invalid_json; no JSON Content-Type → 415; over 64 KiB → 413; no token → 401', async () => {
      expectError(await c.call('POST', '/api/ads', { token: seller.access, raw: '{"title": "Tractor"', contentType: 'application/json' }), 400, 'invalid_json');
      expectError(await c.call('POST', '/api/ads', { token: seller.access, raw: JSON.stringify(adBody()), contentType: 'text/plain' }), 415, 'unsupported_media_type');
      expectError(await c.call('POST', '/api/ads', { token: seller.access, raw: JSON.stringify(adBody()) }), 415, 'unsupported_media_type');
      expectError(await c.createAd(seller.access, adBody({ description: 'a'.repeat(70 * 1024) })), 413, 'payload_too_large');
      expectError(await c.createAd(undefined, adBody()), 401, 'unauthorized');
      expectError(await c.createAd('not-a-token', adBody()), 401, null);
    });

    // -- GET /api/ads/{id} ----------------------------------------------------

    it('GET /api/ads/{id}: 404 not_found for unknown ids and for ids that are not positive 64-bit integers', async () => {
      for (const id of ['999999999', 'abc', '0', '-1', '99999999999999999999', '1.5', '1e3', '%20']) {
        expectError(await c.ad(id), 404, 'not_found', `GET /api/ads/${id}`);
      }
      for (const id of ['abc', '0', '-1', '99999999999999999999']) {
        expectError(await c.patchAd(seller.access, id, { title: 'Otro título' }), 404, 'not_found', `PATCH /api/ads/${id}`);
        expectError(await c.deleteAd(seller.access, id), 404, 'not_found', `DELETE /api/ads/${id}`);
        expectError(await c.feature(admin.access, id, { days: 3 }), 404, 'not_found', `feature ${id}`);
        expectError(await c.userProfile(id), 404, 'not_found', `GET /api/users/${id}`);
        expectError(await c.userAds(id), 404, 'not_found', `GET /api/users/${id}/ads`);
      }
    });

    // -- PATCH /api/ads/{id} -------------------------------------------------

    it('PATCH by the owner changes the fields given and nothing else; {} changes nothing', async () => {
      const ad = await c.newAd(seller.access);
      const patched = await c.patchOk(seller.access, ad.id, { title: 'Tractor Deutz AX 120 listo para trabajar', price: 19999.99, locality: 'Bell Ville' });
      assertDetail(patched, { privileged: true });
      assert.equal(patched.title, 'Tractor Deutz AX 120 listo para trabajar');
      assert.equal(patched.price, 19999.99);
      assert.equal(patched.locality, 'Bell Ville');
      for (const k of ['id', 'description', 'currency', 'price_unit', 'category', 'province', 'attributes', 'created_at', 'status', 'expires_at', 'user']) {
        assert.deepEqual(patched[k], ad[k], `PATCH left ${k} alone`);
      }
      assert.ok(Date.parse(patched.updated_at) >= Date.parse(ad.updated_at), 'updated_at moved forward');
      const same = await c.patchOk(seller.access, ad.id, {});
      for (const k of DETAIL_KEYS) if (k !== 'views') assert.deepEqual(same[k], patched[k], `{} left ${k} unchanged`);
      const got = expectJson(await c.ad(ad.id), 200);
      assert.equal(got.title, patched.title, 'GET shows the patched title');
      assert.equal(got.price, 19999.99);
    });

    for (const [label, overrides, fields] of CREATE_VALIDATION) {
      // Every create rule holds on PATCH for the fields sent; "required" is
      // about creation, and status is patchable.
      if (Object.values(fields).includes('required') || 'status' in overrides) continue;
      it(`PATCH: ${label} → 400 validation_failed ${JSON.stringify(fields)}`, async () => {
        const ad = await getShared();
        const patch = { ...overrides };
        for (const k of Object.keys(patch)) if (patch[k] === undefined) delete patch[k];
        expectFields(await c.patchAd(seller.access, ad.id, patch), fields, { what: `PATCH ${label}` });
      });
    }

    let shared = null;
    async function getShared() {
      if (!shared) shared = await c.newAd(seller.access, { title: 'Aviso compartido de las pruebas de PATCH' });
      return shared;
    }

    it('PATCH: the failed patches above left the ad as it was', async () => {
      const ad = await getShared();
      const got = expectJson(await c.ad(ad.id, seller.access), 200);
      for (const k of DETAIL_KEYS) if (!['views', 'updated_at'].includes(k)) assert.deepEqual(got[k], ad[k], `${k} unchanged`);
    });

    it('PATCH status: only active, paused, sold; others → fields.status "invalid"', async () => {
      const ad = await c.newAd(seller.access);
      for (const status of ['expired', 'deleted', 'ACTIVE', 'vendido', '']) {
        expectFields(await c.patchAd(seller.access, ad.id, { status }), { status: 'invalid' }, { what: `status ${JSON.stringify(status)}` });
      }
      for (const status of ['paused', 'sold', 'active']) {
        assert.equal((await c.patchOk(seller.access, ad.id, { status })).status, status);
      }
    });

    it('PATCH/DELETE: 401 without a token; 403 forbidden for another user on an active ad, 404 on a non-active one', async () => {
      const ad = await c.newAd(seller.access);
      expectError(await c.patchAd(undefined, ad.id, { title: 'Robado por otro' }), 401, 'unauthorized');
      expectError(await c.deleteAd(undefined, ad.id), 401, 'unauthorized');
      expectError(await c.patchAd(other.access, ad.id, { title: 'Robado por otro' }), 403, 'forbidden');
      expectError(await c.patchAd(other.access, ad.id, {}), 403, 'forbidden');
      expectError(await c.deleteAd(other.access, ad.id), 403, 'forbidden');
      for (const status of ['paused', 'sold']) {
        await c.patchOk(seller.access, ad.id, { status });
        expectError(await c.patchAd(other.access, ad.id, { title: 'Robado por otro' }), 404, 'not_found', `PATCH of a ${status} ad by another user`);
        expectError(await c.deleteAd(other.access, ad.id), 404, 'not_found', `DELETE of a ${status} ad by another user`);
      }
      const got = expectJson(await c.ad(ad.id, seller.access), 200);
      assert.equal(got.title, ad.title, 'nothing changed');
      assert.equal(got.status, 'sold');
    });

    it('GET /api/ads/{id} of a paused or sold ad: 404 for anonymous callers and other users; 200 for the owner and admins', async () => {
      const ad = await c.newAd(seller.access);
      for (const status of ['paused', 'sold']) {
        await c.patchOk(seller.access, ad.id, { status });
        expectError(await c.ad(ad.id), 404, 'not_found', `anonymous, ${status}`);
        expectError(await c.ad(ad.id, other.access), 404, 'not_found', `other user, ${status}`);
        const mine = expectJson(await c.ad(ad.id, seller.access), 200, `owner, ${status}`);
        assertDetail(mine, { privileged: true });
        assert.equal(mine.status, status);
        const adm = expectJson(await c.ad(ad.id, admin.access), 200, `admin, ${status}`);
        assert.equal(adm.status, status);
      }
      await c.patchOk(seller.access, ad.id, { status: 'active' });
      assert.equal(expectJson(await c.ad(ad.id, other.access), 200).status, 'active', 'visible again once active');
    });

    it('PATCH category_id re-validates the attributes against the new category', async () => {
      const ad = await c.newAd(seller.access, { attributes: { brand: 'John Deere', year: 2015, hp: 110, traction: 'doble', condition: 'usado' } });
      // Bovinos (under Hacienda) lists none of these keys.
      const res = await c.patchAd(seller.access, ad.id, { category_id: 201 });
      expectFields(res, { 'attributes.brand': 'unknown', 'attributes.year': 'unknown', 'attributes.hp': 'unknown', 'attributes.traction': 'unknown', 'attributes.condition': 'unknown' }, { what: 'move to bovinos' });
      // Cosechadoras lists brand, year, traction and (inherited) condition, not hp.
      expectFields(await c.patchAd(seller.access, ad.id, { category_id: 102 }), { 'attributes.hp': 'unknown' }, { what: 'move to cosechadoras' });
      expectFields(await c.patchAd(seller.access, ad.id, { category_id: 99999 }), { category_id: 'not_found' });
      const moved = await c.patchOk(seller.access, ad.id, { category_id: 102, attributes: { brand: 'Claas', header_ft: 30, condition: 'usado' } });
      assert.deepEqual(moved.category, { id: 102, slug: 'cosechadoras', name: 'Cosechadoras' });
      assert.deepEqual(moved.attributes, { brand: 'Claas', header_ft: 30, condition: 'usado' });
      // New attributes are checked against the ad's category when only they change.
      expectFields(await c.patchAd(seller.access, ad.id, { attributes: { hp: 200 } }), { 'attributes.hp': 'unknown' });
    });

    it('PATCH: not JSON → 400 invalid_json; no JSON Content-Type → 415; an unknown ad → 404', async () => {
      const ad = await c.newAd(seller.access);
      expectError(await c.call('PATCH', `/api/ads/${ad.id}`, { token: seller.access, raw: '{"title":', contentType: 'application/json' }), 400, 'invalid_json');
      expectError(await c.call('PATCH', `/api/ads/${ad.id}`, { token: seller.access, raw: '{"title":"Tractor nuevo"}' }), 415, 'unsupported_media_type');
      expectError(await c.patchAd(seller.access, 987654321, { title: 'No existe este aviso' }), 404, 'not_found');
    });

    it('an admin may edit, feature and delete any ad, and sees non-active ones', async () => {
      const ad = await c.newAd(seller.access);
      const edited = await c.patchOk(admin.access, ad.id, { title: 'Título corregido por moderación' });
      assert.equal(edited.title, 'Título corregido por moderación');
      assert.equal(edited.user.id, seller.user.id, 'the owner stays the owner');
      await c.patchOk(admin.access, ad.id, { status: 'paused' });
      assert.equal(expectJson(await c.ad(ad.id, admin.access), 200).status, 'paused');
      const del = await c.deleteAd(admin.access, ad.id);
      assert.equal(del.status, 204, `admin DELETE: ${del.status} ${del.body}`);
      expectError(await c.ad(ad.id, seller.access), 404, 'not_found', 'deleted by the admin');
    });

    // -- DELETE /api/ads/{id} --------------------------------------------------

    it('DELETE by the owner: 204; then 404 for everyone, gone from search, my ads and the profile; a second DELETE is 404', async () => {
      const word = uniqueWord('borrar');
      const ad = await c.newAd(seller.access, { title: `Sembradora ${word} para borrar`, category_id: 103, attributes: {} });
      const keep = await c.newAd(seller.access, { title: `Sembradora ${word} que queda`, category_id: 103, attributes: {} });
      const res = await c.deleteAd(seller.access, ad.id);
      assert.equal(res.status, 204, `DELETE: ${res.status} ${res.body}`);
      assert.equal(res.body.length, 0, '204 has no body');
      for (const token of [undefined, seller.access, other.access, admin.access]) {
        expectError(await c.ad(ad.id, token), 404, 'not_found', 'GET a deleted ad');
      }
      const found = expectJson(await c.search({ q: word }), 200);
      assert.deepEqual(found.items.map((i) => i.id), [keep.id], 'search finds only the ad left');
      const mine = await c.walk('/api/me/ads?limit=50', { token: seller.access, limit: 50 });
      assert.ok(!mine.ids.includes(ad.id), 'not in /api/me/ads');
      assert.ok(mine.ids.includes(keep.id));
      for (const status of ['active', 'paused', 'sold', 'expired']) {
        const r = await c.walk(`/api/me/ads?status=${status}&limit=50`, { token: seller.access, limit: 50 });
        assert.ok(!r.ids.includes(ad.id), `not in /api/me/ads?status=${status}`);
      }
      expectError(await c.deleteAd(seller.access, ad.id), 404, 'not_found', 'second DELETE');
      expectError(await c.patchAd(seller.access, ad.id, { status: 'active' }), 404, 'not_found', 'PATCH a deleted ad');
    });

    // -- POST /api/ads/{id}/feature and GET /api/ads/featured ------------------

    it('POST /api/ads/{id}/feature: admin only; days an integer 1..90; 200 detail featured until now + days', async () => {
      const ad = await c.newAd(seller.access);
      expectError(await c.feature(undefined, ad.id, { days: 7 }), 401, 'unauthorized');
      expectError(await c.feature(seller.access, ad.id, { days: 7 }), 403, 'forbidden', 'the owner is not an admin');
      expectError(await c.feature(other.access, ad.id, { days: 7 }), 403, 'forbidden');
      for (const days of [0, 91, -1, 1.5, '7', null, true]) {
        expectFieldNamed(await c.feature(admin.access, ad.id, { days }), 'days', `days ${JSON.stringify(days)}`);
      }
      expectFieldNamed(await c.feature(admin.access, ad.id, {}), 'days', 'days missing');
      expectError(await c.feature(admin.access, 987654321, { days: 7 }), 404, 'not_found');
      const t0 = Date.now();
      const res = await c.feature(admin.access, ad.id, { days: 7 });
      const d = expectJson(res, 200, 'feature');
      assertDetail(d, { privileged: true });
      assert.equal(d.id, ad.id);
      assert.equal(d.is_featured, true);
      assertNear(d.featured_until, t0 + 7 * DAY_MS, 60000, 'featured_until = now + 7 days');
      for (const days of [1, 90]) {
        const e = expectJson(await c.feature(admin.access, ad.id, { days }), 200, `days ${days}`);
        assertNear(e.featured_until, Date.now() + days * DAY_MS, 60000, `featured_until = now + ${days} days`);
      }
      const got = expectJson(await c.ad(ad.id), 200);
      assert.equal(got.is_featured, true);
    });

    it('GET /api/ads/featured: featured active ads newest first; not paused, expired or past featured_until ones', async () => {
      const a = await c.newAd(seller.access, { title: 'Destacado uno, el más viejo' });
      const b = await c.newAd(seller.access, { title: 'Destacado dos, el del medio' });
      const x = await c.newAd(seller.access, { title: 'Destacado que se vence' });
      const y = await c.newAd(seller.access, { title: 'Destacado que se pausa' });
      const z = await c.newAd(seller.access, { title: 'Destacado cuya destacada terminó' });
      const cc = await c.newAd(seller.access, { title: 'Destacado tres, el más nuevo' });
      // Featured in another order than created: the list goes by the ads' age.
      for (const ad of [cc, z, y, x, a, b]) expectJson(await c.feature(admin.access, ad.id, { days: 10 }), 200);
      await expireInDb(db, x.id);
      await psql(db, `UPDATE ads SET featured_until = now() - interval '1 minute' WHERE id = ${z.id}`);
      await c.patchOk(seller.access, y.id, { status: 'paused' }); // an ad write after the direct changes
      const body = expectJson(await c.featured(), 200, 'featured');
      assert.deepEqual(Object.keys(body), ['items']);
      for (const s of body.items) assertSummary(s, { what: 'featured item' });
      const mineInOrder = body.items.map((i) => i.id).filter((id) => [a.id, b.id, cc.id, x.id, y.id, z.id].includes(id));
      assert.deepEqual(mineInOrder, [cc.id, b.id, a.id], 'newest first, only active, unexpired, featured_until in the future');
      for (const s of body.items) assert.equal(s.is_featured, true);
      const times = body.items.map((i) => Date.parse(i.created_at));
      for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] >= times[i], 'the whole list is newest first');
    });

    // -- Expiry --------------------------------------------------------------

    it('an ad past expires_at is expired everywhere before any sweep; PATCH status active renews it', async () => {
      const owner = await c.newUser({ name: 'Dueño Vencido', province: 'Chaco' }, 'expiry');
      const word = uniqueWord('vence');
      const gone = await c.newAd(owner.access, { title: `Rastra ${word} vencida`, category_id: 105, attributes: {} });
      const live = await c.newAd(owner.access, { title: `Rastra ${word} vigente`, category_id: 105, attributes: {} });
      for (const ad of [gone, live]) expectJson(await c.feature(admin.access, ad.id, { days: 30 }), 200);
      await expireInDb(db, gone.id);

      assert.deepEqual(expectJson(await c.search({ q: word }), 200).items.map((i) => i.id), [live.id], 'search');
      const feat = expectJson(await c.featured({ limit: 50 }), 200).items.map((i) => i.id);
      assert.ok(feat.includes(live.id) && !feat.includes(gone.id), 'featured');
      assert.equal(expectJson(await c.userProfile(owner.user.id), 200).active_ads, 1, 'active_ads');
      assert.deepEqual((await c.walk(`/api/users/${owner.user.id}/ads`)).ids, [live.id], 'user ads');
      expectError(await c.ad(gone.id), 404, 'not_found', 'anonymous detail');
      expectError(await c.ad(gone.id, other.access), 404, 'not_found', 'detail for another user');
      const own = expectJson(await c.ad(gone.id, owner.access), 200, 'detail for the owner');
      assert.equal(own.status, 'expired', 'the owner sees it as expired');
      assert.equal(expectJson(await c.ad(gone.id, admin.access), 200).status, 'expired');
      assert.deepEqual((await c.walk('/api/me/ads?status=expired', { token: owner.access })).ids, [gone.id], 'me/ads?status=expired');
      assert.deepEqual((await c.walk('/api/me/ads?status=active', { token: owner.access })).ids, [live.id], 'me/ads?status=active');
      const all = (await c.walk('/api/me/ads', { token: owner.access })).items;
      assert.deepEqual(all.map((i) => [i.id, i.status]), [[live.id, 'active'], [gone.id, 'expired']]);
      expectError(await c.patchAd(other.access, gone.id, { title: 'Ajeno y vencido' }), 404, 'not_found', 'PATCH by another user');

      const t0 = Date.now();
      const renewed = await c.patchOk(owner.access, gone.id, { status: 'active' });
      assert.equal(renewed.status, 'active');
      assertNear(renewed.expires_at, t0 + TEST_TTL_DAYS * DAY_MS, 60000, 'renewal: expires_at = now + AD_TTL_DAYS');
      assert.deepEqual(new Set(expectJson(await c.search({ q: word }), 200).items.map((i) => i.id)), new Set([live.id, gone.id]), 'back in search');
      assert.equal(expectJson(await c.userProfile(owner.user.id), 200).active_ads, 2);
      assert.equal(expectJson(await c.ad(gone.id), 200).status, 'active');
    });

    it('an ad the sweep marked expired: PATCH status active renews it too', async () => {
      const word = uniqueWord('barrido');
      const ad = await c.newAd(seller.access, { title: `Cincel ${word} marcado vencido`, category_id: 105, attributes: {} });
      await psql(db, `UPDATE ads SET status = 'expired', expires_at = now() - interval '1 day' WHERE id = ${ad.id}`);
      expectError(await c.ad(ad.id), 404, 'not_found');
      const renewed = await c.patchOk(seller.access, ad.id, { status: 'active' });
      assertNear(renewed.expires_at, Date.now() + TEST_TTL_DAYS * DAY_MS, 60000, 'renewed');
      assert.deepEqual(expectJson(await c.search({ q: word }), 200).items.map((i) => i.id), [ad.id]);
    });

    // -- GET /api/me/ads -----------------------------------------------------

    it('GET /api/me/ads: the caller\'s ads in any status but deleted, newest first, with status; filters and pages', async () => {
      const me = await c.newUser({}, 'myads');
      const a1 = await c.newAd(me.access);
      const a2 = await c.newAd(me.access);
      const a3 = await c.newAd(me.access);
      const a4 = await c.newAd(me.access);
      await c.newAd(other.access);
      await c.patchOk(me.access, a2.id, { status: 'paused' });
      await c.patchOk(me.access, a3.id, { status: 'sold' });
      assert.equal((await c.deleteAd(me.access, a4.id)).status, 204);

      expectError(await c.myAds(undefined), 401, 'unauthorized');
      const res = await c.myAds(me.access);
      const body = expectJson(res, 200);
      assert.deepEqual(Object.keys(body).sort(), ['items', 'next_cursor']);
      assert.equal(body.next_cursor, null);
      for (const s of body.items) assertSummary(s, { withStatus: true, what: 'my ad' });
      assert.deepEqual(body.items.map((i) => [i.id, i.status]), [[a3.id, 'sold'], [a2.id, 'paused'], [a1.id, 'active']]);
      for (const [status, ids] of [['active', [a1.id]], ['paused', [a2.id]], ['sold', [a3.id]], ['expired', []]]) {
        assert.deepEqual(expectJson(await c.myAds(me.access, { status }), 200).items.map((i) => i.id), ids, `status=${status}`);
      }
      for (const status of ['deleted', 'foo', 'ACTIVE']) {
        expectError(await c.myAds(me.access, { status }), 400, 'invalid_parameter', `status=${status}`);
      }
      for (const limit of ['0', '51', 'abc', '-1', '1.5']) {
        expectError(await c.myAds(me.access, { limit }), 400, 'invalid_parameter', `limit=${limit}`);
      }
      const walked = await c.walk('/api/me/ads?limit=1', { token: me.access, limit: 1 });
      assert.deepEqual(walked.ids, [a3.id, a2.id, a1.id], 'limit=1 pages');
      assert.equal(walked.pages.length, 3);
      expectError(await c.myAds(me.access, { cursor: 'garbage' }), 400, 'invalid_cursor');
    });

    // -- GET /api/users/{id} and /api/users/{id}/ads ---------------------------

    it('GET /api/users/{id}: public profile with the count of active ads; /ads: active ads newest first, paginated', async () => {
      const u = await c.newUser({ name: 'Perfil Público', province: 'Entre Ríos' }, 'profile');
      const p0 = expectJson(await c.userProfile(u.user.id), 200);
      assert.deepEqual(Object.keys(p0).sort(), ['active_ads', 'id', 'member_since', 'name', 'province']);
      assert.deepEqual({ ...p0, member_since: undefined }, { id: u.user.id, name: 'Perfil Público', province: 'Entre Ríos', active_ads: 0, member_since: undefined });
      assertNear(p0.member_since, u.user.created_at, 1000, 'member_since');
      assert.match(p0.member_since, RFC3339_UTC);
      const ads = [];
      for (let i = 0; i < 5; i++) ads.push(await c.newAd(u.access));
      await c.patchOk(u.access, ads[1].id, { status: 'paused' });
      await c.patchOk(u.access, ads[2].id, { status: 'sold' });
      assert.equal((await c.deleteAd(u.access, ads[3].id)).status, 204);
      const p = expectJson(await c.userProfile(u.user.id), 200);
      assert.equal(p.active_ads, 2);
      const first = expectJson(await c.userAds(u.user.id), 200);
      assert.deepEqual(Object.keys(first).sort(), ['items', 'next_cursor']);
      for (const s of first.items) assertSummary(s, { what: 'user ad' });
      assert.deepEqual(first.items.map((i) => i.id), [ads[4].id, ads[0].id]);
      const walked = await c.walk(`/api/users/${u.user.id}/ads?limit=1`, { limit: 1 });
      assert.deepEqual(walked.ids, [ads[4].id, ads[0].id]);
      expectError(await c.userProfile(987654321), 404, 'not_found');
      expectError(await c.userAds(987654321), 404, 'not_found');
      for (const limit of ['0', '51', 'x']) expectError(await c.userAds(u.user.id, { limit }), 400, 'invalid_parameter', `limit=${limit}`);
      expectError(await c.userAds(u.user.id, { cursor: 'AAAA' }), 400, 'invalid_cursor');
    });

    // -- Exchange rate -------------------------------------------------------

    it('PUT /api/exchange-rate: admin only; usd_ars > 0; USD ads are re-priced for cross-currency search at once', async () => {
      const r0 = expectJson(await c.rate(), 200);
      assert.deepEqual(Object.keys(r0).sort(), ['updated_at', 'usd_ars']);
      assert.equal(r0.usd_ars, 1000, 'the first rate comes from USD_ARS_RATE');
      assert.match(r0.updated_at, RFC3339_UTC);

      expectError(await c.putRate(undefined, { usd_ars: 1500 }), 401, 'unauthorized');
      expectError(await c.putRate(seller.access, { usd_ars: 1500 }), 403, 'forbidden');
      for (const bad of [{ usd_ars: 0 }, { usd_ars: -5 }, { usd_ars: 'abc' }, { usd_ars: null }, {}, { usd_ars: '1500' }]) {
        expectError(await c.putRate(admin.access, bad), 400, 'validation_failed', JSON.stringify(bad));
      }
      expectError(await c.call('PUT', '/api/exchange-rate', { token: admin.access, raw: '{"usd_ars":' , contentType: 'application/json' }), 400, 'invalid_json');
      expectError(await c.call('PUT', '/api/exchange-rate', { token: admin.access, raw: '{"usd_ars":1500}' }), 415, 'unsupported_media_type');

      const word = uniqueWord('cambio');
      const usd = await c.newAd(seller.access, { title: `Tolva ${word} en dólares`, price: 100, currency: 'USD', category_id: 105, attributes: {} });
      const ars = await c.newAd(seller.access, { title: `Tolva ${word} en pesos`, price: 150000, currency: 'ARS', category_id: 105, attributes: {} });
      const ids = async (params) => expectJson(await c.search({ q: word, sort: 'price_asc', ...params }), 200).items.map((i) => i.id);
      const ars150k = { min_price: 150000, max_price: 150000 };
      const usd100 = { min_price: 100, max_price: 100, price_currency: 'USD' };
      assert.deepEqual(await ids(ars150k), [ars.id], 'at 1000, only the peso ad is worth 150000 ARS');
      assert.deepEqual(await ids(usd100), [usd.id], 'at 1000, USD 100 is only the dollar ad');
      assert.deepEqual(await ids({}), [usd.id, ars.id], 'at 1000, USD 100 (100000 ARS) < 150000 ARS');

      const t0 = Date.now();
      const put = expectJson(await c.putRate(admin.access, { usd_ars: 1500 }), 200, 'PUT 1500');
      assert.deepEqual(Object.keys(put).sort(), ['updated_at', 'usd_ars']);
      assert.equal(put.usd_ars, 1500);
      assertNear(put.updated_at, t0, 60000, 'updated_at');
      assert.equal(expectJson(await c.rate(), 200).usd_ars, 1500, 'GET after PUT');
      assert.deepEqual(new Set(await ids(ars150k)), new Set([usd.id, ars.id]), 'at 1500, USD 100 = 150000 ARS matches too');
      assert.deepEqual(new Set(await ids(usd100)), new Set([usd.id, ars.id]), 'at 1500, 150000 ARS = USD 100');
      const back = expectJson(await c.putRate(admin.access, { usd_ars: 1000 }), 200);
      assert.equal(back.usd_ars, 1000);
      assert.deepEqual(await ids(ars150k), [ars.id], 'back at 1000');
    });
  });
}

/** 400 validation_failed whose error.fields names `field` (any reason). */
export function expectFieldNamed(res, field, what = '') {
  const body = expectError(res, 400, 'validation_failed', what);
  assert.ok(body.error.fields && typeof body.error.fields[field] === 'string', `${what}: error.fields names ${field}: ${res.body}`);
  return body;
}
