// Moderation (/admin/denuncias, docs/MODERATION.md): the reports queue of
// GET /api/admin/reports, grouped by ad with the most reported first, with
// the "Pendientes" and "Resueltas" tabs (?estado=resueltas), "Ver más" on
// next_cursor, and on each pending ad the decision (POST
// /api/admin/ads/{id}/moderate: Descartar, Pausar, Eliminar after a
// confirmation, an optional note for the owner). Only admins: the role comes
// from GET /api/me; anyone else gets a Spanish refusal (and the API's 403
// would say the same). Also the header's links "Mi cuenta" and, for admins,
// "Denuncias".
import { errorBox } from '../cards.js';
import { announce, busy, h, isBusy, mount } from '../dom.js';
import { formatPrice } from '../format.js';
import { authRequest } from '../session.js';
import { t, ta, ts } from '../strings.js';
import { confirmRemoval } from './mine.js';
import { when } from './profile.js';
import { requireLogin } from './sell.js';

/** The header's links for a logged-in person: "Mi cuenta", and "Denuncias"
 *  for admins. */
export function accountLinks(user) {
  return [
    h('a', { href: '/cuenta', 'data-link': true }, ta.myAccount),
    user?.role === 'admin' ? h('a', { href: '/admin/denuncias', 'data-link': true }, ta.reports) : null,
  ];
}

function reportItem(r) {
  return h(
    'li',
    { class: 'report' },
    h('p', {}, h('strong', {}, ts.reportReasons[r.reason] ?? r.reason), ' · ', when(r.created_at)),
    h('p', {}, ta.reportBy(r.reporter?.name ?? '')),
    h('p', { class: 'report-details' }, r.details ? r.details : ta.noDetails),
  );
}

function decision(item, { signal, onDone }) {
  const ad = item.ad;
  const n = `m-${ad.id}`;
  const note = h('textarea', { id: `${n}-note`, name: 'note', rows: 2, maxlength: 2000, 'aria-describedby': `${n}-hint` });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': ta.actionsFor(ad.title) });
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const run = async (action, button) => {
    if (isBusy(button)) return;
    // Busy, not disabled: a disabled button drops the focus (keyboard.test.mjs).
    const idles = [...actions.querySelectorAll('button')].map((b) => busy(b));
    error.hidden = true;
    try {
      const body = { action };
      if (note.value.trim()) body.note = note.value.trim();
      await authRequest('POST', `/api/admin/ads/${ad.id}/moderate`, { body, signal });
      onDone(action);
    } catch (err) {
      if (err.name === 'AbortError') return;
      error.textContent = err.message || t.errors.generic;
      error.hidden = false;
      for (const idle of idles) idle();
      button.focus();
    }
  };
  const draw = () => {
    mount(
      actions,
      h('button', { type: 'button', onclick: (e) => run('dismiss', e.currentTarget) }, ta.actions.dismiss),
      h('button', { type: 'button', class: 'secondary', onclick: (e) => run('pause', e.currentTarget) }, ta.actions.pause),
      h('button', { type: 'button', class: 'secondary danger', onclick: confirmDelete }, ta.actions.delete),
    );
  };
  // The same confirmation as the owner's "Eliminar" (Escape cancels too).
  const confirmDelete = (e) =>
    // Not while another decision runs: every button of the group is busy then.
    !isBusy(e.currentTarget) &&
    confirmRemoval(actions, ad.title, {
      onYes: (yes) => run('delete', yes),
      onCancel: () => {
        error.hidden = true;
        draw();
        actions.querySelector('.danger')?.focus();
      },
    });
  draw();
  return h(
    'div',
    { class: 'decision' },
    h('div', { class: 'field' }, h('label', { for: note.id }, ta.note), note, h('p', { class: 'hint', id: `${n}-hint` }, ta.noteHint)),
    actions,
    error,
  );
}

