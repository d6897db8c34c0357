// The auth rate limits with their defaults (API.md "Conventions" and "Auth and
// sessions"; DESIGN.md: RATE_LIMIT_AUTH_IP 10/60 s, RATE_LIMIT_AUTH_EMAIL
// 5/900 s): the 11th login from one IP and the 6th attempt for one email
// (from as many IPs, through TRUST_PROXY=1 and X-Forwarded-For) answer 429
// rate_limited with Retry-After and RateLimit-* headers, Remaining 0.
//
// Each test uses its own client addresses and emails, so one server serves
// them all in any order.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';
import {
  AuthClient,
  authEnv,
  expectError,
  expectJson,
  rateLimitHeaders,
  uniqueEmail,
  waitReady,
} from '../lib/auth.mjs';
import { startServer } from '../lib/server.mjs';

describe('auth rate limits (defaults: 10/min per IP, 5 per 15 min per email)', () => {
  let srv;
  before(async () => {
    const databaseUrl = await freshDatabase('auth_ratelimit');
    const env = authEnv({ store: 'stateless', databaseUrl, extra: { TRUST_PROXY: '1' } });
    delete env.RATE_LIMIT_AUTH_IP;
    delete env.RATE_LIMIT_AUTH_EMAIL;
    srv = await startServer({ env });
    await waitReady(srv);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  /** Checks a 429 of API.md: rate_limited, Retry-After in whole seconds >= 1,
   *  RateLimit-* headers with Remaining 0. */
  function expect429(res, limit, what) {
    expectError(res, 429, 'rate_limited', what);
    const retry = res.headers['retry-after'];
    assert.match(retry ?? '', /^\d+$/, `${what}: Retry-After is whole seconds, got ${JSON.stringify(retry)}`);
    assert.ok(Number(retry) >= 1, `${what}: Retry-After >= 1, got ${retry}`);
    const rl = rateLimitHeaders(res, what);
    assert.equal(rl.remaining, 0, `${what}: RateLimit-Remaining is 0 on a 429`);
    assert.equal(rl.limit, limit, `${what}: RateLimit-Limit is the limit that refused`);
    assert.ok(rl.reset >= 1, `${what}: RateLimit-Reset >= 1, got ${rl.reset}`);
    return Number(retry);
  }

  it('the 11th login from one IP within a minute: 429 rate_limited with Retry-After and RateLimit headers', async () => {
    const c = new AuthClient(srv.port, { forwardedFor: '203.0.113.10' });
    for (let i = 1; i <= 10; i++) {
      const res = await c.login(uniqueEmail(`ip${i}`), 'cualquier-clave');
      expectError(res, 401, 'invalid_credentials', `login ${i} of 10`);
      const rl = rateLimitHeaders(res, `login ${i}`);
      assert.ok(rl.limit >= 1 && rl.remaining < rl.limit, `login ${i}: ${JSON.stringify(rl)}`);
    }
    const retry = expect429(await c.login(uniqueEmail('ip11'), 'cualquier-clave'), 10, '11th login from one IP');
    assert.ok(retry <= 60, `Retry-After within the minute: ${retry}`);
    // Another address is not limited.
    const other = new AuthClient(srv.port, { forwardedFor: '203.0.113.11' });
    expectError(await other.login(uniqueEmail('ipother'), 'cualquier-clave'), 401, 'invalid_credentials', 'another IP');
  });

  it('the 6th attempt for one email, from six IPs: 429', async () => {
    const email = uniqueEmail('emaillimit');
    for (let i = 1; i <= 5; i++) {
      const c = new AuthClient(srv.port, { forwardedFor: `198.51.100.${i}` });
      expectError(await c.login(email, `mala-clave-${i}`), 401, 'invalid_credentials', `attempt ${i} of 5`);
    }
    const sixth = new AuthClient(srv.port, { forwardedFor: '198.51.100.6' });
    expect429(await sixth.login(email, 'mala-clave-6'), 5, '6th attempt for one email');
    // That address may still try another email.
    expectError(await sixth.login(uniqueEmail('emailother'), 'mala-clave'), 401, 'invalid_credentials', 'another email from the 6th IP');
  });

  it('the per-email limit does not depend on the case of the email', async () => {
    const email = uniqueEmail('emailcase');
    const variants = [email, email.toUpperCase(), email, email.replace(/^e/, 'E'), email.toUpperCase()];
    for (let i = 0; i < 5; i++) {
      const c = new AuthClient(srv.port, { forwardedFor: `198.51.100.${20 + i}` });
      expectError(await c.login(variants[i], 'mala-clave'), 401, 'invalid_credentials', `attempt ${i + 1} (${variants[i]})`);
    }
    const sixth = new AuthClient(srv.port, { forwardedFor: '198.51.100.26' });
    expect429(await sixth.login(email.toUpperCase(), 'mala-clave'), 5, '6th attempt, in upper case');
  });

  it('a rate-limited login is refused even with the right password', async () => {
    const setup = new AuthClient(srv.port, { forwardedFor: '192.0.2.50' });
    const u = await setup.newUser({}, 'rightpw');
    // Wrong passwords from fresh addresses until the email is limited (the
    // registration may or may not have counted as an attempt).
    let limited = null;
    for (let i = 1; i <= 6 && !limited; i++) {
      const c = new AuthClient(srv.port, { forwardedFor: `192.0.2.${50 + i}` });
      const res = await c.login(u.email, 'mala-clave');
      if (res.status === 429) limited = res;
      else expectError(res, 401, 'invalid_credentials', `attempt ${i}`);
    }
    assert.ok(limited, 'the email is limited after at most 6 attempts');
    const c = new AuthClient(srv.port, { forwardedFor: '192.0.2.60' });
    expect429(await c.login(u.email, u.password), 5, 'the right password once limited');
    expectJson(await c.me(u.access), 200, 'the existing session is not affected');
  });

  it('register counts against the per-IP limit too', async () => {
    const c = new AuthClient(srv.port, { forwardedFor: '203.0.113.77' });
    for (let i = 1; i <= 10; i++) {
      const res = await c.register({ email: uniqueEmail(`reg${i}`), password: 'alambrado-123', name: 'Límite' });
      expectJson(res, 201, `register ${i} of 10`);
      rateLimitHeaders(res, `register ${i}`);
    }
    const res = await c.register({ email: uniqueEmail('reg11'), password: 'alambrado-123', name: 'Límite' });
    expect429(res, 10, '11th register from one IP');
  });
});
