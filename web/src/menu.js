// The header's account menu on narrow screens: below 900 px the links of a
// logged-in person (Mis avisos, Favoritos, Mensajes, Notificaciones, Mi
// cuenta, Denuncias, the greeting and "Salir") fold behind a "Menú" button,
// so the header keeps one row beside the brand instead of three or four;
// from 900 px the button is hidden and the links sit in the header as
// before (styles.css: the panel is `display: contents` there).
//
// The button is a real <button> with aria-expanded and aria-controls; it
// opens the panel and focuses its first link; Escape closes it and gives the
// focus back to the button; a link followed, a click outside or the focus
// moving out of the header's account area closes it. Its badge is the sum
// of the unread messages and notifications (each link inside has its own).
import { h, mount } from './dom.js';
import { on, unreadMessages, unreadNotifications } from './realtime.js';
import { tg } from './strings.js';

const PANEL_ID = 'account-menu';
let close = null; // closes the menu drawn last (a new one replaces it)

function badgeText(el) {
  const n = unreadMessages() + unreadNotifications();
  mount(el, h('span', { 'aria-hidden': 'true' }, String(n)), h('span', { class: 'visually-hidden' }, `: ${tg.menuUnread(n)}`));
  el.hidden = n === 0;
}
const refreshBadges = () => {
  for (const el of document.querySelectorAll('.menu-badge')) badgeText(el);
};
on('unread', refreshBadges);
on('unreadMessages', refreshBadges);

/** [button, panel] for the header's nav; items are the folded children. */
export function accountMenu(nav, items) {
  const badge = h('span', { class: 'badge menu-badge', hidden: true });
  badgeText(badge);
  const button = h('button', { type: 'button', class: 'menu-toggle', 'aria-expanded': 'false', 'aria-controls': PANEL_ID }, tg.menu, badge);
  const panel = h('div', { id: PANEL_ID, class: 'account-menu' }, items);
  const isOpen = () => button.getAttribute('aria-expanded') === 'true';
  const set = (open) => {
    button.setAttribute('aria-expanded', String(open));
    panel.classList.toggle('open', open);
  };
  close = (focusButton) => {
    if (!isOpen()) return;
    set(false);
    if (focusButton) button.focus();
  };
  button.addEventListener('click', () => {
    if (isOpen()) {
      set(false);
      return;
    }
    set(true);
    panel.querySelector('a, button')?.focus();
  });
  const onKey = (e) => {
    if (e.key === 'Escape' && isOpen()) {
      e.preventDefault();
      close(true);
    }
  };
  // On the button and the panel, not the nav: the nav outlives a menu (a
  // new one is drawn on every log-in) and would gather listeners.
  const onFocusOut = (e) => {
    if (e.relatedTarget && !nav.contains(e.relatedTarget)) close(false);
  };
  for (const el of [button, panel]) {
    el.addEventListener('keydown', onKey);
    el.addEventListener('focusout', onFocusOut);
  }
  // A link or "Salir" chosen: the menu goes (the app moves without a reload).
  panel.addEventListener('click', (e) => {
    if (e.target.closest('a, button')) close(false);
  });
  return [button, panel];
}

document.addEventListener('click', (e) => {
  if (close && !e.target.closest?.('nav.account')) close(false);
});
