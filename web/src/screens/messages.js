// "Mensajes": the conversation list and a conversation in real time (typing,
// read receipts, the offline outbox), on top of realtime.js; and the ad
// page's "Enviar mensaje" link.
import { apiGet } from '../api.js';
import { errorBox } from '../cards.js';
import { h, mount } from '../dom.js';
import { CONVERSATIONS_COUNTED, connectionStatus, markSeen, on, pending, refreshUnreadMessages, sendMessage, sendTyping, setUnreadMessages } from '../realtime.js';
import { authRequest, currentUser, loggedInUser } from '../session.js';
import { t, ts } from '../strings.js';

const PAGE = 30;
const TYPING_SHOWN_MS = 4000;
const TYPING_SEND_MS = 2000;

/** The person logged in, or null: waits for the session restored on load. */
export async function whoAmI() {
  if (currentUser()) return currentUser();
  try {
    return await authRequest('GET', '/api/me');
  } catch (err) {
    if (err.status === 401 || err.status === 400) return null;
    throw err;
  }
}

export function loginPrompt(main, url) {
  mount(
    main,
    h('h1', {}, t.loginFirst),
    h('p', {}, h('a', { href: `/ingresar?next=${encodeURIComponent(url.pathname + url.search)}`, 'data-link': true }, t.login)),
  );
}

/** Runs fn on each event until the screen is left. */
function listen(signal, type, fn) {
  const off = on(type, fn);
  signal.addEventListener('abort', off, { once: true });
}

/** A line telling when the connection is down (the outbox keeps what is
 *  typed), or that the session ended under the screen: realtime.js goes
 *  'offline' when nobody is logged in any more (a renewal refused after a
 *  refused upgrade or a 4401: logged out elsewhere, the session closed), and
 *  then nothing typed would be sent, whatever the network does. */
function connectionLine(signal, url) {
  const el = h('p', { class: 'conn', role: 'status' });
  const show = (s) => {
    el.textContent = s === 'offline' ? t.connOffline : s === 'connecting' ? t.connConnecting : '';
    el.hidden = s === 'online';
  };
  show(connectionStatus());
  listen(signal, 'status', (s) => {
    if (s !== 'offline' || currentUser()) return show(s);
    const next = encodeURIComponent(url.pathname + url.search);
    mount(el, ts.sessionEnded, ' ', h('a', { href: `/ingresar?next=${next}`, 'data-link': true }, ts.loginAgain), '.');
    el.hidden = false;
  });
  return el;
}

// ---- the list ----------------------------------------------------------------

export function renderMessages(main, { url, signal }) {
  document.title = t.titleMessages;
  const list = h('ul', { class: 'conversations', 'aria-labelledby': 'h-messages' });
  const state = h('p', {}, t.loading);
  mount(main, h('h1', { id: 'h-messages' }, t.messages), connectionLine(signal, url), state, list);

  let timer = 0;
  const load = async () => {
    try {
      const me = await whoAmI();
      if (!me) return loginPrompt(main, url);
      // As many as the header's badge counts: the two agree.
      const { items } = await authRequest('GET', '/api/conversations', { params: { limit: CONVERSATIONS_COUNTED }, signal });
      if (signal.aborted) return;
      setUnreadMessages(items); // the header's badge agrees with the list
      state.textContent = items.length ? '' : t.noConversations;
      state.hidden = items.length > 0;
      mount(
        list,
        items.map((c) =>
          h(
            'li',
            { class: c.unread_count ? 'conversation unread' : 'conversation' },
            h(
              'a',
              { href: `/mensajes/${c.peer.id}`, 'data-link': true },
              h('span', { class: 'peer' }, c.peer.name),
              c.unread_count ? h('span', { class: 'badge' }, h('span', { 'aria-hidden': 'true' }, String(c.unread_count)), h('span', { class: 'visually-hidden' }, t.unreadMessages(c.unread_count))) : null,
              c.ad ? h('span', { class: 'about' }, c.ad.title) : null,
              h('span', { class: 'last' }, c.last_message.sender_id === me.id ? `${t.you}: ${c.last_message.body}` : c.last_message.body),
              h('time', { datetime: c.last_message.created_at }, t.sentAt(c.last_message.created_at)),
            ),
          ),
        ),
      );
    } catch (err) {
      if (err.name !== 'AbortError') mount(main, h('h1', {}, t.messages), errorBox(err, load));
    }
  };
  // A message either way moves its conversation up: the list is asked again.
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 150);
  };
  listen(signal, 'message', later);
  listen(signal, 'status', (s) => s === 'online' && later());
  signal.addEventListener('abort', () => clearTimeout(timer));
  load();
}

// ---- a conversation ----------------------------------------------------------

