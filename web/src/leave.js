// Leaving a screen that has work under way (photos still uploading: leaving
// cancels them). A screen holds a guard while the work runs; a link of the
// app or the header's search then asks first, in a modal <dialog> of our own
// ("Quedarme" focused, Escape stays), and a reload or closing the tab gets
// the browser's own question (beforeunload). The back and forward buttons are
// undone and asked too (app.js's popstate).
import { h } from './dom.js';
import { tp } from './strings.js';

const guards = new Set(); // each a function returning the number of items that would be lost (0: none)

const pendingCount = () => [...guards].reduce((n, count) => n + count(), 0);

function onBeforeUnload(e) {
  if (pendingCount() > 0) {
    e.preventDefault();
    e.returnValue = ''; // older browsers ask only when it is set
  }
}

/** Holds count() as a guard until signal aborts (the screen is left).
 *  count() says how many things leaving now would lose. */
export function guardLeave(signal, count) {
  if (signal.aborted) return;
  if (guards.size === 0) window.addEventListener('beforeunload', onBeforeUnload);
  guards.add(count);
  signal.addEventListener(
    'abort',
    () => {
      guards.delete(count);
      if (guards.size === 0) window.removeEventListener('beforeunload', onBeforeUnload);
    },
    { once: true },
  );
}

/** True while a guard says something would be lost by leaving now. */
export const leavePending = () => pendingCount() > 0;

/** Resolves true when the person may leave: nothing is under way, or they
 *  chose "Salir igual". */
export function mayLeave() {
  const n = pendingCount();
  if (n === 0) return Promise.resolve(true);
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const stay = h('button', { type: 'button', class: 'secondary', value: 'stay' }, tp.stay);
    const leave = h('button', { type: 'button', class: 'danger', value: 'leave' }, tp.leave);
    const dialog = h(
      'dialog',
      { class: 'leave-dialog', 'aria-labelledby': 'leave-title', 'aria-describedby': 'leave-text' },
      h('h2', { id: 'leave-title' }, tp.leaveTitle),
      h('p', { id: 'leave-text' }, tp.leaveText(n)),
      h('div', { class: 'actions' }, stay, leave),
    );
    let answer = false;
    stay.addEventListener('click', () => dialog.close());
    leave.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (!answer) opener?.focus?.();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    stay.focus();
  });
}
