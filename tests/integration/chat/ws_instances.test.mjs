// Chat across two instances sharing one Redis (issue 11 "Delivery across
// instances"): SESSION_STORE=redis, RATE_LIMIT_STORE=redis, CACHE_TYPE=redis.
// Each user has a tab on each instance; every message, sent over WebSocket or
// REST through either instance, reaches every open connection of both users
// exactly once and in order; typing and read receipts cross; a revocation on
// one instance closes the sockets on the other; a client that was away
// catches up with since_id; and after Redis restarts, delivery resumes and
// the gap is recoverable.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AuthClient, expectJson } from '../lib/auth.mjs';
import { startCatalogServer } from '../lib/catalog.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import { startRedis } from '../lib/redis.mjs';
import { assertCleanExit, json, request, sleep } from '../lib/server.mjs';
import { WsClient } from '../lib/ws.mjs';

class ChatClient extends AuthClient {
  send(token, body) {
    return this.call('POST', '/api/messages', { token, body });
  }
  async sendOk(from, to, text) {
    return expectJson(await this.send(from.access, { to: to.user.id, body: text }), 201, `send ${text}`);
  }
  async sinceOk(token, sinceId) {
    return expectJson(await this.call('GET', `/api/messages?since_id=${sinceId}`, { token }), 200, `since ${sinceId}`).items;
  }
}

async function open(port, token) {
  const ws = await WsClient.connect(port, { token });
  await ws.next('hello');
  return ws;
}

/** Ids of the messages a socket saw, in arrival order: pushed messages and
 *  the acks of its own sends. */
function seen(ws) {
  return ws.messages.filter((f) => f.type === 'message' || f.type === 'ack').map((f) => f.message.id);
}

/** Waits until every socket in `sockets` has seen every id in `ids`. */
async function allSeen(sockets, ids, what, timeoutMs = 5000) {
  for (const [name, ws] of Object.entries(sockets)) {
    await ws.waitFor(() => ids.every((id) => seen(ws).includes(id)), {
      timeoutMs,
      what: `${name} to see ${what} (${ids.length} ids; has ${seen(ws).length})`,
    });
  }
}

/** Waits (bounded) until the instance reports Redis up (and its pub/sub
 *  connection, which exists once a channel is subscribed). */
async function redisUp(srv, { pubsub = false, timeoutMs = 15000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stores = json(await request(srv.port, { path: '/api/_test/stores' }));
    if (stores.redis.state === 'up' && (!pubsub || stores.redis.pubsub)) return;
    assert.ok(Date.now() < deadline, `Redis up with pub/sub within ${timeoutMs} ms: ${JSON.stringify(stores.redis)}`);
    await sleep(50);
  }
}

