// Issue 14's whole story, through the UI, in four browser contexts (docs/WEB.md
// "Browser tests"): A (desktop) registers through the form and publishes a
// tractor with its attributes and a photo (the file chooser); B (a phone)
// searches without accents, narrows with "Año desde", finds it, saves the
// search, favorites the ad and writes to A; A sees the message arrive without
// reloading and answers, and B sees the answer; A lowers the price in the
// edit form and B's notification badge lights up with a price drop; A marks
// the ad sold and it leaves B's search. C (a second seller, a phone)
// publishes a matching tractor through the form and B's saved search shows
// it; B reports C's ad and an admin (desktop) pauses it from the Denuncias
// queue: it leaves the search and C is told live. axe-core on the screens the
// other files do not check (the photos of the edit screen, the ad page logged
// in, Mensajes, Mis avisos, Notificaciones, the queue at desktop width);
// screenshots story-* at each context's size.
//
// Made through the API, as setup and not as the story: B's, C's and the
// admin's accounts (their sessions taken over by the browser), and an older
// tractor of 2009 whose title also matches B's words, so that the year filter
// has something to leave out. The server runs its matcher and price-drop
// jobs every 200 ms (MATCHER_INTERVAL_MS).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  DESKTOP,
  PHONE,
  account,
  accountItem,
  adBody,
  assertNoProblems,
  axeSerious,
  expectCards,
  newAd,
  newAdmin,
  newContext,
  screenshot,
  startAppAndBrowser,
  takeOver,
  waitGreeting,
} from './lib/browser.mjs';
import { encodePng } from './lib/png.mjs';

const TITLE_A = 'Tractor John Deere 5090E, único dueño';
const TITLE_C = 'Tractor John Deere 6110J de único dueño, con pala';
const QUERY = 'tractor john deere unico'; // what B types: no accent
const REPORT = 'Pide una seña por transferencia antes de mostrar el tractor.';
const NOTE = 'Lo pausamos: no se piden señas por transferencia. Corregí el aviso y reactivalo.';

let app;
let browser;
let B; // the buyer
let C; // the second seller
let admin;
let older; // the 2009 tractor (API)
let adA; // A's ad, as the API answered its creation
let adC;
let searchUrl; // B's filtered search, as the address bar shows it
const ctx = {};
const page = {};

