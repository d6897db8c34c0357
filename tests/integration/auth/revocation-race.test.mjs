// Redis session mode: a revocation leaves a tombstone in the session's key,
// so a per-request check that read the table just before the revocation and
// writes the key back just after cannot bring the session back to life (the
// write-back uses NX). The race itself cannot be ordered from outside; what
// is checked here is its precondition and outcome: after a revocation the key
// says "0", a late "live" write-back with NX is refused by it, and the access
// token stays refused on every later request.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AuthClient, expectError, expectJson, startAuthServer, uniqueEmail } from '../lib/auth.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import { command, startRedis } from '../lib/redis.mjs';
import { assertCleanExit } from '../lib/server.mjs';

describe('redis sessions: revocation leaves a tombstone', () => {
  let redis;
  let server;
  let client;

  before(async () => {
    redis = await startRedis();
    const databaseUrl = await freshDatabase('tombstone');
    server = await startAuthServer({ store: 'redis', databaseUrl, redisUrl: `redis://127.0.0.1:${redis.port}` });
    client = new AuthClient(server.port);
  });

  after(async () => {
    if (server) assertCleanExit(await server.stop());
    if (redis) await redis.stop();
  });

  it('a session whose key was lost, then revoked, stays revoked', async () => {
    const email = uniqueEmail('tomb');
    const reg = expectJson(await client.register({ email, password: 'secreto123', name: 'Tomás' }), 201);
    const sid = JSON.parse(Buffer.from(reg.access_token.split('.')[1], 'base64url')).sid;
    const key = `rural24:session:${sid}`;
    assert.equal(String(await command(redis.port, 'GET', key)), String(reg.user.id), 'the live key holds the user id');

    // Redis loses its keys; the next check asks the table and writes it back.
    await command(redis.port, 'FLUSHALL');
    expectJson(await client.call('GET', '/api/me', { token: reg.access_token }), 200);
    // The write-back is not awaited by the answer: poll for it (bounded).
    let back = null;
    for (let i = 0; i < 100 && back !== String(reg.user.id); i++) {
      back = String(await command(redis.port, 'GET', key));
      if (back !== String(reg.user.id)) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(back, String(reg.user.id), 'written back');

    assert.equal((await client.call('POST', '/api/auth/logout', { token: reg.access_token, body: {} })).status, 204);
    assert.equal(String(await command(redis.port, 'GET', key)), '0', 'the revocation wrote a tombstone');
    const ttl = Number(await command(redis.port, 'PTTL', key));
    assert.ok(ttl > 3600 * 1000, `the tombstone lives as long as a session can (pttl ${ttl})`);

    // What a check that raced the revocation would write: refused by NX.
    assert.equal(await command(redis.port, 'SET', key, String(reg.user.id), 'PX', '60000', 'NX'), null);
    for (let i = 0; i < 3; i++) {
      expectError(await client.call('GET', '/api/me', { token: reg.access_token }), 401, 'token_revoked');
    }
  });
});
