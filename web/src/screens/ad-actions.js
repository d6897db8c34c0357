// What a person can do on an ad's page besides reading it: save it in
// favorites (PUT/DELETE /api/ads/{id}/favorite, a toggle button with
// aria-pressed) and report it (POST /api/ads/{id}/report with a reason).
// The owner gets instead a note when the ad is not public (paused, sold,
// expired, hidden under review), its status moves (PATCH status, as in Mis
// avisos), a link to edit and "Eliminar" (DELETE after Mis avisos's
// confirmation); an admin looking at someone else's hidden ad a
// note and a link to the queue. Logged out, favorite and report lead to the
// log-in form and back here.
import { announce, busy, h, isBusy, mount } from '../dom.js';
import { accessToken, authRequest, loggedInUser } from '../session.js';
import { t, tg, ts } from '../strings.js';
import { noticeOnMyAds, ownerButtons } from './mine.js';

const REASONS = ['spam', 'fraud', 'wrong_category', 'offensive', 'other'];

async function loggedIn() {
  try {
    await accessToken();
    return true;
  } catch {
    return false;
  }
}

function loginHref(ad) {
  return `/ingresar?next=${encodeURIComponent(`/avisos/${ad.id}`)}`;
}

function reportForm(ad, { signal, navigate }) {
  const status = h('p', { class: 'report-status', role: 'status' });
  const reason = h('select', { id: 'r-reason', name: 'reason' }, REASONS.map((r) => h('option', { value: r }, ts.reportReasons[r])));
  const details = h('textarea', { id: 'r-details', name: 'details', rows: 3, maxlength: 2000 });
  const send = h('button', { type: 'submit' }, ts.reportSend);
  const form = h(
    'form',
    { class: 'report-form account-form', hidden: true, novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'r-reason' }, ts.reportReason), reason),
    h('div', { class: 'field' }, h('label', { for: 'r-details' }, ts.reportDetails), details),
    send,
  );
  const toggle = h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-controls': 'report-form' }, ts.report);
  form.id = 'report-form';
  toggle.addEventListener('click', async () => {
    if (!(await loggedIn())) {
      navigate(loginHref(ad));
      return;
    }
    form.hidden = !form.hidden;
    toggle.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) reason.focus();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (isBusy(send)) return;
    const idle = busy(send);
    const body = { reason: reason.value };
    if (details.value.trim()) body.details = details.value.trim();
    try {
      await authRequest('POST', `/api/ads/${ad.id}/report`, { body, signal });
      status.textContent = ts.reportThanks;
      form.hidden = true;
      toggle.hidden = true;
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.status === 409) {
        status.textContent = ts.reportRepeat;
        form.hidden = true;
        toggle.hidden = true;
      } else status.textContent = err.status === 403 ? ts.reportOwn : err.message || t.errors.generic;
    } finally {
      idle();
    }
  });
  return [toggle, form, status];
}

/** The owner's part: what the status means, the moves it allows, "Editar
 *  tu aviso" and "Eliminar". A move's PATCH answers the new detail, handed to
 *  onChange (the page redraws). "Eliminar" asks first with Mis avisos's
 *  confirmation (confirmRemoval), then DELETEs and moves to Mis avisos,
 *  which says what happened. */
function ownerActions(ad, { signal, navigate, onChange }) {
  const note = ad.under_review ? tg.ownerUnderReview : tg.ownerNote[ad.status];
  const { group, error } = ownerButtons(ad, {
    signal,
    label: tg.yourAdActions,
    editLabel: ts.editYourAd,
    onMoved: (updated) => onChange(updated),
    onDeleted: () => {
      noticeOnMyAds(ts.changed.deleted);
      navigate('/mis-avisos');
    },
  });
  return [note ? h('p', { class: 'owner-note' }, note) : null, group, error];
}

/** An admin on someone else's ad that the public cannot see. */
function adminNote(ad) {
  if (!ad.under_review && ad.status === 'active') return null;
  return h(
    'p',
    { class: 'owner-note' },
    ad.under_review ? tg.adminUnderReview : tg.adminNote(ts.status[ad.status] ?? ad.status),
    ' ',
    h('a', { href: '/admin/denuncias', 'data-link': true }, tg.toReports),
  );
}

/** The actions bar for ad (a detail), filled in once the session is known;
 *  onChange(detail) redraws the page after the owner changed the status
 *  (then `changed`: the focus goes to the new moves). */
export function adActions(ad, { signal, navigate, onChange, changed = false }) {
  const bar = h('div', { class: 'ad-actions' });
  const favorite = h('button', { type: 'button', class: 'secondary favorite', 'aria-pressed': 'false' }, ts.favorite);
  let saved = false;
  const show = () => {
    favorite.setAttribute('aria-pressed', String(saved));
    favorite.textContent = saved ? `★ ${ts.favorited}` : `☆ ${ts.favorite}`;
  };
  favorite.addEventListener('click', async () => {
    if (isBusy(favorite)) return; // (busy, not disabled: keyboard.test.mjs)
    const idle = busy(favorite);
    try {
      if (!(await loggedIn())) {
        navigate(loginHref(ad));
        return;
      }
      await authRequest(saved ? 'DELETE' : 'PUT', `/api/ads/${ad.id}/favorite`, { signal });
      saved = !saved;
      show();
      announce(saved ? ts.favoriteAdded : ts.favoriteRemoved);
    } catch (err) {
      if (err.name !== 'AbortError') announce(err.message || t.errors.generic);
    } finally {
      idle();
    }
  });
  show();
  (async () => {
    const mine = await loggedIn();
    const me = mine ? await loggedInUser() : null;
    if (me && me.id === ad.user?.id) {
      mount(bar, ownerActions(ad, { signal, navigate, onChange }));
      // After a status move the page was drawn again: focus goes to the new
      // moves rather than being lost with the button that was pressed.
      if (changed) bar.querySelector('button, a')?.focus();
      return;
    }
    const admin = me?.role === 'admin' ? adminNote(ad) : null;
    if (mine) {
      try {
        const { items } = await authRequest('GET', '/api/me/favorites', { signal });
        saved = items.some((a) => a.id === ad.id);
        show();
      } catch {
        /* the toggle still works; it starts as not saved */
      }
    }
    mount(bar, admin, favorite, reportForm(ad, { signal, navigate }));
  })();
  return bar;
}
