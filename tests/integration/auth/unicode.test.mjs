// Names and emails that look alike (issue 9, docs/AUTH.md): against the real
// server, a name made only of Unicode spaces or carrying control characters
// or direction overrides is 400 validation_failed on register and on
// PATCH /api/me; a decomposed name is stored in NFC; an internationalised
// domain is stored in its ASCII form and logs in under either spelling; a
// local part with non-ASCII or full-width letters is refused.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';
import { AuthClient, expectError, expectJson, startAuthServer } from '../lib/auth.mjs';

describe('names and emails in Unicode', () => {
  let srv;
  let c;
  const tag = `${process.pid}${Date.now().toString(36)}`;
  before(async () => {
    const databaseUrl = await freshDatabase('auth_unicode');
    srv = await startAuthServer({ store: 'stateless', databaseUrl });
    c = new AuthClient(srv.port);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  const register = (email, name) => c.register({ email, password: 'alambrado-123', name });

  for (const [label, name] of [
    ['only U+00A0, U+3000 and U+200B', '\u00a0\u3000\u200b'],
    ['a right-to-left override', '\u202eanA'],
    ['a left-to-right isolate', 'Ana\u2066Paz'],
    ['a C0 control (BEL)', 'Ana\u0007'],
    ['a line feed', 'Ana\nPaz'],
    ['a C1 control (U+0085)', 'A\u0085na'],
  ]) {
    it(`register: a name with ${label} is 400 validation_failed on name`, async () => {
      const err = expectError(await register(`n${tag}${label.length}@campo.example.com`, name), 400, 'validation_failed', label).error;
      assert.ok(err.fields && err.fields.name, `fields names name: ${JSON.stringify(err.fields)}`);
    });
  }

  it('a name is trimmed of Unicode spaces and stored in NFC', async () => {
    const body = expectJson(await register(`nfc${tag}@campo.example.com`, '\u3000Jose\u0301 Pe\u0301rez\u00a0'), 201, 'register');
    assert.equal(body.user.name, 'Jos\u00e9 P\u00e9rez');
    const me = expectJson(await c.me(body.access_token), 200, 'me');
    assert.equal(me.name, 'Jos\u00e9 P\u00e9rez');
    // PATCH /api/me follows the same rules.
    const bad = expectError(await c.patchMe(body.access_token, { name: 'Mal\u202eo' }), 400, 'validation_failed', 'patch with RLO').error;
    assert.ok(bad.fields && bad.fields.name);
    const ok = expectJson(await c.patchMe(body.access_token, { name: '\u200bMari\u0301a\u200b' }), 200, 'patch');
    assert.equal(ok.name, 'Mar\u00eda');
  });

  it('an internationalised domain is stored as its ASCII form and logs in under either spelling', async () => {
    const local = `idn${tag}`;
    const body = expectJson(await register(`${local}@campo\u00f1and\u00fa.com.ar`, 'Ana'), 201, 'register');
    assert.equal(body.user.email, `${local}@xn--campoand-h3a7g.com.ar`);
    expectJson(await c.login(`${local}@CAMPO\u00d1AND\u00da.com.ar`, 'alambrado-123'), 200, 'login with the Unicode domain');
    expectJson(await c.login(`${local}@xn--campoand-h3a7g.com.ar`, 'alambrado-123'), 200, 'login with the ASCII domain');
    // The same address in the other spelling is the same account.
    expectError(await register(`${local}@xn--campoand-h3a7g.com.ar`, 'Ana'), 409, 'email_taken', 'register again');
  });

  for (const [label, email] of [
    ['an accented local part', `an\u00e1${tag}@example.com`],
    ['a full-width letter in the local part', `\uff41na${tag}@example.com`],
  ]) {
    it(`register: ${label} is 400 validation_failed on email`, async () => {
      const err = expectError(await register(email, 'Ana'), 400, 'validation_failed', label).error;
      assert.equal(err.fields?.email, 'invalid');
    });
  }

  it('a full-width domain never makes a second account that looks like the first', async () => {
    const local = `fw${tag}`;
    expectJson(await register(`${local}@example.com`, 'Ana'), 201, 'the ASCII account');
    const res = await register(`${local}@\uff45xample.com`, 'Ana');
    // Refused as invalid, or recognised as the same address: never a new account.
    assert.ok(res.status === 400 || res.status === 409, `got ${res.status}: ${res.body}`);
  });
});
