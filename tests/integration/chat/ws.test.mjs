// GET /ws on one instance (issue 11; API.md "Real time"): the upgrade and
// its refusals, every frame type both ways, RFC 6455 at the edges
// (fragments, sizes, UTF-8, binary, unmasked, control frames, close), the
// heartbeat, the ws_message rate limit shared with REST, the connection's
// authority (logout, logout-all, a deleted session, refresh reuse, token
// expiry in stateless mode) and SIGTERM's 1001.
//
// Everything talks to the real binary over raw sockets (lib/ws.mjs); every
// wait is bounded. Two instances sharing Redis are ws_instances.test.mjs; the
// release-build load and memory tests are ws_load.test.mjs.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AuthClient, decodeJwt, expectError, expectJson, flipSignatureByte, forgeJwt, startAuthServer } from '../lib/auth.mjs';
import { startCatalogServer } from '../lib/catalog.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import {
  assertCleanExit,
  assertErrorShape,
  assertRequestId,
  assertSecurityHeaders,
  json,
  rawRequest,
  request,
  sleep,
} from '../lib/server.mjs';
import { OP, WsClient, acceptFor, encodeFrame, upgradeRequest } from '../lib/ws.mjs';

const APP = 'http://app.example';
const KiB = 1024;

/** Sends an upgrade request on a fresh connection and returns the (refusal)
 *  response, parsed. */
async function upgradeAnswer(port, opts) {
  const { bytes } = upgradeRequest(opts);
  const r = await rawRequest(port, bytes, { expect: 1, timeoutMs: 5000 });
  assert.equal(r.responses.length, 1, `one answer to the upgrade: ${r.data.toString('latin1').slice(0, 300)}`);
  return r.responses[0];
}

/** A connected, greeted socket. */
async function open(port, token, opts = {}) {
  const ws = await WsClient.connect(port, { token, ...opts });
  await ws.next('hello');
  return ws;
}

/** Resolves once ws answered a {"type":"ping"} sent now: every frame sent
 *  before it on this connection has been handled. */
async function roundTrip(ws) {
  const before = ws.all('pong').length;
  ws.sendJson({ type: 'ping' });
  await ws.waitFor(() => ws.all('pong').length > before, { what: 'a pong', timeoutMs: 5000 });
}

/** Sends frame and resolves with the first "error" frame that follows. */
async function errorFor(ws, frame) {
  const before = ws.all('error').length;
  if (typeof frame === 'string') ws.sendText(frame);
  else ws.sendJson(frame);
  await ws.waitFor(() => ws.all('error').length > before, { what: `an error frame for ${JSON.stringify(frame).slice(0, 80)}` });
  return ws.all('error')[before];
}

/** Frames of `type` whose message id is `id`. */
const withId = (ws, type, id) => ws.all(type).filter((f) => f.message?.id === id);

/** Resolves with ms until ws closed; fails after timeoutMs. */
async function closedWithin(ws, timeoutMs, started = Date.now()) {
  const { code } = await ws.closed({ timeoutMs });
  return { code, ms: Date.now() - started };
}

class ChatClient extends AuthClient {
  send(token, body) {
    return this.call('POST', '/api/messages', { token, body });
  }
  async sendOk(from, to, text) {
    return expectJson(await this.send(from.access, { to: to.user.id, body: text }), 201, `send ${text}`);
  }
  since(token, sinceId) {
    return this.call('GET', `/api/messages?since_id=${sinceId}`, { token });
  }
  async sinceOk(token, sinceId) {
    return expectJson(await this.since(token, sinceId), 200, `since ${sinceId}`).items;
  }
  markRead(token, peerId) {
    return this.call('POST', `/api/conversations/${peerId}/read`, { token });
  }
}

// ---------------------------------------------------------------------------

