// forms.js: form parts the portal and the console share.

import { h, field } from './dom.js';

/** typeFields are the location type, its sub-option or description, and a note on access. */
export function typeFields(reference, current = {}) {
  const box = h('div', {});
  const sub = h('div', {});
  const note = h('div', { 'aria-live': 'polite' });
  const typeField = field({ name: 'locationType', label: 'Location type', type: 'select', required: true, placeholder: 'Choose the type',
    value: current.locationType, options: reference.locationTypes.map((t) => ({ value: t.type, label: t.label })) });
  const sel = typeField.querySelector('select');
  const update = () => {
    const t = reference.locationTypes.find((x) => x.type === sel.value);
    sub.replaceChildren();
    note.replaceChildren();
    if (!t) return;
    if (t.subOptions && t.subOptions.length) {
      sub.append(field({ name: 'subOption', label: `${t.label}: kind`, type: 'select', required: true, placeholder: 'Choose one',
        value: current.subOption, options: t.subOptions }));
    }
    if (t.needsDescription) {
      sub.append(field({ name: 'otherDescription', label: 'Describe the worksite', required: true, value: current.otherDescription || '' }));
    }
    if (t.access !== 'yes' && t.reason) note.append(h('p', { class: 'box warn' }, `Note: ${t.reason}.`));
  };
  sel.addEventListener('change', update);
  update();
  box.append(typeField, sub, note);
  return box;
}
