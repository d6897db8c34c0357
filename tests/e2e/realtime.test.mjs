// The WebSocket outliving its access token (docs/WEB.md "Messages and
// notifications"): in stateless mode the server closes a connection with 4401
// when its token's exp passes without a fresh "auth" frame. Access tokens
// live 3 s here, so during the test session.js renews the token twice and
// realtime.js hands each new one to the open socket; one socket carries the
// whole test and a message sent after the renewals still arrives live.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { PHONE, assertNoProblems, launchBrowser, newContext, startApp } from './lib/browser.mjs';

let app;
let browser;

before(async () => {
  [app, browser] = await Promise.all([
    startApp({ extra: { SESSION_STORE: 'stateless', ACCESS_TOKEN_TTL_S: '3' } }),
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
    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    await ctx.addInitScript((token) => {
      if (window.location.protocol === 'http:' && !localStorage.getItem('rural24.refresh')) localStorage.setItem('rural24.refresh', token);
    }, B.refresh);
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

    // Two renewals (a token of 3 s is renewed after about 2 s) go down the socket.
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
});
