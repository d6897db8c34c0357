// Test-only routes never ship (issue 8): the release binary (build/rural24)
// answers 404 on every /api/_test/... route even with APP_ENV=test, while the
// ASan test build (build/asan/rural24) has them — so this cannot pass
// vacuously. The routes are read from the source (every app_route of a
// "/api/_test/..." path under src/), so a new test route is covered the day
// it is added.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { freshDatabase } from '../lib/pg.mjs';
import { repoRoot } from '../lib/server.mjs';
import { asanBin, harnessFor, releaseBin } from '../lib/catalog.mjs';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** [{method, pattern, path}] of every test route registered in src/. */
function testRoutes() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.c')) {
        const text = fs.readFileSync(p, 'utf8');
        for (const m of text.matchAll(/HTTP_METHOD_([A-Z]+)\s*,\s*"(\/api\/_test\/[^"]*)"/g)) {
          out.push({ method: m[1], pattern: m[2], path: m[2].replace(/\{[^}]+\}/g, '1'), file: path.relative(repoRoot, p) });
        }
      }
    }
  };
  walk(path.join(repoRoot, 'src'));
  return out;
}

const routes = testRoutes();

describe('the /api/_test routes', () => {
  let db;
  let release;
  let asan;
  let hRelease;
  let hAsan;

  before(async () => {
    assert.ok(routes.length >= 10, `the test routes were found in src/: ${routes.length}`);
    for (const bin of [releaseBin, asanBin]) {
      assert.ok(fs.existsSync(bin), `${path.relative(repoRoot, bin)} exists (make all asan builds both)`);
    }
    db = await freshDatabase('catalog_test_routes');
    hRelease = await harnessFor(releaseBin);
    hAsan = await harnessFor(asanBin);
    // Both with APP_ENV=test (the harness's default), same database.
    release = await hRelease.startServer({ env: { DATABASE_URL: db, APP_ENV: 'test' } });
    asan = await hAsan.startServer({ env: { DATABASE_URL: db, APP_ENV: 'test' } });
  });

  after(async () => {
    const results = await Promise.all([release?.stop(), asan?.stop()]);
    if (results[0]) hRelease.assertCleanExit(results[0]);
    if (results[1]) hAsan.assertCleanExit(results[1]);
  });

  it('the ASan test build has every one of them (an unregistered method on the path is 405, not 404)', async () => {
    const missing = [];
    const paths = new Map();
    for (const r of routes) paths.set(r.path, [...(paths.get(r.path) ?? []), r.method]);
    for (const [p, methods] of paths) {
      const unused = METHODS.find((m) => !methods.includes(m));
      const res = await hAsan.request(asan.port, { method: unused, path: p });
      if (res.status !== 405) missing.push(`${unused} ${p}: ${res.status}`);
    }
    assert.deepEqual(missing, [], 'routes the test build does not have');
    const stores = await hAsan.request(asan.port, { path: '/api/_test/stores' });
    assert.equal(stores.status, 200, 'GET /api/_test/stores answers on the test build');
  });

  it('the release build answers 404 not_found on every one of them, with APP_ENV=test', async () => {
    const answered = [];
    for (const r of routes) {
      for (const method of [r.method, 'GET']) {
        const res = await hRelease.request(release.port, {
          method,
          path: r.path,
          headers: method === 'GET' ? {} : { 'Content-Type': 'application/json' },
          body: method === 'GET' ? undefined : '{}',
        });
        if (res.status !== 404) answered.push(`${method} ${r.path} (${r.file}): ${res.status} ${res.body.toString().slice(0, 80)}`);
        else hRelease.assertErrorShape(res, 'not_found');
      }
    }
    assert.deepEqual(answered, [], 'test routes the release build answers');
    const health = await hRelease.request(release.port, { path: '/api/health' });
    assert.equal(health.status, 200, 'the release server is up and answering');
  });
});
