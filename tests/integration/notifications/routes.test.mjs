// The routes of API.md "Saved searches and notifications" against the real
// server and PostgreSQL: every answer and every error (401, 404 for unknown
// and foreign ids, validation of name and query with the search's own codes,
// the 21st saved search), the notification list's pages, unread_count and
// read marks.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { expectError, expectJson } from '../lib/catalog.mjs';
import { NotifyClient, assertNotification, assertSavedSearch, startNotifyServer } from '../lib/notifications.mjs';
import { freshDatabase, psql } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';

describe('saved searches and notifications: routes', () => {
  let db;
  let srv;
  let c;
  let u;
  let other;

  before(async () => {
    db = await freshDatabase('notify_routes');
    srv = await startNotifyServer({ store: 'db', databaseUrl: db });
    c = new NotifyClient(srv.port);
    u = await c.newUser({}, 'ssowner');
    other = await c.newUser({}, 'ssother');
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('401 without a token on every route', async () => {
    expectError(await c.savedSearches(undefined), 401, 'unauthorized');
    expectError(await c.saveSearch(undefined, { name: 'x', query: {} }), 401, 'unauthorized');
    expectError(await c.deleteSavedSearch(undefined, 1), 401, 'unauthorized');
    expectError(await c.seen(undefined, 1), 401, 'unauthorized');
    expectError(await c.notifications(undefined), 401, 'unauthorized');
    expectError(await c.markRead(undefined, { up_to: 1 }), 401, 'unauthorized');
  });

  it('creates, lists newest first, keeps only search parameters as text', async () => {
    const empty = expectJson(await c.savedSearches(other.access), 200);
    assert.deepEqual(empty, { items: [] });
    const query = {
      q: 'John Deere',
      category: 'tractores',
      province: 'Córdoba',
      currency: 'USD',
      max_price: 60000,
      'attr.year.min': 2015,
      sort: 'price_asc',
      limit: 5,
      cursor: 'abc',
      utm_source: 'mail',
    };
    const res = await c.saveSearch(u.access, { name: '  Tractor JD  ', query });
    const s = expectJson(res, 201);
    assertSavedSearch(s);
    assert.equal(s.name, 'Tractor JD');
    assert.equal(s.new_count, 0);
    assert.deepEqual(s.query, {
      q: 'John Deere',
      category: 'tractores',
      province: 'Córdoba',
      currency: 'USD',
      max_price: '60000',
      'attr.year.min': '2015',
    });
    const s2 = await c.saveOk(u.access, 'Todo', {});
    assert.deepEqual(s2.query, {});
    const list = expectJson(await c.savedSearches(u.access), 200);
    assert.deepEqual(
      list.items.map((i) => i.id),
      [s2.id, s.id],
    );
    for (const i of list.items) assertSavedSearch(i);
    assert.deepEqual(list.items[1], s);
    // Another user sees none of them.
    assert.deepEqual(expectJson(await c.savedSearches(other.access), 200).items, []);
  });

  it('name: required, a string, 1 to 100 characters, no control characters', async () => {
    const cases = [
      [{ query: {} }, 'required'],
      [{ name: null, query: {} }, 'required'],
      [{ name: 5, query: {} }, 'type'],
      [{ name: '   ', query: {} }, 'min_length'],
      [{ name: 'x'.repeat(101), query: {} }, 'max_length'],
      [{ name: 'a\u0007b', query: {} }, 'invalid'],
    ];
    for (const [body, reason] of cases) {
      const r = expectError(await c.saveSearch(other.access, body), 400, 'validation_failed');
      assert.equal(r.error.fields.name, reason, JSON.stringify(body));
    }
    // 100 characters (not bytes) are fine.
    await c.saveOk(other.access, 'ñ'.repeat(100), {});
  });

  it('query: required and an object', async () => {
    for (const [body, reason] of [
      [{ name: 'x' }, 'required'],
      [{ name: 'x', query: [] }, 'type'],
      [{ name: 'x', query: 'q=tractor' }, 'type'],
    ]) {
      const r = expectError(await c.saveSearch(other.access, body), 400, 'validation_failed');
      assert.equal(r.error.fields.query, reason);
    }
  });

  it('a bad query parameter gets the code GET /api/ads gives it', async () => {
    const bad = [
      { currency: 'EUR' },
      { price_currency: 'BTC' },
      { min_price: 'abc' },
      { min_price: 1.234 },
      { min_price: '10', max_price: '5' },
      { province: 'Narnia' },
      { category: 'no-such-category' },
      { price_unit: 'per_dozen' },
      { 'attr.brand': 'John Deere' },
      { category: 'tractores', 'attr.color': 'rojo' },
      { category: 'tractores', 'attr.year.min': 'viejo' },
      { category: 'tractores', 'attr.brand.min': '3' },
      { q: 'x'.repeat(201) },
    ];
    for (const query of bad) {
      const params = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]));
      const search = expectError(await c.search(params), 400, 'invalid_parameter', JSON.stringify(query));
      const saved = expectError(await c.saveSearch(other.access, { name: 'bad', query }), 400, 'invalid_parameter', JSON.stringify(query));
      assert.deepEqual(Object.keys(saved.error.fields), Object.keys(search.error.fields), JSON.stringify(query));
    }
    // Values that are neither text, number nor boolean.
    for (const v of [null, [1], { a: 1 }]) {
      const r = expectError(await c.saveSearch(other.access, { name: 'bad', query: { province: v } }), 400, 'invalid_parameter');
      assert.deepEqual(r.error.fields, { province: 'invalid' });
    }
    // A boolean attribute from a JSON boolean.
    const ok = await c.saveOk(other.access, 'bool', { category: 'campos', 'attr.water': true });
    assert.equal(ok.query['attr.water'], 'true');
  });

  it('at most 20 per user: the 21st is 409 conflict, and deleting one makes room', async () => {
    const v = await c.newUser({}, 'sslimit');
    const ids = [];
    // Concurrent creations cannot pass the limit together.
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => c.saveSearch(v.access, { name: `s${i}`, query: {} })));
    const created = results.filter((r) => r.status === 201);
    assert.equal(created.length, 20);
    for (const r of results.filter((r) => r.status !== 201)) expectError(r, 409, 'conflict');
    for (const r of created) ids.push(JSON.parse(r.body).id);
    expectError(await c.saveSearch(v.access, { name: 'one more', query: {} }), 409, 'conflict');
    assert.equal((await c.deleteSavedSearch(v.access, ids[0])).status, 204);
    await c.saveOk(v.access, 'room again', {});
  });

  it('DELETE and seen: 204 for one\'s own, 404 for unknown, foreign, deleted or malformed ids', async () => {
    const s = await c.saveOk(u.access, 'borrar', { province: 'Chaco' });
    for (const id of [999999999, s.id, '0', 'abc', '18446744073709551616']) {
      if (id === s.id) {
        expectError(await c.deleteSavedSearch(other.access, id), 404, 'not_found');
        expectError(await c.seen(other.access, id), 404, 'not_found');
      } else {
        expectError(await c.deleteSavedSearch(u.access, id), 404, 'not_found');
        expectError(await c.seen(u.access, id), 404, 'not_found');
      }
    }
    await psql(db, `UPDATE saved_searches SET new_count = 7 WHERE id = ${s.id}`);
    assert.equal((await c.seen(u.access, s.id)).status, 204);
    const listed = expectJson(await c.savedSearches(u.access), 200).items.find((i) => i.id === s.id);
    assert.equal(listed.new_count, 0);
    assert.equal((await c.deleteSavedSearch(u.access, s.id)).status, 204);
    expectError(await c.deleteSavedSearch(u.access, s.id), 404, 'not_found');
    expectError(await c.seen(u.access, s.id), 404, 'not_found');
    assert.ok(!expectJson(await c.savedSearches(u.access), 200).items.some((i) => i.id === s.id));
  });

  it('notifications: newest first, pages by before, unread_count, read up_to', async () => {
    const w = await c.newUser({}, 'ssnotes');
    const empty = expectJson(await c.notifications(w.access), 200);
    assert.deepEqual(empty, { items: [], unread_count: 0, next_cursor: null });
    // 25 notifications stored directly (what the jobs store is tested elsewhere).
    await psql(
      db,
      `INSERT INTO notifications (user_id, type, data, event_key)
       SELECT ${w.user.id}, 'ad_moderated', jsonb_build_object('ad_id', g, 'title', 'Aviso ' || g, 'action', 'dismiss', 'note', NULL), 'test:' || g
       FROM generate_series(1, 25) g`,
    );
    const p1 = expectJson(await c.notifications(w.access, { limit: 10 }), 200);
    assert.equal(p1.items.length, 10);
    assert.equal(p1.unread_count, 25);
    assert.equal(typeof p1.next_cursor, 'string');
    for (const n of p1.items) assertNotification(n);
    const ids = p1.items.map((n) => n.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    assert.equal(p1.items[0].data.ad_id, 25);
    const p2 = expectJson(await c.notifications(w.access, { limit: 10, before: p1.next_cursor }), 200);
    const p3 = expectJson(await c.notifications(w.access, { limit: 10, before: p2.next_cursor }), 200);
    assert.equal(p3.items.length, 5);
    assert.equal(p3.next_cursor, null);
    const all = [...p1.items, ...p2.items, ...p3.items].map((n) => n.id);
    assert.equal(new Set(all).size, 25);
    assert.ok(Math.max(...p2.items.map((n) => n.id)) < Math.min(...ids));
    // Default limit 20.
    assert.equal(expectJson(await c.notifications(w.access), 200).items.length, 20);
    // Bad parameters.
    for (const params of [{ limit: 0 }, { limit: 101 }, { limit: 'x' }, { before: 0 }, { before: '-1' }, { before: 'abc' }]) {
      expectError(await c.notifications(w.access, params), 400, 'invalid_parameter', JSON.stringify(params));
    }
    // Mark read up to the 10th newest's id: that one and everything older.
    const upTo = ids[9];
    assert.equal((await c.markRead(w.access, { up_to: upTo })).status, 204);
    const after1 = expectJson(await c.notifications(w.access, { limit: 100 }), 200);
    assert.equal(after1.unread_count, 9);
    for (const n of after1.items) {
      if (n.id <= upTo) assert.match(String(n.read_at), /^\d{4}-/, `read ${n.id}`);
      else assert.equal(n.read_at, null);
    }
    // Again: nothing changes (read_at stays the first one).
    const firstReadAt = after1.items.find((n) => n.id === upTo).read_at;
    assert.equal((await c.markRead(w.access, { up_to: upTo })).status, 204);
    assert.equal(expectJson(await c.notifications(w.access, { limit: 100 }), 200).items.find((n) => n.id === upTo).read_at, firstReadAt);
    // Another user's marks do not touch these.
    assert.equal((await c.markRead(other.access, { up_to: ids[0] + 1000 })).status, 204);
    assert.equal(expectJson(await c.notifications(w.access), 200).unread_count, 9);
    // Everything.
    assert.equal((await c.markRead(w.access, { up_to: ids[0] })).status, 204);
    assert.equal(expectJson(await c.notifications(w.access), 200).unread_count, 0);
    // Other users see none of them.
    assert.equal(expectJson(await c.notifications(other.access), 200).items.filter((n) => n.data?.title?.startsWith('Aviso ')).length, 0);
  });

  it('read: up_to required, a positive integer; JSON body rules', async () => {
    for (const [body, reason] of [
      [{}, 'required'],
      [{ up_to: null }, 'required'],
      [{ up_to: '5' }, 'type'],
      [{ up_to: 0 }, 'type'],
      [{ up_to: -3 }, 'type'],
      [{ up_to: 1.5 }, 'type'],
    ]) {
      const r = expectError(await c.markRead(u.access, body), 400, 'validation_failed', JSON.stringify(body));
      assert.equal(r.error.fields.up_to, reason);
    }
    expectError(await c.call('POST', '/api/me/notifications/read', { token: u.access, body: '{bad', contentType: 'application/json' }), 400, 'invalid_json');
    expectError(await c.call('POST', '/api/me/notifications/read', { token: u.access, body: '{"up_to":1}', contentType: 'text/plain' }), 415, 'unsupported_media_type');
    expectError(await c.call('POST', '/api/me/saved-searches', { token: u.access, body: '{"name":"x"', contentType: 'application/json' }), 400, 'invalid_json');
  });
});
