// Rate limiting through HTTP with the memory store (API.md "Conventions":
// RateLimit-* headers, 429 rate_limited + Retry-After; the classes):
// which requests count against which class, the key (client address behind
// TRUST_PROXY, IPv6 grouped by /64), the headers, and RATE_LIMIT_DRY_RUN.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertErrorShape, request, serverFixture } from '../lib/server.mjs';

// No database: the pool fails fast and the server serves without it.
const NO_DB = { DATABASE_URL: 'postgresql://127.0.0.1:1/none' };

function limitHeaders(res) {
  return {
    limit: res.headers['ratelimit-limit'],
    remaining: res.headers['ratelimit-remaining'],
    reset: res.headers['ratelimit-reset'],
    retryAfter: res.headers['retry-after'],
  };
}

function get(server, path, ip, method = 'GET') {
  const headers = ip ? { 'X-Forwarded-For': ip } : {};
  return request(server.port, { method, path, headers });
}

describe('rate limiting behind a trusted proxy (memory store)', () => {
  const fx = serverFixture({
    env: { ...NO_DB, TRUST_PROXY: '127.0.0.1', RATE_LIMIT_READ: '5/60', RATE_LIMIT_WRITE: '3/60' },
  });

  it('GETs under /api count against read, 404s included, then 429 with Retry-After', async () => {
    const ip = '198.51.100.1';
    for (let i = 0; i < 5; i++) {
      const res = await get(fx.server, '/api/no-such-route', ip);
      assert.equal(res.status, 404);
      const h = limitHeaders(res);
      assert.equal(h.limit, '5');
      assert.equal(h.remaining, String(4 - i));
      assert.ok(Number(h.reset) >= 1 && Number(h.reset) <= 60, `RateLimit-Reset ${h.reset}`);
      assert.equal(h.retryAfter, undefined);
    }
    const res = await get(fx.server, '/api/no-such-route', ip);
    assert.equal(res.status, 429);
    assertErrorShape(res, 'rate_limited');
    const h = limitHeaders(res);
    assert.equal(h.limit, '5');
    assert.equal(h.remaining, '0');
    // One request is worth 60 / 5 = 12 s; rounded up, never down.
    assert.ok(Number(h.retryAfter) >= 11 && Number(h.retryAfter) <= 12, `Retry-After ${h.retryAfter}`);
    assert.ok(Number(h.reset) >= 59 && Number(h.reset) <= 60, `RateLimit-Reset ${h.reset}`);
  });

  it('HEAD counts as a read, sharing the GET quota', async () => {
    const ip = '198.51.100.2';
    const statuses = [];
    for (const method of ['GET', 'HEAD', 'GET', 'HEAD', 'GET', 'HEAD']) {
      statuses.push((await get(fx.server, '/api/x', ip, method)).status);
    }
    assert.deepEqual(statuses, [404, 404, 404, 404, 404, 429]);
  });

  it('other methods count against write, separately from read', async () => {
    const ip = '198.51.100.3';
    const writes = [];
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await get(fx.server, '/api/x', ip, method);
      writes.push([res.status, res.headers['ratelimit-limit']]);
    }
    assert.deepEqual(writes, [[404, '3'], [404, '3'], [404, '3'], [429, '3']]);
    const read = await get(fx.server, '/api/x', ip);
    assert.equal(read.status, 404);
    assert.equal(read.headers['ratelimit-limit'], '5');
  });

  it('health and readiness are never limited and carry no RateLimit headers', async () => {
    const ip = '198.51.100.4';
    for (let i = 0; i < 12; i++) {
      for (const path of ['/api/health', '/api/ready']) {
        const res = await get(fx.server, path, ip);
        assert.notEqual(res.status, 429, path);
        assert.equal(res.headers['ratelimit-limit'], undefined, path);
      }
    }
  });

  it('paths outside /api are not limited', async () => {
    for (let i = 0; i < 8; i++) {
      const res = await get(fx.server, '/not-the-api', '198.51.100.5');
      assert.equal(res.status, 404);
      assert.equal(res.headers['ratelimit-limit'], undefined);
    }
  });

  it('IPv6 clients are grouped by /64', async () => {
    const sameNet = ['2001:db8:1:2::1', '2001:db8:1:2::ffff', '2001:db8:1:2:abcd::9', '2001:db8:1:2::1', '2001:db8:1:2::2'];
    for (const ip of sameNet) assert.equal((await get(fx.server, '/api/x', ip)).status, 404, ip);
    assert.equal((await get(fx.server, '/api/x', '2001:db8:1:2:ffff:ffff:ffff:ffff')).status, 429);
    const res = await get(fx.server, '/api/x', '2001:db8:1:3::1'); // the next /64
    assert.equal(res.status, 404);
    assert.equal(res.headers['ratelimit-remaining'], '4');
  });
});

describe('rate limiting without TRUST_PROXY', () => {
  const fx = serverFixture({ env: { ...NO_DB, RATE_LIMIT_READ: '3/60' } });

  it('X-Forwarded-For is ignored: rotating it does not reset the limit', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await get(fx.server, '/api/x', `203.0.113.${i + 1}`)).status);
    }
    assert.deepEqual(statuses, [404, 404, 404, 429]);
  });
});

describe('RATE_LIMIT_DRY_RUN=true', () => {
  const fx = serverFixture({ env: { ...NO_DB, RATE_LIMIT_READ: '2/60', RATE_LIMIT_DRY_RUN: 'true' } });

  it('logs refusals and lets the requests through', async () => {
    const statuses = [];
    const remaining = [];
    for (let i = 0; i < 5; i++) {
      const res = await get(fx.server, '/api/x');
      statuses.push(res.status);
      remaining.push(res.headers['ratelimit-remaining']);
    }
    assert.deepEqual(statuses, [404, 404, 404, 404, 404]);
    assert.deepEqual(remaining, ['1', '0', '0', '0', '0']);
    // Log lines are written once per loop turn: wait for the third.
    const dryRun = (l) => l.msg === 'rate limit exceeded (dry run: not refused)';
    await fx.server.waitForLog(() => fx.server.logs().filter(dryRun).length >= 3);
    const lines = fx.server.logs().filter(dryRun);
    assert.equal(lines.length, 3);
    assert.equal(lines[0].class, 'read');
    assert.equal(lines[0].key, 'ip:127.0.0.1');
  });
});
