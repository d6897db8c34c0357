// Publish and edit an ad (API.md "Ads"): the category's attribute fields
// drawn from GET /api/categories, POST /api/ads or PATCH /api/ads/{id}, the
// API's validation errors next to their fields (attributes.KEY included),
// then the photos: shrunk in the browser and uploaded one by one with a
// progress bar each. The form is novalidate: the API is the one validator,
// and nothing typed is lost on an error.
import { apiGet } from '../api.js';
import { errorBox } from '../cards.js';
import { announce, busy, h, isBusy, mount } from '../dom.js';
import { guardLeave } from '../leave.js';
import { PhotoError, shrink, upload } from '../photos.js';
import { dropDraft, keepDraft, readDraft } from '../drafts.js';
import { authRequest, accessToken, currentUser, loggedInUser } from '../session.js';
import { t, tp, ts } from '../strings.js';
import { PROVINCES } from './account.js';

const UNITS = ['total', 'per_head', 'per_kg', 'per_ha', 'per_month', 'per_ton'];
let seq = 0;

/** A labelled control with its hint and the place for its error. */
function field(name, label, control, hint) {
  const id = `s-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  control.id = id;
  control.name = name;
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hint) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl, error);
}

function setError(control, message) {
  const error = document.getElementById(`${control.id}-error`);
  const hint = document.getElementById(`${control.id}-hint`);
  if (!error) return false;
  error.textContent = message;
  error.hidden = !message;
  if (message) {
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', hint ? `${error.id} ${hint.id}` : error.id);
  } else {
    control.removeAttribute('aria-invalid');
    if (hint) control.setAttribute('aria-describedby', hint.id);
    else control.removeAttribute('aria-describedby');
  }
  return true;
}

/** Redirects to the log-in form (coming back here after) when nobody is
 *  logged in; resolves true when someone is. */
export async function requireLogin(main, url, heading = ts.publishHeading) {
  try {
    await accessToken();
    await loggedInUser(); // who it is, too: a form's draft is read for them only
    return true;
  } catch (err) {
    if (err.status !== 401) throw err;
    const next = url.pathname + url.search;
    mount(
      main,
      h('h1', {}, heading),
      h('p', {}, ts.needLogin, ' ', h('a', { href: `/ingresar?next=${encodeURIComponent(next)}`, 'data-link': true }, ts.loginToContinue)),
    );
    return false;
  }
}

/** Every category by id, with its parent's name, from the tree. */
function indexCategories(items) {
  const byId = new Map();
  const walk = (list, parent) => {
    for (const c of list) {
      byId.set(c.id, { ...c, parentName: parent?.name });
      if (c.children?.length) walk(c.children, c);
    }
  };
  walk(items, null);
  return byId;
}

function categorySelect(items) {
  return h(
    'select',
    {},
    h('option', { value: '' }, ts.chooseCategory),
    items.map((c) =>
      c.children?.length
        ? h('optgroup', { label: c.name }, c.children.map((s) => h('option', { value: s.id }, s.name)))
        : h('option', { value: c.id }, c.name),
    ),
  );
}

/** The control of one attribute definition {key,label,type,unit?,options?}. */
function attributeField(attr, value) {
  const label = attr.unit ? `${attr.label} (${attr.unit})` : attr.label;
  let control;
  if (attr.type === 'enum') {
    control = h('select', {}, h('option', { value: '' }, ts.choose), (attr.options ?? []).map((o) => h('option', { value: o }, o)));
  } else if (attr.type === 'bool') {
    control = h('select', {}, h('option', { value: '' }, ts.choose), h('option', { value: 'true' }, ts.yes), h('option', { value: 'false' }, ts.no));
  } else if (attr.type === 'number') {
    control = h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off' });
  } else {
    control = h('input', { type: 'text', maxlength: 200, autocomplete: 'off' });
  }
  if (value !== undefined && value !== null) control.value = String(value);
  control.dataset.type = attr.type;
  return field(`attributes.${attr.key}`, label, control);
}

/** "25000", "25.000", "25.000,50", "1500.5" as a number; anything else is
 *  sent as typed, and the API's answer says what is wrong. */
function parseNumber(text) {
  const s = text.trim().replace(/\s/g, '');
  if (s === '') return null;
  let n;
  if (s.includes(',')) n = Number(s.replace(/\./g, '').replace(',', '.'));
  else if (/^\d{1,3}(\.\d{3})+$/.test(s)) n = Number(s.replace(/\./g, ''));
  else n = Number(s);
  return Number.isFinite(n) ? n : s;
}

function adForm(categories, ad, { onSaved, signal }) {
  const byId = indexCategories(categories);
  const attrValues = { ...(ad?.attributes ?? {}) }; // kept across category changes
  const category = categorySelect(categories);
  const attrBox = h('fieldset', { class: 'attrs-fields', hidden: true });
  const title = h('input', { type: 'text', maxlength: 120, autocomplete: 'off' });
  const description = h('textarea', { rows: 5, maxlength: 5000 });
  const price = h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off' });
  const consult = h('input', { type: 'checkbox', id: 's-consult' });
  const currency = h('select', {}, ['ARS', 'USD'].map((c) => h('option', { value: c }, ts.currencies[c])));
  const unit = h('select', {}, UNITS.map((u) => h('option', { value: u }, ts.priceUnits[u])));
  const province = h('select', { autocomplete: 'address-level1' }, h('option', { value: '' }, ts.chooseProvince), PROVINCES.map((p) => h('option', {}, p)));
  const locality = h('input', { type: 'text', maxlength: 100, autocomplete: 'address-level2' });

  const drawAttributes = () => {
    const c = byId.get(Number(category.value));
    const attrs = c?.attributes ?? [];
    attrBox.hidden = attrs.length === 0;
    mount(attrBox, h('legend', {}, ts.features), attrs.map((a) => attributeField(a, attrValues[a.key])));
  };
  attrBox.addEventListener('input', (e) => {
    const key = e.target.name?.slice('attributes.'.length);
    if (key) attrValues[key] = e.target.value;
  });
  category.addEventListener('change', drawAttributes);
  const syncPrice = () => {
    price.disabled = consult.checked;
    currency.disabled = consult.checked;
  };
  consult.addEventListener('change', syncPrice);

  if (ad) {
    category.value = String(ad.category?.id ?? '');
    title.value = ad.title ?? '';
    description.value = ad.description ?? '';
    consult.checked = ad.price === null || ad.price === undefined;
    if (!consult.checked) price.value = String(ad.price);
    currency.value = ad.currency ?? 'ARS';
    unit.value = ad.price_unit ?? 'total';
    province.value = ad.province ?? '';
    locality.value = ad.locality ?? '';
  }
  // Who opened the form (requireLogin waited for the session to be known): a
  // draft is read for them only, and kept for them if the session ends.
  const opener = currentUser()?.id ?? null;
  const draft = readDraft(ad?.id, opener);
  if (draft) {
    category.value = draft.category;
    Object.assign(attrValues, draft.attributes);
    title.value = draft.title;
    description.value = draft.description;
    consult.checked = draft.consult;
    price.value = draft.price;
    currency.value = draft.currency;
    unit.value = draft.unit;
    province.value = draft.province;
    locality.value = draft.locality;
  }
  const snapshot = (user) => ({
    user,
    category: category.value,
    attributes: attrValues,
    title: title.value,
    description: description.value,
    consult: consult.checked,
    price: price.value,
    currency: currency.value,
    unit: unit.value,
    province: province.value,
    locality: locality.value,
  });
  drawAttributes();
  syncPrice();

  const alert = h('div', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit' }, ad ? ts.submitEdit : ts.submitPublish);
  const form = h(
    'form',
    { class: 'account-form ad-form', novalidate: true },
    draft ? h('p', { class: 'notice', role: 'status' }, ts.draftRestored) : null,
    field('category_id', ts.category, category),
    attrBox,
    field('title', ts.title, title, ts.titleHint),
    field('description', ts.description, description),
    h(
      'div',
      { class: 'price-fields' },
      field('price', ts.price, price, ts.priceHint),
      h('div', { class: 'check' }, consult, h('label', { for: 's-consult' }, ts.consultPrice)),
      field('currency', ts.currency, currency),
      field('price_unit', ts.priceUnit, unit),
    ),
    field('province', ts.province, province),
    field('locality', ts.locality, locality),
    alert,
    button,
  );

  const body = () => {
    const c = byId.get(Number(category.value));
    const attributes = {};
    for (const a of c?.attributes ?? []) {
      const v = String(attrValues[a.key] ?? '').trim();
      if (v === '') continue;
      if (a.type === 'number') attributes[a.key] = parseNumber(v);
      else if (a.type === 'bool') attributes[a.key] = v === 'true';
      else attributes[a.key] = v;
    }
    const b = {
      title: title.value.trim(),
      category_id: category.value ? Number(category.value) : undefined,
      attributes,
      price_unit: unit.value,
      province: province.value || undefined,
    };
    if (consult.checked) b.price = null;
    else {
      const p = parseNumber(price.value);
      b.price = p; // null when left empty: "a consultar"
      if (p !== null) b.currency = currency.value;
    }
    const d = description.value.trim();
    const l = locality.value.trim();
    if (ad) {
      b.description = d || null;
      b.locality = l || null;
    } else {
      if (d) b.description = d;
      if (l) b.locality = l;
    }
    return b;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (isBusy(button)) return;
    for (const el of form.querySelectorAll('[id^="s-"]')) if (el.name) setError(el, '');
    alert.hidden = true;
    const idle = busy(button);
    button.textContent = ts.sending;
    const who = currentUser()?.id ?? opener; // the session may have ended already (the socket's 4401)
    try {
      const saved = ad
        ? await authRequest('PATCH', `/api/ads/${ad.id}`, { body: body(), signal })
        : await authRequest('POST', '/api/ads', { body: body(), signal });
      dropDraft(ad?.id);
      onSaved(saved);
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.status === 401) {
        const kept = keepDraft(ad?.id, snapshot(who));
        const next = window.location.pathname + window.location.search;
        mount(alert, ts.sessionEnded, ' ', h('a', { href: `/ingresar?next=${encodeURIComponent(next)}`, 'data-link': true }, ts.loginAgain), kept ? ts.draftKept : '');
        alert.hidden = false;
        return;
      }
      let first = null;
      const unplaced = [];
      if (err.code === 'validation_failed' && err.fields) {
        const attrs = byId.get(Number(category.value))?.attributes ?? [];
        for (const [name, code] of Object.entries(err.fields)) {
          const control = form.elements.namedItem(name);
          const attr = name.startsWith('attributes.') ? attrs.find((a) => `attributes.${a.key}` === name) : null;
          if (control && setError(control, ts.adFieldError(name, code, attr))) first ??= control;
          else unplaced.push(name);
        }
      }
      if (!first || unplaced.length) {
        alert.textContent = err.status === 403 ? ts.notYours : err.message || t.errors.generic;
        alert.hidden = false;
      }
      (first ?? alert).focus?.();
    } finally {
      idle();
      button.textContent = ad ? ts.submitEdit : ts.submitPublish;
    }
  });
  return form;
}

/** The photos of ad: those it has (with "Quitar") and new ones, each shrunk
 *  and uploaded in turn with its own progress bar. */
function photosSection(ad, { signal }) {
  const images = [...(ad.images ?? [])];
  const existing = h('ul', { class: 'photo-list' });
  const uploads = h('ul', { class: 'uploads', 'aria-label': ts.photos });
  const input = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp', multiple: true });
  const drawExisting = () =>
    mount(
      existing,
      images.map((img, i) =>
        h(
          'li',
          {},
          h('img', { src: img.thumbnail_url, alt: ts.photoOf(ad.title, i + 1), width: 160, height: 120, loading: 'lazy' }),
          h('button', {
            type: 'button',
            class: 'secondary',
            'aria-label': `${ts.removePhoto} ${i + 1}`,
            onclick: async (e) => {
              e.currentTarget.disabled = true;
              try {
                await authRequest('DELETE', `/api/ads/${ad.id}/images/${img.id}`, { signal });
                images.splice(images.indexOf(img), 1);
                drawExisting();
                announce(ts.photoRemoved);
              } catch (err) {
                if (err.name !== 'AbortError') announce(err.message);
                e.currentTarget.disabled = false;
              }
            },
          }, ts.removePhoto),
        ),
      ),
    );
  drawExisting();

  let queue = Promise.resolve();
  let pending = 0; // photos queued or uploading: leaving now would cancel them (leave.js)
  guardLeave(signal, () => pending);
  const enqueue = (run) => {
    pending++;
    queue = queue.then(run).finally(() => pending--);
  };
  const add = (file) => {
    const n = ++seq;
    const bar = h('progress', { max: 100, value: 0, id: `up-${n}`, 'aria-label': ts.photoProgress(file.name) });
    const state = h('p', { class: 'up-state', id: `up-${n}-state` }, ts.photoShrinking);
    const item = h('li', { class: 'upload' }, h('p', { class: 'up-name' }, file.name), bar, state);
    bar.setAttribute('aria-describedby', state.id);
    uploads.append(item);
    const run = async () => {
      if (signal.aborted) return; // the person left the screen: the rest of the queue stays home
      item.classList.remove('failed');
      state.textContent = ts.photoShrinking;
      bar.value = 0;
      try {
        const { blob } = await shrink(file);
        state.textContent = ts.photoUploading(0);
        const img = await upload(ad.id, blob, {
          signal,
          onProgress: (f) => {
            bar.value = Math.round(f * 100);
            state.textContent = ts.photoUploading(Math.round(f * 100));
          },
        });
        bar.value = 100;
        state.textContent = ts.photoDone;
        item.classList.add('done');
        images.push(img);
        drawExisting();
        announce(`${file.name}: ${ts.photoDone}`);
      } catch (err) {
        if (err.name === 'AbortError') return;
        item.classList.add('failed');
        const message = err instanceof PhotoError || err.message ? err.message : t.errors.generic;
        mount(state, message, ' ', err.status === 409 ? null : h('button', { type: 'button', class: 'secondary', onclick: () => enqueue(run) }, t.errors.retry));
        announce(`${file.name}: ${message}`);
      }
    };
    enqueue(run);
  };
  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    for (const file of files) add(file); // the API refuses the 11th (409), said by that photo
  });
  return h(
    'section',
    { class: 'photos', 'aria-labelledby': 'h-photos' },
    h('h2', { id: 'h-photos', tabindex: '-1' }, ts.photos),
    existing,
    field('photos', ts.addPhotos, input, ts.photosHint),
    uploads,
    h('p', {}, h('a', { href: `/avisos/${ad.id}`, 'data-link': true }, ts.viewAd), ' · ', h('a', { href: '/mis-avisos', 'data-link': true }, ts.myAds)),
  );
}

async function loadCategories(signal) {
  return (await apiGet('/api/categories', {}, { signal })).items;
}

export async function renderPublish(main, { url, signal, navigate }) {
  document.title = ts.titlePublish;
  mount(main, h('h1', {}, ts.publishHeading), h('p', {}, t.loading));
  const load = async () => {
    try {
      if (!(await requireLogin(main, url))) return;
      const categories = await loadCategories(signal);
      mount(
        main,
        h('h1', {}, ts.publishHeading),
        adForm(categories, null, {
          signal,
          onSaved: (ad) => {
            announce(ts.published);
            navigate(`/mis-avisos/${ad.id}/editar?nuevo=1`);
          },
        }),
      );
    } catch (err) {
      if (err.name !== 'AbortError') mount(main, h('h1', {}, ts.publishHeading), errorBox(err, load));
    }
  };
  load();
}

export async function renderEdit(main, { url, signal, id }) {
  document.title = ts.titleEdit;
  mount(main, h('h1', {}, ts.editHeading), h('p', {}, t.loading));
  const load = async () => {
    try {
      if (!(await requireLogin(main, url, ts.editHeading))) return;
      const [categories, ad, me] = await Promise.all([loadCategories(signal), authRequest('GET', `/api/ads/${id}`, { signal }), loggedInUser()]);
      // Someone else's ad: said at once, not after the form is filled in
      // and the save refused (403). (An admin may PATCH it through the API,
      // but not add photos: the screen is for owners.)
      if (me && ad.user && ad.user.id !== me.id) {
        mount(
          main,
          h('h1', {}, ts.editHeading),
          h('p', { class: 'error', role: 'alert' }, tp.notYourAd),
          h('p', {}, h('a', { href: `/avisos/${ad.id}`, 'data-link': true }, ts.viewAd), ' · ', h('a', { href: '/mis-avisos', 'data-link': true }, tp.toMyAds)),
        );
        return;
      }
      const fresh = url.searchParams.get('nuevo') === '1';
      const notice = h('p', { class: 'notice' }, fresh ? ts.published : '');
      const photos = photosSection(ad, { signal });
      mount(
        main,
        h('h1', {}, ts.editHeading),
        fresh ? notice : null,
        fresh ? photos : null,
        adForm(categories, ad, {
          signal,
          onSaved: (saved) => {
            Object.assign(ad, saved);
            announce(ts.saved);
            notice.textContent = ts.saved;
            if (!notice.isConnected) main.querySelector('h1').after(notice);
          },
        }),
        fresh ? null : photos,
      );
      if (fresh) photos.querySelector('h2').focus();
    } catch (err) {
      if (err.name === 'AbortError') return;
      // 404: unknown, deleted, or someone else's ad that is not public.
      if (err.status === 404) {
        mount(main, h('h1', {}, ts.editHeading), h('p', { class: 'error', role: 'alert' }, tp.adMissing), h('p', {}, h('a', { href: '/mis-avisos', 'data-link': true }, tp.toMyAds)));
      } else mount(main, h('h1', {}, ts.editHeading), errorBox(err, load));
    }
  };
  load();
}
