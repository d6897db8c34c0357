// Many connections at once (issue 2 "HTTP server"): 2,000 concurrent
// keep-alive connections all answered, MAX_CONNECTIONS refusing the excess at
// once, and backpressure against a client that never reads.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  RawClient,
  buildRequest,
  parseResponses,
  request,
  serverFixture,
  sleep,
} from '../lib/server.mjs';

async function openMany(port, n, batch = 200) {
  const clients = [];
  for (let i = 0; i < n; i += batch) {
    const size = Math.min(batch, n - i);
    clients.push(...(await Promise.all(Array.from({ length: size }, () => RawClient.connect(port, { timeoutMs: 10000 })))));
  }
  return clients;
}

describe('2,000 concurrent keep-alive connections', () => {
  // All from 127.0.0.1: the per-address cap (256 by default) is raised.
  const fx = serverFixture({ env: { MAX_CONNECTIONS_PER_IP: '4000' } });

  it('are all open at once and all answered 200, twice', async () => {
    const N = 2000;
    const started = Date.now();
    const clients = await openMany(fx.server.port, N);
    try {
      assert.equal(clients.length, N);
      for (let round = 0; round < 2; round++) {
        await Promise.all(clients.map((c, i) => c.write(buildRequest({ path: '/api/health', headers: { 'X-Request-Id': `c${i}-r${round}` } }))));
        const answers = await Promise.all(clients.map((c) => c.response({ timeoutMs: 15000 })));
        const bad = answers.map((r, i) => [i, r.status, r.headers['x-request-id']]).filter(([i, s, id]) => s !== 200 || id !== `c${i}-r${round}`);
        assert.deepEqual(bad.slice(0, 5), [], `round ${round}: ${bad.length} connections got a wrong answer`);
        const closed = clients.filter((c) => c.closed).length;
        assert.equal(closed, 0, `round ${round}: ${closed} connections were closed`);
      }
      assert.ok(Date.now() - started < 20000, `took ${Date.now() - started} ms`);
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  it('the server answers normally once they are gone', async () => {
    await sleep(100);
    const res = await request(fx.server.port, { path: '/api/health' });
    assert.equal(res.status, 200);
  });
});

describe('MAX_CONNECTIONS=5', () => {
  const fx = serverFixture({ env: { MAX_CONNECTIONS: '5' } });

  it('with five requests in progress, a 6th connection is closed at once; the five finish', async () => {
    const five = [];
    try {
      for (let i = 0; i < 5; i++) {
        const c = await RawClient.connect(fx.server.port);
        five.push(c);
        // A request makes sure the server accepted it before the next one;
        // then the start of another keeps the connection busy (not idle).
        await c.write(buildRequest({ path: '/api/health', headers: { 'X-Request-Id': `five-${i}` } }));
        assert.equal((await c.response()).status, 200, `connection ${i}`);
        await c.write('GET /api/health HTTP/1.1\r\n');
      }
      await sleep(100);
      const sixth = await RawClient.connect(fx.server.port);
      const started = Date.now();
      try {
        await sixth.write(buildRequest({ path: '/api/health', headers: { 'X-Request-Id': 'sixth' } }));
        await sixth.waitClosed({ timeoutMs: 2000 });
        assert.ok(sixth.closedAt - started < 1000, `closed after ${sixth.closedAt - started} ms`);
        const rs = parseResponses(sixth.data, { eof: true });
        assert.ok(!rs.some((r) => r.status === 200), `the 6th connection is not served: ${sixth.data}`);
      } finally {
        sixth.destroy();
      }
      for (let i = 0; i < 5; i++) {
        assert.equal(five[i].closed, false, `connection ${i} still open`);
        await five[i].write(`Host: x\r\nX-Request-Id: again-${i}\r\n\r\n`);
        const r = await five[i].response();
        assert.equal(r.status, 200);
        assert.equal(r.headers['x-request-id'], `again-${i}`);
      }
    } finally {
      for (const c of five) c.destroy();
    }
  });

  it('with five idle keep-alive connections, a newcomer closes the one idle the longest', async () => {
    const five = [];
    try {
      for (let i = 0; i < 5; i++) {
        const c = await RawClient.connect(fx.server.port);
        five.push(c);
        await c.write(buildRequest({ path: '/api/health' }));
        assert.equal((await c.response()).status, 200, `connection ${i}`);
      }
      // The second one becomes the most recently used: the first is oldest.
      await five[1].write(buildRequest({ path: '/api/health' }));
      assert.equal((await five[1].response()).status, 200);
      // Each newcomer stays open (idle), so the second one needs room too.
      for (let round = 0; round < 2; round++) {
        const c = await RawClient.connect(fx.server.port);
        five.push(c);
        await c.write(buildRequest({ path: '/api/health' }));
        assert.equal((await c.response({ timeoutMs: 2000 })).status, 200, `newcomer ${round} is served`);
      }
      await five[0].waitClosed({ timeoutMs: 2000 });
      await five[2].waitClosed({ timeoutMs: 2000 });
      for (const i of [1, 3, 4]) {
        assert.equal(five[i].closed, false, `connection ${i} (not the oldest idle) is still open`);
      }
    } finally {
      for (const c of five) c.destroy();
    }
  });
});

describe('backpressure', () => {
  const fx = serverFixture();

  it('a client that sends requests but never reads cannot make the server buffer without bound', async () => {
    const port = fx.server.port;
    const processed = () => fx.server.logs().filter((l) => l.msg === 'request').length;
    const hog = await RawClient.connect(port);
    try {
      hog.socket.pause(); // never read
      // 150,000 pipelined requests (~5.7 MB) whose answers (~60 MB) cannot fit
      // in the kernel's socket buffers: past those, the server must stop
      // taking requests from this client instead of queueing the answers.
      // (Counted through the access log: RSS under ASan says little.)
      const one = Buffer.from('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
      const block = Buffer.concat(Array.from({ length: 1000 }, () => one));
      const before = processed();
      for (let i = 0; i < 150; i++) hog.socket.write(block);
      // Wait for the count to settle (no new request for 500 ms).
      let last = -1;
      let now = processed() - before;
      const deadline = Date.now() + 10000;
      while (now !== last && Date.now() < deadline) {
        last = now;
        await sleep(500);
        now = processed() - before;
      }
      assert.equal(now, last, `the server kept taking requests for 10 s (${now} so far)`);
      assert.ok(now > 0, 'the server answered some of them');
      assert.ok(now < 60000, `the server took ${now} of 150,000 requests from a client that reads nothing`);

      // Another client is still served promptly.
      const t0 = Date.now();
      const res = await request(port, { path: '/api/health', timeoutMs: 3000 });
      assert.equal(res.status, 200);
      assert.ok(Date.now() - t0 < 1000, `answered in ${Date.now() - t0} ms while a client does not read`);
    } finally {
      hog.destroy();
    }
    await sleep(100);
    const res = await request(port, { path: '/api/health' });
    assert.equal(res.status, 200);
  });
});
