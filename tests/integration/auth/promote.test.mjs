// `rural24 user promote EMAIL` (issue 5; DESIGN.md "Command line"): the only
// way to make an admin. The user's role becomes admin, as GET /api/me and a
// new login show; an unknown email exits non-zero with a clear message.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase, rural24 } from '../lib/pg.mjs';
import { assertCleanExit, assertNoSanitizerReport } from '../lib/server.mjs';
import { AuthClient, expectJson, startAuthServer, uniqueEmail } from '../lib/auth.mjs';

/** Runs `rural24 user ...`; a command still running after 20 s is killed by
 *  its PID and fails the test as a hang (it has one UPDATE to do). */
async function user(databaseUrl, args) {
  const started = Date.now();
  const r = await rural24(databaseUrl, ['user', ...args], {}, { timeoutMs: 20000 });
  assert.equal(r.signal, null, `rural24 user ${args.join(' ')} did not exit by itself (killed after ${Date.now() - started} ms); stdout ${JSON.stringify(r.stdout)} stderr ${JSON.stringify(r.stderr)}`);
  assertNoSanitizerReport(r.stderr, `rural24 user ${args.join(' ')}`);
  return r;
}

describe('rural24 user promote EMAIL', () => {
  let databaseUrl;
  let srv;
  let c;
  before(async () => {
    databaseUrl = await freshDatabase('auth_promote');
    srv = await startAuthServer({ store: 'db', databaseUrl });
    c = new AuthClient(srv.port);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('makes the user an admin: GET /api/me and the next login say role "admin"', async () => {
    const u = await c.newUser({}, 'promote');
    const bystander = await c.newUser({}, 'notpromoted');
    assert.equal(u.user.role, 'user');
    const r = await user(databaseUrl, ['promote', u.email]);
    assert.equal(r.code, 0, `exit status; stdout ${r.stdout} stderr ${r.stderr}`);
    assert.equal(expectJson(await c.me(u.access), 200).role, 'admin', 'GET /api/me with the token from before');
    assert.equal(expectJson(await c.login(u.email, u.password), 200).user.role, 'admin', 'a new login');
    assert.equal(expectJson(await c.me(bystander.access), 200).role, 'user', 'nobody else');
  });

  it('finds the user whatever the case of the email given', async () => {
    const u = await c.newUser({}, 'promotecase');
    const r = await user(databaseUrl, ['promote', u.email.toUpperCase()]);
    assert.equal(r.code, 0, `exit status; stdout ${r.stdout} stderr ${r.stderr}`);
    assert.equal(expectJson(await c.me(u.access), 200).role, 'admin');
  });

  it('an unknown email exits non-zero with a clear message naming it', async () => {
    const email = uniqueEmail('ghost');
    const r = await user(databaseUrl, ['promote', email]);
    assert.notEqual(r.code, 0, 'non-zero exit status');
    const out = r.stderr + r.stdout;
    assert.ok(out.includes(email), `the message names the email: ${JSON.stringify(out)}`);
    assert.match(out, /not found|no (such )?user|unknown|does not exist/i, `a clear message: ${JSON.stringify(out)}`);
  });

  it('without an email it exits non-zero with a usage line', async () => {
    const r = await user(databaseUrl, ['promote']);
    assert.notEqual(r.code, 0, `exit status; ${r.stderr}`);
    assert.match(r.stderr + r.stdout, /promote/i);
  });
});
