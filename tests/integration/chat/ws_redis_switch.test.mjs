// REDIS_ENABLED switched off and back (issue 11, DESIGN.md "rolls back to
// memory at any time"): with Redis off, chat works within each instance and
// a message between instances is not pushed but is caught up with since_id;
// the same database with both instances restarted on Redis delivers across
// them again. Stateless sessions, so the tokens outlive the restarts.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AuthClient, expectJson } from '../lib/auth.mjs';
import { startCatalogServer } from '../lib/catalog.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import { startRedis } from '../lib/redis.mjs';
import { assertCleanExit, sleep } from '../lib/server.mjs';
import { WsClient } from '../lib/ws.mjs';

async function open(port, token) {
  const ws = await WsClient.connect(port, { token });
  await ws.next('hello');
  return ws;
}

describe('REDIS_ENABLED off, then on, for two instances', () => {
  let db;
  let redis;
  const servers = [];
  const sockets = [];
  let a;
  let b;
  let c;

  const start = async (redisOn) => {
    const extra = redisOn ? { REDIS_ENABLED: 'true', REDIS_URL: redis.url } : { REDIS_ENABLED: 'false' };
    const one = await startCatalogServer({ store: 'stateless', databaseUrl: db, extra });
    const two = await startCatalogServer({ store: 'stateless', databaseUrl: db, extra });
    servers.push(one, two);
    return [one, two];
  };
  const stopAll = async () => {
    for (const ws of sockets.splice(0)) ws.destroy();
    for (const srv of servers.splice(0)) assertCleanExit(await srv.stop());
  };

  before(async () => {
    db = await freshDatabase('ws_redis_switch');
    redis = await startRedis();
  });
  after(async () => {
    await stopAll();
    await redis?.stop();
  });

  it('off: delivery within each instance; across them only by catching up', async () => {
    const [one, two] = await start(false);
    c = new AuthClient(one.port);
    a = await c.newUser({}, 'switcha');
    b = await c.newUser({}, 'switchb');
    const a1 = await open(one.port, a.access);
    const b1 = await open(one.port, b.access);
    const b2 = await open(two.port, b.access);
    sockets.push(a1, b1, b2);
    a1.sendJson({ type: 'message', to: b.user.id, body: 'sin redis', client_id: 'x1' });
    const ack = await a1.next('ack');
    assert.equal((await b1.next('message')).message.id, ack.message.id, 'same instance: pushed');
    await sleep(300);
    assert.equal(b2.all('message').length, 0, 'other instance: not pushed without Redis');
    const since = expectJson(await new AuthClient(two.port).call('GET', '/api/messages?since_id=0', { token: b.access }), 200);
    assert.deepEqual(since.items.map((m) => m.id), [ack.message.id], 'caught up through the other instance');
    await stopAll();
  });

  it('back on: the same users talk across the instances again', async () => {
    const [one, two] = await start(true);
    const a1 = await open(one.port, a.access);
    const b2 = await open(two.port, b.access);
    sockets.push(a1, b2);
    // The subscription of b's channel on instance 2 is confirmed asynchronously.
    await sleep(200);
    a1.sendJson({ type: 'message', to: b.user.id, body: 'con redis', client_id: 'x2' });
    const ack = await a1.next('ack');
    const got = await b2.next('message', { timeoutMs: 5000 });
    assert.equal(got.message.id, ack.message.id);
    assert.equal(got.message.body, 'con redis');
  });
});
