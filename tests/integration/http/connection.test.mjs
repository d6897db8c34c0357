// HTTP/1.1 connection handling: keep-alive, pipelining (responses in request
// order), Connection: close, HTTP/1.0, and requests that arrive in pieces.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  RawClient,
  assertRequestId,
  assertSecurityHeaders,
  buildRequest,
  json,
  rawRequest,
  serverFixture,
  sleep,
} from '../lib/server.mjs';

const get = (path, id, extra = {}) => buildRequest({ path, headers: { 'X-Request-Id': id, ...extra } });

describe('keep-alive and pipelining', () => {
  const fx = serverFixture();

  it('several sequential requests share one connection', async () => {
    const c = await RawClient.connect(fx.server.port);
    try {
      for (let i = 0; i < 5; i++) {
        await c.write(get(i % 2 ? '/api/ready' : '/api/health', `seq-${i}`));
        const res = await c.response();
        assert.equal(res.status, 200, `request ${i}`);
        assert.equal(res.headers['x-request-id'], `seq-${i}`);
        assert.notEqual((res.headers.connection ?? '').toLowerCase(), 'close', `request ${i} keeps the connection`);
        assert.equal(c.closed, false, `still open after request ${i}`);
      }
      // Errors do not end a keep-alive connection either.
      await c.write(get('/api/nope', 'seq-404'));
      assert.equal((await c.response()).status, 404);
      await c.write(buildRequest({ method: 'DELETE', path: '/api/health', headers: { 'X-Request-Id': 'seq-405' } }));
      assert.equal((await c.response()).status, 405);
      await c.write(get('/api/health', 'seq-last'));
      const last = await c.response();
      assert.equal(last.status, 200);
      assert.equal(last.headers['x-request-id'], 'seq-last');
      await sleep(50);
      assert.equal(c.closed, false);
    } finally {
      c.destroy();
    }
  });

  it('two pipelined requests in one write are answered in order', async () => {
    const bytes = Buffer.concat([get('/api/health', 'pipe-a'), get('/api/ready', 'pipe-b')]);
    const r = await rawRequest(fx.server.port, bytes, { expect: 2 });
    assert.equal(r.responses.length, 2, `two responses; got ${r.data}`);
    assert.deepEqual(r.responses.map((x) => x.headers['x-request-id']), ['pipe-a', 'pipe-b']);
    assert.deepEqual(r.responses.map((x) => x.status), [200, 200]);
    assert.equal(json(r.responses[0]).uptime_s >= 0, true);
    assert.ok('checks' in json(r.responses[1]), 'the second answer is /api/ready');
  });

  it('ten pipelined requests in one write get ten responses in order', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `ten-${i}`);
    const bytes = Buffer.concat(ids.map((id, i) => get(i % 3 === 2 ? '/api/ready' : '/api/health', id)));
    const r = await rawRequest(fx.server.port, bytes, { expect: 10 });
    assert.equal(r.responses.length, 10, `ten responses; got ${r.responses.length}`);
    assert.deepEqual(r.responses.map((x) => x.headers['x-request-id']), ids);
    for (const res of r.responses) {
      assert.equal(res.status, 200);
      assertSecurityHeaders(res);
    }
  });

  it('a pipelined mix of 200, 404, 405 and HEAD stays in order', async () => {
    const parts = [];
    const expected = [];
    const head = [];
    for (let i = 0; i < 100; i++) {
      const id = `mix-${i}`;
      switch (i % 5) {
        case 0:
          parts.push(get('/api/health', id));
          expected.push([id, 200]);
          break;
        case 1:
          parts.push(get(`/api/missing/${i}`, id));
          expected.push([id, 404]);
          break;
        case 2:
          parts.push(buildRequest({ method: 'HEAD', path: '/api/health', headers: { 'X-Request-Id': id } }));
          head.push(i);
          expected.push([id, 200]);
          break;
        case 3:
          parts.push(buildRequest({ method: 'DELETE', path: '/api/ready', headers: { 'X-Request-Id': id } }));
          expected.push([id, 405]);
          break;
        default:
          parts.push(get('/api/ready?x=1', id));
          expected.push([id, 200]);
      }
    }
    const r = await rawRequest(fx.server.port, Buffer.concat(parts), { expect: 100, head, timeoutMs: 10000 });
    assert.equal(r.responses.length, 100, `100 responses; got ${r.responses.length}`);
    assert.deepEqual(r.responses.map((x) => [x.headers['x-request-id'], x.status]), expected);
    for (const i of head) assert.equal(r.responses[i].body.length, 0, `HEAD ${i} has no body`);
  });

  it('a request sent one byte at a time is answered', async () => {
    const c = await RawClient.connect(fx.server.port);
    try {
      const bytes = get('/api/health', 'byte-by-byte');
      for (const b of bytes) {
        await c.write(Buffer.from([b]));
        await sleep(1);
      }
      const res = await c.response();
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-request-id'], 'byte-by-byte');
    } finally {
      c.destroy();
    }
  });

  it('pipelined requests split at odd places across writes are answered in order', async () => {
    const all = Buffer.concat([get('/api/health', 'split-0'), get('/api/ready', 'split-1'), get('/api/health', 'split-2')]);
    const c = await RawClient.connect(fx.server.port);
    try {
      for (const cut of [[0, 7], [7, 70], [70, 150], [150, all.length]]) {
        await c.write(all.subarray(cut[0], cut[1]));
        await sleep(20);
      }
      const rs = await c.responses(3);
      assert.deepEqual(rs.map((x) => x.headers['x-request-id']), ['split-0', 'split-1', 'split-2']);
      assert.deepEqual(rs.map((x) => x.status), [200, 200, 200]);
    } finally {
      c.destroy();
    }
  });

  it('Connection: close gets the response and then the server closes', async () => {
    const r = await rawRequest(fx.server.port, get('/api/health', 'close-me', { Connection: 'close' }), { expect: 1, untilClose: true });
    assert.equal(r.responses.length, 1);
    assert.equal(r.responses[0].status, 200);
    assert.equal((r.responses[0].headers.connection ?? '').toLowerCase(), 'close');
    assert.equal(r.closed, true, 'the server closed the connection');
  });

  it('requests pipelined after Connection: close are not answered', async () => {
    const bytes = Buffer.concat([get('/api/health', 'first', { Connection: 'close' }), get('/api/health', 'second')]);
    const r = await rawRequest(fx.server.port, bytes);
    assert.equal(r.closed, true);
    assert.deepEqual(r.responses.map((x) => x.headers['x-request-id']), ['first']);
  });

  it('HTTP/1.0 without keep-alive: one response, then close', async () => {
    const bytes = Buffer.from('GET /api/health HTTP/1.0\r\nX-Request-Id: old-client\r\n\r\n', 'latin1');
    const r = await rawRequest(fx.server.port, bytes);
    assert.equal(r.closed, true, 'closed after the response');
    assert.equal(r.responses.length, 1, `one response; got ${r.data}`);
    const res = r.responses[0];
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-request-id'], 'old-client');
    assert.equal(json(res).status, 'ok');
    assertRequestId(res);
  });

  it('a request with a query string and percent-escapes in the path routes on the path', async () => {
    const r = await rawRequest(fx.server.port, get('/api/health?a=%2F..%2F&b', 'q', { Connection: 'close' }), { expect: 1 });
    assert.equal(r.responses[0].status, 200);
  });
});
