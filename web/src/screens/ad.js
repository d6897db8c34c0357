// An ad's page, first version: photos, price, place, description, attributes.
import { apiGet } from '../api.js';
import { errorBox } from '../cards.js';
import { h, mount } from '../dom.js';
import { formatPlace, formatPrice } from '../format.js';
import { t } from '../strings.js';
import { messageButton } from './messages.js';
import { adActions } from './ad-actions.js';

export function renderAd(main, { id, signal, navigate }) {
  mount(main, h('p', {}, t.loading));
  const load = () =>
    apiGet(`/api/ads/${id}`, {}, { signal })
      .then((ad) => {
        document.title = t.titleAd(ad.title);
        const attrs = Object.entries(ad.attributes ?? {});
        mount(
          main,
          h(
            'article',
            { class: 'ad' },
            h('h1', {}, ad.title),
            h('p', { class: 'price' }, formatPrice(ad.price, ad.currency, ad.price_unit)),
            h('p', { class: 'place' }, formatPlace(ad)),
            adActions(ad, { signal, navigate }),
            ad.images?.length
              ? h(
                  'ul',
                  { class: 'gallery' },
                  ad.images.map((img) =>
                    h(
                      'li',
                      {},
                      h('a', { href: img.url }, h('img', { src: img.thumbnail_url, alt: ad.title, loading: 'lazy', width: img.width, height: img.height })),
                    ),
                  ),
                )
              : null,
            attrs.length ? h('dl', { class: 'attrs' }, attrs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])) : null,
            ad.description ? [h('h2', {}, t.description), h('p', { class: 'description' }, ad.description)] : null,
            ad.user ? h('p', { class: 'seller' }, `${t.seller}: ${ad.user.name}`) : null,
            messageButton(ad),
          ),
        );
      })
      .catch((err) => {
        if (err.name === 'AbortError') return;
        if (err.status === 404) mount(main, h('h1', {}, t.adNotFound), h('p', {}, h('a', { href: '/', 'data-link': true }, t.goHome)));
        else mount(main, errorBox(err, load));
      });
  load();
}
