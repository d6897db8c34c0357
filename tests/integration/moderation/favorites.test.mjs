// Favorites (API.md "Ads": PUT/DELETE /api/ads/{id}/favorite, GET
// /api/me/favorites; issue 10): every row with every bad input, idempotency,
// the list's order, that it shows only ads still visible (not paused, sold,
// expired, deleted or under review), and its pagination (100 by default,
// limit and cursor as an extension, docs/MODERATION.md).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { expectError, expectJson, expireInDb, promote, startCatalogServer, assertSummary } from '../lib/catalog.mjs';
import { ModerationClient } from '../lib/moderation.mjs';
import { freshDatabase, psql, value } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';

let db;
let srv;
let c;
let seller;
let buyer;
let other;
let admin;

before(async () => {
  db = await freshDatabase('moderation_favorites');
  srv = await startCatalogServer({ store: 'db', databaseUrl: db });
  c = new ModerationClient(srv.port);
  seller = await c.newUser({ name: 'Vendedora Favoritos' }, 'favseller');
  buyer = await c.newUser({ name: 'Comprador Favoritos' }, 'favbuyer');
  other = await c.newUser({ name: 'Otro Comprador' }, 'favother');
  admin = await c.newUser({ name: 'Admin Favoritos' }, 'favadmin');
  await promote(c, db, admin);
});

after(async () => {
  if (srv) assertCleanExit(await srv.stop());
});

