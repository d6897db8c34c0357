// The REST routes of API.md "Messages" against the real server on a fresh
// PostgreSQL database: send (shape, every validation error, 401, 415,
// invalid_json, 413, Unicode), the conversation list, a conversation's pages,
// the catch-up since an id, read receipts and the ws_message rate limit.
// Decisions where API.md is silent are docs/CHAT.md "REST".
//
// The suite runs under SESSION_STORE=db and stateless (the routes only need a
// user id; the store must not change what they answer). The rate-limit tests
// get a server of their own with RATE_LIMIT_WS_MESSAGE=3/60.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase, psql, value } from '../lib/pg.mjs';
import { assertCleanExit, buildRequest, rawRequest } from '../lib/server.mjs';
import { rateLimitHeaders } from '../lib/auth.mjs';
import {
  CatalogClient,
  RFC3339_UTC,
  assertNear,
  expectError,
  expectFields,
  expectJson,
  qs,
  startCatalogServer,
} from '../lib/catalog.mjs';

const MESSAGE_KEYS = ['ad_id', 'body', 'created_at', 'id', 'receiver_id', 'read_at', 'sender_id'].sort();
const KiB = 1024;
const NO_SUCH_ID = 987654321;

/** The client of the chat routes (every answer checked for the security
 *  headers and X-Request-Id by CatalogClient). */
class ChatClient extends CatalogClient {
  send(token, body, opts) {
    return this.call('POST', '/api/messages', { token, body, ...opts });
  }
  since(token, params = {}, opts) {
    return this.call('GET', `/api/messages${qs(params)}`, { token, ...opts });
  }
  conversations(token, params = {}, opts) {
    return this.call('GET', `/api/conversations${qs(params)}`, { token, ...opts });
  }
  conversation(token, peer, params = {}, opts) {
    return this.call('GET', `/api/conversations/${peer}/messages${qs(params)}`, { token, ...opts });
  }
  markRead(token, peer, opts) {
    return this.call('POST', `/api/conversations/${peer}/read`, { token, ...opts });
  }

  /** POST /api/messages that must answer 201; returns the message. */
  async sendOk(from, to, body, extra = {}) {
    const res = await this.send(from.access, { to: to.user.id, body, ...extra });
    const m = expectJson(res, 201, `send ${JSON.stringify(body).slice(0, 80)}`);
    assertPrivate(res, 'send');
    assertMessage(m, 'sent message');
    return m;
  }

  /** A 200 page of {items, next_cursor} (private, items are messages). */
  async pageOk(res, what) {
    const body = expectJson(res, 200, what);
    assertPrivate(res, what);
    assert.deepEqual(Object.keys(body).sort(), ['items', 'next_cursor'], `${what}: keys`);
    assert.ok(Array.isArray(body.items), `${what}: items is an array`);
    assert.ok(body.next_cursor === null || (typeof body.next_cursor === 'string' && /^[1-9]\d*$/.test(body.next_cursor)), `${what}: next_cursor is null or a message id as a string: ${JSON.stringify(body.next_cursor)}`);
    for (const m of body.items) assertMessage(m, `${what} item`);
    return body;
  }

  /** Walks a conversation with limit, following next_cursor as before. */
  async walkConversation(token, peer, limit, maxPages = 50) {
    const pages = [];
    let before;
    for (let n = 0; ; n++) {
      assert.ok(n < maxPages, `more than ${maxPages} pages`);
      const page = await this.pageOk(await this.conversation(token, peer, { limit, before }), `page ${n + 1}`);
      assert.ok(page.items.length <= limit, `page ${n + 1}: at most ${limit} items`);
      pages.push(page);
      if (page.next_cursor === null) break;
      assert.equal(page.items.length, limit, `page ${n + 1}: a page before the last is full`);
      assert.equal(page.next_cursor, String(page.items.at(-1).id), 'next_cursor is the id of the page\'s last message');
      before = page.next_cursor;
    }
    return { pages, items: pages.flatMap((p) => p.items) };
  }

  /** Walks the catch-up from since_id with limit, following next_cursor. */
  async walkSince(token, sinceId, limit, maxPages = 100) {
    const pages = [];
    let since = sinceId;
    for (let n = 0; ; n++) {
      assert.ok(n < maxPages, `more than ${maxPages} pages`);
      const page = await this.pageOk(await this.since(token, { since_id: since, limit }), `since page ${n + 1}`);
      if (limit !== undefined) assert.ok(page.items.length <= limit);
      pages.push(page);
      if (page.next_cursor === null) break;
      assert.equal(page.next_cursor, String(page.items.at(-1).id), 'next_cursor is the id of the page\'s last message');
      since = page.next_cursor;
    }
    return { pages, items: pages.flatMap((p) => p.items) };
  }
}

/** API.md's message: exactly its keys, with their types. */
function assertMessage(m, what = 'message') {
  assert.ok(m && typeof m === 'object', `${what} is an object`);
  assert.deepEqual(Object.keys(m).sort(), MESSAGE_KEYS, `${what} has exactly the message keys`);
  for (const k of ['id', 'sender_id', 'receiver_id']) assert.ok(Number.isSafeInteger(m[k]) && m[k] > 0, `${what}.${k}: ${m[k]}`);
  assert.ok(m.ad_id === null || (Number.isSafeInteger(m.ad_id) && m.ad_id > 0), `${what}.ad_id: ${m.ad_id}`);
  assert.equal(typeof m.body, 'string', `${what}.body`);
  assert.match(m.created_at, RFC3339_UTC, `${what}.created_at`);
  assert.ok(m.read_at === null || RFC3339_UTC.test(m.read_at), `${what}.read_at: ${m.read_at}`);
}

