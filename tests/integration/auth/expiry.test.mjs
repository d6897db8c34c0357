// Access tokens expire after ACCESS_TOKEN_TTL_S (API.md "Auth and sessions"):
// with a TTL of 1 s, expires_in says 1, the token works at first and is then
// refused with 401 token_expired (the server allows a small clock skew, so
// this polls up to a bounded deadline), while the refresh token still gets a
// new pair.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit, sleep } from '../lib/server.mjs';
import { AuthClient, decodeJwt, expectError, expectJson, startAuthServer } from '../lib/auth.mjs';

// The issue allows "a small clock skew" on expiry; a minute bounds it.
const SKEW_BOUND_MS = 60000;

describe('ACCESS_TOKEN_TTL_S=1', () => {
  it('an access token is refused with 401 token_expired once it expires; refresh still works', async (t) => {
    const databaseUrl = await freshDatabase('auth_expiry');
    const srv = await startAuthServer({ store: 'db', databaseUrl, extra: { ACCESS_TOKEN_TTL_S: '1' } });
    t.after(async () => assertCleanExit(await srv.stop()));
    const c = new AuthClient(srv.port);
    const u = await c.newUser({}, 'expiry');
    const issuedAt = Date.now();
    assert.equal(u.body.expires_in, 1);
    const { payload } = decodeJwt(u.access);
    assert.equal(payload.exp - payload.iat, 1);
    expectJson(await c.me(u.access), 200, 'fresh token');

    let res;
    for (;;) {
      res = await c.me(u.access);
      if (res.status !== 200) break;
      assert.ok(Date.now() - issuedAt < 1000 + SKEW_BOUND_MS, 'the token never expired');
      await sleep(250);
    }
    expectError(res, 401, 'token_expired', 'expired access token');
    assert.ok(Date.now() - issuedAt >= 900, `refused only after its lifetime (${Date.now() - issuedAt} ms)`);

    const p = expectJson(await c.refresh(u.refresh), 200, 'refresh after the access token expired');
    assert.equal(p.expires_in, 1);
    expectJson(await c.me(p.access_token), 200, 'the new access token');
  });
});
