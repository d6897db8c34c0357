// A person's own lists and the edit screen (docs/WEB.md "Selling"), in
// Debian's chromium: "Quitar de favoritos" on each card of Favoritos (the
// card leaves, the change is announced, the focus moves to the next card's
// button, then to the heading with the empty state); Mis avisos filtered by
// status through ?estado= (kept on a reload), and past its first page with
// "Ver más"; Favoritos past its first page with the same "Ver más";
// "Eliminar" on the owner's ad page (Mis avisos's confirmation: Escape and
// "Cancelar" keep the ad; then Mis avisos says it is gone, and its address
// that it does not exist); the edit screen of someone else's ad says at
// once that it is not theirs, and a missing ad that it does not exist;
// leaving the edit screen while a photo uploads asks first (a dialog of the
// app's own for its links, the browser's beforeunload for closing the tab).
// axe-core on each new state. Data through the API.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { uniqueWord } from '../integration/lib/catalog.mjs';
import { DESKTOP, PHONE, accountItem, adBody, assertNoProblems, axeSerious, expectJson, holdRequests, loggedInContext, newAd, screenshot, startAppAndBrowser } from './lib/browser.mjs';
import { encodePng } from './lib/png.mjs';

let app;
let browser;
const contexts = [];

before(async () => {
  ({ app, browser } = await startAppAndBrowser());
});

after(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await app?.stop();
});

/** A context at size in which user is logged in (a session of its own). */
async function context(size, user) {
  const ctx = await loggedInContext(browser, size, { baseURL: app.url, user: await app.client.newSession(user) });
  contexts.push(ctx);
  return ctx;
}

/** The element that has the focus, as "role: text" for the assertion messages. */
const focused = (page) => page.evaluate(() => `${document.activeElement?.tagName}: ${document.activeElement?.textContent}`);

