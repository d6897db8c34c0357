// Timeouts (issue 2 "HTTP server"): headers not complete in time → 408 and
// close (slowloris), idle keep-alive connections closed, stalled bodies timed
// out. The timeouts are shortened through HTTP_HEADER_TIMEOUT_MS,
// HTTP_IDLE_TIMEOUT_MS and HTTP_BODY_TIMEOUT_MS.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  RawClient,
  assertRequestId,
  assertSecurityHeaders,
  buildRequest,
  parseResponses,
  serverFixture,
  sleep,
} from '../lib/server.mjs';

describe('header timeout (slowloris)', () => {
  const fx = serverFixture({ env: { HTTP_HEADER_TIMEOUT_MS: '500', HTTP_IDLE_TIMEOUT_MS: '500' } });

  it('headers trickling in slowly → 408 and the connection is closed within ~2 s', async () => {
    const c = await RawClient.connect(fx.server.port);
    const started = Date.now();
    try {
      await c.write('GET /api/health HTTP/1.1\r\n');
      // One header line every 100 ms: each byte arrives well within any
      // per-read timeout, but the headers never complete.
      for (let i = 0; !c.closed && Date.now() - started < 3000; i++) {
        await c.write(`X-Slow-${i}: ${'s'.repeat(10)}\r\n`);
        await sleep(100);
      }
      await c.waitClosed({ timeoutMs: Math.max(1, 3000 - (Date.now() - started)) });
      const elapsed = c.closedAt - started;
      assert.ok(elapsed < 2000, `closed after ${elapsed} ms (timeout 500 ms)`);
      assert.ok(elapsed >= 400, `not closed before the timeout: ${elapsed} ms`);
      const rs = parseResponses(c.data, { eof: true });
      assert.equal(rs.length, 1, `one answer; got ${JSON.stringify(c.data.toString('latin1'))}`);
      assert.equal(rs[0].status, 408);
      assertSecurityHeaders(rs[0]);
      assertRequestId(rs[0]);
    } finally {
      c.destroy();
    }
  });

  it('a request line that never ends → 408 and close', async () => {
    const c = await RawClient.connect(fx.server.port);
    const started = Date.now();
    try {
      await c.write('GET /api/hea');
      await c.waitClosed({ timeoutMs: 2500 });
      assert.ok(c.closedAt - started < 2000);
      const rs = parseResponses(c.data, { eof: true });
      assert.equal(rs.length, 1, `one answer; got ${JSON.stringify(c.data.toString('latin1'))}`);
      assert.equal(rs[0].status, 408);
    } finally {
      c.destroy();
    }
  });

  it('a connection that never sends anything is closed', async () => {
    const c = await RawClient.connect(fx.server.port);
    const started = Date.now();
    try {
      await c.waitClosed({ timeoutMs: 2500 });
      assert.ok(c.closedAt - started < 2000, `closed after ${c.closedAt - started} ms`);
      // Whatever was sent (nothing, or a 408) must be a well-formed answer.
      const rs = parseResponses(c.data, { eof: true });
      for (const r of rs) assert.equal(r.status, 408);
    } finally {
      c.destroy();
    }
  });

  it('the server keeps answering complete requests', async () => {
    const c = await RawClient.connect(fx.server.port);
    try {
      await c.write(buildRequest({ path: '/api/health', headers: { Connection: 'close' } }));
      assert.equal((await c.response()).status, 200);
    } finally {
      c.destroy();
    }
  });
});

describe('idle keep-alive timeout', () => {
  const fx = serverFixture({ env: { HTTP_IDLE_TIMEOUT_MS: '800' } });

  it('an idle keep-alive connection is closed by the server', async () => {
    const c = await RawClient.connect(fx.server.port);
    try {
      await c.write(buildRequest({ path: '/api/health' }));
      assert.equal((await c.response()).status, 200);
      // Still open well before the timeout: a second request works.
      await sleep(300);
      assert.equal(c.closed, false, 'open 300 ms after a response (idle timeout 800 ms)');
      await c.write(buildRequest({ path: '/api/health', headers: { 'X-Request-Id': 'second' } }));
      const second = await c.response();
      assert.equal(second.headers['x-request-id'], 'second');
      const idleSince = Date.now();
      await c.waitClosed({ timeoutMs: 3000 });
      const idle = c.closedAt - idleSince;
      assert.ok(idle >= 600, `not closed before the timeout: ${idle} ms`);
      assert.ok(idle < 2500, `closed ${idle} ms after going idle (timeout 800 ms)`);
      // Nothing but the two complete responses was sent (an idle close may
      // at most add a 408).
      const extra = parseResponses(c.data.subarray(c.offset), { eof: true });
      for (const r of extra) assert.equal(r.status, 408);
    } finally {
      c.destroy();
    }
  });
});

describe('stalled body timeout', () => {
  const fx = serverFixture({ env: { HTTP_BODY_TIMEOUT_MS: '500' } });

  it('a body that stops arriving is timed out and the connection closed', async () => {
    const c = await RawClient.connect(fx.server.port);
    const started = Date.now();
    try {
      await c.write(buildRequest({ path: '/api/health', headers: { 'Content-Length': '1000' } }));
      await c.write('x'.repeat(100));
      await c.waitClosed({ timeoutMs: 3000 });
      assert.ok(c.closedAt - started < 2500, `closed after ${c.closedAt - started} ms`);
      const rs = parseResponses(c.data, { eof: true });
      assert.ok(rs.length <= 1, `at most one answer; got ${rs.length}`);
      if (rs.length === 1) assert.equal(rs[0].status, 408, 'the answer to a stalled body is 408');
    } finally {
      c.destroy();
    }
  });
});
