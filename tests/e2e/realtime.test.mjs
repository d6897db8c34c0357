// The WebSocket's life (docs/WEB.md "Messages and notifications"): in
// stateless mode the server closes a connection with 4401 when its token's
// exp passes without a fresh "auth" frame. Access tokens live 4 s here
// (renewed after about 2 s: a second of slack for the auth frame under load).
// 1. session.js renews the token twice and realtime.js hands each new one to
//    the open socket: one socket carries the whole test, and a message sent
//    after the renewals still arrives live.
// 2. Through page.routeWebSocket (playwright's proxy between the page and
//    the server): the first socket's auth frames are held back, so the
//    server closes it with 4401 and the app renews and reconnects; then the
//    test drops the socket itself and holds the reconnect until a message
//    has been sent, which the catch-up (since_id) then shows, once.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { PHONE, assertNoProblems, launchBrowser, loggedInContext, startApp } from './lib/browser.mjs';

let app;
let browser;

before(async () => {
  [app, browser] = await Promise.all([
    startApp({ extra: { SESSION_STORE: 'stateless', ACCESS_TOKEN_TTL_S: '4' } }),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

describe('the real-time connection', () => {
  it('lives on across token renewals (auth frames), without reconnecting', async () => {
    const [A, B] = await Promise.all([app.client.newUser({ name: 'Ana Ganadera' }, 'ana'), app.client.newUser({ name: 'Bruno Tambero' }, 'bruno')]);
    const ctx = await loggedInContext(browser, PHONE, { baseURL: app.url, user: B });
    const page = await ctx.newPage();
    const sockets = [];
    const authFrames = [];
    let closes = 0;
    let twoRenewals;
    const renewed = new Promise((resolve) => {
      twoRenewals = resolve;
    });
    page.on('websocket', (ws) => {
      sockets.push(ws);
      ws.on('close', () => closes++);
      ws.on('framesent', ({ payload }) => {
        if (String(payload).includes('"type":"auth"')) authFrames.push(payload);
        if (authFrames.length === 2) twoRenewals();
      });
    });
    await page.goto(`/mensajes/${A.user.id}`);
    await page.getByRole('heading', { level: 1, name: 'Conversación con Ana Ganadera' }).waitFor();

    // Two renewals (a token of 4 s is renewed after about 2 s) go down the socket.
    let timer;
    await Promise.race([
      renewed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${authFrames.length} auth frames in 10 s`)), 10000);
      }),
    ]);
    clearTimeout(timer);

    // The token the socket opened with has expired by now; a message still comes live.
    const { access } = await app.client.newSession(A); // A's first token has expired too
    const res = await app.client.call('POST', '/api/messages', { token: access, body: { to: B.user.id, body: 'Sigue disponible, vení cuando quieras.' } });
    assert.equal(res.status, 201, res.body);
    await page.locator('li.msg.peer', { hasText: 'Sigue disponible, vení cuando quieras.' }).waitFor();
    assert.equal(sockets.length, 1, 'one socket for the whole test');
    assert.equal(closes, 0, 'the socket was never closed');
    assertNoProblems(ctx);
  });

  it('a 4401 close renews and reconnects; a dropped socket catches up once', async () => {
    const [A, B] = await Promise.all([app.client.newUser({ name: 'Ana Ganadera' }, 'ana2'), app.client.newUser({ name: 'Bruno Tambero' }, 'bruno2')]);
    const ctx = await loggedInContext(browser, PHONE, { baseURL: app.url, user: B });
    const page = await ctx.newPage();
    const sockets = []; // {page side, server side, the server's close code}
    let gate = null;
    await page.routeWebSocket(/\/ws\?/, async (ws) => {
      const entry = { ws, server: null, serverClose: null };
      sockets.push(entry);
      const first = sockets.length === 1;
      if (gate) await gate;
      const server = ws.connectToServer();
      entry.server = server;
      // The first socket gets no auth frames: its token runs out.
      ws.onMessage((m) => {
        if (!(first && String(m).includes('"type":"auth"'))) server.send(m);
      });
      server.onClose((code, reason) => {
        entry.serverClose = code;
        ws.close({ code, reason });
      });
    });
    const until = async (what, fn) => {
      const end = Date.now() + 10000;
      while (!fn()) {
        assert.ok(Date.now() < end, `waited 10 s for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    await page.goto(`/mensajes/${A.user.id}`);
    await page.getByRole('heading', { level: 1, name: 'Conversación con Ana Ganadera' }).waitFor();
    await until('the 4401 close and a second socket', () => sockets.length >= 2 && sockets[1].server);
    assert.equal(sockets[0].serverClose, 4401);

    // The second socket works.
    const apiA = await app.client.newSession(A);
    const send = async (body) => {
      const res = await app.client.call('POST', '/api/messages', { token: apiA.access, body: { to: B.user.id, body } });
      assert.equal(res.status, 201, res.body);
    };
    await send('Primer mensaje, en vivo.');
    await page.locator('li.msg.peer', { hasText: 'Primer mensaje, en vivo.' }).waitFor();

    // Dropped; the reconnect waits at the gate while A writes.
    let open;
    gate = new Promise((r) => {
      open = r;
    });
    await sockets[1].ws.close({ code: 4000, reason: 'dropped by the test' });
    await sockets[1].server.close();
    await until('a reconnect attempt', () => sockets.length === 3);
    await send('Mientras no estabas conectado.');
    const caughtUp = page.waitForResponse((r) => r.url().includes('/api/messages?since_id='));
    open();
    assert.equal((await caughtUp).status(), 200);
    await page.locator('li.msg.peer', { hasText: 'Mientras no estabas conectado.' }).waitFor();
    assert.equal(await page.locator('li.msg', { hasText: 'Mientras no estabas conectado.' }).count(), 1);
    assert.equal(await page.locator('li.msg', { hasText: 'Primer mensaje, en vivo.' }).count(), 1);
    assert.equal(sockets.length, 3);
    assertNoProblems(ctx);
  });
});
