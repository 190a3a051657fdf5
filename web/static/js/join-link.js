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

function enable(on) {
  for (const b of buttons) b.disabled = !on;
  reason.disabled = !on;
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
  req.textContent = `${jr.name} (${jr.profession}) asks to join worksite ${body.worksiteId}` +
    (jr.comment ? `: "${jr.comment}"` : '');
}

async function answer(approve) {
  enable(false);
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
    say(`Reason ${fields.reason}`, true);
    reason.setAttribute('aria-invalid', 'true');
    reason.focus();
  } else {
    say(body.error.message, true);
  }
}

buttons[0].addEventListener('click', () => answer(true));
buttons[1].addEventListener('click', () => answer(false));
show();
