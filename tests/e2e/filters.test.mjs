// Search filters and the ad page, in Debian's chromium at phone width
// (docs/WEB.md "Browser tests"): the filters folded in "Filtros", a category
// and an attribute range (attr.year.min) narrowing the results to the
// matching ads only, sort by price ascending, the filtered URL reloaded with
// the same results and the form filled in again; axe-core on the filtered
// page; the ad page's attributes labelled from the category with their units,
// and its gallery: thumbnails, the full photo fetched only when opened from
// the keyboard. Screenshots: filters-phone, filtered-phone, gallery-phone.
//
// The data is made through the API in before(): four tractors (years 2010,
// 2016, 2020, 2022, all in USD), a harvester of 2019 (another category, same
// attribute), two small PNG photos on the 2020 tractor.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { PHONE, adBody, assertNoProblems, axeSerious, expectCards, newAd, newContext, screenshot, startAppAndBrowser } from './lib/browser.mjs';
import { encodePng } from './lib/png.mjs';

let app;
let browser;
let phone;
let page;
const tr = {}; // tractors by year
let harvester;
const photos = [];

/** A small PNG, its colour shifted by shade. */
function makePng(width, height, shade) {
  return encodePng(width, height, (x, y) => [shade + x, 100 + y, 40]);
}

before(async () => {
  ({ app, browser } = await startAppAndBrowser());
  const seller = await app.client.newUser({ name: 'Campo Abierto' }, 'seller');
  const tractor = (year, price) =>
    newAd(app, seller.access, adBody({ title: `Tractor Deutz modelo ${year}`, price, attributes: { brand: 'Deutz', year, hp: 110, traction: 'doble', condition: 'usado' } }));
  tr[2010] = await tractor(2010, 30000);
  tr[2016] = await tractor(2016, 20000);
  tr[2020] = await tractor(2020, 45000);
  tr[2022] = await tractor(2022, 35000);
  harvester = await newAd(app, seller.access, adBody({ title: 'Cosechadora Claas 2019', price: 90000, category_id: 102, attributes: { brand: 'Claas', year: 2019 } }));
  for (const shade of [20, 120]) {
    const res = await fetch(`${app.url}/api/ads/${tr[2020].id}/images`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/png', Authorization: `Bearer ${seller.access}` },
      body: makePng(64, 48, shade),
    });
    const text = await res.text();
    assert.equal(res.status, 201, `photo upload: ${text}`);
    photos.push(JSON.parse(text));
  }
  phone = await newContext(browser, PHONE, { baseURL: app.url });
  page = await phone.newPage();
});

after(async () => {
  await phone?.close();
  await browser?.close();
  await app?.stop();
});

