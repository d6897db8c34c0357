// PostgreSQL restarted in the middle of a run: the requests in flight and
// those during the outage get 503 (health stays 200, readiness 503), then the
// pool reconnects with backoff and the same server process serves again.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServerFor, request, json, assertErrorShape, sleep } from '../lib/server.mjs';
import { startPostgres, rural24, psql, eventually } from '../lib/pg.mjs';

describe('PostgreSQL restarts under a running server', () => {
  it('503s while it is down, then recovers with no server restart', async (t) => {
    const cluster = await startPostgres();
    t.after(() => cluster.destroy());
    await psql(cluster.url(), 'CREATE DATABASE rural24');
    const url = cluster.url('rural24');
    assert.equal((await rural24(url, ['migrate'])).code, 0);

    const srv = await startServerFor(t, { env: { DATABASE_URL: url, DB_POOL_SIZE: '4', DB_ACQUIRE_TIMEOUT_MS: '5000' } });
    const get = (path) => request(srv.port, { path, timeoutMs: 10000 });
    assert.equal((await get('/api/ready')).status, 200);
    // Warm every connection (and its prepared statements).
    await Promise.all(Array.from({ length: 8 }, () => get('/api/_test/db/sleep?ms=50')));

    // A slow query is running when PostgreSQL goes down.
    const inFlight = get('/api/_test/db/sleep?ms=5000');
    await sleep(200);
    await cluster.stop('fast');
    const dropped = await inFlight;
    assert.equal(dropped.status, 503);
    assertErrorShape(dropped, 'unavailable');

    // During the outage: every query 503, quickly; health 200; ready 503.
    await srv.waitForLog((l) => l.msg === 'database unavailable', { timeoutMs: 5000 });
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      const r = await get('/api/_test/db/info');
      assert.equal(r.status, 503);
      // Half the acquire timeout: a request that waited for a connection fails.
      assert.ok(Date.now() - t0 < 2500, 'no hanging while down');
    }
    assert.equal((await get('/api/health')).status, 200);
    const ready = await get('/api/ready');
    assert.equal(ready.status, 503);
    assert.equal(json(ready).checks.db, 'down');
    await sleep(1000); // let the backoff grow a little

    // Back up: the pool heals by itself.
    await cluster.start();
    await eventually(async () => (await get('/api/ready')).status === 200, { timeoutMs: 8000, what: 'ready again' });
    await srv.waitForLog((l) => l.msg === 'database reconnected');
    const results = await Promise.all(Array.from({ length: 12 }, () => get('/api/_test/db/sleep?ms=20')));
    assert.deepEqual(results.map((r) => r.status), Array(12).fill(200));
    await eventually(async () => json(await get('/api/_test/db/stats')).primary.open === 4, {
      what: 'every connection back',
    });
    const stats = json(await get('/api/_test/db/stats')).primary;
    assert.ok(stats.connect_failures >= 1, JSON.stringify(stats));
    // The probe retried alone with backoff: a handful of attempts, not a storm.
    assert.ok(stats.connect_failures < 40, `connection attempts while down: ${stats.connect_failures}`);
    assert.equal(srv.proc.exitCode, null, 'the same server process');
  });

  it('a crash (immediate shutdown) is survived the same way', async (t) => {
    const cluster = await startPostgres();
    t.after(() => cluster.destroy());
    await psql(cluster.url(), 'CREATE DATABASE rural24');
    const url = cluster.url('rural24');
    assert.equal((await rural24(url, ['migrate'])).code, 0);
    const srv = await startServerFor(t, { env: { DATABASE_URL: url, DB_POOL_SIZE: '2' } });
    const get = (path) => request(srv.port, { path, timeoutMs: 10000 });
    assert.equal((await get('/api/_test/db/info')).status, 200);
    await cluster.stop('immediate');
    assert.equal((await get('/api/_test/db/info')).status, 503);
    await cluster.start();
    await eventually(async () => (await get('/api/_test/db/info')).status === 200, { timeoutMs: 10000, what: 'queries again' });
  });
});
