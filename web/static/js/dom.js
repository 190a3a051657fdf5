// dom.js: small helpers to build the pages without HTML strings (all text
// goes in as text nodes), labelled form fields with an error slot each, and
// showing the API's field errors next to the fields they concern.

let idSeq = 0;

/**
 * h builds an element. attrs: class, id, for, type, ... are set as
 * attributes (true sets an empty attribute, false/null/undefined none);
 * on<event> functions become listeners; children are nodes or strings.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value' && 'value' in el) {
      el.value = v;
    } else if (k === 'checked' || k === 'selected') {
      el[k] = Boolean(v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** uid returns a fresh element ID with the prefix. */
export const uid = (prefix) => `${prefix}-${++idSeq}`;

/** idFor makes an element ID from a field name (a JSON path). */
export const idFor = (name) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/**
 * field is a labelled control with an optional hint and an error slot.
 * opts: name (the JSON path its errors come back under), label, type
 * (text, email, tel, password, date, number, select, textarea), value,
 * options ([{value,label}] for select), required, hint, autocomplete,
 * placeholder, attrs (extra control attributes).
 */
export function field(opts) {
  const id = opts.id || idFor(opts.name);
  const errId = `${id}-err`;
  const hintId = opts.hint ? `${id}-hint` : null;
  const common = {
    id, name: opts.name, 'data-field': opts.name, required: opts.required || null,
    'aria-describedby': [hintId, errId].filter(Boolean).join(' '),
    autocomplete: opts.autocomplete, ...(opts.attrs || {}),
  };
  let control;
  if (opts.type === 'select') {
    control = h('select', common,
      opts.placeholder !== undefined ? h('option', { value: '' }, opts.placeholder) : null,
      (opts.options || []).map((o) => h('option', { value: o.value, selected: o.value === opts.value }, o.label)));
  } else if (opts.type === 'textarea') {
    control = h('textarea', { ...common, rows: opts.rows || 3 });
    control.value = opts.value || '';
  } else {
    control = h('input', { ...common, type: opts.type || 'text', value: opts.value ?? '', placeholder: opts.placeholder });
  }
  return h('div', { class: 'field' },
    h('label', { for: id }, opts.label, opts.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    hintId ? h('p', { class: 'hint', id: hintId }, opts.hint) : null,
    control,
    h('p', { class: 'field-error', id: errId, 'data-error-for': opts.name }));
}

/** checkbox is a labelled checkbox with an error slot. */
export function checkbox(opts) {
  const id = opts.id || idFor(opts.name);
  return h('div', { class: 'field check' },
    h('input', { type: 'checkbox', id, name: opts.name, 'data-field': opts.name, checked: opts.checked, value: opts.value || 'on', 'aria-describedby': `${id}-err` }),
    h('label', { for: id }, opts.label),
    h('p', { class: 'field-error', id: `${id}-err`, 'data-error-for': opts.name }));
}

/** yesNo is a fieldset of two radio buttons (yes/no) with an error slot; opts.required marks it. */
export function yesNo(opts) {
  const id = opts.id || idFor(opts.name);
  const errId = `${id}-err`;
  const radio = (val, text) => {
    const rid = `${id}-${val}`;
    return h('span', { class: 'radio' },
      h('input', { type: 'radio', id: rid, name: opts.name, value: val, 'data-field': opts.name, required: opts.required || null, checked: opts.value === (val === 'yes') ? true : null }),
      h('label', { for: rid }, text));
  };
  return h('fieldset', { class: 'field yesno', 'aria-describedby': errId },
    h('legend', {}, opts.label, opts.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    radio('yes', 'Yes'), radio('no', 'No'),
    h('p', { class: 'field-error', id: errId, 'data-error-for': opts.name }));
}

/** radioValue reads a yes/no fieldset: true, false, or undefined when unanswered. */
export function radioValue(form, name) {
  const el = form.querySelector(`input[type=radio][name="${CSS.escape(name)}"]:checked`);
  if (!el) return undefined;
  return el.value === 'yes';
}

/** val reads a named control's trimmed value. */
export function val(form, name) {
  const el = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!el) return '';
  if (el.type === 'checkbox') return el.checked;
  return el.value.trim();
}

/** formError is the form-wide message slot (an alert). */
export const formError = () => h('p', { class: 'form-error', role: 'alert', 'data-form-error': '' });

/** clearErrors empties every error slot of form. */
export function clearErrors(form) {
  form.querySelectorAll('[data-error-for]').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  form.querySelectorAll('[data-form-error]').forEach((e) => { e.textContent = ''; });
}

/**
 * showErrors puts each of an ApiError's field messages next to its field
 * (matching the field's name, or the nearest parent path) and the rest,
 * with the message, in the form-wide slot. The first bad field in page
 * order (not the server's key order) gets focus, and each field's error
 * clears as soon as the field is changed (watchErrors).
 */
export function showErrors(form, err) {
  clearErrors(form);
  watchErrors(form);
  const rest = [];
  for (const [path, msg] of Object.entries(err.fields || {})) {
    const slot = findSlot(form, path);
    if (!slot) {
      rest.push(sentence(msg));
      continue;
    }
    const name = slot.getAttribute('data-error-for');
    const text = /^[a-z]/.test(msg) ? `${labelOf(form, name, path)} ${msg}` : msg;
    slot.textContent = slot.textContent ? `${slot.textContent}; ${text}` : text;
    form.querySelectorAll(`[data-field="${CSS.escape(name)}"]`).forEach((c) => c.setAttribute('aria-invalid', 'true'));
  }
  const general = form.querySelector('[data-form-error]');
  const text = Object.keys(err.fields || {}).length && !rest.length
    ? 'Please correct the fields marked in red.'
    : [err.message, ...rest].join(' ');
  if (general) general.textContent = text;
  // querySelector answers in document order: the first wrong field on the page.
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
  else if (general) general.focus?.();
}

/** sentence makes a message start with a capital and end with a full stop. */
const sentence = (s) => {
  const t = String(s || '').trim();
  if (!t) return '';
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.?!]$/.test(t) ? '' : '.');
};

