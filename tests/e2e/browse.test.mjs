// A buyer's first visit, in Debian's chromium at phone and desktop widths,
// against the real server and the built app (docs/WEB.md "Browser tests"):
// the home's featured ads and categories, suggestions while typing, an
// accent-less search, "Ver más", the search URL reloaded and shared, an ad
// with a price and one "Consultar"; the CSP on the HTML and no violation
// during the story; axe-core on home and search; screenshots of home,
// search and ad at both widths under build/screenshots/.
//
// The data is made through the API in before(): a seller's 25 tractor ads
// (one without a price), three of them featured by an admin.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  DESKTOP,
  PHONE,
  adBody,
  assertNoProblems,
  axeSerious,
  feature,
  newAd,
  newAdmin,
  newContext,
  screenshot,
  startAppAndBrowser,
} from './lib/browser.mjs';

const TOTAL = 25; // more than a page (20)
const FEATURED = 3;

let app;
let browser;
let phone;
const ads = []; // newest last
let noPrice; // the ad without a price

before(async () => {
  ({ app, browser } = await startAppAndBrowser());
  const seller = await app.client.newUser({ name: 'Estancia La Esperanza' }, 'seller');
  const admin = await newAdmin(app);
  for (let i = 0; i < TOTAL; i++) {
    const priceless = i === 7;
    const body = adBody({ title: `Tractor John Deere 6110J número ${i + 1}`, price: priceless ? null : 25000 + i * 1000 });
    if (priceless) delete body.currency;
    ads.push(await newAd(app, seller.access, body));
  }
  noPrice = ads[7];
  for (const ad of ads.slice(-FEATURED)) await feature(app, admin.access, ad.id);
  phone = await newContext(browser, PHONE, { baseURL: app.url });
});

after(async () => {
  await phone?.close();
  await browser?.close();
  await app?.stop();
});

