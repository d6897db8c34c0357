// Helpers for the notification integration tests (issue 12 "Saved searches
// and notifications"): a client for the saved-search and notification
// routes on top of the moderation client, the shapes API.md gives them, and
// the database moves the tests make instead of waiting (expires_at set by
// hand, the leases read from job_leases).

import assert from 'node:assert/strict';

import { RFC3339_UTC, assertSummary, expectJson, qs, startCatalogServer } from './catalog.mjs';
import { ModerationClient } from './moderation.mjs';
import { psql, rows, value } from './pg.mjs';
import { sleep } from './server.mjs';

/** The jobs' periods of the test servers: short, so that nothing waits long. */
export const MATCHER_MS = 300;
export const EXPIRY_MS = 500;

export const NOTIFICATION_TYPES = Object.freeze(['saved_search_match', 'price_drop', 'ad_expiring', 'ad_expired', 'ad_moderated']);

/** A catalog server with the jobs' periods short (extra wins). */
export function startNotifyServer(opts) {
  return startCatalogServer({
    ...opts,
    extra: { MATCHER_INTERVAL_MS: String(MATCHER_MS), EXPIRY_INTERVAL_MS: String(EXPIRY_MS), ...(opts.extra ?? {}) },
  });
}

export class NotifyClient extends ModerationClient {
  savedSearches(token, opts) {
    return this.call('GET', '/api/me/saved-searches', { token, ...opts });
  }
  saveSearch(token, body, opts) {
    return this.call('POST', '/api/me/saved-searches', { token, body, ...opts });
  }
  deleteSavedSearch(token, id, opts) {
    return this.call('DELETE', `/api/me/saved-searches/${id}`, { token, ...opts });
  }
  seen(token, id, opts) {
    return this.call('POST', `/api/me/saved-searches/${id}/seen`, { token, ...opts });
  }
  notifications(token, params = {}, opts) {
    return this.call('GET', `/api/me/notifications${qs(params)}`, { token, ...opts });
  }
  markRead(token, body, opts) {
    return this.call('POST', '/api/me/notifications/read', { token, body, ...opts });
  }

  /** POST /api/me/saved-searches that must answer 201; returns it. */
  async saveOk(token, name, query) {
    const s = expectJson(await this.saveSearch(token, { name, query }), 201, `save ${name} ${JSON.stringify(query)}`);
    assertSavedSearch(s);
    return s;
  }

  /** Every notification of the caller, newest first (follows next_cursor). */
  async allNotifications(token) {
    const items = [];
    let before;
    for (let n = 0; n < 100; n++) {
      const body = expectJson(await this.notifications(token, { before, limit: 100 }), 200, 'notifications');
      items.push(...body.items);
      if (body.next_cursor === null) return items;
      before = body.next_cursor;
    }
    throw new Error('notifications: more than 100 pages');
  }

  /** Waits (bounded) until the caller has a notification for which pred is
   *  true; returns it. */
  async waitNotification(token, pred, { timeoutMs = 8000, what = 'notification' } = {}) {
    const t0 = Date.now();
    for (;;) {
      const found = (await this.allNotifications(token)).find(pred);
      if (found) return found;
      if (Date.now() - t0 > timeoutMs) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}

/** A saved search as API.md lists it. */
export function assertSavedSearch(s, what = 'saved search') {
  assert.deepEqual(Object.keys(s).sort(), ['created_at', 'id', 'name', 'new_count', 'query'], `${what} keys`);
  assert.ok(Number.isSafeInteger(s.id) && s.id > 0, `${what}.id`);
  assert.equal(typeof s.name, 'string');
  assert.ok(s.query && typeof s.query === 'object' && !Array.isArray(s.query), `${what}.query is an object`);
  assert.ok(Number.isSafeInteger(s.new_count) && s.new_count >= 0, `${what}.new_count`);
  assert.match(s.created_at, RFC3339_UTC);
}

/** A notification as API.md shows it, with its data for its type. */
export function assertNotification(n, what = 'notification') {
  assert.deepEqual(Object.keys(n).sort(), ['created_at', 'data', 'id', 'read_at', 'type'], `${what} keys`);
  assert.ok(Number.isSafeInteger(n.id) && n.id > 0, `${what}.id`);
  assert.ok(NOTIFICATION_TYPES.includes(n.type), `${what}.type ${n.type}`);
  assert.match(n.created_at, RFC3339_UTC);
  assert.ok(n.read_at === null || RFC3339_UTC.test(n.read_at), `${what}.read_at`);
  const d = n.data;
  switch (n.type) {
    case 'saved_search_match':
      assert.deepEqual(Object.keys(d).sort(), ['ads', 'count', 'name', 'saved_search_id']);
      assert.ok(Number.isSafeInteger(d.count) && d.count >= 1);
      assert.ok(Array.isArray(d.ads) && d.ads.length >= 1 && d.ads.length <= 3, `${what}.ads: 1 to 3`);
      for (const a of d.ads) assertSummary(a, { what: `${what}.ads[]` });
      break;
    case 'price_drop':
      assert.deepEqual(Object.keys(d).sort(), ['ad', 'new_price', 'old_price']);
      assertSummary(d.ad, { what: `${what}.ad` });
      assert.ok(d.new_price < d.old_price);
      break;
    case 'ad_expiring':
      assert.deepEqual(Object.keys(d).sort(), ['ad', 'expires_at']);
      assertSummary(d.ad, { what: `${what}.ad` });
      assert.match(d.expires_at, RFC3339_UTC);
      break;
    case 'ad_expired':
      assert.deepEqual(Object.keys(d), ['ad']);
      assertSummary(d.ad, { what: `${what}.ad` });
      break;
    case 'ad_moderated':
      assert.deepEqual(Object.keys(d).sort(), ['action', 'ad_id', 'note', 'title']);
      break;
  }
}

/** The stored notifications of a user of a type (from the database). */
export async function storedCount(db, userId, type) {
  return Number(await value(db, `SELECT count(*) FROM notifications WHERE user_id = ${Number(userId)} AND type = '${type}'`));
}

/** The lease rows: {name: {owner, runs}}. */
export async function leases(db) {
  const out = {};
  for (const [name, owner, runs, live] of await rows(db, `SELECT name, owner, runs, expires_at > now() FROM job_leases ORDER BY name`)) {
    out[name] = { owner, runs: Number(runs), pid: Number(owner.split(':')[1]), live: live === 't' };
  }
  return out;
}

/** Moves an ad's expiry to `interval` from now (a PostgreSQL interval). */
export function setExpiry(db, adId, interval) {
  return psql(db, `UPDATE ads SET expires_at = now() + interval '${interval}' WHERE id = ${Number(adId)}`);
}
