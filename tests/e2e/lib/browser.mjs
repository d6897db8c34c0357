// The browser test harness (docs/WEB.md "Browser tests"): Debian's chromium
// (/usr/bin/chromium, never a downloaded browser) driven by playwright-core,
// the real server serving the built app (web/dist) on a fresh database, data
// made through the API, contexts at phone and desktop widths that record
// every CSP violation and page error, axe-core, and screenshots under
// build/screenshots/.
//
// Every wait is bounded (the contexts' default timeout, ACTION_MS), and the
// browser and the server are stopped by the test file that started them
// (after hooks); servers left behind are killed by PID when the process
// exits (server.mjs).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { AuthClient } from '../../integration/lib/auth.mjs';
import { CatalogClient, adBody, catalogEnv, expectJson, promote } from '../../integration/lib/catalog.mjs';
import { freshDatabase } from '../../integration/lib/pg.mjs';
import { assertCleanExit, binPath, repoRoot, startServer } from '../../integration/lib/server.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

export { AuthClient, CatalogClient, adBody, expectJson };

export const CHROMIUM = process.env.RURAL24_CHROMIUM || '/usr/bin/chromium';

/** Debian's chromium, headless, as root, on a closed network: without the
 *  background-networking flags its connection attempts are refused and slow
 *  it down. playwright-core gives each launch a fresh temporary profile
 *  (--user-data-dir) and deletes it on close. */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** How long one action or wait may take before the test fails. */
export const ACTION_MS = 10000;

