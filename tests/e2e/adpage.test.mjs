// The ad page for its owner and for admins (docs/WEB.md "The ad page for its
// owner and admins"), in Debian's chromium at phone width: the page asks the
// detail with the person's token, so the owner of a paused or sold ad reaches
// it from Mis avisos, reads what the status means and changes it there; an
// expired access token is renewed and the request retried; a session that
// ended falls back to the public page; an admin sees a hidden (under review)
// or paused ad of someone else with a note; anonymous visitors still get the
// 404. axe-core on the owner's page. Data through the API; every answer is
// the server's own (the expired token really expires on a server of 2 s
// tokens, the ended session is really revoked).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { PHONE, assertNoProblems, axeSerious, expectJson, holdRequests, loggedInContext, newAd, newAdmin, newContext, screenshot, startApp, startAppAndBrowser } from './lib/browser.mjs';

let app;
let browser;
let seller;
let paused;
let sold;
let hidden;
const contexts = [];

before(async () => {
  ({ app, browser } = await startAppAndBrowser());
  seller = await app.client.newUser({ name: 'Marta Chacarera' }, 'marta');
  paused = await newAd(app, seller.access, { title: 'Sembradora Agrometal pausada' });
  sold = await newAd(app, seller.access, { title: 'Rastra de discos vendida' });
  hidden = await newAd(app, seller.access, { title: 'Tolva Cestari denunciada' });
  await app.client.patchOk(seller.access, paused.id, { status: 'paused' });
  await app.client.patchOk(seller.access, sold.id, { status: 'sold' });
  // Three people report it: hidden under review (REPORTS_AUTO_HIDE=3).
  for (const i of [1, 2, 3]) {
    const r = await app.client.newUser({ name: `Denunciante ${i}` }, `rep${i}`);
    expectJson(await app.client.call('POST', `/api/ads/${hidden.id}/report`, { token: r.access, body: { reason: 'spam' } }), 201, 'report');
  }
});

after(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await app?.stop();
});

/** A phone context, anonymous or logged in as user with a session of its
 *  own (refresh tokens rotate: two contexts must not share one). */
async function context(user) {
  const ctx = user ? await loggedInContext(browser, PHONE, { baseURL: app.url, user: await app.client.newSession(user) }) : await newContext(browser, PHONE, { baseURL: app.url });
  contexts.push(ctx);
  return ctx;
}

const notFound = (page) => page.getByRole('heading', { level: 1, name: 'Este aviso no existe o ya no está publicado.' });
const actions = (page) => page.getByRole('group', { name: 'Acciones para tu aviso' });

