// Changing the password in "Mi cuenta" (docs/AUTH.md "Changing the
// password"): the person is logged in on a phone and on a desktop; on the
// phone a wrong current password is shown next to its field and a short new
// one is caught before it leaves; the right ones change it: the phone stays
// logged in (the sessions list shows only this device), the desktop is sent
// to the log-in form at its next request, where the old password is refused
// and the new one lets it in. axe on the form with its errors shown.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DESKTOP, PHONE, account, assertNoProblems, axeSerious, holdRequests, loggedInContext, newContext, screenshot, startAppAndBrowser, waitGreeting } from './lib/browser.mjs';

let app;
let browser;
let phone;
let desktop;
let user;

before(async () => {
  ({ app, browser } = await startAppAndBrowser());
  user = await app.client.newUser({ name: 'Marta Sembrado', password: 'alfalfa-vieja-1' }, 'pwweb');
  phone = await newContext(browser, PHONE, { baseURL: app.url });
  desktop = await newContext(browser, DESKTOP, { baseURL: app.url });
});

after(async () => {
  await phone?.close();
  await desktop?.close();
  await browser?.close();
  await app?.stop();
});

async function logIn(page, password) {
  await page.goto('/ingresar?next=%2Fcuenta');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Contraseña').fill(password);
  await page.getByRole('button', { name: 'Ingresar' }).click();
}