/** Chat answers are the caller's own: Cache-Control private, no-store. */
function assertPrivate(res, what) {
  assert.equal(res.headers['cache-control'], 'private, no-store', `${what}: Cache-Control`);
}

const ids = (items) => items.map((m) => m.id);
const descending = (list) => [...list].sort((a, b) => b - a);
const ascending = (list) => [...list].sort((a, b) => a - b);

function describeChatRest(store) {
  describe(`chat REST, SESSION_STORE=${store}`, () => {
    let srv;
    let db;
    let c;
    let ana;
    let beto;

    before(async () => {
      db = await freshDatabase(`chat_rest_${store}`);
      srv = await startCatalogServer({ store, databaseUrl: db, extra: { RATE_LIMIT_WS_MESSAGE: '1000000/60' } });
      c = new ChatClient(srv.port);
      ana = await c.newUser({ name: 'Ana Ganadera', province: 'La Pampa' }, 'ana');
      beto = await c.newUser({ name: 'Beto Tambero', province: 'Santa Fe' }, 'beto');
    });

    after(async () => {
      if (srv) assertCleanExit(await srv.stop());
    });

    const pair = async (tag) => [
      await c.newUser({ name: `Uno ${tag}` }, `${tag}1`),
      await c.newUser({ name: `Dos ${tag}` }, `${tag}2`),
    ];

    // -- POST /api/messages --------------------------------------------------

    it('POST /api/messages: 201 with exactly the message (ad_id null, read_at null, created_at now in UTC); stored, then listed on both sides', async () => {
      const t0 = Date.now();
      const res = await c.send(ana.access, { to: beto.user.id, body: 'Hola Beto, ¿sigue disponible la vaquillona?' });
      const m = expectJson(res, 201, 'send');
      assertPrivate(res, 'send');
      assertMessage(m);
      assert.equal(m.sender_id, ana.user.id);
      assert.equal(m.receiver_id, beto.user.id);
      assert.equal(m.ad_id, null);
      assert.equal(m.body, 'Hola Beto, ¿sigue disponible la vaquillona?');
      assert.equal(m.read_at, null);
      assertNear(m.created_at, t0, 60000, 'created_at is now');
      const row = await value(db, `SELECT json_build_object('s', sender_id, 'r', receiver_id, 'b', body)::text FROM messages WHERE id = ${m.id}`);
      assert.deepEqual(JSON.parse(row), { s: ana.user.id, r: beto.user.id, b: m.body }, 'the 201 means it is stored');

      for (const [who, peer] of [[ana, beto], [beto, ana]]) {
        const page = await c.pageOk(await c.conversation(who.access, peer.user.id), 'conversation');
        assert.deepEqual(page.items.at(0), m, `the message heads ${who.user.name}'s page`);
        const list = expectJson(await c.conversations(who.access), 200);
        assert.deepEqual(list.items.find((i) => i.peer.id === peer.user.id).last_message, m);
        const since = await c.pageOk(await c.since(who.access, { since_id: m.id - 1 }), 'since');
        assert.deepEqual(since.items, [m]);
      }
    });

    it('POST /api/messages with ad_id: the message names the ad; a paused ad still works (only an unknown or deleted ad is refused); other members are ignored', async () => {
      const ad = await c.newAd(beto.access, { title: 'Vaquillonas Aberdeen Angus preñadas', category_id: 201, price_unit: 'per_head', attributes: {} });
      const m = await c.sendOk(ana, beto, '¿Cuántas cabezas quedan?', { ad_id: ad.id });
      assert.equal(m.ad_id, ad.id);
      await c.patchOk(beto.access, ad.id, { status: 'paused' });
      const p = await c.sendOk(ana, beto, '¿Y si está pausado?', { ad_id: ad.id });
      assert.equal(p.ad_id, ad.id);
      const n = await c.sendOk(ana, beto, 'Sin aviso', { ad_id: null });
      assert.equal(n.ad_id, null, 'ad_id null is no ad');
      const x = await c.sendOk(ana, beto, 'Con un miembro de más', { client_id: 'abc-123' });
      assert.equal(x.body, 'Con un miembro de más', 'other members are ignored');
    });

    it('POST /api/messages: every validation error names its field and reason; nothing is stored', async () => {
      const [u, v] = await pair('valid');
      const ad = await c.newAd(v.access);
      const deleted = await c.newAd(v.access);
      assert.equal((await c.deleteAd(v.access, deleted.id)).status, 204);
      const to = v.user.id;
      const cases = [
        ['body missing', { to }, { body: 'required' }],
        ['body empty', { to, body: '' }, { body: 'min_length' }],
        ['body only spaces', { to, body: '     ' }, { body: 'min_length' }],
        ['body only white space of every kind', { to, body: ' \t\n\r \u00a0\u3000\u2003' }, { body: 'min_length' }],
        ['body only zero-width spaces', { to, body: '\u200b\u200b' }, { body: 'min_length' }],
        ['body of 2001 characters', { to, body: 'a'.repeat(2001) }, { body: 'max_length' }],
        ['body of 2001 code points (emoji, 8004 bytes)', { to, body: '\u{1F404}'.repeat(2001) }, { body: 'max_length' }],
        ['body of 2001 accented characters', { to, body: 'ñ'.repeat(2001) }, { body: 'max_length' }],
        ['body a number', { to, body: 42 }, { body: 'type' }],
        ['body an object', { to, body: { text: 'hola' } }, { body: 'type' }],
        ['body null', { to, body: null }, { body: 'type' }],
        ['to missing', { body: 'hola' }, { to: 'required' }],
        ['to null', { to: null, body: 'hola' }, { to: 'required' }],
        ['to a string', { to: String(to), body: 'hola' }, { to: 'type' }],
        ['to 0', { to: 0, body: 'hola' }, { to: 'type' }],
        ['to negative', { to: -to, body: 'hola' }, { to: 'type' }],
        ['to a fraction', { to: 1.5, body: 'hola' }, { to: 'type' }],
        ['to a boolean', { to: true, body: 'hola' }, { to: 'type' }],
        ['to oneself', { to: u.user.id, body: 'hola' }, { to: 'invalid' }],
        ['ad_id a string', { to, body: 'hola', ad_id: String(ad.id) }, { ad_id: 'type' }],
        ['ad_id 0', { to, body: 'hola', ad_id: 0 }, { ad_id: 'type' }],
        ['ad_id negative', { to, body: 'hola', ad_id: -ad.id }, { ad_id: 'type' }],
        ['ad_id a fraction', { to, body: 'hola', ad_id: 2.5 }, { ad_id: 'type' }],
        ['ad_id unknown', { to, body: 'hola', ad_id: NO_SUCH_ID }, { ad_id: 'not_found' }],
        ['ad_id of a deleted ad', { to, body: 'hola', ad_id: deleted.id }, { ad_id: 'not_found' }],
        ['several at once', { to: 'x', body: '  ', ad_id: 0 }, { to: 'type', body: 'min_length', ad_id: 'type' }],
        ['oneself and an empty body', { to: u.user.id, body: '' }, { to: 'invalid', body: 'min_length' }],
      ];
      for (const [label, body, fields] of cases) {
        const res = await c.send(u.access, body);
        expectFields(res, fields, { what: label });
      }
      // Strings with NUL or invalid UTF-8 are validation_failed (Conventions).
      expectError(await c.send(u.access, { to, body: 'ho\u0000la' }), 400, 'validation_failed', 'NUL in body');
      const badUtf8 = Buffer.concat([Buffer.from(`{"to":${to},"body":"ho`), Buffer.from([0xc3, 0x28]), Buffer.from('la"}')]);
      expectError(await c.send(u.access, undefined, { raw: badUtf8, contentType: 'application/json' }), 400, 'validation_failed', 'invalid UTF-8');
      assert.equal(await value(db, `SELECT count(*) FROM messages WHERE sender_id = ${u.user.id}`), '0', 'nothing was stored');
    });

    it('POST /api/messages to an unknown user is 404 not_found (before the ad is looked at); nothing is stored', async () => {
      const [u] = await pair('unknown');
      expectError(await c.send(u.access, { to: NO_SUCH_ID, body: 'hola' }), 404, 'not_found', 'unknown to');
      expectError(await c.send(u.access, { to: NO_SUCH_ID, body: 'hola', ad_id: NO_SUCH_ID }), 404, 'not_found', 'unknown to and ad');
      expectError(await c.send(u.access, { to: Number.MAX_SAFE_INTEGER, body: 'hola' }), 404, 'not_found', 'a large unknown id');
      expectError(await c.send(u.access, undefined, { raw: '{"to":9223372036854775807,"body":"hola"}', contentType: 'application/json' }), 404, 'not_found', 'the largest int64');
      assert.equal(await value(db, `SELECT count(*) FROM messages WHERE sender_id = ${u.user.id}`), '0');
    });

    it('POST /api/messages: 401 without or with a bad token; 415 without application/json; 400 invalid_json', async () => {
      const to = beto.user.id;
      expectError(await c.send(undefined, { to, body: 'hola' }), 401, 'unauthorized', 'no token');
      expectError(await c.send('not-a-jwt', { to, body: 'hola' }), 401, null, 'a garbage token');
      const raw = JSON.stringify({ to, body: 'hola' });
      expectError(await c.send(ana.access, undefined, { raw }), 415, 'unsupported_media_type', 'no Content-Type');
      expectError(await c.send(ana.access, undefined, { raw, contentType: 'text/plain' }), 415, 'unsupported_media_type', 'text/plain');
      expectError(await c.send(ana.access, undefined, { raw, contentType: 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type', 'a form');
      const ok = await c.send(ana.access, undefined, { raw, contentType: 'application/json; charset=utf-8' });
      expectJson(ok, 201, 'application/json; charset=utf-8 is JSON');
      for (const [label, text] of [['truncated', '{"to":'], ['not JSON', 'hola'], ['an array', '[]'], ['a string', '"hola"'], ['empty', ''], ['trailing garbage', `${raw}x`], ['duplicate keys', `{"to":${to},"body":"a","body":"b"}`]]) {
        expectError(await c.send(ana.access, undefined, { raw: text, contentType: 'application/json' }), 400, 'invalid_json', label);
      }
    });

    it('POST /api/messages: a body over 64 KiB is 413 before it is read; 64 KiB exactly is read (and its 2000-character rule applies)', async () => {
      const head = (len) =>
        buildRequest({
          method: 'POST',
          path: '/api/messages',
          headers: { Authorization: `Bearer ${ana.access}`, 'Content-Type': 'application/json', 'Content-Length': String(len), Connection: 'close' },
        });
      const r = await rawRequest(srv.port, head(64 * KiB + 1), { expect: 1 });
      assert.equal(r.responses.length, 1, 'answered without the body');
      expectError(r.responses[0], 413, 'payload_too_large', '64 KiB + 1');
      // A whole 70 KB body sent at once: 413 too.
      const big = JSON.stringify({ to: beto.user.id, body: 'x'.repeat(70000) });
      const r2 = await rawRequest(srv.port, Buffer.concat([head(Buffer.byteLength(big)), Buffer.from(big)]), { expect: 1 });
      expectError(r2.responses[0], 413, 'payload_too_large', '70 KB body');
      // Exactly 64 KiB: read and validated.
      const prefix = `{"to":${beto.user.id},"body":"`;
      const exact = `${prefix}${'y'.repeat(64 * KiB - prefix.length - 2)}"}`;
      assert.equal(Buffer.byteLength(exact), 64 * KiB);
      expectFields(await c.send(ana.access, undefined, { raw: exact, contentType: 'application/json' }), { body: 'max_length' }, { what: '64 KiB body' });
    });

    it('Unicode bodies round-trip byte for byte: accents, emoji, 2000 code points of emoji (8000 bytes) accepted', async () => {
      const [u, v] = await pair('unicode');
      const bodies = [
        'Año 2015, ñandú, pingüino, acción: ¿está en Río Cuarto? ¡Sí!',
        '\u{1F69C}\u{1F404} tractor y vaca 👍🏽 👨‍🌾 🇦🇷',
        'Ελληνικά, русский, 日本語, עברית, العربية',
        'e\u0301 (decomposed) and é (composed) stay as sent',
        '\u{1F404}'.repeat(2000),
        'ñ'.repeat(2000),
        `${'z'.repeat(1999)}\u{1F69C}`,
        'línea uno\nlínea dos\n\ttabulada',
        '  espacios alrededor  ',
      ];
      const sent = [];
      for (const body of bodies) {
        const m = await c.sendOk(u, v, body);
        assert.equal(m.body, body, `201 echoes ${JSON.stringify(body.slice(0, 30))}`);
        sent.push(m);
      }
      assert.ok(Buffer.byteLength(bodies[4]) > 2000, '2000 emoji are more than 2000 bytes');
      const page = await c.pageOk(await c.conversation(v.access, u.user.id, { limit: 100 }), 'receiver\'s page');
      assert.deepEqual(page.items.map((m) => m.body), bodies.slice().reverse(), 'the receiver reads every body exactly as sent');
      const stored = await value(db, `SELECT char_length(body) FROM messages WHERE id = ${sent[4].id}`);
      assert.equal(stored, '2000', 'stored as 2000 code points');
    });

    // -- GET /api/conversations ----------------------------------------------

    it('GET /api/conversations: one item per peer, most recent first; peer {id,name}; ad of the last message or null; last_message; unread_count of what the peer sent and I did not read', async () => {
      const me = await c.newUser({ name: 'Carla Chacarera' }, 'convme');
      const p1 = await c.newUser({ name: 'Peer Uno' }, 'convp1');
      const p2 = await c.newUser({ name: 'Peer Dos ñandú' }, 'convp2');
      const p3 = await c.newUser({ name: 'Peer Tres' }, 'convp3');
      const stranger = await c.newUser({ name: 'Extraño' }, 'convx');
      const ad = await c.newAd(p2.access, { title: 'Sembradora Agrometal 16 surcos' });

      const empty = expectJson(await c.conversations(me.access), 200);
      assert.deepEqual(empty, { items: [] }, 'a new user has no conversations');

      await c.sendOk(p1, me, 'de p1 1');
      await c.sendOk(me, p2, 'a p2 con aviso', { ad_id: ad.id });
      await c.sendOk(p1, me, 'de p1 2');
      await c.sendOk(me, p1, 'a p1');
      await c.sendOk(p2, me, 'de p2 1', { ad_id: ad.id });
      await c.sendOk(p2, me, 'de p2 2', { ad_id: ad.id });
      await c.sendOk(p3, me, 'de p3');
      await c.sendOk(stranger, p1, 'no es conmigo');
      const lastP1 = await c.sendOk(me, p1, 'último a p1');

      const res = await c.conversations(me.access);
      const list = expectJson(res, 200);
      assertPrivate(res, 'conversations');
      assert.deepEqual(Object.keys(list), ['items']);
      for (const item of list.items) {
        assert.deepEqual(Object.keys(item).sort(), ['ad', 'last_message', 'peer', 'unread_count'], 'item keys');
        assert.deepEqual(Object.keys(item.peer).sort(), ['id', 'name'], 'peer keys');
        assert.ok(item.ad === null || JSON.stringify(Object.keys(item.ad).sort()) === '["id","title"]', `ad is null or {id,title}: ${JSON.stringify(item.ad)}`);
        assertMessage(item.last_message, 'last_message');
        assert.ok(Number.isSafeInteger(item.unread_count) && item.unread_count >= 0);
      }
      assert.deepEqual(list.items.map((i) => i.peer), [
        { id: p1.user.id, name: 'Peer Uno' },
        { id: p3.user.id, name: 'Peer Tres' },
        { id: p2.user.id, name: 'Peer Dos ñandú' },
      ], 'most recent first, one per peer, not the stranger');
      const [i1, i3, i2] = list.items;
      assert.deepEqual(i1.last_message, lastP1, 'my own last message counts');
      assert.equal(i1.unread_count, 2, 'p1 sent 2 I did not read (mine do not count)');
      assert.equal(i1.ad, null);
      assert.equal(i3.last_message.body, 'de p3');
      assert.equal(i3.unread_count, 1);
      assert.equal(i2.last_message.body, 'de p2 2');
      assert.equal(i2.unread_count, 2);
      assert.deepEqual(i2.ad, { id: ad.id, title: 'Sembradora Agrometal 16 surcos' });

      // The peer's view: unread counts what each peer sent that p1 did not read.
      const theirs = expectJson(await c.conversations(p1.access), 200);
      assert.deepEqual(theirs.items.map((i) => [i.peer.id, i.unread_count]), [[me.user.id, 2], [stranger.user.id, 1]]);

      // The ad is the last message's: a later message without one leaves null.
      await c.sendOk(me, p2, 'sin aviso ahora');
      const after = expectJson(await c.conversations(me.access), 200);
      assert.deepEqual(after.items.map((i) => i.peer.id), [p2.user.id, p1.user.id, p3.user.id], 'p2 moves to the top');
      assert.equal(after.items[0].ad, null);
      assert.equal(after.items[0].unread_count, 2, 'my message does not read theirs');

      // The ad stays named after it is deleted (the conversation's context).
      await c.sendOk(p2, me, 'volviendo al aviso', { ad_id: ad.id });
      assert.equal((await c.deleteAd(p2.access, ad.id)).status, 204);
      const kept = expectJson(await c.conversations(me.access), 200).items[0];
      assert.deepEqual(kept.ad, { id: ad.id, title: 'Sembradora Agrometal 16 surcos' });
      assert.equal(kept.unread_count, 3);
      await c.sendOk(me, p2, 'sin aviso otra vez');

      // ?limit: the most recent ones; bounds 1..100.
      const two = expectJson(await c.conversations(me.access, { limit: 2 }), 200);
      assert.deepEqual(two.items.map((i) => i.peer.id), [p2.user.id, p1.user.id]);
      assert.equal(expectJson(await c.conversations(me.access, { limit: 100 }), 200).items.length, 3);
      for (const limit of ['0', '101', '-1', 'abc', '1.5', '', '05']) {
        expectError(await c.conversations(me.access, { limit }), 400, 'invalid_parameter', `limit=${limit}`);
      }
      expectError(await c.conversations(undefined), 401, 'unauthorized');
    });

    it('GET /api/conversations: the default limit is 50 peers', async () => {
      const hub = await c.newUser({ name: 'Acopio Central' }, 'hub');
      // 52 peers write to hub, straight into the table (a fixture, not the subject).
      await psql(db, `WITH p AS (INSERT INTO users (email, password_hash, name)
                                 SELECT 'hubpeer' || g || '.${store}@campo.example.com', 'x', 'Peer ' || g FROM generate_series(1, 52) g
                                 RETURNING id)
                      INSERT INTO messages (sender_id, receiver_id, body) SELECT id, ${hub.user.id}, 'hola' FROM p`);
      assert.equal(expectJson(await c.conversations(hub.access), 200).items.length, 50);
      assert.equal(expectJson(await c.conversations(hub.access, { limit: 52 }), 200).items.length, 52);
    });

    // -- GET /api/conversations/{peer}/messages ------------------------------

    it('a conversation of 120 messages both ways, limit 50, walked by both users interleaved while new messages arrive: every message exactly once, newest first, next_cursor null at the end', async () => {
      const [u, v] = await pair('paging');
      const sent = [];
      for (let i = 0; i < 120; i++) {
        const [from, to] = i % 3 === 1 || i % 7 === 0 ? [v, u] : [u, v];
        sent.push(await c.sendOk(from, to, `mensaje ${i}`));
      }
      const expected = descending(ids(sent));
      assert.ok(sent.some((m) => m.sender_id === v.user.id) && sent.some((m) => m.sender_id === u.user.id));

      // Walk from both sides at once, one page each in turn; after the first
      // pages, new messages arrive (they are newer than every cursor).
      const walks = [u, v].map((me) => ({ me, peer: me === u ? v : u, before: undefined, items: [], pages: 0, done: false }));
      for (let round = 0; round < 10 && walks.some((w) => !w.done); round++) {
        for (const w of walks) {
          if (w.done) continue;
          const page = await c.pageOk(await c.conversation(w.me.access, w.peer.user.id, { limit: 50, before: w.before }), `round ${round}`);
          w.pages++;
          w.items.push(...page.items);
          if (page.next_cursor === null) {
            w.done = true;
          } else {
            assert.equal(page.items.length, 50, 'a page before the last is full');
            assert.equal(page.next_cursor, String(page.items.at(-1).id));
            w.before = page.next_cursor;
          }
        }
        if (round === 0) {
          await c.sendOk(u, v, 'llega durante la paginación');
          await c.sendOk(v, u, 'y otro más');
        }
      }
      for (const w of walks) {
        assert.ok(w.done, 'the walk ended');
        assert.equal(w.pages, 3, '120 messages at 50 a page: 3 pages');
        assert.deepEqual(ids(w.items), expected, `${w.me.user.name}: every message exactly once, newest first`);
        for (const m of w.items) {
          assert.ok([u.user.id, v.user.id].includes(m.sender_id) && [u.user.id, v.user.id].includes(m.receiver_id));
        }
      }
      // Contents are the messages as sent.
      const byId = new Map(sent.map((m) => [m.id, m]));
      for (const m of walks[0].items) assert.deepEqual(m, byId.get(m.id));

      // The default page is 50; limit 100 and limit 1 walk the same set.
      const now = [...expected];
      const first = await c.pageOk(await c.conversation(u.access, v.user.id), 'default limit');
      assert.equal(first.items.length, 50);
      const all = descending([...now, ...ids(first.items.slice(0, 2))].filter((x, i, a) => a.indexOf(x) === i));
      const w100 = await c.walkConversation(u.access, v.user.id, 100);
      assert.deepEqual(ids(w100.items), all);
      assert.equal(w100.pages.length, 2);
      // 122 messages at 61 a page: the second page is exactly full and the last.
      const w61 = await c.walkConversation(v.access, u.user.id, 61);
      assert.equal(w61.pages.length, 2, 'no empty page after an exactly full one');
      assert.deepEqual(ids(w61.items), all);
    });

    it('a conversation page: messages sharing one created_at are still each listed once (ties broken by id)', async () => {
      const [u, v] = await pair('ties');
      // Seven messages in one transaction: one created_at for all.
      await psql(db, `INSERT INTO messages (sender_id, receiver_id, body)
                      SELECT CASE WHEN g % 2 = 0 THEN ${u.user.id} ELSE ${v.user.id} END,
                             CASE WHEN g % 2 = 0 THEN ${v.user.id} ELSE ${u.user.id} END, 'empate ' || g
                      FROM generate_series(1, 7) g`);
      const before = await c.sendOk(u, v, 'después del empate');
      const w = await c.walkConversation(u.access, v.user.id, 2);
      assert.equal(w.items.length, 8);
      assert.equal(w.items[0].id, before.id);
      assert.deepEqual(ids(w.items), descending(ids(w.items)), 'newest first, ties by id');
      assert.equal(new Set(ids(w.items)).size, 8);
    });

    it('40 sends at once from both sides: the pages (limit 7) and the catch-up (limit 6) list each exactly once, in order', async () => {
      const [u, v] = await pair('burst');
      const sent = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? c.sendOk(u, v, `ráfaga ${i}`) : c.sendOk(v, u, `ráfaga ${i}`))));
      const want = ascending(ids(sent));
      for (const [me, peer] of [[u, v], [v, u]]) {
        const w = await c.walkConversation(me.access, peer.user.id, 7);
        assert.equal(w.pages.length, 6);
        assert.deepEqual(ascending(ids(w.items)), want, 'each exactly once');
        for (let i = 1; i < w.items.length; i++) {
          const a = w.items[i - 1];
          const b = w.items[i];
          // created_at is shown in milliseconds; within one millisecond
          // the order is the stored microseconds', then the id's.
          assert.ok(a.created_at >= b.created_at, `newest first at ${i}: ${a.id}@${a.created_at} then ${b.id}@${b.created_at}`);
        }
        const since = await c.walkSince(me.access, 0, 6);
        assert.deepEqual(ids(since.items), want, 'catch-up: each exactly once, by id');
      }
    });

    it('a conversation: unknown peer or oneself 404; a known peer without messages an empty page; bad before/limit 400 invalid_parameter; 401', async () => {
      const [u, v] = await pair('convedge');
      const empty = await c.pageOk(await c.conversation(u.access, v.user.id), 'no messages yet');
      assert.deepEqual(empty, { items: [], next_cursor: null });
      expectError(await c.conversation(u.access, NO_SUCH_ID), 404, 'not_found', 'unknown peer');
      expectError(await c.conversation(u.access, u.user.id), 404, 'not_found', 'oneself');
      for (const peer of ['0', 'abc', '-1', '1.5', '99999999999999999999']) {
        expectError(await c.call('GET', `/api/conversations/${peer}/messages`, { token: u.access }), 404, 'not_found', `peer ${peer}`);
      }
      const m = await c.sendOk(u, v, 'hola');
      const onlyOne = await c.pageOk(await c.conversation(v.access, u.user.id, { limit: 1 }), 'limit 1');
      assert.deepEqual(onlyOne, { items: [m], next_cursor: null }, 'exactly limit messages and no more: next_cursor null');
      assert.deepEqual(await c.pageOk(await c.conversation(v.access, u.user.id, { before: m.id }), 'before the first'), { items: [], next_cursor: null });
      assert.deepEqual((await c.pageOk(await c.conversation(v.access, u.user.id, { before: m.id + 1000000 }), 'before a later id')).items, [], 'an id of no message: an empty page');
      for (const before of ['0', '-1', 'abc', '1.5', '', '9223372036854775808', '1e3', '+5', '05']) {
        expectError(await c.conversation(u.access, v.user.id, { before }), 400, 'invalid_parameter', `before=${before}`);
      }
      for (const limit of ['0', '101', '-1', 'x', '1e2', '', '2.0']) {
        expectError(await c.conversation(u.access, v.user.id, { limit }), 400, 'invalid_parameter', `limit=${limit}`);
      }
      assert.equal((await c.pageOk(await c.conversation(u.access, v.user.id, { limit: 100 }), 'limit 100')).items.length, 1);
      expectError(await c.conversation(undefined, v.user.id), 401, 'unauthorized');
      // A third user sees nothing of u and v's conversation.
      const x = await c.newUser({}, 'convthird');
      assert.deepEqual((await c.pageOk(await c.conversation(x.access, v.user.id), 'third')).items, []);
    });

    // -- GET /api/messages?since_id= -----------------------------------------

    it('GET /api/messages?since_id: every message to or from the caller with a larger id, oldest first, paged by next_cursor; a third user\'s messages never appear', async () => {
      const p = await c.newUser({ name: 'Pablo' }, 'sincep');
      const q = await c.newUser({ name: 'Quique' }, 'sinceq');
      const r = await c.newUser({ name: 'Rita' }, 'sincer');
      const mine = [];
      const others = [];
      const plan = [[p, q], [q, p], [q, r], [r, q], [p, r], [r, p], [q, r], [p, q], [r, q], [q, p], [r, p], [q, r]];
      for (const [from, to] of plan) {
        const m = await c.sendOk(from, to, `de ${from.user.name} a ${to.user.name}`);
        (from === p || to === p ? mine : others).push(m);
      }
      const all = await c.pageOk(await c.since(p.access), 'since default');
      assert.deepEqual(ids(all.items), ascending(ids(mine)), 'oldest first, only mine');
      assert.equal(all.next_cursor, null);
      assert.deepEqual(all.items, [...mine].sort((a, b) => a.id - b.id), 'the messages as sent');
      for (const m of all.items) assert.ok(m.sender_id === p.user.id || m.receiver_id === p.user.id);
      const theirIds = new Set(ids(others));
      assert.ok(!all.items.some((m) => theirIds.has(m.id)), 'q and r\'s messages never appear');

      const w = await c.walkSince(p.access, 0, 2);
      assert.deepEqual(ids(w.items), ascending(ids(mine)), 'pages of 2 concatenated');
      assert.equal(w.pages.length, Math.ceil(mine.length / 2));
      const w1 = await c.walkSince(p.access, 0, 1);
      assert.deepEqual(ids(w1.items), ascending(ids(mine)), 'pages of 1 concatenated');

      const mid = ascending(ids(mine))[2];
      const rest = await c.pageOk(await c.since(p.access, { since_id: mid }), 'since the third');
      assert.deepEqual(ids(rest.items), ascending(ids(mine)).slice(3), 'strictly larger ids');
      const nothing = await c.pageOk(await c.since(p.access, { since_id: Math.max(...ids(mine), ...ids(others)) }), 'since the last');
      assert.deepEqual(nothing, { items: [], next_cursor: null });
      const fresh = await c.newUser({}, 'sincefresh');
      assert.deepEqual(await c.pageOk(await c.since(fresh.access, { since_id: 0 }), 'a new user'), { items: [], next_cursor: null });

      for (const since_id of ['-1', 'abc', '1.5', '', '9223372036854775808', '+1']) {
        expectError(await c.since(p.access, { since_id }), 400, 'invalid_parameter', `since_id=${since_id}`);
      }
      for (const limit of ['0', '501', '-5', 'all']) {
        expectError(await c.since(p.access, { limit }), 400, 'invalid_parameter', `limit=${limit}`);
      }
      expectError(await c.since(undefined), 401, 'unauthorized');
    });

    it('GET /api/messages: at most 500 per call by default; next_cursor continues exactly after', async () => {
      const [u, v] = await pair('since500');
      await psql(db, `INSERT INTO messages (sender_id, receiver_id, body)
                      SELECT CASE WHEN g % 2 = 0 THEN ${u.user.id} ELSE ${v.user.id} END,
                             CASE WHEN g % 2 = 0 THEN ${v.user.id} ELSE ${u.user.id} END, 'lote ' || g
                      FROM generate_series(1, 503) g`);
      const first = await c.pageOk(await c.since(u.access), 'first 500');
      assert.equal(first.items.length, 500);
      assert.equal(first.next_cursor, String(first.items[499].id));
      const second = await c.pageOk(await c.since(u.access, { since_id: first.next_cursor }), 'the rest');
      assert.equal(second.items.length, 3);
      assert.equal(second.next_cursor, null);
      const got = [...ids(first.items), ...ids(second.items)];
      assert.deepEqual(got, ascending(got));
      assert.equal(new Set(got).size, 503);
      assert.equal((await c.pageOk(await c.since(u.access, { limit: 500 }), 'limit 500')).items.length, 500);
    });

    // -- POST /api/conversations/{peer}/read ---------------------------------

    it('POST /api/conversations/{peer}/read: 204; read_at set on the peer\'s messages only; unread_count drops to 0; the other direction untouched; idempotent', async () => {
      const [u, v] = await pair('read');
      const fromV = [];
      const fromU = [];
      for (let i = 0; i < 3; i++) fromV.push(await c.sendOk(v, u, `de v ${i}`));
      for (let i = 0; i < 2; i++) fromU.push(await c.sendOk(u, v, `de u ${i}`));
      const unread = async (who, peer) => expectJson(await c.conversations(who.access), 200).items.find((i) => i.peer.id === peer.user.id).unread_count;
      assert.equal(await unread(u, v), 3);
      assert.equal(await unread(v, u), 2);

      const t0 = Date.now();
      const res = await c.markRead(u.access, v.user.id);
      assert.equal(res.status, 204, `read: ${res.status} ${res.body}`);
      assert.equal(res.body.length, 0, '204 has no body');
      assert.equal(await unread(u, v), 0, 'u read everything v sent');
      assert.equal(await unread(v, u), 2, 'v did not read anything');

      const page = await c.pageOk(await c.conversation(v.access, u.user.id), 'after read');
      const readAt = new Map();
      for (const m of page.items) {
        if (m.sender_id === v.user.id) {
          assert.notEqual(m.read_at, null, `v's message ${m.id} is read`);
          assertNear(m.read_at, t0, 60000, 'read_at is now');
          assert.ok(Date.parse(m.read_at) >= Date.parse(m.created_at), 'read after created');
          readAt.set(m.id, m.read_at);
        } else {
          assert.equal(m.read_at, null, `u's message ${m.id} is not read`);
        }
      }
      assert.equal(readAt.size, 3);

      // Again: 204, and nothing changes.
      assert.equal((await c.markRead(u.access, v.user.id)).status, 204, 'idempotent');
      const again = await c.pageOk(await c.conversation(u.access, v.user.id), 'after the second read');
      for (const m of again.items) if (readAt.has(m.id)) assert.equal(m.read_at, readAt.get(m.id), 'read_at kept');

      // A new message from v is unread; the old ones stay read.
      const late = await c.sendOk(v, u, 'otro más');
      assert.equal(await unread(u, v), 1);
      assert.equal((await c.markRead(u.access, v.user.id)).status, 204);
      const last = await c.pageOk(await c.conversation(u.access, v.user.id, { limit: 1 }), 'latest');
      assert.equal(last.items[0].id, late.id);
      assert.notEqual(last.items[0].read_at, null);

      // v reads u's: now both directions are read.
      assert.equal((await c.markRead(v.access, u.user.id)).status, 204);
      assert.equal(await unread(v, u), 0);
      const both = await c.pageOk(await c.conversation(u.access, v.user.id), 'both read');
      assert.ok(both.items.every((m) => m.read_at !== null));

      // A peer without messages: 204 as well.
      const w = await c.newUser({}, 'readnone');
      assert.equal((await c.markRead(u.access, w.user.id)).status, 204);
    });

    it('POST /api/conversations/{peer}/read: unknown peer or oneself 404; bad path ids 404; 401; a body over 1 KiB 413', async () => {
      expectError(await c.markRead(ana.access, NO_SUCH_ID), 404, 'not_found', 'unknown peer');
      expectError(await c.markRead(ana.access, ana.user.id), 404, 'not_found', 'oneself');
      for (const peer of ['0', 'x', '-3']) {
        expectError(await c.call('POST', `/api/conversations/${peer}/read`, { token: ana.access }), 404, 'not_found', `peer ${peer}`);
      }
      expectError(await c.markRead(undefined, beto.user.id), 401, 'unauthorized');
      const r = await c.markRead(ana.access, beto.user.id, { raw: 'x'.repeat(KiB), contentType: 'text/plain' });
      assert.equal(r.status, 204, 'a body up to 1 KiB is read and ignored');
      const bytes = buildRequest({
        method: 'POST',
        path: `/api/conversations/${beto.user.id}/read`,
        headers: { Authorization: `Bearer ${ana.access}`, 'Content-Length': String(KiB + 1), Connection: 'close' },
      });
      const big = await rawRequest(srv.port, bytes, { expect: 1 });
      expectError(big.responses[0], 413, 'payload_too_large', '1 KiB + 1');
    });

    it('the routes: other methods 405 with Allow; HEAD works where GET does', async () => {
      const res = await c.call('DELETE', '/api/messages', { token: ana.access });
      expectError(res, 405, 'method_not_allowed');
      assert.match(res.headers.allow ?? '', /GET/);
      assert.match(res.headers.allow ?? '', /POST/);
      expectError(await c.call('GET', `/api/conversations/${beto.user.id}/read`, { token: ana.access }), 405, 'method_not_allowed');
      const head = await c.call('HEAD', '/api/conversations', { token: ana.access });
      assert.equal(head.status, 200);
      assertPrivate(head, 'HEAD');
    });
  });
}

