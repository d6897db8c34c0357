// The real build (web/build.mjs, into a temporary folder) served by the real
// binary: the page names fingerprinted files that exist, each is answered
// with its type, immutable caching and a br variant, the HTML carries the CSP
// and no inline script, and the first page weighs under 100 KB as a browser
// accepting br receives it. Skipped when web/node_modules is not installed
// (`make web` installs it; `make test` runs `make web` first).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { repoRoot, request, serverFixture } from '../lib/server.mjs';

const installed = fs.existsSync(path.join(repoRoot, 'web', 'node_modules', 'esbuild'));
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rural24-web-build-'));
after(() => fs.rmSync(out, { recursive: true, force: true }));

let buildLog = '';
if (installed) {
  const run = spawnSync(process.execPath, [path.join(repoRoot, 'web', 'build.mjs'), '--out', out], {
    encoding: 'utf8',
    timeout: 60000,
  });
  buildLog = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) throw new Error(`web/build.mjs failed:\n${buildLog}`);
}

describe('web app: the real build through the server', { skip: !installed && 'web/node_modules not installed (make web)' }, () => {
  const fx = serverFixture({ env: { WEB_DIR: out } });

  it('serves the built page and every file it names', async () => {
    const accept = { 'Accept-Encoding': 'gzip, deflate, br' };
    const page = await request(fx.server.port, { path: '/', headers: { 'Accept-Encoding': 'identity' } });
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.headers['content-security-policy'] ?? '', /script-src 'self';/);
    const html = page.body.toString('utf8');
    assert.match(html, /<html lang="es-AR">/);
    assert.match(html, /Rural24/);
    assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'no inline script');
    assert.ok(!/\sstyle=|<style\b/i.test(html), 'no inline style');

    const named = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(named.some((n) => /^\/assets\/app\.[0-9a-f]{16}\.js$/.test(n)), `a fingerprinted script: ${named}`);
    assert.ok(named.some((n) => /^\/assets\/app\.[0-9a-f]{16}\.css$/.test(n)), `a fingerprinted stylesheet: ${named}`);

    let weight = (await request(fx.server.port, { path: '/', headers: accept })).body.length;
    for (const name of named) {
      const res = await request(fx.server.port, { path: name, headers: accept });
      assert.equal(res.status, 200, name);
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', name);
      assert.equal(res.headers['content-encoding'], 'br', name);
      assert.match(res.headers.vary ?? '', /Accept-Encoding/, name);
      weight += res.body.length;
    }
    console.log(`# first page over HTTP with br: ${weight} B`);
    assert.ok(weight < 100 * 1000, `the first page weighs ${weight} B`);
    assert.match(buildLog, /first page .* B with br/);
  });

  it('answers the same page for the routes of the app', async () => {
    const home = await request(fx.server.port, { path: '/' });
    for (const p of ['/buscar?q=tractor', '/avisos/1']) {
      const res = await request(fx.server.port, { path: p });
      assert.equal(res.status, 200, p);
      assert.deepEqual(res.body, home.body, p);
    }
  });
});
