// Serving the web app (API.md "The web app"; docs/WEB.md) from a fixture
// folder this file writes itself, so that it does not depend on the npm
// build: MIME types, strong ETags and 304s, immutable vs no-cache, the
// precompressed variant chosen by Accept-Encoding, the CSP of HTML answers,
// the fallback to index.html for the app's own paths, the API's paths left
// alone, HEAD, and every spelling of "..", raw or encoded, refused.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';

import {
  assertErrorShape,
  assertSecurityHeaders,
  rawRequest,
  request,
  runProcess,
  serverFixture,
} from '../lib/server.mjs';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rural24-web-'));
const dist = path.join(root, 'dist');
const outside = path.join(root, 'outside');
const SECRET = 'TOP-SECRET-OUTSIDE-THE-APP';

const INDEX = Buffer.from(
  '<!doctype html>\n<html lang="es-AR"><head><meta charset="utf-8"><title>Rural24</title>' +
    '<link rel="stylesheet" href="/assets/app.89abcdef.css">' +
    '<script type="module" src="/assets/app.0123abcd.js"></script></head>' +
    '<body><h1>Rural24</h1>' +
    'x'.repeat(2000) + // enough to be worth compressing
    '</body></html>\n',
);
const JS = Buffer.from(`console.log(${JSON.stringify('hola '.repeat(400))});\n`);
const CSS = Buffer.from(`body { margin: 0; }\n${'.a { color: red; }\n'.repeat(100)}`);

/** The files of the fixture: relative path → bytes. */
const files = {
  'index.html': INDEX,
  'assets/app.0123abcd.js': JS,
  'assets/app.89abcdef.css': CSS,
  'assets/logo.5e6f7a8b9c.svg': Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
  'assets/photo.00112233.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'assets/photo.44556677.webp': Buffer.from('RIFF0000WEBPVP8 '),
  'assets/font.8899aabb.woff2': Buffer.from('wOF2fake'),
  'favicon.ico': Buffer.from([0, 0, 1, 0]),
  'robots.txt': Buffer.from('User-agent: *\nAllow: /\n'),
  'manifest.webmanifest': Buffer.from('{"name":"Rural24"}'),
  'data.json': Buffer.from('{"ok":true}'),
  'preload-home.txt': Buffer.from('</api/ads/featured?limit=8>; rel=preload; as=fetch; crossorigin, </api/categories>; rel=preload; as=fetch; crossorigin\n'),
  '.hidden': Buffer.from('hidden'),
};

const sha = (buf) => `"${createHash('sha256').update(buf).digest('hex')}"`;

before(() => {
  fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
  fs.mkdirSync(outside, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dist, name), bytes);
  // Precompressed siblings: both for the HTML and the script, gzip only for
  // the stylesheet.
  for (const name of ['index.html', 'assets/app.0123abcd.js']) {
    fs.writeFileSync(path.join(dist, `${name}.br`), zlib.brotliCompressSync(files[name]));
    fs.writeFileSync(path.join(dist, `${name}.gz`), zlib.gzipSync(files[name]));
  }
  fs.writeFileSync(path.join(dist, 'assets/app.89abcdef.css.gz'), zlib.gzipSync(CSS));
  // A lone .gz without its base is not served.
  fs.writeFileSync(path.join(dist, 'orphan.txt.gz'), zlib.gzipSync('orphan'));
  // Symbolic links: one leaving the folder (never served), one staying in it
  // (served), one to a directory outside (never followed).
  fs.writeFileSync(path.join(outside, 'secret.txt'), SECRET);
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dist, 'out.txt'));
  fs.symlinkSync('../outside/secret.txt', path.join(dist, 'assets', 'rel.0123abcd.txt'));
  fs.symlinkSync(path.join(dist, 'robots.txt'), path.join(dist, 'inside.txt'));
  fs.symlinkSync(outside, path.join(dist, 'linkdir'));
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Asserts an answer carries nothing from outside the folder. */
function assertNothingLeaked(res, what) {
  const text = res.body.toString('latin1');
  assert.ok(!text.includes(SECRET), `${what}: the secret leaked`);
  assert.ok(!/root:.*:0:0:/.test(text), `${what}: /etc/passwd leaked`);
}

