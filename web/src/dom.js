// A few lines of DOM building: elements from data, never from HTML strings,
// so that nothing an ad says can become markup.

/** h('a', {href: '/x', class: 'y'}, 'text', childNode, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces the children of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Tells screen readers what changed (the polite live region). */
export function announce(text) {
  const status = document.getElementById('status');
  if (status) status.textContent = text;
}

/**
 * Marks a button busy while the request it started runs: aria-disabled and
 * a flag isBusy() reads, not `disabled`, which would drop the keyboard focus
 * to the page's body (the next Tab would start from the top of the page).
 * Returns the function that ends it.
 */
export function busy(button) {
  button.setAttribute('aria-disabled', 'true');
  button.dataset.busy = '1';
  return () => {
    button.removeAttribute('aria-disabled');
    delete button.dataset.busy;
  };
}

/** True while busy(button) holds it: a second press does nothing. */
export const isBusy = (button) => button.dataset.busy === '1';