describe('my lists and the edit screen', () => {
  it('Favoritos: "Quitar de favoritos" takes each card out, announced, the focus on the next one, then the empty state', async () => {
    const seller = await app.client.newUser({ name: 'Estancia La Paz' }, 'lapaz');
    const buyer = await app.client.newUser({ name: 'Julia Tambera' }, 'julia');
    const word = uniqueWord('fav');
    const first = await newAd(app, seller.access, adBody({ title: `Tractor ${word} primero` }));
    const second = await newAd(app, seller.access, adBody({ title: `Tractor ${word} segundo` }));
    for (const ad of [first, second]) assert.equal((await app.client.call('PUT', `/api/ads/${ad.id}/favorite`, { token: buyer.access })).status, 204);

    const ctx = await context(PHONE, buyer);
    const page = await ctx.newPage();
    await page.goto('/favoritos');
    const list = page.getByRole('list', { name: 'Favoritos' });
    await list.getByRole('link', { name: new RegExp(first.title) }).waitFor();
    const buttons = list.getByRole('button', { name: /^Quitar de favoritos/ });
    assert.equal(await buttons.count(), 2);
    assert.deepEqual(await axeSerious(page), [], 'Favoritos with its buttons: no serious or critical axe violation');
    await screenshot(page, 'favorites', PHONE);

    // The newest favorite comes first; whichever it is, the other one is next.
    const titles = await list.getByRole('heading').allTextContents();
    const [top, other] = titles[0] === first.title ? [first, second] : [second, first];
    let removed = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${top.id}/favorite`) && r.request().method() === 'DELETE');
    await list.getByRole('button', { name: `Quitar de favoritos: ${top.title}` }).click();
    assert.equal((await removed).status(), 204);
    await list.getByRole('link', { name: new RegExp(top.title) }).waitFor({ state: 'detached' });
    await page.locator('#status').getByText(`Quitamos “${top.title}” de tus favoritos.`).waitFor();
    assert.ok(
      await list.getByRole('button', { name: `Quitar de favoritos: ${other.title}` }).evaluate((el) => el === document.activeElement),
      `the focus is on the next card's button (${await focused(page)})`,
    );

    // The last one, from the keyboard: the empty state, the focus on the heading.
    removed = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${other.id}/favorite`) && r.request().method() === 'DELETE');
    await page.keyboard.press('Enter');
    assert.equal((await removed).status(), 204);
    await page.getByRole('main').getByText('Aún no guardaste avisos.', { exact: false }).waitFor();
    assert.equal(await list.count(), 0);
    assert.ok(await page.getByRole('heading', { level: 1, name: 'Favoritos' }).evaluate((el) => el === document.activeElement), `the focus is on the heading (${await focused(page)})`);
    assert.deepEqual(await axeSerious(page), [], 'Favoritos empty: no serious or critical axe violation');
    assert.deepEqual(expectJson(await app.client.call('GET', '/api/me/favorites', { token: buyer.access }), 200, 'favorites').items, []);
    await page.reload();
    await page.getByRole('main').getByText('Aún no guardaste avisos.', { exact: false }).waitFor();
    assertNoProblems(ctx, 'Favoritos');
  });

  it('Mis avisos filtered by status: ?estado= in the URL, kept on a reload; an empty status says so', async () => {
    const seller = await app.client.newUser({ name: 'Chacra Don Luis' }, 'donluis');
    const word = uniqueWord('mine');
    const active = await newAd(app, seller.access, adBody({ title: `Tractor ${word} publicado` }));
    const paused = await newAd(app, seller.access, adBody({ title: `Sembradora ${word} pausada`, category_id: 103, attributes: {} }));
    const sold = await newAd(app, seller.access, adBody({ title: `Rastra ${word} vendida`, category_id: 105, attributes: {} }));
    await app.client.patchOk(seller.access, paused.id, { status: 'paused' });
    await app.client.patchOk(seller.access, sold.id, { status: 'sold' });

    const ctx = await context(DESKTOP, seller);
    const page = await ctx.newPage();
    const list = page.getByRole('list', { name: 'Mis avisos' });
    const tabs = page.getByRole('navigation', { name: 'Filtrar por estado' });
    const shown = async (ads) => {
      const want = ads.map((a) => a.title).sort();
      try {
        await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll('main .my-ads .card-title')].map((e) => e.textContent).sort()) === JSON.stringify(w), want);
      } catch {
        /* the assertion says what was shown instead */
      }
      assert.deepEqual((await list.getByRole('heading').allTextContents()).sort(), want);
    };
    await page.goto('/mis-avisos');
    await shown([active, paused, sold]);
    assert.equal(await tabs.getByRole('link', { name: 'Todos' }).getAttribute('aria-current'), 'page');

    const asked = page.waitForRequest((r) => r.url().includes('/api/me/ads?'));
    await tabs.getByRole('link', { name: 'Pausados' }).click();
    assert.equal(new URL((await asked).url()).searchParams.get('status'), 'paused');
    await page.waitForURL((u) => u.pathname === '/mis-avisos' && u.search === '?estado=pausados');
    await shown([paused]);
    assert.equal(await tabs.getByRole('link', { name: 'Pausados' }).getAttribute('aria-current'), 'page');
    assert.equal(await tabs.getByRole('link', { name: 'Todos' }).getAttribute('aria-current'), null);
    assert.deepEqual(await axeSerious(page), [], 'Mis avisos filtered: no serious or critical axe violation');
    await screenshot(page, 'my-ads-paused', DESKTOP);

    await page.reload();
    await shown([paused]);
    assert.equal(await tabs.getByRole('link', { name: 'Pausados' }).getAttribute('aria-current'), 'page');
    assert.equal(await page.title(), 'Mis avisos: Pausados — Rural24');

    await tabs.getByRole('link', { name: 'Vendidos' }).click();
    await page.waitForURL((u) => u.search === '?estado=vendidos');
    await shown([sold]);
    await tabs.getByRole('link', { name: 'Publicados' }).click();
    await page.waitForURL((u) => u.search === '?estado=publicados');
    await shown([active]);
    await tabs.getByRole('link', { name: 'Vencidos' }).click();
    await page.waitForURL((u) => u.search === '?estado=vencidos');
    await page.getByRole('main').getByText('No tenés avisos vencidos.').waitFor();
    assert.equal(await list.count(), 0);
    assert.deepEqual(await axeSerious(page), [], 'Mis avisos with an empty status: no serious or critical axe violation');

    // The back button returns to the previous filter; an unknown value is "Todos".
    await page.goBack();
    await page.waitForURL((u) => u.search === '?estado=publicados');
    await shown([active]);
    await page.goto('/mis-avisos?estado=borradores');
    await shown([active, paused, sold]);
    assert.equal(await tabs.getByRole('link', { name: 'Todos' }).getAttribute('aria-current'), 'page');
    assertNoProblems(ctx, 'Mis avisos');
  });

  it('Mis avisos past its first page: "Ver más" brings the rest (also filtered), the focus on the first new ad', async () => {
    const seller = await app.client.newUser({ name: 'Acopio Los Tres' }, 'acopio');
    const word = uniqueWord('many');
    const ads = [];
    for (let i = 1; i <= 23; i++) ads.push(await newAd(app, seller.access, adBody({ title: `Tractor ${word} número ${i}` })));
    await app.client.patchOk(seller.access, ads[0].id, { status: 'paused' }); // the oldest: on the second page of "Todos"

    const ctx = await context(PHONE, seller);
    const page = await ctx.newPage();
    const list = page.getByRole('list', { name: 'Mis avisos' });
    const more = page.getByRole('main').getByRole('button', { name: 'Ver más' });
    await page.goto('/mis-avisos');
    await list.getByRole('link', { name: ads[22].title }).waitFor(); // the newest first
    assert.equal(await list.getByRole('listitem').count(), 20, 'one page of the API');
    assert.equal(await list.getByRole('link', { name: ads[0].title, exact: true }).count(), 0);
    await more.click();
    await list.getByRole('link', { name: ads[0].title, exact: true }).waitFor();
    assert.equal(await list.getByRole('listitem').count(), 23);
    await more.waitFor({ state: 'hidden' });
    assert.ok(await list.getByRole('link', { name: ads[2].title, exact: true }).evaluate((el) => el === document.activeElement), `the focus is on the first ad brought (${await focused(page)})`);
    assert.deepEqual(await axeSerious(page), [], 'Mis avisos with its second page: no serious or critical axe violation');

    // Filtered, the API pages by the status: the paused one alone, no "Ver más".
    await page.getByRole('navigation', { name: 'Filtrar por estado' }).getByRole('link', { name: 'Pausados' }).click();
    await page.waitForURL((u) => u.search === '?estado=pausados');
    await list.getByRole('link', { name: ads[0].title, exact: true }).waitFor();
    assert.equal(await list.getByRole('listitem').count(), 1);
    assert.equal(await more.isVisible(), false);
    await page.getByRole('navigation', { name: 'Filtrar por estado' }).getByRole('link', { name: 'Publicados' }).click();
    await page.waitForURL((u) => u.search === '?estado=publicados');
    await list.getByRole('link', { name: ads[22].title }).waitFor();
    assert.equal(await list.getByRole('listitem').count(), 20);
    await more.click();
    await list.getByRole('link', { name: ads[1].title, exact: true }).waitFor();
    assert.equal(await list.getByRole('listitem').count(), 22);
    assert.equal(await list.getByRole('link', { name: ads[0].title, exact: true }).count(), 0, 'the paused one is not among the published');
    assertNoProblems(ctx, 'Mis avisos, two pages');
  });

  it('Favoritos past its first page: "Ver más" brings the rest once, the focus on the first new card', async () => {
    const seller = await app.client.newUser({ name: 'Remates El Trébol' }, 'trebol');
    const buyer = await app.client.newUser({ name: 'Nora Invernadora' }, 'nora');
    const word = uniqueWord('favs');
    const ads = [];
    for (let i = 1; i <= 22; i++) ads.push(await newAd(app, seller.access, adBody({ title: `Tractor ${word} favorito ${i}` })));
    for (const ad of ads) assert.equal((await app.client.call('PUT', `/api/ads/${ad.id}/favorite`, { token: buyer.access })).status, 204);
    const all = ads.map((a) => `/avisos/${a.id}`).sort();

    const ctx = await context(PHONE, buyer);
    const page = await ctx.newPage();
    const list = page.getByRole('list', { name: 'Favoritos' });
    const more = page.getByRole('main').getByRole('button', { name: 'Ver más' });
    const hrefs = () => list.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    await page.goto('/favoritos');
    await more.waitFor();
    const firstPage = await hrefs();
    assert.equal(firstPage.length, 20, 'one page of 20, as in Mis avisos');
    const rest = all.filter((href) => !firstPage.includes(href));
    assert.equal(rest.length, 2, 'two favorites wait for "Ver más"');
    assert.deepEqual(await axeSerious(page), [], 'Favoritos with "Ver más": no serious or critical axe violation');

    await more.click();
    await list.locator(`a[href="${rest[0]}"]`).waitFor();
    await more.waitFor({ state: 'hidden' });
    const shown = await hrefs();
    assert.equal(shown.length, 22, 'the 21st and 22nd favorites are there');
    assert.deepEqual([...shown].sort(), all, 'every favorite once, no card twice');
    assert.deepEqual(shown.slice(0, 20), firstPage, 'the first page stays as it was, the rest below it');
    assert.ok(await list.locator(`a[href="${shown[20]}"]`).evaluate((el) => el === document.activeElement), `the focus is on the first card brought (${await focused(page)})`);
    assert.equal(await list.getByRole('button', { name: /^Quitar de favoritos/ }).count(), 22, 'each card brought has its "Quitar de favoritos"');
    assert.deepEqual(await axeSerious(page), [], 'Favoritos with its second page: no serious or critical axe violation');
    await screenshot(page, 'favorites-more', PHONE);
    assertNoProblems(ctx, 'Favoritos, two pages');
  });

  it('"Eliminar" on the owner\'s ad page asks first (Escape and "Cancelar" keep the ad), then deletes it and lands on Mis avisos', async () => {
    const seller = await app.client.newUser({ name: 'Cabaña Las Moras' }, 'moras');
    const word = uniqueWord('borra');
    const kept = await newAd(app, seller.access, adBody({ title: `Tractor ${word} que queda` }));
    const gone = await newAd(app, seller.access, adBody({ title: `Sembradora ${word} que se va`, category_id: 103, attributes: {} }));
    const ctx = await context(PHONE, seller);
    const page = await ctx.newPage();
    const group = page.getByRole('group', { name: 'Acciones para tu aviso' });
    const remove = group.getByRole('button', { name: 'Eliminar', exact: true });
    const question = group.getByText(`¿Eliminar “${gone.title}”? No se puede deshacer.`);
    const hasFocus = (locator) => locator.evaluate((el) => el === document.activeElement);

    await page.goto(`/avisos/${gone.id}`);
    await page.getByRole('heading', { level: 1, name: gone.title }).waitFor();
    await remove.click();
    await question.waitFor();
    assert.ok(await hasFocus(group.getByRole('button', { name: 'Cancelar' })), `"Cancelar" has the focus (${await focused(page)})`);
    await group.getByRole('button', { name: 'Sí, eliminar' }).waitFor();
    assert.deepEqual(await axeSerious(page), [], 'the confirmation on the ad page: no serious or critical axe violation');
    await screenshot(page, 'ad-owner-remove', PHONE);

    // Escape keeps the ad, the focus back on "Eliminar"; so does "Cancelar".
    await page.keyboard.press('Escape');
    await question.waitFor({ state: 'detached' });
    assert.ok(await hasFocus(remove), `Escape: the focus is back on "Eliminar" (${await focused(page)})`);
    await page.keyboard.press('Enter');
    await question.waitFor();
    await group.getByRole('button', { name: 'Cancelar' }).click();
    await question.waitFor({ state: 'detached' });
    assert.ok(await hasFocus(remove), `"Cancelar": the focus is back on "Eliminar" (${await focused(page)})`);
    assert.equal(expectJson(await app.client.ad(gone.id), 200, 'the ad after cancelling').status, 'active');

    // "Sí, eliminar": DELETE, then Mis avisos says so and lists only the other ad.
    await remove.click();
    const deleted = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${gone.id}`) && r.request().method() === 'DELETE');
    await group.getByRole('button', { name: 'Sí, eliminar' }).click();
    assert.equal((await deleted).status(), 204);
    await page.waitForURL((u) => u.pathname === '/mis-avisos');
    const myAds = page.getByRole('list', { name: 'Mis avisos' });
    await myAds.getByRole('link', { name: kept.title }).waitFor();
    await page.getByRole('main').getByText('Eliminaste el aviso.', { exact: true }).waitFor();
    assert.equal(await page.locator('#status').textContent(), 'Eliminaste el aviso.', 'announced');
    assert.equal(await myAds.getByRole('link', { name: gone.title }).count(), 0, 'the deleted ad is not in Mis avisos');
    assert.equal(await myAds.getByRole('listitem').count(), 1);
    assert.deepEqual(await axeSerious(page), [], 'Mis avisos after deleting from the ad page: no serious or critical axe violation');
    await screenshot(page, 'my-ads-deleted', PHONE);

    // Its address now says it does not exist (back, and typed again).
    await page.goBack();
    await page.waitForURL((u) => u.pathname === `/avisos/${gone.id}`);
    await page.getByRole('heading', { level: 1, name: 'Este aviso no existe o ya no está publicado.' }).waitFor();
    await page.goto(`/avisos/${gone.id}`);
    await page.getByRole('heading', { level: 1, name: 'Este aviso no existe o ya no está publicado.' }).waitFor();
    assert.deepEqual(await axeSerious(page), [], 'the deleted ad\'s page: no serious or critical axe violation');
    expectJson(await app.client.ad(kept.id), 200, 'the other ad stays');

    // Deleted meanwhile elsewhere (another device): the app's message under
    // the buttons, the page stays, the focus on "Sí, eliminar".
    await page.goto(`/avisos/${kept.id}`);
    await page.getByRole('heading', { level: 1, name: kept.title }).waitFor();
    assert.equal((await app.client.call('DELETE', `/api/ads/${kept.id}`, { token: seller.access })).status, 204);
    await remove.click();
    await group.getByRole('button', { name: 'Sí, eliminar' }).click();
    await page.getByRole('alert').getByText('No lo encontramos.').waitFor();
    assert.equal(new URL(page.url()).pathname, `/avisos/${kept.id}`);
    assert.ok(await hasFocus(group.getByRole('button', { name: 'Sí, eliminar' })), `the focus stays on "Sí, eliminar" (${await focused(page)})`);
    assert.deepEqual(await axeSerious(page), [], 'a refused delete: no serious or critical axe violation');
    assertNoProblems(ctx, '"Eliminar" on the ad page');
  });

  it('while a move or a delete runs, the other buttons of the group do nothing (busy buttons still take clicks)', async () => {
    const seller = await app.client.newUser({ name: 'Estancia La Paz' }, 'lapaz');
    const ad = await newAd(app, seller.access, adBody({ title: `Tractor ${uniqueWord('ocupa')} en espera` }));
    const ctx = await context(PHONE, seller);
    const page = await ctx.newPage();
    const group = page.getByRole('group', { name: 'Acciones para tu aviso' });
    const question = group.getByText(`¿Eliminar “${ad.title}”? No se puede deshacer.`);
    const sent = [];
    page.on('request', (r) => r.url().endsWith(`/api/ads/${ad.id}`) && r.method() !== 'GET' && sent.push(r.method()));
    const hold = (method) => holdRequests(page, `**/api/ads/${ad.id}`, { method });

    await page.goto(`/avisos/${ad.id}`);
    await page.getByRole('heading', { level: 1, name: ad.title }).waitFor();
    // "Pausar" runs; "Eliminar" pressed meanwhile (it only looks disabled:
    // aria-disabled) opens no confirmation and sends nothing.
    const patch = await hold('PATCH');
    await group.getByRole('button', { name: 'Pausar' }).click();
    await patch.held;
    await group.getByRole('button', { name: 'Eliminar', exact: true }).click({ force: true });
    assert.equal(await question.count(), 0, 'no confirmation while the move runs');
    patch.release();
    await group.getByRole('button', { name: 'Reactivar' }).waitFor();
    await page.unrouteAll();
    assert.deepEqual(sent, ['PATCH']);

    // "Sí, eliminar" runs; "Cancelar" pressed meanwhile does not take the
    // confirmation away: the delete's answer decides (Mis avisos).
    const del = await hold('DELETE');
    await group.getByRole('button', { name: 'Eliminar', exact: true }).click();
    await group.getByRole('button', { name: 'Sí, eliminar' }).click();
    await del.held;
    await group.getByRole('button', { name: 'Cancelar' }).click({ force: true });
    await page.keyboard.press('Escape');
    assert.equal(await question.count(), 1, 'the confirmation stays while the delete runs ("Cancelar", Escape)');
    del.release();
    await page.waitForURL((u) => u.pathname === '/mis-avisos');
    await page.getByRole('main').getByText('Eliminaste el aviso.', { exact: true }).waitFor();
    assert.deepEqual(sent, ['PATCH', 'DELETE']);
    assert.equal((await app.client.ad(ad.id)).status, 404, 'deleted');
    assertNoProblems(ctx, 'busy owner buttons');
  });

  it("the edit screen of someone else's ad says it is not theirs; a missing ad says it does not exist", async () => {
    const owner = await app.client.newUser({ name: 'Campo El Ombú' }, 'ombu');
    const other = await app.client.newUser({ name: 'Tomás Curioso' }, 'tomas');
    const ad = await newAd(app, owner.access, adBody({ title: `Tractor ${uniqueWord('ajeno')} ajeno` }));
    const ctx = await context(PHONE, other);
    const page = await ctx.newPage();
    await page.goto(`/mis-avisos/${ad.id}/editar`);
    await page.getByRole('alert').getByText('Este aviso no es tuyo: solo quien lo publicó puede editarlo.').waitFor();
    assert.equal(await page.getByLabel('Título').count(), 0, 'no form to fill in');
    assert.equal(await page.getByRole('button', { name: 'Guardar cambios' }).count(), 0);
    await page.getByRole('main').getByRole('link', { name: 'Ver el aviso' }).waitFor();
    assert.deepEqual(await axeSerious(page), [], "someone else's ad: no serious or critical axe violation");

    // In the app too (the session already restored): the ad's page has no
    // edit link for them, but a typed or old link must say the same.
    await (await accountItem(page, 'link', 'Mis avisos')).click();
    await page.getByRole('navigation', { name: 'Filtrar por estado' }).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the status tabs fit in 360 px (they wrap)');
    await screenshot(page, 'my-ads-tabs', PHONE);
    await page.goto(`/mis-avisos/${ad.id}/editar`);
    await page.getByRole('alert').getByText('Este aviso no es tuyo', { exact: false }).waitFor();

    await page.goto('/mis-avisos/987654321/editar');
    await page.getByRole('alert').getByText('Este aviso no existe o fue eliminado.').waitFor();
    await page.getByRole('main').getByRole('link', { name: 'Ir a Mis avisos' }).waitFor();
    assert.deepEqual(await axeSerious(page), [], 'a missing ad: no serious or critical axe violation');
    expectJson(await app.client.ad(ad.id), 200, 'the ad is unchanged');
    assertNoProblems(ctx, 'the edit screen');
  });

  it('leaving the edit screen while a photo uploads asks first: "Quedarme" keeps it, the tab asks before closing, "Salir igual" cancels it; the back button too', async () => {
    const seller = await app.client.newUser({ name: 'Granja Santa Rita' }, 'rita');
    const ad = await newAd(app, seller.access, adBody({ title: `Tractor ${uniqueWord('sube')} con fotos` }));
    const photo = { name: 'tractor.png', mimeType: 'image/png', buffer: encodePng(64, 48, (x, y) => [x * 3, y * 4, 90]) };
    const ctx = await context(DESKTOP, seller);
    const page = await ctx.newPage();
    const images = `**/api/ads/${ad.id}/images`;
    const hold = () => holdRequests(page, images);
    const myAdsLink = async () => accountItem(page, 'link', 'Mis avisos');
    const dialog = page.getByRole('dialog', { name: 'Todavía se están subiendo fotos' });

    await page.goto(`/mis-avisos/${ad.id}/editar`);
    await page.getByRole('heading', { level: 1, name: 'Editar aviso' }).waitFor();
    let upload = await hold();
    await page.getByLabel('Agregar fotos').setInputFiles(photo);
    await upload.held;

    // An app link: the dialog, "Quedarme" focused; Escape stays, the focus back on the link.
    await (await myAdsLink()).click();
    await dialog.waitFor();
    await dialog.getByText('Si salís ahora, se cancela la foto que falta subir.').waitFor();
    assert.ok(await dialog.getByRole('button', { name: 'Quedarme' }).evaluate((el) => el === document.activeElement), `"Quedarme" has the focus (${await focused(page)})`);
    assert.deepEqual(await axeSerious(page), [], 'the leave dialog: no serious or critical axe violation');
    await screenshot(page, 'leave-uploading', DESKTOP);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(new URL(page.url()).pathname, `/mis-avisos/${ad.id}/editar`);
    assert.ok(await (await myAdsLink()).evaluate((el) => el === document.activeElement), `the focus is back on the link (${await focused(page)})`);

    // Closing the tab: the browser's own question (beforeunload), dismissed.
    const asked = page.waitForEvent('dialog');
    await page.close({ runBeforeUnload: true });
    const question = await asked;
    assert.equal(question.type(), 'beforeunload');
    await question.dismiss();
    assert.equal(page.isClosed(), false);

    // Once the photo is up, nothing is asked.
    upload.release();
    await page.getByText('Subida', { exact: true }).waitFor();
    await page.unrouteAll({ behavior: 'wait' });
    await (await myAdsLink()).click();
    await page.waitForURL((u) => u.pathname === '/mis-avisos');
    assert.equal(await dialog.count(), 0);

    // "Salir igual" leaves and cancels the upload under way.
    await page.goto(`/mis-avisos/${ad.id}/editar`);
    await page.getByRole('heading', { level: 1, name: 'Editar aviso' }).waitFor();
    upload = await hold();
    await page.getByLabel('Agregar fotos').setInputFiles({ ...photo, name: 'otra.png' });
    await upload.held;
    await (await myAdsLink()).click();
    await dialog.getByRole('button', { name: 'Salir igual' }).click();
    await page.waitForURL((u) => u.pathname === '/mis-avisos');
    await page.getByRole('list', { name: 'Mis avisos' }).getByText(ad.title).waitFor();
    upload.release();
    await page.unrouteAll({ behavior: 'wait' });

    // The back button (in the app: Mis avisos → "Editar"): undone and asked.
    await page.getByRole('list', { name: 'Mis avisos' }).getByRole('link', { name: 'Editar', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Editar aviso' }).waitFor();
    const edit = `/mis-avisos/${ad.id}/editar`;
    upload = await hold();
    await page.getByLabel('Agregar fotos').setInputFiles({ ...photo, name: 'tercera.png' });
    await upload.held;
    await page.evaluate(() => window.history.back());
    await dialog.waitFor();
    await page.waitForURL((u) => u.pathname === edit);
    await dialog.getByRole('button', { name: 'Quedarme' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(new URL(page.url()).pathname, edit);
    await page.getByRole('heading', { level: 1, name: 'Editar aviso' }).waitFor();
    await page.getByText('tercera.png').waitFor();
    await page.evaluate(() => window.history.back());
    await dialog.getByRole('button', { name: 'Salir igual' }).click();
    await page.waitForURL((u) => u.pathname === '/mis-avisos');
    await page.getByRole('list', { name: 'Mis avisos' }).getByText(ad.title).waitFor();
    upload.release();
    await page.unrouteAll({ behavior: 'wait' });
    assert.equal(expectJson(await app.client.ad(ad.id), 200, 'the ad').images.length, 1, 'only the first photo was stored');
    assertNoProblems(ctx, 'leaving with photos uploading');
  });
});
