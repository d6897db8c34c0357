// The seller's and the buyer's own lists: "Mis avisos" (GET /api/me/ads, each
// with its status and the moves the API allows: pause, mark sold,
// reactivate, renew an expired one, delete after a confirmation) and
// "Favoritos" (GET /api/me/favorites), both paged with one "Ver más". Also
// the header's links to them, and what the owner's ad page shares with Mis
// avisos (the moves, the confirmation before deleting).
import { adCard, errorBox } from '../cards.js';
import { announce, busy, h, isBusy, mount } from '../dom.js';
import { formatPrice } from '../format.js';
import { authRequest } from '../session.js';
import { t, tp, ts } from '../strings.js';
import { requireLogin } from './sell.js';

/** The header's links for a logged-in person. */
export function userLinks() {
  return [
    h('a', { href: '/publicar', 'data-link': true, class: 'publish' }, ts.publish),
    h('a', { href: '/mis-avisos', 'data-link': true }, ts.myAds),
    h('a', { href: '/favoritos', 'data-link': true }, ts.favorites),
  ];
}

/** The status moves offered for an ad in `status` (API.md: the owner moves
 *  an ad between active, paused and sold; active on an expired ad renews it). */
export function moves(status) {
  if (status === 'active') return [['paused', ts.pause], ['sold', ts.markSold]];
  if (status === 'paused') return [['active', ts.reactivate], ['sold', ts.markSold]];
  if (status === 'sold') return [['active', ts.reactivate]];
  if (status === 'expired') return [['active', ts.renew]];
  return [];
}

/** Asks in place, inside `box` (the ad's actions, which it replaces), before
 *  an ad is deleted: "¿Eliminar “título”? No se puede deshacer." with "Sí,
 *  eliminar" and "Cancelar". The focus goes to "Cancelar" (the answer that
 *  loses nothing); "Cancelar", or Escape on either button, calls
 *  onCancel() (which draws the actions again), "Sí, eliminar" calls
 *  onYes(its button). Mis avisos and the owner's ad page use it. */
export function confirmRemoval(box, title, { onYes, onCancel }) {
  const yes = h('button', { type: 'button', class: 'danger', onclick: (e) => onYes(e.currentTarget) }, ts.confirmYes);
  // Not while the DELETE runs (busy() leaves the buttons pressable): its
  // answer decides what comes next.
  const cancel = () => !isBusy(yes) && onCancel();
  const onkeydown = (e) => {
    if (e.key !== 'Escape' || isBusy(yes)) return;
    e.preventDefault();
    cancel();
  };
  const no = h('button', { type: 'button', class: 'secondary', onclick: cancel, onkeydown }, ts.cancel);
  yes.addEventListener('keydown', onkeydown);
  mount(box, h('p', { class: 'confirm' }, ts.confirmRemove(title)), yes, no);
  no.focus();
}

/**
 * "Ver más" under a list of ads the API pages (Mis avisos, Favoritos):
 * `first` is the first page ({items, next_cursor}); each press asks
 * fetchPage(cursor), hands onPage() the ads the list does not have yet (a
 * page boundary that moved brings one twice), then puts the focus on the
 * first of them (its title's link in `list`: the button it was on moves
 * below or goes). The button goes with the last page; an error shows under
 * it with the app's words. Returns { element, hasMore(), focus() }.
 */
function showMore(first, { list, fetchPage, onPage }) {
  const seen = new Set(first.items.map((a) => a.id));
  let cursor = first.next_cursor;
  const more = h('button', { type: 'button', class: 'secondary' }, t.loadMore);
  const box = h('div', { class: 'more', hidden: !cursor }, more);
  const error = h('div');
  more.addEventListener('click', async () => {
    if (isBusy(more)) return;
    const idle = busy(more);
    error.replaceChildren();
    try {
      const next = await fetchPage(cursor);
      const fresh = next.items.filter((a) => !seen.has(a.id));
      for (const a of fresh) seen.add(a.id);
      cursor = next.next_cursor;
      box.hidden = !cursor;
      onPage(fresh);
      if (fresh.length) list.querySelector(`a[href="/avisos/${fresh[0].id}"]`)?.focus();
    } catch (err) {
      if (err.name !== 'AbortError') error.replaceChildren(errorBox(err));
    } finally {
      idle();
    }
  });
  return { element: [box, error], hasMore: () => Boolean(cursor), focus: () => more.focus() };
}

