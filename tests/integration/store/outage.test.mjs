// Redis failing under a running server (DESIGN.md: "If Redis is unreachable at
// run time the server keeps serving"): killed, the stores degrade to memory
// with no request failing, readiness stays 200 and says "degraded" with redis
// "down" (API.md), each switch is logged once; restarted, everything goes back. Paused (it stops answering), requests wait
// at most the command timeout.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit, json, request, startServer } from '../lib/server.mjs';
import { startRedis } from '../lib/redis.mjs';

async function eventually(fn, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Redis outages under a running server', () => {
  let redis;
  let server;

  before(async () => {
    redis = await startRedis();
    server = await startServer({
      env: {
        // A real database, so that readiness shows what Redis alone does.
        DATABASE_URL: await freshDatabase('store_outage'),
        REDIS_ENABLED: 'true',
        REDIS_URL: redis.url,
        CACHE_TYPE: 'hybrid',
        RATE_LIMIT_STORE: 'redis',
        RATE_LIMIT_READ: '1000/60',
      },
    });
  });

  after(async () => {
    const result = await server?.stop();
    await redis?.stop();
    if (result) assertCleanExit(result);
  });

  const stores = async () => json(await request(server.port, { path: '/api/_test/stores' }));
  const ready = async () => json(await request(server.port, { path: '/api/ready' }));
  const countLogs = (msg) => server.logs().filter((l) => l.msg === msg).length;

  it('killed: keeps serving from memory, readiness 200 degraded, each switch logged once', async () => {
    await eventually(async () => (await stores()).redis.pubsub, 'pub/sub up');
    await redis.kill();
    await eventually(async () => (await ready()).checks.redis === 'down', 'readiness redis down');
    // API.md: Redis down keeps the instance in rotation, saying so.
    const degraded = await request(server.port, { path: '/api/ready' });
    assert.equal(degraded.status, 200, 'Redis down is not a reason to leave the balancer');
    assert.deepEqual(json(degraded), { status: 'degraded', checks: { db: 'ok', redis: 'down' } });

    for (let i = 0; i < 20; i++) {
      const put = await request(server.port, { method: 'PUT', path: `/api/_test/cache/${i + 1}`, body: `v${i}` });
      assert.equal(put.status, 204);
      const get = await request(server.port, { path: `/api/_test/cache/${i + 1}` });
      assert.equal(get.status, 200);
      assert.equal(get.body.toString(), `v${i}`);
      const limited = await request(server.port, { path: '/api/anything' });
      assert.equal(limited.status, 404);
      assert.ok(limited.headers['ratelimit-limit'], 'still rate limited (in memory)');
    }
    const s = await stores();
    assert.equal(s.cache.degraded, true);
    assert.equal(s.rate_limiter.degraded, true);
    assert.equal(s.cache.fallbacks, 1);
    assert.equal(s.rate_limiter.fallbacks, 1);
    assert.equal(countLogs('cache: Redis unavailable, serving from memory'), 1);
    assert.equal(countLogs('rate limiter: Redis unavailable, deciding in memory'), 1);
    const health = await request(server.port, { path: '/api/health' });
    assert.equal(health.status, 200);

    await redis.restart();
    await eventually(async () => (await ready()).checks.redis === 'ok', 'readiness redis ok');
    assert.equal((await ready()).status, 'ok');
    const back = await eventually(async () => {
      const st = await stores();
      return !st.cache.degraded && !st.rate_limiter.degraded && st;
    }, 'stores back on Redis');
    assert.equal(back.cache.recoveries, 1);
    assert.equal(back.rate_limiter.recoveries, 1);
    assert.equal(countLogs('cache: Redis is back, serving from Redis'), 1);
    // Back on Redis: what is stored now lands in Redis.
    await request(server.port, { method: 'PUT', path: '/api/_test/cache/99', body: 'after' });
    const keys = await redis.command('KEYS', 'rural24:cache:d:test:*');
    assert.equal(keys.length, 1);
  });

  it('paused: a request waits at most about the command timeout', async () => {
    await eventually(async () => (await stores()).redis.pubsub, 'pub/sub up again');
    redis.pause();
    try {
      const start = Date.now();
      const res = await request(server.port, { path: '/api/_test/cache/12345', timeoutMs: 5000 });
      const ms = Date.now() - start;
      assert.equal(res.status, 404);
      assert.ok(ms < 2000, `answered after ${ms} ms`); // 500 ms timeout + a tick
      const limited = await request(server.port, { path: '/api/anything', timeoutMs: 5000 });
      assert.equal(limited.status, 404);
    } finally {
      redis.resume();
    }
    await eventually(async () => !(await stores()).cache.degraded, 'back after the pause');
  });
});
