// Keyboard only, at desktop width (issue 14: "usable by keyboard"): a buyer
// who never touches a mouse skips to the content, searches, opens an ad,
// is sent to the log-in form by "Guardar en favoritos" and comes back to the
// ad, saves it, and writes to the seller — only Tab, Shift+Tab, Enter and
// typing. Every element the Tab key stops on must show a visible focus
// indicator (an outline or a box shadow), and every stop must be something a
// person can act on (no focus lost on the page's body on the way).
//
// The data is made through the API in before(): a seller, a buyer and one ad.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DESKTOP, account, adBody, assertNoProblems, newAd, newContext, startAppAndBrowser } from './lib/browser.mjs';

let app;
let browser;
let ctx;
let page;
let seller;
let buyer;
let ad;

before(async () => {
  ({ app, browser } = await startAppAndBrowser());
  seller = await app.client.newUser({ name: 'Estancia La Tranquera' }, 'kbseller');
  buyer = await app.client.newUser({ name: 'Pedro Teclado' }, 'kbbuyer');
  ad = await newAd(app, seller.access, adBody({ title: 'Rastra de discos Baldan 28 platos', price: 12000 }));
  ctx = await newContext(browser, DESKTOP, { baseURL: app.url });
  page = await ctx.newPage();
});

after(async () => {
  await ctx?.close();
  await browser?.close();
  await app?.stop();
});

/** The focused element as the test reads it: its tag, id, href, the text a
 *  person would hear, and whether its focus is drawn. */
function focused() {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { tag: 'body' };
    const style = getComputedStyle(el);
    const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      href: el.getAttribute('href'),
      pressed: el.getAttribute('aria-pressed'),
      text: (el.getAttribute('aria-label') || el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 80),
      visible: outlined || style.boxShadow !== 'none',
    };
  });
}

/** Presses key (Tab by default) until the focused element satisfies want, at
 *  most max times; checks every stop on the way. Returns the element. */
async function tabTo(want, what, { key = 'Tab', max = 60 } = {}) {
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const f = await focused();
    assert.notEqual(f.tag, 'body', `${what}: the focus fell on the page's body after ${stops.join(' → ')}`);
    assert.ok(f.visible, `${what}: ${f.tag} "${f.text}" has the focus but shows no focus indicator`);
    stops.push(`${f.tag} "${f.text}"`);
    if (want(f)) return f;
  }
  assert.fail(`${what}: not reached within ${max} presses of ${key} (${stops.join(' → ')})`);
}

describe('a buyer using only the keyboard', () => {
  it('skips to the content, searches, opens the ad', async () => {
    await page.goto('/');
    await page.getByRole('main').getByRole('heading', { level: 1 }).first().waitFor();
    const first = await tabTo(() => true, 'the first Tab', { max: 1 });
    assert.equal(first.text, 'Saltar al contenido', 'the first stop is the skip link');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'main');

    await page.goto('/');
    await tabTo((f) => f.id === 'q', 'the search box');
    await page.keyboard.type('rastra baldan');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/buscar' && u.searchParams.get('q') === 'rastra baldan');
    await page.getByRole('main').getByRole('link', { name: new RegExp(ad.title) }).waitFor();

    await tabTo((f) => f.href === `/avisos/${ad.id}`, 'the result');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: ad.title }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/avisos/${ad.id}`);
  });

  it('"Guardar en favoritos" leads to the log-in form and back; the ad is saved', async () => {
    await page.getByRole('button', { name: /Guardar en favoritos/ }).waitFor();
    await tabTo((f) => f.tag === 'button' && /Guardar en favoritos/.test(f.text), 'the favorite button');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/ingresar');

    await tabTo((f) => f.tag === 'input' && /email/i.test(f.id), 'the email field');
    await page.keyboard.type(buyer.email);
    await page.keyboard.press('Tab');
    const password = await focused();
    assert.equal(password.tag, 'input', 'Tab from the email goes to the password');
    await page.keyboard.type(buyer.password);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === `/avisos/${ad.id}`);
    await account(page).getByText('Hola, Pedro Teclado').waitFor();

    // The button is drawn again once the session is known; Tab to it afresh.
    await page.getByRole('button', { name: /Guardar en favoritos/ }).waitFor();
    await tabTo((f) => f.tag === 'button' && /Guardar en favoritos/.test(f.text), 'the favorite button, logged in');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /Guardado en favoritos/, pressed: true }).waitFor();
    const after0 = await focused();
    assert.ok(after0.tag === 'button' && after0.pressed === 'true', `the focus stays on the button (${after0.tag} "${after0.text}")`);
    const favorites = await app.client.call('GET', '/api/me/favorites', { token: buyer.access });
    assert.equal(favorites.status, 200);
    assert.deepEqual(JSON.parse(favorites.body).items.map((a) => a.id), [ad.id], 'saved in the API');
  });

  it('"Enviar mensaje" opens the conversation; Enter sends what was typed', async () => {
    await tabTo((f) => f.text === 'Enviar mensaje', '"Enviar mensaje"');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === `/mensajes/${seller.user.id}`);
    const box = page.getByLabel('Mensaje', { exact: true });
    await box.waitFor();
    await tabTo((f) => f.tag === 'textarea', 'the message box');
    const text = 'Hola, ¿la rastra tiene los discos nuevos?';
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    await page.locator('li.msg.own:not(.pending)', { hasText: text }).waitFor();
    const stored = await app.client.call('GET', `/api/conversations/${buyer.user.id}/messages`, { token: seller.access });
    assert.equal(stored.status, 200);
    assert.deepEqual(JSON.parse(stored.body).items.map((m) => m.body), [text], 'the seller has it');
  });

  it('no CSP violation or script error was reported', () => {
    assertNoProblems(ctx);
  });
});