describe('PUT and DELETE /api/ads/{id}/favorite', () => {
  it('need a token: 401 for each route, with and without a bad token', async () => {
    const ad = await c.newAd(seller.access);
    for (const token of [undefined, 'not-a-jwt']) {
      expectError(await c.favorite(token, ad.id), 401, 'unauthorized', `PUT token=${token}`);
      expectError(await c.unfavorite(token, ad.id), 401, 'unauthorized', `DELETE token=${token}`);
      expectError(await c.favorites(token), 401, 'unauthorized', `GET token=${token}`);
    }
  });

  it('404 for a path id that is not a positive 64-bit integer, and for an unknown ad', async () => {
    for (const id of ['0', '-1', 'abc', '1.5', '9223372036854775808', '99999999999']) {
      expectError(await c.favorite(buyer.access, id), 404, 'not_found', `PUT id ${id}`);
    }
    for (const id of ['0', 'abc', '9223372036854775808']) {
      expectError(await c.unfavorite(buyer.access, id), 404, 'not_found', `DELETE id ${id}`);
    }
  });

  it('PUT on an ad the caller cannot see is 404 and adds nothing; its owner and admins may add it', async () => {
    const paused = await c.newAd(seller.access);
    await c.patchOk(seller.access, paused.id, { status: 'paused' });
    const sold = await c.newAd(seller.access);
    await c.patchOk(seller.access, sold.id, { status: 'sold' });
    const expired = await c.newAd(seller.access);
    await expireInDb(db, expired.id);
    const deleted = await c.newAd(seller.access);
    assert.equal((await c.deleteAd(seller.access, deleted.id)).status, 204);
    const review = await c.newAd(seller.access);
    await psql(db, `UPDATE ads SET under_review = true WHERE id = ${review.id}`);
    for (const [label, ad] of [['paused', paused], ['sold', sold], ['expired', expired], ['deleted', deleted], ['under review', review]]) {
      expectError(await c.favorite(buyer.access, ad.id), 404, 'not_found', `PUT on a ${label} ad`);
      assert.equal(await value(db, `SELECT count(*) FROM favorites WHERE ad_id = ${ad.id}`), '0', `${label}: nothing stored`);
    }
    // The owner sees their paused ad, an admin sees any ad but a deleted one.
    assert.equal((await c.favorite(seller.access, paused.id)).status, 204);
    assert.equal((await c.favorite(admin.access, review.id)).status, 204);
    expectError(await c.favorite(admin.access, deleted.id), 404, 'not_found', 'admin, deleted ad');
    // ...but the list shows only what is public now.
    assert.deepEqual(await c.favoriteIds(seller.access), []);
    assert.deepEqual(await c.favoriteIds(admin.access), []);
  });

  it('PUT is idempotent: 204 each time, one entry, the first place kept', async () => {
    const a = await c.newAd(seller.access);
    const b = await c.newAd(seller.access);
    const u = await c.newUser({}, 'favidem');
    for (let i = 0; i < 3; i++) {
      const res = await c.favorite(u.access, a.id);
      assert.equal(res.status, 204, `PUT #${i + 1}: ${res.body}`);
      assert.equal(res.body.length, 0, '204 has no body');
    }
    assert.equal((await c.favorite(u.access, b.id)).status, 204);
    assert.equal((await c.favorite(u.access, a.id)).status, 204, 'again after b');
    assert.deepEqual(await c.favoriteIds(u.access), [b.id, a.id], 'b was added last; a keeps its place');
    assert.equal(await value(db, `SELECT count(*) FROM favorites WHERE user_id = ${u.user.id}`), '2');
  });

  it('DELETE is idempotent: 204 whether or not the ad was there, and for an unknown ad', async () => {
    const a = await c.newAd(seller.access);
    const u = await c.newUser({}, 'favdel');
    assert.equal((await c.favorite(u.access, a.id)).status, 204);
    for (let i = 0; i < 3; i++) {
      const res = await c.unfavorite(u.access, a.id);
      assert.equal(res.status, 204, `DELETE #${i + 1}: ${res.body}`);
    }
    assert.deepEqual(await c.favoriteIds(u.access), []);
    assert.equal((await c.unfavorite(u.access, 99999999999)).status, 204, 'an unknown ad: nothing to remove');
    // One user's DELETE leaves the others' favorites alone.
    assert.equal((await c.favorite(u.access, a.id)).status, 204);
    assert.equal((await c.favorite(other.access, a.id)).status, 204);
    assert.equal((await c.unfavorite(u.access, a.id)).status, 204);
    assert.ok((await c.favoriteIds(other.access)).includes(a.id));
  });

  it('a body over 1 KiB is 413 (these routes take none); a small one is ignored', async () => {
    const a = await c.newAd(seller.access);
    const big = 'x'.repeat(2048);
    expectError(await c.favorite(buyer.access, a.id, { raw: big, contentType: 'text/plain' }), 413, 'payload_too_large', 'PUT');
    expectError(await c.unfavorite(buyer.access, a.id, { raw: big, contentType: 'text/plain' }), 413, 'payload_too_large', 'DELETE');
    assert.equal((await c.favorite(buyer.access, a.id, { raw: '{"x":1}', contentType: 'application/json' })).status, 204);
  });
});