describeChatRest('db');
describeChatRest('stateless');

// ---------------------------------------------------------------------------
// POST /api/messages counts against the ws_message class, per user, and not
// against the write class (POST .../read, a write, does).

describe('chat REST rate limit: RATE_LIMIT_WS_MESSAGE=3/60, RATE_LIMIT_WRITE=2/60', () => {
  let srv;
  let c;

  before(async () => {
    const db = await freshDatabase('chat_rest_rl');
    srv = await startCatalogServer({ store: 'db', databaseUrl: db, extra: { RATE_LIMIT_WS_MESSAGE: '3/60', RATE_LIMIT_WRITE: '2/60', RATE_LIMIT_READ: '1000/60' } });
    c = new ChatClient(srv.port);
  });

  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  /** A 429 of API.md for a class whose limit is `limit`. */
  function expect429(res, limit, what) {
    expectError(res, 429, 'rate_limited', what);
    const retry = res.headers['retry-after'];
    assert.match(retry ?? '', /^\d+$/, `${what}: Retry-After in whole seconds: ${retry}`);
    assert.ok(Number(retry) >= 1 && Number(retry) <= 60, `${what}: Retry-After: ${retry}`);
    const rl = rateLimitHeaders(res, what);
    assert.equal(rl.remaining, 0, `${what}: RateLimit-Remaining`);
    assert.equal(rl.limit, limit, `${what}: RateLimit-Limit`);
  }

  it('the 4th send of one user within a minute is 429 with Retry-After and stores nothing; another user is unaffected; reads are not counted; sends do not spend the write class', async () => {
    const u = await c.newUser({ name: 'Rápido' }, 'rlu');
    const v = await c.newUser({ name: 'Paciente' }, 'rlv');
    // Reads first: none of them counts against the sends.
    for (let i = 0; i < 5; i++) {
      expectJson(await c.conversations(u.access), 200);
      await c.pageOk(await c.conversation(u.access, v.user.id), 'read before');
      await c.pageOk(await c.since(u.access), 'since before');
    }
    for (let i = 0; i < 3; i++) {
      const res = await c.send(u.access, { to: v.user.id, body: `envío ${i + 1}` });
      expectJson(res, 201, `send ${i + 1}`);
      const rl = rateLimitHeaders(res, `send ${i + 1}`);
      assert.equal(rl.limit, 3, 'RateLimit-Limit is the ws_message class\'s');
      assert.equal(rl.remaining, 2 - i);
    }
    expect429(await c.send(u.access, { to: v.user.id, body: 'envío 4' }), 3, '4th send');
    expect429(await c.send(u.access, { to: v.user.id, body: 'envío 5' }), 3, '5th send');

    // Reads still answer, and nothing of the refused sends was stored.
    const page = await c.pageOk(await c.conversation(u.access, v.user.id), 'read after 429');
    assert.deepEqual(page.items.map((m) => m.body), ['envío 3', 'envío 2', 'envío 1']);
    expectJson(await c.conversations(u.access), 200);
    await c.pageOk(await c.since(u.access), 'since after 429');

    // Three sends did not spend u's write budget of 2: a read receipt is a
    // write (two pass, the third is refused by the write class).
    for (let i = 0; i < 2; i++) {
      const r = await c.markRead(u.access, v.user.id);
      assert.equal(r.status, 204, `read receipt ${i + 1}: ${r.status} ${r.body}`);
      assert.equal(rateLimitHeaders(r, 'read receipt').limit, 2, 'the write class');
    }
    expect429(await c.markRead(u.access, v.user.id), 2, '3rd read receipt');

    // The other user has a budget of their own.
    for (let i = 0; i < 3; i++) expectJson(await c.send(v.access, { to: u.user.id, body: `respuesta ${i + 1}` }), 201, `v send ${i + 1}`);
    expect429(await c.send(v.access, { to: u.user.id, body: 'respuesta 4' }), 3, 'v 4th send');
    const both = await c.pageOk(await c.conversation(v.access, u.user.id, { limit: 100 }), 'both');
    assert.equal(both.items.length, 6);
  });
});
