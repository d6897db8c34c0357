// Selling in the browser (docs/WEB.md "Selling"): a person registers,
// publishes an ad with the category's attributes, a title too short shows
// its error next to the title, then one large photo (3000×2000, over the
// API's 5 MiB) is shrunk in the page and uploaded with its progress bar; the
// ad is found in search with its thumbnail. "Mis avisos" marks an ad sold
// (it leaves the search) and deletes one after a confirmation. Another
// person saves an ad in favorites, finds it under "Favoritos", and reports
// it (a repeat says so). axe-core on the publish form; screenshots of the
// publish form and "Mis avisos" at both widths.
//
// Setup that is not the story (the second seller's ads, accounts) is made
// through the API; the large photo is a PNG written by this file to a
// temporary folder.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { uniqueWord } from '../integration/lib/catalog.mjs';
import { DESKTOP, PHONE, account, accountItem, adBody, assertNoProblems, axeSerious, expectJson, newAd, newContext, screenshot, startAppAndBrowser, waitGreeting } from './lib/browser.mjs';
import { encodePng } from './lib/png.mjs';

const MIB = 1024 * 1024;

let app;
let browser;
let tmp;
let bigPhoto; // a 3000×2000 PNG over 5 MiB

/** A width×height PNG: a field-like gradient with deterministic noise in
 *  the low bits, so that it does not compress to nothing. */
function makePng(width, height) {
  let seed = 12345;
  return encodePng(
    width,
    height,
    (x, y) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const n = seed >>> 27; // 5 bits of noise
      return [60 + (x * 120) / width + n, 110 + (y * 100) / height + n, 40 + n];
    },
    { level: 1 },
  );
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rural24-sell-'));
  bigPhoto = path.join(tmp, 'tractor-grande.png');
  fs.writeFileSync(bigPhoto, makePng(3000, 2000));
  assert.ok(fs.statSync(bigPhoto).size > 5 * MIB, 'the fixture is over the API limit of 5 MiB');
  ({ app, browser } = await startAppAndBrowser());
});

