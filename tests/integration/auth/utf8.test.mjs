// bytes a client controls that are not valid UTF-8 reach PostgreSQL as
// text parameters and fail the query, so the request answers 5xx instead of
// what API.md promises.
//
//  1. A User-Agent with a non-UTF-8 byte (obs-text, legal in HTTP) makes
//     session creation fail: register answers 5xx although the account was
//     created (a retry is then 409 email_taken), and login answers 5xx.
//  2. A login with a malformed email longer than 254 bytes is cut at byte 254
//     (src/api/auth.c handle_login), which can split a UTF-8 character; the
//     users query then fails and login answers 5xx instead of
//     401 invalid_credentials.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AuthClient, startAuthServer, uniqueEmail } from '../lib/auth.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit, json } from '../lib/server.mjs';

for (const store of ['db', 'stateless']) {
  describe(`non-UTF-8 input with SESSION_STORE=${store}`, () => {
    let srv;
    before(async () => {
      const databaseUrl = await freshDatabase(`utf8_${store}`);
      srv = await startAuthServer({ store, databaseUrl });
    });
    after(async () => {
      if (srv) assertCleanExit(await srv.stop());
    });

    it('register and login succeed with a Latin-1 User-Agent', async () => {
      // buildRequest writes the head as latin1: "\u00e9" goes out as byte 0xE9.
      const client = new AuthClient(srv.port, { ua: 'Campo/1.0 (Andr\u00e9s)' });
      const email = uniqueEmail('latin1ua');
      const reg = await client.register({ email, password: 'tractor-john-deere', name: 'Andrés' });
      assert.equal(reg.status, 201, `register: ${reg.status} ${reg.body}`);
      const login = await client.login(email, 'tractor-john-deere');
      assert.equal(login.status, 200, `login: ${login.status} ${login.body}`);
    });

    it('a malformed email cut inside a UTF-8 character is still 401 invalid_credentials', async () => {
      const client = new AuthClient(srv.port);
      // 253 ASCII bytes, then "é" (2 bytes): byte 254 is the first half of it.
      const email = `${'a'.repeat(253)}\u00e9@x`;
      const res = await client.login(email, 'whatever-password');
      assert.equal(res.status, 401, `login: ${res.status} ${res.body}`);
      assert.equal(json(res).error.code, 'invalid_credentials');
    });
  });
}
