// The search screen's filters (API.md "Ads", search parameters): category,
// province, price range and its currency, the ad's currency, price unit,
// sort, and the chosen category's attribute filters (number → desde/hasta as
// attr.KEY.min/.max, enum → select, bool → Sí/No/Indistinto, text → input).
// The URL is the state: the form is filled from it, and submitting moves to
// /buscar?... with the non-empty values, so a reload or a shared link shows
// the same results. On phones the form is folded into a <details> "Filtros".
import { h, mount } from '../dom.js';
import { tf, ts } from '../strings.js';
import { PROVINCES } from './account.js';

const UNITS = ['total', 'per_head', 'per_kg', 'per_ha', 'per_month', 'per_ton'];
const SORTS = ['recent', 'price_asc', 'price_desc'];

/** Every category (with its attributes, the parent's included), by slug
 *  and by id. */
function indexCategories(items) {
  const byKey = new Map();
  const walk = (list) => {
    for (const c of list) {
      byKey.set(String(c.id), c);
      byKey.set(c.slug, c);
      if (c.children?.length) walk(c.children);
    }
  };
  walk(items);
  return byKey;
}

/** "25000", "25.000", "25.000,50" as "25000", "25000.50"; anything else as
 *  typed (the API's 400 says it is not a number). */
function normalizeNumber(text) {
  const s = text.trim().replace(/\s/g, '');
  if (s === '') return '';
  let n;
  if (s.includes(',')) n = Number(s.replace(/\./g, '').replace(',', '.'));
  else if (/^\d{1,3}(\.\d{3})+$/.test(s)) n = Number(s.replace(/\./g, ''));
  else n = Number(s);
  return Number.isFinite(n) ? String(n) : s;
}

let seq = 0;
/** A labelled control; name is the URL parameter it sets. */
function field(name, label, control) {
  const id = `f-${++seq}`;
  control.id = id;
  control.name = name;
  const error = control.dataset.number !== undefined ? h('p', { class: 'field-error', id: `${id}-error`, hidden: true }) : null;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, error);
}

/** Marks a number field as wrong ("Ingresá un número.") or right again. */
function setNumberError(control, bad) {
  const error = document.getElementById(`${control.id}-error`);
  if (!error) return;
  error.textContent = bad ? tf.notANumber : '';
  error.hidden = !bad;
  if (bad) {
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', error.id);
  } else {
    control.removeAttribute('aria-invalid');
    control.removeAttribute('aria-describedby');
  }
}

function options(anyLabel, values, labelOf = (v) => v) {
  return [anyLabel === null ? null : h('option', { value: '' }, anyLabel), values.map((v) => h('option', { value: v }, labelOf(v)))];
}

/** The controls of one attribute definition {key,label,type,unit?,options?}. */
function attributeFields(attr) {
  const label = attr.unit ? `${attr.label} (${attr.unit})` : attr.label;
  const key = `attr.${attr.key}`;
  if (attr.type === 'number') {
    const num = () => h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', 'data-number': true });
    return h('div', { class: 'range' }, field(`${key}.min`, tf.from(label), num()), field(`${key}.max`, tf.to(label), num()));
  }
  if (attr.type === 'enum') return field(key, label, h('select', {}, options(tf.anyOption, attr.options ?? [])));
  if (attr.type === 'bool') {
    return field(key, label, h('select', {}, h('option', { value: '' }, tf.any), h('option', { value: 'true' }, tf.yes), h('option', { value: 'false' }, tf.no)));
  }
  return field(key, label, h('input', { type: 'text', maxlength: 200, autocomplete: 'off' }));
}

/** The number of filters the URL sets (q aside), for the summary. */
function activeCount(params) {
  return Object.entries(params).filter(([k, v]) => k !== 'q' && k !== 'sort' && k !== 'price_currency' && v !== '').length;
}

/**
 * The filters form for `params` (the URL's search parameters). categories is
 * the tree of GET /api/categories; navigate moves to the new URL.
 */
