// The pool under load and at its edges, through the real server:
// DB_POOL_SIZE + 50 concurrent slow requests all finish or get 503 within the
// acquire bound; the wait queue has a hard cap; the statement timeout; the
// slow-query log (name and duration, never values); unnamed statements for
// PgBouncer; large binary parameters; errors mapped as the API maps them.

import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { createHash, randomBytes } from 'node:crypto';
import { startServerFor, request, json, assertErrorShape } from '../lib/server.mjs';
import { freshDatabase } from '../lib/pg.mjs';

let url;
before(async () => {
  url = await freshDatabase('pool');
});

const get = (srv, path, opts = {}) => request(srv.port, { path, timeoutMs: 15000, ...opts });

describe('pool exhaustion', () => {
  it('DB_POOL_SIZE + 50 concurrent slow requests: each answers 200 or 503 within the bound, none hangs', async (t) => {
    const POOL = 4, ACQUIRE_MS = 1000, SLEEP_MS = 300;
    const srv = await startServerFor(t, {
      env: { DATABASE_URL: url, DB_POOL_SIZE: String(POOL), DB_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_MS) },
    });
    assert.equal((await get(srv, '/api/ready')).status, 200);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: POOL + 50 }, async () => {
        const t0 = Date.now();
        const res = await get(srv, `/api/_test/db/sleep?ms=${SLEEP_MS}`);
        return { status: res.status, ms: Date.now() - t0, res };
      }),
    );
    const total = Date.now() - started;
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 503);
    assert.equal(ok.length + refused.length, results.length, `only 200 and 503: ${results.map((r) => r.status)}`);
    for (const r of refused) assertErrorShape(r.res, 'unavailable');
    // Served in FIFO order four at a time: about (ACQUIRE/SLEEP + 1) x POOL succeed.
    assert.ok(ok.length >= POOL * 2, `at least ${POOL * 2} served, got ${ok.length}`);
    assert.ok(refused.length >= 20, `the rest timed out waiting, got ${refused.length}`);
    // Bound: a request waits at most the acquire timeout, then runs at most SLEEP.
    const bound = ACQUIRE_MS + SLEEP_MS + 1500;
    for (const r of results) assert.ok(r.ms < bound, `answered in ${r.ms} ms (bound ${bound})`);
    assert.ok(total < bound, `all done in ${total} ms`);

    const stats = json(await get(srv, '/api/_test/db/stats')).primary;
    assert.equal(stats.in_use, 0);
    assert.equal(stats.waiting, 0);
    assert.equal(stats.open, POOL);
    assert.ok(stats.acquire_timeouts >= refused.length, JSON.stringify(stats));
    assert.equal((await get(srv, '/api/_test/db/info')).status, 200, 'still serving');
  });

  it('the wait queue is bounded: past its cap a request is refused at once', async (t) => {
    // One connection: the queue holds at most DB_WAIT_QUEUE_MIN (256) waiters.
    const srv = await startServerFor(t, {
      env: { DATABASE_URL: url, DB_POOL_SIZE: '1', DB_ACQUIRE_TIMEOUT_MS: '3000', MAX_CONNECTIONS: '2000', MAX_CONNECTIONS_PER_IP: '2000' },
    });
    assert.equal((await get(srv, '/api/ready')).status, 200);
    const N = 300;
    const results = await Promise.all(
      Array.from({ length: N }, async () => {
        const t0 = Date.now();
        const res = await get(srv, '/api/_test/db/sleep?ms=2000');
        return { status: res.status, ms: Date.now() - t0 };
      }),
    );
    const fast503 = results.filter((r) => r.status === 503 && r.ms < 1500);
    assert.ok(fast503.length >= N - 256 - 1, `refused at once: ${fast503.length}`);
    const stats = json(await get(srv, '/api/_test/db/stats')).primary;
    assert.ok(stats.refused >= N - 257, JSON.stringify(stats));
    assert.equal(stats.waiting, 0);
  });
});

