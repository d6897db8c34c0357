// The failures a person can meet, through the real server and the real
// PostgreSQL (docs/WEB.md "Browser tests"): each shows a clear Spanish
// message, and nothing typed is lost.
//
// - 503: the app's own database refuses connections (ALLOW_CONNECTIONS false
//   and its sessions terminated, the way an outage looks to the pool); a
//   publish submitted meanwhile says "no está disponible" and keeps the form,
//   a search says the same, a photo upload says it with "Reintentar"; the
//   database back, the same submit, search and photo go through.
// - 401: the session revoked elsewhere (logout-all from another login of the
//   same person) while the publish form is filled in: "Tu sesión se cerró",
//   the text stays, and logging in again from the message's link brings the
//   form back filled in (a draft in sessionStorage), published without
//   retyping.
// - Offline (context.setOffline): an edit and a search say "Sin conexión",
//   the edit keeps its text; back online both go through.
// - 429 on a write (a second server with RATE_LIMIT_WRITE=3/4): "Demasiadas
//   solicitudes. Esperá N segundos", the form kept; after waiting N seconds
//   the first try goes through.
// - A photo: a real 413 cannot be reached from the app (photos.js shrinks
//   every picture to a JPEG of at most 2048 px and 5 MiB before it leaves, and
//   refuses itself one it cannot bring under that): a file that is not a
//   picture gets the app's own message instead, and a server refusal of a
//   photo is met with the 503 above.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { eventually, psql, sharedUrl } from '../integration/lib/pg.mjs';
import { DESKTOP, PHONE, accountItem, axeSerious, newContext, screenshot, startApp, startAppAndBrowser } from './lib/browser.mjs';
import { encodePng } from './lib/png.mjs';

const UNAVAILABLE = 'El servicio no está disponible en este momento. Probá de nuevo en un rato.';
const OFFLINE = 'Sin conexión. Revisá tu señal y probá de nuevo.';
const SESSION_ENDED = 'Tu sesión se cerró.';

let app;
let browser;
let tmp;
let photo;
let notAPhoto;
const contexts = [];

/** The browser's own lines for the failures this file causes on purpose (a
 *  503 or 429 answer, a request with no network): the story, not a problem. */
const EXPECTED = [
  /Failed to load resource: the server responded with a status of (503|429|401)\b/,
  /Failed to load resource: net::ERR_INTERNET_DISCONNECTED/,
  /WebSocket connection to .* failed/,
];
function assertNoOtherProblems(ctx, what) {
  const left = ctx.problems.filter((p) => !EXPECTED.some((re) => re.test(p)));
  assert.deepEqual(left, [], `${what}: no CSP violation or script error`);
}

/** A context logged in as u: its refresh token stored before the app loads. */
async function loggedIn(u, size, base = app) {
  const ctx = await newContext(browser, size, { baseURL: base.url });
  await ctx.addInitScript((token) => {
    if (window.location.protocol !== 'http:') return; // about:blank has no storage
    if (!localStorage.getItem('rural24.refresh') && !sessionStorage.getItem('rural24.seeded')) {
      sessionStorage.setItem('rural24.seeded', '1');
      localStorage.setItem('rural24.refresh', token);
    }
  }, u.refresh);
  contexts.push(ctx);
  return ctx;
}

const dbName = () => new URL(app.databaseUrl).pathname.slice(1);

/** The app's database refuses every connection, and those it had are cut:
 *  to the server's pool it is down. Resolves once /api/ready says so. */
