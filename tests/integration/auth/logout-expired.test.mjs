// Logout with an access token that has just expired still ends the session
// when the body carries its refresh token (the route's authentication is
// soft); with the expired token alone it is 401 token_expired.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AuthClient, accessClaims, expectError, expectJson, forgeJwt, startAuthServer, uniqueEmail } from '../lib/auth.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';

describe('logout with an expired access token', () => {
  let server;
  let client;

  before(async () => {
    const databaseUrl = await freshDatabase('logout_expired');
    server = await startAuthServer({ store: 'db', databaseUrl });
    client = new AuthClient(server.port);
  });

  after(async () => {
    if (server) assertCleanExit(await server.stop());
  });

  it('ends the session of the refresh token in the body', async () => {
    const reg = expectJson(await client.register({ email: uniqueEmail('lx'), password: 'secreto123', name: 'Lía' }), 201);
    const claims = JSON.parse(Buffer.from(reg.access_token.split('.')[1], 'base64url'));
    const now = Math.floor(Date.now() / 1000);
    const expired = forgeJwt(accessClaims({ sub: claims.sub, sid: claims.sid, iat: now - 3600, exp: now - 600 }));
    expectError(await client.call('GET', '/api/me', { token: expired }), 401, 'token_expired');

    expectError(await client.call('POST', '/api/auth/logout', { token: expired, body: {} }), 401, 'token_expired');

    const res = await client.call('POST', '/api/auth/logout', { token: expired, body: { refresh_token: reg.refresh_token } });
    assert.equal(res.status, 204);
    expectError(await client.call('GET', '/api/me', { token: reg.access_token }), 401, 'token_revoked');
    expectError(await client.call('POST', '/api/auth/refresh', { body: { refresh_token: reg.refresh_token } }), 401, 'token_revoked');
  });
});
