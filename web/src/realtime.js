// The real-time connection (API.md "Real time", docs/CHAT.md): one WebSocket
// per tab while someone is logged in, and what a phone on a dropping rural
// connection needs around it:
//
// - reconnect with jittered exponential backoff (full jitter, capped); at
//   once when the browser says it is back online; a 4401 close (the token
//   expired or the session ended) renews the token first;
// - after every (re)connect, catch up with GET /api/messages?since_id=<the
//   highest id seen> (paging with next_cursor): the socket is opened first,
//   so nothing falls between the catch-up and the pushes;
// - every message is delivered once to the screens (deduplicated by id);
// - an outbox: a message is kept (memory and localStorage) until its ack,
//   sent as a "message" frame with a client_id, and sent again after a
//   reconnect; a renewed token goes to the live socket in an "auth" frame.
//
// Screens listen with on(type, fn): 'message' (a message to or from me, new
// to this tab), 'ack' ({client_id, message}), 'failed' ({client_id, code}),
// 'outbox' (the pending list changed), 'typing' ({from}), 'read' ({peer_id,
// up_to}), 'notification' (the stored notification), 'status' ('online' |
// 'connecting' | 'offline'), 'unread' (the notifications' unread count),
// 'unreadMessages' (the messages not read yet, across conversations).
import { accessToken, authRequest, currentUser, onSessionChange, onTokenRenewed, refresh } from './session.js';

const BASE_MS = 500;
const CAP_MS = 30000;
const RETRY_SEND_MS = 5000; // after a rate_limited answer to a send

const listeners = new Map();
let ws = null;
let userId = null;
let attempt = 0;
let retryTimer = 0;
let highest = null; // the highest message id seen; null until the first connect sets a baseline
const seen = new Set();
let outbox = [];
let status = 'offline';
let unread = 0;
let unreadMsgs = 0;

/** fn(detail) for every event of that type; returns a function that stops it. */
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}
function emit(type, detail) {
  for (const fn of listeners.get(type) ?? []) {
    try {
      fn(detail);
    } catch (err) {
      console.warn('realtime listener', err); // one screen's bug does not stop the others
    }
  }
}

export const connectionStatus = () => status;
export const unreadNotifications = () => unread;
export const unreadMessages = () => unreadMsgs;
export const pending = () => outbox.slice();

function setStatus(s) {
  if (s === status) return;
  status = s;
  emit('status', s);
}

// ---- the outbox --------------------------------------------------------

const outboxKey = () => `rural24.outbox.${userId}`;
function saveOutbox() {
  try {
    if (outbox.length) localStorage.setItem(outboxKey(), JSON.stringify(outbox.map(({ sentOn, ...item }) => item)));
    else localStorage.removeItem(outboxKey());
  } catch {
    /* storage full or disabled: the outbox lives as long as the page */
  }
  emit('outbox', pending());
}
function loadOutbox() {
  try {
    const items = JSON.parse(localStorage.getItem(outboxKey()) || '[]');
    outbox = Array.isArray(items) ? items.filter((m) => m && m.client_id && m.to && typeof m.body === 'string') : [];
  } catch {
    outbox = [];
  }
}

function frameFor(item) {
  const frame = { type: 'message', to: item.to, body: item.body, client_id: item.client_id };
  if (item.ad_id) frame.ad_id = item.ad_id;
  return frame;
}

function sendFrame(frame) {
  if (ws?.readyState !== WebSocket.OPEN || !ws.ready) return false;
  ws.send(JSON.stringify(frame));
  return true;
}

/** Sends an outbox item on the current socket. `sentOn` is the socket it went
 *  out on (sent again only on a later one); `maybe` says it may be stored
 *  already (sent, never acked), kept across reloads. */
function sendItem(item) {
  if (item.sentOn === ws || !sendFrame(frameFor(item))) return;
  item.sentOn = ws;
  if (!item.maybe) {
    item.maybe = true;
    saveOutbox();
  }
}

/** Queues a message to `to` (about ad_id, optional) and sends it when the
 *  connection allows; returns the pending item ({client_id, to, body, ad_id, created_at, after}). */