function queueItem(item, { open, signal, onDone }) {
  const ad = item.ad;
  const count = item.report_count ?? item.reports.length;
  const hId = `q-${ad.id}`;
  return h(
    'li',
    { class: 'queue-item', 'aria-labelledby': hId },
    h('h2', { class: 'card-title', id: hId }, h('a', { href: `/avisos/${ad.id}`, 'data-link': true }, ad.title)),
    h('p', { class: 'price' }, formatPrice(ad.price, ad.currency, ad.price_unit)),
    h(
      'p',
      { class: 'badges' },
      h('span', { class: 'badge report-count' }, ta.reportCount(count)),
      ' ',
      h('span', { class: `badge status-${ad.status}` }, ts.status[ad.status] ?? ad.status),
      ' ',
      ad.under_review ? h('span', { class: 'badge status-expired' }, ta.underReview) : null,
    ),
    h('ul', { class: 'reports', 'aria-label': ta.reportCount(count) }, item.reports.map(reportItem)),
    open ? decision(item, { signal, onDone }) : null,
  );
}

export async function renderReports(main, { url, signal }) {
  document.title = ta.titleReports;
  const open = url.searchParams.get('estado') !== 'resueltas';
  const status = open ? 'open' : 'resolved';
  mount(main, h('h1', {}, ta.reports), h('p', {}, t.loading));
  const load = async () => {
    try {
      if (!(await requireLogin(main, url, ta.reports))) return;
      const me = await authRequest('GET', '/api/me', { signal });
      if (me.role !== 'admin') {
        mount(main, h('h1', {}, ta.reports), h('p', { class: 'error', role: 'alert' }, ta.notAuthorized));
        return;
      }
      const page = await authRequest('GET', '/api/admin/reports', { params: { status }, signal });
      const tab = (label, href, current) => h('a', { href, 'data-link': true, class: current ? 'tab current' : 'tab', 'aria-current': current ? 'page' : null }, label);
      const done = h('p', { class: 'notice', role: 'status', tabindex: '-1', hidden: true });
      const list = h('ul', { class: 'queue', 'aria-label': open ? ta.open : ta.resolved });
      const empty = h('p', {}, open ? ta.emptyOpen : ta.emptyResolved);
      const more = h('button', { type: 'button', class: 'secondary queue-more' }, t.loadMore);
      const moreError = h('div');
      let cursor = page.next_cursor;
      const add = (items) => {
        for (const item of items) {
          if (list.querySelector(`[data-ad="${item.ad.id}"]`)) continue; // a page boundary moved: shown once
          const li = queueItem(item, {
            open,
            signal,
            onDone: (action) => {
              li.remove();
              done.textContent = ta.done[action](item.ad.title);
              done.hidden = false;
              announce(done.textContent);
              done.focus();
              if (!list.children.length && !cursor) list.replaceWith(empty);
            },
          });
          li.dataset.ad = item.ad.id;
          list.append(li);
        }
        more.hidden = !cursor;
      };
      more.addEventListener('click', async () => {
        more.disabled = true;
        moreError.replaceChildren();
        try {
          const next = await authRequest('GET', '/api/admin/reports', { params: { status, cursor }, signal });
          cursor = next.next_cursor;
          add(next.items);
        } catch (err) {
          if (err.name !== 'AbortError') moreError.replaceChildren(errorBox(err));
        } finally {
          more.disabled = false;
        }
      });
      mount(
        main,
        h('h1', {}, ta.reports),
        h('nav', { class: 'tabs', 'aria-label': ta.tabs }, tab(ta.open, '/admin/denuncias', open), tab(ta.resolved, '/admin/denuncias?estado=resueltas', !open)),
        done,
        page.items.length ? list : empty,
        moreError,
        more,
      );
      add(page.items);
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.status === 403) mount(main, h('h1', {}, ta.reports), h('p', { class: 'error', role: 'alert' }, ta.notAuthorized));
      else mount(main, h('h1', {}, ta.reports), errorBox(err, load));
    }
  };
  load();
}
