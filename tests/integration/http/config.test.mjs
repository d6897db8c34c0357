// The command line and the configuration (DESIGN.md "Configuration", issue 2
// "Command line and configuration"): a bad value exits 2 with one line naming
// the variable; production refuses weak secrets and a missing FRONTEND_URL;
// REDIS_ENABLED=false wins over the Redis store choices with one warning.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  assertNoSanitizerReport,
  json,
  request,
  runProcess,
  startServerFor,
} from '../lib/server.mjs';

const GOOD_SECRET = 'k'.repeat(20) + 'Q7f9x2LmZ8pR4tW1vB6n'; // 40 bytes
assert.equal(GOOD_SECRET.length, 40);

const stderrLines = (s) => s.split('\n').map((l) => l.trim()).filter(Boolean);

/** Runs the server with env and expects exit 2 and one stderr line naming
 *  `variable`. */
async function expectConfigError(env, variable) {
  const r = await runProcess(env, [], { timeoutMs: 8000 });
  assert.equal(r.timedOut, false, `the server refused to start instead of serving (env ${JSON.stringify(env)})`);
  assertNoSanitizerReport(r.stderr, 'rural24');
  assert.equal(r.code, 2, `exit status for ${JSON.stringify(env)}; stderr: ${r.stderr}`);
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `one stderr line for ${JSON.stringify(env)}; got ${JSON.stringify(lines)}`);
  assert.ok(lines[0].includes(variable), `the line names ${variable}: ${lines[0]}`);
  return lines[0];
}

describe('configuration errors exit 2 with one line naming the variable', () => {
  const cases = [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '3000abc' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ CACHE_TYPE: 'bogus' }, 'CACHE_TYPE'],
    [{ RATE_LIMIT_STORE: 'bogus' }, 'RATE_LIMIT_STORE'],
    [{ SESSION_STORE: 'bogus' }, 'SESSION_STORE'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ REDIS_ENABLED: 'maybe' }, 'REDIS_ENABLED'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_REPLICA_URL: 'mysql://x' }, 'DATABASE_REPLICA_URL'],
    [{ DB_POOL_SIZE: 'ten' }, 'DB_POOL_SIZE'],
    [{ DB_PREPARED_STATEMENTS: 'perhaps' }, 'DB_PREPARED_STATEMENTS'],
    [{ CACHE_MAX_ENTRIES: 'lots' }, 'CACHE_MAX_ENTRIES'],
    [{ ACCESS_TOKEN_TTL_S: '15m' }, 'ACCESS_TOKEN_TTL_S'],
    [{ REFRESH_TOKEN_TTL_S: 'x' }, 'REFRESH_TOKEN_TTL_S'],
    [{ REFRESH_GRACE_S: 'x' }, 'REFRESH_GRACE_S'],
    [{ USD_ARS_RATE: 'cheap' }, 'USD_ARS_RATE'],
    [{ USD_ARS_RATE: '-5' }, 'USD_ARS_RATE'],
    [{ FRONTEND_URL: 'not a url' }, 'FRONTEND_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ TRUST_PROXY: 'not-an-ip' }, 'TRUST_PROXY'],
    [{ METRICS_INTERVAL_S: 'often' }, 'METRICS_INTERVAL_S'],
    [{ SLOW_QUERY_MS: 'slow' }, 'SLOW_QUERY_MS'],
    [{ SHUTDOWN_DELAY_S: 'soon' }, 'SHUTDOWN_DELAY_S'],
    [{ SHUTDOWN_TIMEOUT_S: '-3' }, 'SHUTDOWN_TIMEOUT_S'],
    [{ MAX_CONNECTIONS: 'many' }, 'MAX_CONNECTIONS'],
    [{ MAX_CONNECTIONS: '0' }, 'MAX_CONNECTIONS'],
  ];
  for (const [env, variable] of cases) {
    it(`${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`, async () => {
      await expectConfigError(env, variable);
    });
  }
});

