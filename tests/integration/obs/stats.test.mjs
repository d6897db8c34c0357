// GET /api/admin/stats and the periodic [METRICS] line (issue 13, API.md
// "Health and operations", DESIGN.md's decision table): admins only (401
// anonymous, 403 others); the same figures in both, with the capacity
// advisor's verdict; the line appears at METRICS_INTERVAL_S with every field.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AuthClient, expectError, expectJson } from '../lib/auth.mjs';
import { promote, startCatalogServer } from '../lib/catalog.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit, request, sleep } from '../lib/server.mjs';

const STATS_KEYS = ['cache', 'rate_limiter', 'db', 'ws', 'memory', 'uptime_s', 'requests_per_s', 'p95_ms', 'capacity'];
const SIGNALS = ['users_online', 'requests_per_s', 'db_connections_in_use', 'p95_ms', 'rss_mb', 'cache_miss_rate', 'users_online_stage3', 'chat_messages_per_minute'];

function assertStats(body, what) {
  for (const k of STATS_KEYS) assert.ok(k in body, `${what}: has ${k}`);
  assert.ok(body.memory.rss_bytes > 1e6, `${what}: RSS in bytes`);
  assert.ok(Number.isInteger(body.uptime_s) && body.uptime_s >= 0);
  assert.equal(typeof body.db.primary, 'object', `${what}: db pools`);
  assert.equal(typeof body.cache.hits, 'number');
  assert.equal(typeof body.rate_limiter.refused, 'number');
  const cap = body.capacity;
  assert.ok([1, 2, 3].includes(cap.stage), `${what}: stage ${cap.stage}`);
  assert.ok(['ok', 'warning', 'critical'].includes(cap.level));
  for (const s of SIGNALS) {
    const sig = cap.signals[s];
    assert.ok(sig, `${what}: signal ${s}`);
    for (const k of ['value', 'warning', 'critical']) assert.equal(typeof sig[k], 'number', `${s}.${k}`);
    assert.ok(['ok', 'warning', 'critical'].includes(sig.level));
  }
  assert.ok(Array.isArray(cap.alarms) && Array.isArray(cap.advice) && cap.advice.length >= 1);
  assert.equal(typeof cap.connections.needed, 'number');
}

describe('GET /api/admin/stats and [METRICS]', () => {
  let srv;
  let c;
  let db;
  before(async () => {
    db = await freshDatabase('obs_stats');
    srv = await startCatalogServer({ store: 'db', databaseUrl: db, extra: { METRICS_INTERVAL_S: '1', DB_POOL_SIZE: '7' } });
    c = new AuthClient(srv.port);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('401 anonymous, 403 for a user, 200 for an admin with every figure and the verdict', async () => {
    expectError(await c.call('GET', '/api/admin/stats'), 401, 'unauthorized', 'anonymous');
    const u = await c.newUser({}, 'statsuser');
    expectError(await c.call('GET', '/api/admin/stats', { token: u.access }), 403, 'forbidden', 'a user');
    const admin = await c.newUser({}, 'statsadmin');
    await promote(c, db, admin);
    for (let i = 0; i < 20; i++) await request(srv.port, { path: '/api/health' });
    const body = expectJson(await c.call('GET', '/api/admin/stats', { token: admin.access }), 200, 'admin');
    assertStats(body, '/api/admin/stats');
    assert.equal(body.capacity.stage, 1, 'no Redis: stage 1');
    assert.ok(body.capacity.signals.users_online.value >= 2, 'the two users who just made requests are online');
    assert.equal(body.capacity.connections.db_pool_size, 7);
    assert.ok(body.capacity.connections.max_connections > 0, 'max_connections learned from PostgreSQL');
  });

  it('[METRICS] appears every METRICS_INTERVAL_S with every field', async () => {
    const count = () => srv.stdout().split('\n').filter((l) => l.startsWith('[METRICS] ')).length;
    const before0 = count();
    await sleep(2500);
    const lines = srv.stdout().split('\n').filter((l) => l.startsWith('[METRICS] '));
    assert.ok(lines.length - before0 >= 2, `at least two more lines in 2.5 s at 1 s (${lines.length - before0})`);
    const body = JSON.parse(lines.at(-1).slice('[METRICS] '.length));
    assertStats(body, '[METRICS]');
  });
});
