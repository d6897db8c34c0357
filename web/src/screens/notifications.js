// Notifications (the header's badge, updated live by "notification" frames,
// and their screen), saved searches (their screen, with new-ad counts) and
// the search screen's "Guardar búsqueda" (API.md "Saved searches and
// notifications", docs/NOTIFICATIONS.md).
import { errorBox } from '../cards.js';
import { announce, busy, h, isBusy, mount } from '../dom.js';
import { formatPrice } from '../format.js';
import { on, refreshUnread, setUnread, unreadMessages, unreadNotifications } from '../realtime.js';
import { authRequest, loggedInUser, onSessionChange } from '../session.js';
import { t } from '../strings.js';
import { loginPrompt, whoAmI } from './messages.js';

// ---- the header --------------------------------------------------------------

function badgeText(el, n, text = t.notificationsUnread) {
  mount(el, h('span', { 'aria-hidden': 'true' }, String(n)), h('span', { class: 'visually-hidden' }, `: ${text(n)}`));
  el.hidden = n === 0;
}

/** "Mensajes" and "Notificaciones" (each with its unread badge) for the
 *  header's account area of a logged-in person. */
export function headerLinks() {
  const badge = h('span', { class: 'badge notif-badge', hidden: true });
  badgeText(badge, unreadNotifications());
  const msgBadge = h('span', { class: 'badge msg-badge', hidden: true });
  badgeText(msgBadge, unreadMessages(), t.unreadMessages);
  return [
    h('a', { href: '/mensajes', 'data-link': true, class: 'msg-link' }, t.messages, msgBadge),
    h('a', { href: '/notificaciones', 'data-link': true, class: 'notif-link' }, t.notifications, badge),
  ];
}
on('unread', (n) => {
  for (const el of document.querySelectorAll('.notif-badge')) badgeText(el, n);
});
on('unreadMessages', (n) => {
  for (const el of document.querySelectorAll('.msg-badge')) badgeText(el, n, t.unreadMessages);
});
onSessionChange((user) => user && refreshUnread());

// ---- the notifications screen ---------------------------------------------------

function notificationLink(n) {
  const d = n.data ?? {};
  if (n.type === 'saved_search_match') return '/busquedas';
  if (n.type === 'ad_moderated' && d.action === 'delete') return null; // the ad is gone: a link would only say so
  const adId = d.ad?.id ?? d.ad_id;
  return adId ? `/avisos/${adId}` : null;
}

function notificationItem(n) {
  const href = notificationLink(n);
  const text = t.notificationText(n, formatPrice);
  return h(
    'li',
    { class: n.read_at ? 'notification' : 'notification unread', 'data-id': n.id },
    href ? h('a', { href, 'data-link': true }, text) : h('span', {}, text),
    n.read_at ? null : h('span', { class: 'visually-hidden' }, ` (${t.unreadMark})`),
    h('time', { datetime: n.created_at }, t.sentAt(n.created_at)),
  );
}

export function renderNotifications(main, { url, signal }) {
  document.title = t.titleNotifications;
  const list = h('ul', { class: 'notifications', 'aria-labelledby': 'h-notif' });
  const state = h('p', {}, t.loading);
  const more = h('div', { class: 'more' });
  mount(main, h('h1', { id: 'h-notif' }, t.notifications), state, list, more);
  const items = new Map(); // id → <li>
  let highest = 0;

  const markRead = () => {
    if (!highest) return;
    authRequest('POST', '/api/me/notifications/read', { body: { up_to: highest } })
      .then(() => refreshUnread())
      .catch(() => {});
  };

  const load = async (before) => {
    try {
      if (!(await whoAmI())) return loginPrompt(main, url);
      const page = await authRequest('GET', '/api/me/notifications', { params: { limit: 20, before }, signal });
      for (const n of page.items) {
        if (items.has(n.id)) continue;
        const el = notificationItem(n);
        items.set(n.id, el);
        list.append(el);
        highest = Math.max(highest, n.id);
      }
      state.hidden = items.size > 0;
      state.textContent = t.noNotifications;
      mount(more, page.next_cursor ? h('button', { type: 'button', onclick: () => load(page.next_cursor) }, t.loadMore) : null);
      if (!before) {
        setUnread(page.unread_count);
        markRead(); // seen here: read
      }
    } catch (err) {
      if (err.name !== 'AbortError') mount(more, errorBox(err, () => load(before)));
    }
  };
  // A new or updated notification (a saved search's count grew) goes on top.
  const off = on('notification', (n) => {
    items.get(n.id)?.remove();
    const el = notificationItem(n);
    items.set(n.id, el);
    list.prepend(el);
    state.hidden = true;
    highest = Math.max(highest, n.id);
    announce(t.notificationText(n, formatPrice));
    if (document.visibilityState === 'visible') markRead();
  });
  signal.addEventListener('abort', off, { once: true });
  load(undefined);
}

