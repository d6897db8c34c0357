// POST /api/auth/password (docs/AUTH.md "Changing the password"): the
// current password is checked, the new one replaces it, every session of the
// user ends (their access and refresh tokens stop working) and the caller
// gets a new pair; wrong current passwords are counted per user and the
// fourth within the window is a 429 (RATE_LIMIT_AUTH_EMAIL=3/900 here); two
// changes racing with the same current password: one wins, the other is
// refused. With SESSION_STORE=stateless the change works and the old tokens
// run to their expiry (nothing can revoke them).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { expectError, expectJson, sessionStoreFixture, uniqueEmail } from '../lib/auth.mjs';
import { eventually } from '../lib/pg.mjs';
import { request } from '../lib/server.mjs';

const change = (c, token, body) => c.call('POST', '/api/auth/password', { token, body });
const login = (c, email, password) => c.call('POST', '/api/auth/login', { body: { email, password } });

for (const store of ['db', 'redis', 'stateless']) {
  describe(`POST /api/auth/password with SESSION_STORE=${store}`, () => {
    const fx = sessionStoreFixture(store, `password_${store}`, { RATE_LIMIT_AUTH_EMAIL: '3/900' });
    let srv;
    let c;
    before(() => {
      srv = fx.srv;
      c = fx.client;
    });

    async function newUser(tag) {
      const email = uniqueEmail(tag);
      const password = 'alfalfa-vieja-1';
      const reg = expectJson(await c.register({ email, password, name: 'Rosa Campos' }), 201);
      // A second device, logged in separately.
      const other = expectJson(await login(c, email, password), 200, 'second device');
      return { email, password, reg, other };
    }

    it('changes the password: the old one stops working, the new pair works', async () => {
      const u = await newUser('pwok');
      const res = await change(c, u.reg.access_token, { current_password: u.password, new_password: 'trigo-nuevo-2026' });
      const pair = expectJson(res, 200, 'change');
      assert.deepEqual(Object.keys(pair).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(expectJson(await c.call('GET', '/api/me', { token: pair.access_token }), 200).email, u.email);
      expectError(await login(c, u.email, u.password), 401, 'invalid_credentials', 'the old password');
      expectJson(await login(c, u.email, 'trigo-nuevo-2026'), 200, 'the new password');
      // The new refresh token rotates like any other.
      expectJson(await c.call('POST', '/api/auth/refresh', { body: { refresh_token: pair.refresh_token } }), 200, 'refresh');
    });

    if (store !== 'stateless') {
      it('ends every session of the user, this one and the other device', async () => {
        const u = await newUser('pwend');
        expectJson(await change(c, u.reg.access_token, { current_password: u.password, new_password: 'maiz-temprano-9' }), 200);
        for (const [what, tokens] of [['this device', u.reg], ['the other device', u.other]]) {
          expectError(await c.call('GET', '/api/me', { token: tokens.access_token }), 401, 'token_revoked', `${what}: access`);
          expectError(await c.call('POST', '/api/auth/refresh', { body: { refresh_token: tokens.refresh_token } }), 401, 'token_revoked', `${what}: refresh`);
        }
      });
    } else {
      it('issues a new pair; the old stateless tokens run to their expiry', async () => {
        const u = await newUser('pwstateless');
        const pair = expectJson(await change(c, u.reg.access_token, { current_password: u.password, new_password: 'maiz-temprano-9' }), 200);
        expectJson(await c.call('GET', '/api/me', { token: pair.access_token }), 200, 'the new token');
        expectJson(await c.call('GET', '/api/me', { token: u.other.access_token }), 200, 'the other device until its expiry');
      });
    }

    it('a wrong current password is a field error and changes nothing; the fourth is a 429', async () => {
      const u = await newUser('pwwrong');
      for (let i = 0; i < 3; i++) {
        const err = expectError(await change(c, u.reg.access_token, { current_password: `no-es-${i}`, new_password: 'girasol-alto-7' }), 400, 'validation_failed', `wrong ${i + 1}`);
        assert.deepEqual(err.error.fields, { current_password: 'incorrect' });
      }
      // Refused before the password is even checked: the right one too.
      const limited = await change(c, u.reg.access_token, { current_password: u.password, new_password: 'girasol-alto-7' });
      expectError(limited, 429, 'rate_limited', 'the fourth');
      assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After');
      expectJson(await login(c, u.email, u.password), 200, 'the password is unchanged');
      expectJson(await c.call('GET', '/api/me', { token: u.reg.access_token }), 200, 'the session lives on');
      // Another user is not affected by this user's count.
      const v = await newUser('pwother');
      expectJson(await change(c, v.reg.access_token, { current_password: v.password, new_password: 'girasol-alto-7' }), 200);
    });

    it('attempts racing each other: at most RATE_LIMIT_AUTH_EMAIL of them are checked; one set of RateLimit headers', async () => {
      const u = await newUser('pwrace8');
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => change(c, u.reg.access_token, { current_password: `no-es-${i}`, new_password: 'girasol-alto-7' })),
      );
      const statuses = answers.map((r) => r.status).sort();
      assert.ok(statuses.filter((x) => x === 400).length <= 3, `at most 3 checked: ${statuses}`);
      assert.deepEqual([...new Set(statuses)].filter((x) => x !== 400 && x !== 429), [], `only 400 and 429: ${statuses}`);
      for (const r of answers) {
        assert.doesNotMatch(String(r.headers['ratelimit-limit']), /,/, 'one RateLimit-Limit (the per-user count)');
        assert.equal(r.headers['ratelimit-limit'], '3');
      }
      // Still limited: the right password too is refused before its check.
      expectError(await change(c, u.reg.access_token, { current_password: u.password, new_password: 'girasol-alto-7' }), 429, 'rate_limited');
    });

    it('checks the body: both members, the new one 8 to 128 characters', async () => {
      const u = await newUser('pwbody');
      const t = u.reg.access_token;
      const fields = async (body) => expectError(await change(c, t, body), 400, 'validation_failed', JSON.stringify(body)).error.fields;
      assert.deepEqual(await fields({}), { current_password: 'required', new_password: 'required' });
      assert.deepEqual(await fields({ current_password: u.password, new_password: 'corta' }), { new_password: 'min_length' });
      assert.deepEqual(await fields({ current_password: u.password, new_password: 'x'.repeat(129) }), { new_password: 'max_length' });
      assert.deepEqual(await fields({ current_password: '', new_password: 'suficiente' }), { current_password: 'required' });
      assert.deepEqual(await fields({ current_password: 12, new_password: 'suficiente' }), { current_password: 'type' });
      expectError(await c.call('POST', '/api/auth/password', { token: t, raw: '{"current_password":', contentType: 'application/json' }), 400, 'invalid_json');
      expectError(await change(c, null, { current_password: u.password, new_password: 'suficiente' }), 401, 'unauthorized', 'no token');
      // Nothing above changed it.
      expectJson(await login(c, u.email, u.password), 200);
    });

    it('two changes racing with the same current password: one wins, the other is refused', async () => {
      const u = await newUser('pwrace');
      const [a, b] = await Promise.all([
        change(c, u.reg.access_token, { current_password: u.password, new_password: 'cebada-uno-111' }),
        change(c, u.other.access_token, { current_password: u.password, new_password: 'cebada-dos-222' }),
      ]);
      const statuses = [a.status, b.status];
      assert.equal(statuses.filter((s) => s === 200).length, 1, `exactly one change wins (${statuses})`);
      const loser = a.status === 200 ? b : a;
      assert.ok([400, 409, 401].includes(loser.status), `the other is refused (${loser.status} ${loser.body})`);
      const winner = a.status === 200 ? 'cebada-uno-111' : 'cebada-dos-222';
      const other = a.status === 200 ? 'cebada-dos-222' : 'cebada-uno-111';
      expectJson(await login(c, u.email, winner), 200, "the winner's password");
      expectError(await login(c, u.email, other), 401, 'invalid_credentials', "the loser's password");
    });

    it("no password of these changes reaches the server's output", async () => {
      // The log is written in batches: wait for the line of a later request.
      await c.call('GET', '/api/health', { headers: { 'X-Request-Id': `pw-marker-${store}` } });
      await srv.waitForLog((l) => l.msg === 'request' && l.request_id === `pw-marker-${store}`);
      const out = srv.stdout() + srv.stderr();
      for (const secret of ['alfalfa-vieja-1', 'trigo-nuevo-2026', 'maiz-temprano-9', 'girasol-alto-7', 'cebada-uno-111', 'cebada-dos-222', 'no-es-0']) {
        assert.ok(!out.includes(secret), `a password is in the output: ${secret}`);
      }
    });
  });
}

