// Graceful shutdown (issue 2 "Readiness and graceful shutdown"): on SIGTERM
// /api/ready turns 503 at once while the server keeps serving for
// SHUTDOWN_DELAY_S; then it stops accepting, lets requests in flight finish
// (at most SHUTDOWN_TIMEOUT_S) with Connection: close, closes idle
// connections and exits 0. A second signal exits at once. Each step is logged.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  RawClient,
  assertCleanExit,
  assertNoSanitizerReport,
  buildRequest,
  json,
  request,
  sleep,
  startServer,
  startServerFor,
} from '../lib/server.mjs';

/** Resolves with the exit result, or null if the server is still running
 *  after ms. */
function exitWithin(server, ms) {
  return Promise.race([server.exited, sleep(ms).then(() => null)]);
}

const isShutdownLine = (l) => /shut|drain|signal|readiness|accept|exit|closed/i.test(String(l.msg));

describe('graceful shutdown', () => {
  it('SIGTERM during a slow upload: ready turns 503, the upload completes, exit 0', async (t) => {
    const srv = await startServerFor(t, { env: { SHUTDOWN_DELAY_S: '1', SHUTDOWN_TIMEOUT_S: '10' } });
    const port = srv.port;

    // An idle keep-alive connection, to be closed by the drain.
    const idle = await RawClient.connect(port);
    await idle.write(buildRequest({ path: '/api/health' }));
    assert.equal((await idle.response()).status, 200);

    // The slow upload: headers and half of a 100,000-byte body.
    const upload = await RawClient.connect(port);
    const total = 100000;
    await upload.write(buildRequest({
      method: 'POST',
      path: '/api/_test/body',
      headers: { 'Content-Length': String(total), 'Content-Type': 'application/octet-stream', 'X-Request-Id': 'slow-upload' },
    }));
    await upload.write(Buffer.alloc(total / 2, 0x75));
    await sleep(200);
    assert.equal(upload.length, 0, `no answer before the body is complete; got ${upload.data}`);

    const logsBefore = srv.logs().length;
    const signalledAt = Date.now();
    assert.ok(srv.signal('SIGTERM'));

    // Readiness turns 503 at once, while the server still serves.
    let ready;
    for (let i = 0; i < 40; i++) {
      ready = await request(port, { path: '/api/ready' });
      if (ready.status === 503) break;
      await sleep(10);
    }
    const readyAfter = Date.now() - signalledAt;
    assert.equal(ready.status, 503, '/api/ready answers 503 during the delay');
    assert.ok(readyAfter < 800, `readiness turned 503 ${readyAfter} ms after SIGTERM (delay 1 s)`);
    const readyBody = json(ready);
    assert.notEqual(readyBody.status, 'ok');
    const health = await request(port, { path: '/api/health' });
    assert.equal(health.status, 200, 'health still answers during the delay');

    // After the delay the server no longer accepts, and the idle connection
    // is closed.
    await sleep(Math.max(0, 1700 - (Date.now() - signalledAt)));
    await assert.rejects(RawClient.connect(port, { timeoutMs: 1000 }), (err) => err.code === 'ECONNREFUSED', 'new connections are refused after the delay');
    await idle.waitClosed({ timeoutMs: 1000 });
    assert.equal(srv.exitResult, null, 'still running while the upload is in flight');

    // Finish the upload: its request still gets a complete answer.
    await upload.write(Buffer.alloc(total / 2, 0x75));
    const res = await upload.response({ timeoutMs: 5000 });
    const uploadDoneAt = Date.now();
    assert.equal(res.status, 200);
    assert.equal(json(res).bytes, total, 'the handler read the whole body');
    assert.equal(res.headers['x-request-id'], 'slow-upload');
    assert.equal(res.body.length, Number(res.headers['content-length']), 'the whole body arrived');
    assert.equal((res.headers.connection ?? '').toLowerCase(), 'close', 'Connection: close during the drain');
    await upload.waitClosed({ timeoutMs: 2000 });

    // The process exits 0, promptly once nothing is left, within the timeout.
    const result = await exitWithin(srv, 4000);
    assert.ok(result, 'the server exited within 4 s of the last request finishing');
    assert.ok(Date.now() - uploadDoneAt < 4000);
    assert.ok(Date.now() - signalledAt < 11000, 'within SHUTDOWN_DELAY_S + SHUTDOWN_TIMEOUT_S');
    assertCleanExit(result);

    // Each step is logged.
    const after = srv.logs().slice(logsBefore);
    const steps = after.filter(isShutdownLine);
    assert.ok(steps.length >= 3, `at least 3 shutdown steps logged; got ${JSON.stringify(after.map((l) => l.msg))}`);
    const access = after.find((l) => l.msg === 'request' && l.request_id === 'slow-upload');
    assert.ok(access, 'the upload has its access-log line');
    assert.equal(access.status, 200);
  });

  it('SIGINT with no delay: an idle server exits 0 at once', async (t) => {
    const srv = await startServerFor(t);
    const c = await RawClient.connect(srv.port);
    await c.write(buildRequest({ path: '/api/health' }));
    assert.equal((await c.response()).status, 200);
    const started = Date.now();
    srv.signal('SIGINT');
    const result = await exitWithin(srv, 3000);
    assert.ok(result, 'exited within 3 s');
    assert.ok(Date.now() - started < 3000);
    await c.waitClosed({ timeoutMs: 1000 });
    assertCleanExit(result);
  });

  it('a request that never completes is cut at SHUTDOWN_TIMEOUT_S and the server exits 0', async (t) => {
    const srv = await startServerFor(t, { env: { SHUTDOWN_DELAY_S: '0', SHUTDOWN_TIMEOUT_S: '1' } });
    const c = await RawClient.connect(srv.port);
    await c.write(buildRequest({ method: 'POST', path: '/api/_test/body', headers: { 'Content-Length': '1000' } }));
    await c.write('only a little');
    await sleep(100);
    const started = Date.now();
    srv.signal('SIGTERM');
    const result = await exitWithin(srv, 5000);
    const elapsed = Date.now() - started;
    assert.ok(result, 'exited within 5 s');
    assert.ok(elapsed >= 800, `waited for the timeout: ${elapsed} ms`);
    assert.ok(elapsed < 3500, `exited ${elapsed} ms after SIGTERM (timeout 1 s)`);
    await c.waitClosed({ timeoutMs: 1000 });
    assertCleanExit(result);
  });

  it('a second signal exits at once', async () => {
    const srv = await startServer({ env: { SHUTDOWN_DELAY_S: '5', SHUTDOWN_TIMEOUT_S: '10' } });
    try {
      const c = await RawClient.connect(srv.port);
      await c.write(buildRequest({ method: 'POST', path: '/api/health', headers: { 'Content-Length': '1000' } }));
      srv.signal('SIGTERM');
      await srv.waitForLog((l) => isShutdownLine(l) && l.msg !== 'server listening', { timeoutMs: 2000 });
      await sleep(100);
      assert.equal(srv.exitResult, null, 'the first signal starts a drain, it does not exit');
      const started = Date.now();
      srv.signal('SIGTERM');
      const result = await exitWithin(srv, 2000);
      assert.ok(result, 'exited within 2 s of the second signal');
      assert.ok(Date.now() - started < 1500, `exited ${Date.now() - started} ms after the second signal`);
      assertNoSanitizerReport(result.stderr, 'server');
      c.destroy();
    } finally {
      await srv.stop('SIGKILL');
    }
  });
});