/**
 * The owner's buttons for ad, shared by Mis avisos and the ad's page: its
 * status moves (PATCH status), a link to edit (`editLabel`) and "Eliminar"
 * (DELETE after confirmRemoval). While a request runs every button of the
 * group is busy (aria-disabled, so the focus stays: keyboard.test.mjs); an
 * error shows under them with the app's words and the focus goes back to
 * the button pressed. A move announces itself and calls onMoved(the new
 * detail, the status); a delete announces itself and calls onDeleted().
 * Returns { group, error }: the caller places both.
 */
export function ownerButtons(ad, { signal, label, editLabel, onMoved, onDeleted }) {
  const group = h('div', { class: 'actions', role: 'group', 'aria-label': label });
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const act = async (button, request, done) => {
    if (isBusy(button)) return;
    const idles = [...group.querySelectorAll('button')].map((b) => busy(b));
    error.hidden = true;
    try {
      done(await request());
    } catch (err) {
      if (err.name === 'AbortError') return;
      error.textContent = err.message || t.errors.generic;
      error.hidden = false;
      for (const idle of idles) idle();
      button.focus();
    }
  };
  const remove = (e) =>
    // Not while a move runs: every button of the group is busy then.
    !isBusy(e.currentTarget) &&
    confirmRemoval(group, ad.title, {
      onYes: (yes) =>
        act(
          yes,
          () => authRequest('DELETE', `/api/ads/${ad.id}`, { signal }),
          () => {
            announce(ts.changed.deleted);
            onDeleted();
          },
        ),
      onCancel: () => {
        error.hidden = true;
        draw();
        group.querySelector('.danger')?.focus();
      },
    });
  const draw = () =>
    mount(
      group,
      moves(ad.status).map(([to, text]) =>
        h('button', {
          type: 'button',
          onclick: (e) =>
            act(
              e.currentTarget,
              () => authRequest('PATCH', `/api/ads/${ad.id}`, { body: { status: to }, signal }),
              (updated) => {
                announce(ts.changed[to]);
                onMoved(updated, to);
              },
            ),
        }, text),
      ),
      h('a', { href: `/mis-avisos/${ad.id}/editar`, 'data-link': true, class: 'button secondary' }, editLabel),
      h('button', { type: 'button', class: 'secondary danger', onclick: remove }, ts.remove),
    );
  draw();
  return { group, error };
}

function myAdItem(ad, { signal, onChange }) {
  const { group: actions, error } = ownerButtons(ad, {
    signal,
    label: ts.actionsFor(ad.title),
    editLabel: ts.edit,
    onMoved: (updated) => {
      Object.assign(ad, updated);
      onChange();
    },
    onDeleted: () => {
      ad.status = 'deleted';
      onChange();
    },
  });
  const thumb = ad.thumbnail_url
    ? h('img', { src: ad.thumbnail_url, alt: '', loading: 'lazy', width: 400, height: 300 })
    : h('div', { class: 'thumb-empty', 'aria-hidden': 'true' }, t.noPhoto);
  return h(
    'li',
    { class: 'my-ad' },
    h('div', { class: 'thumb' }, thumb),
    h(
      'div',
      { class: 'my-ad-body' },
      h('h2', { class: 'card-title' }, h('a', { href: `/avisos/${ad.id}`, 'data-link': true }, ad.title)),
      h('p', { class: 'price' }, formatPrice(ad.price, ad.currency, ad.price_unit)),
      h('p', {}, h('span', { class: `badge status-${ad.status}` }, ts.status[ad.status] ?? ad.status)),
      actions,
      error,
    ),
  );
}

/** The status tabs of Mis avisos: links to ?estado=..., so a reload or a
 *  shared link keeps the filter; "Todos" has no parameter. */
function statusTabs(current) {
  const tab = (label, key) =>
    h('a', { href: key ? `/mis-avisos?estado=${key}` : '/mis-avisos', 'data-link': true, class: key === current ? 'tab current' : 'tab', 'aria-current': key === current ? 'page' : null }, label);
  return h('nav', { class: 'tabs status-tabs', 'aria-label': tp.statusFilter }, tab(tp.statusAll, null), Object.entries(tp.statusTabs).map(([key, label]) => tab(label, key)));
}

// What the next Mis avisos drawn says above its list, once: the ad page's
// "Eliminar" lands here (announce() has told screen readers already).
let nextNotice = null;
export function noticeOnMyAds(text) {
  nextNotice = text;
}

