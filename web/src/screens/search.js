// Search results: the URL holds the search (/buscar?q=...&category=...), so
// a reload or a shared link shows the same results; "Ver más" follows
// next_cursor.
import { apiGet } from '../api.js';
import { adCard, errorBox } from '../cards.js';
import { announce, h, mount } from '../dom.js';
import { t } from '../strings.js';
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
  apiGet('/api/categories', {}, { signal })
    .then(({ items }) => mount(filters, filtersForm(params, items, { navigate })))
    .catch(() => {});

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
      .catch((err) => {
        if (err.name === 'AbortError') return;
        count.textContent = '';
        mount(more, errorBox(err, () => load(cursor)));
      });
  };
  load(undefined);
}