describe('GET /ws on one instance (SESSION_STORE=db, FRONTEND_URL set)', () => {
  let srv;
  let c;
  const sockets = [];
  const track = (ws) => {
    sockets.push(ws);
    return ws;
  };
  const openT = async (token, opts) => track(await open(srv.port, token, opts));

  before(async () => {
    const db = await freshDatabase('ws_one');
    srv = await startCatalogServer({
      store: 'db',
      databaseUrl: db,
      extra: { FRONTEND_URL: APP, RATE_LIMIT_WS_MESSAGE: '1000000/60', REFRESH_GRACE_S: '1' },
    });
    c = new ChatClient(srv.port);
  });

  after(async () => {
    for (const ws of sockets) ws.destroy();
    if (srv) assertCleanExit(await srv.stop());
  });

  describe('the upgrade', () => {
    let u;
    before(async () => {
      u = await c.newUser({ name: 'Upgrade Uno' }, 'wsup');
    });

    it('no token: 401 with WWW-Authenticate, the error shape, security headers and X-Request-Id; never 101', async () => {
      for (const opts of [{}, { token: '' }, { headers: { Authorization: 'Basic dXNlcjpwdw==' } }, { headers: { Authorization: 'Bearer' } }]) {
        const res = await upgradeAnswer(srv.port, opts);
        const what = `no token ${JSON.stringify(opts)}`;
        assert.equal(res.status, 401, `${what}: ${res.status} ${res.body}`);
        assert.match(res.headers['www-authenticate'] ?? '', /^Bearer\b/, `${what}: WWW-Authenticate`);
        assertErrorShape(res, 'unauthorized', what);
        assertSecurityHeaders(res, what);
        assertRequestId(res, what);
        assert.equal(res.headers['sec-websocket-accept'], undefined, `${what}: no Sec-WebSocket-Accept`);
      }
    });

    it('a bad token is 401 unauthorized; an expired one 401 token_expired; a revoked session\'s 401 token_revoked', async () => {
      const bad = [
        ['garbage', 'not-a-jwt'],
        ['flipped signature', flipSignatureByte(u.access)],
        ['another secret', forgeJwt(decodeJwt(u.access).payload, { secret: 'some-other-secret-0123456789-0123456789' })],
        ['alg none', forgeJwt(decodeJwt(u.access).payload, { alg: 'none' })],
      ];
      for (const [what, token] of bad) {
        for (const how of ['query', 'header']) {
          const opts = how === 'query' ? { token } : { headers: { Authorization: `Bearer ${token}` } };
          const res = await upgradeAnswer(srv.port, opts);
          assert.equal(res.status, 401, `${what} by ${how}: ${res.status} ${res.body}`);
          assert.match(res.headers['www-authenticate'] ?? '', /^Bearer\b/, `${what}: WWW-Authenticate`);
          assertErrorShape(res, 'unauthorized', `${what} by ${how}`);
          assertSecurityHeaders(res);
        }
      }
      // Expired well past any clock skew, signed with the right key, its session live.
      const now = Math.floor(Date.now() / 1000);
      const expired = forgeJwt({ ...decodeJwt(u.access).payload, iat: now - 7200, exp: now - 3600 });
      const res = await upgradeAnswer(srv.port, { token: expired });
      assert.equal(res.status, 401, `expired: ${res.body}`);
      assertErrorShape(res, 'token_expired', 'expired token');
      assert.match(res.headers['www-authenticate'] ?? '', /^Bearer\b/);
      // A second session, logged out: its still-unexpired access token is refused.
      const s = await c.newSession(u);
      assert.equal((await c.logout(s.access)).status, 204);
      const revoked = await upgradeAnswer(srv.port, { headers: { Authorization: `Bearer ${s.access}` } });
      assert.equal(revoked.status, 401, `revoked: ${revoked.body}`);
      assertErrorShape(revoked, 'token_revoked', 'revoked session');
      assertSecurityHeaders(revoked);
      assertRequestId(revoked);
    });

    it('FRONTEND_URL set: another Origin is 403 (with or without a token); the right Origin and no Origin are allowed', async () => {
      for (const origin of ['http://evil.example', 'https://app.example', 'http://app.example:8080', 'null']) {
        for (const token of [u.access, undefined]) {
          const res = await upgradeAnswer(srv.port, { token, headers: { Origin: origin } });
          assert.equal(res.status, 403, `Origin ${origin} token ${!!token}: ${res.status} ${res.body}`);
          assertErrorShape(res, 'forbidden', `Origin ${origin}`);
          assertSecurityHeaders(res);
          assertRequestId(res);
        }
      }
      const right = track(await WsClient.connect(srv.port, { token: u.access, headers: { Origin: APP } }));
      assert.equal((await right.next('hello')).user_id, u.user.id);
      const none = track(await WsClient.connect(srv.port, { token: u.access }));
      assert.equal((await none.next('hello')).user_id, u.user.id, 'no Origin (a mobile app) is allowed');
      right.destroy();
      none.destroy();
    });

    it('handshake errors after a valid token: version 8 is 400 with Sec-WebSocket-Version: 13; a bad key 400; not an upgrade 400', async () => {
      const v8 = await upgradeAnswer(srv.port, { token: u.access, headers: { 'Sec-WebSocket-Version': '8' } });
      assert.equal(v8.status, 400, `version 8: ${v8.body}`);
      assert.equal(v8.headers['sec-websocket-version'], '13');
      assertErrorShape(v8, null, 'version 8');
      assertSecurityHeaders(v8);
      assertRequestId(v8);
      const noVersion = await upgradeAnswer(srv.port, { token: u.access, headers: { 'Sec-WebSocket-Version': null } });
      assert.equal(noVersion.status, 400, 'no version');
      for (const key of ['short', 'AAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAA', '!!!!!!!!!!!!!!!!!!!!!!==']) {
        const res = await upgradeAnswer(srv.port, { token: u.access, key });
        assert.equal(res.status, 400, `key ${key}: ${res.status}`);
        assertErrorShape(res, null, `key ${key}`);
      }
      const noKey = await upgradeAnswer(srv.port, { token: u.access, headers: { 'Sec-WebSocket-Key': null } });
      assert.equal(noKey.status, 400, 'no key');
      for (const [what, headers] of [
        ['no Upgrade', { Upgrade: null }],
        ['no Connection: Upgrade', { Connection: 'keep-alive' }],
        ['Upgrade: h2c', { Upgrade: 'h2c' }],
      ]) {
        const res = await upgradeAnswer(srv.port, { token: u.access, headers });
        assert.equal(res.status, 400, `${what}: ${res.status} ${res.body}`);
        assertErrorShape(res, null, what);
        assertSecurityHeaders(res, what);
      }
      // A plain GET /ws with a token (no upgrade headers at all).
      const plain = await request(srv.port, { path: '/ws', headers: { Authorization: `Bearer ${u.access}` } });
      assert.equal(plain.status, 400, `plain GET: ${plain.body}`);
    });

    it('101 with the right Sec-WebSocket-Accept, token by query and by header; then hello with the user id', async () => {
      for (const how of ['query', 'header']) {
        const opts = how === 'query' ? { token: u.access } : { headers: { Authorization: `Bearer ${u.access}` } };
        const ws = track(await WsClient.connect(srv.port, opts));
        assert.equal(ws.headers['sec-websocket-accept'], acceptFor(ws.key), `${how}: Sec-WebSocket-Accept`);
        assert.equal((ws.headers.upgrade ?? '').toLowerCase(), 'websocket');
        assert.match(ws.headers.connection ?? '', /upgrade/i);
        assert.equal(ws.headers['x-frame-options'], 'DENY', `${how}: security headers on the 101`);
        assert.ok(ws.headers['x-request-id'], `${how}: X-Request-Id on the 101`);
        const hello = await ws.next('hello');
        assert.deepEqual(hello, { type: 'hello', user_id: u.user.id });
        assert.equal(ws.messages[0].type, 'hello', 'hello is the first frame');
        ws.close(1000);
        assert.equal((await ws.closed()).code, 1000);
      }
    });
  });

  describe('frames', () => {
    let a;
    let b;
    let a1;
    let a2;
    let b1;
    let b2;
    before(async () => {
      a = await c.newUser({ name: 'Ana Frames' }, 'wsfa');
      b = await c.newUser({ name: 'Beto Frames' }, 'wsfb');
      [a1, a2, b1, b2] = await Promise.all([openT(a.access), openT(a.access), openT(b.access), openT(b.access)]);
    });

    it('message → ack with client_id to the sending connection only; "message" exactly once to the receiver\'s every connection and the sender\'s other tabs', async () => {
      a1.sendJson({ type: 'message', to: b.user.id, body: '¿Sigue disponible el tractor?', client_id: 'c-1' });
      const ack = await a1.next('ack');
      assert.equal(ack.client_id, 'c-1');
      const m = ack.message;
      assert.deepEqual(Object.keys(m).sort(), ['ad_id', 'body', 'created_at', 'id', 'read_at', 'receiver_id', 'sender_id']);
      assert.equal(m.sender_id, a.user.id);
      assert.equal(m.receiver_id, b.user.id);
      assert.equal(m.body, '¿Sigue disponible el tractor?');
      assert.equal(m.read_at, null);
      for (const ws of [a2, b1, b2]) {
        const got = await ws.next('message', { where: (f) => f.message.id === m.id });
        assert.deepEqual(got.message, m);
      }
      // Nothing more comes (no doubles, no echo to the sender's socket).
      await roundTrip(a1);
      await sleep(200);
      for (const ws of [a2, b1, b2]) assert.equal(withId(ws, 'message', m.id).length, 1, 'exactly once');
      for (const ws of [a2, b1, b2]) assert.equal(ws.all('ack').length, 0, 'acks only to the sending connection');
      assert.equal(withId(a1, 'message', m.id).length, 0, 'the sending connection gets only the ack');

      // Without client_id the ack says null; a reply from B goes the other way.
      b2.sendJson({ type: 'message', to: a.user.id, body: 'Sí, todavía.' });
      const ack2 = await b2.next('ack');
      assert.equal(ack2.client_id, null);
      for (const ws of [a1, a2, b1]) await ws.next('message', { where: (f) => f.message.id === ack2.message.id });
      await sleep(150);
      assert.equal(withId(b2, 'message', ack2.message.id).length, 0);

      // Stored: GET /api/messages?since_id returns both, on both sides.
      for (const who of [a, b]) {
        const items = await c.sinceOk(who.access, m.id - 1);
        assert.deepEqual(items.map((x) => x.id), [m.id, ack2.message.id]);
        assert.deepEqual(items[0], m);
      }
    });

    it('messages sent back to back on one socket (without waiting for acks) are stored, acked and delivered in the order sent', async () => {
      const n = 30;
      for (let i = 0; i < n; i++) a1.sendJson({ type: 'message', to: b.user.id, body: `seguido ${i}`, client_id: `seq-${i}` });
      await a1.waitFor(() => a1.all('ack').filter((f) => f.client_id?.startsWith('seq-')).length === n, { what: `${n} acks` });
      const acks = a1.all('ack').filter((f) => f.client_id.startsWith('seq-'));
      assert.deepEqual(acks.map((f) => f.client_id), Array.from({ length: n }, (_, i) => `seq-${i}`), 'acks in the order sent');
      const ids = acks.map((f) => f.message.id);
      assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'stored in the order sent');
      for (let i = 0; i < n; i++) assert.equal(acks[i].message.body, `seguido ${i}`);
      await b1.waitFor(() => ids.every((id) => withId(b1, 'message', id).length === 1), { what: `${n} messages at b1` });
      const got = b1.all('message').map((f) => f.message.id).filter((id) => ids.includes(id));
      assert.deepEqual(got, ids, 'delivered in the order sent');
    });

    it('a flood of 100 back-to-back sends: each gets exactly one answer (ack, or rate_limited when too many wait), acks in order, only acked ones stored', async (t) => {
      const last = { id: (await c.sinceOk(a.access, 0)).at(-1)?.id ?? 0 };
      const n = 100;
      const mine = (f) => typeof f.client_id === 'string' && f.client_id.startsWith('flood-');
      for (let i = 0; i < n; i++) a2.sendJson({ type: 'message', to: b.user.id, body: `aluvión ${i}`, client_id: `flood-${i}` });
      await a2.waitFor(() => a2.messages.filter((f) => (f.type === 'ack' || f.type === 'error') && mine(f)).length >= n, { what: `${n} answers`, timeoutMs: 15000 });
      await roundTrip(a2);
      const answers = a2.messages.filter((f) => (f.type === 'ack' || f.type === 'error') && mine(f));
      assert.equal(answers.length, n, 'one answer per send');
      assert.equal(new Set(answers.map((f) => f.client_id)).size, n);
      for (const e of answers.filter((f) => f.type === 'error')) assert.equal(e.code, 'rate_limited', JSON.stringify(e));
      const acks = answers.filter((f) => f.type === 'ack');
      assert.ok(acks.length >= 1, 'some were stored');
      const order = acks.map((f) => Number(f.client_id.slice('flood-'.length)));
      assert.deepEqual(order, [...order].sort((x, y) => x - y), 'acks in the order sent');
      const ids = acks.map((f) => f.message.id);
      assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'ids in the order sent');
      const stored = await c.sinceOk(a.access, last.id);
      assert.deepEqual(stored.map((m) => m.id), ids, 'exactly the acked ones are stored');
      t.diagnostic(`flood: ${acks.length} acked, ${n - acks.length} refused as rate_limited`);
    });

    it('validation errors are error frames (validation_failed + fields, client_id echoed); the connection stays open and nothing is stored', async () => {
      const last = { id: (await c.sinceOk(a.access, 0)).at(-1)?.id ?? 0 };
      const cases = [
        [{ to: b.user.id, body: '' }, { body: 'min_length' }],
        [{ to: b.user.id, body: '   ' }, { body: 'min_length' }],
        [{ to: b.user.id }, { body: 'required' }],
        [{ to: b.user.id, body: 'x'.repeat(2001) }, { body: 'max_length' }],
        [{ to: b.user.id, body: 5 }, { body: 'type' }],
        [{ body: 'hola' }, { to: 'required' }],
        [{ to: 'x', body: 'hola' }, { to: 'type' }],
        [{ to: -3, body: 'hola' }, { to: 'type' }],
        [{ to: a.user.id, body: 'a mí mismo' }, { to: 'invalid' }],
        [{ to: 'x', body: null }, { to: 'type', body: 'type' }],
        [{ to: b.user.id, body: 'hola', ad_id: 'x' }, { ad_id: 'type' }],
        [{ to: b.user.id, body: 'hola', ad_id: 999999999 }, { ad_id: 'not_found' }],
      ];
      for (let i = 0; i < cases.length; i++) {
        const [frame, fields] = cases[i];
        const id = `v-${i}`;
        a1.sendJson({ type: 'message', client_id: id, ...frame });
        const err = await a1.next('error', { where: (f) => f.client_id === id });
        assert.equal(err.code, 'validation_failed', `${JSON.stringify(frame).slice(0, 80)}: ${JSON.stringify(err)}`);
        assert.deepEqual(err.fields, fields, `${JSON.stringify(frame).slice(0, 80)}: fields`);
        assert.equal(typeof err.message, 'string');
      }
      // 2000 emoji (8000 bytes) pass: code points, not bytes.
      a1.sendJson({ type: 'message', to: b.user.id, body: '🐄'.repeat(2000), client_id: 'emoji' });
      const emoji = await a1.next('ack', { where: (f) => f.client_id === 'emoji' });
      assert.ok(emoji.message.body === '🐄'.repeat(2000), 'the 2000 emoji are stored as sent');
      await roundTrip(a1);
      const items = await c.sinceOk(a.access, last.id);
      assert.equal(items.length, 1, 'only the valid send was stored');
      assert.equal(a1.ended, false);
    });

    it('an unknown `to` is error not_found (client_id echoed), nothing stored', async () => {
      const last = { id: (await c.sinceOk(a.access, 0)).at(-1)?.id ?? 0 };
      a1.sendJson({ type: 'message', to: 2147483000, body: 'hola', client_id: 'nadie' });
      const err = await a1.next('error', { where: (f) => f.client_id === 'nadie' });
      assert.equal(err.code, 'not_found');
      assert.deepEqual(await c.sinceOk(a.access, last.id), []);
      await roundTrip(a1);
    });

    it('invalid JSON → error invalid_json; not an object too; unknown or missing type → error bad_request; the connection stays open', async () => {
      for (const text of ['{bad', '', '[]', '"message"', '42', '{"type":"ping","type":"ping"}']) {
        const err = await errorFor(a1, text);
        assert.equal(err.code, 'invalid_json', `${JSON.stringify(text)}: ${JSON.stringify(err)}`);
        assert.equal(typeof err.message, 'string');
      }
      for (const frame of [{ type: 'nope' }, { type: 'hello' }, { type: 5 }, { to: b.user.id, body: 'sin tipo' }]) {
        assert.equal((await errorFor(a1, frame)).code, 'bad_request', JSON.stringify(frame));
      }
      await roundTrip(a1);
      assert.equal(a1.ended, false);
    });

    it('ping → pong', async () => {
      a2.sendJson({ type: 'ping' });
      assert.deepEqual(await a2.next('pong'), { type: 'pong' });
    });

    it('typing crosses to the peer\'s every connection, thinned to one a second per connection, and is not stored', async () => {
      const last = { id: (await c.sinceOk(a.access, 0)).at(-1)?.id ?? 0 };
      const before1 = b1.all('typing').length;
      for (let i = 0; i < 5; i++) a1.sendJson({ type: 'typing', to: b.user.id });
      for (const ws of [b1, b2]) assert.deepEqual(await ws.next('typing'), { type: 'typing', from: a.user.id });
      await roundTrip(a1);
      await sleep(200);
      assert.equal(b1.all('typing').length - before1, 1, 'five key presses within a second: one typing frame');
      assert.equal(a2.all('typing').length, 0, 'not to the typist\'s own tabs');
      assert.deepEqual(await c.sinceOk(b.access, last.id), [], 'typing is not stored');
      // A bad `to` is an error frame.
      assert.equal((await errorFor(a1, { type: 'typing', to: a.user.id })).code, 'validation_failed');
    });

    it('POST /api/messages pushes "message" to both users\' every socket', async () => {
      const m = await c.sendOk(b, a, 'Por REST');
      for (const ws of [a1, a2, b1, b2]) assert.deepEqual((await ws.next('message', { where: (f) => f.message.id === m.id })).message, m);
      await sleep(150);
      for (const ws of [a1, a2, b1, b2]) assert.equal(withId(ws, 'message', m.id).length, 1);
    });

    it('POST /api/conversations/{peer}/read pushes {"type":"read","peer_id","up_to"} to the peer', async () => {
      const m1 = await c.sendOk(a, b, 'uno');
      const m2 = await c.sendOk(a, b, 'dos');
      await c.sendOk(b, a, 'tres (de B, no cuenta)');
      assert.equal((await c.markRead(b.access, a.user.id)).status, 204);
      for (const ws of [a1, a2]) {
        const r = await ws.next('read', { where: (f) => f.up_to === m2.id });
        assert.deepEqual(r, { type: 'read', peer_id: b.user.id, up_to: m2.id });
      }
      assert.ok(m2.id > m1.id);
    });
  });

  describe('RFC 6455', () => {
    let u;
    before(async () => {
      u = await c.newUser({ name: 'Rfc Seis' }, 'wsrfc');
    });

    it('a fragmented text message (with a ping between its fragments) is put back together', async () => {
      const ws = await openT(u.access);
      const text = Buffer.from(JSON.stringify({ type: 'ping', pad: 'ñandú'.repeat(50) }));
      const cut = [0, 7, 90, text.length];
      ws.sendFrame({ opcode: OP.TEXT, payload: text.subarray(cut[0], cut[1]), fin: false });
      ws.sendFrame({ opcode: OP.PING, payload: Buffer.from('mid') });
      ws.sendFrame({ opcode: OP.CONT, payload: text.subarray(cut[1], cut[2]), fin: false });
      await sleep(50); // the next fragment arrives in another read
      ws.sendFrame({ opcode: OP.CONT, payload: text.subarray(cut[2], cut[3]), fin: true });
      await ws.next('pong');
      const pong = await ws.waitFor(() => ws.controls.find((f) => f.opcode === OP.PONG));
      assert.equal(pong.payload.toString(), 'mid');
      // A whole message of exactly 64 KiB passes.
      const head = '{"type":"ping","pad":"';
      const exact = Buffer.from(`${head}${'x'.repeat(64 * KiB - head.length - 2)}"}`);
      assert.equal(exact.length, 64 * KiB);
      ws.sendFrame({ opcode: OP.TEXT, payload: exact });
      await ws.waitFor(() => ws.all('pong').length === 2, { what: 'the pong of a 64 KiB message' });
      // One byte at a time works too.
      const bytes = Buffer.concat([Buffer.from(JSON.stringify({ type: 'ping' }))]);
      const frame = Buffer.from([0x81, 0x80 | bytes.length, 0, 0, 0, 0, ...bytes]); // zero mask key
      for (const byte of frame) {
        ws.socket.write(Buffer.from([byte]));
        await sleep(1);
      }
      await ws.waitFor(() => ws.all('pong').length === 3, { what: 'the pong of a frame sent byte by byte' });
      ws.close(1000);
      assert.equal((await ws.closed()).code, 1000);
    });

    it('a message over 64 KiB closes with 1009 (one frame, and fragments adding up)', async () => {
      const one = await openT(u.access);
      one.sendFrame({ opcode: OP.TEXT, payload: Buffer.alloc(64 * KiB + 1, 0x61) });
      assert.equal((await one.closed()).code, 1009);
      const parts = await openT(u.access);
      parts.sendFrame({ opcode: OP.TEXT, payload: Buffer.alloc(40 * KiB, 0x61), fin: false });
      parts.sendFrame({ opcode: OP.CONT, payload: Buffer.alloc(40 * KiB, 0x61), fin: true });
      assert.equal((await parts.closed()).code, 1009);
    });

    it('invalid UTF-8 in a text message closes with 1007; also when split across fragments', async () => {
      const ws = await openT(u.access);
      ws.sendFrame({ opcode: OP.TEXT, payload: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) });
      assert.equal((await ws.closed()).code, 1007);
      const ws2 = await openT(u.access);
      ws2.sendFrame({ opcode: OP.TEXT, payload: Buffer.from([0x22, 0xe2, 0x82]), fin: false });
      ws2.sendFrame({ opcode: OP.CONT, payload: Buffer.from([0x28, 0x22]), fin: true });
      assert.equal((await ws2.closed()).code, 1007);
      // A character split across fragments is fine.
      const ws3 = await openT(u.access);
      const t = Buffer.from('{"type":"ping","x":"€"}');
      const at = t.indexOf(0xe2) + 1;
      ws3.sendFrame({ opcode: OP.TEXT, payload: t.subarray(0, at), fin: false });
      ws3.sendFrame({ opcode: OP.CONT, payload: t.subarray(at), fin: true });
      await ws3.next('pong');
      ws3.destroy();
    });

    it('a binary frame closes with 1003', async () => {
      const ws = await openT(u.access);
      ws.sendFrame({ opcode: OP.BINARY, payload: Buffer.from('{"type":"ping"}') });
      assert.equal((await ws.closed()).code, 1003);
    });

    it('the client\'s close 1000 is answered with a close and the connection ends', async () => {
      const ws = await openT(u.access);
      ws.close(1000, 'adiós');
      const { code } = await ws.closed({ timeoutMs: 3000 });
      assert.equal(code, 1000);
      assert.equal(ws.ended, true);
    });

    it('an unmasked client frame closes with 1002', async () => {
      const ws = await openT(u.access);
      ws.sendFrame({ opcode: OP.TEXT, payload: Buffer.from('{"type":"ping"}'), mask: false });
      const { code } = await ws.closed({ timeoutMs: 3000 });
      assert.equal(code, 1002);
      assert.equal(ws.all('pong').length, 0, 'the unmasked frame was not handled');
    });

    it('a ping control frame is answered by a pong with the same payload; RSV bits or an unknown opcode close with 1002', async () => {
      const ws = await openT(u.access);
      ws.sendFrame({ opcode: OP.PING, payload: Buffer.from('abc') });
      const pong = await ws.waitFor(() => ws.controls.find((f) => f.opcode === OP.PONG));
      assert.equal(pong.payload.toString(), 'abc');
      ws.sendFrame({ opcode: OP.PING, payload: Buffer.alloc(0) });
      await ws.waitFor(() => ws.controls.filter((f) => f.opcode === OP.PONG).length === 2);
      // An unsolicited pong is ignored.
      ws.sendFrame({ opcode: OP.PONG, payload: Buffer.from('x') });
      await roundTrip(ws);
      ws.sendFrame({ opcode: OP.TEXT, payload: Buffer.from('{"type":"ping"}'), rsv: 4 });
      assert.equal((await ws.closed()).code, 1002);
      const ws2 = await openT(u.access);
      ws2.sendFrame({ opcode: 3, payload: Buffer.from('x') });
      assert.equal((await ws2.closed()).code, 1002);
    });
  });

  describe('authority', () => {
    it('logout closes that session\'s sockets with 4401 within a second; another session\'s socket stays', async () => {
      const u = await c.newUser({ name: 'Logout Uno' }, 'wslogout');
      const s2 = await c.newSession(u);
      const keep = await openT(u.access);
      const gone = [await openT(s2.access), await openT(s2.access)];
      const t0 = Date.now();
      assert.equal((await c.logout(s2.access)).status, 204);
      for (const ws of gone) {
        const { code, ms } = await closedWithin(ws, 3000, t0);
        assert.equal(code, 4401);
        assert.ok(ms < 1000, `closed ${ms} ms after the logout`);
      }
      await roundTrip(keep);
      assert.equal(keep.ended, false);
    });

    it('logout-all closes every socket of the user with 4401 within a second; another user\'s stays', async () => {
      const u = await c.newUser({ name: 'Logout Todo' }, 'wslogoutall');
      const other = await c.newUser({ name: 'Otro' }, 'wsother');
      const s2 = await c.newSession(u);
      const socks = [await openT(u.access), await openT(s2.access), await openT(s2.access)];
      const bystander = await openT(other.access);
      const t0 = Date.now();
      assert.equal((await c.logoutAll(u.access)).status, 204);
      for (const ws of socks) {
        const { code, ms } = await closedWithin(ws, 3000, t0);
        assert.equal(code, 4401);
        assert.ok(ms < 1000, `closed ${ms} ms after logout-all`);
      }
      await roundTrip(bystander);
    });

    it('DELETE /api/auth/sessions/{id} closes only that session\'s sockets', async () => {
      const u = await c.newUser({ name: 'Borra Sesión' }, 'wsdelsess');
      const s2 = await c.newSession(u);
      const keep = await openT(u.access);
      const gone = await openT(s2.access);
      const list = expectJson(await c.sessions(s2.access), 200);
      const sid = list.items.find((s) => s.current).id;
      const t0 = Date.now();
      assert.equal((await c.deleteSession(u.access, sid)).status, 204);
      const { code, ms } = await closedWithin(gone, 3000, t0);
      assert.equal(code, 4401);
      assert.ok(ms < 1000, `closed ${ms} ms after the delete`);
      await sleep(300);
      await roundTrip(keep);
      assert.equal(keep.ended, false);
    });

    it('refresh-token reuse revokes the login and closes its sockets with 4401', async () => {
      const u = await c.newUser({ name: 'Reuso' }, 'wsreuse');
      const ws = await openT(u.access);
      expectJson(await c.refresh(u.refresh), 200, 'rotation');
      await sleep(1300); // past REFRESH_GRACE_S=1
      const t0 = Date.now();
      expectError(await c.refresh(u.refresh), 401, 'token_revoked', 'reuse');
      const { code, ms } = await closedWithin(ws, 3000, t0);
      assert.equal(code, 4401);
      assert.ok(ms < 1000, `closed ${ms} ms after the reuse`);
    });

    it('an auth frame with another user\'s token or a bad one is an error frame; the connection keeps its user and session', async () => {
      const u = await c.newUser({ name: 'Dueño' }, 'wsauthown');
      const v = await c.newUser({ name: 'Ajeno' }, 'wsauthother');
      const ws = await openT(u.access);
      const err = await errorFor(ws, { type: 'auth', access_token: v.access });
      assert.equal(err.code, 'forbidden', JSON.stringify(err));
      assert.equal((await errorFor(ws, { type: 'auth', access_token: 'garbage' })).code, 'unauthorized');
      assert.equal((await errorFor(ws, { type: 'auth' })).code, 'validation_failed');
      await roundTrip(ws);
      // Still u's: a message to u arrives, one to v does not.
      const w = await c.newUser({ name: 'Tercero' }, 'wsauththird');
      const toU = await c.sendOk(w, u, 'para el dueño');
      const toV = await c.sendOk(w, v, 'para el ajeno');
      await ws.next('message', { where: (f) => f.message.id === toU.id });
      await sleep(150);
      assert.equal(withId(ws, 'message', toV.id).length, 0);
      // Still u's session: u's logout closes it.
      assert.equal((await c.logout(u.access)).status, 204);
      assert.equal((await ws.closed({ timeoutMs: 2000 })).code, 4401);
    });

    it('auth frames are checked one at a time: a second while the first is checked is refused', async () => {
      const u = await c.newUser({ name: 'Ansioso' }, 'wsauthtwice');
      const ws = await openT(u.access);
      const fresh = (await c.newSession(u)).access;
      // Both in one write: the first waits for the session store, the second
      // arrives meanwhile.
      ws.socket.write(Buffer.concat([
        encodeFrame({ payload: JSON.stringify({ type: 'auth', access_token: fresh }) }),
        encodeFrame({ payload: JSON.stringify({ type: 'auth', access_token: fresh }) }),
      ]));
      const err = await ws.next('error');
      assert.equal(err.code, 'rate_limited', JSON.stringify(err));
      await roundTrip(ws);
      assert.equal(ws.all('error').length, 1, 'the first auth frame was accepted silently');
    });
  });
});