/** The ids of the result cards, in order. */
async function cardIds(list) {
  const hrefs = await list.getByRole('link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  return hrefs.map((h) => Number(h.split('/').pop()));
}

describe('a buyer browsing on a phone', () => {
  let page;
  before(async () => {
    page = await phone.newPage();
  });

  it('the HTML carries the CSP and the home shows featured ads and the categories', async () => {
    // The home page's two API answers are preloaded (the Link header of
    // "/"): each must be asked once, the script's fetch finding the
    // preloaded answer (a preload the page did not match would be a second
    // request).
    const asked = [];
    const onRequest = (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/ads/featured' || u.pathname === '/api/categories') asked.push(u.pathname + u.search);
    };
    page.on('request', onRequest);
    const res = await page.goto('/');
    assert.match(res.headers().link ?? '', /<\/api\/ads\/featured\?limit=8>; rel=preload; as=fetch; crossorigin/);
    assert.equal(res.status(), 200);
    const csp = res.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'/, 'the HTML answer carries the CSP');
    assert.match(csp, /connect-src 'self'/);
    assert.equal(await page.getAttribute('html', 'lang'), 'es-AR');

    const featured = page.getByRole('region', { name: 'Avisos destacados' });
    const cards = featured.getByRole('listitem');
    await cards.first().waitFor();
    assert.equal(await cards.count(), FEATURED);
    // Newest first: the last ad made is the first card.
    await featured.getByRole('heading', { name: ads[TOTAL - 1].title }).waitFor();

    const cats = page.getByRole('region', { name: 'Categorías' });
    await cats.getByRole('link', { name: 'Tractores', exact: true }).waitFor();
    assert.ok((await cats.getByRole('link').count()) > 5, 'the category tree is listed');
    page.off('request', onRequest);
    assert.deepEqual(asked.sort(), ['/api/ads/featured?limit=8', '/api/categories'], 'each answer asked once');
    await screenshot(page, 'home', PHONE);
  });

  it('typing in the search box offers suggestions', async () => {
    const box = page.getByRole('combobox', { name: 'Buscar avisos' });
    await box.fill('tract');
    // The datalist gets its options once the debounced request answers.
    await page.locator('#suggestions option').first().waitFor({ state: 'attached' });
    const values = await page.locator('#suggestions option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(values.some((v) => /tractor/i.test(v)), `a suggestion names tractors: ${JSON.stringify(values)}`);
  });

  let firstPage;
  it('a search without accents or singular ("tractores") finds the ads, and "Ver más" appends a page', async () => {
    const box = page.getByRole('combobox', { name: 'Buscar avisos' });
    await box.fill('tractores');
    const answer = page.waitForResponse((r) => r.url().includes('/api/ads?') && r.url().includes('q=tractores'));
    await box.press('Enter');
    assert.equal((await answer).status(), 200);
    await page.waitForURL(/\/buscar\?q=tractores$/);
    const list = page.getByRole('list', { name: 'Resultados para “tractores”' });
    await list.getByRole('listitem').nth(19).waitFor();
    assert.equal(await list.getByRole('listitem').count(), 20);
    firstPage = await cardIds(list);
    assert.deepEqual(firstPage, ads.slice(-20).reverse().map((a) => a.id), 'newest first');
    await page.getByRole('main').getByText('20+ avisos').waitFor();
    await screenshot(page, 'search', PHONE);

    await page.getByRole('button', { name: 'Ver más' }).click();
    await list.getByRole('listitem').nth(TOTAL - 1).waitFor();
    assert.equal(await list.getByRole('listitem').count(), TOTAL);
    assert.deepEqual(await cardIds(list), ads.slice().reverse().map((a) => a.id), 'the second page follows the first');
    await page.getByRole('main').getByText(`${TOTAL} avisos`, { exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Ver más' }).count(), 0, 'no "Ver más" after the last page');
  });

  it('the search URL reloaded, or opened in another tab, shows the same results', async () => {
    await page.reload();
    const list = page.getByRole('list', { name: 'Resultados para “tractores”' });
    await list.getByRole('listitem').nth(19).waitFor();
    assert.deepEqual(await cardIds(list), firstPage);
    assert.equal(await page.getByRole('combobox', { name: 'Buscar avisos' }).inputValue(), 'tractores');

    const other = await phone.newPage();
    await other.goto(page.url());
    const list2 = other.getByRole('list', { name: 'Resultados para “tractores”' });
    await list2.getByRole('listitem').nth(19).waitFor();
    assert.deepEqual(await cardIds(list2), firstPage);
    await other.close();
  });

  it('an ad page shows its price, and "Consultar" when it has none', async () => {
    const list = page.getByRole('list', { name: 'Resultados para “tractores”' });
    const newest = ads[TOTAL - 1];
    await list.getByRole('link', { name: new RegExp(newest.title) }).click();
    await page.waitForURL(`**/avisos/${newest.id}`);
    await page.getByRole('heading', { level: 1, name: newest.title }).waitFor();
    assert.match(await page.locator('article .price').textContent(), /^USD\s49\.000$/);
    await page.getByText('Vendedor: Estancia La Esperanza').waitFor();
    await screenshot(page, 'ad', PHONE);

    await page.goto(`/avisos/${noPrice.id}`);
    await page.getByRole('heading', { level: 1, name: noPrice.title }).waitFor();
    assert.equal(await page.locator('article .price').textContent(), 'Consultar');
  });

  it('no CSP violation or script error was reported during the story', () => {
    assertNoProblems(phone);
  });
});

describe('the harness', () => {
  it('sees a CSP violation when there is one (an inline script the test injects)', async () => {
    const ctx = await newContext(browser, DESKTOP, { baseURL: app.url });
    try {
      const page = await ctx.newPage();
      await page.goto('/');
      const reported = page.waitForEvent('console', (m) => m.text().startsWith('CSP violation'));
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.injected = true';
        document.head.append(s);
      });
      await reported;
      assert.equal(await page.evaluate(() => window.injected), undefined, 'the inline script did not run');
      assert.ok(ctx.problems.some((p) => /CSP violation: script-src/.test(p)), `recorded: ${JSON.stringify(ctx.problems)}`);
    } finally {
      await ctx.close();
    }
  });
});

describe('accessibility and screenshots', () => {
  for (const size of [PHONE, DESKTOP]) {
    it(`home and search pass axe-core with no serious or critical violation at ${size.name} width`, async () => {
      const ctx = size === PHONE ? phone : await newContext(browser, size, { baseURL: app.url });
      try {
        const page = await ctx.newPage();
        await page.goto('/');
        await page.getByRole('region', { name: 'Avisos destacados' }).getByRole('listitem').first().waitFor();
        await page.getByRole('region', { name: 'Categorías' }).getByRole('link').first().waitFor();
        assert.deepEqual(await axeSerious(page), [], 'home');
        if (size === DESKTOP) await screenshot(page, 'home', size);

        await page.goto('/buscar?q=tractores');
        await page.getByRole('button', { name: 'Ver más' }).waitFor();
        assert.deepEqual(await axeSerious(page), [], 'search');
        if (size === DESKTOP) {
          await screenshot(page, 'search', size);
          await page.goto(`/avisos/${ads[TOTAL - 1].id}`);
          await page.getByRole('heading', { level: 1, name: ads[TOTAL - 1].title }).waitFor();
          await screenshot(page, 'ad', size);
        }
        await page.close();
        assertNoProblems(ctx, `${size.name} pages`);
      } finally {
        if (ctx !== phone) await ctx.close();
      }
    });
  }
});