after(async () => {
  await browser?.close();
  await app?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Logs u in through the form and waits for the header to greet them. */
async function logIn(page, u) {
  await page.goto('/ingresar');
  await page.getByLabel('Email').fill(u.email);
  await page.getByLabel('Contraseña').fill(u.password);
  await page.getByRole('main').getByRole('button', { name: 'Ingresar' }).click();
  await waitGreeting(page, u.user.name);
}

describe('selling', () => {
  it('register → publish with attributes (a short title refused next to its field) → a large photo shrunk and uploaded with progress → found in search with its thumbnail', async () => {
    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await page.goto('/registro');
      await page.getByLabel('Nombre').fill('Marta Sosa');
      await page.getByLabel('Email').fill(`marta.${process.pid}@campo.example.com`);
      await page.getByLabel('Contraseña').fill('alfalfa-2026');
      await page.getByRole('button', { name: 'Crear cuenta' }).click();
      await waitGreeting(page, 'Marta Sosa');

      await account(page).getByRole('link', { name: 'Publicar' }).click();
      await page.getByRole('heading', { level: 1, name: 'Publicar aviso' }).waitFor();
      await page.getByLabel('Categoría').selectOption({ label: 'Tractores' });
      // The category's attributes (its own and its parent's) become fields.
      await page.getByRole('group', { name: 'Características' }).waitFor();
      await page.getByLabel('Marca').fill('John Deere');
      await page.getByLabel('Año').fill('2015');
      await page.getByLabel('Potencia (hp)').fill('110');
      await page.getByLabel('Tracción').selectOption('doble');
      await page.getByLabel('Estado').selectOption('usado');
      await page.getByLabel('Título').fill('Jd');
      await page.getByLabel('Precio', { exact: true }).fill('25.000');
      await page.getByLabel('Moneda').selectOption('USD');
      await page.getByLabel('Provincia').selectOption('Córdoba');
      await page.getByLabel('Localidad (opcional)').fill('Río Cuarto');

      // The API refuses the title; its error is next to the title field.
      let answer = page.waitForResponse((r) => r.url().endsWith('/api/ads') && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Publicar aviso' }).click();
      assert.equal((await answer).status(), 400);
      const title = page.getByLabel('Título');
      await page.getByText('El título debe tener al menos 5 caracteres.').waitFor();
      assert.equal(await title.getAttribute('aria-invalid'), 'true');
      const described = await title.evaluate((el) =>
        el.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id).textContent).join(' | '),
      );
      assert.match(described, /al menos 5 caracteres/);
      assert.ok(await title.evaluate((el) => el === document.activeElement), 'the title has focus');
      assert.equal(await page.getByLabel('Marca').inputValue(), 'John Deere', 'nothing typed is lost');
      assert.deepEqual(await axeSerious(page), [], 'the publish form (with an error) passes axe-core');
      await screenshot(page, 'publish', PHONE);

      const word = uniqueWord('sell');
      const adTitle = `Tractor ${word} con cabina`;
      await title.fill(adTitle);
      answer = page.waitForResponse((r) => r.url().endsWith('/api/ads') && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Publicar aviso' }).click();
      const created = await answer;
      assert.equal(created.status(), 201);
      const ad = await created.json();
      assert.deepEqual(ad.attributes, { brand: 'John Deere', year: 2015, hp: 110, traction: 'doble', condition: 'usado' });
      assert.equal(ad.price, 25000);
      assert.equal(ad.currency, 'USD');
      await page.waitForURL(`**/mis-avisos/${ad.id}/editar?nuevo=1`);
      await page.getByRole('main').getByText('¡Listo! Tu aviso está publicado.', { exact: false }).waitFor();

      // One photo of 3000×2000 and more than 5 MiB: shrunk in the page
      // (the API would refuse it as is), sent as JPEG, progress to the end.
      const uploaded = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${ad.id}/images`), { timeout: 20000 });
      await page.getByLabel('Agregar fotos').setInputFiles(bigPhoto);
      const res = await uploaded;
      assert.equal(res.status(), 201);
      const req = res.request();
      assert.equal(req.headers()['content-type'], 'image/jpeg');
      // (The API refuses a body over 5 MiB with 413 before reading it: the
      // 201 says the same; the header says by how much.)
      const sentBytes = Number((await req.allHeaders())['content-length']);
      assert.ok(sentBytes > 0 && sentBytes < 5 * MIB, `sent ${sentBytes} bytes, under 5 MiB`);
      assert.ok(sentBytes < fs.statSync(bigPhoto).size / 2, `${sentBytes} bytes: far less than the original`);
      const image = await res.json();
      assert.deepEqual([image.width, image.height], [2048, 1365], 'the long side shrunk to 2048 px');
      const bar = page.getByRole('progressbar', { name: 'Subida de tractor-grande.png' });
      await page.getByText('Subida', { exact: true }).waitFor();
      assert.equal(await bar.evaluate((el) => el.value), 100);
      await page.getByRole('img', { name: `Foto 1 de ${adTitle}` }).waitFor();

      // In search, with its thumbnail.
      await page.goto(`/buscar?q=${word}`);
      const card = page.getByRole('link', { name: new RegExp(adTitle) });
      await card.waitFor();
      const thumb = card.locator('img');
      assert.match(await thumb.getAttribute('src'), /^\/api\/images\/\d+\/thumb$/);
      await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await thumb.elementHandle());

      // Mis avisos, at phone width.
      await (await accountItem(page, 'link', 'Mis avisos')).click();
      await page.getByRole('list', { name: 'Mis avisos' }).getByText(adTitle).waitFor();
      await screenshot(page, 'my-ads', PHONE);
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });

  it('Mis avisos: mark sold → it leaves the search; delete after a confirmation', async () => {
    const seller = await app.client.newUser({ name: 'Héctor Paz' }, 'hector');
    const word = uniqueWord('sold');
    const sold = await newAd(app, seller.access, adBody({ title: `Sembradora ${word} vendida`, category_id: 103, attributes: { brand: 'Agrometal' } }));
    const gone = await newAd(app, seller.access, adBody({ title: `Rastra ${word} para borrar`, category_id: 105, attributes: {} }));
    const ctx = await newContext(browser, DESKTOP, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await logIn(page, seller);
      await (await accountItem(page, 'link', 'Mis avisos')).click();
      const list = page.getByRole('list', { name: 'Mis avisos' });
      await list.getByText(sold.title).waitFor();
      await screenshot(page, 'my-ads', DESKTOP);

      const soldItem = list.getByRole('listitem').filter({ hasText: sold.title });
      assert.equal(await soldItem.locator('.badge').textContent(), 'Publicado');
      const patched = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${sold.id}`) && r.request().method() === 'PATCH');
      await soldItem.getByRole('button', { name: 'Marcar vendido' }).click();
      assert.equal((await patched).status(), 200);
      await soldItem.getByText('Vendido', { exact: true }).waitFor();
      await soldItem.getByRole('button', { name: 'Reactivar' }).waitFor();

      const goneItem = list.getByRole('listitem').filter({ hasText: gone.title });
      await goneItem.getByRole('button', { name: 'Eliminar' }).click();
      await goneItem.getByText(`¿Eliminar “${gone.title}”? No se puede deshacer.`).waitFor();
      const deleted = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${gone.id}`) && r.request().method() === 'DELETE');
      await goneItem.getByRole('button', { name: 'Sí, eliminar' }).click();
      assert.equal((await deleted).status(), 204);
      await list.getByText(gone.title).waitFor({ state: 'detached' });
      assert.equal((await app.client.ad(gone.id)).status, 404);

      // Neither is found any more.
      await page.goto(`/buscar?q=${word}`);
      await page.getByRole('main').getByText('No encontramos avisos con esa búsqueda.', { exact: false }).waitFor();

      // The publish form at desktop width, with a category's fields.
      await account(page).getByRole('link', { name: 'Publicar' }).click();
      await page.getByLabel('Categoría').selectOption({ label: 'Bovinos' });
      await page.getByLabel('Raza').waitFor();
      await screenshot(page, 'publish', DESKTOP);
      assert.deepEqual(await axeSerious(page), [], 'the publish form passes axe-core at desktop width');
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });

  it('edit from Mis avisos: the form filled in, an attribute error by its field, price "a consultar" saved; photos: an unreadable file and the 11th photo in Spanish', async () => {
    const seller = await app.client.newUser({ name: 'Raúl Díaz' }, 'raul');
    const ad = await newAd(app, seller.access, adBody({ title: `Tractor ${uniqueWord('edit')} para editar` }));
    const small = [];
    for (let i = 0; i < 11; i++) {
      small.push(path.join(tmp, `chica-${i + 1}.png`));
      fs.writeFileSync(small[i], makePng(40 + i, 30));
    }
    const broken = path.join(tmp, 'notas.jpg');
    fs.writeFileSync(broken, 'esto no es una foto');
    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await logIn(page, seller);
      await (await accountItem(page, 'link', 'Mis avisos')).click();
      const item = page.getByRole('list', { name: 'Mis avisos' }).getByRole('listitem').filter({ hasText: ad.title });
      await item.getByRole('link', { name: 'Editar', exact: true }).click();
      await page.waitForURL(`**/mis-avisos/${ad.id}/editar`);
      await page.getByRole('heading', { level: 1, name: 'Editar aviso' }).waitFor();
      const title = page.getByLabel('Título');
      await page.waitForFunction((el) => el.value !== '', await title.elementHandle());
      assert.equal(await title.inputValue(), ad.title);
      assert.equal(await page.getByLabel('Marca').inputValue(), 'John Deere');
      assert.equal(await page.getByLabel('Año').inputValue(), '2015');

      // A number attribute that is not a number: attributes.year, by its field.
      await page.getByLabel('Año').fill('dos mil quince');
      let patched = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${ad.id}`) && r.request().method() === 'PATCH');
      await page.getByRole('button', { name: 'Guardar cambios' }).click();
      assert.equal((await patched).status(), 400);
      await page.getByRole('main').getByText('Ingresá un número.').waitFor();
      assert.equal(await page.getByLabel('Año').getAttribute('aria-invalid'), 'true');

      await page.getByLabel('Año').fill('2016');
      await title.fill(`${ad.title} (rebajado)`);
      await page.getByLabel('Precio a consultar').check();
      assert.ok(await page.getByLabel('Precio', { exact: true }).isDisabled());
      patched = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${ad.id}`) && r.request().method() === 'PATCH');
      await page.getByRole('button', { name: 'Guardar cambios' }).click();
      assert.equal((await patched).status(), 200);
      await page.getByRole('main').getByText('Guardamos los cambios.').waitFor();
      assert.equal(await page.getByLabel('Año').getAttribute('aria-invalid'), null, 'the error is gone');
      const saved = await expectJson(await app.client.ad(ad.id), 200, 'the edited ad');
      assert.equal(saved.title, `${ad.title} (rebajado)`);
      assert.equal(saved.price, null);
      assert.equal(saved.attributes.year, 2016);

      // A file that is not a photo is refused in the page; of eleven photos,
      // ten are stored and the eleventh is refused by the API (409).
      const photos = page.getByRole('list', { name: 'Fotos' });
      await page.getByLabel('Agregar fotos').setInputFiles(broken);
      await photos.getByText('No pudimos leer esta foto. Probá con una JPG o PNG.').waitFor();
      let refused = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${ad.id}/images`) && r.status() === 409, { timeout: 20000 });
      await page.getByLabel('Agregar fotos').setInputFiles(small);
      assert.equal((await refused).status(), 409);
      const last = photos.getByRole('listitem').filter({ hasText: 'chica-11.png' });
      await last.getByText('El aviso ya tiene 10 fotos, el máximo.').waitFor();
      assert.equal(await photos.getByText('Subida', { exact: true }).count(), 10);
      assert.equal((await expectJson(await app.client.ad(ad.id), 200, 'the ad')).images.length, 10);
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });

  it("another person's session: favorite → listed under Favoritos; report once, a repeat says so", async () => {
    const seller = await app.client.newUser({ name: 'Campo Los Álamos' }, 'alamos');
    const buyer = await app.client.newUser({ name: 'Lucía Fernández' }, 'lucia');
    const ad = await newAd(app, seller.access, adBody({ title: `Tractor ${uniqueWord('fav')} para favoritos` }));
    const ctx = await newContext(browser, PHONE, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await logIn(page, buyer);
      await page.goto(`/avisos/${ad.id}`);
      await page.getByRole('heading', { level: 1, name: ad.title }).waitFor();
      const fav = page.getByRole('button', { name: /Guardar en favoritos/ });
      assert.equal(await fav.getAttribute('aria-pressed'), 'false');
      const put = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${ad.id}/favorite`) && r.request().method() === 'PUT');
      await fav.click();
      assert.equal((await put).status(), 204);
      await page.getByRole('button', { name: /Guardado en favoritos/, pressed: true }).waitFor();

      await (await accountItem(page, 'link', 'Favoritos')).click();
      await page.getByRole('heading', { level: 1, name: 'Favoritos' }).waitFor();
      await page.getByRole('list', { name: 'Favoritos' }).getByRole('link', { name: new RegExp(ad.title) }).waitFor();

      // Report it; a second report of the same ad is a 409, said in Spanish.
      const report = async () => {
        await page.goto(`/avisos/${ad.id}`);
        await page.getByRole('button', { name: /Guardado en favoritos/, pressed: true }).waitFor();
        await page.getByRole('button', { name: 'Denunciar aviso' }).click();
        await page.getByLabel('Motivo').selectOption('fraud');
        const sent = page.waitForResponse((r) => r.url().endsWith(`/api/ads/${ad.id}/report`));
        await page.getByRole('button', { name: 'Enviar denuncia' }).click();
        return (await sent).status();
      };
      assert.equal(await report(), 201);
      await page.getByRole('status').getByText('Gracias. Recibimos tu denuncia y la vamos a revisar.').waitFor();
      assert.equal(await report(), 409);
      await page.getByRole('status').getByText('Ya denunciaste este aviso. Lo estamos revisando.').waitFor();
      assertNoProblems(ctx);
    } finally {
      await ctx.close();
    }
  });
});