describe('GET /api/me/favorites', () => {
  it('the caller\'s favorites as summaries, newest favorite first, never cached by others', async () => {
    const u = await c.newUser({}, 'favlist');
    const ads = [];
    for (let i = 0; i < 4; i++) ads.push(await c.newAd(seller.access, { title: `Sembradora número ${i} de grano fino` }));
    for (const ad of [ads[2], ads[0], ads[3], ads[1]]) assert.equal((await c.favorite(u.access, ad.id)).status, 204);
    const res = await c.favorites(u.access);
    const body = expectJson(res, 200);
    assert.deepEqual(Object.keys(body).sort(), ['items', 'next_cursor']);
    assert.equal(body.next_cursor, null);
    assert.match(res.headers['cache-control'] ?? '', /private/);
    for (const item of body.items) assertSummary(item, { what: 'favorite' });
    assert.deepEqual(body.items.map((i) => i.id), [ads[1].id, ads[3].id, ads[0].id, ads[2].id]);
    assert.equal(body.items[0].title, ads[1].title);
    // Another user's list is theirs alone.
    assert.ok(!(await c.favoriteIds(other.access)).includes(ads[3].id));
    const fresh = await c.newUser({}, 'favempty');
    assert.deepEqual(expectJson(await c.favorites(fresh.access), 200), { items: [], next_cursor: null });
  });

  it('shows only ads still visible: paused, sold, expired, deleted and under-review ads leave it, and come back', async () => {
    const u = await c.newUser({}, 'favvisible');
    const keep = await c.newAd(seller.access);
    const paused = await c.newAd(seller.access);
    const sold = await c.newAd(seller.access);
    const expired = await c.newAd(seller.access);
    const deleted = await c.newAd(seller.access);
    const review = await c.newAd(seller.access);
    for (const ad of [keep, paused, sold, expired, deleted, review]) assert.equal((await c.favorite(u.access, ad.id)).status, 204);
    assert.equal((await c.favoriteIds(u.access)).length, 6);
    await c.patchOk(seller.access, paused.id, { status: 'paused' });
    await c.patchOk(seller.access, sold.id, { status: 'sold' });
    await expireInDb(db, expired.id);
    assert.equal((await c.deleteAd(seller.access, deleted.id)).status, 204);
    await psql(db, `UPDATE ads SET under_review = true WHERE id = ${review.id}`);
    assert.deepEqual(await c.favoriteIds(u.access), [keep.id]);
    // Back to public: they reappear in their places (the favorite rows stayed).
    await c.patchOk(seller.access, paused.id, { status: 'active' });
    await c.patchOk(seller.access, expired.id, { status: 'active' });
    await psql(db, `UPDATE ads SET under_review = false WHERE id = ${review.id}`);
    assert.deepEqual(await c.favoriteIds(u.access), [review.id, expired.id, paused.id, keep.id]);
  });

  it('pages with limit and cursor (an extension); 100 by default', async () => {
    const u = await c.newUser({}, 'favpages');
    const ids = [];
    for (let i = 0; i < 103; i++) {
      const ad = await c.newAd(seller.access, { title: `Rollo de alfalfa lote ${i}` });
      assert.equal((await c.favorite(u.access, ad.id)).status, 204);
      ids.unshift(ad.id);
    }
    const first = expectJson(await c.favorites(u.access), 200);
    assert.equal(first.items.length, 100, 'the newest 100 by default');
    assert.deepEqual(first.items.map((i) => i.id), ids.slice(0, 100));
    assert.equal(typeof first.next_cursor, 'string');
    const rest = expectJson(await c.favorites(u.access, { cursor: first.next_cursor }), 200);
    assert.deepEqual(rest.items.map((i) => i.id), ids.slice(100));
    assert.equal(rest.next_cursor, null);
    const walked = await c.walk('/api/me/favorites?limit=7', { limit: 7, token: u.access });
    assert.deepEqual(walked.ids, ids, 'every favorite once, in order, 7 at a time');
    // A favorite removed between pages does not shift the next page.
    const p1 = expectJson(await c.favorites(u.access, { limit: 10 }), 200);
    assert.equal((await c.unfavorite(u.access, ids[3])).status, 204);
    const p2 = expectJson(await c.favorites(u.access, { limit: 10, cursor: p1.next_cursor }), 200);
    assert.deepEqual(p2.items.map((i) => i.id), ids.slice(10, 20));

    for (const limit of ['0', '101', 'abc', '-1', '+5', '1.5', '']) {
      const body = expectError(await c.favorites(u.access, { limit }), 400, 'invalid_parameter', `limit=${limit}`);
      assert.deepEqual(body.error.fields, { limit: 'invalid' });
    }
    assert.equal(expectJson(await c.favorites(u.access, { limit: 100 }), 200).items.length, 100, 'limit=100 is allowed');
    for (const cursor of ['x', first.next_cursor.slice(0, -2), `${first.next_cursor}A`]) {
      expectError(await c.favorites(u.access, { cursor }), 400, 'invalid_cursor', `cursor ${cursor}`);
    }
    // A cursor belongs to its user's list.
    expectError(await c.favorites(other.access, { cursor: first.next_cursor }), 400, 'invalid_cursor', "another user's cursor");
  });
});