/**
 * watchErrors makes a field's error go away as soon as the person changes
 * the field (once per form), so that a fixed field no longer says it is
 * wrong; the form-wide message goes when no field is marked any more.
 */
export function watchErrors(form) {
  if (form.dataset.watchErrors) return;
  form.dataset.watchErrors = '1';
  const clear = (e) => {
    const name = e.target.getAttribute && e.target.getAttribute('data-field');
    if (!name || e.target.getAttribute('aria-invalid') !== 'true') return;
    form.querySelectorAll(`[data-field="${CSS.escape(name)}"]`).forEach((c) => c.removeAttribute('aria-invalid'));
    form.querySelectorAll(`[data-error-for="${CSS.escape(name)}"]`).forEach((slot) => { slot.textContent = ''; });
    if (!form.querySelector('[aria-invalid="true"]')) {
      form.querySelectorAll('[data-form-error]').forEach((g) => { g.textContent = ''; });
    }
  };
  form.addEventListener('input', clear);
  form.addEventListener('change', clear);
}

function findSlot(form, path) {
  let p = path;
  for (;;) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(p)}"]`);
    if (slot) return slot;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return null;
    p = p.slice(0, cut);
  }
}

/** labelOf names a field in words: its label or legend, else its path. */
function labelOf(form, name, path) {
  const control = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  let text = '';
  if (control && control.type === 'radio') {
    const legend = control.closest('fieldset')?.querySelector('legend');
    text = legend ? legend.textContent : '';
  } else if (control && control.id) {
    const label = form.querySelector(`label[for="${CSS.escape(control.id)}"]`);
    text = label ? label.textContent : '';
  }
  text = text.replace(/\s*\*\s*$/, '').replace(/\s*\(.*\)\s*$/, '').trim();
  if (!text) return humanPath(path).replace(/^./, (c) => c.toUpperCase());
  if (text.length > 60) return 'This answer';
  return /\?$/.test(text) ? `“${text}”` : text;
}

const humanPath = (p) => p.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[._]/g, ' ').toLowerCase();

/**
 * busy marks button as working (aria-busy, disabled, a spinner by CSS)
 * until the returned function is called; pressing it again does nothing.
 */
export function busy(button) {
  if (!button) return () => {};
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  return () => {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  };
}

/**
 * submitting runs fn while the form's buttons are disabled (the submit
 * button shows it is busy, so a second press cannot send the form twice)
 * and shows an ApiError next to its fields; it resolves with fn's result
 * or null. A call while the form is already submitting resolves with null.
 */
