// Password hashing stays off the event loop (issue 5 "Passwords"): while 50
// logins hash their passwords at once, GET /api/health keeps answering 200.
// Its latency during the logins is printed as a diagnostic, not asserted
// (tests assert no latencies: a busy CI machine would fail them with nothing
// wrong; the figure belongs to the benchmarks). And a login for an unknown email spends a hash too, so its
// timing does not tell which emails exist.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit, request } from '../lib/server.mjs';
import { AuthClient, expectJson, percentile, startAuthServer } from '../lib/auth.mjs';

describe('50 concurrent logins do not stall the loop', () => {
  let srv;
  before(async () => {
    const databaseUrl = await freshDatabase('auth_load');
    // The suite's environment already raises RATE_LIMIT_AUTH_IP and _EMAIL.
    srv = await startAuthServer({ store: 'db', databaseUrl, extra: { DB_POOL_SIZE: '8' } });
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('GET /api/health keeps answering 200 while 50 logins run', async (t) => {
    const c = new AuthClient(srv.port);
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await c.newUser({}, `load${i}`));

    // Warm up the health path (and the connection setup on both sides).
    for (let i = 0; i < 10; i++) assert.equal((await request(srv.port, { path: '/api/health' })).status, 200);

    let pending = 50;
    const loginsStarted = Date.now();
    const logins = Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const u = users[i % users.length];
        const res = await c.login(u.email, u.password, { timeoutMs: 30000 });
        pending--;
        return res;
      }),
    );

    const samples = [];
    while (pending > 0 && samples.length < 100) {
      const t0 = process.hrtime.bigint();
      const res = await request(srv.port, { path: '/api/health', timeoutMs: 10000 });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(res.status, 200);
      // Only what was measured while logins were still running counts.
      if (pending > 0) samples.push(ms);
    }
    const results = await logins;
    const loginsMs = Date.now() - loginsStarted;
    for (const res of results) expectJson(res, 200, 'concurrent login');

    const p99 = percentile(samples, 99);
    const p50 = percentile(samples, 50);
    const detail = `${samples.length} health samples during ${loginsMs} ms of logins; p50 ${p50?.toFixed(1)} ms, p99 ${p99?.toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms`;
    t.diagnostic(detail);
    // Health answered (200, checked above) throughout the logins.
    assert.ok(samples.length >= 1, `health answered while the logins ran: ${detail}`);
  });

  it('a login for an unknown email takes about as long as a wrong password (a hash is spent either way)', async () => {
    const c = new AuthClient(srv.port);
    const u = await c.newUser({}, 'timing');
    const time = async (email) => {
      const t0 = process.hrtime.bigint();
      const res = await c.login(email, 'no-es-la-clave');
      assert.equal(res.status, 401);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const wrong = [];
    const unknown = [];
    for (let i = 0; i < 7; i++) {
      wrong.push(await time(u.email));
      unknown.push(await time(`nadie${i}.${u.email}`));
    }
    const mw = percentile(wrong, 50);
    const mu = percentile(unknown, 50);
    // Without a dummy hash an unknown email answers in about a millisecond,
    // against the tens of milliseconds of a real hash.
    assert.ok(mu >= mw * 0.5, `median unknown email ${mu.toFixed(1)} ms vs wrong password ${mw.toFixed(1)} ms`);
  });
});