describe('statements', () => {
  it('a statement past DB_STATEMENT_TIMEOUT_MS is cancelled (503) and the connection is reused', async (t) => {
    const srv = await startServerFor(t, {
      env: { DATABASE_URL: url, DB_POOL_SIZE: '1', DB_STATEMENT_TIMEOUT_MS: '300' },
    });
    const info = json(await get(srv, '/api/_test/db/info'));
    assert.equal(info.statement_timeout, '300ms');
    assert.equal(info.timezone, 'UTC');
    const t0 = Date.now();
    const res = await get(srv, '/api/_test/db/sleep?ms=3000');
    assert.equal(res.status, 503);
    assert.ok(Date.now() - t0 < 2000, 'cancelled by the server');
    assert.equal((await get(srv, '/api/_test/db/sleep?ms=10')).status, 200);
    const stats = json(await get(srv, '/api/_test/db/stats')).primary;
    assert.equal(stats.connects, 1, 'the same connection');
  });

  it('slow statements are logged with their name and duration, never their values', async (t) => {
    const srv = await startServerFor(t, { env: { DATABASE_URL: url, DB_POOL_SIZE: '1', SLOW_QUERY_MS: '100' } });
    const secret = 'slowlog-secret-value@example.test';
    assert.equal((await get(srv, '/api/_test/db/sleep?ms=250')).status, 200);
    // An INSERT carrying a value, then a slow one: the value never reaches the log.
    assert.equal((await get(srv, `/api/_test/db/users?email=${encodeURIComponent(secret)}`, { method: 'POST' })).status, 201);
    const line = await srv.waitForLog((l) => l.msg === 'slow query');
    assert.equal(line.statement, 'test_sleep');
    assert.ok(line.duration_ms >= 250 && line.duration_ms < 2000, JSON.stringify(line));
    assert.equal(line.level, 'warn');
    assert.ok(!srv.stdout().includes(secret));
    assert.equal(srv.logs().filter((l) => l.msg === 'slow query').length, 1);
  });

  it('DB_PREPARED_STATEMENTS=false runs everything unnamed (PgBouncer transaction mode)', async (t) => {
    const srv = await startServerFor(t, { env: { DATABASE_URL: url, DB_POOL_SIZE: '2', DB_PREPARED_STATEMENTS: 'false' } });
    for (let i = 0; i < 8; i++) assert.equal((await get(srv, '/api/_test/db/info')).status, 200);
    const created = await get(srv, '/api/_test/db/users?email=unnamed%40example.test', { method: 'POST' });
    assert.equal(created.status, 201);
    const { id } = json(created);
    assert.equal(json(await get(srv, `/api/_test/db/users/${id}`)).email, 'unnamed@example.test');
  });

  it('two statements sharing a name: an error is logged and each still runs its own SQL', async (t) => {
    const srv = await startServerFor(t, { env: { DATABASE_URL: url, DB_POOL_SIZE: '1' } });
    assert.equal(json(await get(srv, '/api/_test/db/info')).timezone, 'UTC');
    for (let i = 0; i < 3; i++) assert.deepEqual(json(await get(srv, '/api/_test/db/clash')), { clash: true });
    assert.equal(json(await get(srv, '/api/_test/db/info')).timezone, 'UTC');
    const line = await srv.waitForLog((l) => l.msg === 'two statements share a name: the second runs unnamed');
    assert.equal(line.statement, 'test_info');
    assert.equal(srv.logs().filter((l) => l.msg === line.msg).length, 1, 'logged once');
  });

  it('a 5 MB binary parameter goes through (PQflush in pieces) intact', async (t) => {
    const srv = await startServerFor(t, { env: { DATABASE_URL: url, DB_POOL_SIZE: '2' } });
    const body = randomBytes(5 * 1024 * 1024);
    const res = await request(srv.port, {
      method: 'POST',
      path: '/api/_test/db/echo',
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
      timeoutMs: 20000,
    });
    assert.equal(res.status, 200, res.body.toString());
    const out = json(res);
    assert.equal(out.bytes, body.length);
    assert.equal(out.md5, createHash('md5').update(body).digest('hex'));
  });

  it('errors: a constraint names itself (409), a failing statement is 500 without SQL', async (t) => {
    const srv = await startServerFor(t, { env: { DATABASE_URL: url, DB_POOL_SIZE: '2' } });
    const email = 'twice%40example.test';
    assert.equal((await get(srv, `/api/_test/db/users?email=${email}`, { method: 'POST' })).status, 201);
    const dup = await get(srv, `/api/_test/db/users?email=${email}`, { method: 'POST' });
    assert.equal(dup.status, 409);
    assert.equal(assertErrorShape(dup, 'conflict').error.message, 'constraint users_email_key');
    const bad = await get(srv, '/api/_test/db/users?email=NOT-LOWER%40example.test', { method: 'POST' });
    assert.equal(assertErrorShape(bad, 'conflict').error.message, 'constraint users_email_check');
    const err = await get(srv, '/api/_test/db/error');
    assert.equal(err.status, 500);
    assert.doesNotMatch(err.body.toString(), /SELECT|division/i);
    assert.equal((await get(srv, '/api/_test/db/users/999999999')).status, 404);
  });
});