describe('two instances, one Redis (SESSION_STORE=redis)', () => {
  let redis;
  let one;
  let two;
  let c1;
  let c2;
  const sockets = [];
  const openT = async (srv, token) => {
    const ws = await open(srv.port, token);
    sockets.push(ws);
    return ws;
  };

  before(async () => {
    const db = await freshDatabase('ws_instances');
    redis = await startRedis();
    const opts = {
      store: 'redis',
      databaseUrl: db,
      redisUrl: redis.url,
      extra: { CACHE_TYPE: 'redis', RATE_LIMIT_STORE: 'redis', RATE_LIMIT_WS_MESSAGE: '1000000/60' },
    };
    [one, two] = await Promise.all([startCatalogServer(opts), startCatalogServer(opts)]);
    await Promise.all([redisUp(one), redisUp(two)]);
    c1 = new ChatClient(one.port);
    c2 = new ChatClient(two.port);
  });

  after(async () => {
    for (const ws of sockets) ws.destroy();
    const results = await Promise.all([one?.stop(), two?.stop()]);
    await redis?.stop();
    for (const r of results) if (r) assertCleanExit(r);
  });

  it('A on instance 1 and B on instance 2 exchange messages both ways over WebSocket and REST: each reaches each open connection of both users exactly once, in order', async () => {
    const a = await c1.newUser({ name: 'Ana Instancia Uno' }, 'wsia');
    const b = await c2.newUser({ name: 'Beto Instancia Dos' }, 'wsib');
    // Each user has a tab on each instance.
    const A1 = await openT(one, a.access);
    const A2 = await openT(two, a.access);
    const B1 = await openT(two, b.access);
    const B2 = await openT(one, b.access);
    const all = { A1, A2, B1, B2 };
    await sleep(100); // the instances' SUBSCRIBEs reach Redis

    const sent = []; // {id, via: socket name or null}
    for (let i = 0; i < 16; i++) {
      let m;
      let via = null;
      switch (i % 4) {
        case 0:
          via = 'A1';
          A1.sendJson({ type: 'message', to: b.user.id, body: `A por WS ${i}`, client_id: `a${i}` });
          m = (await A1.next('ack', { where: (f) => f.client_id === `a${i}` })).message;
          break;
        case 1:
          via = 'B1';
          B1.sendJson({ type: 'message', to: a.user.id, body: `B por WS ${i}`, client_id: `b${i}` });
          m = (await B1.next('ack', { where: (f) => f.client_id === `b${i}` })).message;
          break;
        case 2:
          m = await c2.sendOk(a, b, `A por REST en la instancia 2 ${i}`);
          break;
        default:
          m = await c1.sendOk(b, a, `B por REST en la instancia 1 ${i}`);
      }
      sent.push({ id: m.id, via, body: m.body });
    }
    const ids = sent.map((s) => s.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'ids grow in the order sent');
    await allSeen(all, ids, 'every message');
    await sleep(400); // anything doubled would arrive by now
    for (const [name, ws] of Object.entries(all)) {
      assert.deepEqual(seen(ws), ids, `${name}: each message exactly once, in order`);
      for (const s of sent) {
        const pushes = ws.all('message').filter((f) => f.message.id === s.id).length;
        const acks = ws.all('ack').filter((f) => f.message.id === s.id).length;
        if (s.via === name) assert.deepEqual([pushes, acks], [0, 1], `${name}: its own send ${s.id} only acked`);
        else assert.deepEqual([pushes, acks], [1, 0], `${name}: message ${s.id} pushed once`);
      }
    }
    // Pushed bodies are the stored ones.
    const stored = await c2.sinceOk(b.access, ids[0] - 1);
    assert.deepEqual(stored.map((m) => [m.id, m.body]), sent.map((s) => [s.id, s.body]));
    const byId = new Map(stored.map((m) => [m.id, m]));
    for (const f of B2.all('message')) assert.deepEqual(f.message, byId.get(f.message.id));

    // A burst: both users send at once from both instances; still exactly once everywhere.
    const burst = await Promise.all([
      ...Array.from({ length: 5 }, (_, k) => {
        A2.sendJson({ type: 'message', to: b.user.id, body: `ráfaga A ${k}`, client_id: `ra${k}` });
        return A2.next('ack', { where: (f) => f.client_id === `ra${k}` }).then((f) => ({ id: f.message.id, via: 'A2' }));
      }),
      ...Array.from({ length: 5 }, (_, k) => {
        B2.sendJson({ type: 'message', to: a.user.id, body: `ráfaga B ${k}`, client_id: `rb${k}` });
        return B2.next('ack', { where: (f) => f.client_id === `rb${k}` }).then((f) => ({ id: f.message.id, via: 'B2' }));
      }),
      ...Array.from({ length: 5 }, (_, k) => c1.sendOk(a, b, `ráfaga REST ${k}`).then((m) => ({ id: m.id, via: null }))),
    ]);
    const burstIds = burst.map((s) => s.id);
    await allSeen(all, burstIds, 'the burst');
    await sleep(400);
    for (const [name, ws] of Object.entries(all)) {
      const got = seen(ws).slice(ids.length);
      assert.deepEqual([...got].sort((x, y) => x - y), [...burstIds].sort((x, y) => x - y), `${name}: the burst exactly once`);
      for (const s of burst) {
        const acks = ws.all('ack').filter((f) => f.message.id === s.id).length;
        assert.equal(acks, s.via === name ? 1 : 0, `${name}: acks only for its own sends`);
      }
    }
  });

  it('typing and read receipts cross instances', async () => {
    const a = await c1.newUser({ name: 'Ana Escribe' }, 'wstypa');
    const b = await c2.newUser({ name: 'Beto Lee' }, 'wstypb');
    const A1 = await openT(one, a.access);
    const A2 = await openT(two, a.access);
    const B1 = await openT(two, b.access);
    const B2 = await openT(one, b.access);
    await sleep(100);
    A1.sendJson({ type: 'typing', to: b.user.id });
    for (const ws of [B1, B2]) assert.deepEqual(await ws.next('typing'), { type: 'typing', from: a.user.id });
    B1.sendJson({ type: 'typing', to: a.user.id });
    for (const ws of [A1, A2]) assert.deepEqual(await ws.next('typing'), { type: 'typing', from: b.user.id });

    const m1 = await c1.sendOk(a, b, 'uno');
    const m2 = await c1.sendOk(a, b, 'dos');
    assert.equal((await c2.call('POST', `/api/conversations/${a.user.id}/read`, { token: b.access })).status, 204);
    for (const ws of [A1, A2]) {
      assert.deepEqual(await ws.next('read'), { type: 'read', peer_id: b.user.id, up_to: m2.id });
    }
    await sleep(300);
    for (const ws of [A1, A2]) assert.equal(ws.all('read').length, 1, 'one read receipt per socket');
    for (const ws of [A1, A2, B1, B2]) assert.equal(ws.all('typing').length, 1, 'one typing frame per socket');
    assert.ok(m1.id < m2.id);
  });

  it('logout-all on instance 2 closes B\'s sockets on instance 1 (and 2) with 4401 within a second; logout of one session on instance 1 closes only that session\'s socket on instance 2', async () => {
    const b = await c2.newUser({ name: 'Beto Sale' }, 'wsoutb');
    const s2 = await c1.newSession(b);
    // One session's logout first.
    const keep = await openT(one, b.access);
    const gone = await openT(two, s2.access);
    await sleep(100);
    let t0 = Date.now();
    assert.equal((await c1.logout(s2.access)).status, 204);
    const first = await gone.closed({ timeoutMs: 3000 });
    assert.equal(first.code, 4401);
    assert.ok(Date.now() - t0 < 1000, `closed on instance 2 ${Date.now() - t0} ms after the logout on instance 1`);
    await sleep(200);
    assert.equal(keep.ended, false, 'the other session\'s socket stays');

    const onTwo = await openT(two, b.access);
    await sleep(100);
    t0 = Date.now();
    assert.equal((await c2.logoutAll(b.access)).status, 204);
    for (const [name, ws] of [['instance 1', keep], ['instance 2', onTwo]]) {
      const { code } = await ws.closed({ timeoutMs: 3000 });
      const ms = Date.now() - t0;
      assert.equal(code, 4401, name);
      assert.ok(ms < 1000, `${name}: closed ${ms} ms after logout-all on instance 2`);
    }
  });

  it('B disconnects, A sends, B reconnects on the other instance and catches up with since_id: nothing lost, nothing doubled', async () => {
    const a = await c1.newUser({ name: 'Ana Insiste' }, 'wscatcha');
    const b = await c2.newUser({ name: 'Beto Vuelve' }, 'wscatchb');
    const A1 = await openT(one, a.access);
    let B1 = await openT(two, b.access);
    await sleep(100);
    const first = await c1.sendOk(a, b, 'antes de irse');
    await B1.next('message', { where: (f) => f.message.id === first.id });
    const lastSeen = Math.max(...seen(B1));
    B1.close(1000);
    await B1.closed();

    const away = [];
    for (let i = 0; i < 6; i++) {
      if (i % 2 === 0) {
        A1.sendJson({ type: 'message', to: b.user.id, body: `mientras tanto ${i}`, client_id: `w${i}` });
        away.push((await A1.next('ack', { where: (f) => f.client_id === `w${i}` })).message.id);
      } else {
        away.push((await (i % 4 === 1 ? c1 : c2).sendOk(a, b, `mientras tanto ${i}`)).id);
      }
    }
    // Back on instance 1: the socket first, then the catch-up.
    B1 = await openT(one, b.access);
    const caught = await c1.sinceOk(b.access, lastSeen);
    assert.deepEqual(caught.map((m) => m.id), away, 'exactly the messages sent while away, in order');
    await sleep(300);
    assert.deepEqual(seen(B1), [], 'nothing of the past is pushed again');
    const after = await c2.sendOk(a, b, 'ya volviste');
    await B1.next('message', { where: (f) => f.message.id === after.id });
    await sleep(300);
    assert.deepEqual(seen(B1), [after.id], 'the new one by push, once');
    const again = await c1.sinceOk(b.access, away.at(-1));
    assert.deepEqual(again.map((m) => m.id), [after.id]);
  });

  it('Redis restarted mid-conversation: delivery across instances resumes and the gap is recoverable with since_id', async () => {
    const a = await c1.newUser({ name: 'Ana Sin Redis' }, 'wsreda');
    const b = await c2.newUser({ name: 'Beto Sin Redis' }, 'wsredb');
    const A1 = await openT(one, a.access);
    const B1 = await openT(two, b.access);
    await sleep(100);
    A1.sendJson({ type: 'message', to: b.user.id, body: 'con Redis', client_id: 'pre' });
    const pre = (await A1.next('ack')).message;
    await B1.next('message', { where: (f) => f.message.id === pre.id });

    await redis.kill();
    const during = [];
    for (let i = 0; i < 3; i++) {
      A1.sendJson({ type: 'message', to: b.user.id, body: `sin Redis ${i}`, client_id: `gap${i}` });
      const ack = await A1.next('ack', { where: (f) => f.client_id === `gap${i}`, timeoutMs: 10000 });
      during.push(ack.message.id);
    }
    during.push((await c1.sendOk(a, b, 'sin Redis por REST')).id);
    await redis.restart();
    await Promise.all([redisUp(one, { pubsub: true }), redisUp(two, { pubsub: true })]);

    // Delivery resumes (bounded): A keeps sending until B's socket gets a push.
    const probes = [];
    const deadline = Date.now() + 15000;
    let resumed = false;
    for (let i = 0; !resumed && Date.now() < deadline; i++) {
      A1.sendJson({ type: 'message', to: b.user.id, body: `¿me oís? ${i}`, client_id: `probe${i}` });
      probes.push((await A1.next('ack', { where: (f) => f.client_id === `probe${i}` })).message.id);
      resumed = await B1.waitFor(() => probes.some((id) => seen(B1).includes(id)), { timeoutMs: 300 }).then(
        () => true,
        () => false,
      );
    }
    assert.ok(resumed, 'delivery across instances resumed within 15 s of Redis coming back');
    // The other way too.
    B1.sendJson({ type: 'message', to: a.user.id, body: 'te oigo', client_id: 'back' });
    const back = (await B1.next('ack')).message;
    await A1.next('message', { where: (f) => f.message.id === back.id, timeoutMs: 5000 });

    // The gap: B catches up from the last id it saw before the outage.
    const caught = await c2.sinceOk(b.access, pre.id);
    const caughtIds = caught.map((m) => m.id);
    for (const id of [...during, ...probes, back.id]) assert.ok(caughtIds.includes(id), `message ${id} is in the catch-up`);
    assert.equal(new Set(caughtIds).size, caughtIds.length, 'no id twice in the catch-up');
    assert.deepEqual(caughtIds, [...caughtIds].sort((x, y) => x - y));
    await sleep(300);
    const pushed = seen(B1);
    assert.equal(new Set(pushed).size, pushed.length, `nothing doubled on B's socket: ${pushed}`);
  });
});
