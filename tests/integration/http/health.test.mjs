// GET /api/health and /api/ready, the 404/405 answers, the error shape, the
// security headers and X-Request-Id (API.md "Conventions", "Health and
// operations").

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  RawClient,
  REQUEST_ID_RE,
  assertErrorShape,
  assertRequestId,
  assertSecurityHeaders,
  buildRequest,
  json,
  rawRequest,
  request,
  runProcess,
  serverFixture,
} from '../lib/server.mjs';

describe('health and readiness', () => {
  const fx = serverFixture();

  it('GET /api/health answers 200 {status, uptime_s, version} as JSON', async () => {
    const res = await request(fx.server.port, { path: '/api/health' });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^application\/json\b/i);
    assert.equal(res.headers['content-length'], String(res.body.length));
    const body = json(res);
    assert.equal(body.status, 'ok');
    assert.ok(Number.isInteger(body.uptime_s), `uptime_s is an integer: ${body.uptime_s}`);
    assert.ok(body.uptime_s >= 0);
    assert.equal(typeof body.version, 'string');
    assert.ok(body.version.length > 0);
    assertSecurityHeaders(res);
    assertRequestId(res);
  });

  it('the health version is the one --version prints', async () => {
    const res = await request(fx.server.port, { path: '/api/health' });
    const { version } = json(res);
    const run = await runProcess({}, ['--version']);
    assert.equal(run.code, 0);
    assert.ok(run.stdout.includes(version), `--version output ${JSON.stringify(run.stdout)} contains ${version}`);
  });

  it('a query string does not change the route', async () => {
    const res = await request(fx.server.port, { path: '/api/health?verbose=1&x=%20' });
    assert.equal(res.status, 200);
    assert.equal(json(res).status, 'ok');
  });

  it('GET /api/ready answers 200 {status: "ok", checks: {...}}', async () => {
    const res = await request(fx.server.port, { path: '/api/ready' });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^application\/json\b/i);
    const body = json(res);
    assert.equal(body.status, 'ok');
    assert.ok(body.checks && typeof body.checks === 'object' && !Array.isArray(body.checks), 'checks is an object');
    for (const [name, state] of Object.entries(body.checks)) {
      assert.equal(typeof state, 'string', `check ${name}`);
      assert.notEqual(state, 'down', `check ${name} is not down in normal operation`);
    }
    if ('redis' in body.checks) assert.equal(body.checks.redis, 'disabled', 'Redis is off by default');
    assertSecurityHeaders(res);
    assertRequestId(res);
  });

  it('uptime_s grows with time', async () => {
    const a = json(await request(fx.server.port, { path: '/api/health' })).uptime_s;
    await new Promise((r) => setTimeout(r, 1100));
    const b = json(await request(fx.server.port, { path: '/api/health' })).uptime_s;
    assert.ok(b >= a + 1, `uptime went from ${a} to ${b} over 1.1 s`);
  });
});

describe('404, 405 and the error shape', () => {
  const fx = serverFixture();

  for (const path of ['/api/nope', '/', '/api', '/api/health/extra', '/api/healthz', '/api/adverts', '/metricsx']) {
    it(`GET ${path} → 404 not_found`, async () => {
      const res = await request(fx.server.port, { path });
      assert.equal(res.status, 404);
      assertErrorShape(res, 'not_found');
      assertSecurityHeaders(res);
      assertRequestId(res);
    });
  }

  for (const [method, path] of [
    ['POST', '/api/health'],
    ['PUT', '/api/health'],
    ['DELETE', '/api/health'],
    ['PATCH', '/api/ready'],
    ['POST', '/api/ready'],
  ]) {
    it(`${method} ${path} → 405 method_not_allowed with Allow: GET`, async () => {
      const res = await request(fx.server.port, { method, path, body: method === 'DELETE' ? undefined : '{}', headers: { 'Content-Type': 'application/json' } });
      assert.equal(res.status, 405);
      assertErrorShape(res, 'method_not_allowed');
      assert.ok(res.headers.allow, 'Allow header present');
      const allowed = res.headers.allow.split(',').map((s) => s.trim().toUpperCase());
      assert.ok(allowed.includes('GET'), `Allow lists GET: ${res.headers.allow}`);
      assert.ok(!allowed.includes(method), `Allow does not list ${method}: ${res.headers.allow}`);
      assertSecurityHeaders(res);
      assertRequestId(res);
    });
  }

  it('413 carries the security headers, X-Request-Id and payload_too_large', async () => {
    const bytes = buildRequest({
      method: 'GET',
      path: '/api/health',
      headers: { 'Content-Length': String(2 * 1024 * 1024), 'Content-Type': 'application/json' },
    });
    const r = await rawRequest(fx.server.port, bytes, { expect: 1 });
    assert.equal(r.responses.length, 1, `one answer without sending the body; got ${r.data}`);
    const res = r.responses[0];
    assert.equal(res.status, 413);
    assertErrorShape(res, 'payload_too_large');
    assertSecurityHeaders(res);
    assertRequestId(res);
  });

  it('a 404 body has exactly the documented Content-Length', async () => {
    const res = await request(fx.server.port, { path: '/api/nope' });
    assert.equal(res.headers['content-length'], String(res.body.length));
  });
});