describe('web app: static files', () => {
  const fx = serverFixture({ env: { WEB_DIR: dist } });
  const get = (p, headers = {}, method = 'GET') => request(fx.server.port, { method, path: p, headers });

  it('answers each file with its MIME type and bytes', async () => {
    const want = {
      '/': ['text/html; charset=utf-8', INDEX],
      '/index.html': ['text/html; charset=utf-8', INDEX],
      '/assets/app.0123abcd.js': ['text/javascript; charset=utf-8', JS],
      '/assets/app.89abcdef.css': ['text/css; charset=utf-8', CSS],
      '/assets/logo.5e6f7a8b9c.svg': ['image/svg+xml', files['assets/logo.5e6f7a8b9c.svg']],
      '/assets/photo.00112233.png': ['image/png', files['assets/photo.00112233.png']],
      '/assets/photo.44556677.webp': ['image/webp', files['assets/photo.44556677.webp']],
      '/assets/font.8899aabb.woff2': ['font/woff2', files['assets/font.8899aabb.woff2']],
      '/favicon.ico': ['image/x-icon', files['favicon.ico']],
      '/robots.txt': ['text/plain; charset=utf-8', files['robots.txt']],
      '/manifest.webmanifest': ['application/manifest+json', files['manifest.webmanifest']],
      '/data.json': ['application/json', files['data.json']],
    };
    for (const [p, [type, bytes]] of Object.entries(want)) {
      const res = await get(p);
      assert.equal(res.status, 200, p);
      assert.equal(res.headers['content-type'], type, p);
      assert.equal(res.headers['content-encoding'], undefined, `${p}: identity without Accept-Encoding`);
      assert.deepEqual(res.body, bytes, p);
      assert.equal(res.headers['content-length'], String(bytes.length), p);
      assertSecurityHeaders(res, p);
    }
  });

  it('strong ETags are the sha256 of the bytes sent; If-None-Match answers 304', async () => {
    const res = await get('/assets/app.0123abcd.js');
    assert.equal(res.headers.etag, sha(JS));
    for (const inm of [sha(JS), `W/${sha(JS)}`, `"other", ${sha(JS)}`, '*']) {
      const again = await get('/assets/app.0123abcd.js', { 'If-None-Match': inm });
      assert.equal(again.status, 304, inm);
      assert.equal(again.body.length, 0);
      assert.equal(again.headers.etag, sha(JS));
      assert.equal(again.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.match(again.headers.vary ?? '', /Accept-Encoding/);
    }
    const other = await get('/assets/app.0123abcd.js', { 'If-None-Match': '"nope"' });
    assert.equal(other.status, 200);
    // Each coding is its own representation with its own tag.
    const br = await get('/assets/app.0123abcd.js', { 'Accept-Encoding': 'br' });
    assert.equal(br.headers.etag, sha(br.body));
    assert.notEqual(br.headers.etag, sha(JS));
    assert.equal((await get('/assets/app.0123abcd.js', { 'Accept-Encoding': 'br', 'If-None-Match': br.headers.etag })).status, 304);
    assert.equal((await get('/assets/app.0123abcd.js', { 'If-None-Match': br.headers.etag })).status, 200);
    // The HTML revalidates the same way.
    const page = await get('/');
    assert.equal((await get('/buscar', { 'If-None-Match': page.headers.etag })).status, 304);
  });

  it('fingerprinted names are immutable for a year; the HTML and plain names are no-cache', async () => {
    for (const p of ['/assets/app.0123abcd.js', '/assets/app.89abcdef.css', '/assets/logo.5e6f7a8b9c.svg']) {
      assert.equal((await get(p)).headers['cache-control'], 'public, max-age=31536000, immutable', p);
    }
    for (const p of ['/', '/index.html', '/buscar', '/robots.txt', '/favicon.ico']) {
      assert.equal((await get(p)).headers['cache-control'], 'no-cache', p);
    }
  });

  it('picks the precompressed variant by Accept-Encoding, with Vary', async () => {
    const cases = [
      ['br, gzip', 'br'],
      ['gzip, br', 'br'], // equal q: br is smaller
      ['gzip;q=1.0, br;q=0.5', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['br;q=0, gzip;q=0', undefined],
      ['gzip', 'gzip'],
      ['x-gzip', 'gzip'],
      ['identity', undefined],
      ['', undefined],
      ['*', 'br'],
      ['*;q=0.5, br;q=0', 'gzip'],
      ['deflate', undefined],
      ['BR;Q=0.9, GZIP;q=0.8', 'br'],
      ['gzip;q=0.5, identity;q=0.9', undefined],
      ['br;q=nonsense, gzip', 'gzip'],
    ];
    for (const [accept, coding] of cases) {
      const res = await get('/assets/app.0123abcd.js', { 'Accept-Encoding': accept });
      assert.equal(res.status, 200, accept);
      assert.equal(res.headers['content-encoding'], coding, `Accept-Encoding: ${accept}`);
      assert.match(res.headers.vary ?? '', /Accept-Encoding/, accept);
      assert.equal(res.headers['content-length'], String(res.body.length));
      const plain =
        coding === 'br' ? zlib.brotliDecompressSync(res.body) : coding === 'gzip' ? zlib.gunzipSync(res.body) : res.body;
      assert.deepEqual(plain, JS, `${accept}: the same bytes once decoded`);
    }
    // Only gzip was built for the stylesheet.
    const css = await get('/assets/app.89abcdef.css', { 'Accept-Encoding': 'br, gzip' });
    assert.equal(css.headers['content-encoding'], 'gzip');
    assert.deepEqual(zlib.gunzipSync(css.body), CSS);
    // The HTML too.
    const page = await get('/avisos/123', { 'Accept-Encoding': 'gzip, deflate, br' });
    assert.equal(page.headers['content-encoding'], 'br');
    assert.deepEqual(zlib.brotliDecompressSync(page.body), INDEX);
    // A file without variants says nothing of Accept-Encoding.
    const png = await get('/assets/photo.00112233.png', { 'Accept-Encoding': 'br' });
    assert.equal(png.headers['content-encoding'], undefined);
    // A lone .gz is neither a variant nor a file.
    assert.equal((await get('/orphan.txt.gz')).status, 404);
    assert.equal((await get('/orphan.txt')).status, 404);
  });

  it('HTML carries the CSP: script-src self, connect-src with the WebSocket origin', async () => {
    const res = await get('/');
    const csp = res.headers['content-security-policy'] ?? '';
    const directives = Object.fromEntries(
      csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]),
    );
    assert.deepEqual(directives['script-src'], ["'self'"]);
    assert.deepEqual(directives['default-src'], ["'self'"]);
    assert.deepEqual(directives['style-src'], ["'self'"]);
    assert.deepEqual(directives['base-uri'], ["'none'"]);
    assert.deepEqual(directives['frame-ancestors'], ["'none'"]);
    assert.ok(directives['connect-src'].includes("'self'"));
    assert.ok(directives['connect-src'].includes(`ws://127.0.0.1`), `connect-src from Host: ${csp}`);
    assert.ok(!csp.includes('unsafe-inline'));
    // Not on scripts.
    assert.equal((await get('/assets/app.0123abcd.js')).headers['content-security-policy'], undefined);
    // A Host that could smuggle a directive is left out.
    const evil = await get('/', { Host: "evil; script-src 'unsafe-inline'" });
    assert.ok(!(evil.headers['content-security-policy'] ?? '').includes('unsafe-inline'));
  });

  it("the app's own paths answer index.html; the API's stay JSON 404", async () => {
    for (const p of ['/buscar', '/buscar?q=tractor%20usado', '/avisos/123', '/mis-avisos/', '/a/b/c/d/e/f/g/h/i/j/k/l/m/n', '/apix']) {
      const res = await get(p);
      assert.equal(res.status, 200, p);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', p);
      assert.deepEqual(res.body, INDEX, p);
      assert.ok(res.headers['content-security-policy'], p);
    }
    for (const p of ['/api/nothing', '/api', '/api/', '/ws/x', '/metrics/x', '/assets/missing.0123abcd.js', '/missing.js', '/nope.png']) {
      const res = await get(p);
      assert.equal(res.status, 404, p);
      assertErrorShape(res, 'not_found', p);
    }
    const post = await request(fx.server.port, { method: 'POST', path: '/buscar', body: '' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD, OPTIONS');
    assert.equal((await request(fx.server.port, { method: 'POST', path: '/api/nothing', body: '' })).status, 404);
    assert.equal((await get('/api/health')).status, 200);
  });

  it('the home page (and only it) carries the Link header of preload-home.txt', async () => {
    const home = await get('/');
    assert.equal(home.status, 200);
    assert.equal(home.headers.link, '</api/ads/featured?limit=8>; rel=preload; as=fetch; crossorigin, </api/categories>; rel=preload; as=fetch; crossorigin');
    for (const p of ['/buscar', '/avisos/123', '/index.html', '/assets/app.0123abcd.js', '/robots.txt', '/api/health']) {
      const res = await get(p);
      assert.equal(res.status, 200, p);
      assert.equal(res.headers.link, undefined, `${p}: no Link`);
    }
  });

  it('HEAD answers the headers of GET without the body', async () => {
    for (const p of ['/', '/buscar', '/assets/app.0123abcd.js']) {
      const g = await get(p, { 'Accept-Encoding': 'gzip' });
      const h = await get(p, { 'Accept-Encoding': 'gzip' }, 'HEAD');
      assert.equal(h.status, 200, p);
      assert.equal(h.body.length, 0);
      for (const name of ['content-type', 'content-length', 'etag', 'cache-control', 'content-encoding', 'vary']) {
        assert.equal(h.headers[name], g.headers[name], `${p} ${name}`);
      }
    }
  });

  it('never serves a file from outside the folder, however ".." is spelled', async () => {
    const targets = [
      '/../etc/passwd',
      '/../../../../etc/passwd',
      '/assets/../../etc/passwd',
      '/./index.html',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/%2E%2E/%2E%2E/etc/passwd',
      '/assets/..%2f..%2fetc/passwd',
      '/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/%252e%252e/%252e%252e/etc/passwd',
      '/assets/%252e%252e%252f%252e%252e%252fetc%252fpasswd',
      '/%25252e%25252e/etc/passwd',
      '/assets/..%5c..%5cetc%5cpasswd',
      '/assets/..%255c..%255cetc%255cpasswd',
      '/..%00/etc/passwd',
      '/%2e%2e/outside/secret.txt',
      '/..%2foutside%2fsecret.txt',
    ];
    for (const target of targets) {
      // Raw bytes in the request line: no client normalizes them away.
      const r = await rawRequest(fx.server.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, {
        expect: 1,
      });
      assert.equal(r.responses.length, 1, target);
      const res = r.responses[0];
      assert.equal(res.status, 400, `${target}: ${res.status} ${res.body}`);
      assertNothingLeaked(res, target);
    }
    // A raw backslash: the parser or the app refuses it.
    const bs = await rawRequest(fx.server.port, 'GET /..\\..\\etc\\passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', {
      expect: 1,
    });
    if (bs.responses.length > 0) {
      assert.ok([400, 404].includes(bs.responses[0].status), `backslash: ${bs.responses[0].status}`);
      assertNothingLeaked(bs.responses[0], 'backslash');
    }
  });

  it('symbolic links out of the folder are not served; those inside are', async () => {
    for (const p of ['/out.txt', '/assets/rel.0123abcd.txt', '/linkdir/secret.txt']) {
      const res = await get(p);
      assert.equal(res.status, 404, p);
      assertNothingLeaked(res, p);
    }
    const inside = await get('/inside.txt');
    assert.equal(inside.status, 200);
    assert.deepEqual(inside.body, files['robots.txt']);
    // Hidden files are not served either.
    assert.notDeepEqual((await get('/.hidden')).body, files['.hidden']);
  });
});

describe('web app: connect-src from FRONTEND_URL', () => {
  const fx = serverFixture({ env: { WEB_DIR: dist, FRONTEND_URL: 'https://rural24.example' } });

  it('names the wss: origin of FRONTEND_URL', async () => {
    const res = await request(fx.server.port, { path: '/' });
    const csp = res.headers['content-security-policy'] ?? '';
    assert.match(csp, /connect-src 'self' wss:\/\/rural24\.example;/);
  });
});

describe('web app: not installed', () => {
  const fx = serverFixture({ env: { WEB_DIR: path.join(root, 'missing') } });

  it('a missing WEB_DIR answers 404 with an explanation, and the API works', async () => {
    const res = await request(fx.server.port, { path: '/' });
    assert.equal(res.status, 404);
    const body = assertErrorShape(res, 'not_found');
    assert.match(JSON.stringify(body), /web app is not installed/);
    assert.equal((await request(fx.server.port, { path: '/api/health' })).status, 200);
  });
});

describe('web app: a preload-home.txt that is not one line of printable ASCII', () => {
  const bad = path.join(root, 'badlink');
  before(() => {
    fs.mkdirSync(bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'index.html'), INDEX);
    fs.writeFileSync(path.join(bad, 'preload-home.txt'), '</api/categories>; rel=preload\r\nX-Injected: 1\n');
  });
  const fx = serverFixture({ env: { WEB_DIR: bad } });

  it('is ignored: no Link, nothing injected, and the page is served', async () => {
    const res = await request(fx.server.port, { path: '/' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, INDEX);
    assert.equal(res.headers.link, undefined);
    assert.equal(res.headers['x-injected'], undefined);
  });
});

describe('web app: limits', () => {
  it('a WEB_DIR over 16 MiB stops start-up with one line', async () => {
    const big = path.join(root, 'big');
    fs.mkdirSync(big, { recursive: true });
    fs.writeFileSync(path.join(big, 'index.html'), '<!doctype html>');
    fs.writeFileSync(path.join(big, 'huge.bin'), Buffer.alloc(17 * 1024 * 1024));
    const run = await runProcess({ WEB_DIR: big });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /WEB_DIR: the files exceed 16 MiB/);
  });
});
