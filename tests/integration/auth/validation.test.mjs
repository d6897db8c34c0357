// Registration validation (API.md "Auth and sessions" and "Conventions"):
// every field of POST /api/auth/register at and past its limits, each refusal
// a 400 validation_failed whose `fields` names the field; a body that is not
// JSON is 400 invalid_json, a JSON body without Content-Type application/json
// is 415; strings with a NUL or invalid UTF-8 are 400 validation_failed.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';
import {
  AuthClient,
  PROVINCES,
  assertUser,
  expectError,
  expectJson,
  startAuthServer,
  uniqueEmail,
} from '../lib/auth.mjs';

/** An email of exactly n characters (n >= 30): a local part of at most 64
 *  characters and domain labels of at most 63, so only the length is wrong. */
function emailOfLength(n) {
  const local = `v${process.pid}x${Date.now().toString(36)}`.slice(0, 20);
  let domain = 'example.com';
  let need = n - local.length - 1 - domain.length;
  const labels = [];
  while (need > 0) {
    const len = Math.min(63, need - 1);
    if (len < 1) {
      // One character left: lengthen the previous label instead.
      labels[labels.length - 1] += 'q';
      need -= 1;
      break;
    }
    labels.push('d'.repeat(len));
    need -= len + 1;
  }
  domain = [...labels, domain].join('.');
  const email = `${local}@${domain}`;
  assert.equal(email.length, n);
  return email;
}