export const PHONE = Object.freeze({ name: 'phone', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
export const DESKTOP = Object.freeze({ name: 'desktop', viewport: { width: 1280, height: 800 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1 });

export const screenshotDir = path.join(repoRoot, 'build', 'screenshots');
const axePath = require.resolve('axe-core/axe.min.js');
let axeSource = null;

/** The built app the server serves: $RURAL24_WEB_DIR, else web/dist (make e2e
 *  builds it first). */
export const webDist = process.env.RURAL24_WEB_DIR ? path.resolve(process.env.RURAL24_WEB_DIR) : path.join(repoRoot, 'web', 'dist');

/** The binary (server.mjs): $RURAL24_BIN (make e2e passes the release
 *  build), else build/rural24. */
export const serverBin = binPath;

export async function launchBrowser() {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/bootstrap installs Debian's chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], headless: true, timeout: 30000 });
}

/**
 * A fresh context (its own storage, no cookies) at `size` (PHONE or
 * DESKTOP), Spanish, whose pages record in `ctx.problems` every CSP
 * violation (the DOM event and the console report), uncaught page error and
 * console error.
 */
export async function newContext(browser, size, { baseURL } = {}) {
  const { name, ...options } = size;
  const ctx = await browser.newContext({ ...options, baseURL, locale: 'es-AR', timezoneId: 'America/Argentina/Buenos_Aires' });
  ctx.setDefaultTimeout(ACTION_MS);
  ctx.setDefaultNavigationTimeout(ACTION_MS);
  ctx.problems = [];
  ctx.sizeName = name;
  // Init scripts are added through the DevTools protocol, not the page, so
  // the CSP does not apply to them: this listener sees every violation.
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  ctx.on('page', (page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      // A failed API answer the app handles (a 401 of a wrong password) is
      // logged by the browser as a resource error: that is the story, not a problem.
      if (/^Failed to load resource: the server responded with a status of (401|404|409|400|429)\b/.test(text)) return;
      ctx.problems.push(`${page.url()}: console: ${text}`);
    });
    page.on('pageerror', (err) => ctx.problems.push(`${page.url()}: page error: ${err.message}`));
  });
  return ctx;
}

/**
 * A context (see newContext) in which u (a newUser / newSession of the API
 * client) is logged in: u's refresh token is stored before the app's first
 * script runs, so the app restores the session as after a reload. Only when
 * nothing is stored yet: a renewal the app made is kept across navigations.
 */
export async function loggedInContext(browser, size, { baseURL, user }) {
  const ctx = await newContext(browser, size, { baseURL });
  await ctx.addInitScript((token) => {
    if (window.location.protocol !== 'http:') return; // about:blank has no storage
    if (!localStorage.getItem('rural24.refresh')) localStorage.setItem('rural24.refresh', token);
  }, user.refresh);
  return ctx;
}

/** The header's account area (nav "Cuenta"): "Ingresar", or "Hola,
 *  *nombre*" and the logged-in links (folded behind "Menú" on a narrow
 *  screen: accountItem opens it). */
export const account = (page) => page.getByRole('navigation', { name: 'Cuenta' });

/**
 * A link or button of the header's account area, by role and accessible
 * name; on a narrow screen, where the logged-in links fold behind "Menú",
 * the menu is opened first (by a click, as a person would). A string name
 * matches a part of the name unless exact.
 */
export async function accountItem(page, role, name, { exact } = {}) {
  const nav = account(page);
  const toggle = nav.getByRole('button', { name: /^Menú/ });
  if ((await toggle.isVisible()) && (await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  return nav.getByRole(role, { name, exact });
}

/** Waits until the header greets name ("Hola, *name*": logged in), shown
 *  or folded in the menu. */
export async function waitGreeting(page, name) {
  await account(page).getByText(`Hola, ${name}`).waitFor({ state: 'attached' });
}

/** Fails when a page of ctx reported a CSP violation, an uncaught error or a
 *  console error. */
export function assertNoProblems(ctx, what = 'the story') {
  assert.deepEqual(ctx.problems, [], `${what}: no CSP violation or script error`);
}

/** Writes build/screenshots/<name>-<phone|desktop>.png (the full page). */
export async function screenshot(page, name, size) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}-${size.name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/** Runs axe-core (injected from node_modules: the CSP governs the page's own
 *  scripts, not the DevTools protocol's) and returns the serious and
 *  critical violations as readable lines. */
export async function axeSerious(page) {
  // Not addScriptTag: an inline <script> element is what script-src 'self'
  // refuses (and would be reported as a violation); evaluating the source
  // through the protocol is not subject to the page's CSP.
  await page.evaluate(axeSource ??= fs.readFileSync(axePath, 'utf8'));
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.join(', ')})`);
}

/**
 * Starts the server on a fresh migrated database with WEB_DIR at the built
 * app, and a CatalogClient for the API. Returns { server, url, client,
 * databaseUrl, stop() } (stop fails the test on an unclean exit).
 */
export async function startApp({ extra = {} } = {}) {
  assert.ok(fs.existsSync(path.join(webDist, 'index.html')), `${webDist}/index.html is missing: make web`);
  assert.ok(fs.existsSync(serverBin), `${serverBin} is missing: make`);
  const databaseUrl = await freshDatabase('e2e');
  const server = await startServer({ env: catalogEnv({ databaseUrl, extra: { WEB_DIR: webDist, ...extra } }) });
  const client = new CatalogClient(server.port);
  return {
    server,
    url: server.url,
    client,
    databaseUrl,
    async stop() {
      assertCleanExit(await server.stop());
    },
  };
}

/**
 * startApp(options) and launchBrowser() together, as every test file's
 * before() does: resolves with { app, browser }. When either fails, the one
 * that started is stopped before the error is thrown (a browser left running
 * would keep node alive), so the file's after() has nothing left to stop.
 */
export async function startAppAndBrowser(options) {
  const [a, b] = await Promise.allSettled([startApp(options), launchBrowser()]);
  const failed = [a, b].find((r) => r.status === 'rejected');
  if (!failed) return { app: a.value, browser: b.value };
  await Promise.allSettled([b.value?.close(), a.value?.stop()]);
  throw failed.reason;
}

/**
 * Holds the page's requests to `url` (a glob; only those of `method`, when
 * given) until release(): they then reach the server, whose answer the page
 * gets (one the page gave up meanwhile fails quietly) — never an answer of
 * the test's own. `held` resolves once one waits. Undo with
 * page.unrouteAll().
 */
export async function holdRequests(page, url, { method } = {}) {
  let release;
  const gate = new Promise((r) => (release = r));
  let reached;
  const held = new Promise((r) => (reached = r));
  await page.route(url, async (route) => {
    if (method && route.request().method() !== method) return route.continue().catch(() => {});
    reached();
    await gate;
    await route.continue().catch(() => {});
  });
  return { release, held };
}

/** An admin (registered, then promoted with `rural24 user promote`). */
export async function newAdmin(app) {
  const u = await app.client.newUser({ name: 'Admin Rural' }, 'admin');
  await promote(app.client, app.databaseUrl, u);
  return u;
}

/** The page takes over u's session (an API session: its refresh token
 *  stored, so the browser opens none of its own), opens path and waits for
 *  the header to greet u. */
export async function takeOver(page, u, path) {
  await page.goto('/');
  await page.evaluate((token) => localStorage.setItem('rural24.refresh', token), u.refresh);
  await page.goto(path);
  await waitGreeting(page, u.user.name);
}

/** Waits (bounded) until the search results' cards are exactly `ads`, in
 *  order, and the count above them says so ("No encontramos avisos..." for
 *  none). */
export async function expectCards(page, ads) {
  const want = ads.map((a) => `/avisos/${a.id}`);
  const main = page.getByRole('main');
  const read = () => page.locator('main ul.cards a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  if (!ads.length) {
    await main.getByText('No encontramos avisos con esa búsqueda.', { exact: false }).waitFor();
    assert.deepEqual(await read(), []);
    return;
  }
  try {
    await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll('main ul.cards a')].map((a) => a.getAttribute('href'))) === JSON.stringify(w), want);
  } catch {
    /* the assertion below says what was shown instead */
  }
  assert.deepEqual(await read(), want);
  await main.getByText(ads.length === 1 ? '1 aviso' : `${ads.length} avisos`, { exact: true }).waitFor();
}

/** POST /api/ads that must answer 201; returns the detail. */
export async function newAd(app, token, overrides) {
  return app.client.newAd(token, overrides);
}

/** POST /api/ads/{id}/feature that must answer 200. */
export async function feature(app, adminToken, id, days = 30) {
  return expectJson(await app.client.feature(adminToken, id, { days }), 200, `feature ad ${id}`);
}
