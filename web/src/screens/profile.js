// "Mi cuenta" (/cuenta): the person's data (PATCH /api/me, the API's field
// errors next to each field), the password (POST /api/auth/password: the
// other devices' sessions end, this one goes on with the new pair) and their
// open sessions (GET
// /api/auth/sessions): "Cerrar" on each other device's session (DELETE
// /api/auth/sessions/{id}) and "Cerrar todas las sesiones" (POST
// /api/auth/logout-all, then back to the log-in form). With
// SESSION_STORE=stateless the server keeps no sessions and those routes
// answer 501: a note says so instead of the list.
import { errorBox } from '../cards.js';
import { announce, busy, h, isBusy, mount } from '../dom.js';
import { authRequest, changePassword, forgetSession, updateUser } from '../session.js';
import { t, ta } from '../strings.js';
import { PROVINCES, clearErrors, field, showFieldErrors } from './account.js';
import { requireLogin } from './sell.js';

/** When, in es-AR ("6 dic 2026, 09:41"). */
export function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString('es-AR', { dateStyle: 'medium', timeStyle: 'short' });
}

/** A short name for a browser's User-Agent ("Chrome en Android"). */
function device(ua) {
  if (!ua) return ta.unknownDevice;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iPhone' : /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'Mac' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser && os) return `${browser} en ${os}`;
  return browser ?? os ?? ua.slice(0, 60);
}

/**
 * A form of Mi cuenta: its heading, its fields, an alert for errors that
 * belong to no field, a status line for success and the submit button. On
 * submit, check() may return field errors found here (shown without asking
 * the API); otherwise send(formData) makes the request and resolves with the
 * success message. The API's field errors go next to their fields. While it
 * runs the button is aria-disabled: a disabled one would drop the keyboard
 * focus.
 */
function settingsForm({ id, title, submitLabel, fields, check = () => null, send, failMessage = (err) => err.message || t.errors.generic }) {
  const status = h('p', { class: 'notice', role: 'status', hidden: true });
  const alert = h('div', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit' }, submitLabel);
  const form = h('form', { class: 'account-form', novalidate: true, 'aria-labelledby': id }, h('h2', { id }, title), fields, alert, status, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (isBusy(button)) return;
    clearErrors(form);
    alert.hidden = true;
    status.hidden = true;
    const local = check();
    if (local) {
      showFieldErrors(form, local);
      return;
    }
    const idle = busy(button);
    try {
      status.textContent = await send(new FormData(form));
      status.hidden = false;
    } catch (err) {
      const placed = err.code === 'validation_failed' && showFieldErrors(form, err.fields);
      if (!placed) {
        alert.textContent = failMessage(err);
        alert.hidden = false;
      }
    } finally {
      idle();
    }
  });
  return form;
}

function profileForm(me) {
  const province = h('select', { autocomplete: 'address-level1' }, h('option', { value: '' }, ta.noProvince), PROVINCES.map((p) => h('option', { selected: p === me.province }, p)));
  return settingsForm({
    id: 'h-profile',
    title: ta.profile,
    submitLabel: ta.save,
    fields: [
      h('p', { class: 'profile-email' }, t.email, ': ', h('strong', {}, me.email)),
      field('name', t.name, h('input', { type: 'text', autocomplete: 'name', maxlength: 100, value: me.name ?? '' })),
      field('phone', ta.phone, h('input', { type: 'tel', autocomplete: 'tel', maxlength: 40, value: me.phone ?? '' })),
      field('province', ta.province, province),
    ],
    send: async (data) => {
      const body = { name: String(data.get('name')), phone: String(data.get('phone')).trim() || null, province: String(data.get('province')) || null };
      updateUser(await authRequest('PATCH', '/api/me', { body }));
      return ta.saved;
    },
  });
}

