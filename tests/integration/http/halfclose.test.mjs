// a client that pipelines requests and then half-closes its side
// (shutdown(SHUT_WR), as `printf ... | nc` or any HTTP/1.1 client that is done
// sending does) must still get an answer to every request it sent.
//
// src/http/server.c on_read(): an EOF that arrives while a request is being
// handled asynchronously sets close_after_write, so the first answer goes out
// with Connection: close and the requests already received and waiting in
// pending_in are dropped without an answer.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startAuthServer } from '../lib/auth.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import { RawClient, assertCleanExit, buildRequest, parseResponses } from '../lib/server.mjs';

describe('pipelining then half-close', () => {
  let srv;
  before(async () => {
    const databaseUrl = await freshDatabase('halfclose');
    srv = await startAuthServer({ store: 'stateless', databaseUrl });
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('answers every pipelined request although the client half-closed', async () => {
    const body = JSON.stringify({ email: 'nobody@campo.example.com', password: 'wrong-password' });
    const bytes = Buffer.concat([
      // Asynchronous: a database query and a password hash on the thread pool.
      buildRequest({ method: 'POST', path: '/api/auth/login', headers: { 'Content-Type': 'application/json' }, body }),
      buildRequest({ path: '/api/health' }),
    ]);
    const c = await RawClient.connect(srv.port);
    await c.write(bytes);
    c.socket.end(); // half-close: nothing more to send, still reading
    try {
      await c.waitFor(() => c.closed, { timeoutMs: 5000, what: 'the server to close' });
    } catch {
      /* counted below */
    }
    const responses = parseResponses(c.data, { eof: true }).filter((r) => !r.informational);
    c.destroy();
    assert.equal(responses.length, 2,
      `both requests answered; got ${responses.map((r) => r.status).join(', ') || 'none'}`);
    assert.equal(responses[0].status, 401);
    assert.equal(responses[1].status, 200);
  });
});