describe('POST /api/auth/password when the database does not answer the hash lookup', () => {
  // One connection, held by a slow statement of the test build: the lookup
  // waits 500 ms for it and fails; the answer is 503, and the server (under
  // ASan in `make test`) exits clean: the secrets are wiped before the answer
  // frees them.
  const fx = sessionStoreFixture('stateless', 'password_pool', { DB_POOL_SIZE: '1', DB_ACQUIRE_TIMEOUT_MS: '500' });

  it('answers 503 and nothing is left changed', async () => {
    const c = fx.client;
    const email = uniqueEmail('pwpool');
    const reg = expectJson(await c.register({ email, password: 'alfalfa-vieja-1', name: 'Rosa Campos' }), 201);
    const hold = request(fx.srv.port, { path: '/api/_test/db/sleep?ms=2500', timeoutMs: 10000 });
    await eventually(async () => (await c.call('GET', '/api/_test/db/stats')).body.toString().includes('"in_use":1'), { what: 'the connection held' });
    expectError(await change(c, reg.access_token, { current_password: 'alfalfa-vieja-1', new_password: 'trigo-nuevo-2026' }), 503, 'unavailable');
    assert.equal((await hold).status, 200);
    expectJson(await login(c, email, 'alfalfa-vieja-1'), 200, 'the old password still works');
  });
});