describe('POST /api/auth/register validation', () => {
  let srv;
  let c;
  before(async () => {
    const databaseUrl = await freshDatabase('auth_validation');
    srv = await startAuthServer({ store: 'stateless', databaseUrl });
    c = new AuthClient(srv.port);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  const valid = (over = {}) => ({ email: uniqueEmail('valid'), password: 'alambrado-123', name: 'Rosa Benítez', ...over });

  /** Expects 400 validation_failed naming exactly `fields`. */
  async function refused(body, fields, what) {
    const res = await c.register(body);
    const err = expectError(res, 400, 'validation_failed', what);
    assert.ok(err.error.fields && typeof err.error.fields === 'object', `${what}: "fields" in ${res.body}`);
    assert.deepEqual(Object.keys(err.error.fields).sort(), [...fields].sort(), `${what}: fields named`);
    for (const f of fields) assert.ok(typeof err.error.fields[f] === 'string' && err.error.fields[f].length > 0, `${what}: fields.${f} is a code`);
    return err;
  }

  async function accepted(body, what) {
    const res = await c.register(body);
    const b = expectJson(res, 201, what);
    assertUser(b.user, what);
    return b;
  }

  it('email: missing, malformed or not a string', async () => {
    const { email, ...noEmail } = valid();
    assert.ok(email);
    await refused(noEmail, ['email'], 'no email');
    for (const bad of ['', 'juan', 'juan@', '@campo.com', 'juan perez@campo.com', 'juan@@campo.com', 'juan@campo com', ' ']) {
      await refused(valid({ email: bad }), ['email'], `email ${JSON.stringify(bad)}`);
    }
    await refused(valid({ email: 12345 }), ['email'], 'email a number');
    await refused(valid({ email: null }), ['email'], 'email null');
  });

  it('email: 254 characters is accepted, 255 is refused', async () => {
    const ok = emailOfLength(254);
    const b = await accepted(valid({ email: ok.toUpperCase() }), '254-character email');
    assert.equal(b.user.email, ok.toLowerCase());
    await refused(valid({ email: emailOfLength(255) }), ['email'], '255-character email');
  });

  it('password: 8 to 128 characters', async () => {
    const { password, ...noPassword } = valid();
    assert.ok(password);
    await refused(noPassword, ['password'], 'no password');
    await refused(valid({ password: '' }), ['password'], 'empty password');
    await refused(valid({ password: '1234567' }), ['password'], '7 characters');
    await refused(valid({ password: 'p'.repeat(129) }), ['password'], '129 characters');
    await refused(valid({ password: 12345678 }), ['password'], 'password a number');
    await accepted(valid({ password: '12345678' }), '8 characters');
    await accepted(valid({ password: 'p'.repeat(128) }), '128 characters');
  });

  it('name: 1 to 100 characters after trimming', async () => {
    const { name, ...noName } = valid();
    assert.ok(name);
    await refused(noName, ['name'], 'no name');
    await refused(valid({ name: '' }), ['name'], 'empty name');
    await refused(valid({ name: '     ' }), ['name'], 'whitespace-only name');
    await refused(valid({ name: ' \t\n ' }), ['name'], 'tabs and newlines only');
    await refused(valid({ name: 'n'.repeat(101) }), ['name'], '101 characters');
    await refused(valid({ name: 'ñ'.repeat(101) }), ['name'], '101 two-byte characters');
    await refused(valid({ name: 42 }), ['name'], 'name a number');
    await accepted(valid({ name: 'N' }), 'one character');
    await accepted(valid({ name: 'n'.repeat(100) }), '100 characters');
    await accepted(valid({ name: 'ñ'.repeat(100) }), '100 characters of two bytes each (characters, not bytes)');
    await accepted(valid({ name: `   ${'n'.repeat(100)}   ` }), '100 characters once trimmed');
  });

  it('province: one of the 24, exactly as written (accents matter)', async () => {
    for (const bad of ['Cordoba', 'córdoba', 'CÓRDOBA', 'Narnia', 'Entre Rios', 'Tucuman', '']) {
      await refused(valid({ province: bad }), ['province'], `province ${JSON.stringify(bad)}`);
    }
    await refused(valid({ province: 5 }), ['province'], 'province a number');
    const b = await accepted(valid({ province: 'Córdoba' }), 'Córdoba');
    assert.equal(b.user.province, 'Córdoba');
    for (const province of ['Ciudad Autónoma de Buenos Aires', 'Neuquén', 'Tierra del Fuego']) {
      assert.equal((await accepted(valid({ province }), province)).user.province, province);
    }
    assert.equal(PROVINCES.length, 24);
  });

  it('phone: optional; given, it is stored', async () => {
    assert.equal((await accepted(valid(), 'no phone')).user.phone, null);
    assert.equal((await accepted(valid({ phone: '+54 9 2954 40-1234' }), 'a phone')).user.phone, '+54 9 2954 40-1234');
    // The contract gives no phone limit, but an absurd one must be a client
    // error, never a 500 from the database's own check.
    const res = await c.register(valid({ phone: '9'.repeat(500) }));
    assert.ok(res.status === 201 || res.status === 400, `a 500-digit phone: ${res.status} ${res.body}`);
    if (res.status === 400) expectError(res, 400, 'validation_failed', '500-digit phone');
  });

  it('several bad fields at once are all named', async () => {
    await refused({ email: 'nope', password: 'short', name: '' }, ['email', 'password', 'name'], 'three bad fields');
  });

  it('a refused registration stores nothing: the same email registers afterwards', async () => {
    const email = uniqueEmail('retry');
    await refused(valid({ email, password: 'short' }), ['password'], 'short password');
    await accepted(valid({ email }), 'the same email, now valid');
  });

  it('a body that is not JSON: 400 invalid_json', async () => {
    for (const raw of ['{"email":', 'email=a@b.com&password=12345678', '{"email":"a@b.com",}', "{'email':'a@b.com'}"]) {
      expectError(await c.call('POST', '/api/auth/register', { raw, contentType: 'application/json' }), 400, 'invalid_json', `body ${raw}`);
    }
    for (const raw of ['', '[]', '"text"', '42', 'null']) {
      const res = await c.call('POST', '/api/auth/register', { raw, contentType: 'application/json' });
      assert.equal(res.status, 400, `body ${JSON.stringify(raw)}: ${res.status} ${res.body}`);
      const code = expectError(res, 400, null, `body ${JSON.stringify(raw)}`).error.code;
      assert.ok(['invalid_json', 'validation_failed'].includes(code), `body ${JSON.stringify(raw)}: ${code}`);
    }
  });

  it('a JSON body without Content-Type application/json: 415; with a charset parameter it is fine', async () => {
    const raw = JSON.stringify(valid());
    expectError(await c.call('POST', '/api/auth/register', { raw }), 415, 'unsupported_media_type', 'no Content-Type');
    expectError(await c.call('POST', '/api/auth/register', { raw, contentType: 'text/plain' }), 415, 'unsupported_media_type', 'text/plain');
    expectError(await c.call('POST', '/api/auth/register', { raw, contentType: 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type', 'form');
    expectError(await c.call('POST', '/api/auth/login', { raw, contentType: 'text/plain' }), 415, 'unsupported_media_type', 'login text/plain');
    const ok = await c.call('POST', '/api/auth/register', { raw: JSON.stringify(valid()), contentType: 'application/json; charset=utf-8' });
    expectJson(ok, 201, 'application/json; charset=utf-8');
  });

  it('a string with a NUL character: 400 validation_failed', async () => {
    for (const [field, value] of [['name', 'Ju\u0000an'], ['password', 'abcd\u0000efgh'], ['email', `a\u0000${uniqueEmail('nul')}`], ['phone', '11\u000022']]) {
      const res = await c.register(valid({ [field]: value }));
      expectError(res, 400, 'validation_failed', `NUL in ${field}`);
    }
  });

  it('a string with invalid UTF-8: 400 validation_failed', async () => {
    const sequences = {
      'a lone 0xFF': [0xff],
      'a truncated two-byte sequence': [0xc3, 0x28],
      'an overlong "/"': [0xc0, 0xaf],
      'an encoded surrogate': [0xed, 0xa0, 0x80],
      'a code point past U+10FFFF': [0xf4, 0x90, 0x80, 0x80],
    };
    for (const [what, bytes] of Object.entries(sequences)) {
      const body = Buffer.concat([
        Buffer.from(`{"email":"${uniqueEmail('utf8')}","password":"alambrado-123","name":"Ju`),
        Buffer.from(bytes),
        Buffer.from('an"}'),
      ]);
      const res = await c.call('POST', '/api/auth/register', { raw: body, contentType: 'application/json' });
      expectError(res, 400, 'validation_failed', `invalid UTF-8: ${what}`);
    }
  });
});
