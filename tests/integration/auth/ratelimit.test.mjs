// The auth rate limits with their defaults (API.md "Conventions" and "Auth and
// sessions"; docs/AUTH.md): RATE_LIMIT_AUTH_IP 10/60 s per client address on
// login and register; failed logins only, per email and address
// (RATE_LIMIT_AUTH_EMAIL 5/900 s, cleared by a success from that address) and
// per email from every address (RATE_LIMIT_AUTH_EMAIL_ALL 100/3600 s);
// registrations per email (RATE_LIMIT_AUTH_EMAIL). Client addresses come from
// X-Forwarded-For through TRUST_PROXY=1. A refusal is 429 rate_limited with
// Retry-After and RateLimit-* headers, Remaining 0.
//
// Each test uses its own client addresses and emails, so one server serves
// them all in any order. The suite runs with the memory limiter on one
// instance and with the Redis limiter on two instances sharing one Redis
// (attempts alternate between them, so a limit holds across instances).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase } from '../lib/pg.mjs';
import { startRedis } from '../lib/redis.mjs';
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

for (const limiter of ['memory', 'redis']) {
describe(`auth rate limits, ${limiter} limiter`, () => {
  const servers = [];
  let redis;
  let turn = 0;
  /** The port of the next instance, in turn. */
  const port = () => servers[turn++ % servers.length].port;
  /** A client at `address`, on the next instance. */
  const client = (address) => new AuthClient(port(), { forwardedFor: address });
  let prefix;

  before(async () => {
    const databaseUrl = await freshDatabase(`auth_ratelimit_${limiter}`);
    const extra = { TRUST_PROXY: '1' };
    if (limiter === 'redis') {
      redis = await startRedis();
      Object.assign(extra, { REDIS_ENABLED: 'true', REDIS_URL: redis.url, RATE_LIMIT_STORE: 'redis' });
    }
    const env = authEnv({ store: 'stateless', databaseUrl, extra });
    delete env.RATE_LIMIT_AUTH_IP;
    delete env.RATE_LIMIT_AUTH_EMAIL;
    delete env.RATE_LIMIT_AUTH_EMAIL_ALL;
    for (let i = 0; i < (limiter === 'redis' ? 2 : 1); i++) {
      const srv = await startServer({ env });
      servers.push(srv);
      await waitReady(srv);
    }
    // Addresses differ between the two runs (one Node process, one clock).
    prefix = limiter === 'redis' ? '10.77' : '10.66';
  });
  after(async () => {
    for (const srv of servers) assertCleanExit(await srv.stop());
    if (redis) await redis.stop();
  });

  it('the 11th login from one IP within a minute: 429 rate_limited with Retry-After and RateLimit headers', async () => {
    const address = `${prefix}.1.10`;
    for (let i = 1; i <= 10; i++) {
      const res = await client(address).login(uniqueEmail(`ip${i}`), 'cualquier-clave');
      expectError(res, 401, 'invalid_credentials', `login ${i} of 10`);
      const rl = rateLimitHeaders(res, `login ${i}`);
      assert.ok(rl.limit >= 1 && rl.remaining < rl.limit, `login ${i}: ${JSON.stringify(rl)}`);
    }
    const retry = expect429(await client(address).login(uniqueEmail('ip11'), 'cualquier-clave'), 10, '11th login from one IP');
    assert.ok(retry <= 60, `Retry-After within the minute: ${retry}`);
    // Another address is not limited.
    expectError(await client(`${prefix}.1.11`).login(uniqueEmail('ipother'), 'cualquier-clave'), 401, 'invalid_credentials', 'another IP');
  });

  it('the lockout attempt fails: wrong passwords from four addresses do not lock the owner out', async () => {
    const u = await client(`${prefix}.2.1`).newUser({}, 'rightpw');
    for (let i = 1; i <= 4; i++) {
      expectError(await client(`${prefix}.2.${10 + i}`).login(u.email, 'mala-clave'), 401, 'invalid_credentials', `attacker ${i}`);
    }
    const body = expectJson(await client(`${prefix}.2.1`).login(u.email, u.password), 200, 'the owner logs in with the right password');
    assert.equal(body.user.email, u.email);
  });

  it('five failures from one address: the sixth attempt from it is 429 even with the right password; the owner elsewhere is not', async () => {
    const u = await client(`${prefix}.3.1`).newUser({}, 'rightpw');
    const attacker = `${prefix}.3.66`;
    for (let i = 1; i <= 5; i++) {
      const res = await client(attacker).login(u.email, `mala-clave-${i}`);
      expectError(res, 401, 'invalid_credentials', `failure ${i} of 5`);
      const rl = rateLimitHeaders(res, `failure ${i}`);
      assert.equal(rl.limit, 5, `failure ${i}: the per-email-and-address limit's headers`);
      assert.equal(rl.remaining, 5 - i, `failure ${i}: failures left after this one`);
    }
    expect429(await client(attacker).login(u.email, u.password), 5, 'the sixth attempt from the attacker, right password');
    expectJson(await client(`${prefix}.3.1`).login(u.email, u.password), 200, 'the owner from their own address');
    expectJson(await client(`${prefix}.3.2`).login(u.email, u.password), 200, 'the owner from a new address');
    // The attacker's address may still try another email.
    expectError(await client(attacker).login(uniqueEmail('other'), 'mala-clave'), 401, 'invalid_credentials', 'another email from the attacker');
  });

  it('a successful login clears that address\'s failures', async () => {
    const u = await client(`${prefix}.4.1`).newUser({}, 'rightpw');
    const owner = `${prefix}.4.2`;
    // Three typos, the right password, five typos and one more: ten attempts,
    // within the address's auth_ip limit of 10 a minute. Without the clearing
    // the third typo after the success would be the sixth failure.
    for (let i = 1; i <= 3; i++) {
      expectError(await client(owner).login(u.email, 'typo-clave'), 401, 'invalid_credentials', `typo ${i}`);
    }
    expectJson(await client(owner).login(u.email, u.password), 200, 'the right password at last');
    // Five more failures pass as 401 (the count started again), the sixth is 429.
    for (let i = 1; i <= 5; i++) {
      expectError(await client(owner).login(u.email, 'typo-clave'), 401, 'invalid_credentials', `typo after success ${i}`);
    }
    expect429(await client(owner).login(u.email, 'typo-clave'), 5, 'the sixth failure in a row');
  });

  it('the per-email limit does not depend on the case of the email', async () => {
    const email = uniqueEmail('emailcase');
    const variants = [email, email.toUpperCase(), email, email.replace(/^e/, 'E'), email.toUpperCase()];
    const address = `${prefix}.5.1`;
    for (let i = 0; i < 5; i++) {
      expectError(await client(address).login(variants[i], 'mala-clave'), 401, 'invalid_credentials', `attempt ${i + 1} (${variants[i]})`);
    }
    expect429(await client(address).login(email.toUpperCase(), 'mala-clave'), 5, '6th attempt, in upper case');
  });

  it('registrations count per email: the 6th attempt for one email, from six addresses, is 429', async () => {
    const email = uniqueEmail('regemail');
    const fields = { email, password: 'alambrado-123', name: 'Registro' };
    expectJson(await client(`${prefix}.6.1`).register(fields), 201, 'the first registration');
    for (let i = 2; i <= 5; i++) {
      expectError(await client(`${prefix}.6.${i}`).register(fields), 409, 'email_taken', `registration ${i}`);
    }
    expect429(await client(`${prefix}.6.6`).register(fields), 5, 'the 6th registration for one email');
    // Registering does not count against logging in.
    const res = await client(`${prefix}.6.7`).login(email, 'alambrado-123');
    expectJson(res, 200, 'the owner logs in');
  });

  it('register counts against the per-IP limit too', async () => {
    const address = `${prefix}.7.77`;
    for (let i = 1; i <= 10; i++) {
      const res = await client(address).register({ email: uniqueEmail(`reg${i}`), password: 'alambrado-123', name: 'Límite' });
      expectJson(res, 201, `register ${i} of 10`);
      rateLimitHeaders(res, `register ${i}`);
    }
    const res = await client(address).register({ email: uniqueEmail('reg11'), password: 'alambrado-123', name: 'Límite' });
    expect429(res, 10, '11th register from one IP');
  });
});
}

