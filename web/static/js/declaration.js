// declaration.js: the worksite Privacy & Security Declaration form an
// emailed link opens (/declaration/<token>). The server verified the token
// before it rendered the form and hands it over as main's data-token; it
// goes into the request path only through encodeURIComponent, never into
// script source. Each field error of the API is shown beside its field
// (dom.js showErrors: the first wrong field in page order gets focus, and
// an error clears once its field is changed); the upload cannot be sent
// twice while it is on its way.

import { submitting } from './dom.js';

const token = document.getElementById('main').dataset.token;
const form = document.getElementById('decl');

/** DeclarationError carries the API's error body as dom.js expects it. */
class DeclarationError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || 'The service did not answer. Please try again.');
    this.status = status;
    this.fields = e.fields || {};
  }
}

if (form) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ok = await submitting(form, async () => {
      let res;
      try {
        res = await fetch(`/api/v1/declarations/${encodeURIComponent(token)}`, { method: 'POST', body: new FormData(form) });
      } catch {
        throw new DeclarationError(0, { error: { message: 'The service could not be reached. Check your connection and try again.' } });
      }
      if (res.ok) return true;
      const body = await res.json().catch(() => null);
      throw new DeclarationError(res.status, body);
    });
    if (ok) {
      form.hidden = true;
      const done = document.getElementById('done');
      done.hidden = false;
      done.setAttribute('tabindex', '-1');
      done.focus();
    }
  });
}