export async function renderMyAds(main, { url, signal }) {
  // ?estado=pausados → GET /api/me/ads?status=paused; an unknown value is "Todos".
  const key = Object.hasOwn(tp.statusParam, url.searchParams.get('estado') ?? '') ? url.searchParams.get('estado') : null;
  const status = key ? tp.statusParam[key] : null;
  document.title = key ? tp.titleMyAdsIn(tp.statusTabs[key]) : ts.titleMyAds;
  const notice = nextNotice;
  nextNotice = null;
  mount(main, h('h1', {}, ts.myAds), h('p', {}, t.loading));
  const load = async () => {
    try {
      if (!(await requireLogin(main, url, ts.myAds))) return;
      const page = await authRequest('GET', '/api/me/ads', { params: { status }, signal });
      const list = h('ul', { class: 'my-ads', 'aria-label': ts.myAds });
      // The API pages them (20 a page).
      const more = showMore(page, {
        list,
        fetchPage: (cursor) => authRequest('GET', '/api/me/ads', { params: { status, cursor }, signal }),
        onPage: (fresh) => (page.items.push(...fresh), draw()),
      });
      const draw = () => {
        const shown = page.items.filter((a) => a.status !== 'deleted');
        mount(
          list,
          shown.map((ad) => myAdItem(ad, { signal, onChange: draw })),
        );
        if (!shown.length && !more.hasMore()) list.replaceWith(empty);
      };
      const empty = status
        ? h('p', { class: 'empty' }, tp.noAdsIn[status])
        : h('p', {}, ts.noAds, ' ', h('a', { href: '/publicar', 'data-link': true }, ts.publishFirst));
      mount(main, h('h1', {}, ts.myAds), h('p', {}, h('a', { href: '/publicar', 'data-link': true, class: 'button' }, ts.publishHeading)), statusTabs(key), notice ? h('p', { class: 'notice' }, notice) : null, list, more.element);
      draw();
    } catch (err) {
      if (err.name !== 'AbortError') mount(main, h('h1', {}, ts.myAds), errorBox(err, load));
    }
  };
  load();
}

/** A card of Favoritos with its "Quitar de favoritos" (DELETE
 *  /api/ads/{id}/favorite): the card leaves the list, the change is
 *  announced and the focus goes to the next card's button (the previous one
 *  for the last card); onEmpty() once no card is left. */
function favoriteItem(ad, { signal, onEmpty }) {
  const li = adCard(ad);
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary unfavorite',
      // The visible words first (WCAG 2.5.3), then which ad.
      'aria-label': `${tp.unfavorite}: ${ad.title}`,
      onclick: async () => {
        if (isBusy(button)) return;
        const idle = busy(button);
        error.hidden = true;
        try {
          await authRequest('DELETE', `/api/ads/${ad.id}/favorite`, { signal });
          const next = li.nextElementSibling ?? li.previousElementSibling;
          li.remove();
          announce(tp.unfavorited(ad.title));
          if (next) next.querySelector('button.unfavorite')?.focus();
          else onEmpty();
        } catch (err) {
          if (err.name === 'AbortError') return;
          error.textContent = err.message || t.errors.generic;
          error.hidden = false;
        } finally {
          idle();
        }
      },
    },
    tp.unfavorite,
  );
  li.classList.add('favorite-card');
  li.append(button, error);
  return li;
}

// A page of Favoritos as small as one of Mis avisos (the API's default and
// largest limit here is 100).
const FAVORITES_PAGE = 20;

const noFavorites = () => h('p', { class: 'empty' }, tp.noFavorites, ' ', h('a', { href: '/buscar', 'data-link': true }, tp.browseAds));

export async function renderFavorites(main, { url, signal }) {
  document.title = ts.titleFavorites;
  mount(main, h('h1', {}, ts.favorites), h('p', {}, t.loading));
  const load = async () => {
    try {
      if (!(await requireLogin(main, url, ts.favorites))) return;
      const fetchPage = (cursor) => authRequest('GET', '/api/me/favorites', { params: { limit: FAVORITES_PAGE, cursor }, signal });
      const page = await fetchPage(undefined);
      const heading = h('h1', { id: 'h-favorites', tabindex: '-1' }, ts.favorites);
      const list = h('ul', { class: 'cards', 'aria-labelledby': 'h-favorites' });
      const more = showMore(page, {
        list,
        fetchPage,
        onPage: (fresh) => {
          list.append(...fresh.map(card));
          if (!list.children.length) onEmpty(); // every card taken out, and nothing new came
        },
      });
      // No card left: "Ver más" when the API has more, else the empty state.
      const onEmpty = () => {
        if (more.hasMore()) return more.focus();
        list.replaceWith(noFavorites());
        heading.focus();
      };
      const card = (ad) => favoriteItem(ad, { signal, onEmpty });
      list.append(...page.items.map(card));
      mount(main, heading, page.items.length ? list : noFavorites(), more.element);
    } catch (err) {
      if (err.name !== 'AbortError') mount(main, h('h1', {}, ts.favorites), errorBox(err, load));
    }
  };
  load();
}