export function renderConversation(main, { peer, url, signal }) {
  const peerId = Number(peer);
  const adId = /^[1-9][0-9]{0,18}$/.test(url.searchParams.get('aviso') ?? '') ? url.searchParams.get('aviso') : null;
  document.title = t.titleMessages;
  mount(main, h('p', {}, t.loading));

  const shown = new Map(); // message id → its <li>
  const pendingEls = new Map(); // client_id → its <li>
  let me = null;
  let peerName = '';
  let readUpTo = 0; // the peer read my messages up to this id
  let cursor = null;

  const list = h('ol', { class: 'chat' });
  const log = h('div', { class: 'chat-log', role: 'log', 'aria-label': t.messages }, list);
  const older = h('div', { class: 'older' });
  const typing = h('p', { class: 'typing', 'aria-live': 'polite' });
  const empty = h('p', { class: 'empty' }, t.noMessagesYet);
  const about = h('p', { class: 'about-ad', hidden: true });
  const conn = connectionLine(signal, url);
  const textarea = h('textarea', { id: 'chat-body', name: 'body', rows: 2, maxlength: 2000, autocomplete: 'off', enterkeyhint: 'send' });
  const form = h(
    'form',
    { class: 'composer' },
    h('label', { for: 'chat-body', class: 'visually-hidden' }, t.messageLabel),
    textarea,
    h('button', { type: 'submit' }, t.send),
  );

  const mine = (m) => m.sender_id === me.id;
  const ofThisConversation = (m) => (m.sender_id === peerId && m.receiver_id === me.id) || (m.sender_id === me.id && m.receiver_id === peerId);
  const ownStatus = (m) => (m.read_at || m.id <= readUpTo ? t.msgRead : t.msgSent);

  function bubble(m) {
    const own = mine(m);
    return h(
      'li',
      { class: own ? 'msg own' : 'msg peer', 'data-id': m.id },
      h('span', { class: 'visually-hidden' }, `${own ? t.you : peerName}: `),
      h('p', { class: 'body' }, m.body),
      h(
        'p',
        { class: 'meta' },
        h('time', { datetime: m.created_at }, t.sentAt(m.created_at)),
        own ? [' · ', h('span', { class: 'state' }, ownStatus(m))] : null,
      ),
    );
  }

  function pendingBubble(item) {
    return h(
      'li',
      { class: 'msg own pending', 'data-client-id': item.client_id },
      h('span', { class: 'visually-hidden' }, `${t.you}: `),
      h('p', { class: 'body' }, item.body),
      h('p', { class: 'meta' }, h('span', { class: 'state' }, connectionStatus() === 'online' ? t.msgSending : t.msgPending)),
    );
  }

  /** Puts messages in place by id (the list stays oldest first, nothing twice). */
  function place(messages, { fromPage = false } = {}) {
    for (const m of messages) {
      if (shown.has(m.id)) continue;
      // One of my messages that a page load brings before its ack: it takes
      // the place of its pending bubble (the ack then finds nothing to do).
      if (fromPage && mine(m)) {
        const twin = [...pendingEls].find(([, el]) => el.querySelector('.body').textContent === m.body);
        if (twin) {
          pendingEls.delete(twin[0]);
          twin[1].remove();
        }
      }
      const el = bubble(m);
      shown.set(m.id, el);
      const next = [...shown.keys()].filter((id) => id > m.id).sort((a, b) => a - b)[0];
      list.insertBefore(el, next ? shown.get(next) : list.querySelector('.pending'));
    }
    empty.hidden = shown.size + pendingEls.size > 0;
  }

  function showPending(item) {
    if (item.to !== peerId || pendingEls.has(item.client_id)) return;
    const el = pendingBubble(item);
    pendingEls.set(item.client_id, el);
    list.append(el);
    empty.hidden = true;
  }

  function scrollToEnd() {
    list.lastElementChild?.scrollIntoView({ block: 'end' });
  }

  let readTimer = 0;
  const postRead = () =>
    authRequest('POST', `/api/conversations/${peerId}/read`)
      .then(() => refreshUnreadMessages()) // the header's badge
      .catch(() => {});
  function markRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      readTimer = 0;
      if (document.visibilityState === 'visible' && !signal.aborted) postRead();
    }, 100);
  }

  let typingTimer = 0;
  let lastTypingSent = 0;

  const start = async () => {
    try {
      me = await whoAmI();
      if (!me) return loginPrompt(main, url);
      const [profile, page, ad] = await Promise.all([
        apiGet(`/api/users/${peerId}`, {}, { signal }),
        authRequest('GET', `/api/conversations/${peerId}/messages`, { params: { limit: PAGE }, signal }),
        adId ? apiGet(`/api/ads/${adId}`, {}, { signal }).catch(() => null) : null,
      ]);
      if (signal.aborted) return;
      peerName = profile.name;
      document.title = t.titleConversation(peerName);
      if (ad) {
        mount(about, t.aboutAd, ' ', h('a', { href: `/avisos/${ad.id}`, 'data-link': true }, ad.title));
        about.hidden = false;
      }
      mount(
        main,
        h('p', { class: 'back' }, h('a', { href: '/mensajes', 'data-link': true }, t.backToMessages)),
        h('h1', {}, t.conversationWith(peerName)),
        about,
        conn,
        older,
        empty,
        log,
        typing,
        form,
      );
      markSeen(page.items);
      place(page.items.slice().reverse(), { fromPage: true });
      cursor = page.next_cursor;
      showOlder();
      for (const item of pending()) showPending(item);
      scrollToEnd();
      markRead();
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.status === 404) mount(main, h('h1', {}, t.errors.not_found), h('p', {}, h('a', { href: '/mensajes', 'data-link': true }, t.backToMessages)));
      else mount(main, errorBox(err, start));
    }
  };

  function showOlder() {
    mount(
      older,
      cursor
        ? h(
            'button',
            {
              type: 'button',
              onclick: async (e) => {
                e.currentTarget.disabled = true;
                try {
                  const page = await authRequest('GET', `/api/conversations/${peerId}/messages`, { params: { limit: PAGE, before: cursor }, signal });
                  markSeen(page.items);
                  place(page.items.slice().reverse(), { fromPage: true });
                  cursor = page.next_cursor;
                  showOlder();
                } catch (err) {
                  if (err.name !== 'AbortError') mount(older, errorBox(err, showOlder));
                }
              },
            },
            t.olderMessages,
          )
        : null,
    );
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = textarea.value;
    if (!body.trim() || !me) return;
    // The session ended here (the line above says so): it would never go
    // out. The text stays for after logging in again.
    if (!currentUser()) {
      conn.querySelector('a')?.focus();
      return;
    }
    showPending(sendMessage(peerId, body, adId));
    textarea.value = '';
    scrollToEnd();
  });
  // Enter sends, Shift+Enter is a new line.
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  textarea.addEventListener('input', () => {
    const now = Date.now();
    if (now - lastTypingSent >= TYPING_SEND_MS && textarea.value.trim()) {
      lastTypingSent = now;
      sendTyping(peerId);
    }
  });

  listen(signal, 'message', (m) => {
    if (!me || !ofThisConversation(m)) return;
    place([m]);
    if (!mine(m)) {
      typing.textContent = '';
      markRead();
    }
    scrollToEnd();
  });
  listen(signal, 'ack', ({ client_id: clientId, message }) => {
    const el = pendingEls.get(clientId);
    if (!el) return;
    pendingEls.delete(clientId);
    el.remove();
    if (message) place([message]);
  });
  listen(signal, 'failed', ({ client_id: clientId }) => {
    const state = pendingEls.get(clientId)?.querySelector('.state');
    if (state) state.textContent = t.msgFailed;
  });
  listen(signal, 'status', (s) => {
    for (const el of pendingEls.values()) el.querySelector('.state').textContent = s === 'online' ? t.msgSending : t.msgPending;
    // Connected (again): the newest page once more, for a message stored
    // between this screen's load and the socket's first hello (placed by id:
    // nothing shows twice).
    if (s === 'online' && peerName) {
      authRequest('GET', `/api/conversations/${peerId}/messages`, { params: { limit: PAGE }, signal })
        .then((page) => {
          markSeen(page.items);
          place(page.items.slice().reverse(), { fromPage: true });
        })
        .catch(() => {});
    }
  });
  listen(signal, 'typing', ({ from }) => {
    if (from !== peerId || !peerName) return;
    typing.textContent = t.typing(peerName);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      typing.textContent = '';
    }, TYPING_SHOWN_MS);
  });
  listen(signal, 'read', ({ peer_id: from, up_to: upTo }) => {
    if (from !== peerId) return;
    readUpTo = Math.max(readUpTo, upTo);
    for (const [id, el] of shown) if (id <= readUpTo && el.classList.contains('own')) el.querySelector('.state').textContent = t.msgRead;
  });
  const onVisible = () => document.visibilityState === 'visible' && markRead();
  document.addEventListener('visibilitychange', onVisible);
  signal.addEventListener('abort', () => {
    document.removeEventListener('visibilitychange', onVisible);
    clearTimeout(typingTimer);
    // A message shown just before leaving was seen: its read still goes.
    if (readTimer && document.visibilityState === 'visible') postRead();
    clearTimeout(readTimer);
  });
  start();
}

/** The ad page's "Enviar mensaje": to the seller, about this ad (not on one's own ad). */
export function messageButton(ad) {
  if (!ad.user || currentUser()?.id === ad.user.id) return null;
  const box = h('p', { class: 'contact', hidden: true });
  // After a reload currentUser() is null until the stored session is
  // restored: decide once loggedInUser() knows who is here, so the owner
  // never sees the button flash on their own ad.
  loggedInUser()
    .catch(() => null)
    .then((me) => {
      if (me?.id === ad.user.id) box.remove();
      else {
        mount(box, h('a', { class: 'button', href: `/mensajes/${ad.user.id}?aviso=${ad.id}`, 'data-link': true }, t.sendMessage));
        box.hidden = false;
      }
    });
  return box;
}