describe('production refuses weak settings', () => {
  it('APP_ENV=production without JWT_SECRET → 2 naming JWT_SECRET', async () => {
    await expectConfigError({ APP_ENV: 'production', FRONTEND_URL: 'https://rural24.example' }, 'JWT_SECRET');
  });

  it('APP_ENV=production with a 16-byte JWT_SECRET → 2 naming JWT_SECRET', async () => {
    await expectConfigError({ APP_ENV: 'production', JWT_SECRET: '0123456789abcdef', FRONTEND_URL: 'https://rural24.example' }, 'JWT_SECRET');
  });

  it('APP_ENV=production with a 31-byte JWT_SECRET → 2 naming JWT_SECRET', async () => {
    await expectConfigError({ APP_ENV: 'production', JWT_SECRET: 's'.repeat(31), FRONTEND_URL: 'https://rural24.example' }, 'JWT_SECRET');
  });

  it('APP_ENV=production with a good JWT_SECRET but no FRONTEND_URL → 2 naming FRONTEND_URL', async () => {
    await expectConfigError({ APP_ENV: 'production', JWT_SECRET: GOOD_SECRET }, 'FRONTEND_URL');
  });

  it('APP_ENV=production with a good JWT_SECRET and FRONTEND_URL starts and serves', async (t) => {
    const srv = await startServerFor(t, { env: { APP_ENV: 'production', JWT_SECRET: GOOD_SECRET, FRONTEND_URL: 'https://rural24.example' } });
    const res = await request(srv.port, { path: '/api/health' });
    assert.equal(res.status, 200);
    assert.ok(!srv.stdout().includes(GOOD_SECRET), 'the secret is not logged');
  });

  it('a short JWT_SECRET is fine outside production', async (t) => {
    const srv = await startServerFor(t, { env: { APP_ENV: 'development', JWT_SECRET: '0123456789abcdef' } });
    assert.equal((await request(srv.port, { path: '/api/health' })).status, 200);
  });
});

describe('REDIS_ENABLED=false is the rollback switch', () => {
  const warnings = (srv) =>
    srv.logs().filter((l) => /^warn/i.test(String(l.level)) && JSON.stringify(l).includes('REDIS_ENABLED'));

  it('with CACHE_TYPE=redis the server starts and logs one warning naming REDIS_ENABLED', async (t) => {
    const srv = await startServerFor(t, { env: { REDIS_ENABLED: 'false', CACHE_TYPE: 'redis' } });
    assert.equal((await request(srv.port, { path: '/api/health' })).status, 200);
    const ready = await request(srv.port, { path: '/api/ready' });
    assert.equal(ready.status, 200, 'no Redis needed');
    const w = warnings(srv);
    assert.equal(w.length, 1, `one warning line; got ${JSON.stringify(w)}`);
  });

  it('with every store set to redis there is still one warning line', async (t) => {
    const srv = await startServerFor(t, {
      env: { REDIS_ENABLED: 'false', CACHE_TYPE: 'redis', RATE_LIMIT_STORE: 'redis', SESSION_STORE: 'redis' },
    });
    assert.equal((await request(srv.port, { path: '/api/health' })).status, 200);
    const w = warnings(srv);
    assert.equal(w.length, 1, `one warning line; got ${JSON.stringify(w)}`);
  });

  it('no warning when nothing asks for Redis', async (t) => {
    const srv = await startServerFor(t);
    assert.equal(warnings(srv).length, 0);
  });
});

describe('command line', () => {
  it('--version prints the version and exits 0', async () => {
    const r = await runProcess({}, ['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\d+\.\d+\.\d+/);
    assertNoSanitizerReport(r.stderr);
  });

  it('--help lists serve and exits 0', async () => {
    const r = await runProcess({}, ['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\bserve\b/);
    assert.match(r.stdout, /--version/);
    assertNoSanitizerReport(r.stderr);
  });

  it('an unknown command exits 2 and says so on stderr', async () => {
    const r = await runProcess({}, ['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /frobnicate/);
    assertNoSanitizerReport(r.stderr);
  });

  it('`serve` given explicitly starts the server', async (t) => {
    const srv = await startServerFor(t, { args: ['serve'] });
    const res = await request(srv.port, { path: '/api/health' });
    assert.equal(res.status, 200);
    assert.equal(json(res).status, 'ok');
  });

  it('a port already in use is a clean failure, not a crash', async (t) => {
    const srv = await startServerFor(t);
    const r = await runProcess({ PORT: String(srv.port) }, [], { timeoutMs: 8000 });
    assert.equal(r.timedOut, false);
    assert.notEqual(r.code, 0);
    assertNoSanitizerReport(r.stderr);
    assert.equal((await request(srv.port, { path: '/api/health' })).status, 200, 'the first server is unaffected');
  });
});