describe('the per-email ceiling across addresses (RATE_LIMIT_AUTH_EMAIL_ALL)', () => {
  let srv;
  before(async () => {
    const databaseUrl = await freshDatabase('auth_ratelimit_ceiling');
    const env = authEnv({ store: 'stateless', databaseUrl, extra: { TRUST_PROXY: '1', RATE_LIMIT_AUTH_EMAIL_ALL: '8/3600' } });
    delete env.RATE_LIMIT_AUTH_EMAIL;
    srv = await startServer({ env });
    await waitReady(srv);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('failures from many addresses add up to the ceiling; then every address is refused for that email only', async () => {
    const setup = new AuthClient(srv.port, { forwardedFor: '10.88.0.1' });
    const u = await setup.newUser({}, 'rightpw');
    // Two failures from each of four addresses: 8, each address far from its own 5.
    for (let a = 1; a <= 4; a++) {
      for (let i = 1; i <= 2; i++) {
        const c = new AuthClient(srv.port, { forwardedFor: `10.88.1.${a}` });
        expectError(await c.login(u.email, 'mala-clave'), 401, 'invalid_credentials', `address ${a}, failure ${i}`);
      }
    }
    const fresh = new AuthClient(srv.port, { forwardedFor: '10.88.2.1' });
    expect429(await fresh.login(u.email, u.password), 8, 'a ninth attempt from a fresh address');
    expectError(await fresh.login(uniqueEmail('ceilingother'), 'mala-clave'), 401, 'invalid_credentials', 'another email is not limited');
    // The owner's existing session is untouched.
    expectJson(await setup.me(u.access), 200, 'the existing session');
  });
});
