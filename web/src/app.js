// The app's entry point: a router over the history API (the server answers
// index.html for every path of the app, so a reload or a shared link lands
// here and renders the same screen), the search box and the account links of
// the header.
import { apiGet } from './api.js';
import { accountMenu } from './menu.js';
import { announce, h, mount } from './dom.js';
import { leavePending, mayLeave } from './leave.js';
import { renderLogin, renderRegister } from './screens/account.js';
import { accountLinks, renderReports } from './screens/admin.js';
import { renderProfile } from './screens/profile.js';
import { renderAd } from './screens/ad.js';
import { renderHome } from './screens/home.js';
import { renderConversation, renderMessages } from './screens/messages.js';
import { headerLinks, renderNotifications, renderSavedSearches } from './screens/notifications.js';
import { renderFavorites, renderMyAds, userLinks } from './screens/mine.js';
import { renderSearch } from './screens/search.js';
import { renderEdit, renderPublish } from './screens/sell.js';
import { currentUser, logout, onSessionChange, restore } from './session.js';
import { t } from './strings.js';

const routes = [
  [/^\/$/, (main, ctx) => renderHome(main, ctx)],
  [/^\/buscar\/?$/, (main, ctx) => renderSearch(main, ctx)],
  [/^\/avisos\/([1-9][0-9]{0,18})\/?$/, (main, ctx, m) => renderAd(main, { ...ctx, id: m[1] })],
  [/^\/ingresar\/?$/, (main, ctx) => renderLogin(main, ctx)],
  [/^\/registro\/?$/, (main, ctx) => renderRegister(main, ctx)],
  [/^\/mensajes\/?$/, (main, ctx) => renderMessages(main, ctx)],
  [/^\/mensajes\/([1-9][0-9]{0,18})\/?$/, (main, ctx, m) => renderConversation(main, { ...ctx, peer: m[1] })],
  [/^\/notificaciones\/?$/, (main, ctx) => renderNotifications(main, ctx)],
  [/^\/busquedas\/?$/, (main, ctx) => renderSavedSearches(main, ctx)],
  [/^\/publicar\/?$/, (main, ctx) => renderPublish(main, ctx)],
  [/^\/mis-avisos\/?$/, (main, ctx) => renderMyAds(main, ctx)],
  [/^\/mis-avisos\/([1-9][0-9]{0,18})\/editar\/?$/, (main, ctx, m) => renderEdit(main, { ...ctx, id: m[1] })],
  [/^\/favoritos\/?$/, (main, ctx) => renderFavorites(main, ctx)],
  [/^\/cuenta\/?$/, (main, ctx) => renderProfile(main, ctx)],
  [/^\/admin\/denuncias\/?$/, (main, ctx) => renderReports(main, ctx)],
];

let current = null; // the screen's AbortController: leaving a screen cancels its requests

function render() {
  const url = new URL(window.location.href);
  const main = document.getElementById('main');
  current?.abort();
  current = new AbortController();
  const ctx = { url, signal: current.signal, navigate };
  for (const [re, screen] of routes) {
    const m = url.pathname.match(re);
    if (m) {
      screen(main, ctx, m);
      return;
    }
  }
  document.title = t.titleNotFound;
  mount(main, h('h1', {}, t.notFound), h('p', {}, h('a', { href: '/', 'data-link': true }, t.goHome)));
}

// Each history entry of the app carries its position, so that a popstate
// tells back from forward (and by how many steps) when leaving must be undone.
let position = window.history.state?.position ?? 0;
if (window.history.state?.position === undefined) window.history.replaceState({ position }, '');

export function navigate(href) {
  position += 1;
  window.history.pushState({ position }, '', href);
  render();
  document.getElementById('main')?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

/** navigate(), once the screen's work under way may be left (leave.js). */
async function go(href) {
  if (await mayLeave()) navigate(href);
}

// Links of the app move without a reload; a modified click (new tab) keeps
// the browser's behaviour.
document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  go(a.getAttribute('href'));
});
// The back (or forward) button: with work under way (leave.js) the move is
// undone at once (the URL is the screen's again) and the person asked; "Salir
// igual" makes the same move again, which then renders.
let undoing = false; // the popstate of the undo is ours: nothing to render
let leaving = false; // the popstate of the move the person confirmed
window.addEventListener('popstate', async (e) => {
  const to = e.state?.position ?? 0;
  if (undoing) {
    undoing = false;
    return;
  }
  const steps = to - position;
  if (!leaving && steps !== 0 && leavePending()) {
    undoing = true;
    window.history.go(-steps);
    if (await mayLeave()) {
      leaving = true;
      window.history.go(steps);
    }
    return;
  }
  leaving = false;
  position = to;
  render();
});

// The search box: suggestions as the person types (debounced, stale answers
// cancelled), results on submit.
const form = document.querySelector('form.search');
const input = document.getElementById('q');
const datalist = document.getElementById('suggestions');
let suggestTimer = 0;
let suggestAbort = null;

input.addEventListener('input', () => {
  clearTimeout(suggestTimer);
  const q = input.value.trim();
  if (q.length < 2) {
    datalist.replaceChildren();
    return;
  }
  suggestTimer = setTimeout(() => {
    suggestAbort?.abort();
    suggestAbort = new AbortController();
    apiGet('/api/search/suggest', { q }, { signal: suggestAbort.signal })
      .then(({ items }) => {
        mount(datalist, items.map((s) => h('option', { value: s.type === 'category' ? s.name : s.text })));
      })
      .catch(() => {
        /* suggestions are a help, not a need: the search itself still works */
      });
  }, 200);
});

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const q = input.value.trim();
  go(q ? `/buscar?${new URLSearchParams({ q })}` : '/buscar');
});

// The header's account area: "Ingresar" and "Crear cuenta", or "Publicar"
// and the person's links, name and "Salir" (folded behind "Menú" on narrow
// screens: menu.js).
const account = document.querySelector('nav.account');
function renderAccount(user) {
  if (user) {
    const [publish, ...links] = userLinks();
    mount(
      account,
      publish,
      accountMenu(account, [
        links,
        h('span', { class: 'who' }, t.hello(user.name)),
        headerLinks(),
        accountLinks(user),
        h('button', {
          type: 'button',
          onclick: async () => {
            await logout();
            announce(t.loggedOut);
            if (window.location.pathname !== '/') navigate('/');
          },
        }, t.logout),
      ]),
    );
  } else {
    mount(account, h('a', { href: '/ingresar', 'data-link': true }, t.login), h('a', { href: '/registro', 'data-link': true }, t.register));
  }
}
onSessionChange(renderAccount);
renderAccount(currentUser());

render();
restore();
