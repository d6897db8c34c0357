// The header of a logged-in person (docs/WEB.md "The header's menu"): at
// phone width the links fold behind "Menú", so the account area keeps one
// row beside the brand (an admin's, the longest, included) and the header
// has no row more than a logged-out visitor's; the menu works from the keyboard
// (Enter and Space open it and focus its first link, Escape closes it and
// gives the focus back, its links move the app, Tab out closes it); axe-core
// with the menu open. At desktop width nothing is folded. Screenshot:
// header-menu-phone.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DESKTOP, PHONE, account, assertNoProblems, axeSerious, loggedInContext, newAdmin, newContext, screenshot, startAppAndBrowser, waitGreeting } from './lib/browser.mjs';

let app;
let browser;
let admin;
const contexts = [];

before(async () => {
  ({ app, browser } = await startAppAndBrowser());
  admin = await newAdmin(app);
});

after(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await app?.stop();
});

async function adminPage(size) {
  const ctx = await loggedInContext(browser, size, { baseURL: app.url, user: await app.client.newSession(admin) });
  contexts.push(ctx);
  const page = await ctx.newPage();
  await page.goto('/');
  await waitGreeting(page, admin.user.name);
  return page;
}

const box = async (locator) => {
  const b = await locator.boundingBox();
  assert.ok(b, 'laid out');
  return b;
};
const focused = (page) => page.evaluate(() => document.activeElement?.textContent?.trim() ?? null);

describe('the header\'s menu', () => {
  it('at phone width an admin\'s account area is one row beside the brand, with no row more than a visitor\'s header', async () => {
    const anon = await newContext(browser, PHONE, { baseURL: app.url });
    contexts.push(anon);
    const visitor = await anon.newPage();
    await visitor.goto('/');
    await account(visitor).getByRole('link', { name: 'Ingresar' }).waitFor();
    const visitorHeader = await box(visitor.getByRole('banner'));

    const page = await adminPage(PHONE);
    const nav = account(page);
    const toggle = nav.getByRole('button', { name: 'Menú' });
    await toggle.waitFor();
    const [button, navBox, brand, header] = await Promise.all([box(toggle), box(nav), box(page.getByRole('link', { name: 'Rural24' })), box(page.getByRole('banner'))]);
    assert.ok(navBox.height < 2 * button.height, `the account area is one row: ${navBox.height} px for buttons of ${button.height} px`);
    assert.ok(Math.abs(brand.y + brand.height / 2 - (button.y + button.height / 2)) < button.height / 2, 'beside the brand');
    // Two rows, the brand's and the search's, as a visitor's: no row more
    // (a row is at least a button high), and under three buttons' height
    // (the unfolded header of an admin took four rows).
    assert.ok(header.height < visitorHeader.height + button.height / 2, `the header (${header.height} px) has no row more than a visitor's (${visitorHeader.height} px)`);
    assert.ok(header.height < 3 * button.height, `the header (${header.height} px) is two rows of ${button.height} px buttons`);
    assert.equal(await nav.getByRole('link', { name: 'Publicar' }).isVisible(), true, '"Publicar" stays in view');
    assert.equal(await nav.getByRole('link', { name: 'Mis avisos' }).count(), 0, 'the other links are folded');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assertNoProblems(page.context());
  });

  it('the menu opens from the keyboard, Escape closes it, its links move the app; axe with it open', async () => {
    const page = await adminPage(PHONE);
    const nav = account(page);
    const toggle = nav.getByRole('button', { name: 'Menú' });
    const panel = page.locator(`#${await toggle.getAttribute('aria-controls')}`);

    await toggle.focus();
    await page.keyboard.press('Enter');
    await nav.getByRole('link', { name: 'Mis avisos' }).waitFor();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(await focused(page), 'Mis avisos', 'the first link is focused');
    for (const name of ['Favoritos', 'Mensajes', 'Notificaciones', 'Mi cuenta', 'Denuncias']) await nav.getByRole('link', { name }).waitFor();
    await nav.getByRole('button', { name: 'Salir' }).waitFor();
    assert.deepEqual(await axeSerious(page), [], 'the menu open: no serious or critical axe violation');
    await screenshot(page, 'header-menu', PHONE);

    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await toggle.evaluate((el) => el === document.activeElement), true, 'the focus is back on the button');

    // Space opens it too; Tab walks its links; Enter follows one.
    await page.keyboard.press(' ');
    await nav.getByRole('link', { name: 'Mis avisos' }).waitFor();
    for (let i = 0; i < 8 && (await focused(page)) !== 'Mi cuenta'; i++) await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'Mi cuenta');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/cuenta');
    await page.getByRole('heading', { level: 1, name: 'Mi cuenta' }).waitFor();
    await panel.waitFor({ state: 'hidden' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');

    // Tab past the last item closes it; so does a click outside.
    await toggle.click();
    await nav.getByRole('button', { name: 'Salir' }).focus();
    await page.keyboard.press('Tab');
    await panel.waitFor({ state: 'hidden' });
    await toggle.click();
    await nav.getByRole('link', { name: 'Favoritos' }).waitFor();
    await page.getByRole('contentinfo').click(); // the footer, below the open menu
    await panel.waitFor({ state: 'hidden' });
    assertNoProblems(page.context());
  });

  it('at desktop width nothing is folded', async () => {
    const page = await adminPage(DESKTOP);
    const nav = account(page);
    assert.equal(await nav.getByRole('button', { name: 'Menú' }).isVisible(), false);
    for (const name of ['Publicar', 'Mis avisos', 'Favoritos', 'Mensajes', 'Notificaciones', 'Mi cuenta', 'Denuncias']) {
      assert.equal(await nav.getByRole('link', { name }).isVisible(), true, `${name} in view`);
    }
    assert.equal(await nav.getByRole('button', { name: 'Salir' }).isVisible(), true);
    assertNoProblems(page.context());
  });
});