function passwordForm({ onChanged }) {
  const current = h('input', { type: 'password', autocomplete: 'current-password', maxlength: 128, required: true });
  const next = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 128, required: true });
  return settingsForm({
    id: 'h-password',
    title: ta.passwordTitle,
    submitLabel: ta.changePassword,
    fields: [field('current_password', ta.currentPassword, current), field('new_password', ta.newPassword, next, ta.newPasswordHint)],
    // Checked here first: the API would say the same, one round trip later.
    check: () => {
      const local = {};
      if (!current.value) local.current_password = 'required';
      if (next.value.length < 8) local.new_password = next.value ? 'min_length' : 'required';
      return Object.keys(local).length ? local : null;
    },
    send: async () => {
      await changePassword(current.value, next.value);
      current.value = '';
      next.value = '';
      onChanged();
      return ta.passwordChanged;
    },
    // A 503 may come after the new password took effect (docs/AUTH.md).
    failMessage: (err) => (err.status === 409 ? ta.passwordConflict : err.status === 503 ? ta.passwordMaybeChanged : err.message || t.errors.generic),
  });
}

function sessionsSection({ signal, navigate }) {
  const section = h('section', { class: 'sessions', 'aria-labelledby': 'h-sessions' });
  const heading = h('h2', { id: 'h-sessions', tabindex: '-1' }, ta.sessions);
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const fail = (err) => {
    if (err.name === 'AbortError') return;
    error.textContent = err.message || t.errors.generic;
    error.hidden = false;
  };
  const logoutAll = h('button', {
    type: 'button',
    class: 'danger secondary',
    'aria-describedby': 'logout-all-hint',
    onclick: async () => {
      error.hidden = true;
      try {
        await authRequest('POST', '/api/auth/logout-all', { signal });
        forgetSession();
        announce(ta.loggedOutAll);
        navigate('/ingresar?next=%2Fcuenta');
      } catch (err) {
        fail(err);
      }
    },
  }, ta.logoutAll);
  const draw = (items) => {
    const list = h(
      'ul',
      { class: 'session-list', 'aria-labelledby': 'h-sessions' },
      items.map((s) => {
        const name = device(s.user_agent);
        return h(
          'li',
          { class: s.current ? 'session current' : 'session' },
          h('p', { class: 'session-device' }, name, s.current ? h('span', { class: 'badge status-active' }, ta.thisDevice) : null),
          h('p', {}, ta.lastUsed(when(s.last_used_at ?? s.created_at))),
          s.current
            ? null
            : h('button', {
              type: 'button',
              class: 'secondary',
              'aria-label': ta.closeSessionOf(name),
              onclick: async (e) => {
                const button = e.currentTarget;
                button.disabled = true;
                error.hidden = true;
                try {
                  await authRequest('DELETE', `/api/auth/sessions/${s.id}`, { signal });
                  announce(ta.sessionClosed);
                  await load();
                  heading.focus();
                } catch (err) {
                  fail(err);
                  button.disabled = false;
                }
              },
            }, ta.closeSession),
        );
      }),
    );
    mount(section, heading, h('p', { class: 'hint' }, ta.sessionsHint), list, error, logoutAll, h('p', { class: 'hint', id: 'logout-all-hint' }, ta.logoutAllHint));
  };
  const load = async () => {
    try {
      const { items } = await authRequest('GET', '/api/auth/sessions', { signal });
      // This device first, then the most recently used.
      items.sort((a, b) => (b.current - a.current) || String(b.last_used_at).localeCompare(String(a.last_used_at)));
      draw(items);
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.status === 501) mount(section, heading, h('p', { class: 'notice' }, ta.sessionsUnsupported));
      else mount(section, heading, errorBox(err, load));
    }
  };
  mount(section, heading, h('p', {}, t.loading));
  load();
  return section;
}

export async function renderProfile(main, { url, signal, navigate }) {
  document.title = ta.titleAccount;
  mount(main, h('h1', {}, ta.myAccount), h('p', {}, t.loading));
  const load = async () => {
    try {
      if (!(await requireLogin(main, url, ta.myAccount))) return;
      const me = await authRequest('GET', '/api/me', { signal });
      let sessions = sessionsSection({ signal, navigate });
      // After a password change the other sessions are gone: list again.
      const onChanged = () => {
        const fresh = sessionsSection({ signal, navigate });
        sessions.replaceWith(fresh);
        sessions = fresh;
      };
      mount(main, h('h1', {}, ta.myAccount), profileForm(me), passwordForm({ onChanged }), sessions);
    } catch (err) {
      if (err.name !== 'AbortError') mount(main, h('h1', {}, ta.myAccount), errorBox(err, load));
    }
  };
  load();
}
