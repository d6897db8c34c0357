// Two server processes sharing one Redis (DESIGN.md stage 2): what must be
// shared is shared. One rate limit across both instances, and a delete or
// namespace bump on one instance evicts the hybrid L1 of the other within
// 100 ms.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertCleanExit, json, request, startServer } from '../lib/server.mjs';
import { startRedis } from '../lib/redis.mjs';

const NO_DB = { DATABASE_URL: 'postgresql://127.0.0.1:1/none' };

describe('two instances on one Redis', () => {
  let redis;
  let a;
  let b;

  before(async () => {
    redis = await startRedis();
    const env = {
      ...NO_DB,
      REDIS_ENABLED: 'true',
      REDIS_URL: redis.url,
      CACHE_TYPE: 'hybrid',
      RATE_LIMIT_STORE: 'redis',
      RATE_LIMIT_READ: '10/60',
    };
    [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
    // Both subscribed to the invalidation channel before the L1 tests.
    for (const s of [a, b]) {
      for (let i = 0; ; i++) {
        const stores = json(await request(s.port, { path: '/api/_test/stores' }));
        if (stores.redis.state === 'up' && stores.redis.pubsub) break;
        assert.ok(i < 100, 'redis pub/sub up within 5 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  after(async () => {
    const results = await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    for (const r of results) if (r) assertCleanExit(r);
  });

  it('both report Redis ready', async () => {
    for (const s of [a, b]) {
      const body = json(await request(s.port, { path: '/api/ready' }));
      assert.equal(body.checks.redis, 'ok');
    }
  });

  it('share one rate limit: requests split between them hit 429 at the combined limit', async () => {
    const seen = [];
    for (let i = 0; i < 12; i++) {
      const server = i % 2 === 0 ? a : b;
      const res = await request(server.port, { path: '/api/shared-limit' });
      seen.push([res.status, res.headers['ratelimit-remaining']]);
    }
    assert.deepEqual(
      seen.map(([status]) => status),
      [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 429, 429],
    );
    assert.deepEqual(
      seen.slice(0, 10).map(([, remaining]) => remaining),
      ['9', '8', '7', '6', '5', '4', '3', '2', '1', '0'],
    );
  });

  async function l1Filled(server, path) {
    const first = await request(server.port, { path });
    assert.equal(first.status, 200);
    const before = json(await request(server.port, { path: '/api/_test/stores' })).cache.l1_hits;
    const second = await request(server.port, { path });
    assert.equal(second.status, 200);
    const afterHits = json(await request(server.port, { path: '/api/_test/stores' })).cache.l1_hits;
    assert.equal(afterHits, before + 1, 'the second read came from the L1');
    return second.body.toString();
  }

  async function evictedWithin(server, path, ms) {
    const start = Date.now();
    for (;;) {
      const res = await request(server.port, { path });
      if (res.status === 404) return Date.now() - start;
      assert.equal(res.status, 200);
      assert.ok(Date.now() - start < ms, `${path} still served from the L1 after ${ms} ms`);
    }
  }

  it('a delete on one instance evicts the hybrid L1 of the other within 100 ms', async () => {
    const put = await request(a.port, { method: 'PUT', path: '/api/_test/cache/41?ns=ad', body: 'tractor' });
    assert.equal(put.status, 204);
    assert.equal(await l1Filled(b, '/api/_test/cache/41?ns=ad'), 'tractor');

    const del = await request(a.port, { method: 'DELETE', path: '/api/_test/cache/41?ns=ad' });
    assert.equal(del.status, 204);
    const ms = await evictedWithin(b, '/api/_test/cache/41?ns=ad', 100);
    assert.ok(ms < 100);
    const stats = json(await request(b.port, { path: '/api/_test/stores' })).cache;
    assert.ok(stats.invalidations_received >= 1);
  });

  it('a namespace bump on one instance evicts that namespace from the other L1 within 100 ms', async () => {
    for (const id of [1, 2]) {
      const put = await request(a.port, { method: 'PUT', path: `/api/_test/cache/${id}?ns=search`, body: `page${id}` });
      assert.equal(put.status, 204);
    }
    await request(a.port, { method: 'PUT', path: '/api/_test/cache/1?ns=category', body: 'kept' });
    await l1Filled(b, '/api/_test/cache/1?ns=search');
    await l1Filled(b, '/api/_test/cache/2?ns=search');
    await l1Filled(b, '/api/_test/cache/1?ns=category');

    const bump = await request(a.port, { method: 'POST', path: '/api/_test/cache/bump?ns=search' });
    assert.equal(bump.status, 204);
    await evictedWithin(b, '/api/_test/cache/1?ns=search', 100);
    assert.equal((await request(b.port, { path: '/api/_test/cache/2?ns=search' })).status, 404);
    const kept = await request(b.port, { path: '/api/_test/cache/1?ns=category' });
    assert.equal(kept.status, 200);
    assert.equal(kept.body.toString(), 'kept');
  });

  it('each instance announces itself', async () => {
    const members = await redis.command('ZRANGE', 'rural24:instances', '0', '-1');
    assert.equal(members.length, 2);
    // Each learns the count at its next heartbeat (every second).
    for (const s of [a, b]) {
      const deadline = Date.now() + 3000;
      for (;;) {
        const rl = json(await request(s.port, { path: '/api/_test/stores' })).rate_limiter;
        if (rl.instances === 2) break;
        assert.ok(Date.now() < deadline, `instance count ${rl.instances} after 3 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
});