before(async () => {
  ({ app, browser } = await startAppAndBrowser({ extra: { MATCHER_INTERVAL_MS: '200' } }));
  let D;
  [B, C, D, admin] = await Promise.all([
    app.client.newUser({ name: 'Bruno Tambero' }, 'bruno'),
    app.client.newUser({ name: 'Estancia La Paloma' }, 'paloma'),
    app.client.newUser({ name: 'Hugo Molina' }, 'hugo'),
    newAdmin(app),
  ]);
  older = await newAd(
    app,
    D.access,
    adBody({ title: 'Tractor John Deere 3350 de único dueño', attributes: { brand: 'John Deere', year: 2009, hp: 85, traction: 'simple', condition: 'usado' } }),
  );
  for (const [who, size] of [['A', DESKTOP], ['B', PHONE], ['C', PHONE], ['admin', DESKTOP]]) {
    ctx[who] = await newContext(browser, size, { baseURL: app.url });
    page[who] = await ctx[who].newPage();
  }
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const bubble = (p, text) => p.locator('li.msg', { hasText: text });
// On a phone the header's links fold behind "Menú": accountItem opens it.
const unread = (p, n) => accountItem(p, 'link', new RegExp(`Notificaciones.*${n === 1 ? '1 notificación' : `${n} notificaciones`} sin leer`));
/** Whether every notifications badge of p is hidden (folded or not). */
const badgeHidden = (p) => p.evaluate(() => [...document.querySelectorAll('.notif-badge')].every((el) => el.hidden));
const waitBadgeHidden = (p) => p.waitForFunction(() => [...document.querySelectorAll('.notif-badge')].every((el) => el.hidden));
/** Marks the page's document, so that live() can tell later that what
 *  arrived came without a reload (the app's links move within the page). */
const mark = (p) => p.evaluate(() => (window.storyMark = true));
async function live(p, what) {
  assert.equal(await p.evaluate(() => window.storyMark === true), true, `${what} arrived without a reload`);
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Fills the publish form for a tractor and publishes it; returns the
 *  created ad (the API's answer) once the app moved to its edit screen. */
async function publishTractor(p, { title, brand, year, hp, price, province, locality }) {
  await account(p).getByRole('link', { name: 'Publicar' }).click();
  await p.getByRole('heading', { level: 1, name: 'Publicar aviso' }).waitFor();
  await p.getByLabel('Categoría').selectOption({ label: 'Tractores' });
  await p.getByRole('group', { name: 'Características' }).waitFor();
  await p.getByLabel('Marca').fill(brand);
  await p.getByLabel('Año').fill(String(year));
  await p.getByLabel('Potencia (hp)').fill(String(hp));
  await p.getByLabel('Tracción').selectOption('doble');
  await p.getByLabel('Estado').selectOption('usado');
  await p.getByLabel('Título').fill(title);
  await p.getByLabel('Descripción (opcional)').fill('Siempre en galpón, service al día. Se puede ver cuando quieras.');
  await p.getByLabel('Precio', { exact: true }).fill(price);
  await p.getByLabel('Moneda').selectOption('USD');
  await p.getByLabel('Provincia').selectOption(province);
  await p.getByLabel('Localidad (opcional)').fill(locality);
  const answer = p.waitForResponse((r) => r.url().endsWith('/api/ads') && r.request().method() === 'POST');
  await p.getByRole('button', { name: 'Publicar aviso' }).click();
  const res = await answer;
  assert.equal(res.status(), 201, `publish: ${await res.text()}`);
  const ad = await res.json();
  await p.waitForURL(`**/mis-avisos/${ad.id}/editar?nuevo=1`);
  await p.getByRole('main').getByText('¡Listo! Tu aviso está publicado.', { exact: false }).waitFor();
  return ad;
}

/** One step of the story: skipped once an earlier step failed (each
 *  builds on the ones before). */
let failed = null;
function step(name, fn) {
  it(name, async (t) => {
    if (failed) return t.skip(`the step "${failed}" failed`);
    try {
      await fn();
    } catch (err) {
      failed = name;
      throw err;
    }
  });
}

describe('the story of issue 14', () => {
  step('A registers through the form and publishes a tractor with its attributes and a photo', async () => {
    const p = page.A;
    await p.goto('/');
    await account(p).getByRole('link', { name: 'Crear cuenta' }).click();
    await p.getByLabel('Nombre').fill('Ana Ganadera');
    await p.getByLabel('Email').fill('ana.ganadera@campo.example.com');
    await p.getByLabel('Contraseña').fill('alfalfa-2026');
    await p.getByLabel('Provincia (opcional)').selectOption('Córdoba');
    await p.getByRole('main').getByRole('button', { name: 'Crear cuenta' }).click();
    await waitGreeting(p, 'Ana Ganadera');

    adA = await publishTractor(p, { title: TITLE_A, brand: 'John Deere', year: 2018, hp: 90, price: '42.000', province: 'Córdoba', locality: 'Marcos Juárez' });
    assert.deepEqual(adA.attributes, { brand: 'John Deere', year: 2018, hp: 90, traction: 'doble', condition: 'usado' });
    assert.equal(adA.price, 42000);

    // The photo, as a person picks it: the file chooser of "Agregar fotos".
    const photo = encodePng(320, 240, (x, y) => [70 + (x >> 2), 120 + (y >> 3), 40]);
    const chooser = p.waitForEvent('filechooser');
    await p.getByLabel('Agregar fotos').click();
    await (await chooser).setFiles({ name: 'tractor-5090e.png', mimeType: 'image/png', buffer: photo });
    await p.getByRole('list', { name: 'Fotos' }).getByText('Subida', { exact: true }).waitFor();
    await p.getByRole('img', { name: `Foto 1 de ${TITLE_A}` }).waitFor();
    assert.deepEqual(await axeSerious(p), [], 'the edit screen with its photo');
    await screenshot(p, 'story-photos', DESKTOP);
  });

  step('B searches without accents, narrows with "Año desde", saves the search, favorites the ad', async () => {
    const p = page.B;
    await takeOver(p, B, '/');
    const box = p.getByLabel('Buscar avisos');
    await box.fill(QUERY);
    await box.press('Enter');
    await p.waitForURL((u) => u.pathname === '/buscar' && u.searchParams.get('q') === QUERY);
    await expectCards(p, [adA, older]); // newest first

    // The category's attribute filter leaves the 2009 tractor out.
    await p.locator('summary', { hasText: 'Filtros' }).click();
    const form = p.getByRole('form', { name: 'Filtros de búsqueda' });
    await form.getByLabel('Categoría').selectOption('tractores');
    await form.getByLabel('Año desde').fill('2015');
    await form.getByRole('button', { name: 'Aplicar filtros' }).click();
    await p.waitForURL((u) => u.searchParams.get('q') === QUERY && u.searchParams.get('category') === 'tractores' && u.searchParams.get('attr.year.min') === '2015');
    searchUrl = p.url();
    await expectCards(p, [adA]);
    const card = p.getByRole('main').getByRole('link', { name: new RegExp(escape(TITLE_A)) });
    await p.waitForFunction((el) => el.complete && el.naturalWidth > 0, await card.locator('img').elementHandle());

    await p.getByRole('button', { name: 'Guardar búsqueda' }).click();
    await p.getByRole('button', { name: 'Búsqueda guardada' }).waitFor();
    await screenshot(p, 'story-search', PHONE);

    await card.click();
    await p.getByRole('heading', { level: 1, name: TITLE_A }).waitFor();
    await p.getByRole('main').getByText('USD 42.000', { exact: true }).waitFor();
    await p.getByRole('region', { name: 'Fotos' }).getByRole('button', { name: 'Ver foto 1 de 1' }).waitFor();
    const fav = p.getByRole('button', { name: /Guardar en favoritos/ });
    assert.equal(await fav.getAttribute('aria-pressed'), 'false');
    await fav.click();
    await p.getByRole('button', { name: /Guardado en favoritos/, pressed: true }).waitFor();
    assert.deepEqual(await axeSerious(p), [], 'the ad page, logged in');
    await screenshot(p, 'story-ad', PHONE);
  });

  step('B writes to A; A sees it arrive without reloading and answers; B sees the answer', async () => {
    await (await accountItem(page.A, 'link', 'Mensajes')).click();
    await page.A.getByRole('heading', { level: 1, name: 'Mensajes' }).waitFor();
    await page.A.getByText('Todavía no tenés mensajes.', { exact: false }).waitFor();
    await mark(page.A);

    const p = page.B;
    await p.getByRole('link', { name: 'Enviar mensaje' }).click();
    await p.getByRole('heading', { level: 1, name: 'Conversación con Ana Ganadera' }).waitFor();
    const question = 'Hola Ana, ¿el 5090E tiene las cubiertas nuevas? ¿Aceptás permuta?';
    await p.getByLabel('Mensaje', { exact: true }).fill(question);
    await p.getByLabel('Mensaje', { exact: true }).press('Enter');
    await p.locator('li.msg.own:not(.pending)', { hasText: question }).getByText('enviado').waitFor();
    await mark(p);

    const row = page.A.getByRole('link', { name: /Bruno Tambero/ });
    await row.getByText('1 mensaje sin leer').waitFor();
    await row.getByText(TITLE_A).waitFor();
    await live(page.A, "B's message");
    assert.deepEqual(await axeSerious(page.A), [], 'Mensajes with an unread conversation');
    await row.click();
    await bubble(page.A, question).waitFor();
    const answer = 'Sí, cubiertas nuevas del año pasado. Permuta no, solo venta.';
    await page.A.getByLabel('Mensaje', { exact: true }).fill(answer);
    await page.A.getByRole('button', { name: 'Enviar' }).click();
    await bubble(p, answer).waitFor();
    await live(p, "A's answer");
    await screenshot(page.A, 'story-conversation', DESKTOP);
  });

  step('A lowers the price in the edit form; B\'s badge lights up live with a price drop', async () => {
    assert.equal(await badgeHidden(page.B), true, 'nothing unread yet');
    const p = page.A;
    await (await accountItem(p, 'link', 'Mis avisos')).click();
    const item = p.getByRole('list', { name: 'Mis avisos' }).getByRole('listitem').filter({ hasText: TITLE_A });
    await item.getByText('Publicado', { exact: true }).waitFor();
    assert.deepEqual(await axeSerious(p), [], 'Mis avisos');
    await item.getByRole('link', { name: 'Editar', exact: true }).click();
    await p.getByRole('heading', { level: 1, name: 'Editar aviso' }).waitFor();
    const price = p.getByLabel('Precio', { exact: true });
    await p.waitForFunction((el) => el.value !== '', await price.elementHandle());
    await price.fill('38.000');
    const patched = p.waitForResponse((r) => r.url().endsWith(`/api/ads/${adA.id}`) && r.request().method() === 'PATCH');
    await p.getByRole('button', { name: 'Guardar cambios' }).click();
    assert.equal((await patched).status(), 200);
    await p.getByRole('main').getByText('Guardamos los cambios.').waitFor();

    // B, still in the conversation: the badge, then the notification.
    await (await unread(page.B, 1)).waitFor();
    await live(page.B, 'the price drop');
    await (await unread(page.B, 1)).click();
    await page.B.getByRole('heading', { level: 1, name: 'Notificaciones' }).waitFor();
    const drop = page.B.getByRole('link', { name: `Bajó de precio un aviso de tus favoritos: ${TITLE_A}, de USD 42.000 a USD 38.000` });
    await drop.waitFor();
    await waitBadgeHidden(page.B); // read once shown
    assert.deepEqual(await axeSerious(page.B), [], 'Notificaciones');
    await screenshot(page.B, 'story-notifications', PHONE);
    await drop.click();
    await page.B.getByRole('main').getByText('USD 38.000', { exact: true }).waitFor();
  });

  step('A marks the ad sold in Mis avisos; it leaves B\'s search', async () => {
    const p = page.A;
    await (await accountItem(p, 'link', 'Mis avisos')).click();
    const item = p.getByRole('list', { name: 'Mis avisos' }).getByRole('listitem').filter({ hasText: TITLE_A });
    const patched = p.waitForResponse((r) => r.url().endsWith(`/api/ads/${adA.id}`) && r.request().method() === 'PATCH');
    await item.getByRole('button', { name: 'Marcar vendido' }).click();
    assert.equal((await patched).status(), 200);
    await item.getByText('Vendido', { exact: true }).waitFor();
    await screenshot(p, 'story-sold', DESKTOP);

    await page.B.goto(searchUrl);
    await expectCards(page.B, []);
  });

  step('C publishes a matching tractor through the form; B\'s saved search shows it', async () => {
    const p = page.C;
    await takeOver(p, C, '/');
    adC = await publishTractor(p, { title: TITLE_C, brand: 'John Deere', year: 2020, hp: 110, price: '55.000', province: 'Santa Fe', locality: 'Venado Tuerto' });

    await (await unread(page.B, 1)).waitFor();
    await (await unread(page.B, 1)).click();
    const match = page.B.getByRole('link', { name: `Un aviso nuevo para tu búsqueda “${QUERY}”: ${TITLE_C}` });
    await match.click();
    await page.B.getByRole('heading', { level: 1, name: 'Búsquedas guardadas' }).waitFor();
    const saved = page.B.getByRole('listitem').filter({ has: page.B.getByRole('heading', { level: 2, name: QUERY }) });
    await saved.getByText('1 aviso nuevo').waitFor();
    await screenshot(page.B, 'story-saved-search', PHONE);
    await saved.getByRole('link', { name: 'Ver resultados' }).click();
    await page.B.waitForURL((u) => u.pathname === '/buscar' && u.searchParams.get('attr.year.min') === '2015' && u.searchParams.get('q') === QUERY);
    await expectCards(page.B, [adC]);
  });

  step('B reports C\'s ad; an admin pauses it from Denuncias: it leaves the search and C is told', async () => {
    const p = page.B;
    await p.getByRole('main').getByRole('link', { name: new RegExp(escape(TITLE_C)) }).click();
    await p.getByRole('heading', { level: 1, name: TITLE_C }).waitFor();
    await p.getByRole('button', { name: 'Denunciar aviso' }).click();
    await p.getByLabel('Motivo').selectOption('fraud');
    await p.getByLabel('Detalles (opcional)').fill(REPORT);
    await p.getByRole('button', { name: 'Enviar denuncia' }).click();
    await p.getByRole('status').getByText('Gracias. Recibimos tu denuncia y la vamos a revisar.').waitFor();

    // C waits in Mis avisos, with nothing unread.
    await (await accountItem(page.C, 'link', 'Mis avisos')).click();
    const mine = page.C.getByRole('list', { name: 'Mis avisos' }).getByRole('listitem').filter({ hasText: TITLE_C });
    await mine.getByText('Publicado', { exact: true }).waitFor();
    assert.equal(await badgeHidden(page.C), true);
    await mark(page.C);

    const q = page.admin;
    await takeOver(q, admin, '/');
    await (await accountItem(q, 'link', 'Denuncias')).click();
    await q.getByRole('heading', { level: 1, name: 'Denuncias' }).waitFor();
    const item = q.getByRole('listitem').filter({ has: q.getByRole('heading', { name: TITLE_C }) });
    await item.getByText('1 denuncia', { exact: true }).waitFor();
    await item.getByText('Denunció: Bruno Tambero').waitFor();
    await item.getByText(REPORT).waitFor();
    assert.deepEqual(await axeSerious(q), [], 'the queue at desktop width');
    await screenshot(q, 'story-denuncias', DESKTOP);
    await item.getByLabel('Nota para quien publicó (opcional)').fill(NOTE);
    const moderated = q.waitForResponse((r) => r.url().endsWith(`/api/admin/ads/${adC.id}/moderate`));
    await item.getByRole('group', { name: new RegExp(escape(TITLE_C)) }).getByRole('button', { name: 'Pausar' }).click();
    const answer = await moderated;
    assert.equal(answer.status(), 200);
    assert.deepEqual(JSON.parse(answer.request().postData()), { action: 'pause', note: NOTE });
    await q.getByRole('status').getByText(`Pausaste “${TITLE_C}”: su dueño puede corregirlo y reactivarlo.`).first().waitFor();
    await item.waitFor({ state: 'detached' });

    // Out of B's search.
    await p.goto(searchUrl);
    await expectCards(p, []);

    // C is told live, and Mis avisos says paused.
    await (await unread(page.C, 1)).waitFor();
    await live(page.C, 'the moderation notice');
    await (await unread(page.C, 1)).click();
    await page.C
      .getByRole('link', { name: `Un moderador pausó tu aviso “${TITLE_C}”: no aparece en las búsquedas hasta que lo corrijas y lo reactives desde Mis avisos. Nota: ${NOTE}` })
      .waitFor();
    await waitBadgeHidden(page.C);
    await screenshot(page.C, 'story-moderated', PHONE);
    await (await accountItem(page.C, 'link', 'Mis avisos')).click();
    await mine.getByText('Pausado', { exact: true }).waitFor();
  });

  it('no CSP violation or script error in any context', () => {
    for (const [who, c] of Object.entries(ctx)) assertNoProblems(c, `${who}'s story`);
  });
});
