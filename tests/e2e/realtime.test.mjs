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

import { PHONE, account, accountItem, assertNoProblems, axeSerious, expectJson, loggedInContext, startApp, startAppAndBrowser, waitGreeting } from './lib/browser.mjs';

let app;
let browser;

before(async () => {
  ({ app, browser } = await startAppAndBrowser({ extra: { SESSION_STORE: 'stateless', ACCESS_TOKEN_TTL_S: '4' } }));
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

// A refused upgrade: the server answers the WebSocket's request with 401
// before any 101 (the browser sees a bare 1006 close, no hello). realtime.js
// renews the token after the second such close and reconnects; a renewal
// refused with 401 ends the session. Real refusals on servers of
// SESSION_STORE=db (startApp's default): logout-all from another login of the
// same person revokes the session while the app's socket is down (offline);
// or the access token the app holds really expires (a server of 6 s tokens,
// the page's timers paused so that the app's own renewal never fires), and
// the socket opened when the network returns carries it.
describe('a refused WebSocket upgrade', () => {
  let db;
  before(async () => {
    db = await startApp();
  });
  after(async () => {
    await db?.stop();
  });

  /** The browser's own lines for what this test causes: the refused
   *  upgrades and the refused renewal. */
  const EXPECTED = [/WebSocket connection to .* failed: HTTP Authentication failed/, /Failed to load resource: net::ERR_INTERNET_DISCONNECTED/];

  /** The page's API traffic, in order: `answers` ("METHOD path status") and
   *  `log` (the same with the requests: "> METHOD path", "< METHOD path status"). */
  const traffic = (page) => {
    const t = { answers: [], log: [] };
    const name = (r) => {
      const u = new URL(r.url());
      return u.pathname.startsWith('/api/') ? `${r.method()} ${u.pathname}${u.search}` : null;
    };
    page.on('request', (r) => name(r) && t.log.push(`> ${name(r)}`));
    page.on('response', (r) => {
      const n = name(r.request());
      if (!n) return;
      t.answers.push(`${n} ${r.status()}`);
      t.log.push(`< ${n} ${r.status()}`);
    });
    return t;
  };

  /** Opening a conversation marks it read, and the header's count is asked
   *  150 ms after that answer: the page has settled once a count asked after
   *  the read's answer came back (the hello's own count may answer after the
   *  read, with the later one still to come). */
  const settledAfterRead = (log, peerId) => {
    const read = log.indexOf(`< POST /api/conversations/${peerId}/read 204`);
    const asked = read < 0 ? -1 : log.indexOf('> GET /api/conversations?limit=100', read);
    return asked >= 0 && log.indexOf('< GET /api/conversations?limit=100 200', asked) >= 0;
  };

  /** Waits (bounded) until fn() (sync or async) holds. */
  const until = async (what, fn) => {
    const end = Date.now() + 10000;
    while (!(await fn())) {
      assert.ok(Date.now() < end, `waited 10 s for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  it('a session revoked while the socket was down: the upgrade is refused, the renewal too, and the chat says the session ended', async () => {
    const [A, B] = await Promise.all([db.client.newUser({ name: 'Ana Ganadera' }, 'ana3'), db.client.newUser({ name: 'Bruno Tambero' }, 'bruno3')]);
    const ctx = await loggedInContext(browser, PHONE, { baseURL: db.url, user: await db.client.newSession(B) });
    try {
      const page = await ctx.newPage();
      const sockets = []; // {url, frames received, closed}
      page.on('websocket', (ws) => {
        const s = { frames: 0, closed: false };
        sockets.push(s);
        ws.on('framereceived', () => s.frames++);
        ws.on('close', () => {
          s.closed = true;
        });
      });
      const { answers, log } = traffic(page);
      await page.goto(`/mensajes/${A.user.id}`);
      await page.getByRole('heading', { level: 1, name: 'Conversación con Ana Ganadera' }).waitFor();
      const conn = page.getByRole('main').getByRole('status');
      await conn.waitFor({ state: 'hidden' }); // online: the hello came
      assert.equal(sockets.length, 1);
      // The page settles first: opening the conversation marks it read, and
      // the header's count is asked 150 ms after that (a request left for
      // later would meet the revoked token before the socket does).
      await until('the unread count asked after the read', () => settledAfterRead(log, A.user.id));
      const box = page.getByLabel('Mensaje', { exact: true });
      await box.fill('¿Me pasás el precio final?');

      // The socket goes with the network; meanwhile every session of Bruno's
      // ends from another device, for real.
      await ctx.setOffline(true);
      await conn.getByText('Sin conexión.', { exact: false }).waitFor();
      const elsewhere = await db.client.newSession(B);
      assert.equal((await db.client.logoutAll(elsewhere.access)).status, 204);
      const revokedAt = answers.length;

      // The network returns: the upgrade with the revoked token is refused
      // twice, the renewal is refused, and the session ends here.
      await ctx.setOffline(false);
      await account(page).getByRole('link', { name: 'Ingresar' }).waitFor();
      await conn.getByText('Tu sesión se cerró.', { exact: false }).waitFor();
      assert.equal(await conn.getByText('Sin conexión', { exact: false }).count(), 0, 'not taken for a lost connection');
      assert.deepEqual(answers.slice(revokedAt), ['POST /api/auth/refresh 401'], 'the refused upgrades, not another request, led to the renewal');
      assert.equal(sockets.length, 3, 'two upgrades after the network came back');
      for (const s of sockets.slice(1)) assert.deepEqual(s, { frames: 0, closed: true }, 'refused before any frame');
      // The revoked token is forgotten (a moment later: session.js waits
      // for another tab's newer token to reach this one's copy first).
      await page.waitForFunction(() => localStorage.getItem('rural24.refresh') === null);
      assert.equal(await box.inputValue(), '¿Me pasás el precio final?', 'what was typed is kept');
      // Enter sends nothing now: the link to log in again takes the focus.
      await box.press('Enter');
      const again = conn.getByRole('link', { name: 'Ingresá de nuevo' });
      await page.waitForFunction(() => document.activeElement?.textContent === 'Ingresá de nuevo');
      assert.equal(await page.evaluate(() => localStorage.getItem('rural24.outbox.null')), null, 'nothing queued for nobody');
      assert.deepEqual(await axeSerious(page), [], 'the conversation with the session ended');

      // Logging in again returns to the conversation, which works live.
      await again.click();
      await page.waitForURL((u) => u.pathname === '/ingresar' && u.searchParams.get('next') === `/mensajes/${A.user.id}`);
      await page.getByLabel('Email').fill(B.email);
      await page.getByLabel('Contraseña').fill(B.password);
      await page.getByRole('button', { name: 'Ingresar' }).click();
      await page.waitForURL((u) => u.pathname === `/mensajes/${A.user.id}`);
      await waitGreeting(page, 'Bruno Tambero');
      await page.getByRole('heading', { level: 1, name: 'Conversación con Ana Ganadera' }).waitFor();
      await conn.waitFor({ state: 'hidden' });
      const apiA = await db.client.newSession(A);
      const res = await db.client.call('POST', '/api/messages', { token: apiA.access, body: { to: B.user.id, body: 'Cuarenta y dos mil dólares.' } });
      assert.equal(res.status, 201, res.body);
      await page.locator('li.msg.peer', { hasText: 'Cuarenta y dos mil dólares.' }).waitFor();
      assert.deepEqual(ctx.problems.filter((p) => !EXPECTED.some((re) => re.test(p))), [], 'no CSP violation or script error');
      assert.equal(ctx.problems.filter((p) => /WebSocket connection/.test(p)).length, 2, 'the browser reported the two refused upgrades');
    } finally {
      await ctx.close();
    }
  });
  it('another tab logs out while the connection is down: the chat says the session ended, not that it waits for signal', async () => {
    const [A, B] = await Promise.all([db.client.newUser({ name: 'Ana Ganadera' }, 'ana5'), db.client.newUser({ name: 'Bruno Tambero' }, 'bruno5')]);
    const ctx = await loggedInContext(browser, PHONE, { baseURL: db.url, user: await db.client.newSession(B) });
    try {
      const page = await ctx.newPage();
      await page.goto(`/mensajes/${A.user.id}`);
      await page.getByRole('heading', { level: 1, name: 'Conversación con Ana Ganadera' }).waitFor();
      const conn = page.getByRole('main').getByRole('status');
      await conn.waitFor({ state: 'hidden' }); // online: the hello came
      const other = await ctx.newPage();
      await other.goto('/');
      await waitGreeting(other, 'Bruno Tambero');

      // Offline first (the line says so), then "Salir" in the other tab: its
      // request fails, it forgets the session, and this tab follows.
      await ctx.setOffline(true);
      await conn.getByText('Sin conexión.', { exact: false }).waitFor();
      await (await accountItem(other, 'button', 'Salir')).click();
      await account(other).getByRole('link', { name: 'Ingresar' }).waitFor({ state: 'attached' });
      await conn.getByText('Tu sesión se cerró.', { exact: false }).waitFor();
      assert.equal(await conn.getByText('Sin conexión', { exact: false }).count(), 0, 'not taken for the lost connection');
      await account(page).getByRole('link', { name: 'Ingresar' }).waitFor({ state: 'attached' });
      await ctx.setOffline(false);
      assert.deepEqual(ctx.problems.filter((p) => !EXPECTED.some((re) => re.test(p))), [], 'no CSP violation or script error');
    } finally {
      await ctx.close();
    }
  });

  it('an access token that expired while the socket was down: the upgrade is refused, the app renews and the chat recovers', { timeout: 90000 }, async () => {
    const short = await startApp({ extra: { ACCESS_TOKEN_TTL_S: '6' } });
    let ctx;
    try {
      const [A, B] = await Promise.all([short.client.newUser({ name: 'Ana Ganadera' }, 'ana4'), short.client.newUser({ name: 'Bruno Tambero' }, 'bruno4')]);
      ctx = await loggedInContext(browser, PHONE, { baseURL: short.url, user: await short.client.newSession(B) });
      const page = await ctx.newPage();
      // Each socket's story, seen from the page (an init script: the CSP
      // does not govern it). Its listeners come before the app's, so once
      // the page says a socket closed, the app has handled the close.
      await page.addInitScript(() => {
        window.sockets = [];
        const Native = window.WebSocket;
        window.WebSocket = class extends Native {
          constructor(...args) {
            super(...args);
            const s = { frames: 0, closed: false };
            window.sockets.push(s);
            this.addEventListener('message', () => s.frames++);
            this.addEventListener('close', () => {
              s.closed = true;
            });
          }
        };
      });
      const sockets = () => page.evaluate(() => window.sockets);
      const renewals = [];
      const { answers, log } = traffic(page);
      page.on('response', (r) => new URL(r.url()).pathname === '/api/auth/refresh' && renewals.push(r));
      // API requests under way: the page's clock is moved only while none
      // is, so a slow answer (a loaded machine) costs real time, not page time.
      let inFlight = 0;
      const isApi = (r) => new URL(r.url()).pathname.startsWith('/api/');
      page.on('request', (r) => isApi(r) && inFlight++);
      page.on('requestfinished', (r) => isApi(r) && inFlight--);
      page.on('requestfailed', (r) => isApi(r) && inFlight--);
      // The page's timers run only when the test moves its clock, never as
      // far as the renewal the app schedules (3.3 s ahead on this server).
      let moved = 0; // ms of the page's time the test let pass
      const runFor = async (ms) => {
        moved += ms;
        assert.ok(moved < 3000, 'the page\'s clock stays short of the scheduled renewal');
        await page.clock.runFor(ms);
      };
      await page.clock.install();
      await page.clock.pauseAt(Date.now() + 1000);
      await page.goto(`/mensajes/${A.user.id}`);
      await page.getByRole('heading', { level: 1, name: 'Conversación con Ana Ganadera' }).waitFor();
      const conn = page.getByRole('main').getByRole('status');
      await conn.waitFor({ state: 'hidden' }); // online: the hello came
      // The timers the hello left (the unread counts, the read receipt and
      // the count asked after it) run now, while the token is valid.
      await until('the page settled', async () => {
        if (inFlight === 0) await runFor(50);
        return settledAfterRead(log, A.user.id);
      });
      assert.equal(renewals.length, 1, 'the restore on load, no renewal since');
      const { access_token: access } = await renewals[0].json();
      const exp = JSON.parse(Buffer.from(access.split('.')[1], 'base64url').toString()).exp;

      // Past the token's exp and the server's 30 s of allowed clock skew
      // (AUTH_TOKEN_SKEW_S), with a second and a half to spare: real time
      // must pass for the server to refuse it.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (exp + 31) * 1000 + 500 - Date.now())));
      assert.equal((await short.client.me(access)).status, 401, 'the app\'s token has expired');

      // The socket goes with the network; Bruno writes meanwhile.
      await ctx.setOffline(true);
      await conn.getByText('Sin conexión.', { exact: false }).waitFor();
      const box = page.getByLabel('Mensaje', { exact: true });
      await box.fill('¿Lo puedo ir a ver el sábado?');
      await box.press('Enter');
      const mine = page.locator('li.msg.own', { hasText: '¿Lo puedo ir a ver el sábado?' });
      await mine.getByText('pendiente', { exact: false }).waitFor();

      // Back online: the upgrade with the expired token is refused; the app
      // tries again (its backoff, moved on by the test's clock, less than
      // the renewal's 3.3 s), is refused again, renews, and reconnects.
      const online = answers.length;
      await ctx.setOffline(false);
      await until('the first refused upgrade', async () => (await sockets()).length === 2 && (await sockets())[1].closed);
      await runFor(500);
      await until('the renewal after the second refused upgrade', async () => (await sockets()).length === 3 && (await sockets())[2].closed && renewals.length === 2);
      assert.deepEqual(answers.slice(online), ['POST /api/auth/refresh 200'], 'the refused upgrades, not another request, led to the renewal');
      const renewed = (await renewals[1].json()).refresh_token;
      await until('the renewed token kept', async () => (await page.evaluate(() => localStorage.getItem('rural24.refresh'))) === renewed);
      // The renewal scheduled the next one 3.3 s of page time from now.
      moved = 0;
      await runFor(1000);
      await conn.waitFor({ state: 'hidden' });
      await mine.getByText('enviado').waitFor();
      const seen = await sockets();
      assert.equal(seen.length, 4);
      assert.deepEqual(seen.slice(1, 3), [{ frames: 0, closed: true }, { frames: 0, closed: true }], 'two refused before any frame');
      assert.ok(seen[3].frames > 0 && !seen[3].closed, 'the fourth socket is up');
      assert.equal(renewals.length, 2, 'one renewal, asked by the refused upgrades');

      // The chat is live again: Ana's answer arrives without a reload, and
      // the server holds Bruno's message once.
      const apiA = await short.client.newSession(A);
      const res = await short.client.call('POST', '/api/messages', { token: apiA.access, body: { to: B.user.id, body: 'Dale, el sábado a la mañana.' } });
      assert.equal(res.status, 201, res.body);
      await page.locator('li.msg.peer', { hasText: 'Dale, el sábado a la mañana.' }).waitFor();
      const stored = expectJson(await short.client.call('GET', `/api/conversations/${B.user.id}/messages`, { token: apiA.access }), 200, 'the conversation');
      assert.deepEqual(stored.items.map((m) => m.body).reverse(), ['¿Lo puedo ir a ver el sábado?', 'Dale, el sábado a la mañana.']);
      assert.deepEqual(ctx.problems.filter((p) => !EXPECTED.some((re) => re.test(p))), [], 'no CSP violation or script error');
      await page.clock.resume();
    } finally {
      await ctx?.close();
      await short.stop();
    }
  });
});
