// CORS (API.md "Conventions"): only the origin in FRONTEND_URL gets
// Access-Control-Allow-Origin, on every answer including errors; a preflight
// OPTIONS answers 204 with the allowed methods and headers; any other origin
// gets no CORS headers at all.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  assertErrorShape,
  assertRequestId,
  assertSecurityHeaders,
  buildRequest,
  corsHeaders,
  rawRequest,
  request,
  serverFixture,
} from '../lib/server.mjs';

const APP = 'http://app.example';
const EVIL = 'http://evil.example';

const listOf = (value) => (value ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);

describe('CORS with FRONTEND_URL set', () => {
  const fx = serverFixture({ env: { FRONTEND_URL: APP } });

  it('the allowed origin gets Access-Control-Allow-Origin on a 200', async () => {
    const res = await request(fx.server.port, { path: '/api/health', headers: { Origin: APP } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], APP);
    // The answer depends on Origin, so caches must key on it.
    assert.ok(listOf(res.headers.vary).includes('origin'), `Vary lists Origin: ${res.headers.vary}`);
    assertSecurityHeaders(res);
  });

  it('the allowed origin gets it on a 404 too', async () => {
    const res = await request(fx.server.port, { path: '/api/nope', headers: { Origin: APP } });
    assert.equal(res.status, 404);
    assertErrorShape(res, 'not_found');
    assert.equal(res.headers['access-control-allow-origin'], APP);
  });

  it('the allowed origin gets it on a 405', async () => {
    const res = await request(fx.server.port, { method: 'POST', path: '/api/health', body: '{}', headers: { Origin: APP, 'Content-Type': 'application/json' } });
    assert.equal(res.status, 405);
    assert.equal(res.headers['access-control-allow-origin'], APP);
  });

  it('the allowed origin gets it on a 413', async () => {
    const bytes = buildRequest({ path: '/api/health', headers: { Origin: APP, 'Content-Length': String(5 * 1024 * 1024) } });
    const r = await rawRequest(fx.server.port, bytes, { expect: 1 });
    assert.equal(r.responses.length, 1, `an answer; got ${r.data}`);
    assert.equal(r.responses[0].status, 413);
    assert.equal(r.responses[0].headers['access-control-allow-origin'], APP);
  });

  it('another origin gets no Access-Control-* header', async () => {
    for (const path of ['/api/health', '/api/nope']) {
      const res = await request(fx.server.port, { path, headers: { Origin: EVIL } });
      assert.deepEqual(corsHeaders(res), {}, `${path} for ${EVIL}`);
      assertSecurityHeaders(res);
    }
  });

  for (const origin of [
    'http://app.example.evil.example',
    'http://app.examplex',
    'https://app.example',
    'http://app.example:8080',
    'http://app.exampl',
    'http://sub.app.example',
    'null',
    `${APP}/`,
    `${APP}, ${EVIL}`,
  ]) {
    it(`a look-alike origin ${JSON.stringify(origin)} gets no CORS headers`, async () => {
      const res = await request(fx.server.port, { path: '/api/health', headers: { Origin: origin } });
      assert.equal(res.status, 200);
      assert.deepEqual(corsHeaders(res), {});
    });
  }

  it('a request without Origin answers normally', async () => {
    const res = await request(fx.server.port, { path: '/api/health' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  it('a preflight from the allowed origin answers 204 with methods and headers', async () => {
    const res = await request(fx.server.port, {
      method: 'OPTIONS',
      path: '/api/ads',
      headers: {
        Origin: APP,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers['access-control-allow-origin'], APP);
    const methods = listOf(res.headers['access-control-allow-methods']).map((m) => m.toUpperCase());
    assert.ok(methods.includes('POST'), `Allow-Methods lists POST: ${res.headers['access-control-allow-methods']}`);
    const headers = listOf(res.headers['access-control-allow-headers']);
    assert.ok(headers.includes('authorization'), `Allow-Headers lists Authorization: ${res.headers['access-control-allow-headers']}`);
    assert.ok(headers.includes('content-type'), `Allow-Headers lists Content-Type: ${res.headers['access-control-allow-headers']}`);
    assertSecurityHeaders(res);
    assertRequestId(res);
  });

  it('a preflight to /api/health (an existing route) answers 204 too', async () => {
    const res = await request(fx.server.port, {
      method: 'OPTIONS',
      path: '/api/health',
      headers: { Origin: APP, 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], APP);
    assert.ok(listOf(res.headers['access-control-allow-methods']).includes('get'));
  });

  it('a preflight from another origin gets no CORS headers', async () => {
    const res = await request(fx.server.port, {
      method: 'OPTIONS',
      path: '/api/ads',
      headers: { Origin: EVIL, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    });
    assert.deepEqual(corsHeaders(res), {}, `status ${res.status}`);
    assert.ok(res.status < 500, `not a server error: ${res.status}`);
    assertSecurityHeaders(res);
  });

  it('a preflight keeps the connection usable (keep-alive)', async () => {
    const bytes = Buffer.concat([
      buildRequest({ method: 'OPTIONS', path: '/api/ads', headers: { Origin: APP, 'Access-Control-Request-Method': 'POST' } }),
      buildRequest({ path: '/api/health', headers: { Origin: APP, Connection: 'close' } }),
    ]);
    const r = await rawRequest(fx.server.port, bytes, { expect: 2 });
    assert.deepEqual(r.responses.map((x) => x.status), [204, 200]);
    assert.equal(r.responses[1].headers['access-control-allow-origin'], APP);
  });
});

describe('CORS without FRONTEND_URL', () => {
  const fx = serverFixture();

  it('no origin gets CORS headers', async () => {
    const res = await request(fx.server.port, { path: '/api/health', headers: { Origin: APP } });
    assert.equal(res.status, 200);
    assert.deepEqual(corsHeaders(res), {});
  });

  it('a preflight gets no CORS headers', async () => {
    const res = await request(fx.server.port, {
      method: 'OPTIONS',
      path: '/api/ads',
      headers: { Origin: APP, 'Access-Control-Request-Method': 'POST' },
    });
    assert.deepEqual(corsHeaders(res), {});
    assert.ok(res.status < 500);
  });
});
