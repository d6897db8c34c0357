// An ad's page: photos (thumbnails; the full photo loaded only when opened),
// price, place, description, the attributes labelled from the category's
// definitions (GET /api/categories) with their units. The detail is asked
// with the person's token when there is one (session.js sessionGet), so the
// owner and admins see a paused, sold or hidden ad; anonymous visitors ask
// without one and never wait for a token renewal.
import { apiGet } from '../api.js';
import { sessionGet } from '../session.js';
import { errorBox } from '../cards.js';
import { h, mount } from '../dom.js';
import { formatPlace, formatPrice } from '../format.js';
import { t, tf, ts } from '../strings.js';
import { messageButton } from './messages.js';
import { adActions } from './ad-actions.js';

export function renderAd(main, { id, signal, navigate }) {
  mount(main, h('p', {}, t.loading));
  // The category tree names the attributes; without it the keys show.
  const categories = apiGet('/api/categories', {}, { signal }).then(({ items }) => items, () => []);
  const draw = (ad, tree, { changed = false } = {}) => {
    document.title = t.titleAd(ad.title);
    const attrs = labelledAttributes(ad.attributes ?? {}, findCategory(tree, ad.category?.id));
    mount(
      main,
      h(
        'article',
        { class: 'ad' },
        h('h1', {}, ad.title),
        h('p', { class: 'price' }, formatPrice(ad.price, ad.currency, ad.price_unit)),
        h('p', { class: 'place' }, formatPlace(ad)),
        adActions(ad, { signal, navigate, changed, onChange: (updated) => draw(updated, tree, { changed: true }) }),
        ad.images?.length ? gallery(ad) : null,
        attrs.length ? [h('h2', { class: 'visually-hidden' }, tf.attributes), h('dl', { class: 'attrs' }, attrs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))] : null,
        ad.description ? [h('h2', {}, t.description), h('p', { class: 'description' }, ad.description)] : null,
        ad.user ? h('p', { class: 'seller' }, `${t.seller}: ${ad.user.name}`) : null,
        messageButton(ad),
      ),
    );
  };
  const load = () =>
    Promise.all([sessionGet(`/api/ads/${id}`, { signal }), categories])
      .then(([ad, tree]) => draw(ad, tree))
      .catch((err) => {
        if (err.name === 'AbortError') return;
        if (err.status === 404) mount(main, h('h1', {}, t.adNotFound), h('p', {}, h('a', { href: '/', 'data-link': true }, t.goHome)));
        else if (err.sessionEnded) {
          const back = `/ingresar?next=${encodeURIComponent(`/avisos/${id}`)}`;
          mount(main, h('h1', {}, t.adNotFound), h('p', { class: 'error', role: 'alert' }, ts.sessionEnded, ' ', h('a', { href: back, 'data-link': true }, ts.loginAgain), '.'));
        } else mount(main, errorBox(err, load));
      });
  load();
}

function findCategory(items, id) {
  for (const c of items ?? []) {
    if (c.id === id) return c;
    const found = findCategory(c.children, id);
    if (found) return found;
  }
  return null;
}

// Grouped from five digits, as Spanish writes them: a year stays "2020".
const grouped = new Intl.NumberFormat('es-AR', { maximumFractionDigits: 2 });
const plain = new Intl.NumberFormat('es-AR', { maximumFractionDigits: 2, useGrouping: false });
const formatNumber = (v) => (Math.abs(v) >= 10000 ? grouped : plain).format(v);

/** [label, value] pairs in the category's order ("Potencia", "110 hp"); keys
 *  the category does not define (or an unknown category) show as they are. */
function labelledAttributes(values, category) {
  const defs = category?.attributes ?? [];
  const out = [];
  const seen = new Set();
  const show = (def, v) => {
    if (v === null || v === undefined || v === '') return;
    let text;
    if (def?.type === 'bool' || typeof v === 'boolean') text = v === true || v === 'true' ? tf.yes : tf.no;
    else if (typeof v === 'number') text = formatNumber(v);
    else text = String(v);
    if (def?.unit && typeof v === 'number') text = `${text} ${def.unit}`;
    out.push([def?.label ?? def?.key, text]);
  };
  for (const d of defs) {
    if (d.key in values) {
      seen.add(d.key);
      show(d, values[d.key]);
    }
  }
  for (const [k, v] of Object.entries(values)) if (!seen.has(k)) show({ key: k }, v);
  return out;
}

