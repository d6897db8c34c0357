// Smoke: two users over WebSocket on one instance (the full suite is ws.test.mjs).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AuthClient, expectJson } from '../lib/auth.mjs';
import { startCatalogServer } from '../lib/catalog.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';
import { WsClient } from '../lib/ws.mjs';

describe('ws smoke', () => {
  let srv;
  let c;
  before(async () => {
    srv = await startCatalogServer({ store: 'db', databaseUrl: await freshDatabase('ws_smoke') });
    c = new AuthClient(srv.port);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('hello, message, ack, push, typing, read', async () => {
    const a = await c.newUser({}, 'wsa');
    const b = await c.newUser({}, 'wsb');
    const wa = await WsClient.connect(srv.port, { token: a.access });
    const wb = await WsClient.connect(srv.port, { token: b.access });
    assert.equal((await wa.next('hello')).user_id, a.user.id);
    await wb.next('hello');
    wa.sendJson({ type: 'message', to: b.user.id, body: 'hola', client_id: 'c1' });
    const ack = await wa.next('ack');
    assert.equal(ack.client_id, 'c1');
    assert.equal(ack.message.body, 'hola');
    const got = await wb.next('message');
    assert.equal(got.message.id, ack.message.id);
    wb.sendJson({ type: 'typing', to: a.user.id });
    assert.equal((await wa.next('typing')).from, b.user.id);
    const r = await c.call('POST', `/api/messages`, { token: b.access, body: { to: a.user.id, body: 'rest' } });
    const m = expectJson(r, 201);
    assert.equal((await wa.next('message', { where: (f) => f.message.id === m.id })).message.body, 'rest');
    assert.equal((await c.call('POST', `/api/conversations/${a.user.id}/read`, { token: b.access })).status, 204);
    const read = await wa.next('read');
    assert.equal(read.peer_id, b.user.id);
    wa.sendJson({ type: 'ping' });
    await wa.next('pong');
    wa.sendText('{bad');
    assert.equal((await wa.next('error')).code, 'invalid_json');
    wa.close(1000);
    assert.equal((await wa.closed()).code, 1000);
    wb.destroy();
  });
});
