// Request limits and parsing (API.md "Conventions", issue 2 "HTTP server"):
// 431 for request line + headers over 16 KiB, 414 for a URL over 8 KiB, 413
// for a body over 1 MiB (without reading it), 400 and close for malformed
// requests, chunked request bodies and Expect: 100-continue.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  RawClient,
  assertErrorShape,
  assertRequestId,
  assertSecurityHeaders,
  buildRequest,
  json,
  rawRequest,
  request,
  serverFixture,
  sleep,
} from '../lib/server.mjs';

const KiB = 1024;
const MiB = 1024 * 1024;

/** Headers that bring the request line + headers to about `total` bytes. */
function padHeaders(total, lineSize = 1000) {
  const headers = [];
  let size = 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'.length;
  let i = 0;
  while (size + lineSize <= total) {
    const name = `X-Pad-${String(i).padStart(3, '0')}`;
    const value = 'v'.repeat(lineSize - name.length - 4);
    headers.push([name, value]);
    size += lineSize;
    i++;
  }
  return headers;
}

function chunked(parts) {
  return Buffer.concat([
    ...parts.map((p) => {
      const b = Buffer.isBuffer(p) ? p : Buffer.from(p);
      return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
    }),
    Buffer.from('0\r\n\r\n'),
  ]);
}

describe('header and URL limits', () => {
  const fx = serverFixture();

  it('request line + headers of about 15 KiB are accepted', async () => {
    const headers = [...padHeaders(15 * KiB), ['Connection', 'close']];
    const res = await request(fx.server.port, { path: '/api/health', headers });
    assert.equal(res.status, 200);
  });

  it('request line + headers over 16 KiB → 431', async () => {
    const headers = [...padHeaders(20 * KiB), ['Connection', 'close']];
    const r = await rawRequest(fx.server.port, buildRequest({ path: '/api/health', headers }), { expect: 1 });
    assert.equal(r.responses.length, 1, `an answer; got ${JSON.stringify(r.data.toString('latin1').slice(0, 300))}`);
    const res = r.responses[0];
    assert.equal(res.status, 431);
    assertErrorShape(res, null);
    assertSecurityHeaders(res);
    assertRequestId(res);
  });

  it('a single 17 KiB header → 431', async () => {
    const r = await rawRequest(
      fx.server.port,
      buildRequest({ path: '/api/health', headers: [['X-Big', 'b'.repeat(17 * KiB)]] }),
      { expect: 1 },
    );
    assert.equal(r.responses.length, 1, 'an answer');
    assert.equal(r.responses[0].status, 431);
  });

  it('endless headers are cut off at the limit with 431 (the server does not wait for the end)', async () => {
    // 64 KiB of headers and no blank line: the answer must come anyway.
    const bytes = Buffer.concat([
      Buffer.from('GET /api/health HTTP/1.1\r\nHost: x\r\n'),
      Buffer.from(padHeaders(64 * KiB).map(([k, v]) => `${k}: ${v}\r\n`).join('')),
    ]);
    const r = await rawRequest(fx.server.port, bytes, { expect: 1 });
    assert.equal(r.responses.length, 1, 'an answer before the headers end');
    assert.equal(r.responses[0].status, 431);
  });

  it('a URL of exactly 8 KiB is accepted', async () => {
    const prefix = '/api/health?pad=';
    const target = prefix + 'p'.repeat(8 * KiB - prefix.length);
    assert.equal(target.length, 8192);
    const res = await request(fx.server.port, { path: target });
    assert.equal(res.status, 200);
  });

  it('a URL over 8 KiB (query) → 414, headers under 16 KiB', async () => {
    const target = `/api/health?pad=${'q'.repeat(9 * KiB)}`;
    const r = await rawRequest(fx.server.port, buildRequest({ path: target, headers: { Connection: 'close' } }), { expect: 1 });
    assert.equal(r.responses.length, 1, 'an answer');
    const res = r.responses[0];
    assert.equal(res.status, 414);
    assertErrorShape(res, null);
    assertSecurityHeaders(res);
    assertRequestId(res);
  });

  it('a URL over 8 KiB (path) → 414', async () => {
    const target = `/api/${'a'.repeat(8 * KiB + 100)}`;
    const r = await rawRequest(fx.server.port, buildRequest({ path: target, headers: { Connection: 'close' } }), { expect: 1 });
    assert.equal(r.responses.length, 1, 'an answer');
    assert.equal(r.responses[0].status, 414);
  });

  it('the server still answers after the oversized requests', async () => {
    const res = await request(fx.server.port, { path: '/api/health' });
    assert.equal(res.status, 200);
  });
});

