// Search results: the URL holds the search (/buscar?q=...&category=...), so
// a reload or a shared link shows the same results; "Ver más" follows
// next_cursor. A search the API refuses (400 invalid_parameter from a
// hand-edited or old URL, invalid_cursor) says so in Spanish, names the
// filter when the API's error.fields does, and offers "Limpiar filtros".
// URL parameters that are not the API's (utm_source...) are left out, not
// refused.
import { apiGet } from '../api.js';
import { adCard, errorBox } from '../cards.js';
import { announce, h, mount } from '../dom.js';
import { t, tf, tg } from '../strings.js';
import { filtersForm } from './filters.js';
import { saveSearchButton } from './notifications.js';

/** The API's search parameters that the URL may carry. */
const PASSED = ['q', 'category', 'province', 'currency', 'min_price', 'max_price', 'price_currency', 'sort', 'price_unit'];

export function renderSearch(main, { url, signal, navigate }) {
  const params = {};
  for (const [k, v] of url.searchParams) if (PASSED.includes(k) || k.startsWith('attr.')) params[k] = v;
  const q = params.q ?? '';
  document.title = t.titleSearch(q);
  const input = document.getElementById('q');
  if (input && document.activeElement !== input) input.value = q;

  const list = h('ul', { class: 'cards', 'aria-labelledby': 'h-results' });
  const count = h('p', { class: 'count' }, t.loading);
  const more = h('div', { class: 'more' });
  const filters = h('div', { class: 'filters-slot' });
  mount(main, h('h1', { id: 'h-results' }, t.searchResults(q)), filters, saveSearchButton(params), count, list, more);
  // The filters need the category tree (cached by the browser for an hour);
  // without it the results still show.
  const tree = apiGet('/api/categories', {}, { signal }).then(({ items }) => items);
  tree.then((items) => mount(filters, filtersForm(params, items, { navigate }))).catch(() => {});

  let shown = 0;
  const load = (cursor) => {
    mount(more, cursor ? h('p', {}, t.loading) : null);
    apiGet('/api/ads', { ...params, limit: 20, cursor }, { signal })
      .then(({ items, next_cursor: next }) => {
        list.append(...items.map(adCard));
        shown += items.length;
        const text = shown === 0 ? t.noResults : t.resultsCount(shown, Boolean(next));
        count.textContent = text;
        announce(text);
        mount(more, next ? h('button', { type: 'button', onclick: () => load(next) }, t.loadMore) : null);
      })
      .catch(async (err) => {
        if (err.name === 'AbortError') return;
        count.textContent = '';
        if (err.status === 400 && (err.code === 'invalid_parameter' || err.code === 'invalid_cursor')) {
          const items = await tree.catch(() => []);
          if (!signal.aborted) mount(more, refusedSearch(err, params, items));
          return;
        }
        mount(more, errorBox(err, () => load(cursor)));
      });
  };
  load(undefined);
}

/** The Spanish name of a search parameter (the filters' labels; an
 *  attribute's from its category), or null when there is none to give. */
function paramLabel(name, params, tree) {
  const labels = {
    q: tg.textSearch,
    category: tf.category,
    province: tf.province,
    currency: tf.currency,
    min_price: tf.minPrice,
    max_price: tf.maxPrice,
    price_currency: tf.priceCurrency,
    price_unit: tf.priceUnit,
    sort: tf.sort,
    attr: tf.features,
  };
  if (labels[name]) return labels[name];
  const m = /^attr\.([^.]+)(?:\.(min|max))?$/.exec(name ?? '');
  if (!m) return null;
  const find = (list) => {
    for (const c of list ?? []) {
      if (c.slug === params.category || String(c.id) === params.category) return c;
      const found = find(c.children);
      if (found) return found;
    }
    return null;
  };
  const def = find(tree)?.attributes?.find((a) => a.key === m[1]);
  const label = def ? (def.unit && m[2] ? `${def.label} (${def.unit})` : def.label) : m[1];
  return m[2] === 'min' ? tf.from(label) : m[2] === 'max' ? tf.to(label) : label;
}

/** The alert for a search the API refused, with the way out: the filters
 *  cleared (the text kept unless it is the text that was refused), or for a
 *  stale cursor the same search from its first page. */
function refusedSearch(err, params, tree) {
  if (err.code === 'invalid_cursor') {
    const here = window.location.pathname + window.location.search;
    return h('div', { class: 'error', role: 'alert' }, h('p', {}, tg.badCursor), h('p', {}, h('a', { href: here, 'data-link': true }, tg.searchAgain)));
  }
  const name = Object.keys(err.fields ?? {})[0];
  const label = paramLabel(name, params, tree);
  const keepQ = params.q && name !== 'q';
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', {}, h('strong', {}, tg.badSearch), ' ', label ? tg.badSearchParam(label) : tg.badSearchHint),
    h('p', {}, h('a', { href: keepQ ? `/buscar?${new URLSearchParams({ q: params.q })}` : '/buscar', 'data-link': true, class: 'button secondary' }, tf.clear)),
  );
}
