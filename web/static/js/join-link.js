// join-link.js: the page an emailed join request link opens
// (/join-requests/<token>). The server verified the token before it
// rendered the page and hands it over as main's data-token; it goes into
// the request path only through encodeURIComponent, never into script source.

const token = document.getElementById('main').dataset.token;
const api = `/api/v1/join-links/${encodeURIComponent(token)}`;
const req = document.getElementById('req');
const reason = document.getElementById('reason');
const msg = document.getElementById('msg');
const buttons = [document.getElementById('approve'), document.getElementById('reject')];
const noAnswer = { error: { message: 'The service did not answer; try again.' } };

/** call fetches the link's API and returns whether it succeeded and its body. */
async function call(options) {
  try {
    const res = await fetch(api, options);
    return { ok: res.ok, body: await res.json().catch(() => noAnswer) };
  } catch {
    return { ok: false, body: noAnswer };
  }
}

function say(text, bad) {
  msg.textContent = text;
  msg.className = bad ? 'form-error' : '';
}

function enable(on, pressed) {
  for (const b of buttons) {
    b.disabled = !on;
    if (b === pressed && !on) b.setAttribute('aria-busy', 'true');
    else b.removeAttribute('aria-busy');
  }
  reason.disabled = !on;
}

/** professionLabel names a profession in words (the reference tables), never by its code. */
async function professionLabel(code) {
  try {
    const res = await fetch('/api/v1/reference');
    const ref = await res.json();
    const p = (ref.professions || []).find((x) => x.code === code);
    if (p) return p.label;
  } catch {
    // fall through to the code made readable
  }
  const s = String(code || '').replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

async function show() {
  const { ok, body } = await call();
  if (!ok) {
    req.textContent = body.error.message;
    req.classList.add('bad');
    enable(false);
    return;
  }
  const jr = body.joinRequest;
  req.textContent = `${jr.name} (${await professionLabel(jr.profession)}) asks to join worksite ${body.worksiteId}` +
    (jr.comment ? `: "${jr.comment}"` : '');
}

async function answer(approve, pressed) {
  if (pressed.getAttribute('aria-busy') === 'true') return;
  enable(false, pressed);
  reason.removeAttribute('aria-invalid');
  const { ok, body } = await call({
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ approve, reason: reason.value }),
  });
  if (ok) {
    say(body.message, false); // the request is answered: the buttons stay off
    return;
  }
  enable(true);
  const fields = body.error.fields || {};
  if (fields.reason) {
    say(/^[a-z]/.test(fields.reason) ? `The reason ${fields.reason}.` : fields.reason, true);
    reason.setAttribute('aria-invalid', 'true');
    reason.focus();
  } else {
    say(body.error.message, true);
  }
}

buttons[0].addEventListener('click', () => answer(true, buttons[0]));
buttons[1].addEventListener('click', () => answer(false, buttons[1]));
reason.addEventListener('input', () => {
  if (reason.getAttribute('aria-invalid') === 'true') {
    reason.removeAttribute('aria-invalid');
    say('', false);
  }
});
show();