describe('changing the password', () => {
  let pagePhone;
  let pageDesktop;

  it('both devices log in; on the phone, a wrong current password and a short new one are shown by their fields', async () => {
    pagePhone = await phone.newPage();
    pageDesktop = await desktop.newPage();
    await logIn(pageDesktop, 'alfalfa-vieja-1');
    await pageDesktop.getByRole('heading', { level: 1, name: 'Mi cuenta' }).waitFor();
    await logIn(pagePhone, 'alfalfa-vieja-1');
    await pagePhone.getByRole('heading', { level: 2, name: 'Contraseña' }).waitFor();

    const form = pagePhone.getByRole('form', { name: 'Contraseña' });
    await form.getByLabel('Contraseña actual').fill('no-es-esta-1');
    await form.getByLabel('Contraseña nueva').fill('corta');
    await form.getByRole('button', { name: 'Cambiar contraseña' }).click();
    await form.getByText('La contraseña debe tener al menos 8 caracteres.').waitFor();
    assert.equal(await form.getByLabel('Contraseña nueva').getAttribute('aria-invalid'), 'true');

    const answered = pagePhone.waitForResponse((r) => r.url().endsWith('/api/auth/password'));
    await form.getByLabel('Contraseña nueva').fill('trigo-nuevo-2026');
    await form.getByRole('button', { name: 'Cambiar contraseña' }).click();
    assert.equal((await answered).status(), 400);
    await form.getByText('Esa no es tu contraseña actual.').waitFor();
    assert.equal(await form.getByLabel('Contraseña actual').getAttribute('aria-invalid'), 'true');
    assert.equal(await form.getByLabel('Contraseña nueva').inputValue(), 'trigo-nuevo-2026', 'what was typed is kept');
    assert.deepEqual(await axeSerious(pagePhone), [], 'axe on the form with its errors');
    await screenshot(pagePhone, 'password-errors', PHONE);
  });

  it('the right current password changes it: the phone stays logged in, alone in the sessions list', async () => {
    const form = pagePhone.getByRole('form', { name: 'Contraseña' });
    await form.getByLabel('Contraseña actual').fill('alfalfa-vieja-1');
    await form.getByRole('button', { name: 'Cambiar contraseña' }).click();
    await form.getByText('Cambiamos tu contraseña.', { exact: false }).waitFor();
    assert.equal(await form.getByLabel('Contraseña actual').inputValue(), '', 'the fields are emptied');
    await waitGreeting(pagePhone, 'Marta Sembrado');
    const sessions = pagePhone.getByRole('list', { name: 'Sesiones abiertas' });
    await sessions.getByText('Este dispositivo').waitFor();
    assert.equal(await sessions.getByRole('listitem').count(), 1, 'the other device is gone');
    // Still logged in after a reload (the new refresh token was kept).
    await pagePhone.reload();
    await pagePhone.getByRole('heading', { level: 2, name: 'Contraseña' }).waitFor();
    await waitGreeting(pagePhone, 'Marta Sembrado');
  });

  it('the desktop is sent to the log-in form; the old password is refused, the new one works', async () => {
    await pageDesktop.reload();
    await account(pageDesktop).getByRole('link', { name: 'Ingresar' }).waitFor();
    await logIn(pageDesktop, 'alfalfa-vieja-1');
    await pageDesktop.getByRole('alert').getByText('El email o la contraseña no son correctos.').waitFor();
    await logIn(pageDesktop, 'trigo-nuevo-2026');
    await pageDesktop.getByRole('heading', { level: 1, name: 'Mi cuenta' }).waitFor();
    await account(pageDesktop).getByText('Hola, Marta Sembrado').waitFor();
  });

  it('with a second tab of the same browser open: the tab that changed it stays logged in, the other follows', async () => {
    // Both tabs share the stored refresh token. The change revokes it; the
    // other tab's socket is closed (4401) and renews, racing with this tab
    // storing the new pair: neither may log the other out.
    const u = await app.client.newUser({ name: 'Teresa Dospestañas', password: 'alfalfa-vieja-1' }, 'pwtabs');
    const ctx = await loggedInContext(browser, DESKTOP, { baseURL: app.url, user: u });
    try {
      const hello = (page, n, what) =>
        page.waitForFunction((want) => (window.__hellos ?? 0) >= want, n).catch(async (err) => {
          const state = await page.evaluate(() => ({ hellos: window.__hellos ?? 0, stored: !!localStorage.getItem('rural24.refresh'), greeting: document.querySelector('nav[aria-label="Cuenta"]')?.textContent }));
          throw new Error(`${what}: hello ${n} not seen (${JSON.stringify(state)}): ${err.message}`);
        });
      // Counts the socket's hello frames in the page itself (an init script:
      // the CSP does not apply to it), so the test can wait for a reconnect.
      await ctx.addInitScript(() => {
        const Native = window.WebSocket;
        window.WebSocket = class extends Native {
          constructor(...args) {
            super(...args);
            this.addEventListener('message', (e) => {
              if (typeof e.data === 'string' && e.data.includes('"type":"hello"')) window.__hellos = (window.__hellos ?? 0) + 1;
            });
          }
        };
      });
      const a = await ctx.newPage();
      await a.goto('/cuenta');
      await a.getByRole('heading', { level: 2, name: 'Contraseña' }).waitFor();
      const b = await ctx.newPage();
      await b.goto('/');
      await waitGreeting(b, u.user.name);
      await hello(a, 1, 'tab A');
      await hello(b, 1, 'tab B');

      const form = a.getByRole('form', { name: 'Contraseña' });
      await form.getByLabel('Contraseña actual').fill('alfalfa-vieja-1');
      await form.getByLabel('Contraseña nueva').fill('trigo-nuevo-2026');
      await form.getByRole('button', { name: 'Cambiar contraseña' }).click();
      await form.getByText('Cambiamos tu contraseña.', { exact: false }).waitFor();
      // Both sockets were closed by the revocation and came back with the new session.
      await hello(a, 2, 'tab A after the change');
      await hello(b, 2, 'tab B after the change');
      for (const [name, page] of [['the tab that changed it', a], ['the other tab', b]]) {
        await waitGreeting(page, u.user.name);
        assert.ok(await page.evaluate(() => localStorage.getItem('rural24.refresh')), `${name}: a refresh token stored`);
      }
      await b.reload();
      await waitGreeting(b, u.user.name);
      assertNoProblems(ctx, 'two tabs');
    } finally {
      await ctx.close();
    }
  });

  it('a request sent with the token the change revoked, answered after it, does not log the new session out', async () => {
    // The header's unread count leaves with the first access token and is
    // held on its way; the password changes here (every session ends, this
    // tab gets a new pair); then it reaches the server, which refuses it
    // (token_revoked). That answer speaks of the old session only.
    const u = await app.client.newUser({ name: 'Rosa Tardía', password: 'alfalfa-vieja-1' }, 'pwlate');
    const ctx = await loggedInContext(browser, DESKTOP, { baseURL: app.url, user: u });
    try {
      const page = await ctx.newPage();
      const isCount = (u) => u.pathname === '/api/conversations';
      let released = false;
      const counts = []; // the count's answers once let go, in order
      page.on('response', (r) => released && isCount(new URL(r.url())) && counts.push(r));
      const late = await holdRequests(page, isCount);
      await page.goto('/cuenta');
      await page.getByRole('heading', { level: 2, name: 'Contraseña' }).waitFor();
      await late.held;
      const form = page.getByRole('form', { name: 'Contraseña' });
      await form.getByLabel('Contraseña actual').fill('alfalfa-vieja-1');
      await form.getByLabel('Contraseña nueva').fill('trigo-nuevo-2026');
      await form.getByRole('button', { name: 'Cambiar contraseña' }).click();
      await form.getByText('Cambiamos tu contraseña.', { exact: false }).waitFor();
      released = true;
      late.release();
      // Refused (the old session), then asked again with the new token.
      const statuses = () => counts.map((r) => r.status());
      for (const end = Date.now() + 10000; !(statuses().includes(401) && statuses().lastIndexOf(200) > statuses().indexOf(401)); ) {
        assert.ok(Date.now() < end, `the count's answers: ${statuses()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal((await counts[statuses().indexOf(401)].json()).error?.code, 'token_revoked', 'a held request met the revocation');
      await page.unrouteAll();
      await waitGreeting(page, u.user.name);
      assert.ok(await page.evaluate(() => localStorage.getItem('rural24.refresh')), 'the new refresh token stays stored');
      await page.reload();
      await waitGreeting(page, u.user.name);
      assertNoProblems(ctx, 'a late refusal');
    } finally {
      await ctx.close();
    }
  });

  it('no CSP violation or script error was reported', () => {
    assertNoProblems(phone, 'phone');
    assertNoProblems(desktop, 'desktop');
  });
});