// ---- saved searches -------------------------------------------------------------

/** "Guardar búsqueda" for the search screen: saves params (the URL's search). */
export function saveSearchButton(params) {
  const query = { ...params };
  delete query.sort;
  const status = h('p', { class: 'saved-status', role: 'status' });
  const button = h('button', { type: 'button', class: 'save-search' }, t.saveSearch);
  button.addEventListener('click', async () => {
    if (isBusy(button) || button.dataset.saved) return;
    // Busy from the first press: the session's restore below can take a
    // while, and a second press meanwhile would save the search twice.
    const idle = busy(button);
    // Not currentUser(): just after a reload it is null until the stored
    // session is restored, and the click would wrongly go to "Ingresar".
    if (!(await loggedInUser())) {
      idle();
      const here = window.location.pathname + window.location.search;
      window.location.assign(`/ingresar?next=${encodeURIComponent(here)}`);
      return;
    }
    try {
      await authRequest('POST', '/api/me/saved-searches', { body: { name: t.savedSearchName(query).slice(0, 100), query } });
      button.textContent = t.searchSaved;
      button.dataset.saved = '1'; // stays aria-disabled: saved once
      mount(status, h('a', { href: '/busquedas', 'data-link': true }, t.savedSearches));
    } catch (err) {
      idle();
      status.textContent = err.status === 409 ? t.savedSearchLimit : err.message;
    }
  });
  return h('div', { class: 'save-search-box' }, button, status);
}

function searchHref(query) {
  return `/buscar?${new URLSearchParams(query)}`;
}

export function renderSavedSearches(main, { url, signal, navigate }) {
  document.title = t.titleSavedSearches;
  const list = h('ul', { class: 'saved-searches', 'aria-labelledby': 'h-saved' });
  const state = h('p', {}, t.loading);
  mount(main, h('h1', { id: 'h-saved' }, t.savedSearches), state, list);

  const seen = (s) => authRequest('POST', `/api/me/saved-searches/${s.id}/seen`);
  const load = async () => {
    try {
      if (!(await whoAmI())) return loginPrompt(main, url);
      const { items } = await authRequest('GET', '/api/me/saved-searches', { signal });
      state.hidden = items.length > 0;
      state.textContent = t.noSavedSearches;
      mount(
        list,
        items.map((s) =>
          h(
            'li',
            { class: 'saved-search' },
            h('h2', {}, s.name),
            h('p', { class: s.new_count ? 'new-count has-new' : 'new-count' }, s.new_count ? t.newCount(s.new_count) : t.noNew),
            h(
              'p',
              { class: 'actions' },
              h(
                'a',
                {
                  href: searchHref(s.query),
                  onclick: (e) => {
                    e.preventDefault();
                    seen(s).catch(() => {}).finally(() => navigate(searchHref(s.query)));
                  },
                },
                t.seeResults,
              ),
              s.new_count
                ? h('button', { type: 'button', onclick: () => seen(s).then(load, (err) => announce(err.message)) }, t.markSeen)
                : null,
              h(
                'button',
                {
                  type: 'button',
                  onclick: () => authRequest('DELETE', `/api/me/saved-searches/${s.id}`).then(load, (err) => announce(err.message)),
                  'aria-label': `${t.deleteSearch} “${s.name}”`,
                },
                t.deleteSearch,
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      if (err.name !== 'AbortError') mount(list, h('li', {}, errorBox(err, load)));
    }
  };
  const off = on('notification', (n) => n.type === 'saved_search_match' && load());
  signal.addEventListener('abort', off, { once: true });
  load();
}