async function databaseDown() {
  await psql(sharedUrl(), `ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS false`);
  await psql(sharedUrl(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName()}'`);
  await eventually(async () => (await app.client.call('GET', '/api/ready')).status === 503, { what: '/api/ready 503' });
}

/** The database accepts connections again; resolves once the server has
 *  reconnected (/api/ready 200). */
async function databaseUp() {
  await psql(sharedUrl(), `ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS true`);
  await eventually(async () => (await app.client.call('GET', '/api/ready')).status === 200, { what: '/api/ready 200' });
}

/** Fills the publish form (a category without attributes). */
async function fillPublish(page, title) {
  await page.getByLabel('Categoría').selectOption({ label: 'Fertilizantes' });
  await page.getByLabel('Producto').fill('Urea granulada');
  await page.getByLabel('Título').fill(title);
  await page.getByLabel('Descripción').fill('Bolsas de 50 kg, guardadas bajo techo.');
  await page.getByLabel('Precio', { exact: true }).fill('45.000');
  await page.getByLabel('Provincia').selectOption('Santa Fe');
  await page.getByLabel('Localidad (opcional)').fill('Rafaela');
}

async function assertPublishKept(page, title) {
  assert.equal(await page.getByLabel('Categoría').locator('option:checked').textContent(), 'Fertilizantes');
  assert.equal(await page.getByLabel('Producto').inputValue(), 'Urea granulada');
  assert.equal(await page.getByLabel('Título').inputValue(), title);
  assert.equal(await page.getByLabel('Descripción').inputValue(), 'Bolsas de 50 kg, guardadas bajo techo.');
  assert.equal(await page.getByLabel('Precio', { exact: true }).inputValue(), '45.000');
  assert.equal(await page.getByLabel('Provincia').inputValue(), 'Santa Fe');
  assert.equal(await page.getByLabel('Localidad (opcional)').inputValue(), 'Rafaela');
}

const formAlert = (page) => page.locator('form.ad-form [role="alert"]');

before(async () => {
  ({ app, browser } = await startAppAndBrowser());
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rural24-failures-'));
  photo = path.join(tmp, 'bolsas.png');
  fs.writeFileSync(photo, encodePng(320, 240, (x, y) => [120 + (x % 100), 160 - (y % 80), 60]));
  notAPhoto = path.join(tmp, 'presupuesto.jpg');
  fs.writeFileSync(notAPhoto, 'Presupuesto: 40 rollos a $45.000 cada uno.\n');
});

after(async () => {
  // The database must accept connections again whatever failed, or the
  // cluster cannot drop it.
  if (app) await psql(sharedUrl(), `ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS true`).catch(() => {});
  await browser?.close();
  await app?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('failures a person can meet', () => {
  it('503: the database down while publishing, searching and uploading a photo; back, everything goes through', async () => {
    const ana = await app.client.newUser({ name: 'Ana Forrajera' }, 'ana503');
    const ctx = await loggedIn(ana, PHONE);
    const page = await ctx.newPage();
    await page.goto('/publicar');
    await page.getByRole('heading', { level: 1, name: 'Publicar aviso' }).waitFor();
    const title = 'Urea granulada en bolsas (503)';
    await fillPublish(page, title);

    await databaseDown();
    try {
      await page.getByRole('button', { name: 'Publicar aviso' }).click();
      await formAlert(page).getByText(UNAVAILABLE).waitFor();
      await assertPublishKept(page, title);
      await screenshot(page, 'failure-503-publish', PHONE);
      assert.deepEqual(await axeSerious(page), [], 'axe on the form with the 503 message');

      // A search meanwhile (a query not asked before, so no cache answers it).
      const search = await ctx.newPage();
      await search.goto('/buscar?q=urea');
      await search.locator('main [role="alert"]').getByText(UNAVAILABLE).waitFor();
      await search.getByRole('button', { name: 'Reintentar' }).waitFor();

      await databaseUp();
      await search.getByRole('button', { name: 'Reintentar' }).click();
      await search.locator('main').getByText('No encontramos avisos', { exact: false }).waitFor();
      await search.close();
    } finally {
      await databaseUp();
    }

    // The same form, not retyped, goes through.
    await page.getByRole('button', { name: 'Publicar aviso' }).click();
    await page.waitForURL((u) => /^\/mis-avisos\/\d+\/editar$/.test(u.pathname) && u.searchParams.get('nuevo') === '1');
    const id = Number(new URL(page.url()).pathname.split('/')[2]);
    const stored = JSON.parse((await app.client.call('GET', `/api/ads/${id}`)).body);
    assert.equal(stored.title, title);
    assert.equal(stored.locality, 'Rafaela');
    assert.equal(stored.price, 45000);

    // A file that is not a picture: the app's own message, before any upload.
    await page.getByLabel('Agregar fotos').setInputFiles(notAPhoto);
    await page.locator('li.upload.failed', { hasText: 'presupuesto.jpg' }).getByText('No pudimos leer esta foto. Probá con una JPG o PNG.').waitFor();

    // A photo while the database is down: the server refuses it (503), said
    // next to the photo with "Reintentar"; back up, the retry stores it.
    await databaseDown();
    const item = page.locator('li.upload', { hasText: 'bolsas.png' });
    try {
      await page.getByLabel('Agregar fotos').setInputFiles(photo);
      await item.getByText(UNAVAILABLE).waitFor();
      assert.ok(await item.evaluate((el) => el.classList.contains('failed')));
    } finally {
      await databaseUp();
    }
    await item.getByRole('button', { name: 'Reintentar' }).click();
    await item.getByText('Subida', { exact: true }).waitFor();
    const withPhoto = JSON.parse((await app.client.call('GET', `/api/ads/${id}`)).body);
    assert.equal(withPhoto.images.length, 1);
    assertNoOtherProblems(ctx, 'the 503 story');
  });

  it('401: the session revoked from elsewhere while the form is filled in; logging in again brings it back', async () => {
    const beto = await app.client.newUser({ name: 'Beto Rollero' }, 'beto401');
    const ctx = await loggedIn(beto, DESKTOP);
    const page = await ctx.newPage();
    await page.goto('/publicar');
    await page.getByRole('heading', { level: 1, name: 'Publicar aviso' }).waitFor();
    const title = 'Urea granulada en bolsas (401)';
    await fillPublish(page, title);

    // Beto closes every session from his phone.
    const phone = await app.client.newSession(beto);
    assert.equal((await app.client.logoutAll(phone.access)).status, 204);

    await page.getByRole('button', { name: 'Publicar aviso' }).click();
    const alert = formAlert(page);
    await alert.getByText(SESSION_ENDED, { exact: false }).waitFor();
    await assertPublishKept(page, title);
    // The header says so too: nobody is logged in here any more.
    await page.getByRole('navigation', { name: 'Cuenta' }).getByRole('link', { name: 'Ingresar' }).waitFor();
    await screenshot(page, 'failure-401-publish', DESKTOP);
    assert.deepEqual(await axeSerious(page), [], 'axe on the form with the 401 message');

    // The message's link logs in and comes back to the same form, filled in.
    await alert.getByRole('link', { name: 'Ingresá de nuevo' }).click();
    await page.waitForURL((u) => u.pathname === '/ingresar' && u.searchParams.get('next') === '/publicar');
    await page.getByLabel('Email').fill(beto.email);
    await page.getByLabel('Contraseña').fill(beto.password);
    await page.getByRole('button', { name: 'Ingresar' }).click();
    await page.waitForURL((u) => u.pathname === '/publicar');
    await page.getByText('Recuperamos lo que habías escrito.').waitFor();
    await assertPublishKept(page, title);
    await page.getByRole('button', { name: 'Publicar aviso' }).click();
    await page.waitForURL((u) => /^\/mis-avisos\/\d+\/editar$/.test(u.pathname));
    const id = Number(new URL(page.url()).pathname.split('/')[2]);
    assert.equal(JSON.parse((await app.client.call('GET', `/api/ads/${id}`)).body).title, title);

    // Published, the draft is gone: a new publish form is empty.
    await page.goto('/publicar');
    await page.getByRole('heading', { level: 1, name: 'Publicar aviso' }).waitFor();
    await page.getByLabel('Título').waitFor();
    assert.equal(await page.getByLabel('Título').inputValue(), '');
    assert.equal(await page.getByText('Recuperamos lo que habías escrito.').count(), 0);
    assertNoOtherProblems(ctx, 'the 401 story');
  });

  it('a draft is its owner\'s only: another person logging in on the same tab never sees it, and "Salir" drops it', async () => {
    const dora = await app.client.newUser({ name: 'Dora Alambrado' }, 'doradraft');
    const eloy = await app.client.newUser({ name: 'Eloy Vecino' }, 'eloydraft');
    const ctx = await loggedIn(dora, DESKTOP);
    const page = await ctx.newPage();
    const drafts = () => page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('rural24.draft.')));
    const logIn = async (u) => {
      await page.goto('/ingresar?next=%2Fpublicar');
      await page.getByLabel('Email').fill(u.email);
      await page.getByLabel('Contraseña').fill(u.password);
      await page.getByRole('button', { name: 'Ingresar' }).click();
      await page.waitForURL((url) => url.pathname === '/publicar');
      await page.getByLabel('Título').waitFor();
    };
    const title = 'Campo de Dora, datos privados (borrador)';
    const keepADraft = async () => {
      await page.goto('/publicar');
      await page.getByRole('heading', { level: 1, name: 'Publicar aviso' }).waitFor();
      await fillPublish(page, title);
      const phone = await app.client.newSession(dora);
      assert.equal((await app.client.logoutAll(phone.access)).status, 204);
      await page.getByRole('button', { name: 'Publicar aviso' }).click();
      await formAlert(page).getByText(SESSION_ENDED, { exact: false }).waitFor();
      assert.deepEqual(await drafts(), ['rural24.draft.new'], "Dora's draft kept");
    };

    await keepADraft();
    // Eloy logs in on the same tab: Dora's draft is dropped, his form is empty.
    await logIn(eloy);
    assert.equal(await page.getByLabel('Título').inputValue(), '');
    assert.equal(await page.getByText('Recuperamos lo que habías escrito.').count(), 0);
    assert.deepEqual(await drafts(), [], "Dora's draft gone once Eloy logged in");
    await (await accountItem(page, 'button', 'Salir')).click();
    await page.getByRole('navigation', { name: 'Cuenta' }).getByRole('link', { name: 'Ingresar' }).waitFor();

    // Dora again: her draft comes back to her...
    await logIn(dora);
    await keepADraft();
    await logIn(dora);
    await page.getByText('Recuperamos lo que habías escrito.').waitFor();
    assert.equal(await page.getByLabel('Título').inputValue(), title);
    // ... and "Salir" leaves nothing typed behind on this computer.
    await (await accountItem(page, 'button', 'Salir')).click();
    await page.getByRole('navigation', { name: 'Cuenta' }).getByRole('link', { name: 'Ingresar' }).waitFor();
    assert.deepEqual(await drafts(), [], '"Salir" dropped the draft');
    assertNoOtherProblems(ctx, 'the drafts story');
  });

  it('offline: an edit and a search say "Sin conexión", the text stays; back online both go through', async () => {
    const caro = await app.client.newUser({ name: 'Caro Tambera' }, 'caro');
    const ad = await app.client.newAd(caro.access, { title: 'Tanque de frío 3000 litros usado' });
    const ctx = await loggedIn(caro, PHONE);
    const page = await ctx.newPage();
    await page.goto(`/mis-avisos/${ad.id}/editar`);
    await page.getByRole('heading', { level: 1, name: 'Editar aviso' }).waitFor();
    const title = page.getByLabel('Título');
    await title.waitFor();

    // A second tab on the home page, loaded while there was a network.
    const search = await ctx.newPage();
    await search.goto('/');
    await search.getByRole('heading', { level: 2, name: 'Avisos destacados' }).waitFor();

    await ctx.setOffline(true);
    const edited = 'Tanque de frío 3000 litros con equipo de lavado';
    await title.fill(edited);
    await page.getByRole('button', { name: 'Guardar cambios' }).click();
    await formAlert(page).getByText(OFFLINE).waitFor();
    assert.equal(await title.inputValue(), edited);
    await screenshot(page, 'failure-offline-edit', PHONE);

    // A search from the header, still offline.
    await search.getByLabel('Buscar avisos').fill('tanque');
    await search.getByLabel('Buscar avisos').press('Enter');
    await search.waitForURL((u) => u.pathname === '/buscar');
    await search.locator('main [role="alert"]').getByText(OFFLINE).waitFor();
    assert.equal(await search.getByLabel('Buscar avisos').inputValue(), 'tanque');

    await ctx.setOffline(false);
    await search.getByRole('button', { name: 'Reintentar' }).click();
    await search.getByRole('link', { name: /Tanque de frío 3000 litros/ }).waitFor();
    await page.getByRole('button', { name: 'Guardar cambios' }).click();
    await page.getByText('Guardamos los cambios.').first().waitFor();
    assert.equal(JSON.parse((await app.client.call('GET', `/api/ads/${ad.id}`)).body).title, edited);
    assertNoOtherProblems(ctx, 'the offline story');
  });
});

describe('429 on a write', () => {
  let limited;
  before(async () => {
    limited = await startApp({ extra: { RATE_LIMIT_WRITE: '3/4' } });
  });
  after(async () => {
    await limited?.stop();
  });

  it('publishing over RATE_LIMIT_WRITE says how long to wait, keeps the form, and goes through after the wait', async () => {
    const dani = await limited.client.newUser({ name: 'Dani Contratista' }, 'dani429');
    const ctx = await loggedIn(dani, PHONE, limited);
    const page = await ctx.newPage();
    await page.goto('/publicar');
    await page.getByRole('heading', { level: 1, name: 'Publicar aviso' }).waitFor();
    const title = 'Urea granulada en bolsas (429)';
    await fillPublish(page, title);

    // Dani's other device used up the writes (the key is the user).
    const other = await limited.client.newSession(dani);
    let refused = null;
    for (let i = 0; i < 10 && !refused; i++) {
      const res = await limited.client.call('PATCH', '/api/me', { token: other.access, body: { name: 'Dani Contratista' } });
      if (res.status === 429) refused = res;
    }
    assert.ok(refused, 'the writes run out within 10');

    await page.getByRole('button', { name: 'Publicar aviso' }).click();
    const message = formAlert(page).getByText(/^Demasiadas solicitudes\. Esperá \d+ segundos? y probá de nuevo\.$/);
    await message.waitFor();
    await assertPublishKept(page, title);
    await screenshot(page, 'failure-429-publish', PHONE);

    // Dani waits as long as the message says (no longer) and tries again:
    // it goes through the first time, so the wait it gave was enough. This
    // pause is the behaviour under test (Retry-After's seconds passing on
    // the server's clock), not a wait for something to happen.
    const wait = Number((await message.textContent()).match(/Esperá (\d+)/)[1]);
    assert.ok(wait >= 1 && wait <= 4, `Retry-After within the 4 s window: ${wait}`);
    await page.waitForTimeout(wait * 1000);
    await page.getByRole('button', { name: 'Publicar aviso' }).click();
    await page.getByRole('heading', { level: 1, name: 'Editar aviso' }).or(message).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/mis-avisos\/\d+\/editar$/, 'published at the first try after the wait');
    const id = Number(new URL(page.url()).pathname.split('/')[2]);
    assert.equal(JSON.parse((await limited.client.call('GET', `/api/ads/${id}`)).body).title, title);
    assertNoOtherProblems(ctx, 'the 429 story');
  });
});
