// Home: featured ads and the category tree. Their URLs come from
// home-preload.json, which the build also turns into the Link header the
// server sends with the home page (preload-home.txt): the browser asks for
// them while it fetches this script, and these requests find them ready.
import { apiGet } from '../api.js';
import requests from '../home-preload.json';
import { adCard, errorBox } from '../cards.js';
import { h, mount } from '../dom.js';
import { t } from '../strings.js';

function categoryList(items) {
  return h(
    'ul',
    { class: 'categories' },
    items.map((c) =>
      h(
        'li',
        {},
        h('a', { href: `/buscar?category=${encodeURIComponent(c.slug)}`, 'data-link': true }, c.name),
        c.children?.length
          ? h(
              'ul',
              {},
              c.children.map((s) =>
                h('li', {}, h('a', { href: `/buscar?category=${encodeURIComponent(s.slug)}`, 'data-link': true }, s.name)),
              ),
            )
          : null,
      ),
    ),
  );
}

export function renderHome(main, { signal }) {
  document.title = t.titleHome;
  const featured = h('section', { 'aria-labelledby': 'h-featured' }, h('h2', { id: 'h-featured' }, t.featured), h('p', {}, t.loading));
  const cats = h('section', { 'aria-labelledby': 'h-cats' }, h('h2', { id: 'h-cats' }, t.categories), h('p', {}, t.loading));
  mount(main, h('h1', { class: 'visually-hidden' }, t.appName), featured, cats);

  const loadFeatured = () =>
    apiGet(requests.featured, {}, { signal })
      .then(({ items }) =>
        mount(
          featured,
          h('h2', { id: 'h-featured' }, t.featured),
          items.length ? h('ul', { class: 'cards' }, items.map(adCard)) : h('p', {}, t.noFeatured),
        ),
      )
      .catch((err) => err.name !== 'AbortError' && mount(featured, h('h2', { id: 'h-featured' }, t.featured), errorBox(err, loadFeatured)));
  const loadCategories = () =>
    apiGet(requests.categories, {}, { signal })
      .then(({ items }) => mount(cats, h('h2', { id: 'h-cats' }, t.categories), categoryList(items)))
      .catch((err) => err.name !== 'AbortError' && mount(cats, h('h2', { id: 'h-cats' }, t.categories), errorBox(err, loadCategories)));
  loadFeatured();
  loadCategories();
}