export function sendMessage(to, body, adId) {
  const item = {
    client_id: `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    to: Number(to),
    body,
    ad_id: adId ? Number(adId) : null,
    created_at: new Date().toISOString(),
    after: highest, // the highest id seen when it was typed (see catchUp)
  };
  outbox.push(item);
  saveOutbox();
  sendItem(item);
  return item;
}

/** Tells the peer that this person is typing (the server passes one a second on). */
export function sendTyping(to) {
  sendFrame({ type: 'typing', to: Number(to) });
}

function flushOutbox() {
  for (const item of outbox) sendItem(item);
}

// ---- messages ----------------------------------------------------------

function deliver(message) {
  if (!message || seen.has(message.id)) return;
  seen.add(message.id);
  if (highest === null || message.id > highest) highest = message.id;
  emit('message', message);
  if (message.receiver_id === userId && message.sender_id !== userId) refreshUnreadMessages();
}

/** Marks messages loaded by a screen (a conversation's pages) as seen, so
 *  that the catch-up does not announce them again. */
export function markSeen(messages) {
  for (const m of messages) {
    seen.add(m.id);
    if (highest !== null && m.id > highest) highest = m.id;
  }
}

/** After a (re)connect: everything after the highest id seen, oldest first.
 *  The first connect of the page takes the newest message as its baseline
 *  (the screens load the history themselves). Then the outbox goes out: an
 *  item sent on a socket that died before its ack, whose message the
 *  catch-up found, is taken as acked instead of being sent twice. */
async function catchUp(socket) {
  let cursor;
  if (highest === null) {
    const { items } = await authRequest('GET', '/api/conversations', { params: { limit: 1 } });
    const base = items[0]?.last_message?.id ?? 0;
    highest = Math.max(highest ?? 0, base);
    // Items an earlier page sent without seeing their ack (then reloaded):
    // look from where that page was, so they are not sent twice.
    const from = outbox.filter((o) => o.maybe && Number.isInteger(o.after)).map((o) => o.after);
    cursor = from.length ? String(Math.min(...from)) : null;
  } else cursor = String(highest);
  while (cursor !== null && socket === ws) {
    const page = await authRequest('GET', '/api/messages', { params: { since_id: cursor } });
    for (const m of page.items) {
      const orphan = m.sender_id === userId && outbox.find((o) => o.maybe && o.sentOn !== socket && o.to === m.receiver_id && o.body === m.body);
      if (orphan) acked(orphan.client_id, m);
      else deliver(m);
    }
    cursor = page.next_cursor;
  }
  if (socket !== ws) return;
  flushOutbox(); // what is still here was never acked (items sent on this socket meanwhile are left alone)
}

function acked(clientId, message) {
  outbox = outbox.filter((o) => o.client_id !== clientId);
  saveOutbox();
  if (message) {
    seen.add(message.id);
    if (highest === null || message.id > highest) highest = message.id;
  }
  emit('ack', { client_id: clientId, message });
}

// ---- notifications -----------------------------------------------------

let unreadTimer = 0;
/** Asks the server for the unread count (after a frame or a reconnect). */
export function refreshUnread() {
  clearTimeout(unreadTimer);
  unreadTimer = setTimeout(async () => {
    if (!userId) return;
    try {
      const page = await authRequest('GET', '/api/me/notifications', { params: { limit: 1 } });
      setUnread(page.unread_count);
    } catch {
      /* the next frame or reconnect asks again */
    }
  }, 50);
}
export function setUnread(n) {
  unread = Number(n) || 0;
  emit('unread', unread);
}

// The messages' count: the sum of unread_count over the conversations (GET
// /api/conversations, the 100 most recent: the API has no total). Asked
// again after a message to this person arrives (pushed or caught up), after
// a conversation was read (screens/messages.js) and on every hello; the
// Mensajes list sets it from the page it loaded.
export const CONVERSATIONS_COUNTED = 100;
let unreadMsgsTimer = 0;
// Answers are applied only when they are the latest asked, for the person
// still logged in: overlapping requests answer in any order, and one asked
// before a log-out must not show the last person's count to the next.
let unreadMsgsAsked = 0;
export function refreshUnreadMessages() {
  clearTimeout(unreadMsgsTimer);
  unreadMsgsTimer = setTimeout(async () => {
    if (!userId) return;
    const asked = ++unreadMsgsAsked;
    const forUser = userId;
    try {
      const { items } = await authRequest('GET', '/api/conversations', { params: { limit: CONVERSATIONS_COUNTED } });
      if (asked === unreadMsgsAsked && forUser === userId) setUnreadMessages(items);
    } catch {
      /* the next message, read or reconnect asks again */
    }
  }, 150);
}
/** Sets the count from conversations (GET /api/conversations items, the
 *  CONVERSATIONS_COUNTED most recent); an answer asked before it is dropped. */
export function setUnreadMessages(conversations) {
  unreadMsgsAsked++;
  unreadMsgs = conversations.reduce((n, c) => n + (Number(c.unread_count) || 0), 0);
  emit('unreadMessages', unreadMsgs);
}

// ---- the socket ----------------------------------------------------------

function onFrame(socket, data) {
  let f;
  try {
    f = JSON.parse(data);
  } catch {
    return;
  }
  switch (f.type) {
    case 'hello':
      socket.ready = true;
      attempt = 0;
      setStatus('online');
      refreshUnread();
      refreshUnreadMessages();
      catchUp(socket).catch(() => socket.close(4000, 'catch-up failed'));
      break;
    case 'message':
      deliver(f.message);
      break;
    case 'ack':
      acked(f.client_id, f.message);
      deliver(f.message); // seen already: only the highest id moves
      break;
    case 'error':
      if (f.client_id) {
        const item = outbox.find((o) => o.client_id === f.client_id);
        if (!item) break;
        if (f.code === 'rate_limited' || f.code === 'unavailable') {
          item.sentOn = null; // not stored: sent again
          setTimeout(flushOutbox, RETRY_SEND_MS);
        } else {
          acked(f.client_id, null); // refused for good (validation_failed, not_found)
          emit('failed', { client_id: f.client_id, code: f.code, item });
        }
      }
      break;
    case 'typing':
    case 'read':
      emit(f.type, f);
      break;
    case 'notification':
      emit('notification', f.notification);
      refreshUnread();
      break;
    default:
  }
}

async function connect() {
  clearTimeout(retryTimer);
  if (!userId || ws) return;
  if (!navigator.onLine) {
    setStatus('offline'); // the 'online' event brings us back
    return;
  }
  setStatus('connecting');
  let token;
  try {
    token = await accessToken();
  } catch (err) {
    if (err.status === 401 || err.status === 400) return; // the session ended: onSessionChange stops us
    retry();
    return;
  }
  if (!userId || ws) return;
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${scheme}//${window.location.host}/ws?access_token=${encodeURIComponent(token)}`);
  ws = socket;
  socket.addEventListener('message', (e) => onFrame(socket, e.data));
  socket.addEventListener('close', (e) => {
    if (ws !== socket) return;
    ws = null;
    if (!userId) return;
    setStatus(navigator.onLine ? 'connecting' : 'offline');
    // 4401: the token expired or the session ended; a refused upgrade shows
    // as 1006 before any hello. Renew, then come back (a revoked session
    // fails the renewal and ends the session: no reconnect).
    if (e.code === 4401 || (!socket.ready && attempt >= 1)) {
      refresh()
        .then(() => retry(e.code === 4401 ? 0 : undefined))
        .catch((err) => {
          if (err.status !== 401 && err.status !== 400) retry();
        });
    } else retry();
  });
}

