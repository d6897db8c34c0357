// Logging (issue 2 "Logging"): one JSON object per line on stdout, one access
// line per request (request id, method, path without query, status, bytes,
// duration, client IP), LOG_LEVEL filtering, and secrets never logged.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  RawClient,
  buildRequest,
  request,
  serverFixture,
  sleep,
  startServerFor,
} from '../lib/server.mjs';

describe('access log', () => {
  const fx = serverFixture();
  const accessFor = (id) => fx.server.logs().filter((l) => l.msg === 'request' && l.request_id === id);

  it('every stdout line is a JSON object with ts, level and msg', async () => {
    await request(fx.server.port, { path: '/api/health' });
    await sleep(50);
    const lines = fx.server.stdout().split('\n').filter((l) => l.length);
    assert.ok(lines.length >= 2);
    for (const line of lines) {
      let obj;
      assert.doesNotThrow(() => (obj = JSON.parse(line)), `not JSON: ${line}`);
      assert.equal(typeof obj, 'object');
      assert.equal(typeof obj.ts, 'string', `ts in ${line}`);
      assert.ok(!Number.isNaN(Date.parse(obj.ts)), `ts is a timestamp: ${obj.ts}`);
      assert.equal(typeof obj.level, 'string', `level in ${line}`);
      assert.equal(typeof obj.msg, 'string', `msg in ${line}`);
    }
  });

  it('one line per request with request_id, method, path, status, bytes, duration_ms, ip', async () => {
    const res = await request(fx.server.port, { path: '/api/health?verbose=1', headers: { 'X-Request-Id': 'log-200' } });
    assert.equal(res.status, 200);
    const line = await fx.server.waitForLog((l) => l.msg === 'request' && l.request_id === 'log-200');
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/api/health', 'the path without the query string');
    assert.equal(line.status, 200);
    assert.ok(Number.isInteger(line.bytes) && line.bytes > 0, `bytes: ${line.bytes}`);
    assert.equal(typeof line.duration_ms, 'number');
    assert.ok(line.duration_ms >= 0 && line.duration_ms < 5000, `duration_ms: ${line.duration_ms}`);
    assert.equal(line.ip, '127.0.0.1');
    await sleep(100);
    assert.equal(accessFor('log-200').length, 1, 'exactly one access line');
  });

  it('errors are logged with their status', async () => {
    await request(fx.server.port, { path: '/api/nope?q=1', headers: { 'X-Request-Id': 'log-404' } });
    await request(fx.server.port, { method: 'DELETE', path: '/api/health', headers: { 'X-Request-Id': 'log-405' } });
    const l404 = await fx.server.waitForLog((l) => l.msg === 'request' && l.request_id === 'log-404');
    const l405 = await fx.server.waitForLog((l) => l.msg === 'request' && l.request_id === 'log-405');
    assert.equal(l404.status, 404);
    assert.equal(l404.path, '/api/nope');
    assert.equal(l405.status, 405);
    assert.equal(l405.method, 'DELETE');
  });

  it('pipelined requests get one line each, with generated ids matching the responses', async () => {
    const c = await RawClient.connect(fx.server.port);
    try {
      await c.write(Buffer.concat([buildRequest({ path: '/api/health' }), buildRequest({ path: '/api/ready' }), buildRequest({ method: 'HEAD', path: '/api/health' })]));
      const rs = await c.responses(3, { head: [2] });
      for (const [i, r] of rs.entries()) {
        const id = r.headers['x-request-id'];
        const line = await fx.server.waitForLog((l) => l.msg === 'request' && l.request_id === id);
        assert.equal(line.path, ['/api/health', '/api/ready', '/api/health'][i]);
        assert.equal(line.method, ['GET', 'GET', 'HEAD'][i]);
      }
      await sleep(100);
      for (const r of rs) assert.equal(accessFor(r.headers['x-request-id']).length, 1);
    } finally {
      c.destroy();
    }
  });

  it('Authorization headers and secrets in the query string are never logged', async () => {
    const secrets = ['secret-token-xyz', 'hunter2', 'cookie-secret-abc'];
    await request(fx.server.port, {
      path: '/api/health?password=hunter2&token=secret-token-xyz',
      headers: { Authorization: 'Bearer secret-token-xyz', Cookie: 'sid=cookie-secret-abc', 'X-Request-Id': 'log-secret' },
    });
    await request(fx.server.port, {
      path: '/api/nope?password=hunter2',
      headers: { Authorization: 'Bearer secret-token-xyz', 'X-Request-Id': 'log-secret-404' },
    });
    await fx.server.waitForLog((l) => l.msg === 'request' && l.request_id === 'log-secret-404');
    await sleep(100);
    for (const s of secrets) {
      assert.ok(!fx.server.stdout().includes(s), `stdout contains ${s}`);
      assert.ok(!fx.server.stderr().includes(s), `stderr contains ${s}`);
    }
  });
});

describe('LOG_LEVEL', () => {
  it('LOG_LEVEL=warn hides info lines, access lines included', async (t) => {
    const srv = await startServerFor(t, { env: { LOG_LEVEL: 'warn' }, readyOn: 'port' });
    assert.equal((await request(srv.port, { path: '/api/health' })).status, 200);
    await sleep(200);
    const levels = srv.logs().map((l) => String(l.level).toLowerCase());
    assert.ok(!levels.includes('info'), `no info lines; got ${JSON.stringify(srv.logs())}`);
    assert.ok(!levels.includes('debug'));
    assert.ok(!srv.logs().some((l) => l.msg === 'request'));
  });

  it('LOG_LEVEL=debug still logs the access lines', async (t) => {
    const srv = await startServerFor(t, { env: { LOG_LEVEL: 'debug' } });
    await request(srv.port, { path: '/api/health', headers: { 'X-Request-Id': 'dbg' } });
    await srv.waitForLog((l) => l.msg === 'request' && l.request_id === 'dbg');
  });
});
