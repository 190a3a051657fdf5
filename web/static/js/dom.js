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

/** yesNo is a fieldset of two radio buttons (yes/no) with an error slot. */
export function yesNo(opts) {
  const id = opts.id || idFor(opts.name);
  const errId = `${id}-err`;
  const radio = (val, text) => {
    const rid = `${id}-${val}`;
    return h('span', { class: 'radio' },
      h('input', { type: 'radio', id: rid, name: opts.name, value: val, 'data-field': opts.name, checked: opts.value === (val === 'yes') ? true : null }),
      h('label', { for: rid }, text));
  };
  return h('fieldset', { class: 'field yesno', 'aria-describedby': errId },
    h('legend', {}, opts.label),
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
 * with the message, in the form-wide slot; the first bad field gets focus.
 */
export function showErrors(form, err) {
  clearErrors(form);
  const rest = [];
  let first = null;
  for (const [path, msg] of Object.entries(err.fields || {})) {
    const slot = findSlot(form, path);
    if (!slot) {
      rest.push(`${humanPath(path)}: ${msg}`);
      continue;
    }
    const name = slot.getAttribute('data-error-for');
    const text = /^[a-z]/.test(msg) ? `${labelOf(form, name, path)} ${msg}` : msg;
    slot.textContent = slot.textContent ? `${slot.textContent}; ${text}` : text;
    form.querySelectorAll(`[data-field="${CSS.escape(name)}"]`).forEach((c) => {
      c.setAttribute('aria-invalid', 'true');
      if (!first) first = c;
    });
  }
  const general = form.querySelector('[data-form-error]');
  const text = Object.keys(err.fields || {}).length && !rest.length
    ? 'Please correct the fields marked in red.'
    : [err.message, ...rest].join(' ');
  if (general) general.textContent = text;
  if (first) first.focus();
  else if (general) general.focus?.();
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
 * submitting runs fn while the form's submit button is disabled and shows
 * an ApiError next to its fields; it resolves with fn's result or null.
 */
export async function submitting(form, fn) {
  const buttons = form.querySelectorAll('button');
  buttons.forEach((b) => { b.disabled = true; });
  clearErrors(form);
  try {
    return await fn();
  } catch (err) {
    if (!err || err.status === undefined) throw err;
    showErrors(form, err);
    return null;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
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
  setTimeout(() => { live.textContent = msg; }, 30);
  announceTimer = setTimeout(() => { live.textContent = ''; }, 10000);
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

/** table builds a captioned table; cols: [{label, cell(row) => node|string}]. */
export function table(caption, cols, rows, opts = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, opts.empty || `No ${caption.toLowerCase()}.`);
  return h('div', { class: 'table-wrap' }, h('table', { class: opts.class || '' },
    h('caption', { class: opts.hideCaption ? 'visually-hidden' : '' }, caption),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', { class: opts.rowClass ? opts.rowClass(r) : null, ...(opts.rowAttrs ? opts.rowAttrs(r) : {}) },
      cols.map((c, i) => (i === 0 && !opts.noRowHeader ? h('th', { scope: 'row' }, c.cell(r)) : h('td', {}, c.cell(r)))))))));
}

/** badge is a short label with a colour by kind (ok, warn, bad, info). */
export const badge = (text, kind = 'info') => h('span', { class: `badge ${kind}` }, text);

/** render replaces the main region with the nodes and moves focus to its heading. */
export function render(main, ...nodes) {
  main.replaceChildren(...nodes.flat().filter(Boolean));
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