/** Schedules the next attempt: random in [0, min(cap, base·2^n)]. */
function retry(ms) {
  clearTimeout(retryTimer);
  if (!userId) return;
  const delay = ms ?? Math.random() * Math.min(CAP_MS, BASE_MS * 2 ** attempt);
  attempt += 1;
  retryTimer = setTimeout(connect, delay);
}

function disconnect() {
  clearTimeout(retryTimer);
  const socket = ws;
  ws = null;
  socket?.close(1000);
}

// The browser's own idea of the network: drop the socket at once when it
// goes offline (rather than waiting for pings to fail), come back at once
// when it returns.
window.addEventListener('offline', () => {
  if (!userId) return;
  disconnect();
  setStatus('offline');
});
window.addEventListener('online', () => {
  attempt = 0;
  connect();
});

onTokenRenewed((token) => sendFrame({ type: 'auth', access_token: token }));

onSessionChange((user) => {
  const id = user?.id ?? null;
  if (id === userId) return;
  disconnect();
  userId = id;
  highest = null;
  seen.clear();
  attempt = 0;
  if (userId) {
    loadOutbox(); // what this person typed offline before a reload goes out now
    emit('outbox', pending());
    connect();
  } else {
    outbox = [];
    setUnread(0);
    setUnreadMessages([]);
    // Said even when already offline: the chat screens tell a session that
    // ended from a connection that dropped by this event (messages.js).
    status = 'offline';
    emit('status', status);
  }
});
if (currentUser()) {
  userId = currentUser().id;
  loadOutbox();
  connect();
}
