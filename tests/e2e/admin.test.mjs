// "Mi cuenta" and the moderators' queue in the browser (docs/WEB.md "Mi
// cuenta and moderation"): the sessions of other devices listed and one
// closed (its token then refused by the API), the profile's name in the
// header, "Cerrar todas las sesiones"; an admin dismissing an ad that three
// people reported (hidden under review) so that it is back in search, and
// removing ("Eliminar", after its confirmation) a reported ad, which leaves
// the queue and the search while its owner is told live; a non-admin
// refused in Spanish. Data comes through the API; the server keeps
// sessions in the database (SESSION_STORE=db, startApp's default), so they
// can be listed and closed. The browser takes over a session made through
// the API by storing its refresh token, which makes no session of its own.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DESKTOP, PHONE, account, accountItem, adBody, assertNoProblems, axeSerious, expectCards, expectJson, holdRequests, newAd, newAdmin, newContext, screenshot, startApp, startAppAndBrowser, takeOver, waitGreeting } from './lib/browser.mjs';

let app;
let browser;

before(async () => {
  ({ app, browser } = await startAppAndBrowser({ extra: { SESSION_STORE: 'db' } }));
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const word = (tag) => `${tag}${process.pid}x${Date.now() % 100000}`;

describe('Mi cuenta and moderation', () => {
  it('Mi cuenta: both sessions listed, the other one closed (its token refused), the new name in the header, then every session closed', async () => {
    const u = await app.client.newUser({ name: 'Rosa Benítez', province: 'Salta' }, 'rosa');
    const other = await app.client.newSession(u); // a second device
    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await takeOver(page, u, '/cuenta');
      await page.getByRole('heading', { level: 1, name: 'Mi cuenta' }).waitFor();
      const sessions = page.getByRole('list', { name: 'Sesiones abiertas' });
      await sessions.getByRole('listitem').nth(1).waitFor();
      assert.equal(await sessions.getByRole('listitem').count(), 2);
      await sessions.getByText('Este dispositivo').waitFor();
      assert.equal(await sessions.getByRole('button', { name: /^Cerrar la sesión de/ }).count(), 1, 'only the other device can be closed');
      assert.equal(await page.getByLabel('Provincia').inputValue(), 'Salta');
      assert.deepEqual(await axeSerious(page), [], 'Mi cuenta: no serious or critical axe violation');
      await screenshot(page, 'mi-cuenta', PHONE);

      const closed = page.waitForResponse((r) => /\/api\/auth\/sessions\/\d+$/.test(r.url()) && r.request().method() === 'DELETE');
      await sessions.getByRole('button', { name: /^Cerrar la sesión de/ }).click();
      assert.equal((await closed).status(), 204);
      await page.getByRole('status').getByText('Cerramos esa sesión.').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('.session-list li').length === 1);
      assert.equal((await app.client.me(other.access)).status, 401, "the closed session's access token is refused");

      // An empty name is refused next to its field; a new one reaches the header.
      const name = page.getByLabel('Nombre');
      await name.fill('   ');
      await page.getByRole('button', { name: 'Guardar cambios' }).click();
      await page.getByText('Completá este dato.').waitFor();
      assert.equal(await name.getAttribute('aria-invalid'), 'true');
      await name.fill('Rosa B. Benítez');
      const saved = page.waitForResponse((r) => r.url().endsWith('/api/me') && r.request().method() === 'PATCH');
      await page.getByRole('button', { name: 'Guardar cambios' }).click();
      assert.equal((await saved).status(), 200);
      await page.getByText('Guardamos tus datos.').waitFor();
      await waitGreeting(page, 'Rosa B. Benítez');
      assert.equal(await name.getAttribute('aria-invalid'), null);

      // Every session closed: back to the log-in form, nothing stored.
      const all = page.waitForResponse((r) => r.url().endsWith('/api/auth/logout-all'));
      await page.getByRole('button', { name: 'Cerrar todas las sesiones' }).click();
      assert.equal((await all).status(), 204);
      await page.waitForURL((url) => url.pathname === '/ingresar');
      await account(page).getByRole('link', { name: 'Ingresar' }).waitFor();
      assert.equal(await page.evaluate(() => localStorage.getItem('rural24.refresh')), null);
      assert.equal((await app.client.me(u.access)).status, 401, 'the first session is closed too');
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });

  it('an admin dismisses an ad three people reported: it leaves the open queue and is back in search', async () => {
    const key = word('sembradora');
    const [admin, seller, ...reporters] = await Promise.all([
      newAdmin(app),
      app.client.newUser({ name: 'Campo La Esperanza' }, 'esperanza'),
      app.client.newUser({ name: 'Marcos Díaz' }, 'rep1'),
      app.client.newUser({ name: 'Julia Torres' }, 'rep2'),
      app.client.newUser({ name: 'Hugo Molina' }, 'rep3'),
    ]);
    const ad = await newAd(app, seller.access, adBody({ title: `Sembradora ${key} de grano fino` }));
    const reasons = [['fraud', 'Pide una seña por transferencia.'], ['spam', null], ['other', 'Está repetido.']];
    for (const [i, r] of reporters.entries()) {
      const [reason, details] = reasons[i];
      expectJson(await app.client.call('POST', `/api/ads/${ad.id}/report`, { token: r.access, body: { reason, details } }), 201, 'report');
    }
    const found = async () => expectJson(await app.client.call('GET', `/api/ads?q=${key}`), 200, 'search').items.map((a) => a.id);
    assert.deepEqual(await found(), [], 'three reports hide the ad');

    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await takeOver(page, admin, '/');
      await (await accountItem(page, 'link', 'Denuncias')).click();
      await page.getByRole('heading', { level: 1, name: 'Denuncias' }).waitFor();
      const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: ad.title }) });
      await item.waitFor();
      await item.getByText('3 denuncias', { exact: true }).waitFor();
      await item.getByText('Oculto en revisión').waitFor();
      for (const name of ['Marcos Díaz', 'Julia Torres', 'Hugo Molina']) await item.getByText(`Denunció: ${name}`).waitFor();
      await item.getByText('Fraude o estafa').waitFor();
      await item.getByText('Pide una seña por transferencia.').waitFor();
      assert.equal(await page.getByRole('link', { name: 'Pendientes' }).getAttribute('aria-current'), 'page');
      assert.equal(await page.getByRole('button', { name: 'Ver más' }).count(), 0, 'one page: no "Ver más"');
      assert.deepEqual(await axeSerious(page), [], 'the queue: no serious or critical axe violation');
      await screenshot(page, 'denuncias', PHONE);

      await item.getByLabel('Nota para quien publicó (opcional)').fill('Revisamos el aviso y está bien.');
      // The decision is held on its way (the server answers it once let
      // go): meanwhile "Eliminar", busy but still pressable, asks nothing.
      const decision = await holdRequests(page, `**/api/admin/ads/${ad.id}/moderate`);
      await item.getByRole('button', { name: 'Descartar' }).click();
      await decision.held;
      await item.getByRole('button', { name: 'Eliminar' }).click({ force: true });
      assert.equal(await item.getByText('No se puede deshacer', { exact: false }).count(), 0, 'no confirmation while a decision runs');
      const moderated = page.waitForResponse((r) => r.url().endsWith(`/api/admin/ads/${ad.id}/moderate`));
      decision.release();
      const answer = await moderated;
      await page.unrouteAll();
      assert.equal(answer.status(), 200);
      assert.deepEqual(JSON.parse(answer.request().postData()), { action: 'dismiss', note: 'Revisamos el aviso y está bien.' });
      await page.getByRole('status').getByText(`Descartaste las denuncias de “${ad.title}”`, { exact: false }).first().waitFor();
      await item.waitFor({ state: 'detached' });
      assert.deepEqual(await found(), [ad.id], 'dismissed: back in search');

      // The resolved tab keeps the history.
      await page.getByRole('link', { name: 'Resueltas' }).click();
      await page.getByRole('link', { name: 'Resueltas' }).and(page.locator('[aria-current="page"]')).waitFor();
      await page.getByRole('heading', { name: ad.title }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Descartar' }).count(), 0);
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });

  it('an admin removes a reported ad ("Eliminar", confirmed): it leaves the queue and the search, and its owner is told live', async () => {
    const key = word('enfardadora');
    const [admin, seller, reporter] = await Promise.all([
      newAdmin(app),
      app.client.newUser({ name: 'Chacra Los Álamos' }, 'alamos'),
      app.client.newUser({ name: 'Sergio Funes' }, 'funes'),
    ]);
    const ad = await newAd(app, seller.access, adBody({ title: `Enfardadora ${key} con la seña por adelantado` }));
    expectJson(await app.client.call('POST', `/api/ads/${ad.id}/report`, { token: reporter.access, body: { reason: 'fraud', details: 'Pide la seña por adelantado.' } }), 201, 'report');
    const found = async () => expectJson(await app.client.call('GET', `/api/ads?q=${key}`), 200, 'search').items.map((a) => a.id);
    assert.deepEqual(await found(), [ad.id], 'one report does not hide it');

    const [ctxOwner, ctxAdmin] = await Promise.all([newContext(browser, PHONE, { baseURL: app.url }), newContext(browser, DESKTOP, { baseURL: app.url })]);
    try {
      // The owner waits in Mis avisos, nothing unread.
      const owner = await ctxOwner.newPage();
      await takeOver(owner, seller, '/mis-avisos');
      const mine = owner.getByRole('list', { name: 'Mis avisos' });
      await mine.getByRole('listitem').filter({ hasText: ad.title }).waitFor();

      const page = await ctxAdmin.newPage();
      const decisions = [];
      page.on('request', (r) => r.url().endsWith(`/api/admin/ads/${ad.id}/moderate`) && decisions.push(JSON.parse(r.postData())));
      await takeOver(page, admin, '/admin/denuncias');
      const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: ad.title }) });
      await item.getByText('Denunció: Sergio Funes').waitFor();
      const group = item.getByRole('group', { name: `Decisión sobre ${ad.title}` });
      await item.getByLabel('Nota para quien publicó (opcional)').fill('Pedir seña por adelantado no está permitido.');

      // "Eliminar" asks first; "Cancelar" sends nothing and gives the focus back.
      await group.getByRole('button', { name: 'Eliminar' }).click();
      await group.getByText(`¿Eliminar “${ad.title}”? No se puede deshacer.`).waitFor();
      const cancel = group.getByRole('button', { name: 'Cancelar' });
      assert.ok(await cancel.evaluate((el) => el === document.activeElement), '"Cancelar" has the focus');
      assert.deepEqual(await axeSerious(page), [], 'the confirmation: no serious or critical axe violation');
      await cancel.click();
      await page.waitForFunction(() => document.activeElement?.textContent === 'Eliminar');
      assert.deepEqual(await group.getByRole('button').allTextContents(), ['Descartar', 'Pausar', 'Eliminar']);
      assert.deepEqual(decisions, [], 'nothing sent');

      await group.getByRole('button', { name: 'Eliminar' }).click();
      const moderated = page.waitForResponse((r) => r.url().endsWith(`/api/admin/ads/${ad.id}/moderate`));
      await group.getByRole('button', { name: 'Sí, eliminar' }).click();
      const answer = await moderated;
      assert.equal(answer.status(), 200);
      assert.deepEqual(await answer.json(), { ad_id: ad.id, action: 'delete', resolved_reports: 1 });
      assert.deepEqual(decisions, [{ action: 'delete', note: 'Pedir seña por adelantado no está permitido.' }]);
      const notice = page.getByRole('main').getByRole('status').getByText(`Eliminaste “${ad.title}”.`, { exact: true });
      await notice.waitFor();
      assert.ok(await notice.evaluate((el) => el === document.activeElement), 'the notice has the focus');
      await item.waitFor({ state: 'detached' });

      // Gone from the search (the header's box) and from its page.
      await page.getByLabel('Buscar avisos').fill(key);
      await page.getByLabel('Buscar avisos').press('Enter');
      await expectCards(page, []);
      assert.deepEqual(await found(), []);
      await page.goto(`/avisos/${ad.id}`);
      await page.getByRole('heading', { level: 1, name: 'Este aviso no existe o ya no está publicado.' }).waitFor();
      // "Resueltas" keeps it, as removed, without the decision.
      await page.goto('/admin/denuncias?estado=resueltas');
      const resolved = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: ad.title }) });
      await resolved.getByText('Eliminado', { exact: true }).waitFor();
      assert.equal(await resolved.getByRole('button').count(), 0);

      // The owner is told without a reload, with the note; the ad is gone
      // from Mis avisos.
      const unread = await accountItem(owner, 'link', /Notificaciones.*1 notificación sin leer/);
      await unread.waitFor();
      await unread.click();
      const told = owner.getByRole('main').getByText(`Un moderador eliminó tu aviso “${ad.title}”. Nota: Pedir seña por adelantado no está permitido.`, { exact: true });
      await told.waitFor();
      assert.equal(await owner.getByRole('main').getByRole('link', { name: /Un moderador eliminó/ }).count(), 0, 'no link to an ad that is gone');
      await (await accountItem(owner, 'link', 'Mis avisos')).click();
      await owner.getByText('Todavía no publicaste avisos.').waitFor();
      assertNoProblems(ctxAdmin);
      assertNoProblems(ctxOwner);
    } finally {
      await ctxOwner.close();
      await ctxAdmin.close();
    }
  });

  it('"Ver más" brings the next page of the queue (21 reported ads, 20 a page)', async () => {
    const key = word('rastra');
    const [admin, seller, reporter] = await Promise.all([
      newAdmin(app),
      app.client.newUser({ name: 'Estancia El Ombú' }, 'ombu'),
      app.client.newUser({ name: 'Inés Paz' }, 'ines'),
    ]);
    const ads = [];
    for (let i = 0; i < 21; i++) ads.push(await newAd(app, seller.access, adBody({ title: `Rastra ${key} número ${i + 1}` })));
    await Promise.all(ads.map(async (ad) => expectJson(await app.client.call('POST', `/api/ads/${ad.id}/report`, { token: reporter.access, body: { reason: 'spam' } }), 201, 'report')));
    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await takeOver(page, admin, '/admin/denuncias');
      const queue = page.getByRole('list', { name: 'Pendientes' });
      await queue.getByRole('heading', { name: ads[20].title, exact: true }).waitFor();
      // Ties (one report each) come newest first: the first ad is on page two.
      assert.equal(await queue.locator('.queue-item').count(), 20);
      assert.equal(await queue.getByRole('heading', { name: ads[0].title, exact: true }).count(), 0);
      await page.getByRole('button', { name: 'Ver más' }).click();
      await queue.getByRole('heading', { name: ads[0].title, exact: true }).waitFor();
      assert.equal(await queue.locator('.queue-item').count(), 21);
      await page.getByRole('button', { name: 'Ver más' }).waitFor({ state: 'hidden' });
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });

  it('a person who is not an admin gets a Spanish refusal and no "Denuncias" link', async () => {
    const u = await app.client.newUser({ name: 'Tomás Acosta' }, 'tomas');
    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await takeOver(page, u, '/admin/denuncias');
      await page.getByRole('alert').getByText('No estás autorizado para ver esta página.', { exact: false }).waitFor();
      await (await accountItem(page, 'link', 'Mi cuenta')).waitFor(); // the menu open
      assert.equal(await account(page).getByRole('link', { name: 'Denuncias' }).count(), 0);
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });
});

describe('Mi cuenta with SESSION_STORE=stateless', () => {
  let stateless;
  before(async () => {
    stateless = await startApp({ extra: { SESSION_STORE: 'stateless' } });
  });
  after(async () => {
    await stateless?.stop();
  });

  it('the sessions routes answer 501: a Spanish note instead of the list', async () => {
    const u = await stateless.client.newUser({ name: 'Elsa Giménez' }, 'elsa');
    const ctx = await newContext(browser, PHONE, { baseURL: stateless.url });
    try {
      const page = await ctx.newPage();
      await takeOver(page, u, '/cuenta');
      await page.getByText('En este servidor las sesiones no se pueden ver ni cerrar una por una', { exact: false }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Cerrar todas las sesiones' }).count(), 0);
      await page.getByLabel('Nombre').waitFor();
      // The browser logs the 501 the page expects and handles as a resource error.
      ctx.problems = ctx.problems.filter((p) => !/status of 501 \(Not Implemented\)$/.test(p));
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });
});