export async function submitting(form, fn) {
  if (form.dataset.submitting) return null;
  form.dataset.submitting = '1';
  const buttons = [...form.querySelectorAll('button')];
  const submit = form.querySelector('button[type=submit], button:not([type])');
  const done = busy(submit);
  buttons.forEach((b) => { b.disabled = true; });
  clearErrors(form);
  try {
    return await fn();
  } catch (err) {
    if (!err || err.status === undefined) throw err;
    showErrors(form, err);
    return null;
  } finally {
    delete form.dataset.submitting;
    done();
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/**
 * pressing runs fn for a button outside a form (an action in a table or a
 * card): the button is busy meanwhile, and a failure is announced.
 */
export async function pressing(button, fn) {
  if (button.getAttribute('aria-busy') === 'true') return undefined;
  const done = busy(button);
  try {
    return await fn();
  } catch (err) {
    announce(err && err.message ? err.message : String(err), 'bad');
    return undefined;
  } finally {
    if (button.isConnected) done();
  }
}

/** announce tells screen readers (and sighted users) what just happened. */
let announceTimer = null;

export function announce(msg, kind = 'ok') {
  const live = document.getElementById('announce');
  if (!live) return;
  live.textContent = '';
  live.className = `announce ${kind}`;
  clearTimeout(announceTimer);
  // A new text node after clearing makes screen readers speak it again;
  // the message then leaves the screen so that it hides nothing for long.
  setTimeout(() => {
    live.textContent = msg;
    placeToast(live);
    watchToast(live);
  }, 30);
  announceTimer = setTimeout(() => { live.textContent = ''; }, 10000);
}

// toastSpots are where the toast may float, in order of preference; when
// every one of them would cover a control it stands in the page's flow,
// between the header and the main content, where it covers nothing.
const toastSpots = ['bottom-right', 'bottom-left', 'top-right', 'top-left'];
const controls = 'a[href], button, input, select, textarea, summary, [role="button"], [tabindex]:not([tabindex="-1"])';

// coversControl says whether the toast, where it is, overlaps a visible control.
function coversControl(live) {
  const a = live.getBoundingClientRect();
  for (const e of document.querySelectorAll(controls)) {
    if (live.contains(e) || e.closest('[hidden], [inert]')) continue;
    for (const r of e.getClientRects()) {
      if (Math.min(a.right, r.right) - Math.max(a.left, r.left) > 0
        && Math.min(a.bottom, r.bottom) - Math.max(a.top, r.top) > 0) return true;
    }
  }
  return false;
}

/**
 * placeToast puts a shown toast in the first spot where it covers no
 * control (a button at the bottom right of a page, the menu button at the
 * top), or in the page's flow when there is none: a toast must never hide
 * what a person may press next.
 */
function placeToast(live) {
  if (!live.textContent) return;
  for (const spot of toastSpots) {
    live.dataset.spot = spot;
    if (!coversControl(live)) return;
  }
  live.dataset.spot = 'inline';
}

// watchToast places the toast again while it shows, whenever what is under
// it may have moved: a scroll, a resize, a screen drawn again.
let toastWatch = null;
function watchToast(live) {
  if (toastWatch) return;
  let queued = false;
  const again = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      if (!live.textContent) {
        stop();
        return;
      }
      placeToast(live);
    });
  };
  const seen = new MutationObserver(again);
  const stop = () => {
    window.removeEventListener('scroll', again);
    window.removeEventListener('resize', again);
    seen.disconnect();
    toastWatch = null;
  };
  window.addEventListener('scroll', again, { passive: true });
  window.addEventListener('resize', again);
  seen.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['class', 'hidden', 'open'] });
  toastWatch = stop;
}

/** fmtDate shows an RFC 3339 time in the reader's locale; '' for the zero time. */
export function fmtDate(iso, withTime = true) {
  if (!iso || iso.startsWith('0001-')) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return withTime
    ? d.toLocaleString('en-CA', { dateStyle: 'medium', timeStyle: 'short' })
    : d.toLocaleDateString('en-CA', { dateStyle: 'medium' });
}

/** time is a <time> element for an RFC 3339 time. */
export const time = (iso, withTime = true) => h('time', { datetime: iso }, fmtDate(iso, withTime));

