// declaration.js: the worksite Privacy & Security Declaration form an
// emailed link opens (/declaration/<token>). The server verified the token
// before it rendered the form and hands it over as main's data-token; it
// goes into the request path only through encodeURIComponent, never into
// script source. Each field error of the API is shown beside its field.

const token = document.getElementById('main').dataset.token;
const form = document.getElementById('decl');
const formErr = document.getElementById('form-err');
const noAnswer = { error: { message: 'The service did not answer; try again.' } };

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  form.querySelectorAll('.field-error, .form-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  const submit = form.querySelector('button[type=submit]');
  submit.disabled = true;
  let res;
  let body;
  try {
    res = await fetch(`/api/v1/declarations/${encodeURIComponent(token)}`, { method: 'POST', body: new FormData(form) });
    if (res.ok) {
      form.hidden = true;
      document.getElementById('done').hidden = false;
      return;
    }
    body = await res.json().catch(() => noAnswer);
  } catch {
    body = noAnswer;
  } finally {
    submit.disabled = false;
  }
  const fields = body.error.fields || {};
  for (const [name, problem] of Object.entries(fields)) {
    const slot = document.getElementById(`${name}-err`);
    if (slot) {
      slot.textContent = problem;
      const control = document.getElementById(name) || form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (control) control.setAttribute('aria-invalid', 'true');
    } else {
      formErr.textContent += `${name}: ${problem} `;
    }
  }
  if (!Object.keys(fields).length) formErr.textContent = body.error.message;
});
