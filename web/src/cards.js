// Ad cards for lists: title, price or "Consultar", place, thumbnail.
import { h } from './dom.js';
import { formatPlace, formatPrice } from './format.js';
import { t } from './strings.js';

export function adCard(ad) {
  const thumb = ad.thumbnail_url
    ? h('img', { src: ad.thumbnail_url, alt: '', loading: 'lazy', decoding: 'async', width: 400, height: 300 })
    : h('div', { class: 'thumb-empty', 'aria-hidden': 'true' }, t.noPhoto);
  return h(
    'li',
    { class: 'card' },
    h(
      'a',
      { href: `/avisos/${ad.id}`, 'data-link': true },
      h('div', { class: 'thumb' }, thumb),
      h('h3', { class: 'card-title' }, ad.title),
      h('p', { class: 'price' }, formatPrice(ad.price, ad.currency, ad.price_unit)),
      h('p', { class: 'place' }, formatPlace(ad)),
    ),
  );
}

export function cardList(ads, label) {
  return h('ul', { class: 'cards', 'aria-label': label }, ads.map(adCard));
}

/** An error a person can read, with a retry button. */
export function errorBox(err, retry) {
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', {}, err.message || t.errors.generic),
    retry ? h('button', { type: 'button', onclick: retry }, t.errors.retry) : null,
  );
}