describe('X-Request-Id', () => {
  const fx = serverFixture();
  const idOf = async (value) => {
    const headers = value === undefined ? {} : { 'X-Request-Id': value };
    const res = await request(fx.server.port, { path: '/api/health', headers });
    assert.equal(res.status, 200);
    return assertRequestId(res);
  };

  for (const valid of ['abc', 'A', 'req-123_abc.DEF', 'x'.repeat(64), '0', '...---___']) {
    it(`echoes a valid id ${JSON.stringify(valid.length > 20 ? `${valid.slice(0, 8)}…(${valid.length})` : valid)}`, async () => {
      assert.equal(await idOf(valid), valid);
    });
  }

  for (const [label, invalid] of [
    ['65 characters', 'y'.repeat(65)],
    ['a space', 'bad id'],
    ['a slash', 'a/b'],
    ['a colon', 'a:b'],
    ['a quote', 'a"b'],
    ['non-ASCII', 'caf\u00e9'],
    ['an empty value', ''],
    ['a semicolon', 'id;drop'],
  ]) {
    it(`replaces an invalid id with ${label} by a generated one`, async () => {
      const id = await idOf(invalid);
      assert.match(id, REQUEST_ID_RE);
      assert.notEqual(id, invalid);
      if (invalid.length > 1) assert.ok(!id.includes(invalid), 'the invalid value is not reused');
    });
  }

  it('generated ids differ between requests', async () => {
    const ids = new Set();
    for (let i = 0; i < 20; i++) ids.add(await idOf(undefined));
    assert.equal(ids.size, 20, `20 distinct ids: ${[...ids].join(' ')}`);
  });

  it('each request on a keep-alive connection gets its own id', async () => {
    const c = await RawClient.connect(fx.server.port);
    try {
      const ids = [];
      for (let i = 0; i < 3; i++) {
        await c.write(buildRequest({ path: '/api/health' }));
        ids.push(assertRequestId(await c.response()));
      }
      await c.write(buildRequest({ path: '/api/health', headers: { 'X-Request-Id': 'mine-1' } }));
      ids.push(assertRequestId(await c.response()));
      assert.equal(ids[3], 'mine-1');
      assert.equal(new Set(ids).size, 4, ids.join(' '));
    } finally {
      c.destroy();
    }
  });

  it('errors echo the id too', async () => {
    const res = await request(fx.server.port, { path: '/nothing-here', headers: { 'X-Request-Id': 'err-404-id' } });
    assert.equal(res.status, 404);
    assert.equal(assertRequestId(res), 'err-404-id');
    const res405 = await request(fx.server.port, { method: 'POST', path: '/api/health', body: '', headers: { 'X-Request-Id': 'err-405-id' } });
    assert.equal(res405.status, 405);
    assert.equal(assertRequestId(res405), 'err-405-id');
  });
});

describe('HEAD', () => {
  const fx = serverFixture();
  const IGNORED = new Set(['x-request-id', 'date']);

  it('HEAD /api/health has the headers of GET, Content-Length included, and no body', async () => {
    // uptime_s may gain a digit between the two requests; retry in that case.
    let lastDiff;
    for (let attempt = 0; attempt < 3; attempt++) {
      // HEAD first and GET after it in one write: if the server sent a body
      // for HEAD, the GET's response would not parse where it should.
      const bytes = Buffer.concat([
        buildRequest({ method: 'HEAD', path: '/api/health' }),
        buildRequest({ method: 'GET', path: '/api/health', headers: { Connection: 'close' } }),
      ]);
      const r = await rawRequest(fx.server.port, bytes, { expect: 2, head: [0], untilClose: true });
      assert.equal(r.responses.length, 2, `two responses; got ${r.data}`);
      const [h, g] = r.responses;
      assert.equal(h.status, 200);
      assert.equal(g.status, 200);
      assert.equal(h.body.length, 0);
      assert.match(h.headers['content-length'] ?? '', /^\d+$/, 'HEAD keeps Content-Length');
      // Nothing may follow the GET's body: a HEAD body would have shifted it.
      assert.equal(r.data.length, h.raw.length + g.raw.length, 'no stray bytes');
      assert.ok(g.raw.subarray(0, 9).toString() === 'HTTP/1.1 ', 'GET response starts where HEAD headers end');
      const strip = (res) => Object.fromEntries(Object.entries(res.headers).filter(([k]) => !IGNORED.has(k) && k !== 'connection'));
      lastDiff = { head: strip(h), get: strip(g) };
      if (h.headers['content-length'] === g.headers['content-length']) {
        assert.deepEqual(lastDiff.head, lastDiff.get);
        assertSecurityHeaders(h);
        assertRequestId(h);
        return;
      }
    }
    assert.fail(`HEAD and GET Content-Length differ: ${JSON.stringify(lastDiff)}`);
  });

  it('HEAD on a missing route is a 404 without a body', async () => {
    const r = await rawRequest(fx.server.port, Buffer.concat([
      buildRequest({ method: 'HEAD', path: '/api/nope' }),
      buildRequest({ method: 'GET', path: '/api/health', headers: { Connection: 'close' } }),
    ]), { expect: 2, head: [0] });
    assert.equal(r.responses.length, 2, `two responses; got ${r.data}`);
    assert.equal(r.responses[0].status, 404);
    assert.equal(r.responses[0].body.length, 0);
    assertSecurityHeaders(r.responses[0]);
    assert.equal(r.responses[1].status, 200);
    assert.equal(json(r.responses[1]).status, 'ok');
  });

  it('HEAD /api/ready works like GET', async () => {
    const res = await request(fx.server.port, { method: 'HEAD', path: '/api/ready' });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.match(res.headers['content-length'] ?? '', /^[1-9]\d*$/);
  });
});
