// Helpers for the moderation integration tests (issue 10 "Favorites and
// reports", "Moderation"): a client for the favorites, reports and admin
// routes on top of the catalog client, the shapes API.md gives them, and a
// server setup with users, an admin and ads.
//
// Everything talks to the real binary over real sockets against a real
// PostgreSQL (and Redis where the test needs two instances); the database is
// read directly (psql) only to check what the API does not show: audit rows,
// stored notifications, indexes.

import assert from 'node:assert/strict';

import { CatalogClient, RFC3339_UTC, assertSummary, expectJson, qs } from './catalog.mjs';
import { rows } from './pg.mjs';

export const REASONS = Object.freeze(['spam', 'fraud', 'wrong_category', 'offensive', 'other']);
export const ACTIONS = Object.freeze(['dismiss', 'pause', 'delete']);

export class ModerationClient extends CatalogClient {
  favorite(token, id, opts) {
    return this.call('PUT', `/api/ads/${id}/favorite`, { token, ...opts });
  }
  unfavorite(token, id, opts) {
    return this.call('DELETE', `/api/ads/${id}/favorite`, { token, ...opts });
  }
  favorites(token, params = {}, opts) {
    return this.call('GET', `/api/me/favorites${qs(params)}`, { token, ...opts });
  }
  report(token, id, body, opts) {
    return this.call('POST', `/api/ads/${id}/report`, { token, body, ...opts });
  }
  queue(token, params = {}, opts) {
    return this.call('GET', `/api/admin/reports${qs(params)}`, { token, ...opts });
  }
  moderate(token, id, body, opts) {
    return this.call('POST', `/api/admin/ads/${id}/moderate`, { token, body, ...opts });
  }

  /** The ids of the caller's favorites list (the first page, up to 100). */
  async favoriteIds(token) {
    const body = expectJson(await this.favorites(token), 200, 'GET /api/me/favorites');
    return body.items.map((i) => i.id);
  }

  /** POST .../report that must answer 201; returns the report. */
  async reportOk(token, id, body = { reason: 'spam' }) {
    const res = await this.report(token, id, body);
    const r = expectJson(res, 201, `report ad ${id} ${JSON.stringify(body).slice(0, 100)}`);
    assertReport(r, { adId: id, reason: body.reason, details: body.details ?? null });
    return r;
  }

  /** POST .../moderate that must answer 200; returns the answer. */
  async moderateOk(token, id, body) {
    return expectJson(await this.moderate(token, id, body), 200, `moderate ad ${id} ${JSON.stringify(body)}`);
  }

  /** Follows the admin queue's next_cursor; returns every item. */
  async queueAll(token, params = {}) {
    const items = [];
    let cursor;
    for (let n = 0; n < 200; n++) {
      const body = expectJson(await this.queue(token, { ...params, cursor }), 200, `queue page ${n + 1}`);
      items.push(...body.items);
      if (body.next_cursor === null) return items;
      cursor = body.next_cursor;
    }
    throw new Error('queue: more than 200 pages');
  }
}

/** A report as POST .../report answers it. */
export function assertReport(r, { adId, reason, details } = {}) {
  assert.deepEqual(Object.keys(r).sort(), ['ad_id', 'created_at', 'details', 'id', 'reason']);
  assert.ok(Number.isSafeInteger(r.id) && r.id > 0, `report id ${r.id}`);
  if (adId !== undefined) assert.equal(r.ad_id, adId);
  if (reason !== undefined) assert.equal(r.reason, reason);
  if (details !== undefined) assert.equal(r.details, details);
  assert.match(r.created_at, RFC3339_UTC);
}

/** An item of the admin queue: {"ad": summary + status + under_review,
 *  "report_count", "reports": [...]}. */
export function assertQueueItem(item, what = 'queue item') {
  assert.deepEqual(Object.keys(item).sort(), ['ad', 'report_count', 'reports'], `${what} keys`);
  const { status, under_review: underReview, ...summary } = item.ad;
  assertSummary(summary, { what: `${what}.ad` });
  assert.ok(['active', 'paused', 'sold', 'expired', 'deleted'].includes(status), `${what}.ad.status ${status}`);
  assert.equal(typeof underReview, 'boolean', `${what}.ad.under_review`);
  assert.ok(Number.isSafeInteger(item.report_count) && item.report_count > 0, `${what}.report_count`);
  assert.ok(Array.isArray(item.reports) && item.reports.length > 0, `${what}.reports`);
  for (const r of item.reports) {
    assert.deepEqual(Object.keys(r).sort(), ['created_at', 'details', 'id', 'reason', 'reporter'], `${what} report keys`);
    assert.deepEqual(Object.keys(r.reporter).sort(), ['id', 'name']);
    assert.ok(REASONS.includes(r.reason));
    assert.match(r.created_at, RFC3339_UTC);
  }
}

/** The admin_actions rows of an ad, oldest first, as objects. */
export async function auditRows(db, where) {
  const out = await rows(
    db,
    `SELECT json_build_object('id', id, 'admin_id', admin_id, 'action', action, 'ad_id', ad_id, 'note', note,
                              'detail', detail, 'created_at', created_at)
     FROM admin_actions WHERE ${where} ORDER BY id`,
  );
  return out.map((r) => JSON.parse(r[0]));
}

/** A user's stored notifications, oldest first, as objects. */
export async function notificationRows(db, userId) {
  const out = await rows(
    db,
    `SELECT json_build_object('id', id, 'type', type, 'data', data, 'event_key', event_key,
                              'created_at', created_at, 'read_at', read_at)
     FROM notifications WHERE user_id = ${Number(userId)} ORDER BY id`,
  );
  return out.map((r) => JSON.parse(r[0]));
}
