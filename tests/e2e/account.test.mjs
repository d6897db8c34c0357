// Accounts in the browser (docs/WEB.md "Accounts"): register, the session
// surviving a reload, the access token renewed before it expires, log out;
// a wrong password and too many of them in Spanish; the API's validation
// errors next to their fields; Mi cuenta's phone and province saved and
// cleared (as a reload shows), and the API's field error there. The server gives access tokens a 6-second
// life, so the renewal happens during the test, and allows 3 failed logins
// per email (RATE_LIMIT_AUTH_EMAIL), so the fourth is a 429.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DESKTOP, PHONE, account, accountItem, assertNoProblems, axeSerious, expectJson, newContext, screenshot, startAppAndBrowser, takeOver, waitGreeting } from './lib/browser.mjs';

const REFRESH_KEY = 'rural24.refresh';

let app;
let browser;

before(async () => {
  ({ app, browser } = await startAppAndBrowser({ extra: { ACCESS_TOKEN_TTL_S: '6', RATE_LIMIT_AUTH_EMAIL: '3/900' } }));
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

let seq = 0;
const email = (tag) => `${tag}.${process.pid}.${++seq}@campo.example.com`;

describe('accounts', () => {
  it('register → reload → still logged in (the token renewed before expiry) → log out', async () => {
    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await page.goto('/');
      await account(page).getByRole('link', { name: 'Crear cuenta' }).click();
      await page.waitForURL('**/registro');
      await page.getByRole('heading', { level: 1, name: 'Crear cuenta' }).waitFor();
      await page.getByLabel('Nombre').fill('Ana Gómez');
      await page.getByLabel('Email').fill(email('ana'));
      await page.getByLabel('Contraseña').fill('alfalfa-2026');
      await page.getByLabel('Provincia (opcional)').selectOption('Entre Ríos');
      await screenshot(page, 'register', PHONE);
      const registered = page.waitForResponse((r) => r.url().endsWith('/api/auth/register'));
      await page.getByRole('button', { name: 'Crear cuenta' }).click();
      const registerAnswer = await registered;
      assert.equal(registerAnswer.status(), 201);
      // Listen for the renewal now: it is due a few seconds after this answer.
      const renewal = page.waitForResponse((r) => r.url().endsWith('/api/auth/refresh'));
      renewal.catch(() => {}); // awaited below; a failure before that is reported there
      const { access_token: firstAccess, refresh_token: firstRefresh } = await registerAnswer.json();
      const expiresAtMs = JSON.parse(Buffer.from(firstAccess.split('.')[1], 'base64url').toString()).exp * 1000;
      await waitGreeting(page, 'Ana Gómez');
      await page.waitForURL((u) => u.pathname === '/');
      assert.equal(await account(page).getByRole('link', { name: 'Ingresar' }).count(), 0);

      // Only the refresh token is stored; the access token stays in memory.
      const stored = await page.evaluate(() => ({ ...localStorage }));
      assert.deepEqual(Object.keys(stored), [REFRESH_KEY]);

      // The access token (6 s) is renewed before it expires, without a reload.
      const renewed = await renewal;
      assert.equal(renewed.status(), 200);
      const sentAtMs = renewed.request().timing().startTime;
      assert.ok(sentAtMs > expiresAtMs - 6000, `the request start time is a real time: ${sentAtMs}`);
      assert.ok(sentAtMs < expiresAtMs, `the renewal left ${expiresAtMs - sentAtMs} ms before the access token expired`);
      await page.waitForFunction((old) => localStorage.getItem('rural24.refresh') !== old, firstRefresh);

      // A reload keeps the session: the stored refresh token is traded for a
      // new pair and /api/me names the person.
      await page.reload();
      await waitGreeting(page, 'Ana Gómez');
      const refreshBeforeLogout = await page.evaluate((k) => localStorage.getItem(k), REFRESH_KEY);

      const loggedOut = page.waitForResponse((r) => r.url().endsWith('/api/auth/logout'));
      await (await accountItem(page, 'button', 'Salir')).click();
      assert.equal((await loggedOut).status(), 204);
      await account(page).getByRole('link', { name: 'Ingresar' }).waitFor();
      assert.equal(await page.evaluate((k) => localStorage.getItem(k), REFRESH_KEY), null);
      await page.reload();
      await account(page).getByRole('link', { name: 'Ingresar' }).waitFor();
      assert.equal(await account(page).getByText(/Hola/).count(), 0);

      // The server revoked that login: its last refresh token is refused.
      const res = await app.client.refresh(refreshBeforeLogout);
      assert.equal(res.status, 401);
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });

  it('a wrong password says so in Spanish, keeps what was typed, and too many become a 429 in Spanish', async () => {
    const u = await app.client.newUser({ name: 'Pedro Ruiz' }, 'pedro');
    const ctx = await newContext(browser, DESKTOP, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await page.goto('/ingresar');
      await page.getByRole('heading', { level: 1, name: 'Ingresar' }).waitFor();
      await page.getByLabel('Email').fill(u.email);
      await page.getByLabel('Contraseña').fill('no-es-la-clave');
      const form = page.getByRole('main');
      const attempt = async () => {
        const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
        await form.getByRole('button', { name: 'Ingresar' }).click();
        return (await answer).status();
      };
      assert.equal(await attempt(), 401);
      const alert = form.getByRole('alert');
      await alert.getByText('El email o la contraseña no son correctos.').waitFor();
      assert.equal(await page.getByLabel('Email').inputValue(), u.email, 'the email stays typed');
      await screenshot(page, 'login-error', DESKTOP);

      // RATE_LIMIT_AUTH_EMAIL is 3 failures: the fourth attempt is refused.
      const statuses = [];
      for (let i = 0; i < 4 && statuses.at(-1) !== 429; i++) statuses.push(await attempt());
      assert.deepEqual(statuses, [401, 401, 429]);
      await alert.getByText(/^Demasiadas solicitudes\. Esperá \d+ minutos? y probá de nuevo\.$/).waitFor();
      assert.equal(await account(page).getByRole('link', { name: 'Ingresar' }).count(), 1, 'still logged out');
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });

  it("the API's validation errors appear next to their fields, in Spanish", async () => {
    const taken = await app.client.newUser({ name: 'Ya Registrado' }, 'taken');
    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await page.goto('/registro');
      await page.getByLabel('Nombre').fill('Luis');
      await page.getByLabel('Email').fill(email('luis'));
      await page.getByLabel('Contraseña').fill('corta');
      await page.getByRole('button', { name: 'Crear cuenta' }).click();
      const password = page.getByLabel('Contraseña');
      await page.getByText('La contraseña debe tener al menos 8 caracteres.').waitFor();
      assert.equal(await password.getAttribute('aria-invalid'), 'true');
      // The error is read with the field (aria-describedby), and it has focus.
      const described = await password.evaluate((el) =>
        el.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id).textContent).join(' | '),
      );
      assert.match(described, /al menos 8 caracteres/);
      assert.ok(await password.evaluate((el) => el === document.activeElement), 'the first field in error has focus');
      assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), null, 'the email is not marked');
      await screenshot(page, 'register-errors', PHONE);
      assert.deepEqual(await axeSerious(page), [], 'the register form with an error passes axe-core');

      // An email already registered: 409, shown next to the email.
      await page.getByLabel('Email').fill(taken.email);
      await password.fill('alfalfa-2026');
      await page.getByRole('button', { name: 'Crear cuenta' }).click();
      await page.getByText('Ya hay una cuenta con ese email. ¿Querés ingresar?').waitFor();
      assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true');
      assert.equal(await password.getAttribute('aria-invalid'), null, 'the corrected password is no longer marked');
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });
  it("Mi cuenta: the phone and the province saved and cleared (a reload shows them), and the API's field error by its field", async () => {
    const u = await app.client.newUser({ name: 'Carmen Ruiz', province: 'Córdoba' }, 'carmen');
    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await takeOver(page, u, '/cuenta');
      await page.getByRole('heading', { level: 1, name: 'Mi cuenta' }).waitFor();
      const form = page.getByRole('form', { name: 'Tus datos' });
      const name = form.getByLabel('Nombre');
      const phone = form.getByLabel('Teléfono');
      const province = form.getByLabel('Provincia');
      const save = form.getByRole('button', { name: 'Guardar cambios' });
      const patch = async () => {
        const answer = page.waitForResponse((r) => r.url().endsWith('/api/me') && r.request().method() === 'PATCH');
        await save.click();
        const r = await answer;
        return { status: r.status(), body: JSON.parse(r.request().postData()) };
      };
      // Each check logs in afresh: access tokens live 6 s on this server.
      const me = async () => expectJson(await app.client.me((await app.client.newSession(u)).access), 200, 'GET /api/me');
      const reloaded = async () => {
        await page.reload();
        await waitGreeting(page, 'Carmen Ruiz');
        await name.waitFor();
        return { phone: await phone.inputValue(), province: await province.inputValue() };
      };
      assert.equal(await phone.inputValue(), '');
      assert.equal(await province.inputValue(), 'Córdoba');

      // A phone typed with the keyboard and another province.
      await phone.pressSequentially('+54 9 3404 45-1234');
      await province.selectOption('Santa Fe');
      assert.deepEqual(await patch(), { status: 200, body: { name: 'Carmen Ruiz', phone: '+54 9 3404 45-1234', province: 'Santa Fe' } });
      await form.getByRole('status').getByText('Guardamos tus datos.').waitFor();
      assert.deepEqual(await reloaded(), { phone: '+54 9 3404 45-1234', province: 'Santa Fe' }, 'saved: a reload shows them');
      const saved = await me();
      assert.deepEqual([saved.phone, saved.province], ['+54 9 3404 45-1234', 'Santa Fe']);

      // The API checks the phone only for its length (40 characters), which
      // the field itself keeps: a 41st key is not taken.
      await phone.fill('');
      await phone.pressSequentially('0'.repeat(45));
      assert.equal((await phone.inputValue()).length, 40);

      // A name with a pasted direction override, sent with a new phone and
      // no province: the API refuses the whole change, its error goes by
      // "Nombre", and what was typed stays.
      await name.fill('Carmen \u202eRuiz');
      await phone.fill('03404 15-998877');
      await province.selectOption({ label: 'Sin provincia' });
      assert.equal((await patch()).status, 400);
      await form.getByText('Ese nombre no es válido.').waitFor();
      assert.equal(await name.getAttribute('aria-invalid'), 'true');
      const described = await name.evaluate((el) => el.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id).textContent).join(' | '));
      assert.equal(described, 'Ese nombre no es válido.');
      assert.ok(await name.evaluate((el) => el === document.activeElement), 'the field in error has focus');
      assert.equal(await phone.getAttribute('aria-invalid'), null);
      assert.equal(await province.getAttribute('aria-invalid'), null);
      assert.equal(await form.getByRole('status').getByText('Guardamos tus datos.').count(), 0);
      assert.deepEqual([await phone.inputValue(), await province.inputValue()], ['03404 15-998877', ''], 'what was typed stays');
      assert.deepEqual(await axeSerious(page), [], 'Mi cuenta with a field error: no serious or critical axe violation');
      assert.deepEqual(await reloaded(), { phone: '+54 9 3404 45-1234', province: 'Santa Fe' }, 'nothing of the refused change was saved');

      // The phone emptied and "Sin provincia": both cleared (null).
      await phone.fill('');
      await province.selectOption({ label: 'Sin provincia' });
      assert.deepEqual(await patch(), { status: 200, body: { name: 'Carmen Ruiz', phone: null, province: null } });
      await form.getByRole('status').getByText('Guardamos tus datos.').waitFor();
      assert.deepEqual(await reloaded(), { phone: '', province: '' });
      assert.equal(await province.locator('option:checked').textContent(), 'Sin provincia');
      const cleared = await me();
      assert.deepEqual([cleared.phone, cleared.province], [null, null]);
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });
});
