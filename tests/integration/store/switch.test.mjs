// The rollback switch across restarts (DESIGN.md: "Moving between stages
// changes environment variables, never code"): REDIS_ENABLED true → false →
// true with every other variable the same changes the stores, and only them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertCleanExit, json, request, startServer } from '../lib/server.mjs';
import { startRedis } from '../lib/redis.mjs';

describe('REDIS_ENABLED true → false → true', () => {
  let redis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  const env = () => ({
    DATABASE_URL: 'postgresql://127.0.0.1:1/none',
    REDIS_URL: redis.url,
    CACHE_TYPE: 'hybrid',
    RATE_LIMIT_STORE: 'redis',
    RATE_LIMIT_READ: '100/3600', // a token per 36 s: the three runs' start-ups never refill one
  });

  async function run(redisEnabled, body) {
    const server = await startServer({ env: { ...env(), REDIS_ENABLED: redisEnabled } });
    try {
      await body(server);
    } finally {
      assertCleanExit(await server.stop());
    }
  }

  async function stores(server) {
    return json(await request(server.port, { path: '/api/_test/stores' }));
  }

  it('switches the stores and nothing else', async () => {
    await run('true', async (server) => {
      const s = await stores(server);
      assert.equal(s.cache.type, 'hybrid');
      assert.equal(s.rate_limiter.type, 'redis');
      assert.equal(s.redis.state, 'up');
      assert.equal(json(await request(server.port, { path: '/api/ready' })).checks.redis, 'ok');
      const put = await request(server.port, { method: 'PUT', path: '/api/_test/cache/7?ns=ad', body: 'shared' });
      assert.equal(put.status, 204);
      const res = await request(server.port, { path: '/api/anything' });
      assert.equal(res.headers['ratelimit-remaining'], '99');
    });

    await run('false', async (server) => {
      const s = await stores(server);
      assert.equal(s.cache.type, 'memory');
      assert.equal(s.rate_limiter.type, 'memory');
      assert.equal(s.redis.state, 'disabled');
      assert.equal(json(await request(server.port, { path: '/api/ready' })).checks.redis, 'disabled');
      const warning = server.logs().find((l) => l.level === 'warn' && /REDIS_ENABLED=false/.test(l.msg));
      assert.ok(warning, 'the rollback is logged once as a warning');
      // The memory cache does not see what was stored in Redis...
      assert.equal((await request(server.port, { path: '/api/_test/cache/7?ns=ad' })).status, 404);
      // ...and the memory limiter starts from a full quota.
      const res = await request(server.port, { path: '/api/anything' });
      assert.equal(res.headers['ratelimit-remaining'], '99');
      // Nothing of this process talks to Redis.
      const clients = await redis.command('CLIENT', 'LIST');
      assert.doesNotMatch(clients, /name=rural24/);
    });

    await run('true', async (server) => {
      const s = await stores(server);
      assert.equal(s.cache.type, 'hybrid');
      assert.equal(s.rate_limiter.type, 'redis');
      // Back on the same Redis: the value of the first run is still there, and
      // the shared limit remembers the first run's request.
      const res = await request(server.port, { path: '/api/_test/cache/7?ns=ad' });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'shared');
      const limited = await request(server.port, { path: '/api/anything' });
      assert.equal(limited.headers['ratelimit-remaining'], '98');
    });
  });
});