describe('body limits', () => {
  const fx = serverFixture();

  it('Content-Length over the route limit (1 KiB on a route without a body) → 413 as soon as the headers arrive', async () => {
    const c = await RawClient.connect(fx.server.port);
    try {
      const started = Date.now();
      await c.write(buildRequest({ path: '/api/health', headers: { 'Content-Length': String(KiB + 1), 'Content-Type': 'application/json' } }));
      const res = await c.response({ timeoutMs: 3000 });
      assert.equal(res.status, 413);
      assertErrorShape(res, 'payload_too_large');
      assertSecurityHeaders(res);
      assertRequestId(res);
      assert.equal((res.headers.connection ?? '').toLowerCase(), 'close');
      assert.ok(Date.now() - started < 3000);
      await c.waitClosed({ timeoutMs: 3000 });
    } finally {
      c.destroy();
    }
  });

  it('a huge Content-Length (10 GiB) → 413 without reading it', async () => {
    const bytes = buildRequest({ path: '/api/health', headers: { 'Content-Length': String(10 * 1024 * MiB) } });
    const r = await rawRequest(fx.server.port, bytes, { expect: 1 });
    assert.equal(r.responses.length, 1, 'an answer');
    assert.equal(r.responses[0].status, 413);
  });

  it('a body of exactly 1 KiB on a route that takes none is read and ignored', async () => {
    const res = await request(fx.server.port, { path: '/api/health', body: Buffer.alloc(KiB, 0x61) });
    assert.equal(res.status, 200);
    assert.equal(json(res).status, 'ok');
  });

  it('a body of 1 KiB + 1 byte on such a route → 413', async () => {
    const r = await rawRequest(fx.server.port, buildRequest({ path: '/api/health', body: Buffer.alloc(KiB + 1, 0x61) }), { expect: 1 });
    assert.equal(r.responses.length, 1, 'an answer');
    assert.equal(r.responses[0].status, 413);
  });

  it('a body of exactly 5 MiB on a raw route (an image\'s limit) is read whole; 5 MiB + 1 → 413', async () => {
    const ok = await request(fx.server.port, { method: 'POST', path: '/api/_test/body', body: Buffer.alloc(5 * MiB, 0x61), timeoutMs: 20000 });
    assert.equal(ok.status, 200);
    assert.equal(json(ok).bytes, 5 * MiB);
    const r = await rawRequest(fx.server.port, buildRequest({ method: 'POST', path: '/api/_test/body', headers: { 'Content-Length': String(5 * MiB + 1) } }), { expect: 1 });
    assert.equal(r.responses[0].status, 413);
  });

  it('a small chunked body is read, and the next pipelined request is answered', async () => {
    const bytes = Buffer.concat([
      buildRequest({ path: '/api/health', headers: { 'Transfer-Encoding': 'chunked', 'X-Request-Id': 'chunk-1' } }),
      chunked(['hello ', 'chunked ', 'world']),
      buildRequest({ path: '/api/ready', headers: { 'X-Request-Id': 'chunk-2', Connection: 'close' } }),
    ]);
    const r = await rawRequest(fx.server.port, bytes, { expect: 2 });
    assert.deepEqual(r.responses.map((x) => [x.headers['x-request-id'], x.status]), [['chunk-1', 200], ['chunk-2', 200]]);
  });

  it('a chunked body with extensions and trailers is read', async () => {
    const bytes = Buffer.concat([
      buildRequest({ path: '/api/health', headers: { 'Transfer-Encoding': 'chunked', 'X-Request-Id': 'chunk-ext' } }),
      Buffer.from('5;name=value\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n'),
      buildRequest({ path: '/api/health', headers: { 'X-Request-Id': 'after-ext', Connection: 'close' } }),
    ]);
    const r = await rawRequest(fx.server.port, bytes, { expect: 2 });
    assert.deepEqual(r.responses.map((x) => [x.headers['x-request-id'], x.status]), [['chunk-ext', 200], ['after-ext', 200]]);
  });

  it('POST /api/health with a chunked body gets an answer (405), and the connection stays in sync', async () => {
    const bytes = Buffer.concat([
      buildRequest({ method: 'POST', path: '/api/health', headers: { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json', 'X-Request-Id': 'post-chunked' } }),
      chunked(['{"a":', '1}']),
      buildRequest({ path: '/api/health', headers: { 'X-Request-Id': 'after-post', Connection: 'close' } }),
    ]);
    const r = await rawRequest(fx.server.port, bytes, { untilClose: true });
    assert.ok(r.responses.length >= 1, `an answer; got ${r.data}`);
    assert.equal(r.responses[0].status, 405);
    assert.equal(r.responses[0].headers['x-request-id'], 'post-chunked');
    if ((r.responses[0].headers.connection ?? '').toLowerCase() !== 'close') {
      // The connection was kept: the body must have been consumed, so the
      // next request is parsed as a request.
      assert.equal(r.responses.length, 2, 'the pipelined request is answered');
      assert.deepEqual([r.responses[1].headers['x-request-id'], r.responses[1].status], ['after-post', 200]);
    }
  });

  it('a chunked body of 1 MiB in many chunks is read on a raw route', async () => {
    const parts = Array.from({ length: 16 }, () => Buffer.alloc(MiB / 16, 0x62));
    const bytes = Buffer.concat([
      buildRequest({ method: 'POST', path: '/api/_test/body', headers: { 'Transfer-Encoding': 'chunked', Connection: 'close' } }),
      chunked(parts),
    ]);
    const r = await rawRequest(fx.server.port, bytes, { expect: 1, timeoutMs: 10000 });
    assert.equal(r.responses.length, 1, 'an answer');
    assert.equal(r.responses[0].status, 200);
    assert.equal(json(r.responses[0]).bytes, MiB);
  });

  it('a chunked body over the route limit → 413', async () => {
    const c = await RawClient.connect(fx.server.port);
    try {
      await c.write(buildRequest({ path: '/api/health', headers: { 'Transfer-Encoding': 'chunked', 'X-Request-Id': 'big-chunked' } }));
      const piece = Buffer.concat([Buffer.from(`${(64 * KiB).toString(16)}\r\n`), Buffer.alloc(64 * KiB, 0x63), Buffer.from('\r\n')]);
      // 20 chunks of 64 KiB = 1.25 MiB; stop early once the server answered.
      for (let i = 0; i < 20 && !c.closed && c.length === 0; i++) {
        const err = await c.write(piece);
        if (err) break;
      }
      if (!c.closed && c.length === 0) await c.write('0\r\n\r\n');
      const res = await c.response({ timeoutMs: 5000 });
      assert.equal(res.status, 413);
      assert.equal(res.headers['x-request-id'], 'big-chunked');
      assertErrorShape(res, 'payload_too_large');
      assertSecurityHeaders(res);
    } finally {
      c.destroy();
    }
  });

  it('Expect: 100-continue with a small body gets 100 Continue, then the answer', async () => {
    const c = await RawClient.connect(fx.server.port);
    try {
      const body = '{"hello":1}';
      await c.write(buildRequest({
        path: '/api/health',
        headers: { 'Content-Length': String(body.length), 'Content-Type': 'application/json', Expect: '100-continue', 'X-Request-Id': 'expect-small' },
      }));
      // The server must say 100 Continue (the body has not been sent yet).
      await c.waitFor(() => c.length >= 12, { timeoutMs: 3000, what: 'HTTP/1.1 100 Continue' });
      assert.match(c.data.toString('latin1'), /^HTTP\/1\.1 100 [^\r\n]*\r\n/, 'the first bytes are 100 Continue');
      await c.write(body);
      const all = await c.responses(1, { interim: true });
      assert.equal(all.length, 2, 'an interim 100 and a final response');
      assert.equal(all[0].status, 100);
      assert.equal(all[1].status, 200);
      assert.equal(all[1].headers['x-request-id'], 'expect-small');
      // And the connection goes on.
      await c.write(buildRequest({ path: '/api/health', headers: { 'X-Request-Id': 'after-expect' } }));
      const next = await c.response();
      assert.equal(next.headers['x-request-id'], 'after-expect');
      assert.equal(next.status, 200);
    } finally {
      c.destroy();
    }
  });

  it('Expect: 100-continue with an oversized Content-Length gets 413 directly', async () => {
    const c = await RawClient.connect(fx.server.port);
    try {
      await c.write(buildRequest({
        path: '/api/health',
        headers: { 'Content-Length': String(2 * MiB), 'Content-Type': 'application/json', Expect: '100-continue' },
      }));
      const all = await c.responses(1, { interim: true, timeoutMs: 3000 });
      assert.deepEqual(all.map((r) => r.status), [413], 'no 100 Continue before the 413');
      assertErrorShape(all[0], 'payload_too_large');
    } finally {
      c.destroy();
    }
  });

  it('the server still answers after the oversized bodies', async () => {
    const res = await request(fx.server.port, { path: '/api/health' });
    assert.equal(res.status, 200);
  });
});

describe('malformed requests → 400 and close', () => {
  const fx = serverFixture();

  const garbage = Buffer.alloc(256);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 37 + 11) & 0xff;

  const cases = [
    ['an unknown method', 'HELLO WORLD\r\n\r\n'],
    ['binary garbage', Buffer.concat([garbage, Buffer.from('\r\n\r\n')])],
    ['a bad protocol', 'GET /api/health HTTX/1.1\r\nHost: x\r\n\r\n'],
    ['a request line without target', 'GET\r\n\r\n'],
    ['a target without a leading slash', 'GET api/health HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a header without a colon', 'GET /api/health HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n'],
    ['a non-numeric Content-Length', 'POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
    ['two different Content-Lengths', 'POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['both Content-Length and chunked', 'POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a bad chunk size', 'POST /api/_test/body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
    ['a NUL in a header value', 'GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'],
  ];

  for (const [label, bytes] of cases) {
    it(`${label} → 400, then the server closes`, async () => {
      // A valid request follows the bad one in the same write: it must not
      // be answered, since the connection cannot be trusted any more.
      const payload = Buffer.concat([
        Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1'),
        buildRequest({ path: '/api/health', headers: { 'X-Request-Id': 'smuggled' } }),
      ]);
      const r = await rawRequest(fx.server.port, payload, { timeoutMs: 3000 });
      assert.equal(r.closed, true, `the server closes the connection; got ${JSON.stringify(r.data.toString('latin1').slice(0, 400))}`);
      assert.equal(r.responses.length, 1, `exactly one answer; got ${JSON.stringify(r.data.toString('latin1').slice(0, 600))}`);
      const res = r.responses[0];
      assert.equal(res.status, 400);
      assertErrorShape(res, null);
      assertSecurityHeaders(res);
      assertRequestId(res);
      assert.notEqual(res.headers['x-request-id'], 'smuggled');
    });
  }

  it('a huge chunk size is refused (400 or 413) and the server closes', async () => {
    const bytes = 'POST /api/_test/body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nab';
    const r = await rawRequest(fx.server.port, bytes, { timeoutMs: 3000 });
    assert.equal(r.closed, true);
    assert.equal(r.responses.length, 1, `one answer; got ${JSON.stringify(r.data.toString('latin1'))}`);
    assert.ok([400, 413].includes(r.responses[0].status), `status ${r.responses[0].status}`);
  });

  it('garbage after a good request on a keep-alive connection: 200, then 400 and close', async () => {
    const payload = Buffer.concat([
      buildRequest({ path: '/api/health', headers: { 'X-Request-Id': 'good-one' } }),
      Buffer.from('\u0001\u0002\u0003 nonsense\r\n\r\n', 'latin1'),
    ]);
    const r = await rawRequest(fx.server.port, payload, { timeoutMs: 3000 });
    assert.equal(r.closed, true);
    assert.deepEqual(r.responses.map((x) => x.status), [200, 400]);
    assert.equal(r.responses[0].headers['x-request-id'], 'good-one');
  });

  it('the server keeps serving other clients', async () => {
    await sleep(20);
    const res = await request(fx.server.port, { path: '/api/health' });
    assert.equal(res.status, 200);
  });
});
