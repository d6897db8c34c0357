// A client that leaves while its upgrade's token is being checked (a phone
// losing its network right after asking for /ws): the server finds it gone
// when it writes the 101 and the hello, and must neither touch the freed
// connection nor stop serving. Once seen in the browser tests as a SIGSEGV of
// the release build (ASan: heap-use-after-free in on_upgrade_auth, the
// connection freed inside the hello's write, then started).
//
// Each client sends its upgrade request and closes the connection at once,
// 200 times with the token check (a session lookup in
// PostgreSQL, SESSION_STORE=db) under way; the server must keep answering,
// greet a well-behaved client afterwards and exit cleanly (no sanitizer
// report under make integration's ASan build).

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';

import { AuthClient } from '../lib/auth.mjs';
import { startCatalogServer } from '../lib/catalog.mjs';
import { eventually, freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit, request } from '../lib/server.mjs';
import { WsClient, upgradeRequest } from '../lib/ws.mjs';

describe('a client gone during the upgrade\'s token check', () => {
  let srv;
  before(async () => {
    srv = await startCatalogServer({ store: 'db', databaseUrl: await freshDatabase('ws_gone') });
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('200 upgrades closed right after the request: the server keeps serving and exits cleanly', async () => {
    const c = new AuthClient(srv.port);
    const u = await c.newUser({}, 'gone');
    const { bytes } = upgradeRequest({ token: u.access });
    const once = (delayed) =>
      new Promise((resolve) => {
        const s = net.connect(srv.port, '127.0.0.1', () => {
          s.write(bytes);
          // Closed (FIN) at once, or after the next turn of this loop: the
          // check is a database round trip, so both land while it is under
          // way. The server takes the FIN as a half-close and answers; the
          // 101 reaches a closed socket, whose RST fails the hello's write.
          if (delayed) setImmediate(() => s.destroy());
          else s.destroy();
        });
        s.on('error', () => {});
        s.on('close', resolve);
        s.setTimeout(5000, () => s.destroy());
      });
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => once(i % 2 === 1)));
    }
    // The server may still be closing the last of them (each counts against
    // MAX_CONNECTIONS_PER_IP until it has): it answers again within 5 s.
    await eventually(async () => (await request(srv.port, { path: '/api/health' })).status === 200, {
      timeoutMs: 5000,
      what: 'GET /api/health 200',
    });
    const ws = await WsClient.connect(srv.port, { token: u.access });
    try {
      const hello = await ws.next('hello');
      assert.equal(hello.user_id, u.user.id);
    } finally {
      ws.destroy();
    }
    assert.equal(srv.proc.exitCode, null, 'the same server process');
  });
});
