// Messages and notifications in the browser (docs/WEB.md "Messages and
// notifications"), two people in two contexts: B (a phone) writes to A (a
// desktop) from A's ad; A sees it arrive without reloading and answers; the
// typing indicator and the read receipt; B loses the network: A's message
// sent meanwhile shows once after the reconnect (the since_id catch-up) and
// what B typed offline goes out when the network returns; B saves a search
// and an ad A publishes through the API lights B's notification badge (the
// matcher runs every 200 ms here); two more messages from B raise the
// unread-messages badge of A's header without a reload, and reading the
// conversation clears it. axe-core on the conversation at both
// widths, screenshots of Mensajes, a conversation and Notificaciones.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DESKTOP, PHONE, account, accountItem, assertNoProblems, axeSerious, loggedInContext, newAd, newContext, screenshot, startAppAndBrowser } from './lib/browser.mjs';

let app;
let browser;
let A; // the seller (desktop)
let B; // the buyer (phone)
let apiA; // a session of A's for the API calls of the test
let ad;
let ctxA;
let ctxB;
let pageA;
let pageB;

/** A context logged in as u. */
const loggedIn = (u, size) => loggedInContext(browser, size, { baseURL: app.url, user: u });

before(async () => {
  ({ app, browser } = await startAppAndBrowser({ extra: { MATCHER_INTERVAL_MS: '200' } }));
  [A, B] = await Promise.all([
    app.client.newUser({ name: 'Ana Ganadera' }, 'ana'),
    app.client.newUser({ name: 'Bruno Tambero' }, 'bruno'),
  ]);
  apiA = await app.client.newSession(A);
  ad = await newAd(app, apiA.access, { title: 'Tractor Zanello 4200 con pala' });
  [ctxA, ctxB] = await Promise.all([loggedIn(A, DESKTOP), loggedIn(B, PHONE)]);
  [pageA, pageB] = await Promise.all([ctxA.newPage(), ctxB.newPage()]);
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const bubble = (page, text) => page.locator('li.msg', { hasText: text });
describe('messages and notifications', () => {
  it('B writes from the ad, A sees it live and answers: typing, read receipt', async () => {
    await pageA.goto('/mensajes');
    await pageA.getByRole('heading', { level: 1, name: 'Mensajes' }).waitFor();
    await pageA.getByText('Todavía no tenés mensajes.', { exact: false }).waitFor();

    await pageB.goto(`/avisos/${ad.id}`);
    await pageB.getByRole('link', { name: 'Enviar mensaje' }).click();
    await pageB.waitForURL((u) => u.pathname === `/mensajes/${A.user.id}` && u.searchParams.get('aviso') === String(ad.id));
    await pageB.getByRole('heading', { level: 1, name: 'Conversación con Ana Ganadera' }).waitFor();
    await pageB.getByRole('link', { name: 'Tractor Zanello 4200 con pala' }).waitFor();
    const first = 'Hola Ana, ¿sigue disponible el tractor?';
    await pageB.getByLabel('Mensaje', { exact: true }).fill(first);
    await pageB.getByLabel('Mensaje', { exact: true }).press('Enter');
    // The ack replaces the pending bubble with the stored message.
    await pageB.locator('li.msg.own:not(.pending)', { hasText: first }).getByText('enviado').waitFor();
    assert.equal(await pageB.getByLabel('Mensaje', { exact: true }).inputValue(), '');

    // A's list takes the new conversation without a reload.
    const row = pageA.getByRole('link', { name: /Bruno Tambero/ });
    await row.getByText('1 mensaje sin leer').waitFor();
    await row.getByText('Tractor Zanello 4200 con pala').waitFor();
    await screenshot(pageA, 'messages', DESKTOP);
    await row.click();
    await pageA.getByRole('heading', { level: 1, name: 'Conversación con Bruno Tambero' }).waitFor();
    await bubble(pageA, first).waitFor();

    // A reading it reaches B as "leído".
    await bubble(pageB, first).getByText('leído').waitFor();

    // A typing shows on B's screen.
    await pageA.getByLabel('Mensaje', { exact: true }).pressSequentially('Sí, ', { delay: 20 });
    await pageB.getByText('Ana Ganadera está escribiendo…').waitFor();
    const answer = 'Sí, ¿cuándo querés venir a verlo?';
    await pageA.getByLabel('Mensaje', { exact: true }).fill(answer);
    await pageA.getByRole('button', { name: 'Enviar' }).click();
    await bubble(pageB, answer).waitFor();
    await pageB.getByText('Ana Ganadera está escribiendo…').waitFor({ state: 'hidden' });
    await bubble(pageA, answer).getByText('leído').waitFor(); // B is looking at the conversation

    await screenshot(pageA, 'conversation', DESKTOP);
    await screenshot(pageB, 'conversation', PHONE);
    assert.deepEqual(await axeSerious(pageA), [], 'axe on the conversation (desktop)');
    assert.deepEqual(await axeSerious(pageB), [], 'axe on the conversation (phone)');
  });

  it('B offline: A\'s message shows once after the reconnect, B\'s offline message goes out', async () => {
    await ctxB.setOffline(true);
    await pageB.getByText('Sin conexión.', { exact: false }).waitFor();

    const whileAway = 'Lo podés ver el sábado en Pergamino.';
    await pageA.getByLabel('Mensaje', { exact: true }).fill(whileAway);
    await pageA.getByLabel('Mensaje', { exact: true }).press('Enter');
    await pageA.locator('li.msg.own:not(.pending)', { hasText: whileAway }).waitFor();

    const offline = 'Perfecto, voy el sábado a la mañana.';
    await pageB.getByLabel('Mensaje', { exact: true }).fill(offline);
    await pageB.getByLabel('Mensaje', { exact: true }).press('Enter');
    await bubble(pageB, offline).getByText('pendiente', { exact: false }).waitFor();
    // Kept for a reload too.
    const stored = await pageB.evaluate((id) => JSON.parse(localStorage.getItem(`rural24.outbox.${id}`)), B.user.id);
    assert.deepEqual(stored.map((m) => m.body), [offline]);
    assert.equal(await bubble(pageB, whileAway).count(), 0, 'no push reaches a dropped socket');

    await ctxB.setOffline(false);
    // The catch-up brings A's message, once; the outbox goes out, once.
    await bubble(pageB, whileAway).waitFor();
    await pageB.locator('li.msg.own:not(.pending)', { hasText: offline }).waitFor();
    await bubble(pageA, offline).waitFor();
    await pageB.getByText('Sin conexión.', { exact: false }).waitFor({ state: 'hidden' });
    assert.equal(await bubble(pageB, whileAway).count(), 1);
    assert.equal(await bubble(pageB, offline).count(), 1);
    assert.equal(await bubble(pageA, offline).count(), 1);
    assert.equal(await pageB.evaluate((id) => localStorage.getItem(`rural24.outbox.${id}`), B.user.id), null);

    // The server holds each message once (4 in all).
    const res = await app.client.call('GET', `/api/conversations/${B.user.id}/messages`, { token: apiA.access });
    assert.deepEqual(
      JSON.parse(res.body).items.map((m) => m.body).reverse(),
      ['Hola Ana, ¿sigue disponible el tractor?', 'Sí, ¿cuándo querés venir a verlo?', whileAway, offline],
    );

    // The list shows the conversation with its last message.
    await pageB.getByRole('link', { name: 'Volver a Mensajes' }).click();
    await pageB.getByRole('link', { name: /Ana Ganadera/ }).getByText(`Vos: ${offline}`).waitFor();
    await screenshot(pageB, 'messages', PHONE);
  });

  it('B saves a search; A publishes a match; B\'s badge and Notificaciones show it', async () => {
    await pageB.goto('/buscar?q=sembradora');
    await pageB.getByRole('button', { name: 'Guardar búsqueda' }).click();
    await pageB.getByRole('button', { name: 'Búsqueda guardada' }).waitFor();
    // On B's phone the links are folded behind "Menú" (its badge sums the
    // unread messages and notifications); the menu stays open meanwhile.
    const notif = (name) => accountItem(pageB, 'link', name, { exact: true });
    await (await notif('Notificaciones')).waitFor(); // exactly: no badge

    await newAd(app, apiA.access, { title: 'Sembradora Agrometal MX 33 de grano grueso' });
    const link = await notif(/^Notificaciones\W+1 notificación sin leer$/);
    await link.waitFor();
    assert.equal(await link.locator('.notif-badge [aria-hidden="true"]').innerText(), '1');
    await account(pageB).getByRole('button', { name: /^Menú\W+\d+ novedad(es)? sin leer$/ }).waitFor();
    await link.click();
    await pageB
      .getByRole('link', { name: 'Un aviso nuevo para tu búsqueda “sembradora”: Sembradora Agrometal MX 33 de grano grueso' })
      .waitFor();
    await (await notif('Notificaciones')).waitFor(); // read once shown: no badge
    await account(pageB).getByRole('button', { name: /^Menú/ }).click(); // closed again
    await screenshot(pageB, 'notifications', PHONE);

    await pageB.goto('/busquedas');
    await pageB.getByRole('heading', { level: 2, name: 'sembradora' }).waitFor();
    await pageB.getByText('1 aviso nuevo').waitFor();
    assert.deepEqual(await axeSerious(pageB), [], 'axe on the saved searches');

  });

  it('A\'s header counts the unread messages live; opening the conversation clears the count', async () => {
    await pageA.goto('/');
    const plain = account(pageA).getByRole('link', { name: 'Mensajes', exact: true }); // no badge: nothing unread
    await plain.waitFor();
    await pageA.evaluate(() => {
      window.notReloaded = true;
    });
    await pageB.goto(`/mensajes/${A.user.id}`);
    for (const text of ['¿Tiene los papeles al día?', '¿Acepta una permuta?']) {
      await pageB.getByLabel('Mensaje', { exact: true }).fill(text);
      await pageB.getByLabel('Mensaje', { exact: true }).press('Enter');
      await pageB.locator('li.msg.own:not(.pending)', { hasText: text }).waitFor();
    }
    const counted = account(pageA).getByRole('link', { name: /^Mensajes\W+2 mensajes sin leer$/ }); // the badge's text for screen readers
    await counted.waitFor();
    assert.equal(await counted.locator('.msg-badge [aria-hidden="true"]').innerText(), '2', 'the number shown');
    assert.equal(await pageA.evaluate(() => window.notReloaded), true, 'without a reload');
    await screenshot(pageA, 'messages-badge', DESKTOP);

    await counted.click();
    await pageA.getByRole('link', { name: /Bruno Tambero/ }).getByText('2 mensajes sin leer').waitFor();
    await pageA.getByRole('link', { name: /Bruno Tambero/ }).click();
    await bubble(pageA, '¿Acepta una permuta?').waitFor();
    await plain.waitFor(); // read: the badge goes
    assert.equal(await account(pageA).locator('.msg-badge').isVisible(), false);
  });

  it('no CSP violation or script error was reported', () => {
    assertNoProblems(ctxA, 'A\'s story');
    assertNoProblems(ctxB, 'B\'s story');
  });
});
