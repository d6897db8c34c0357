// Start-up with a bad or absent database: a malformed DATABASE_URL is one
// clear line and exit status 2; an unreachable database does not stop the
// server (health 200, ready 503, queries 503 at once) and it recovers by
// itself when the database appears; a host name is resolved off the loop.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServerFor, runProcess, request, json, freePort, assertErrorShape } from '../lib/server.mjs';
import { freshDatabase, startPostgres, rural24, eventually, withDatabase } from '../lib/pg.mjs';

describe('a broken DATABASE_URL', () => {
  const cases = [
    ['DATABASE_URL', 'postgresql://127.0.0.1:notaport/rural24', /DATABASE_URL: invalid port number/],
    ['DATABASE_URL', 'postgresql://127.0.0.1:5432/rural24?bogus_option=1', /DATABASE_URL: .*bogus_option/],
    ['DATABASE_URL', 'postgresql://u@127.0.0.1/db?sslmode=sometimes', /DATABASE_URL: invalid sslmode/],
    ['DATABASE_URL', 'mysql://127.0.0.1/rural24', /DATABASE_URL/],
    ['DATABASE_REPLICA_URL', 'postgresql://[::1/rural24', /DATABASE_REPLICA_URL: /],
  ];
  for (const [name, url, pattern] of cases) {
    it(`${name}=${url} is one line and exit status 2`, async () => {
      const r = await runProcess({ [name]: url }, ['serve']);
      assert.equal(r.code, 2, `exit status; stderr ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${JSON.stringify(r.stderr)}`);
      assert.match(lines[0], pattern);
      assert.doesNotMatch(r.stderr, /AddressSanitizer|LeakSanitizer|runtime error/);
    });
  }

  it('never shows the password of a broken URL', async () => {
    const r = await runProcess({ DATABASE_URL: 'postgresql://u:hunter2secret@[::1/db' }, ['serve']);
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2secret/);
  });
});

describe('an unreachable database at start-up', () => {
  it('serves health, says not ready, refuses queries at once, and recovers when the database appears', async (t) => {
    const port = await freePort();
    const cluster = await startPostgres({ port, start: false });
    t.after(() => cluster.destroy());
    const srv = await startServerFor(t, {
      env: { DATABASE_URL: cluster.url('rural24'), DB_POOL_SIZE: '3', DB_ACQUIRE_TIMEOUT_MS: '10000' },
    });
    assert.equal((await request(srv.port, { path: '/api/health' })).status, 200);
    const down = await srv.waitForLog((l) => l.msg === 'database unavailable', { timeoutMs: 5000 });
    assert.match(down.error, /Connection refused/, 'libpq says why, in one line');
    assert.doesNotMatch(down.error, /\n/);
    const ready = await request(srv.port, { path: '/api/ready' });
    assert.equal(ready.status, 503);
    assert.equal(json(ready).checks.db, 'down');

    const started = Date.now();
    const q = await request(srv.port, { path: '/api/_test/db/info' });
    assert.equal(q.status, 503);
    assertErrorShape(q, 'unavailable');
    // Half the 10 s acquire timeout: a wait for it cannot pass, a loaded
    // machine's slow answer does not fail.
    assert.ok(Date.now() - started < 5000, 'refused at once, not after the acquire timeout');

    // The database appears (and is migrated): the server notices by itself.
    await cluster.start();
    const { psql } = await import('../lib/pg.mjs');
    await psql(cluster.url(), 'CREATE DATABASE rural24');
    assert.equal((await rural24(cluster.url('rural24'), ['migrate'])).code, 0);
    await eventually(async () => (await request(srv.port, { path: '/api/ready' })).status === 200, {
      timeoutMs: 8000,
      what: '/api/ready 200',
    });
    const info = await request(srv.port, { path: '/api/_test/db/info' });
    assert.equal(info.status, 200);
    assert.equal(json(info).timezone, 'UTC');
    await srv.waitForLog((l) => l.msg === 'database reconnected');
    assert.equal((await request(srv.port, { path: '/api/health' })).status, 200);
  });
});

describe('host names', () => {
  it('a DATABASE_URL naming the host as "localhost" connects (resolved on the thread pool)', async (t) => {
    const url = await freshDatabase('startup_localhost');
    const u = new URL(url);
    u.hostname = 'localhost';
    const srv = await startServerFor(t, { env: { DATABASE_URL: u.toString(), DB_POOL_SIZE: '2' } });
    await eventually(async () => (await request(srv.port, { path: '/api/ready' })).status === 200, {
      what: 'ready',
    });
    assert.equal((await request(srv.port, { path: '/api/_test/db/info' })).status, 200);
  });

  it('falls through to the next address at once when the first refuses (a host list)', async (t) => {
    const url = new URL(await freshDatabase('startup_hostlist'));
    const dead = await freePort();
    // libpq closes the refused socket and opens the next one, usually under
    // the same descriptor number: the pool must watch the new socket.
    const list = `postgresql://postgres@127.0.0.1:${dead},127.0.0.1:${url.port}${url.pathname}`;
    const started = Date.now();
    const srv = await startServerFor(t, { env: { DATABASE_URL: list, DB_POOL_SIZE: '3' } });
    assert.equal((await request(srv.port, { path: '/api/ready' })).status, 200);
    assert.ok(Date.now() - started < 4000, `ready after ${Date.now() - started} ms`);
    const stats = await eventually(async () => {
      const primary = json(await request(srv.port, { path: '/api/_test/db/stats' })).primary;
      return primary.open === 3 ? primary : null;
    }, { timeoutMs: 3000, what: 'three connections up' });
    assert.equal(stats.connect_failures, 0, 'the refused address is not a failed attempt');
  });

  it('an unknown host name is "down", not a crash', async (t) => {
    const url = withDatabase('postgresql://postgres@no-such-host.invalid:5432/x', 'x');
    const srv = await startServerFor(t, { env: { DATABASE_URL: url, DB_POOL_SIZE: '2' } });
    const line = await srv.waitForLog((l) => l.msg === 'database unavailable', { timeoutMs: 8000 });
    assert.match(line.error, /could not resolve host "no-such-host.invalid"/);
    assert.equal((await request(srv.port, { path: '/api/ready' })).status, 503);
  });
});