/**
 * table builds a captioned table; cols: [{label, cell(row) => node|string}].
 * At phone width each row becomes a card and each cell is labelled with
 * its column (CSS table.cards-narrow, each cell's data-label); the explicit
 * ARIA roles keep it a table for screen readers when CSS makes it blocks.
 * opts.narrow = 'scroll' keeps the table and lets it scroll sideways
 * inside its region instead (focusable when it overflows, scrollRegion).
 */
export function table(caption, cols, rows, opts = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, opts.empty || `No ${caption.toLowerCase()}.`);
  const cards = opts.narrow !== 'scroll';
  const captionId = uid('cap');
  const tbl = h('table', { class: [opts.class, cards ? 'cards-narrow' : ''].filter(Boolean).join(' ') || null, role: cards ? 'table' : null },
    h('caption', { id: captionId, class: opts.hideCaption ? 'visually-hidden' : '' }, caption),
    h('thead', { role: cards ? 'rowgroup' : null }, h('tr', { role: cards ? 'row' : null }, cols.map((c) => h('th', { scope: 'col', role: cards ? 'columnheader' : null }, c.label)))),
    h('tbody', { role: cards ? 'rowgroup' : null }, rows.map((r) => h('tr', { class: opts.rowClass ? opts.rowClass(r) : null, role: cards ? 'row' : null, ...(opts.rowAttrs ? opts.rowAttrs(r) : {}) },
      cols.map((c, i) => (i === 0 && !opts.noRowHeader
        ? h('th', { scope: 'row', role: cards ? 'rowheader' : null }, c.cell(r))
        : h('td', { 'data-label': c.label, role: cards ? 'cell' : null }, c.cell(r))))))));
  return scrollRegion(h('div', { class: 'table-wrap', 'data-label-id': captionId }, tbl));
}

/**
 * scrollRegion makes a wrapper that can scroll sideways reachable by
 * keyboard: while its content is wider than it, it is a tab stop and a
 * region named by its data-label-id element (a table's caption).
 */
export function scrollRegion(el) {
  const update = () => {
    if (el.scrollWidth > el.clientWidth + 1) {
      el.setAttribute('tabindex', '0');
      el.setAttribute('role', 'region');
      if (el.dataset.labelId) el.setAttribute('aria-labelledby', el.dataset.labelId);
    } else {
      ['tabindex', 'role', 'aria-labelledby'].forEach((a) => el.removeAttribute(a));
    }
  };
  if (typeof ResizeObserver === 'function') new ResizeObserver(update).observe(el);
  requestAnimationFrame(update);
  return el;
}

/** badge is a short label with a colour by kind (ok, warn, bad, info). */
export const badge = (text, kind = 'info') => h('span', { class: `badge ${kind}` }, text);

/** render replaces the main region with the nodes and moves focus to its heading. */
export function render(main, ...nodes) {
  main.replaceChildren(...nodes.flat().filter(Boolean));
  // A view the person has left draws into a detached container: it must
  // not take the focus or the title from the page they are on.
  if (!main.isConnected) return;
  const h1 = main.querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: false });
    document.title = `${h1.textContent} · CareConnect`;
  }
}

/** loading is the placeholder while a page's data loads. */
export const loading = (what = 'Loading…') => h('p', { class: 'loading', role: 'status' }, what);

/** errorBox shows an ApiError that stopped a whole page. */
export function errorBox(err) {
  return h('div', { class: 'box bad', role: 'alert' },
    h('p', {}, err.message || String(err)),
    err.requestId ? h('p', { class: 'small' }, `Reference: ${err.requestId}`) : null);
}

/** dialog asks for a reason (or other fields) in a modal <dialog>; resolves with the form or null. */
export function ask({ title, fields, submit, onSubmit }) {
  return new Promise((resolve) => {
    const form = h('form', { method: 'dialog', novalidate: true, class: 'dialog-form' },
      h('h2', { id: uid('dlg') }, title), fields, formError(),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, submit),
        h('button', { type: 'button', class: 'secondary', 'data-cancel': '' }, 'Cancel')));
    const dlg = h('dialog', { 'aria-labelledby': form.querySelector('h2').id }, form);
    const close = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    form.querySelector('[data-cancel]').addEventListener('click', () => close(null));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(null); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const out = await submitting(form, () => onSubmit(form));
      if (out !== null && out !== undefined) close(out);
    });
    document.body.append(dlg);
    dlg.showModal();
    const firstInput = form.querySelector('input, select, textarea');
    (firstInput || form.querySelector('button')).focus();
  });
}
