// Log in and register. The forms leave validation to the API (novalidate):
// its errors come back by field and are shown next to each input, in
// Spanish, with aria-invalid and aria-describedby so a screen reader reads
// them with the field. What was typed stays in the form on any error.
import { announce, busy, h, isBusy, mount } from '../dom.js';
import { login, register } from '../session.js';
import { t } from '../strings.js';

export const PROVINCES = [
  'Buenos Aires', 'Ciudad Autónoma de Buenos Aires', 'Catamarca', 'Chaco', 'Chubut', 'Córdoba', 'Corrientes',
  'Entre Ríos', 'Formosa', 'Jujuy', 'La Pampa', 'La Rioja', 'Mendoza', 'Misiones', 'Neuquén', 'Río Negro', 'Salta',
  'San Juan', 'San Luis', 'Santa Cruz', 'Santa Fe', 'Santiago del Estero', 'Tierra del Fuego', 'Tucumán',
];

/** A labelled control with the place for its error below it. */
export function field(name, label, control, hint) {
  const id = `f-${name}`;
  control.id = id;
  control.name = name;
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl, error);
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) {
    el.hidden = true;
    el.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    const hint = document.getElementById(`${el.id}-hint`);
    if (hint) el.setAttribute('aria-describedby', hint.id);
    else el.removeAttribute('aria-describedby');
  }
}

/** Puts each of the API's field errors next to its field; returns true when
 *  at least one field took its error. */
export function showFieldErrors(form, fields) {
  let first = null;
  for (const [name, code] of Object.entries(fields ?? {})) {
    const control = form.elements.namedItem(name);
    const error = control && document.getElementById(`${control.id}-error`);
    if (!error) continue;
    error.textContent = t.fieldError(name, code);
    error.hidden = false;
    control.setAttribute('aria-invalid', 'true');
    const hint = document.getElementById(`${control.id}-hint`);
    control.setAttribute('aria-describedby', hint ? `${error.id} ${hint.id}` : error.id);
    first ??= control;
  }
  first?.focus();
  return first !== null;
}

function accountForm({ title, submitLabel, fields, send, footer, done }) {
  const alert = h('div', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit' }, submitLabel);
  const form = h('form', { class: 'account-form', novalidate: true }, fields, alert, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (isBusy(button)) return;
    clearErrors(form);
    alert.hidden = true;
    const idle = busy(button);
    try {
      const user = await send(new FormData(form));
      announce(t.hello(user.name));
      done(user);
    } catch (err) {
      const placed = err.code === 'validation_failed' && showFieldErrors(form, err.fields);
      if (err.code === 'email_taken') showFieldErrors(form, { email: 'taken' });
      else if (!placed) {
        alert.textContent = err.message || t.errors.generic;
        alert.hidden = false;
      }
    } finally {
      idle();
    }
  });
  return [h('h1', {}, title), form, footer];
}

/** Where to go after logging in: ?next= when it is a path of the app. */
function nextPath(url) {
  const next = url.searchParams.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function renderLogin(main, { url, navigate }) {
  document.title = t.titleLogin;
  mount(
    main,
    accountForm({
      title: t.login,
      submitLabel: t.login,
      fields: [
        field('email', t.email, h('input', { type: 'email', autocomplete: 'email', inputmode: 'email', maxlength: 254 })),
        field('password', t.password, h('input', { type: 'password', autocomplete: 'current-password', maxlength: 128 })),
      ],
      send: (data) => login(String(data.get('email')).trim(), String(data.get('password'))),
      footer: h('p', {}, t.noAccount, ' ', h('a', { href: '/registro', 'data-link': true }, t.register)),
      done: () => navigate(nextPath(url)),
    }),
  );
}

export function renderRegister(main, { url, navigate }) {
  document.title = t.titleRegister;
  const province = h('select', { autocomplete: 'address-level1' }, h('option', { value: '' }, t.chooseProvince), PROVINCES.map((p) => h('option', {}, p)));
  mount(
    main,
    accountForm({
      title: t.register,
      submitLabel: t.register,
      fields: [
        field('name', t.name, h('input', { type: 'text', autocomplete: 'name', maxlength: 100 })),
        field('email', t.email, h('input', { type: 'email', autocomplete: 'email', inputmode: 'email', maxlength: 254 })),
        field('password', t.password, h('input', { type: 'password', autocomplete: 'new-password', maxlength: 128 }), t.passwordHint),
        field('phone', t.phoneOptional, h('input', { type: 'tel', autocomplete: 'tel', maxlength: 40 })),
        field('province', t.provinceOptional, province),
      ],
      send: (data) => {
        const fields = { name: String(data.get('name')), email: String(data.get('email')).trim(), password: String(data.get('password')) };
        if (data.get('phone')) fields.phone = String(data.get('phone'));
        if (data.get('province')) fields.province = String(data.get('province'));
        return register(fields);
      },
      footer: h('p', {}, t.haveAccount, ' ', h('a', { href: '/ingresar', 'data-link': true }, t.login)),
      done: () => navigate(nextPath(url)),
    }),
  );
}