describe('search filters on a phone', () => {
  it('a category and "Año desde 2015" narrow the results to the matching tractors only', async () => {
    await page.goto('/buscar');
    await expectCards(page, [harvester, tr[2022], tr[2020], tr[2016], tr[2010]]);
    const form = page.getByRole('form', { name: 'Filtros de búsqueda' });
    assert.equal(await form.isVisible(), false, 'folded on a phone');
    await page.locator('summary', { hasText: 'Filtros' }).click();
    await form.getByLabel('Categoría').selectOption('tractores');
    // The category's attributes, the parent's "Estado" included.
    // A year in words is refused by the field, before any request.
    const from = form.getByLabel('Año desde');
    await from.fill('dos mil');
    await form.getByRole('button', { name: 'Aplicar filtros' }).click();
    await form.getByText('Ingresá un número.').waitFor();
    assert.equal(await from.getAttribute('aria-invalid'), 'true');
    assert.equal(await from.evaluate((el) => el === document.activeElement), true, 'the field in error is focused');
    assert.equal(new URL(page.url()).search, '', 'not sent');
    await from.fill('2015');
    assert.equal(await form.getByText('Ingresá un número.').count(), 0, 'the error goes once the field changes');
    await form.getByLabel('Potencia (hp) hasta').waitFor();
    await form.getByLabel('Estado').waitFor();
    await screenshot(page, 'filters', PHONE);
    await form.getByRole('button', { name: 'Aplicar filtros' }).click();
    await page.waitForURL((u) => u.pathname === '/buscar' && u.search === '?category=tractores&attr.year.min=2015');
    await expectCards(page, [tr[2022], tr[2020], tr[2016]]);
  });

  it('sort by lower price orders the cards by price', async () => {
    const form = page.getByRole('form', { name: 'Filtros de búsqueda' });
    if (!(await form.isVisible())) await page.locator('summary', { hasText: 'Filtros' }).click();
    await form.getByLabel('Ordenar por').selectOption({ label: 'Menor precio' });
    await form.getByRole('button', { name: 'Aplicar filtros' }).click();
    await page.waitForURL((u) => u.search === '?category=tractores&attr.year.min=2015&sort=price_asc');
    await expectCards(page, [tr[2016], tr[2022], tr[2020]]); // 20.000, 35.000, 45.000
    await screenshot(page, 'filtered', PHONE);
  });

  it('the filtered URL reloaded shows the same results and fills the form in again', async () => {
    await page.reload();
    await expectCards(page, [tr[2016], tr[2022], tr[2020]]);
    const form = page.getByRole('form', { name: 'Filtros de búsqueda', includeHidden: true });
    await form.getByLabel('Año desde').waitFor({ state: 'attached' });
    assert.equal(await form.getByLabel('Categoría').inputValue(), 'tractores');
    assert.equal(await form.getByLabel('Año desde').inputValue(), '2015');
    assert.equal(await form.getByLabel('Ordenar por').inputValue(), 'price_asc');
    assert.match(await page.locator('summary').textContent(), /2 filtros activos/);
  });

  it('the filtered page with the filters open passes axe-core (no serious or critical violation)', async () => {
    await page.locator('summary', { hasText: 'Filtros' }).click();
    await page.getByRole('form', { name: 'Filtros de búsqueda' }).getByLabel('Año hasta').waitFor();
    assert.deepEqual(await axeSerious(page), []);
  });

  it('the ad page labels the attributes from the category, with units, and opens the full photo on demand', async () => {
    const full = [];
    page.on('request', (r) => {
      if (/\/api\/images\/\d+$/.test(new URL(r.url()).pathname)) full.push(r.url());
    });
    await page.goto(`/avisos/${tr[2020].id}`);
    await page.getByRole('heading', { level: 1, name: tr[2020].title }).waitFor();
    const attrs = await page.locator('dl.attrs').evaluate((dl) => [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent]));
    assert.deepEqual(attrs, [
      ['Estado', 'usado'], // the parent's first, as the category lists them
      ['Marca', 'Deutz'],
      ['Año', '2020'],
      ['Potencia', '110 hp'],
      ['Tracción', 'doble'],
    ]);

    const gallery = page.getByRole('region', { name: 'Fotos' });
    const thumbs = gallery.getByRole('button', { name: /^Ver foto \d de 2$/ });
    assert.equal(await thumbs.count(), 2);
    assert.equal(await gallery.locator('img').first().getAttribute('loading'), 'lazy');
    assert.deepEqual(full, [], 'no full photo before one is opened');

    // From the keyboard: focus the second thumbnail, Enter.
    await gallery.getByRole('button', { name: 'Ver foto 2 de 2' }).focus();
    await page.keyboard.press('Enter');
    const viewer = page.getByRole('dialog', { name: 'Foto 2 de 2' });
    await viewer.waitFor();
    const img = viewer.getByRole('img');
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
    assert.equal(await img.getAttribute('src'), photos[1].url);
    assert.deepEqual(full.map((u) => new URL(u).pathname), [new URL(photos[1].url, app.url).pathname], 'only the photo opened was fetched');
    await screenshot(page, 'gallery', PHONE);
    await viewer.getByRole('button', { name: 'Foto anterior' }).click();
    await page.getByRole('dialog', { name: 'Foto 1 de 2' }).waitFor();
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Ver foto 2 de 2', 'focus back on the thumbnail');
  });

  it('on a touch screen a swipe on the open photo moves between the photos; a vertical move does not', async () => {
    await page.goto(`/avisos/${tr[2020].id}`);
    await page.getByRole('region', { name: 'Fotos' }).getByRole('button', { name: 'Ver foto 1 de 2' }).tap();
    const first = page.getByRole('dialog', { name: 'Foto 1 de 2' });
    await first.waitFor();
    const img = first.getByRole('img');
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
    // Real touch input through the DevTools protocol (the PHONE context has
    // hasTouch): the browser turns it into pointer events as for a finger.
    const cdp = await phone.newCDPSession(page);
    const b = await img.boundingBox();
    const drag = async (from, to) => {
      const steps = 6;
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from.x, y: from.y }] });
      for (let i = 1; i <= steps; i++) {
        const x = from.x + ((to.x - from.x) * i) / steps;
        const y = from.y + ((to.y - from.y) * i) / steps;
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y }] });
      }
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    };
    const mid = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    const w = Math.min(120, b.width / 2 - 4);
    await drag({ x: mid.x + w, y: mid.y }, { x: mid.x - w, y: mid.y }); // to the left
    await page.getByRole('dialog', { name: 'Foto 2 de 2' }).waitFor();
    assert.equal(await page.getByRole('dialog').getByRole('img').getAttribute('src'), photos[1].url);
    await drag({ x: mid.x, y: mid.y - 20 }, { x: mid.x + 10, y: mid.y + 20 }); // mostly vertical: no change
    await drag({ x: mid.x - w, y: mid.y }, { x: mid.x + w, y: mid.y }); // to the right
    await page.getByRole('dialog', { name: 'Foto 1 de 2' }).waitFor();
    await cdp.detach();
    // A click, not a tap: a tap right after a fast drag is taken by Chrome as
    // stopping the fling and sends no click (as on a phone).
    await page.getByRole('dialog').getByRole('button', { name: 'Cerrar foto' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
  });

  it('a search the API refuses (a hand-edited URL) names the filter and offers "Limpiar filtros"', async () => {
    await page.goto('/buscar?min_price=abc');
    const alert = page.getByRole('main').getByRole('alert');
    await alert.getByText('No pudimos entender esta búsqueda.').waitFor();
    await alert.getByText('Revisá el filtro “Precio desde”', { exact: false }).waitFor();
    assert.equal(await page.getByText('Algo salió mal', { exact: false }).count(), 0, 'not the generic message');
    assert.deepEqual(await axeSerious(page), [], 'the refused search: no serious or critical axe violation');
    await alert.getByRole('link', { name: 'Limpiar filtros' }).click();
    await page.waitForURL((u) => u.pathname === '/buscar' && u.search === '');
    await expectCards(page, [harvester, tr[2022], tr[2020], tr[2016], tr[2010]]);

    // An attribute's range, named by the category's label; the text search kept.
    await page.goto('/buscar?q=deutz&category=tractores&attr.year.min=dos+mil');
    await alert.getByText('Revisá el filtro “Año desde”', { exact: false }).waitFor();
    await alert.getByRole('link', { name: 'Limpiar filtros' }).click();
    await page.waitForURL((u) => u.search === '?q=deutz');
    await expectCards(page, [tr[2022], tr[2020], tr[2016], tr[2010]]);
  });

  it('a price range typed as people write it ("25.000") in dollars keeps the tractors priced inside it', async () => {
    await page.goto('/buscar');
    await expectCards(page, [harvester, tr[2022], tr[2020], tr[2016], tr[2010]]);
    await page.locator('summary', { hasText: 'Filtros' }).click();
    const form = page.getByRole('form', { name: 'Filtros de búsqueda' });
    await form.getByLabel('Precio desde').fill('25.000');
    await form.getByLabel('Precio hasta').fill('40000');
    await form.getByLabel('Precio en').selectOption({ label: 'Dólares (USD)' });
    await form.getByRole('button', { name: 'Aplicar filtros' }).click();
    await page.waitForURL((u) => u.searchParams.get('max_price') === '40000');
    assert.deepEqual(Object.fromEntries(new URL(page.url()).searchParams), { min_price: '25000', max_price: '40000', price_currency: 'USD' });
    await expectCards(page, [tr[2022], tr[2010]]); // 35.000 and 30.000; 20.000, 45.000 and 90.000 left out
    await page.reload();
    await expectCards(page, [tr[2022], tr[2010]]);
    const again = page.getByRole('form', { name: 'Filtros de búsqueda', includeHidden: true });
    await again.getByLabel('Precio desde').waitFor({ state: 'attached' });
    assert.equal(await again.getByLabel('Precio desde').inputValue(), '25000');
    assert.equal(await again.getByLabel('Precio hasta').inputValue(), '40000');
    assert.equal(await again.getByLabel('Precio en').inputValue(), 'USD');
  });

  it('"Provincia" keeps the ads of that province only', async () => {
    const salta = await newAd(app, (await app.client.newUser({ name: 'Finca del Norte' }, 'salta')).access, adBody({ title: 'Tractor Hanomag en Metán', province: 'Salta', locality: 'Metán' }));
    await page.goto('/buscar');
    await expectCards(page, [salta, harvester, tr[2022], tr[2020], tr[2016], tr[2010]]);
    await page.locator('summary', { hasText: 'Filtros' }).click();
    const form = page.getByRole('form', { name: 'Filtros de búsqueda' });
    await form.getByLabel('Provincia').selectOption('Salta');
    await form.getByRole('button', { name: 'Aplicar filtros' }).click();
    await page.waitForURL((u) => u.search === '?province=Salta');
    await expectCards(page, [salta]);
    await page.getByRole('main').getByText('Metán, Salta').waitFor();

    await page.locator('summary', { hasText: 'Filtros' }).click();
    await form.getByLabel('Provincia').selectOption('Córdoba');
    await form.getByRole('button', { name: 'Aplicar filtros' }).click();
    await page.waitForURL((u) => u.search === `?province=${encodeURIComponent('Córdoba')}`);
    await expectCards(page, [harvester, tr[2022], tr[2020], tr[2016], tr[2010]]);
  });

  it('no CSP violation or script error was reported', () => {
    assertNoProblems(phone);
  });
});