// A swipe: a horizontal move of at least SWIPE_MIN_PX, clearly more
// horizontal than vertical, between one pointer's down and up (touch, pen or
// a mouse drag). The image's `touch-action: pan-y pinch-zoom` (styles.css)
// leaves horizontal moves to the page while a vertical one still scrolls and
// two fingers still zoom.
const SWIPE_MIN_PX = 40;
function swipe(el, onSwipe) {
  let start = null;
  el.addEventListener('pointerdown', (e) => {
    if (e.isPrimary) start = { id: e.pointerId, x: e.clientX, y: e.clientY };
  });
  el.addEventListener('pointerup', (e) => {
    if (!start || e.pointerId !== start.id) return;
    const dx = e.clientX - start.x;
    const dy = e.clientY - start.y;
    start = null;
    if (Math.abs(dx) >= SWIPE_MIN_PX && Math.abs(dx) > 1.5 * Math.abs(dy)) onSwipe(dx < 0 ? 1 : -1); // to the left: the next one
  });
  el.addEventListener('pointercancel', () => {
    start = null;
  });
  el.addEventListener('dragstart', (e) => e.preventDefault()); // a mouse drag swipes, it does not drag the image out
}

/** The thumbnails (lazy) as buttons; the full photo is loaded only when one
 *  is opened, in a modal <dialog> (Escape or "Cerrar foto" closes it, the
 *  arrows, the buttons and a swipe on the photo move between photos). */
function gallery(ad) {
  const images = ad.images;
  const n = images.length;
  let index = 0;
  let opener = null;
  const full = h('img', { alt: '', decoding: 'async' });
  const caption = h('figcaption', {});
  const prev = h('button', { type: 'button', class: 'secondary', onclick: () => show(index - 1) }, '‹ ', tf.prevPhoto);
  const next = h('button', { type: 'button', class: 'secondary', onclick: () => show(index + 1) }, tf.nextPhoto, ' ›');
  const dialog = h(
    'dialog',
    { class: 'photo-viewer', 'aria-labelledby': `pv-${ad.id}` },
    h('figure', {}, full, caption),
    h(
      'div',
      { class: 'viewer-buttons' },
      n > 1 ? [prev, next] : null,
      h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, tf.closePhoto),
    ),
  );
  caption.id = `pv-${ad.id}`;
  const show = (i) => {
    index = (i + n) % n;
    const img = images[index];
    full.src = img.url;
    if (img.width) full.width = img.width;
    if (img.height) full.height = img.height;
    full.alt = `${ad.title} — ${tf.photoOf(index + 1, n)}`;
    caption.textContent = tf.photoOf(index + 1, n);
  };
  dialog.addEventListener('keydown', (e) => {
    if (n > 1 && e.key === 'ArrowLeft') show(index - 1);
    else if (n > 1 && e.key === 'ArrowRight') show(index + 1);
  });
  if (n > 1) swipe(full, (step) => show(index + step));
  dialog.addEventListener('close', () => opener?.focus());
  return h(
    'section',
    { class: 'gallery-box', 'aria-label': tf.photos },
    h(
      'ul',
      { class: 'gallery' },
      images.map((img, i) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'thumb-button',
              'aria-label': tf.viewPhoto(i + 1, n),
              onclick: (e) => {
                opener = e.currentTarget;
                show(i);
                dialog.showModal();
              },
            },
            h('img', { src: img.thumbnail_url, alt: '', loading: 'lazy', decoding: 'async', width: 400, height: img.width && img.height ? Math.round((400 * img.height) / img.width) : 300 }),
          ),
        ),
      ),
    ),
    dialog,
  );
}
