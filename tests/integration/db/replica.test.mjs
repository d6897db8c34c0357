// DATABASE_REPLICA_URL with a real streaming standby (pg_basebackup -R):
// reads go to the replica, a user who just wrote reads from the primary for
// REPLICA_STICKY_S (and so sees their own write at once), writes always go to
// the primary, and when the replica is down reads fall back to the primary.

import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { startServerFor, request, json, sleep } from '../lib/server.mjs';
import { startPostgres, rural24, psql, eventually } from '../lib/pg.mjs';

let primary, standby;
before(async () => {
  primary = await startPostgres();
  await psql(primary.url(), 'CREATE DATABASE rural24');
  assert.equal((await rural24(primary.url('rural24'), ['migrate'])).code, 0);
  standby = await primary.startStandby();
});
after(async () => {
  await standby?.destroy();
  await primary?.destroy();
});

describe('read replica', () => {
  it('reads from the standby, reads your own writes from the primary, falls back when the standby is down', async (t) => {
    const srv = await startServerFor(t, {
      env: {
        DATABASE_URL: primary.url('rural24'),
        DATABASE_REPLICA_URL: standby.url('rural24'),
        DB_POOL_SIZE: '2',
        REPLICA_STICKY_S: '2',
      },
    });
    const get = (path, opts = {}) => request(srv.port, { path, timeoutMs: 10000, ...opts });
    await eventually(async () => json(await get('/api/_test/db/stats')).replica?.up, { what: 'replica pool up' });

    // An anonymous read: the standby.
    const info = json(await get('/api/_test/db/info'));
    assert.equal(info.in_recovery, true);
    assert.equal(info.port, standby.port);

    // User 7 writes, and reads it back at once: from the primary.
    const created = await get('/api/_test/db/users?email=sticky%40example.test&user=7', { method: 'POST' });
    assert.equal(created.status, 201);
    const { id } = json(created);
    const own = await get(`/api/_test/db/users/${id}?user=7`);
    assert.equal(own.status, 200, 'read-your-own-write');
    assert.equal(json(own).in_recovery, false, 'served by the primary');
    assert.equal(json(await get('/api/_test/db/info?user=7')).in_recovery, false, 'all of 7\'s reads, for now');

    // Another user reads from the standby, which catches up by streaming.
    assert.equal(json(await get('/api/_test/db/info?user=8')).in_recovery, true);
    await eventually(async () => {
      const r = await get(`/api/_test/db/users/${id}?user=8`);
      return r.status === 200 && json(r).in_recovery === true;
    }, { what: 'the write replicated to the standby' });

    // After REPLICA_STICKY_S, user 7 reads from the standby again.
    await sleep(2200);
    assert.equal(json(await get('/api/_test/db/info?user=7')).in_recovery, true);

    // Writes never go to the replica (even a "write" that only sleeps).
    assert.equal((await get('/api/_test/db/sleep?ms=1&write=1')).status, 200);

    let stats = json(await get('/api/_test/db/stats'));
    assert.ok(stats.replica_reads >= 3 && stats.sticky_reads >= 2, JSON.stringify(stats));

    // The standby goes away: reads fall back to the primary; readiness stays
    // ok (the primary is what the instance needs).
    await standby.stop('fast');
    await eventually(async () => {
      const r = await get('/api/_test/db/info');
      return r.status === 200 && json(r).in_recovery === false;
    }, { what: 'reads served by the primary' });
    for (let i = 0; i < 5; i++) {
      const r = await get('/api/_test/db/info?user=9');
      assert.equal(r.status, 200);
      assert.equal(json(r).in_recovery, false);
    }
    assert.equal((await get('/api/ready')).status, 200);
    stats = json(await get('/api/_test/db/stats'));
    assert.equal(stats.replica.up, false);
    assert.ok(stats.fallback_reads >= 5, JSON.stringify(stats));

    // And it comes back.
    await standby.start();
    await eventually(async () => json(await get('/api/_test/db/info')).in_recovery === true, {
      timeoutMs: 10000,
      what: 'reads on the standby again',
    });
  });
});