// ---------------------------------------------------------------------------

describe('stateless mode, ACCESS_TOKEN_TTL_S=4: a socket lives as long as its token', () => {
  let srv;
  let c;
  before(async () => {
    srv = await startAuthServer({ store: 'stateless', databaseUrl: await freshDatabase('ws_stateless'), extra: { ACCESS_TOKEN_TTL_S: '4' } });
    c = new ChatClient(srv.port);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('closed with 4401 at expiry, unless an auth frame brought a fresh token first (then it stays past the first expiry)', async () => {
    const u = await c.newUser({ name: 'Sin Estado' }, 'wsstateless');
    const exp1 = decodeJwt(u.access).payload.exp;
    const plain = await open(srv.port, u.access);
    const renewed = await open(srv.port, u.access);
    try {
      await sleep(Math.max(0, exp1 * 1000 - 4000 + 2100 - Date.now())); // 2.1 s after issuance
      const fresh = expectJson(await c.refresh(u.refresh), 200, 'refresh').access_token;
      const exp2 = decodeJwt(fresh).payload.exp;
      assert.ok(exp2 >= exp1 + 2, `the fresh token lives longer (${exp1} → ${exp2})`);
      renewed.sendJson({ type: 'auth', access_token: fresh });
      await roundTrip(renewed);
      assert.equal(renewed.all('error').length, 0, 'the fresh token is accepted');
      assert.equal(plain.ended, false, 'not closed before its expiry');

      const { code } = await plain.closed({ timeoutMs: 6000 });
      const closedAt = Date.now() / 1000;
      assert.equal(code, 4401);
      assert.ok(closedAt >= exp1 - 1, `closed at its expiry, not before (${closedAt} vs exp ${exp1})`);
      assert.ok(closedAt < exp1 + 3, `closed within 3 s of expiry (${closedAt} vs exp ${exp1})`);
      await sleep(700);
      await roundTrip(renewed);
      assert.equal(renewed.ended, false, 'the renewed socket outlives the first expiry');
      assert.equal((await renewed.closed({ timeoutMs: 6000 })).code, 4401, 'and closes at the fresh token\'s expiry');
      assert.ok(Date.now() / 1000 >= exp2 - 1);
    } finally {
      plain.destroy();
      renewed.destroy();
    }
  });
});

// ---------------------------------------------------------------------------

describe('rate limit: RATE_LIMIT_WS_MESSAGE=3/60, shared by WebSocket and REST', () => {
  let srv;
  let c;
  before(async () => {
    srv = await startCatalogServer({ store: 'db', databaseUrl: await freshDatabase('ws_rl'), extra: { RATE_LIMIT_WS_MESSAGE: '3/60' } });
    c = new ChatClient(srv.port);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('the 4th WebSocket send is error rate_limited with its client_id, nothing stored, the socket open', async () => {
    const u = await c.newUser({ name: 'Rápido WS' }, 'wsrlu');
    const v = await c.newUser({ name: 'Paciente WS' }, 'wsrlv');
    const ws = await open(srv.port, u.access);
    const peer = await open(srv.port, v.access);
    try {
      for (let i = 1; i <= 3; i++) {
        ws.sendJson({ type: 'message', to: v.user.id, body: `envío ${i}`, client_id: `ok-${i}` });
        assert.equal((await ws.next('ack')).client_id, `ok-${i}`);
      }
      ws.sendJson({ type: 'message', to: v.user.id, body: 'envío 4', client_id: 'de-mas' });
      const err = await ws.next('error');
      assert.equal(err.code, 'rate_limited');
      assert.equal(err.client_id, 'de-mas');
      assert.equal(typeof err.message, 'string');
      await roundTrip(ws);
      await sleep(150);
      const items = await c.sinceOk(v.access, 0);
      assert.deepEqual(items.map((m) => m.body), ['envío 1', 'envío 2', 'envío 3'], 'nothing of the 4th stored');
      assert.equal(peer.all('message').length, 3, 'the receiver got three');
      // REST shares the spent budget.
      expectError(await c.send(u.access, { to: v.user.id, body: 'por REST' }), 429, 'rate_limited', 'REST after 3 WS sends');
      // Another user has a budget of their own.
      peer.sendJson({ type: 'message', to: u.user.id, body: 'respuesta', client_id: 'r' });
      assert.equal((await peer.next('ack')).client_id, 'r');
    } finally {
      ws.destroy();
      peer.destroy();
    }
  });

  it('two REST sends leave one WebSocket send', async () => {
    const u = await c.newUser({ name: 'Mixto' }, 'wsrlmix');
    const v = await c.newUser({ name: 'Mixto Dos' }, 'wsrlmix2');
    const ws = await open(srv.port, u.access);
    try {
      await c.sendOk(u, v, 'rest 1');
      await c.sendOk(u, v, 'rest 2');
      ws.sendJson({ type: 'message', to: v.user.id, body: 'ws 1', client_id: 'w1' });
      assert.equal((await ws.next('ack')).client_id, 'w1');
      ws.sendJson({ type: 'message', to: v.user.id, body: 'ws 2', client_id: 'w2' });
      const err = await ws.next('error');
      assert.deepEqual([err.code, err.client_id], ['rate_limited', 'w2']);
      assert.equal((await c.sinceOk(v.access, 0)).length, 3);
    } finally {
      ws.destroy();
    }
  });
});

// ---------------------------------------------------------------------------

describe('heartbeat (WS_PING_INTERVAL_MS=300) and SIGTERM', () => {
  let srv;
  let c;
  before(async () => {
    srv = await startCatalogServer({
      store: 'db',
      databaseUrl: await freshDatabase('ws_beat'),
      extra: { WS_PING_INTERVAL_MS: '300', SHUTDOWN_DELAY_S: '1' },
    });
    c = new ChatClient(srv.port);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('the server pings; a client that never answers is dropped after two missed pongs, one that answers stays', async () => {
    const u = await c.newUser({ name: 'Latido' }, 'wsbeat');
    const answering = await open(srv.port, u.access);
    const silent = await open(srv.port, u.access);
    silent.autoPong = false;
    try {
      const t0 = Date.now();
      await silent.closed({ timeoutMs: 8000 });
      const ms = Date.now() - t0;
      const pings = silent.controls.filter((f) => f.opcode === OP.PING).length;
      assert.ok(pings >= 2, `pinged at least twice before the drop (${pings})`);
      assert.ok(ms >= 500, `not dropped at once (${ms} ms)`);
      assert.equal(answering.ended, false, 'the answering client stays');
      await sleep(1500);
      assert.ok(answering.controls.filter((f) => f.opcode === OP.PING).length >= 3, 'the answering client is pinged too');
      await roundTrip(answering);
      assert.equal(answering.ended, false);
    } finally {
      answering.destroy();
      silent.destroy();
    }
  });

  it('SIGTERM: readiness turns 503 first, then every socket is closed with 1001 and the server exits 0', async () => {
    const u = await c.newUser({ name: 'Apagado' }, 'wsterm');
    const v = await c.newUser({ name: 'Apagado Dos' }, 'wsterm2');
    const socks = [await open(srv.port, u.access), await open(srv.port, u.access), await open(srv.port, v.access)];
    const t0 = Date.now();
    assert.ok(srv.signal('SIGTERM'));
    // The signal reaches the loop on its next turn: a request sent at once
    // may be answered before it. Ask until readiness turns (bounded, well
    // inside SHUTDOWN_DELAY_S).
    let ready = await request(srv.port, { path: '/api/ready' });
    for (let i = 0; i < 40 && ready.status !== 503; i++) {
      await sleep(10);
      ready = await request(srv.port, { path: '/api/ready' });
    }
    assert.equal(ready.status, 503);
    assert.equal(json(ready).status, 'shutting_down');
    assert.ok(socks.every((ws) => !ws.ended), 'sockets stay open while readiness is 503 (SHUTDOWN_DELAY_S=1)');
    for (const ws of socks) {
      const { code } = await ws.closed({ timeoutMs: 8000 });
      assert.equal(code, 1001);
    }
    assert.ok(Date.now() - t0 >= 800, 'closed after the shutdown delay');
    assertCleanExit(await srv.exited); // no second signal: the one SIGTERM ends it
  });
});