export function filtersForm(params, categories, { navigate }) {
  const byKey = indexCategories(categories);
  const typed = { ...params }; // attribute values kept across category changes

  const category = h(
    'select',
    {},
    h('option', { value: '' }, tf.anyCategory),
    categories.map((c) => [
      h('option', { value: c.slug }, c.name),
      (c.children ?? []).map((s) => h('option', { value: s.slug }, `\u00a0\u00a0${s.name}`)),
    ]),
  );
  const province = h('select', {}, options(tf.anyProvince, PROVINCES));
  const minPrice = h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', 'data-number': true });
  const maxPrice = h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', 'data-number': true });
  const priceCurrency = h('select', {}, options(null, ['ARS', 'USD'], (c) => ts.currencies[c]));
  const currency = h('select', {}, options(tf.anyCurrency, ['ARS', 'USD'], (c) => ts.currencies[c]));
  const unit = h('select', {}, options(tf.anyUnit, UNITS, (u) => ts.priceUnits[u]));
  const sort = h('select', {}, options(null, SORTS, (s) => tf.sorts[s]));
  const attrBox = h('fieldset', { class: 'attr-filters', hidden: true });

  const form = h(
    'form',
    { class: 'filters-form', 'aria-label': tf.filtersLabel, novalidate: true },
    field('category', tf.category, category),
    attrBox,
    field('province', tf.province, province),
    h('div', { class: 'range' }, field('min_price', tf.minPrice, minPrice), field('max_price', tf.maxPrice, maxPrice)),
    field('price_currency', tf.priceCurrency, priceCurrency),
    field('currency', tf.currency, currency),
    field('price_unit', tf.priceUnit, unit),
    field('sort', tf.sort, sort),
    h(
      'div',
      { class: 'filter-buttons' },
      h('button', { type: 'submit' }, tf.apply),
      h('a', { href: params.q ? `/buscar?${new URLSearchParams({ q: params.q })}` : '/buscar', 'data-link': true, class: 'button secondary' }, tf.clear),
    ),
  );

  const drawAttributes = () => {
    for (const el of attrBox.querySelectorAll('[name]')) typed[el.name] = el.value;
    const c = byKey.get(category.value);
    const attrs = c?.attributes ?? [];
    attrBox.hidden = attrs.length === 0;
    mount(attrBox, h('legend', {}, tf.features), attrs.map(attributeFields));
    for (const el of attrBox.querySelectorAll('[name]')) el.value = typed[el.name] ?? '';
  };
  category.addEventListener('change', drawAttributes);

  // Filled from the URL: a category given by id shows as its slug.
  const cat = params.category ? byKey.get(params.category) : null;
  category.value = cat ? cat.slug : '';
  for (const el of form.querySelectorAll('[name]')) {
    if (el.name !== 'category' && params[el.name] !== undefined) el.value = params[el.name];
  }
  if (!priceCurrency.value) priceCurrency.value = params.currency === 'USD' ? 'USD' : 'ARS';
  drawAttributes();

  form.addEventListener('input', (e) => {
    if (e.target.getAttribute('aria-invalid')) setNumberError(e.target, false);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const out = new URLSearchParams();
    if (params.q) out.set('q', params.q);
    let firstBad = null;
    for (const el of form.querySelectorAll('[name]')) {
      if (el.closest('[hidden]')) continue;
      const v = el.dataset.number !== undefined ? normalizeNumber(el.value) : el.value.trim();
      if (el.dataset.number !== undefined) {
        const bad = v !== '' && !Number.isFinite(Number(v));
        setNumberError(el, bad);
        if (bad) firstBad ??= el;
      }
      if (v === '') continue;
      if (el.name === 'sort' && v === 'recent') continue;
      if (el.name === 'price_currency' && !out.has('min_price') && !out.has('max_price')) continue;
      out.set(el.name, v);
    }
    // price_currency is only meaningful with a range; the range fields come
    // before it in the form, so the check above sees them.
    if (firstBad) {
      firstBad.focus();
      return;
    }
    const qs = out.toString();
    navigate(qs ? `/buscar?${qs}` : '/buscar');
  });

  const n = activeCount(params);
  const details = h(
    'details',
    { class: 'filters' },
    h('summary', {}, tf.filters, n ? h('span', { class: 'filter-count' }, ` (${tf.activeFilters(n)})`) : null),
    form,
  );
  if (window.matchMedia('(min-width: 600px)').matches) details.open = true;
  return details;
}