describe('the ad page for its owner and admins', () => {
  it('anonymous visitors get the 404 of a paused or hidden ad', async () => {
    const page = await (await context(null)).newPage();
    await page.goto(`/avisos/${paused.id}`);
    await notFound(page).waitFor();
    await page.goto(`/avisos/${hidden.id}`);
    await notFound(page).waitFor();
    assertNoProblems(page.context());
  });

  it('the owner follows Mis avisos to the paused ad, reads the note and reactivates it there', async () => {
    const page = await (await context(seller)).newPage();
    await page.goto('/mis-avisos');
    await page.getByRole('link', { name: paused.title }).click();
    await page.waitForURL((u) => u.pathname === `/avisos/${paused.id}`);
    await page.getByRole('heading', { level: 1, name: paused.title }).waitFor();
    await page.getByText('Este aviso está pausado', { exact: false }).waitFor();
    const group = actions(page);
    assert.deepEqual(await group.getByRole('button').allTextContents(), ['Reactivar', 'Marcar vendido', 'Eliminar']);
    await group.getByRole('link', { name: 'Editar tu aviso' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /Denunciar aviso|Guardar en favoritos/ }).count(), 0, 'no report or favorite on one\'s own ad');
    assert.deepEqual(await axeSerious(page), [], 'the owner\'s paused ad: no serious or critical axe violation');
    await screenshot(page, 'ad-owner-paused', PHONE);

    await group.getByRole('button', { name: 'Reactivar' }).click();
    await group.getByRole('button', { name: 'Pausar' }).waitFor();
    assert.equal(await page.getByText('Este aviso está pausado', { exact: false }).count(), 0, 'the note goes with the pause');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Pausar', 'the focus is on the new moves');
    expectJson(await app.client.ad(paused.id), 200, 'public again');
    assertNoProblems(page.context());
  });

  it('a sold ad: the note and only "Reactivar" (and "Eliminar"); an expired access token is renewed and the request retried', { timeout: 90000 }, async () => {
    // A server whose access tokens live 2 s, and the page's timers paused
    // (playwright's clock) so that the app's early renewal never fires: the
    // token the app holds really expires, and the server really refuses it.
    const short = await startApp({ extra: { ACCESS_TOKEN_TTL_S: '2' } });
    try {
      const owner = await short.client.newUser({ name: 'Marta Chacarera' }, 'martashort');
      const soldHere = await newAd(short, owner.access, { title: 'Rastra de discos vendida' });
      await short.client.patchOk(owner.access, soldHere.id, { status: 'sold' });
      const ctx = await loggedInContext(browser, PHONE, { baseURL: short.url, user: await short.client.newSession(owner) });
      contexts.push(ctx);
      const page = await ctx.newPage();
      await page.clock.install();
      await page.goto('/mis-avisos');
      await page.getByRole('link', { name: soldHere.title }).waitFor(); // logged in: the access token is in memory
      // Paused a little ahead of the page's own clock (pausing at a time it
      // has passed is refused): a renewal due meanwhile fires once, before
      // the wait, and its token expires like the first.
      await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 2000);
      // Past the token's exp (2 s) and the server's 30 s of allowed clock
      // skew (AUTH_TOKEN_SKEW_S), with a second to spare.
      await new Promise((resolve) => setTimeout(resolve, 33500));
      const refused = [];
      let renewed = 0;
      page.on('request', (r) => r.url().endsWith('/api/auth/refresh') && renewed++);
      page.on('response', (r) => {
        if (r.url().endsWith(`/api/ads/${soldHere.id}`) && r.status() === 401) refused.push(r.request().headers().authorization ? 'with a token' : 'anonymous');
      });
      await page.getByRole('link', { name: soldHere.title }).click();
      await page.getByText('Este aviso está vendido', { exact: false }).waitFor();
      assert.deepEqual(await actions(page).getByRole('button').allTextContents(), ['Reactivar', 'Eliminar']);
      assert.deepEqual(refused, ['with a token'], 'the expired token refused once by the server');
      assert.equal(renewed, 1, 'one renewal');
      await page.clock.resume();
    } finally {
      await short.stop();
    }
  });

  it('a session that ended meanwhile falls back to the public page', async () => {
    const other = await app.client.newUser({ name: 'Pedro Visitante' }, 'pedro');
    const open = await newAd(app, seller.access, { title: 'Acoplado tolva a la vista' });
    const ctx = await context(other);
    const page = await ctx.newPage();
    await page.goto('/favoritos');
    await page.getByRole('heading', { level: 1, name: 'Favoritos' }).waitFor();
    // Every session of Pedro's ends from another device, for real.
    const elsewhere = await app.client.newSession(other);
    assert.equal((await app.client.logoutAll(elsewhere.access)).status, 204);
    // In the app: search, then the card.
    await page.getByLabel('Buscar avisos').fill('Acoplado tolva');
    await page.getByLabel('Buscar avisos').press('Enter');
    await page.getByRole('main').getByRole('link', { name: new RegExp(open.title) }).click();
    await page.getByRole('heading', { level: 1, name: open.title }).waitFor();
    await page.getByRole('navigation', { name: 'Cuenta' }).getByRole('link', { name: 'Ingresar' }).waitFor();
  });

  it('a reload of one\'s own ad never shows "Enviar mensaje" (decided once the session is restored); another person gets it', async () => {
    const own = await newAd(app, seller.access, { title: 'Enfardadora propia recargada' });
    const page = await (await context(seller)).newPage();
    // Records whether a visible "Enviar mensaje" was ever in the page.
    await page.addInitScript(() => {
      window.sawMessageButton = false;
      const look = () => {
        for (const a of document.querySelectorAll('a')) if (a.textContent === 'Enviar mensaje' && !a.closest('[hidden]')) window.sawMessageButton = true;
      };
      new MutationObserver(look).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['hidden'] });
    });
    // GET /api/me (which names the person after a reload) is held until the
    // ad is drawn: the page must not decide before it answers.
    const me = await holdRequests(page, '**/api/me');
    await page.goto(`/avisos/${own.id}`);
    await page.getByRole('heading', { level: 1, name: own.title }).waitFor();
    me.release();
    await actions(page).getByRole('link', { name: 'Editar tu aviso' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Enviar mensaje' }).count(), 0);
    assert.equal(await page.evaluate(() => window.sawMessageButton), false, '"Enviar mensaje" never shown to the owner');

    const buyer = await app.client.newUser({ name: 'Nora Compradora' }, 'nora');
    const other = await (await context(buyer)).newPage();
    await other.goto(`/avisos/${own.id}`);
    await other.getByRole('link', { name: 'Enviar mensaje' }).waitFor();
    assertNoProblems(page.context());
    assertNoProblems(other.context());
  });

  it('an admin sees someone else\'s hidden and paused ads with a note; the owner sees the hidden one too', async () => {
    const admin = await newAdmin(app);
    await app.client.patchOk(seller.access, paused.id, { status: 'paused' });
    const page = await (await context(admin)).newPage();
    await page.goto(`/avisos/${hidden.id}`);
    await page.getByRole('heading', { level: 1, name: hidden.title }).waitFor();
    await page.getByText('Oculto en revisión por denuncias.', { exact: false }).waitFor();
    await page.getByRole('link', { name: 'Ir a Denuncias' }).waitFor();
    await page.goto(`/avisos/${paused.id}`);
    await page.getByText('Este aviso no está publicado (Pausado).', { exact: false }).waitFor();
    assertNoProblems(page.context());

    const owner = await (await context(seller)).newPage();
    await owner.goto(`/avisos/${hidden.id}`);
    await owner.getByText('Este aviso está oculto mientras revisamos denuncias.', { exact: false }).waitFor();
    assert.deepEqual(await actions(owner).getByRole('button').allTextContents(), ['Pausar', 'Marcar vendido', 'Eliminar']);
  });
});
